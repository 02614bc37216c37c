// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Scale-out through Janus (issue 13, docs/scale-out.md): what one producer
// pays for N viewers served directly, against the same N viewers served by
// a Janus VideoRoom the producer publishes into once. In the same run, same
// source (720p30 H.264 at 2 Mbit/s, pre-encoded, as a camera's hardware
// encoder gives it) and the same viewers (webrtclivesrc, no decode: they
// depayload and count frames), N stepping up:
//
//   direct  webrtclivesink's embedded server; the viewers are its consumers
//   janus   webrtclivesink server=janus://…?room=1234; the viewers subscribe
//           through Janus (webrtclivesrc server=janus://…&feed=cam)
//
// Sampled per step over BENCH_MEASURE_S: the producer process's CPU, threads
// and RSS, Janus's CPU, and every viewer's frame rate. Writes
// bench/results/scale-out.{json,png} and the scale-out section of
// docs/benchmarks.md.
//
//   tools/bench.sh scale-out   (private namespace: loopback and a veth nic0)
//   BENCH_STEPS=1,5,10,20  BENCH_MEASURE_S=10
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, sleep, startPipeline, until } from '../tests/e2e/lib.mjs';
import { procStat } from '../tests/e2e/proc.mjs';
import { NIC_ADDRESS, freePort, startJanus } from '../tests/e2e/janus-lib.mjs';
import { RESULTS, machine, renderPng, writeDocSection } from './lib.mjs';

const STEPS = (process.env.BENCH_STEPS || '1,5,10,20').split(',').map(Number);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S || 10);
const ROOM = 1234;
const ICE = `ice-addresses=${NIC_ADDRESS}`;  // Janus does ICE on nic0 only; both modes alike
const PRODUCER_SRC = 'videotestsrc is-live=true pattern=snow ! video/x-raw,width=1280,height=720,framerate=30/1 ! ' +
  'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=2000 ! video/x-h264,profile=constrained-baseline';


// n viewers in one process, each a webrtclivesrc feeding count<i>.
async function startViewers(defer, n, server) {
  const args = [];
  for (let i = 0; i < n; i++) {
    args.push('webrtclivesrc', `server=${server}`, ICE, '!', 'video/x-h264', '!', 'fakesink', `name=count${i}`,
      'sync=false', 'async=false');
  }
  const v = await startPipeline(args, { name: `viewers×${n}` });
  defer(() => v.stop());
  return v;
}

async function frames(viewers) {
  const c = (await viewers.command('counts', 'counts')).counts;
  return Object.keys(c).filter((k) => k.startsWith('count')).map((k) => c[k].buffers);
}

async function measure(mode, producer, janus, n, server, defer) {
  const viewers = await startViewers(defer, n, server);
  await until(`${n} ${mode} viewers receiving`, async () => {
    const f = await frames(viewers);
    return f.length === n && f.every((x) => x > 30);
  }, 60000, 500);
  await sleep(2000);  // settle: joins and keyframes done
  const a = procStat(producer.proc.pid), ja = janus ? procStat(janus.pid) : null;
  const fa = await frames(viewers);
  await sleep(MEASURE_S * 1000);
  const b = procStat(producer.proc.pid), jb = janus ? procStat(janus.pid) : null;
  const fb = await frames(viewers);
  const fps = fb.map((x, i) => (x - fa[i]) / MEASURE_S);
  const row = {
    mode, n,
    cpuPct: +(100 * (b.cpuS - a.cpuS) / MEASURE_S).toFixed(1),
    threads: b.threads,
    rssMb: +b.rssMb.toFixed(1),
    janusCpuPct: janus ? +(100 * (jb.cpuS - ja.cpuS) / MEASURE_S).toFixed(1) : null,
    minFps: +Math.min(...fps).toFixed(1),
  };
  log(JSON.stringify(row));
  await viewers.stop();
  return row;
}

