// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink answering consumers that offer (the base of WHEP): headless
// Chromium offers recvonly audio + video in startSession, like a WHEP
// player behind a gateway. One scenario per process:
// `node answer-scenarios.mjs <name>`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, launchBrowser, log, openViewer, run, startPipeline, toneWav, until, waitFrames } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const SINK = 'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';

// A page of the sink's origin running tests/e2e/pages/offering-consumer.js.
async function offeringConsumer(browser, p, options = {}) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log('page:', m.text()); });
  await page.goto(p.url + 'health');
  await page.addScriptTag({ url: '/signalling.js' });
  // The page's CSP allows no inline script: evaluated instead.
  await page.evaluate(readFileSync(join(HERE, 'pages', 'offering-consumer.js'), 'utf8'));
  await page.evaluate(([ws, o]) => window.startOffering(ws, o), [p.url.replace('http', 'ws') + 'ws', options]);
  return page;
}

const offering = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.offering)));

async function decodes(page, what, n = 60) {
  const st = await until(`${what} to decode ${n} frames`, async () => {
    const s = await offering(page);
    assert(!s.ended, `${what}: the session ended: ${s.ended}`);
    return s.frames >= n ? s : null;
  }, 30000);
  log(`${what}: ${st.frames} frames decoded at ${st.width}x${st.height}`);
  assert(st.width === W && st.height === H, `${what} decodes ${W}x${H} (got ${st.width}x${st.height})`);
  return st;
}

// The audio m-line of an answer is inactive with its port kept (Chromium
// refuses an answer that rejects its first bundled m-line); video sendonly.
function checkAnswer(sdp, audioDirection = 'inactive') {
  const sections = sdp.split(/\r?\nm=/).slice(1).map((s) => 'm=' + s);
  const audio = sections.find((s) => s.startsWith('m=audio'));
  const video = sections.find((s) => s.startsWith('m=video'));
  assert(audio && video, 'the answer has an audio and a video m-line');
  assert(!/^m=audio 0 /.test(audio) && new RegExp(`a=${audioDirection}`).test(audio),
    `audio answered ${audioDirection}, port kept`);
  assert(/a=sendonly/.test(video), 'video answered sendonly');
  const pt = video.split('\n')[0].split(' ')[3];
  const rtpmap = video.match(new RegExp(`a=rtpmap:${pt} ([^\\r\\n]+)`))[1];
  const fmtp = (video.match(new RegExp(`a=fmtp:${pt} ([^\\r\\n]+)`)) || [])[1] || '';
  log(`video answered with pt ${pt}: ${rtpmap} ${fmtp}`);
  assert(!/profile-level-id=64/.test(fmtp), 'never H.264 High to Chromium');
  const extmaps = (video.match(/a=extmap:[^\r\n]+/g) || []);
  log(`the answer's video extmaps: ${extmaps.length ? extmaps.join(', ') : 'none'}`);
  return { pt, rtpmap, fmtp };
}

const scenarios = {
  // Two consumers that offer and one viewer the sink offers to: all three
  // play, sharing one H.264 encoder.
  async 'offering-consumers'(defer) {
    const p = await startPipeline(`${SRC} ! ${SINK} video-codecs=h264`);
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const a = await offeringConsumer(browser, p);
    const b = await offeringConsumer(browser, p);
    const viewer = await openViewer(browser, p.url);
    const st = await decodes(a, 'offering consumer 1');
    await decodes(b, 'offering consumer 2');
    await waitFrames(viewer, 60);
    const answer = checkAnswer(st.answer);
    assert(/H264/i.test(answer.rtpmap), 'the offering consumer gets H.264');
    assert(/packetization-mode=1/.test(answer.fmtp), 'packetization-mode=1');
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 1, `${enc.count} encoders for three H.264 consumers, expected exactly 1`);
    const stats = await p.command('stats', 'stats');
    log('sink stats', stats.stats);
    assert(/consumers=\(uint\)3/.test(stats.stats), 'three consumers counted');
  },

  // Pre-encoded constrained-baseline H.264 goes to an offering Chromium as
  // it is: no encoder at all.
  async 'offering-consumer-passthrough'(defer) {
    const p = await startPipeline(`${SRC} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! ` +
      `video/x-h264,profile=constrained-baseline ! ${SINK}`);
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const a = await offeringConsumer(browser, p);
    const st = await decodes(a, 'offering consumer');
    checkAnswer(st.answer);
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 0, `${enc.count} encoders for pre-encoded H.264, expected none`);
  },

  // talkback=true and a consumer that offers its microphone (sendrecv): the
  // audio m-line is answered sendrecv and its sound comes out of the
  // talkback pad while the video plays.
  async 'offering-consumer-talkback'(defer) {
    const wav = toneWav(defer);
    const p = await startPipeline(
      `${SRC} ! ${SINK} talkback=true audiotestsrc is-live=true wave=silence ! sink. ` +
      'sink.talkback ! level interval=100000000 post-messages=true ! fakesink name=counttalk');
    defer(() => p.stop());
    const browser = await launchBrowser({ args: [`--use-file-for-fake-audio-capture=${wav}`] });
    defer(() => browser.close());
    const a = await offeringConsumer(browser, p, { talk: true });
    const st = await decodes(a, 'the talking offering consumer', 30);
    checkAnswer(st.answer, 'sendrecv');
    const loud = () => p.filter((e) => e.event === 'level' && e.rms > -40).length;
    await until('2 s of sound out of the talkback pad', () => loud() >= 20, 30000);
    log(`talkback: ${loud()} loud 100 ms intervals`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
