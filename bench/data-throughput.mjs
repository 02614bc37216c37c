// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Data-channel throughput, sink → src ("Data both ways"): MB/s with 64 KiB
// messages and messages/s with 100-byte messages, reliable and unreliable,
// for webrtclivesink → webrtclivesrc (E) against a hand-written application
// with two plain webrtcbins doing the same in the same run (B). The
// measuring is done by bench/tools/data-bench.cpp (one process, loopback;
// its header describes the pacing); this script runs it REPS times, takes
// the median per case and side, and writes bench/results/data-throughput.
// {json,png} and the data-throughput section of docs/benchmarks.md.
//
// Run through `tools/bench.sh data-throughput` (private network namespace
// with only loopback, WEBRTCLIVE_BUILD_DIR set). `--report` rebuilds the
// PNG and the section from the JSON without measuring again.
// BENCH_REPS (3) and BENCH_MEASURE_S (5) change the repetitions and window.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOC, RESULTS, ROOT, loadAverage, machine as describeMachine, median, renderPng, writeDocSection } from './lib.mjs';

const JSON_PATH = join(RESULTS, 'data-throughput.json');
const PNG_PATH = join(RESULTS, 'data-throughput.png');
const BUILD = process.env.WEBRTCLIVE_BUILD_DIR || join(ROOT, 'build');
const REPS = Number(process.env.BENCH_REPS || 3);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S || 5);
const SIDES = ['element', 'baseline'];
const FIELDS = ['messagesPerSecond', 'megabytesPerSecond', 'loss', 'cpuPerMessageUs', 'sentPerSecond',
  'atSrcWebrtcbinPerSecond', 'windowStalls'];

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);

// ------------------------------------------------------------------ measuring

function runOnce(rep) {
  const registry = mkdtempSync(join(tmpdir(), 'data-bench-'));
  try {
    const out = execFileSync(join(BUILD, 'bench', 'data-bench'), ['--seconds', String(MEASURE_S)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60 * 1000, maxBuffer: 64 << 20,
      env: { ...process.env, GST_PLUGIN_PATH: join(BUILD, 'plugin'), GST_REGISTRY: join(registry, 'registry.bin') },
    });
    const res = JSON.parse(out);
    res.rep = rep;
    res.loadavgAfter = loadAverage();
    return res;
  } finally {
    rmSync(registry, { recursive: true, force: true });
  }
}

