// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The layer ladder under load (issue 15): 20 viewers of one webrtclivesink
// fed 1280x720 noise at 30 fps (webrtclivestamp'd), 5 of them each behind a
// link capped at 400 kbit/s (tc tbf, tests/e2e/netns.mjs). In the same run:
//
//   single        no ladder (video-layers unset, one encoder at 2500 kbit/s),
//                 nobody capped
//   single-cap    no ladder, 5 viewers capped
//   ladder        video-layers=1280x720@2500,640x360@800,320x180@250, nobody capped
//   ladder-cap    the ladder, 5 viewers capped
//   P             an encoder per viewer (the gst-plugins-rs webrtcsink design:
//                 bench/tools/scale-baseline --mode per-consumer at 2500
//                 kbit/s) with 1, 2, 4 lite-consumers: its CPU per viewer,
//                 projected to 20 (2 cores cannot run 20 720p encoders)
//
// Per run, over BENCH_MEASURE_S (20) s after the caps had BENCH_SETTLE_S (8) s:
// the sender's CPU; the uncapped viewers' frame rate, and glass-to-glass
// latency at the probes; the capped viewers' freeze time (gaps of 200 ms or
// more between decoded frames) from the cap on, their frame rate and layer.
// Ratios compare the uncapped viewers with and without capped ones beside
// them. Writes bench/results/layers.{json,png} and the layers section of
// docs/benchmarks.md.
//
// Viewers (decision: docs/benchmarks.md, layers section): webrtclivesrc
// processes (tests/tools/live-runner), not bench/tools/lite-consumer, which
// sends no TWCC feedback and decodes nothing. The capped ones and the
// latency probes decode (webrtclivesrc's decoder; the probes read the stamps
// with webrtclivestampread); the other uncapped ones take the encoded video
// (no decoder: ~1.6 % of a core each instead of ~5.6 %), so that 20 viewers
// and the sender fit on 2 cores.
//
//   tools/bench.sh layers
//   BENCH_VIEWERS=20 BENCH_CAPPED=5 BENCH_PROBES=3 BENCH_MEASURE_S=20 BENCH_SETTLE_S=8
//   BENCH_RUNS=single,single-cap,ladder,ladder-cap,P BENCH_P_STEPS=1,2,4
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, sleep, startPipeline, until } from '../tests/e2e/lib.mjs';
import { procStat } from '../tests/e2e/proc.mjs';
import {
  LADDER, NOISE, consumerAt, fpsWindows, frozen, sizesText, startViewer, statsLine, switchedOf, viewerSite,
} from '../tests/e2e/layer-lib.mjs';
import { RESULTS, machine, median, percentile, renderPng, writeDocSection } from './lib.mjs';
import { startBaseline, startConsumers, stopAllProcs } from './load.mjs';

const N = Number(process.env.BENCH_VIEWERS || 20);
const CAPPED = Number(process.env.BENCH_CAPPED || 5);
const PROBES = Number(process.env.BENCH_PROBES || 3);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S || 20);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S || 8);
const RUNS = (process.env.BENCH_RUNS || 'single,single-cap,ladder,ladder-cap,P').split(',');
const P_STEPS = (process.env.BENCH_P_STEPS || '1,2,4').split(',').map(Number);
const CAP_KBIT = 400;
const TOP_KBPS = 2500;
const NAME = 'layers';

const LABELS = {
  single: 'one encoder, nobody capped',
  'single-cap': `one encoder, ${CAPPED} capped`,
  ladder: 'ladder, nobody capped',
  'ladder-cap': `ladder, ${CAPPED} capped`,
  P: 'an encoder per viewer (webrtcsink design)',
};

// lib.mjs logs every bus event; 30 latency readings a second per probe would
// drown the rest.
const consoleLog = console.log;
console.log = (...args) => {
  if (args.some((a) => typeof a === 'string' && /"event":"(webrtclive-latency|webrtclive-stats|counts)"/.test(a))) return;
  consoleLog(...args);
};

const cleanups = [];
const defer = (fn) => cleanups.push(fn);
async function cleanup(list) {
  for (const fn of list.splice(0).reverse()) await Promise.resolve(fn()).catch((e) => log(`cleanup: ${e}`));
}

// ------------------------------------------------------------------ one run

