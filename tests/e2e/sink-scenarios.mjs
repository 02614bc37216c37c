// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink as users meet it: several browsers, joins mid-GOP, a
// consumer that never connects, input Chromium cannot decode, a port in use,
// bad input. One scenario per process: `node sink-scenarios.mjs <name>`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assert, launchBrowser, log, openViewer, run, sleep, startPipeline, state, until, waitFrames,
} from './lib.mjs';

const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const SINK = 'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';

async function setup(defer, pipeline) {
  const p = await startPipeline(pipeline);
  defer(() => p.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  return { p, browser };
}

// A sink, a viewer playing it, and a blank page of the same origin for a
// hand-scripted signalling client (at `ws`) to misbehave beside that viewer.
async function beside(defer) {
  const { p, browser } = await setup(defer, `${SRC} ! ${SINK}`);
  const good = await openViewer(browser, p.url);
  await waitFrames(good, 30);
  const page = await browser.newPage();
  await page.goto(p.url + 'health');
  return { p, browser, good, page, ws: p.url.replace('http', 'ws') + 'ws' };
}

const framesOf = async (page) => (await state(page)).stats?.framesDecoded ?? 0;

// A viewer that signals normally but never lets ICE start: it sends none of
// its candidates and ignores ours. The SDP exchange completes; the
// connection never does.
const STALL_SCRIPT = `
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Orig {
    addIceCandidate() { return Promise.resolve(); }
    set onicecandidate(_) {}
    get onicecandidate() { return null; }
    addEventListener(t, l, o) { if (t !== 'icecandidate') super.addEventListener(t, l, o); }
  };`;

// A signalling client written by hand, in the page, so the test controls
// every message: `steps` decides what to answer.
async function scriptedConsumer(page, wsUrl, answerFn) {
  return page.evaluate(async ({ wsUrl, answerSrc }) => {
    const answerFn = eval(answerSrc);
    const log = [];
    const ws = new WebSocket(wsUrl);
    const send = (m) => ws.send(JSON.stringify(m));
    return await new Promise((resolve) => {
      let sid = null;
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        log.push(m);
        if (m.type === 'welcome') {
          send({ type: 'setProtocolVersion', version: 'v1_1' });
          send({ type: 'setPeerStatus', roles: ['listener'], meta: null });
          send({ type: 'list' });
        } else if (m.type === 'list' && m.producers.length) {
          send({ type: 'startSession', peerId: m.producers[0].id });
        } else if (m.type === 'sessionStarted') {
          sid = m.sessionId;
        } else if (m.type === 'peer' && m.sdp) {
          send({ type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: answerFn(m.sdp.sdp) } });
        } else if (m.type === 'endSessionV1_1' || m.type === 'endSession') {
          resolve({ ended: m, log });
        }
      };
      setTimeout(() => resolve({ ended: null, log }), 15000);
    });
  }, { wsUrl, answerSrc: answerFn.toString() });
}

// Remembers every RTCPeerConnection the page makes, so a test can close one
// behind the page's back.
const TRACK_PCS = `
  const Orig = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Orig {
    constructor(...a) { super(...a); window.__pcs.push(this); }
  };`;