function summarize(runs) {
  return runs[0].cases.map((c0) => {
    const per = runs.map((r) => r.cases.find((c) => c.id === c0.id));
    const out = { id: c0.id, label: c0.label, messageBytes: c0.messageBytes, reliable: c0.reliable,
      windowBytes: c0.windowBytes };
    for (const side of SIDES) {
      const reps = per.map((c) => c[side]);
      const s = { reps: reps.length, failed: reps.filter((x) => !x.ok).length };
      for (const f of FIELDS) {
        const xs = reps.filter((x) => x.ok && typeof x[f] === 'number').map((x) => x[f]);
        if (xs.length) s[f] = median(xs);
      }
      s.perRep = { messagesPerSecond: reps.map((x) => x.messagesPerSecond), megabytesPerSecond: reps.map((x) => x.megabytesPerSecond) };
      const w = reps.flatMap((x) => x.warnings || []);
      if (w.length) s.warnings = [...new Set(w.map((x) => x.replace(/\(\d+ messages dropped/, '(N messages dropped')))].slice(0, 5);
      out[side] = s;
    }
    out.ratio = out.baseline.messagesPerSecond ? out.element.messagesPerSecond / out.baseline.messagesPerSecond : null;
    return out;
  });
}

// ------------------------------------------------------------------ the plot

const fmt = (v, d = 1) => (v === null || v === undefined ? '–' : v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(d));
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function plotHtml(cases, info) {
  const PW = 1000, PH = 540, T = 80, B = 80, GAP = 90;
  const panelW = (PW - 2 * 70 - GAP - 20) / 2;
  const COLORS = { element: '#3367d6', baseline: '#9aa0a6' };
  let svg = `<text x="${PW / 2}" y="26" text-anchor="middle" font-size="18" font-weight="600">` +
    'Data channel sink → src: webrtclivesink/webrtclivesrc (E) vs two plain webrtcbins (B)</text>' +
    `<text x="${PW / 2}" y="46" text-anchor="middle" font-size="12" fill="#555">median of ${esc(info.reps)} runs, ` +
    `${esc(info.measureSeconds)} s each, one process over loopback; dots = single runs; E/B under each pair</text>`;
  const panels = [
    { title: '64 KiB messages: MB/s', field: 'megabytesPerSecond', rep: 'megabytesPerSecond', cases: cases.filter((c) => c.messageBytes >= 65536) },
    { title: '100-byte messages: messages/s', field: 'messagesPerSecond', rep: 'messagesPerSecond', cases: cases.filter((c) => c.messageBytes < 65536) },
  ];
  panels.forEach((p, pi) => {
    const L = 70 + pi * (panelW + GAP + 70);
    const vals = p.cases.flatMap((c) => SIDES.flatMap((s) => [c[s][p.field] ?? 0, ...c[s].perRep[p.rep]]));
    const top0 = Math.max(1, ...vals) * 1.15;
    const mag = 10 ** Math.floor(Math.log10(top0 / 5));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => top0 / s <= 6);
    const top = Math.ceil(top0 / step) * step;
    const y = (v) => T + (PH - T - B) * (1 - Math.min(v, top) / top);
    svg += `<text x="${L + panelW / 2}" y="${T - 8}" text-anchor="middle" font-size="14" font-weight="600">${esc(p.title)}</text>`;
    for (let v = 0; v <= top + 1e-9; v += step) {
      svg += `<line x1="${L}" x2="${L + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>` +
        `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${fmt(v, step < 1 ? 1 : 0)}</text>`;
    }
    const gw = panelW / p.cases.length, bw = gw * 0.3;
    p.cases.forEach((c, ci) => {
      const gx = L + gw * ci + gw / 2;
      SIDES.forEach((s, si) => {
        const x = gx + (si === 0 ? -bw - 4 : 4), v = c[s][p.field] ?? 0;
        svg += `<rect x="${x}" y="${y(v)}" width="${bw}" height="${y(0) - y(v)}" fill="${COLORS[s]}"/>` +
          `<text x="${x + bw / 2}" y="${y(v) - 5}" text-anchor="middle" font-size="11">${fmt(v)}</text>`;
        c[s].perRep[p.rep].forEach((rv, k) => {
          svg += `<circle cx="${x + bw * (0.25 + 0.25 * k)}" cy="${y(rv)}" r="3" fill="#000" fill-opacity="0.45"/>`;
        });
        // What reached the src's own webrtcbin, where it differs from what came out of its pad.
        if (s === 'element' && c.element.atSrcWebrtcbinPerSecond > 1.5 * (c.element.messagesPerSecond || 0)) {
          const av = p.field === 'megabytesPerSecond' ? c.element.atSrcWebrtcbinPerSecond * c.messageBytes / 1e6 : c.element.atSrcWebrtcbinPerSecond;
          svg += `<rect x="${x}" y="${y(av)}" width="${bw}" height="${y(0) - y(av)}" fill="none" stroke="${COLORS.element}" stroke-width="1.5" stroke-dasharray="4 3"/>` +
            `<text x="${x + bw / 2}" y="${y(av) - 5}" text-anchor="middle" font-size="11" fill="${COLORS.element}">${fmt(av)}</text>`;
        }
      });
      svg += `<text x="${gx}" y="${PH - B + 18}" text-anchor="middle" font-size="12">${c.reliable ? 'reliable' : 'unreliable'}</text>` +
        `<text x="${gx}" y="${PH - B + 34}" text-anchor="middle" font-size="12" font-weight="600">E/B ${c.ratio === null ? '–' : c.ratio.toFixed(2)}</text>`;
    });
    svg += `<line x1="${L}" x2="${L}" y1="${T}" y2="${y(0)}" stroke="#333"/><line x1="${L}" x2="${L + panelW}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`;
  });
  const lx = 120, ly = PH - 16;
  svg += `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS.element}"/><text x="${lx + 18}" y="${ly}" font-size="12">E: webrtclivesink → webrtclivesrc (out of its data pad)</text>` +
    `<rect x="${lx + 360}" y="${ly - 10}" width="12" height="12" fill="${COLORS.baseline}"/><text x="${lx + 378}" y="${ly}" font-size="12">B: plain webrtcbins</text>` +
    `<rect x="${lx + 530}" y="${ly - 10}" width="12" height="12" fill="none" stroke="${COLORS.element}" stroke-dasharray="3 2"/><text x="${lx + 548}" y="${ly}" font-size="12">E: reaching the src's own webrtcbin</text>`;
  return `<!doctype html><html><body style="margin:0;background:#fff;font-family:sans-serif">` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PW}" height="${PH}" viewBox="0 0 ${PW} ${PH}" style="background:#fff">${svg}</svg></body></html>`;
}