// Viewer k (1..N): 1..CAPPED in namespaces of their own (capped in *-cap runs),
// the next PROBES decode and read stamps, the rest take encoded video; all
// but the capped ones on loopback.
const kind = (k) => (k <= CAPPED ? 'capped' : k <= CAPPED + PROBES ? 'probe' : 'plain');
const TAIL = { capped: '', probe: 'webrtclivestampread', plain: 'video/x-h264' };

const r1 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 10) / 10);

async function measureRun(id, sites) {
  const ladder = id.startsWith('ladder');
  const capping = id.endsWith('-cap');
  const local = [];
  const ice = ['127.0.0.1', ...sites.map((s) => s.sinkAddr)].join(',');
  const p = await startPipeline(`${NOISE} ! webrtclivestamp ! webrtclivesink name=sink port=0 producer-name=${NAME} ` +
    `video-codecs=h264 max-consumers=0 stats-interval=1000 ice-addresses=${ice} ` +
    (ladder ? `video-layers=${LADDER}` : `video-bitrate=${TOP_KBPS}`), { name: id });
  local.push(() => p.stop());
  try {
    const port = new URL(p.url).port;
    const viewers = [];
    for (let k = 1; k <= N; k++) {
      const site = k <= CAPPED ? sites[k - 1] : null;
      const r = await startViewer(site, port, { name: `${id}-v${k}`, tail: TAIL[kind(k)], loopback: !site });
      local.push(() => r.stop());
      viewers.push({ k, kind: kind(k), site, r });
      await sleep(150);
    }
    const countOf = async (v) => (await v.r.command('counts', 'counts')).counts.countvideo;
    await until(`${N} viewers with 30 frames`, async () => {
      for (const v of viewers) if (((await countOf(v))?.buffers ?? 0) < 30) return false;
      return true;
    }, 60000, 500);
    for (const v of viewers.filter((x) => x.site)) v.peer = await consumerAt(p, v.site.addr);
    await sleep(3000);
    const tCap = Date.now();
    if (capping) for (const v of viewers.filter((x) => x.site)) v.site.cap.limit(CAP_KBIT);
    await sleep(SETTLE_S * 1000);
    const t0 = Date.now();
    const a = procStat(p.proc.pid);
    await sleep(MEASURE_S * 1000);
    const b = procStat(p.proc.pid);
    const t1 = Date.now();
    const enc = (await p.command('encoders', 'encoders')).count;
    const out = { id, label: LABELS[id], ladder, capping, cpuPct: ((b.cpuS - a.cpuS) / MEASURE_S) * 100,
      threads: b.threads, rssMb: b.rssMb, encoders: enc, viewers: [] };
    for (const v of viewers) {
      const c = await countOf(v);
      const fps = fpsWindows(c, t0, t1, 1);
      const still = frozen(c, t0, t1, 200, t1);
      const row = { k: v.k, kind: v.kind, fps: r1(fps.reduce((s, x) => s + x, 0) / fps.length),
        minFps3s: r1(Math.min(...fpsWindows(c, t0, t1, 3))), windowFrozenMs: still.ms, sizes: sizesText(c) };
      if (v.kind === 'probe') {
        const ms = v.r.events.filter((e) => e.event === 'webrtclive-latency' && e.at >= t0 && e.at < t1)
          .map((e) => e.fields.latency / 1000);
        Object.assign(row, { latencyMs: r1(median(ms)), latencyP95Ms: r1(percentile(ms, 95)), stamps: ms.length });
      }
      if (v.kind === 'capped') {
        const from = capping ? tCap : t0;
        const f = frozen(c, from, t1, 200, t1);
        const last = p.filter((e) => e.event === 'webrtclive-stats' && e.fields?.['consumer-id'] === v.peer).pop()?.fields;
        Object.assign(row, { frozenMs: f.ms, freezes: f.count, frozenPct: r1((100 * f.ms) / (t1 - from)),
          layer: last?.layer ?? null, switches: switchedOf(p, v.peer).map((s) => `${s.from}->${s.to} ${s.reason}`) });
        if (v.k === 1) log(`${id}: sink's view of capped viewer 1: ${statsLine(p, v.peer, tCap)}`);
      }
      out.viewers.push(row);
    }
    if (capping) log(`${id}: tbf of viewer 1's link: ${sites[0].cap.stats()}`);
    const capped = out.viewers.filter((v) => v.kind === 'capped');
    // The same viewers in every run: those never capped.
    const never = out.viewers.filter((v) => v.kind !== 'capped');
    out.neverCapped = { fps: r1(median(never.map((v) => v.fps))), minFps: r1(Math.min(...never.map((v) => v.fps))),
      minFps3s: r1(Math.min(...never.map((v) => v.minFps3s))),
      frozenPct: r1((100 * median(never.map((v) => v.windowFrozenMs))) / (t1 - t0)),
      maxFrozenPct: r1((100 * Math.max(...never.map((v) => v.windowFrozenMs))) / (t1 - t0)),
      latencyMs: r1(median(never.filter((v) => v.kind === 'probe').map((v) => v.latencyMs))),
      latencyP95Ms: r1(Math.max(...never.filter((v) => v.kind === 'probe').map((v) => v.latencyP95Ms))) };
    out.capped = { n: capped.length, frozenMs: median(capped.map((v) => v.frozenMs)), frozenPct: r1(median(capped.map((v) => v.frozenPct))),
      maxFrozenPct: r1(Math.max(...capped.map((v) => v.frozenPct))), fps: r1(median(capped.map((v) => v.fps))),
      layers: capped.map((v) => v.layer) };
    log(`${id}: sender ${out.cpuPct.toFixed(1)} % CPU, ${enc} encoders; never-capped viewers ${out.neverCapped.fps} fps ` +
      `(min ${out.neverCapped.minFps}, worst 3 s ${out.neverCapped.minFps3s}, frozen ${out.neverCapped.frozenPct} % max ` +
      `${out.neverCapped.maxFrozenPct} %), latency ${out.neverCapped.latencyMs} ms; viewers 1..${CAPPED}: frozen ` +
      `${out.capped.frozenPct} % (max ${out.capped.maxFrozenPct} %), ${out.capped.fps} fps, layers ${out.capped.layers}`);
    return out;
  } finally {
    for (const s of sites) s.cap.lift();
    await cleanup(local);
  }
}