// BENCH_FROM_JSON=1: the report and plot again from the last results, no measuring.
const prior = process.env.BENCH_FROM_JSON === '1' ? JSON.parse(readFileSync(join(RESULTS, 'scale-out.json'), 'utf8')) : null;
const fromJson = prior !== null;
const rows = fromJson ? prior.rows : [];
const deferred = [];
const defer = (fn) => deferred.push(fn);
if (!fromJson) try {
  // Direct: the sink serves every viewer.
  {
    const producer = await startPipeline(`${PRODUCER_SRC} ! webrtclivesink port=0 address=127.0.0.1 ${ICE} video-codecs=h264`,
      { name: 'producer-direct' });
    const server = producer.url.replace('http://', 'ws://');
    const idle = procStat(producer.proc.pid);
    await sleep(3000);
    const idle2 = procStat(producer.proc.pid);
    rows.push({ mode: 'direct', n: 0, cpuPct: +(100 * (idle2.cpuS - idle.cpuS) / 3).toFixed(1), threads: idle2.threads,
      rssMb: +idle2.rssMb.toFixed(1), janusCpuPct: null, minFps: null });
    for (const n of STEPS) rows.push(await measure('direct', producer, null, n, server, defer));
    await producer.stop();
  }
  // Through Janus: the sink publishes once; Janus serves every viewer.
  {
    const janus = await startJanus(defer, { port: await freePort(), rooms: { [ROOM]: { videocodec: 'h264' } } });
    const producer = await startPipeline(
      `${PRODUCER_SRC} ! webrtclivesink ${ICE} server=${janus.roomUrl(`room=${ROOM}&display=cam&videocodec=h264`)}`,
      { name: 'producer-janus' });
    await producer.waitFor('published into the room', (e) => e.event === 'webrtclive-consumer-added', 30000);
    await sleep(3000);
    const a = procStat(producer.proc.pid);
    await sleep(3000);
    const b = procStat(producer.proc.pid);
    rows.push({ mode: 'janus', n: 0, cpuPct: +(100 * (b.cpuS - a.cpuS) / 3).toFixed(1), threads: b.threads,
      rssMb: +b.rssMb.toFixed(1), janusCpuPct: null, minFps: null });
    const server = `janus://127.0.0.1:${janus.port}/?room=${ROOM}&feed=cam`;
    for (const n of STEPS) rows.push(await measure('janus', producer, janus, n, server, defer));
    await producer.stop();
  }
} finally {
  for (const fn of deferred.reverse()) await fn();
}

// Per viewer: from the first step to the last.
const perViewer = (mode, key) => {
  const r = rows.filter((x) => x.mode === mode && x.n > 0);
  const [first, last] = [r[0], r[r.length - 1]];
  return last.n > first.n ? +((last[key] - first[key]) / (last.n - first.n)).toFixed(3) : 0;
};
const out = {
  date: new Date().toISOString(), machine: machine(), measureS: MEASURE_S, rows,
  perViewer: {
    direct: { cpuPct: perViewer('direct', 'cpuPct'), threads: perViewer('direct', 'threads'), rssMb: perViewer('direct', 'rssMb') },
    janus: { cpuPct: perViewer('janus', 'cpuPct'), threads: perViewer('janus', 'threads'), rssMb: perViewer('janus', 'rssMb'),
      janusCpuPct: perViewer('janus', 'janusCpuPct') },
  },
};
mkdirSync(RESULTS, { recursive: true });
if (!fromJson) writeFileSync(join(RESULTS, 'scale-out.json'), JSON.stringify(out, null, 2));