// ------------------------------------------------------------------ the section

function reading(cases) {
  const text = [];
  const byId = Object.fromEntries(cases.map((c) => [c.id, c]));
  const large = ['large-reliable', 'large-unreliable'].map((id) => byId[id]).filter(Boolean);
  const small = ['small-reliable', 'small-unreliable'].map((id) => byId[id]).filter(Boolean);
  if (large.length) {
    text.push(`With 64 KiB messages the elements carry ${large.map((c) => `${fmt(c.element.megabytesPerSecond)} MB/s ` +
      `${c.reliable ? 'reliable' : 'unreliable'} (E/B ${c.ratio.toFixed(2)})`).join(' and ')}: ` +
      (large.every((c) => c.ratio >= 0.9)
        ? 'as much as the plain application within the run-to-run spread, so the sink\'s send path (one copy of the ' +
          'buffer into a GBytes, a lookup of the consumer\'s channel under a mutex, `send-data`) and the src\'s receive ' +
          'path (the checks, a buffer wrapping the GBytes, its appsrc) add no bottleneck; both are bounded by ' +
          'webrtcbin\'s SCTP stack (usrsctp and DTLS in the same process, the CPU column). The elements spend ' +
          `${large.map((c) => `${Math.round((c.element.cpuPerMessageUs / c.baseline.cpuPerMessageUs - 1) * 100)} %`).join(' and ')} ` +
          'more CPU per message: a second 64 KiB copy (data_chain maps the buffer into a new GBytes where it could ' +
          'wrap the mapped memory, as webrtcbin does on receive), the hop through the src\'s appsrc thread and the ' +
          'small video stream below.'
        : 'below the plain application; see the CPU column and the warnings in the JSON.'));
  }
  const limited = small.filter((c) => c.ratio < 0.5 && c.element.atSrcWebrtcbinPerSecond >= 0.8 * c.baseline.messagesPerSecond);
  if (limited.length) {
    text.push(`With 100-byte messages the elements fall far short: ${small.map((c) => `${fmt(c.element.messagesPerSecond)} ` +
      `against ${fmt(c.baseline.messagesPerSecond)} messages/s ${c.reliable ? 'reliable' : 'unreliable'}`).join(', ')}. ` +
      'The sink is not the cause: the messages reach the src\'s own webrtcbin at ' +
      `${small.map((c) => fmt(c.element.atSrcWebrtcbinPerSecond)).join(' and ')} messages/s (the dashed bars, ` +
      `counted on its data channel), ${small.map((c) => (c.element.atSrcWebrtcbinPerSecond / c.baseline.messagesPerSecond).toFixed(2)).join(' and ')} ` +
      'times what the baseline delivers (within its run-to-run spread). **webrtclivesrc drops all but 1000 of them ' +
      'a second**: its Session checks every message from the producer against `DataLimits{}` (64 KiB, ' +
      '`max_messages_per_second = 1000`, core/data-channels.h), the default meant for what browsers send to the ' +
      'sink, and the src has no property to change it (it warns "more than 1000 messages per second", and the ' +
      '"loss" of the reliable case is these drops; the CPU per delivered message of E counts the work on the dropped ' +
      'ones too). Fix: give webrtclivesrc `max-data-message-size` and ' +
      '`max-data-rate` as on the sink (SrcSettings → `config.data_limits` where core/src-core.cpp builds the ' +
      'SessionConfig), with no rate limit by default for the producer the application chose to consume, and say ' +
      'in docs/webrtclivesrc.md that messages over the size limit are dropped. The same limit caps 64 KiB messages at ' +
      '65.5 MB/s, just above what this machine reaches.');
  } else if (small.length) {
    text.push(`With 100-byte messages: ${small.map((c) => `${fmt(c.element.messagesPerSecond)} against ` +
      `${fmt(c.baseline.messagesPerSecond)} messages/s ${c.reliable ? 'reliable' : 'unreliable'} (E/B ${c.ratio.toFixed(2)})`).join(', ')}.`);
  }
  text.push('The element run carries a 64x64, 5 fps VP8 video stream besides the data (a few kbit/s, well under ' +
    '1 % of a core: 0.02 s of CPU in 10 s); `data-bench --data-only` runs without it. The first runs of this ' +
    'benchmark found two defects, both fixed since: the src applied the sink\'s defaults for anonymous viewers ' +
    '(1,000 messages/s), dropping 97 % of the 100-byte messages (E/B 0.02; webrtclivesrc now has ' +
    '`max-data-rate`, no limit by default), and a sink with data pads only failed every consumer\'s DTLS check ' +
    '(the certificate is now read from the SCTP association\'s transport when there is no transceiver).');
  return text.join('\n\n');
}