// P: scale-baseline's encoder per viewer, with lite-consumers; CPU per step.
async function measureP() {
  const rows = [];
  for (const n of P_STEPS) {
    const producer = await startBaseline('per-consumer', { bitrate: TOP_KBPS, name: NAME });
    const procs = [];
    try {
      const all = {};
      procs.push(startConsumers(producer.ws, n, all, { producer: NAME }));
      await until(`${n} consumers`, () => Object.values(all).filter((c) => c.joined).length >= n, 30000, 250);
      await sleep(3000);
      const a = procStat(producer.pid);
      await sleep(MEASURE_S / 2 * 1000);
      const b = procStat(producer.pid);
      const fps = Object.values(all).map((c) => c.last?.fps ?? 0);
      rows.push({ n, cpuPct: ((b.cpuS - a.cpuS) / (MEASURE_S / 2)) * 100, minFps: Math.min(...fps) });
      log(`P N=${n}: ${rows.at(-1).cpuPct.toFixed(1)} % CPU, min ${rows.at(-1).minFps} fps`);
    } finally {
      await stopAllProcs(procs);
      await producer.stop();
    }
  }
  // Least squares: cpu = base + perViewer * n.
  const mx = rows.reduce((s, r) => s + r.n, 0) / rows.length, my = rows.reduce((s, r) => s + r.cpuPct, 0) / rows.length;
  const sxx = rows.reduce((s, r) => s + (r.n - mx) ** 2, 0);
  const perViewer = sxx ? rows.reduce((s, r) => s + (r.n - mx) * (r.cpuPct - my), 0) / sxx : my;
  const base = my - perViewer * mx;
  return { id: 'P', label: LABELS.P, rows, perViewer, base, projected: base + perViewer * N };
}

// ------------------------------------------------------------------ report