const series = (mode, key) => rows.filter((r) => r.mode === mode && r[key] !== null).map((r) => [r.n, r[key]]);
const lines = {
  'producer, viewers direct': ['#c0392b', series('direct', 'cpuPct')],
  'producer, viewers through Janus': ['#2471a3', series('janus', 'cpuPct')],
  'Janus itself (same machine)': ['#7d8c9a', series('janus', 'janusCpuPct')],
};
const W = 900, H = 520, L = 70, B = 60, T = 40, R = 20;
const all = Object.values(lines).flatMap(([, pts]) => pts);
const xmax = Math.max(...all.map((p) => p[0]), 1), ymax = Math.max(...all.map((p) => p[1]), 10) * 1.1;
const X = (x) => (L + (W - L - R) * x / xmax).toFixed(1), Y = (y) => (H - B - (H - B - T) * y / ymax).toFixed(1);
const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13">`,
  `<rect width="${W}" height="${H}" fill="#fff"/><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - B - T}" fill="none" stroke="#888"/>`,
  `<text x="${L}" y="24" font-size="15">Producer CPU against viewers: served directly, or through Janus (720p30 H.264 2 Mbit/s)</text>`,
  `<text x="${W / 2}" y="${H - 18}">viewers</text>`,
  `<text x="18" y="${H / 2}" transform="rotate(-90 18 ${H / 2})">% of one core</text>`];
for (let i = 0; i <= 5; i++) svg.push(`<text x="${L - 8}" y="${Number(Y(ymax * i / 5)) + 4}" text-anchor="end">${(ymax * i / 5).toFixed(0)}</text>`);
for (const x of [...new Set(all.map((p) => p[0]))]) svg.push(`<text x="${X(x)}" y="${H - B + 18}" text-anchor="middle">${x}</text>`);
let ly = T + 20;
for (const [name, [color, pts]] of Object.entries(lines)) {
  svg.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ')}"/>`);
  for (const [x, y] of pts) svg.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="4" fill="${color}"/>`);
  svg.push(`<rect x="${L + 14}" y="${ly - 10}" width="14" height="4" fill="${color}"/><text x="${L + 34}" y="${ly - 5}">${name}</text>`);
  ly += 20;
}
svg.push('</svg>');
const chart = `<html><body style="margin:0">${svg.join('')}</body></html>`;
await renderPng(chart, join(RESULTS, 'scale-out.png'));

const table = ['| mode | viewers | producer CPU (% core) | producer threads | producer RSS (MB) | Janus CPU (% core) | slowest viewer (fps) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.mode} | ${r.n} | ${r.cpuPct} | ${r.threads} | ${r.rssMb} | ${r.janusCpuPct ?? '–'} | ${r.minFps ?? '–'} |`)];
const sign = (x) => (x < 0 ? '−' : '+') + Math.abs(x);
const last = (mode) => rows.filter((r) => r.mode === mode).slice(-1)[0];
const ratio = (last('direct').cpuPct / Math.max(0.1, last('janus').cpuPct)).toFixed(2);
const section = `<!-- scale-out:begin -->
## Scale-out through Janus (issue 13)

\`tools/bench.sh scale-out\` (${(prior ?? out).date.slice(0, 16).replace('T', ' ')}): one producer of 720p30 H.264 at 2 Mbit/s
(x264 upstream, passed through), N viewers (webrtclivesrc, depayload only, in another process) served directly
by the sink's embedded server, then through a Janus VideoRoom (Debian's janus 1.1) the sink publishes into once.
Everything on this 2-core machine, ICE on the namespace's veth; sampled over ${MEASURE_S} s per step.

${table.join('\n')}

Per added viewer, in the producer: direct **${sign(out.perViewer.direct.cpuPct)} % of a core**, ${sign(out.perViewer.direct.threads)} threads,
${sign(out.perViewer.direct.rssMb)} MB; through Janus **${sign(out.perViewer.janus.cpuPct)} %**, ${sign(out.perViewer.janus.threads)} threads,
${sign(out.perViewer.janus.rssMb)} MB: flat, whatever the audience (Janus itself ${sign(out.perViewer.janus.janusCpuPct)} % per viewer,
on its own machine in a real deployment). At ${last('direct').n} viewers the producer uses ${last('direct').cpuPct} % of a core serving
them itself and ${last('janus').cpuPct} % publishing once (${ratio}×); most of both is the 720p30 source and x264 it runs
in this bench (${rows.find((r) => r.mode === 'direct' && r.n === 0).cpuPct} % with no viewer). Recipe: docs/scale-out.md.

![scale-out](../bench/results/scale-out.png)
<!-- scale-out:end -->`;
writeDocSection('scale-out', section);
console.log(table.join('\n'));
