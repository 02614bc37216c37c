// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Headless Chromium opens the served page and decodes video from
// webrtclivesink: raw input encoded inside the element, and pre-encoded input
// passed through, for H.264 and VP8.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, launchBrowser, log, openViewer, run, startPipeline, state, until, waitFrames } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const SINK = 'webrtclivesink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';
const cases = {
  'h264-raw': { pipeline: `${SRC} ! ${SINK} video-codecs=h264`, codec: 'H264' },
  'vp8-raw': { pipeline: `${SRC} ! ${SINK} video-codecs=vp8`, codec: 'VP8' },
  'vp9-raw': { pipeline: `${SRC} ! ${SINK} video-codecs=vp9`, codec: 'VP9' },
  'h264-encoded': {
    pipeline: `${SRC} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline ! ${SINK}`,
    codec: 'H264',
  },
  'vp8-encoded': { pipeline: `${SRC} ! vp8enc deadline=1 keyframe-max-dist=30 ! ${SINK}`, codec: 'VP8' },
};
// The README's demo, exactly as tools/demo.sh runs it (on a free port).
const demo = execFileSync(join(HERE, '..', '..', 'tools', 'demo.sh'), ['--print-pipeline'],
  { env: { ...process.env, PORT: '0' } }).toString().trim();
cases.demo = { pipeline: `${demo.replace('producer-name=demo', 'producer-name=demo address=127.0.0.1 ice-addresses=127.0.0.1')}`,
  codec: 'H264', width: 1280, height: 720, audio: true };
const which = process.argv[2];
const c = cases[which];
if (!c) throw new Error(`unknown case ${which}; one of ${Object.keys(cases)}`);

run(`browser decodes ${which}`, async (defer) => {
  const p = await startPipeline(c.pipeline);
  defer(() => p.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await openViewer(browser, p.url);
  const s = await waitFrames(page, 60);
  log('stats', JSON.stringify(s.stats), 'times', JSON.stringify(s.times));
  const w = c.width || W, h = c.height || H;
  assert(s.stats.frameWidth === w && s.stats.frameHeight === h, `frame size ${s.stats.frameWidth}x${s.stats.frameHeight}`);
  if (c.audio) await until('audio packets', async () => (await state(page)).stats.audioPacketsReceived > 0, 10000);
  assert(String(s.stats.codec).toUpperCase().includes(c.codec), `codec ${s.stats.codec}, expected ${c.codec}`);
  assert(!p.find((e) => e.event === 'error'), 'no error on the bus');
  const enc = await p.command('encoders', 'encoders');
  const expected = which.endsWith('encoded') ? 0 : which === 'demo' ? 2 : 1;
  assert(enc.count === expected, `${enc.count} encoders in the sink, expected ${expected}`);
});
