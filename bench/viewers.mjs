// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Cost of viewers: one webrtclivesink (720p30 H.264, encoded once inside the
// sink) and N werift consumers (pure TypeScript WebRTC: they receive RTP and
// do not decode, so the machine's cores go to the sink). For each N it
// measures the sink process over 10 s: CPU (% of one core), threads, RSS,
// and checks every consumer receives packets. Compare with the anchor in
// ../shared/docs/webrtcbin-1.22-facts.md: an encoder per viewer (the
// gst-plugins-rs webrtcsink design) costs +20.6 % of a core per viewer.
//
//   tools/bench.sh viewers            (inside a private network namespace)
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPipeline, sleep, log, until } from '../tests/e2e/lib.mjs';
import { procStat } from '../tests/e2e/proc.mjs';
import { RESULTS, ROOT, writeDocSection } from './lib.mjs';

const COUNTS = (process.env.BENCH_VIEWERS || '0,1,2,4,8,12').split(',').map(Number);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S || 10);


function startViewer(ws) {
  const p = spawn(process.execPath, [join(ROOT, 'tests', 'e2e', 'werift-consumer.mjs'), ws, 'bench', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  p.packets = 0;
  p.stdout.on('data', (d) => {
    const m = /packets (\d+)\s*$/.exec(String(d).trim());
    if (m) p.packets = Number(m[1]);
  });
  return p;
}

const results = [];
const sink = await startPipeline(
  'videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 ! ' +
  'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1 producer-name=bench video-codecs=vp8,h264');
const ws = sink.url.replace('http://', 'ws://') + 'ws';
const pid = sink.proc.pid;
const viewers = [];
try {
  for (const n of COUNTS) {
    while (viewers.length < n) viewers.push(startViewer(ws));
    if (n > 0) await until(`${n} viewers receiving`, () => viewers.every((v) => v.packets > 0), 60000, 250);
    await sleep(3000);  // settle: joins, keyframes
    const a = procStat(pid);
    const packetsA = viewers.map((v) => v.packets);
    await sleep(MEASURE_S * 1000);
    const b = procStat(pid);
    const rates = viewers.map((v, i) => (v.packets - packetsA[i]) / MEASURE_S);
    const row = {
      viewers: n,
      cpuPct: +(100 * (b.cpuS - a.cpuS) / MEASURE_S).toFixed(1),
      threads: b.threads,
      rssMb: +b.rssMb.toFixed(1),
      minPacketsPerS: rates.length ? Math.round(Math.min(...rates)) : null,
    };
    const enc = await sink.command('encoders', 'encoders');
    row.encoders = enc.count;
    results.push(row);
    log(JSON.stringify(row));
  }
} finally {
  for (const v of viewers) v.kill('SIGTERM');
  await sink.stop();
}

// Marginal cost: from the first row with a viewer (the encoder exists from
// then on) to the last, so the one-off encode is not spread over viewers.
const idle = results.find((r) => r.viewers === 0);
const base = results.find((r) => r.viewers > 0) || results[0];
const last = results[results.length - 1];
const perViewer = last.viewers > base.viewers ? (last.cpuPct - base.cpuPct) / (last.viewers - base.viewers) : 0;
const out = {
  date: new Date().toISOString(), source: '720p30 videotestsrc pattern=ball, VP8 (shared encoder)',
  measureS: MEASURE_S, results, cpuPerViewerPct: +perViewer.toFixed(2),
  threadsPerViewer: last.viewers > base.viewers ? (last.threads - base.threads) / (last.viewers - base.viewers) : 0,
  rssPerViewerMb: last.viewers > base.viewers ? +((last.rssMb - base.rssMb) / (last.viewers - base.viewers)).toFixed(2) : 0,
};
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'viewers.json'), JSON.stringify(out, null, 2));

const table = ['| viewers | sink CPU (% of a core) | threads | RSS (MB) | shared encoders | slowest viewer (RTP pkt/s) |',
  '|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.viewers} | ${r.cpuPct} | ${r.threads} | ${r.rssMb} | ${r.encoders} | ${r.minPacketsPerS ?? '–'} |`)];
const section = `<!-- viewers:begin -->
## Cost per viewer (one encoder, N consumers)

${out.source}; N werift consumers (receive RTP, no decode) in other processes;
sink process measured over ${MEASURE_S} s per row with /proc. Reproduce: \`tools/bench.sh viewers\`.

${table.join('\n')}

Per added viewer (from ${base.viewers} to ${last.viewers} viewers): **+${out.cpuPerViewerPct} % of a core**,
+${out.threadsPerViewer} threads, +${out.rssPerViewerMb} MB RSS. The first viewer costs the
encoder (${idle ? (base.cpuPct - idle.cpuPct).toFixed(1) : '?'} % of a core for this simple picture; a camera costs more);
the encoder count stays at one whatever N is: the encode is paid once. The anchor, an encoder per viewer as gst-plugins-rs
webrtcsink does, measured +20.6 % of a core and +20 MB per viewer on this kind
of machine (../shared/docs/webrtcbin-1.22-facts.md), i.e. about 8 viewers on 2
cores; the per-viewer cost here is the payloader, SRTP and webrtcbin's
threads. Threads, not CPU, grow fastest (webrtcbin brings its own).
<!-- viewers:end -->`;
writeDocSection('viewers', section);
console.log(table.join('\n'));
console.log(`per viewer: +${out.cpuPerViewerPct} % CPU, +${out.threadsPerViewer} threads, +${out.rssPerViewerMb} MB`);