function docSection(cases, info) {
  const rows = cases.map((c) => {
    const unit = c.messageBytes >= 65536 ? 'megabytesPerSecond' : 'messagesPerSecond';
    const u = unit === 'megabytesPerSecond' ? 'MB/s' : 'msg/s';
    const e = c.element, b = c.baseline;
    const pct = (v) => (v === undefined ? '–' : `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)} %`);
    return `| ${c.label} | ${fmt(e[unit])} ${u} | ${fmt(b[unit])} ${u} | **${c.ratio === null ? '–' : c.ratio.toFixed(2)}** | ` +
      `${fmt(e.messagesPerSecond)} / ${fmt(b.messagesPerSecond)} | ${pct(e.loss)} / ${pct(b.loss)} | ` +
      `${fmt(e.atSrcWebrtcbinPerSecond)} | ${fmt(e.cpuPerMessageUs)} / ${fmt(b.cpuPerMessageUs)} | ${c.windowBytes / 1024} KiB |` +
      (e.failed || b.failed ? ` ${e.failed + b.failed} failed runs` : '');
  });
  return [
    '<!-- data-throughput:begin -->',
    '## Data channel throughput, sink → src',
    '',
    'Messages pushed into `webrtclivesink` `data_0` (an appsrc) and counted out of `webrtclivesrc` `data_0` (a pad probe ' +
      'before a fakesink), both in one process joined by the direct signaller of tests/element (two ' +
      '`GstWebRTCLiveAppSignaller` objects), webrtcbins over loopback with `ice-addresses=127.0.0.1` (E); against a ' +
      'hand-written application with two plain webrtcbins in the same process (offer, answer and candidates passed ' +
      'across directly, the offerer\'s data channel created with the same options, `send-data` from a thread, ' +
      'counted in `on-message-data`) (B). Unreliable = `ordered=false max-retransmits=0`. ' +
      `Each run measures every case E then B: connect, first message through, 1 s warm-up, ${info.measureSeconds} s ` +
      `measured at the receiver; ${info.reps} runs, medians. ` +
      'Pacing, the same for both: each message carries its sequence number and the sender keeps at most a window ' +
      'of bytes in flight (sent − highest sequence number received; on an unreliable channel a 20 ms silence opens ' +
      'the window); B also keeps the channel\'s `buffered-amount` under the window (`buffered-amount-low-threshold` ' +
      '/ `on-buffered-amount-low`). Nothing queues without bound on either side. Loss: messages sent after the ' +
      'warm-up began that never arrived (counted after a drain). CPU: the whole process (sender and receiver) per ' +
      'delivered message.',
    '',
    '| case | E | B | E/B | messages/s E / B | loss E / B | reaching the src\'s webrtcbin (msg/s) | CPU µs per message E / B | window |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Machine: ${info.machine.cpu}, ${info.machine.nproc} cores (nproc), ${info.machine.gstreamer}, ` +
      `${info.machine.date.slice(0, 10)}; load average at start ${info.machine.loadavgAtStart.join(' / ')} ` +
      '(a CI run shared the cores).',
    '',
    'Reproduce: `tools/bench.sh data-throughput` (builds if needed, runs in a private network namespace with only ' +
      'loopback; writes `bench/results/data-throughput.json` and `.png`, and this section). The tool alone: ' +
      '`GST_PLUGIN_PATH=build/plugin build/bench/data-bench --seconds 5` (JSON on stdout; `--case`, `--only ' +
      'element|baseline`, `--window-large`, `--window-small`, `--data-only`).',
    '',
    '![data channel throughput, E vs B](../bench/results/data-throughput.png)',
    '',
    reading(cases),
    '<!-- data-throughput:end -->',
  ].join('\n');
}