const scenarios = {
  async 'two-browsers'(defer) {
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK}`);
    const a = await openViewer(browser, p.url);
    const b = await openViewer(browser, p.url);
    await waitFrames(a, 60);
    await waitFrames(b, 60);
    await a.close();
    await p.waitFor('consumer-removed', (e) => e.event === 'webrtclive-consumer-removed');
    const before = await framesOf(b);
    await sleep(2000);
    const after = await framesOf(b);
    log(`remaining viewer decoded ${after - before} frames in 2 s after the other left`);
    assert(after - before >= 30, `remaining viewer kept decoding (${after - before} frames in 2 s)`);
    assert(!p.find((e) => e.event === 'error'), 'no error on the bus');
  },

  async 'three-consumers-one-encoder'(defer) {
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} video-codecs=h264`);
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push(await openViewer(browser, p.url));
    for (const pg of pages) await waitFrames(pg, 60);
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 1, `${enc.count} encoders for three H.264 consumers, expected exactly 1`);
    const stats = await p.command('stats', 'stats');
    log('sink stats', stats.stats);
    assert(/consumers=\(uint\)3/.test(stats.stats), 'three consumers counted');
  },

  async 'gop-join'(defer) {
    // A 10 s GOP from an upstream encoder: without forced keyframes a joiner
    // waits up to 10 s for its first picture.
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=300 ! ${SINK}`);
    await sleep(3000); // well into the first GOP
    const page = await openViewer(browser, p.url);
    const s = await waitFrames(page, 1, 15000);
    const joinToFrame = s.times.firstFrame - s.times.startSession;
    const connectedToFrame = s.times.firstFrame - s.times.connected;
    log(`join→first frame ${joinToFrame.toFixed(0)} ms, connected→first frame ${connectedToFrame.toFixed(0)} ms`);
    assert(joinToFrame <= 1000, `first frame ${joinToFrame.toFixed(0)} ms after joining (limit 1000 ms)`);
  },

  async 'stalled-consumer'(defer) {
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK}`);
    const stalled = await openViewer(browser, p.url, 'autoplay=1', { initScript: STALL_SCRIPT });
    await until('the stalled viewer to get its offer', async () => (await state(stalled)).times.remoteOffer, 10000);
    const good = await openViewer(browser, p.url);
    const s = await waitFrames(good, 60);
    const st = await state(stalled);
    log(`stalled viewer: ${st.connectionState}, frames ${st.stats?.framesDecoded ?? 0}; good viewer: ${s.stats.framesDecoded}`);
    assert(st.connectionState !== 'connected', 'the stalled viewer never connected');
    const before = await framesOf(good);
    await sleep(2000);
    assert((await framesOf(good)) - before >= 30, 'the good viewer keeps decoding next to the stalled one');
  },

  async 'h264-high-input'(defer) {
    // Chromium (Debian) cannot decode H.264 High; webrtcbin 1.22 aborts the
    // process if the m-line is rejected. The sink offers a transcoded
    // constrained-baseline stream instead, shared by such consumers.
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=30 ! video/x-h264,profile=high ! ${SINK}`);
    const a = await openViewer(browser, p.url);
    const b = await openViewer(browser, p.url);
    const s = await waitFrames(a, 60);
    await waitFrames(b, 60);
    assert(s.stats.frameWidth === W && s.stats.frameHeight === H, 'transcoded stream has the input size');
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 1, `one shared transcoder for both consumers (found ${enc.count} encoders)`);
    assert(p.proc.exitCode === null, 'the process is alive');
  },

  async 'h264-high-no-transcode'(defer) {
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=veryfast ! video/x-h264,profile=high ! ${SINK} transcode=false`);
    const page = await openViewer(browser, p.url);
    const st = await until('the viewer to be told', async () => {
      const s = await state(page);
      return s.ended ? s : null;
    }, 15000);
    log('viewer ended with', JSON.stringify(st.ended), 'errors', JSON.stringify(st.errors));
    const w = await p.waitFor('a warning', (e) => e.event === 'warning');
    assert(/nothing a browser can take/.test(w.message), `warning explains: ${w.message}`);
    assert(p.proc.exitCode === null, 'the process is alive');
  },

  async 'rejected-mline'(defer) {
    // A consumer answers with the video m-line rejected (port 0): it is told
    // why, the process survives, and a normal viewer keeps playing.
    const { p, good, page, ws } = await beside(defer);
    const r = await scriptedConsumer(page, ws, (offer) =>
      offer.replace(/m=video \d+/, 'm=video 0').replace(/a=sendonly/g, 'a=inactive').replace(/a=setup:actpass/g, 'a=setup:active'));
    log('scripted consumer got', JSON.stringify(r.ended));
    assert(r.ended && r.ended.type === 'endSessionV1_1', 'the consumer is told its session ended');
    assert(/rejected/.test(r.ended.error || ''), `with the reason: ${r.ended.error}`);
    const before = await framesOf(good);
    await sleep(1500);
    assert((await framesOf(good)) - before >= 20, 'the other viewer keeps decoding');
    assert(p.proc.exitCode === null, 'the process is alive');
  },

  async 'dtls-fingerprint-mismatch'(defer) {
    // A consumer whose DTLS certificate is not the one its answer announces
    // (what a man in the middle looks like): GStreamer 1.22 does not check
    // (CVE-2026-14935); the sink does, once DTLS is up, and drops it.
    const { p, good, page, ws } = await beside(defer);
    const result = await page.evaluate(async (wsUrl) => {
      const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
      const sock = new WebSocket(wsUrl);
      const send = (m) => sock.send(JSON.stringify(m));
      let sid = null;
      const early = [];
      pc.onicecandidate = (e) => {
        if (!e.candidate || !e.candidate.candidate) return;
        const m = { type: 'peer', ice: { candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex } };
        if (sid) send({ ...m, sessionId: sid }); else early.push(m);
      };
      return await new Promise((resolve) => {
        let chain = Promise.resolve();
        sock.onmessage = (ev) => { chain = chain.then(async () => {
          const m = JSON.parse(ev.data);
          if (m.type === 'welcome') {
            send({ type: 'setProtocolVersion', version: 'v1_1' });
            send({ type: 'setPeerStatus', roles: ['listener'], meta: null });
            send({ type: 'list' });
          } else if (m.type === 'list' && m.producers.length) {
            send({ type: 'startSession', peerId: m.producers[0].id });
          } else if (m.type === 'sessionStarted') {
            sid = m.sessionId;
            for (const e of early.splice(0)) send({ ...e, sessionId: sid });
          } else if (m.type === 'peer' && m.sdp) {
            await pc.setRemoteDescription(m.sdp);
            const answer = await pc.createAnswer();
            await pc.setLocalDescription(answer);
            // Announce another certificate than the one DTLS will present.
            const forged = answer.sdp.replace(/(a=fingerprint:sha-256 )([0-9A-F:]+)/g,
              (all, k, fp) => k + fp.split(':').map((b) => (b === '00' ? '01' : '00')).join(':'));
            send({ type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: forged } });
          } else if (m.type === 'peer' && m.ice) {
            await pc.addIceCandidate(m.ice).catch(() => {});
          } else if (m.type === 'endSessionV1_1' || m.type === 'endSession') {
            resolve({ ended: m, state: pc.connectionState });
          }
        }); };
        setTimeout(() => resolve({ ended: null, state: pc.connectionState }), 15000);
      });
    }, ws);
    log('forged consumer:', JSON.stringify(result));
    assert(result.ended && /DTLS/.test(result.ended.error || ''), `the consumer is refused for its certificate: ${JSON.stringify(result.ended)}`);
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /DTLS/.test(e.message));
    log('sink warned:', w.message);
    const before = await framesOf(good);
    await sleep(1000);
    assert((await framesOf(good)) > before, 'the honest viewer keeps decoding');
  },

  async 'embedded-token'(defer) {
    // The embedded server with a token: the page passes ?token= on; without
    // it the WebSocket is refused (HTTP 401) and nothing plays.
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} signaller::token=letmein`);
    const denied = await openViewer(browser, p.url);
    const viewer = await openViewer(browser, p.url, 'autoplay=1&token=letmein');
    await waitFrames(viewer, 60);
    const d = await state(denied);
    log('without the token:', d.signalling, JSON.stringify(d.stats.framesDecoded));
    assert(d.signalling !== 'open' && !(d.stats.framesDecoded > 0), 'the page without the token gets nothing');
  },

  async 'vanished-consumer'(defer) {
    // A viewer whose media dies while its signalling socket stays open (a
    // network cut the WebSocket has not noticed yet): no RTCP any more. The
    // sink drops it after peer-timeout; a healthy viewer is never dropped.
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} peer-timeout=3`);
    const good = await openViewer(browser, p.url);
    const gone = await openViewer(browser, p.url, 'autoplay=1', { initScript: TRACK_PCS });
    await waitFrames(good, 30);
    await waitFrames(gone, 30);
    await gone.evaluate(() => {
      // Close the peer connection behind the page's back; the socket stays.
      for (const pc of window.__pcs || []) pc.close();
    });
    const removed = await p.waitFor('the vanished consumer to be dropped',
      (e) => e.event === 'webrtclive-consumer-removed' && /RTCP/.test(e.reason || ''), 15000);
    log('dropped:', removed.reason);
    await sleep(4000);  // longer than peer-timeout: the healthy one stays
    const removals = p.events.filter((e) => e.event === 'webrtclive-consumer-removed').length;
    assert(removals === 1, `only the vanished consumer was dropped (${removals} removals)`);
    const before = await framesOf(good);
    await sleep(1000);
    assert((await framesOf(good)) > before, 'the healthy viewer keeps decoding');
  },

  async 'malformed-signalling'(defer) {
    const { p, good, page, ws } = await beside(defer);
    const replies = await page.evaluate(async (wsUrl) => {
      const ws = new WebSocket(wsUrl);
      const got = [];
      ws.onmessage = (e) => got.push(JSON.parse(e.data));
      await new Promise((r) => (ws.onopen = r));
      for (const bad of ['not json', '[1,2]', '{"no":"type"}', '{"type":"bogus"}',
        '{"type":"startSession"}', '{"type":"peer","sessionId":"nope","ice":{"candidate":"x","sdpMLineIndex":0}}',
        '{"type":"setPeerStatus","roles":["producer","consumer"],"meta":null}']) ws.send(bad);
      ws.send('{"type":"list"}');
      await new Promise((r) => setTimeout(r, 1000));
      return { got, open: ws.readyState === WebSocket.OPEN };
    }, ws);
    const errors = replies.got.filter((m) => m.type === 'error').map((m) => m.details);
    log('error replies:', JSON.stringify(errors));
    assert(errors.length === 7, `one error per malformed message (${errors.length})`);
    assert(errors.some((e) => /invalid JSON/.test(e)), 'invalid JSON named');
    assert(errors.some((e) => /unknown message type 'bogus'/.test(e)), 'unknown type named');
    assert(errors.some((e) => /peerId/.test(e)), 'missing field named');
    assert(replies.open, 'the connection stays open');
    assert(replies.got.some((m) => m.type === 'list' && m.producers.length === 1), 'a valid request is still served');
    const before = await framesOf(good);
    await sleep(1000);
    assert((await framesOf(good)) > before, 'the viewer keeps decoding');
  },

  async 'port-in-use'(defer) {
    const first = await startPipeline(`${SRC} ! ${SINK}`);
    defer(() => first.stop());
    const port = new URL(first.url).port;
    const second = await startPipeline(
      `${SRC} ! webrtclivesink port=${port} address=127.0.0.1`, { expectStart: false });
    defer(() => second.stop());
    const err = await second.waitFor('an error', (e) => e.event === 'error');
    log('error:', err.message);
    assert(err.message.includes(port), `the error names port ${port}: ${err.message}`);
    assert(/in use/i.test(err.message), 'and says it is in use');
  },

  async 'unsupported-caps'(defer) {
    // A JPEG file reaches the sink through typefind (linked before the
    // type is known, as decodebin-style pipelines do).
    const dir = mkdtempSync(join(tmpdir(), 'webrtclive-'));
    defer(async () => rmSync(dir, { recursive: true, force: true }));
    const jpeg = join(dir, 'frame.jpg');
    execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1', '!', 'jpegenc', '!', 'filesink', `location=${jpeg}`]);
    const p = await startPipeline(`filesrc location=${jpeg} ! typefind ! ${SINK}`, { expectStart: false });
    defer(() => p.stop());
    const err = await p.waitFor('an error', (e) => e.event === 'error');
    log('error:', err.message);
    assert(err.src === 'sink', `posted by the sink first, not upstream (src ${err.src})`);
    assert(/image\/jpeg/.test(err.message) && /H\.264/.test(err.message) && /raw video/.test(err.message),
      `the error says what came and what is accepted: ${err.message}`);
    await p.waitFor('upstream to stop with not-negotiated', (e) => e.event === 'error' && /not-negotiated/.test(e.debug), 5000);
  },

  async 'audio-video'(defer) {
    const { p, browser } = await setup(defer,
      `${SRC} ! ${SINK} audiotestsrc is-live=true wave=ticks ! sink.`);
    const page = await openViewer(browser, p.url);
    await waitFrames(page, 60);
    const s = await until('audio packets', async () => {
      const st = await state(page);
      return st.stats.audioPacketsReceived > 0 ? st : null;
    }, 10000);
    log('audio', s.stats.audioCodec, s.stats.audioPacketsReceived, 'streams', s.streamCount, s.trackKinds);
    assert(s.streamCount === 1 && s.trackKinds.includes('audio') && s.trackKinds.includes('video'),
      'one MediaStream with an audio and a video track');
    assert(/opus/i.test(s.stats.audioCodec), 'audio is Opus');
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
