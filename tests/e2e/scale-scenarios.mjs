// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Joining, as a user meets it (issue 11): the first viewer of a freshly
// started pipeline. The figures live in bench/; these tests check the
// structure: the process's DTLS certificate is made when the sink starts,
// before any viewer, and a page opened right after start shows video.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BUILD_DIR, assert, launchBrowser, log, openViewer, run, sleep, startPipeline, until, waitFrames } from './lib.mjs';

const SRC = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1';
const SINK = 'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';
const MADE = "made the process's DTLS certificate before any viewer came";

const scenarios = {
  async 'sink-first-viewer'(defer) {
    const browser = await launchBrowser();
    defer(() => browser.close());
    const p = await startPipeline(`${SRC} ! ${SINK} video-codecs=h264`, { env: { GST_DEBUG: 'webrtclivesink:4' } });
    defer(() => p.stop());
    // Right after "serving on": the page asks at once.
    const page = await openViewer(browser, p.url);
    const s = await waitFrames(page, 1, 10000);
    const t = s.times;
    log(`first viewer of a fresh sink: offer ${Math.round(t.remoteOffer - t.startSession)} ms, connected ` +
        `${Math.round(t.connected - t.startSession)} ms, first frame ${Math.round(t.firstFrame - t.startSession)} ms after startSession`);
    // The certificate was made at start, once, before the first consumer.
    const made = p.stderr.indexOf(MADE);
    assert(made >= 0, `the sink made the DTLS certificate at start (log: "${MADE}")`);
    assert(p.stderr.indexOf(MADE, made + 1) < 0, 'once');
    // The sink's log, in order: the certificate, then the consumer's DTLS
    // connection (INFO "consumer …: connected").
    const connected = p.stderr.indexOf(': connected; DTLS certificate matches');
    assert(connected > made, `the certificate was made before the first consumer connected (${made} < ${connected})`);
    await waitFrames(page, 30);
  },

  // 100 viewers join within about a second (bench/tools/lite-consumer: real
  // ICE, DTLS and SRTP, no decoding): each gets a keyframe, and the shared
  // encoder is asked for a bounded number of them — one per
  // min-keyframe-interval (500 ms) while joins arrive, not one per joiner.
  async 'sink-join-storm'(defer) {
    const N = 100;
    const p = await startPipeline(`${SRC} ! ${SINK} video-codecs=h264 producer-name=storm`, { nofile: 8192 });
    defer(() => p.stop());
    const metrics = async () => (await (await fetch(p.url + 'metrics')).text());
    const forced = (text) => Number(/^webrtclive_keyframes_forced_total (\d+)/m.exec(text)[1]);
    await sleep(1000);
    const before = forced(await metrics());
    const joined = [];
    const t0 = Date.now();
    const c = spawn('prlimit', ['--nofile=8192:8192', '--', join(BUILD_DIR, 'bench', 'lite-consumer'),
      '--url', p.url.replace('http://', 'ws://') + 'ws', '--producer', 'storm', '--count', String(N),
      '--join-interval-ms', '10', '--seconds', '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    defer(() => new Promise((r) => { if (c.exitCode !== null) r(); c.on('exit', r); c.kill('SIGTERM'); }));
    let buf = '';
    c.stdout.on('data', (d) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        try {
          const ev = JSON.parse(buf.slice(0, i));
          if (ev.event === 'joined') joined.push(ev);
        } catch { /* not JSON */ }
      }
    });
    await until(`${N} viewers with a keyframe`, () => joined.length >= N, 60000, 100);
    const window = Date.now() - t0;
    await sleep(1500);  // late requests would be counted by now
    const n = forced(await metrics()) - before;
    const ms = joined.map((j) => j.ms_to_first_keyframe).sort((a, b) => a - b);
    log(`${N} joins in ${window} ms: first keyframe p50 ${ms[N >> 1]} ms, max ${ms[N - 1]} ms; keyframes forced ${n}`);
    const bound = Math.ceil(window / 500) + 2;
    assert(n >= 1, 'the joiners got a keyframe forced');
    assert(n <= bound, `at most one keyframe per 500 ms window while ${N} viewers joined (${n} > ${bound})`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
run(name, scenarios[name]);