function printTable(cases) {
  console.log(`\n${'case'.padEnd(22)} ${'E msg/s'.padStart(10)} ${'B msg/s'.padStart(10)} ${'E MB/s'.padStart(8)} ${'B MB/s'.padStart(8)}   E/B  at-src-wbin  lossE  lossB`);
  for (const c of cases) {
    const e = c.element, b = c.baseline;
    console.log(`${c.label.padEnd(22)} ${fmt(e.messagesPerSecond).padStart(10)} ${fmt(b.messagesPerSecond).padStart(10)} ` +
      `${fmt(e.megabytesPerSecond, 2).padStart(8)} ${fmt(b.megabytesPerSecond, 2).padStart(8)} ${(c.ratio ?? 0).toFixed(2).padStart(5)} ` +
      `${fmt(e.atSrcWebrtcbinPerSecond).padStart(12)} ${(e.loss ?? 0).toFixed(4)} ${(b.loss ?? 0).toFixed(4)}`);
  }
}

async function report(saved) {
  await renderPng(plotHtml(saved.cases, saved), PNG_PATH, { width: 1000, height: 540 });
  writeDocSection('data-throughput', docSection(saved.cases, saved));
  printTable(saved.cases);
}

// --------------------------------------------------------------------- main

if (process.argv.includes('--report')) {
  await report(JSON.parse(readFileSync(JSON_PATH, 'utf8')));
  process.exit(0);
}

const info = describeMachine();
log('machine', JSON.stringify(info));
const runs = [];
for (let rep = 1; rep <= REPS; rep++) {
  log(`run ${rep} of ${REPS}`);
  runs.push(runOnce(rep));
}
info.loadavgAtEnd = loadAverage();
const cases = summarize(runs);
mkdirSync(RESULTS, { recursive: true });
const saved = { benchmark: 'data-throughput', reps: REPS, measureSeconds: MEASURE_S, warmupSeconds: runs[0].warmupSeconds,
  machine: info, cases, runs };
writeFileSync(JSON_PATH, JSON.stringify(saved, null, 1) + '\n');
await report(saved);
log(`wrote ${JSON_PATH}, ${PNG_PATH}, ${DOC}`);
process.exit(cases.some((c) => c.element.failed || c.baseline.failed) ? 1 : 0);
