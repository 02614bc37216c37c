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
import { NIC_ADDRESS, freePort, startJanus } from '../tests/e2e/janus-lib.mjs';
import { RESULTS, machine, renderPng, writeDocSection } from './lib.mjs';

const STEPS = (process.env.BENCH_STEPS || '1,5,10,20').split(',').map(Number);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S || 10);
const TICK = 100;  // USER_HZ
const ROOM = 1234;
const ICE = `ice-addresses=${NIC_ADDRESS}`;  // Janus does ICE on nic0 only; both modes alike
const PRODUCER_SRC = 'videotestsrc is-live=true pattern=snow ! video/x-raw,width=1280,height=720,framerate=30/1 ! ' +
  'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=2000 ! video/x-h264,profile=constrained-baseline';

function procStat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuS: (Number(rest[11]) + Number(rest[12])) / TICK,
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
  };
}

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

const rows = [];
const deferred = [];
const defer = (fn) => deferred.push(fn);
try {
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
      `${PRODUCER_SRC} ! webrtclivesink ${ICE} server=${janus.sinkUrl(`room=${ROOM}&display=cam&videocodec=h264`)}`,
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
writeFileSync(join(RESULTS, 'scale-out.json'), JSON.stringify(out, null, 2));

const series = (mode, key) => rows.filter((r) => r.mode === mode).map((r) => [r.n, r[key]]);
const chart = `<html><body style="margin:0;font:14px sans-serif">
<canvas id="c" width="900" height="520"></canvas>
<script>
const s = ${JSON.stringify({ direct: series('direct', 'cpuPct'), janus: series('janus', 'cpuPct'), janusSelf: series('janus', 'janusCpuPct').filter((p) => p[1] !== null) })};
const g = document.getElementById('c').getContext('2d');
const W = 900, H = 520, L = 70, B = 60, T = 40, R = 20;
const xs = [].concat(...Object.values(s)).map((p) => p[0]), ys = [].concat(...Object.values(s)).map((p) => p[1]);
const xmax = Math.max(...xs, 1), ymax = Math.max(...ys, 10) * 1.1;
const X = (x) => L + (W - L - R) * x / xmax, Y = (y) => H - B - (H - B - T) * y / ymax;
g.fillStyle = '#fff'; g.fillRect(0, 0, W, H); g.strokeStyle = '#888'; g.strokeRect(L, T, W - L - R, H - B - T);
g.fillStyle = '#000'; g.fillText('Producer CPU (% of one core) against viewers: direct vs through Janus', L, 24);
g.fillText('viewers', W / 2, H - 20); g.save(); g.translate(20, H / 2); g.rotate(-Math.PI / 2); g.fillText('% of one core', 0, 0); g.restore();
for (let i = 0; i <= 5; i++) { const y = ymax * i / 5; g.fillText(y.toFixed(0), 30, Y(y) + 4); }
for (const x of [...new Set(xs)]) g.fillText(String(x), X(x) - 4, H - B + 16);
const colors = { direct: '#c0392b', janus: '#2471a3', janusSelf: '#7d8c9a' };
const names = { direct: 'producer, viewers direct', janus: 'producer, viewers through Janus', janusSelf: 'Janus itself' };
let ly = T + 16;
for (const [k, pts] of Object.entries(s)) {
  g.strokeStyle = colors[k]; g.lineWidth = 2; g.beginPath();
  pts.forEach(([x, y], i) => (i ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y)))); g.stroke();
  g.fillStyle = colors[k]; pts.forEach(([x, y]) => g.fillRect(X(x) - 3, Y(y) - 3, 6, 6));
  g.fillText(names[k], L + 12, ly); ly += 18;
}
</script></body></html>`;
await renderPng(chart, join(RESULTS, 'scale-out.png'));

const table = ['| mode | viewers | producer CPU (% core) | producer threads | producer RSS (MB) | Janus CPU (% core) | slowest viewer (fps) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.mode} | ${r.n} | ${r.cpuPct} | ${r.threads} | ${r.rssMb} | ${r.janusCpuPct ?? '–'} | ${r.minFps ?? '–'} |`)];
const last = (mode) => rows.filter((r) => r.mode === mode).slice(-1)[0];
const ratio = (last('direct').cpuPct / Math.max(0.1, last('janus').cpuPct)).toFixed(2);
const section = `<!-- scale-out:begin -->
## Scale-out through Janus (issue 13)

\`tools/bench.sh scale-out\` (${out.date.slice(0, 16).replace('T', ' ')}): one producer of 720p30 H.264 at 2 Mbit/s
(x264 upstream, passed through), N viewers (webrtclivesrc, depayload only, in another process) served directly
by the sink's embedded server, then through a Janus VideoRoom (Debian's janus 1.1) the sink publishes into once.
Everything on this 2-core machine, ICE on the namespace's veth; sampled over ${MEASURE_S} s per step.

${table.join('\n')}

Per added viewer: direct **+${out.perViewer.direct.cpuPct} % of a core**, +${out.perViewer.direct.threads} threads,
+${out.perViewer.direct.rssMb} MB in the producer; through Janus **+${out.perViewer.janus.cpuPct} %**,
+${out.perViewer.janus.threads} threads, +${out.perViewer.janus.rssMb} MB in the producer (Janus itself
+${out.perViewer.janus.janusCpuPct} % per viewer). At ${last('direct').n} viewers the producer pays ${ratio}× more CPU
serving them itself than publishing once. Recipe: docs/scale-out.md.

![scale-out](../bench/results/scale-out.png)
<!-- scale-out:end -->`;
writeDocSection('scale-out', section);
console.log(table.join('\n'));