function plot(results, P) {
  const W = 1300, H = 420, PW = 310;
  const runs = results.filter((r) => r.id !== 'P');
  const bars = (x0, title, items, unit) => {
    const max = Math.max(1, ...items.map((i) => i.v ?? 0)) * 1.15;
    const h = 300, bw = Math.min(60, PW / Math.max(1, items.length) - 12);
    let s = `<text x="${x0 + PW / 2}" y="30" text-anchor="middle" font-size="13" font-weight="600">${title}</text>`;
    items.forEach((it, i) => {
      const bh = ((it.v ?? 0) / max) * (h - 40), x = x0 + i * (bw + 12) + 6, y = 40 + h - 40 - bh;
      s += `<rect x="${x}" y="${y}" width="${bw}" height="${bh}" fill="${it.c}"/>` +
        `<text x="${x + bw / 2}" y="${y - 4}" text-anchor="middle" font-size="11">${it.v == null ? '–' : `${r1(it.v)}${unit}`}</text>` +
        `<text x="${x + bw / 2}" y="${40 + h - 22}" text-anchor="middle" font-size="10">${it.l}</text>`;
    });
    return s;
  };
  const C = { single: '#90a4ae', 'single-cap': '#c62828', ladder: '#81c784', 'ladder-cap': '#2e7d32', P: '#ef6c00' };
  const capRuns = runs.filter((r) => r.capping);
  let svg = `<rect width="${W}" height="${H}" fill="#fff"/>`;
  svg += bars(10, `sender CPU (% of one core), ${N} viewers`, [
    ...runs.map((r) => ({ v: r.cpuPct, l: r.id, c: C[r.id] })),
    ...(P ? [{ v: P.projected, l: 'P (proj.)', c: C.P }] : [])], '');
  svg += bars(10 + PW + 10, 'never-capped viewers: median fps', runs.map((r) => ({ v: r.neverCapped.fps, l: r.id, c: C[r.id] })), '');
  svg += bars(10 + 2 * (PW + 10), 'latency probes: median (ms)', runs.map((r) => ({ v: r.neverCapped.latencyMs, l: r.id, c: C[r.id] })), '');
  svg += bars(10 + 3 * (PW + 10), 'capped viewers: frozen % of the time', capRuns.map((r) => ({ v: r.capped.frozenPct, l: r.id, c: C[r.id] })), ' %');
  svg += `<text x="10" y="${H - 20}" font-size="11">${N} webrtclivesrc viewers, ${CAPPED} behind ${CAP_KBIT} kbit/s (tc tbf); ` +
    `1280x720 noise at 30 fps; ladder ${LADDER}; P projected from ${P_STEPS.join(', ')} viewers</text>`;
  return `<html><body style="margin:0"><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${svg}</svg></body></html>`;
}

function doc(results, P, when, info) {
  const f = (x, d = 1) => (x == null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
  const get = (id) => results.find((r) => r.id === id);
  const ratio = (a, b, k) => (a && b && a.neverCapped[k] && b.neverCapped[k] ? f(a.neverCapped[k] / b.neverCapped[k], 2) : '–');
  let s = '<!-- layers:begin -->\n## The layer ladder under load (issue 15)\n\n';
  s += `\`tools/bench.sh layers\` (${when}): ${N} viewers of one webrtclivesink fed \`videotestsrc pattern=snow\` ` +
    `1280x720 at 30 fps (noise: each encoder meets its bitrate), \`webrtclivestamp\`'d; viewers 1–${CAPPED} each in a ` +
    `network namespace of its own behind a veth whose sink end is capped at ${CAP_KBIT} kbit/s in the \`-cap\` runs ` +
    '(`tc tbf`, 5000 B bucket, 10000 B queue = 200 ms); the others on loopback. Ladder ' +
    `\`${LADDER}\`; without it one encoder at ${TOP_KBPS} kbit/s. Caps on ${SETTLE_S} s before a ${MEASURE_S} s window; ` +
    'sender CPU over the window; frozen = the time in gaps of 200 ms or more between decoded frames, from the cap on.\n\n';
  s += '**Viewers (decision).** webrtclivesrc processes (`tests/tools/live-runner`), not `bench/tools/lite-consumer`: ' +
    'the ladder is driven by the viewers\' TWCC feedback, which webrtclivesrc sends and lite-consumer does not (it ' +
    'sends receiver reports only), and a freeze is best measured where a viewer decodes. A webrtclivesrc viewer ' +
    'decoding this 720p stream took ~5.6 % of a core here, one taking the encoded stream ~1.6 %, so only the ' +
    `${CAPPED} capped viewers and ${PROBES} latency probes decode; the other uncapped viewers count encoded frames. ` +
    'Latency = stamp → decoded frame at the probe (`webrtclivestampread` in front of `fakesink sync=false`: ' +
    'encoding, sending, receiving, decoding, without the src\'s jitterbuffer wait, see Glass-to-glass). ' +
    'P (an encoder per viewer) keeps scale.mjs\'s lite-consumers: the baseline reads no feedback anyway.\n\n';
  s += `| run | sender CPU % | encoders | ${N - CAPPED} never-capped viewers: median fps (min; worst 3 s) | their frozen % median (max) | ` +
    'latency p50 / worst p95 (ms) | capped: frozen % median (max) | capped: fps | capped: layers at the end |\n|---|---|---|---|---|---|---|---|---|\n';
  for (const r of results.filter((x) => x.id !== 'P'))
    s += `| ${r.id}: ${r.label} | ${f(r.cpuPct)} | ${r.encoders} | ${f(r.neverCapped.fps)} (${f(r.neverCapped.minFps)}; ` +
      `${f(r.neverCapped.minFps3s)}) | ${f(r.neverCapped.frozenPct)} (${f(r.neverCapped.maxFrozenPct)}) | ` +
      `${f(r.neverCapped.latencyMs)} / ${f(r.neverCapped.latencyP95Ms)} | ${r.capping ? `${f(r.capped.frozenPct)} (${f(r.capped.maxFrozenPct)})` : '–'} | ` +
      `${r.capping ? f(r.capped.fps) : '–'} | ${r.capping && r.ladder ? r.capped.layers.join(', ') : '–'} |\n`;
  if (P) {
    s += `| P: ${P.label} | ${f(P.projected)} projected (${P.rows.map((r) => `N=${r.n}: ${f(r.cpuPct)}`).join(', ')}; ` +
      `${f(P.perViewer)} per viewer) | ${N} | | | | | | |\n`;
  }
  s += `\nMachine: ${info.cpu}, ${info.nproc} cores, ${info.gstreamer}; load average at start ${info.loadavgAtStart.join(' / ')} ` +
    '(other work shares these cores: a hiccup that every viewer of a run shows at once is the machine\'s).\n';
  const L = get('ladder'), LC = get('ladder-cap'), S = get('single'), SC = get('single-cap');
  s += '\nRatios, the never-capped viewers with capped ones beside them to without (fps / latency): ' +
    `ladder ${ratio(LC, L, 'fps')} / ${ratio(LC, L, 'latencyMs')}, one encoder ${ratio(SC, S, 'fps')} / ${ratio(SC, S, 'latencyMs')}. ` +
    `Capped viewers frozen: ${f(LC?.capped.frozenPct)} % of the time with the ladder, ${f(SC?.capped.frozenPct)} % without. ` +
    (P && LC ? `Sender CPU with the ladder ${f(LC.cpuPct)} % against ${f(P.projected)} % projected for an encoder per viewer.` : '') + '\n';
  s += '\n![layers](../bench/results/layers.png)\n<!-- layers:end -->';
  return s;
}

// ------------------------------------------------------------------ main

const info = machine();
try {
  const sites = [];
  for (let k = 1; k <= CAPPED; k++) sites.push(await viewerSite(defer, k));
  const results = [];
  for (const id of RUNS.filter((r) => r !== 'P')) results.push(await measureRun(id, sites));
  const P = RUNS.includes('P') ? await measureP() : null;
  mkdirSync(RESULTS, { recursive: true });
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  writeFileSync(join(RESULTS, 'layers.json'), JSON.stringify({ machine: info, n: N, capped: CAPPED, capKbit: CAP_KBIT,
    ladder: LADDER, results, P }, null, 2));
  await renderPng(plot(results, P), join(RESULTS, 'layers.png'), { width: 1300, height: 420 });
  writeDocSection('layers', doc(results, P, when, info));
  console.log(`report: ${join(RESULTS, 'layers.json')}, plot: ${join(RESULTS, 'layers.png')}, docs/benchmarks.md (layers)`);
} finally {
  await cleanup(cleanups);
}
process.exit(0);
