// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Glass-to-glass latency: the time from webrtclivestamp painting the wall
// clock into a raw 720p30 frame (before encoding) to a reader seeing that
// frame decoded on the other side (docs/stamp.md).
//
//  (a) webrtclivesink → webrtclivesrc in a second process, for the src's
//      jitterbuffer `latency` 0, 50, 100 (default), 200 ms; the reader is
//      webrtclivestampread in front of `fakesink sync=true`, and the samples
//      are its `webrtclive-latency` bus messages (live-runner prints them).
//  (b) webrtclivesink → headless Chromium, read by the viewer page
//      (`?stamp=1`, window.webrtclive.stamp) at each frame's display time.
//  Reference rows, to tell the stages apart: the src at 100 ms with the
//  reader placed after the clock wait (`identity sync=true`) and with
//  `fakesink sync=false`, and the stamper → x264 → avdec_h264 → reader in one
//  process (no WebRTC at all).
//
// Per row: warm-up after the first valid reading, then a fixed measuring
// window (by stamp time for GStreamer, by polling the page for Chromium).
//
// Run through `tools/bench.sh glass-to-glass` (private network namespace with
// only loopback, WEBRTCLIVE_BUILD_DIR set). Writes bench/results/
// glass-to-glass.{json,png} and the glass-to-glass section of
// docs/benchmarks.md. `--report` rebuilds the PNG and the section from the
// JSON without measuring again.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, log, openViewer, sleep, startPipeline, state, until } from '../tests/e2e/lib.mjs';
import { DOC, RESULTS, loadAverage, machine as describeMachine, median, percentile, renderPng, sh, writeDocSection } from './lib.mjs';

const JSON_PATH = join(RESULTS, 'glass-to-glass.json');
const PNG_PATH = join(RESULTS, 'glass-to-glass.png');
const WARMUP_S = Number(process.env.BENCH_WARMUP_S || 5);
const MEASURE_S = Number(process.env.BENCH_MEASURE_S || 20);
const FIRST_READING_TIMEOUT = 30000;

const W = 1280, H = 720, FPS = 30;
const SOURCE = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=${FPS}/1 ! webrtclivestamp`;
const SENDER = `${SOURCE} ! webrtclivesink port=0 address=127.0.0.1 ice-addresses=127.0.0.1 producer-name=g2g video-codecs=h264`;
const receiver = (latency, tail) =>
  `webrtclivesrc name=s server=WS ice-addresses=127.0.0.1 latency=${latency} s.video_0 ! ${tail}`;
const READ_SYNC = 'webrtclivestampread ! fakesink sync=true';

const CONFIGS = [
  { id: 'src-0', kind: 'src', latency: 0, label: 'webrtclivesrc latency=0', tail: READ_SYNC },
  { id: 'src-50', kind: 'src', latency: 50, label: 'webrtclivesrc latency=50', tail: READ_SYNC },
  { id: 'src-100', kind: 'src', latency: 100, label: 'webrtclivesrc latency=100 (default)', tail: READ_SYNC },
  { id: 'src-200', kind: 'src', latency: 200, label: 'webrtclivesrc latency=200', tail: READ_SYNC },
  { id: 'chromium', kind: 'browser', latency: null, label: 'Chromium viewer page (?stamp=1)' },
  { id: 'ref-display', kind: 'src', latency: 100, reference: true,
    label: 'ref: latency=100, reader after the clock wait',
    tail: 'identity sync=true ! webrtclivestampread ! fakesink sync=false' },
  { id: 'ref-nosync', kind: 'src', latency: 100, reference: true,
    label: 'ref: latency=100, fakesink sync=false',
    tail: 'webrtclivestampread ! fakesink sync=false' },
  { id: 'ref-codec', kind: 'local', latency: null, reference: true,
    label: 'ref: x264enc → avdec_h264 in one process, no WebRTC',
    pipeline: `${SOURCE} ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 key-int-max=60 ! ` +
      'avdec_h264 ! webrtclivestampread ! fakesink sync=false' },
];

// lib.mjs logs every bus event; 30 latency messages a second would drown the
// rest of the output.
const consoleLog = console.log;
console.log = (...args) => {
  if (args.some((a) => typeof a === 'string' && a.includes('"event":"webrtclive-latency"'))) return;
  consoleLog(...args);
};

// ------------------------------------------------------------------ numbers

const r1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

function summarize(ms) {
  return {
    n: ms.length, median: r1(median(ms)), p95: r1(percentile(ms, 95)),
    min: r1(ms.length ? Math.min(...ms) : null), max: r1(ms.length ? Math.max(...ms) : null),
    mean: r1(ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : null),
  };
}


// ---------------------------------------------------------------- measuring

// "latency=(gint64)4371, stamp=(gint64)1714046400123456, frame=(guint64)9"
function parseLatency(ev) {
  const f = (k) => {
    const m = ev.structure.match(new RegExp(`\\b${k}=\\([a-z0-9]+\\)(-?\\d+)`));
    return m ? Number(m[1]) : null;
  };
  return { latencyUs: f('latency'), stampUs: f('stamp'), frame: f('frame') };
}

// Readings of webrtclivestampread in `p`: waits for the first, skips WARMUP_S
// of stamp time, keeps MEASURE_S of it.
async function collectMessages(p) {
  const readings = () => p.events.filter((e) => e.event === 'webrtclive-latency').map(parseLatency);
  const first = await until('the first valid stamp', () => readings()[0], FIRST_READING_TIMEOUT, 100);
  const from = first.stampUs + WARMUP_S * 1e6, to = from + MEASURE_S * 1e6;
  await until('the end of the measuring window', () => {
    if (p.proc.exitCode !== null) throw new Error(`pipeline exited: ${p.stderr.slice(-2000)}`);
    return readings().some((r) => r.stampUs >= to);
  }, (WARMUP_S + MEASURE_S) * 1000 + 15000, 200);
  const win = readings().filter((r) => r.stampUs >= from && r.stampUs < to);
  // Frames the reader saw in the window without a valid stamp: the frame
  // numbers between the first and last valid ones that are missing.
  const frames = win.map((r) => r.frame);
  const invalid = frames.length ? Math.max(...frames) - Math.min(...frames) + 1 - frames.length : 0;
  return { ms: win.map((r) => r.latencyUs / 1000), invalid };
}

async function measureSrc(cfg, out, defer) {
  const tx = await startPipeline(SENDER);
  defer(() => tx.stop());
  const ws = tx.url.replace('http://', 'ws://') + 'ws';
  out.sender = SENDER;
  out.pipeline = receiver(cfg.latency, cfg.tail).replace('WS', ws);
  const rx = await startPipeline(out.pipeline);
  defer(() => rx.stop());
  const { ms, invalid } = await collectMessages(rx);
  out.invalid = invalid;
  out.samplesMs = ms.map(r1);
  const errs = [...tx.events, ...rx.events].filter((e) => e.event === 'error' || e.event === 'warning');
  if (errs.length) out.busMessages = errs.map((e) => `${e.event} ${e.src}: ${e.message}`).slice(0, 10);
}

async function measureLocal(cfg, out, defer) {
  out.pipeline = cfg.pipeline;
  const p = await startPipeline(cfg.pipeline);
  defer(() => p.stop());
  const { ms, invalid } = await collectMessages(p);
  out.invalid = invalid;
  out.samplesMs = ms.map(r1);
}

async function measureBrowser(cfg, out, defer) {
  const tx = await startPipeline(SENDER);
  defer(() => tx.stop());
  out.pipeline = SENDER;
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await openViewer(browser, tx.url, 'autoplay=1&stamp=1');
  await until('the first valid stamp in the page', async () => (await state(page)).stamp?.count > 0,
    FIRST_READING_TIMEOUT, 100);
  await sleep(WARMUP_S * 1000);
  // The page keeps the last 300 readings: poll every second and take what is new.
  const read = () => page.evaluate(() => {
    const s = window.webrtclive.stamp;
    return { count: s.count, invalid: s.invalid, skipped: s.skipped, samples: s.samples.slice(), recv: s.receiveToDisplayMs.slice(),
      clock: s.clock, readCostMs: s.readCostMs };
  });
  let prev = await read();
  const startInvalid = prev.invalid, startSkipped = prev.skipped, ms = [], recv = [];
  const end = Date.now() + MEASURE_S * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(1000, Math.max(0, end - Date.now())));
    const cur = await read();
    const fresh = cur.count - prev.count;
    if (fresh > cur.samples.length) throw new Error(`lost ${fresh - cur.samples.length} readings between polls`);
    if (fresh > 0) {
      ms.push(...cur.samples.slice(-fresh));
      recv.push(...cur.recv.slice(-fresh));
    }
    prev = cur;
  }
  const st = await state(page);
  out.invalid = prev.invalid - startInvalid;
  out.samplesMs = ms;
  out.receiveToDisplayMs = recv;
  const toRecv = ms.map((v, i) => (recv[i] === null ? null : v - recv[i])).filter((x) => x !== null);
  const late = ms.filter((v) => v > median(ms) - 500 / FPS).length;
  out.browser = {
    clock: prev.clock, readCostMs: prev.readCostMs, skipped: prev.skipped - startSkipped, codec: st.stats.codec,
    width: st.stats.frameWidth, height: st.stats.frameHeight, fps: st.stats.fps, jitterMs: st.stats.jitterMs,
    medianReceiveToDisplayMs: r1(median(recv.filter((x) => x !== null))),
    receiveToDisplayKnown: recv.filter((x) => x !== null).length,
    // stamp → the frame's last packet in the browser (sender, network), display − receive subtracted
    medianStampToReceiveMs: r1(median(toRecv)), p95StampToReceiveMs: r1(percentile(toRecv, 95)),
    // frames more than half a frame interval below the median (a second, earlier cluster)
    shareEarlierCluster: ms.length ? +(1 - late / ms.length).toFixed(3) : null,
  };
}

async function runConfig(cfg) {
  const out = { id: cfg.id, label: cfg.label, srcLatencyMs: cfg.latency, reference: !!cfg.reference,
    kind: cfg.kind, samplesMs: [], invalid: 0 };
  const cleanups = [];
  try {
    const defer = (fn) => cleanups.push(fn);
    if (cfg.kind === 'src') await measureSrc(cfg, out, defer);
    else if (cfg.kind === 'local') await measureLocal(cfg, out, defer);
    else await measureBrowser(cfg, out, defer);
  } catch (e) {
    out.error = String(e.message || e).slice(0, 2000);
    log(`${cfg.id} FAILED: ${out.error}`);
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  }
  out.summary = summarize(out.samplesMs);
  return out;
}

// ------------------------------------------------------------------ the plot

function plotHtml(configs, info) {
  const PW = 1000, PH = 560, L = 70, R = 34, T = 56, B = 110;
  const all = configs.flatMap((c) => c.samplesMs);
  const top = Math.max(100, percentile(all, 99.5) ?? 0) * 1.12;
  const step = [5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((s) => top / s <= 10) || 2000;
  const y = (v) => T + (PH - T - B) * (1 - Math.min(v, top) / top);
  const colW = (PW - L - R) / configs.length;
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  let svg = '';
  for (let v = 0; v <= top; v += step) {
    svg += `<line x1="${L}" x2="${PW - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>` +
      `<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end" font-size="12">${v}</text>`;
  }
  configs.forEach((c, i) => {
    const cx = L + colW * (i + 0.5), half = colW * 0.34;
    if (c.reference) svg += `<rect x="${L + colW * i + 2}" y="${T}" width="${colW - 4}" height="${PH - T - B}" fill="#f4f4f4"/>`;
    if (c.srcLatencyMs) {
      svg += `<line x1="${cx - half}" x2="${cx + half}" y1="${y(c.srcLatencyMs)}" y2="${y(c.srcLatencyMs)}" stroke="#2a9d4b" stroke-width="1.5" stroke-dasharray="2 3"/>`;
    }
    const xs = c.samplesMs, every = Math.max(1, Math.ceil(xs.length / 400));
    xs.forEach((v, k) => {
      if (k % every) return;
      const dx = (((k * 7919) % 997) / 996) * 2 - 1;  // deterministic spread
      svg += `<circle cx="${(cx + dx * half * 0.85).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2" fill="${c.kind === 'browser' ? '#c05621' : '#3367d6'}" fill-opacity="0.35"/>`;
    });
    const { median: m, p95, n } = c.summary;
    if (m !== null) {
      svg += `<line x1="${cx - half}" x2="${cx + half}" y1="${y(m)}" y2="${y(m)}" stroke="#111" stroke-width="2.5"/>` +
        `<line x1="${cx - half}" x2="${cx + half}" y1="${y(p95)}" y2="${y(p95)}" stroke="#d33" stroke-width="2" stroke-dasharray="6 4"/>` +
        `<text x="${cx + half + 2}" y="${y(m) + 4}" font-size="11">${Math.round(m)}</text>` +
        `<text x="${cx + half + 2}" y="${y(p95) - 3}" font-size="11" fill="#d33">${Math.round(p95)}</text>`;
    }
    const words = c.label.split(' ');
    const lines = [];
    for (const w of words) {
      if (lines.length && (lines[lines.length - 1] + ' ' + w).length <= 16) lines[lines.length - 1] += ' ' + w;
      else lines.push(w);
    }
    lines.slice(0, 4).forEach((ln, k) => {
      svg += `<text x="${cx}" y="${PH - B + 18 + k * 14}" text-anchor="middle" font-size="11">${esc(ln)}</text>`;
    });
    svg += `<text x="${cx}" y="${PH - B + 18 + 4 * 14 + 4}" text-anchor="middle" font-size="11" fill="${c.error ? '#d33' : '#555'}">${c.error ? 'FAILED ' : ''}n=${n}</text>`;
  });
  svg += `<line x1="${L}" x2="${L}" y1="${T}" y2="${PH - B}" stroke="#333"/>` +
    `<line x1="${L}" x2="${PW - R}" y1="${PH - B}" y2="${PH - B}" stroke="#333"/>` +
    `<text transform="translate(18 ${(T + PH - B) / 2}) rotate(-90)" text-anchor="middle" font-size="13">stamp → reader (ms)</text>` +
    `<text x="${L}" y="22" font-size="16" font-weight="bold">Glass-to-glass latency, ${W}x${H} ${FPS} fps H.264 from webrtclivesink, loopback, ${MEASURE_S} s per row</text>` +
    `<text x="${L}" y="40" font-size="11" fill="#555">dots: frames (blue GStreamer reader, orange Chromium page) · black: median · red dashed: p95 · green dotted: src latency setting · grey: reference rows</text>` +
    `<text x="${L}" y="${PH - 8}" font-size="11" fill="#555">${esc(info.cpu)}, ${info.nproc} cores, ${esc(info.gstreamer)}, ${esc(info.chromium || '')}, ${esc(info.date.slice(0, 10))}</text>`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:#fff;font-family:sans-serif}</style></head>` +
    `<body><svg xmlns="http://www.w3.org/2000/svg" width="${PW}" height="${PH}" viewBox="0 0 ${PW} ${PH}">` +
    `<rect width="${PW}" height="${PH}" fill="#fff"/>${svg}</svg></body></html>`;
}


// --------------------------------------------------------------- the report

// The 3–5 sentence reading under the table, from the figures of this run.
function reading(configs) {
  const S = Object.fromEntries(configs.map((c) => [c.id, c.summary]));
  const ok = (id) => S[id] && S[id].n > 0;
  const ms = (v) => `${Math.round(v)} ms`;
  const frame = 1000 / FPS;
  const lat = (id) => configs.find((c) => c.id === id).srcLatencyMs;
  const text = [];
  const srcRows = ['src-0', 'src-50', 'src-100', 'src-200'].filter(ok);
  if (srcRows.length >= 2) {
    const a = srcRows[0], z = srcRows[srcRows.length - 1];
    const slope = (S[z].median - S[a].median) / (lat(z) - lat(a));
    text.push(`The src's \`latency\` setting dominates, ${slope.toFixed(2)} ms per ms (median ${ms(S[a].median)} at ` +
      `latency=${lat(a)}, ${ms(S[z].median)} at ${lat(z)}), through synchronisation rather than buffering` +
      (ok('ref-nosync') && ok('ref-display')
        ? `: rtpjitterbuffer passes packets that arrive in order on at once (reader before \`fakesink sync=false\`: ` +
          `${ms(S['ref-nosync'].median)} at latency=100), but the setting is part of the pipeline latency that a ` +
          `\`sync=true\` sink waits for (reader after \`identity sync=true\`: ${ms(S['ref-display'].median)}), and ` +
          'fakesink adds basesink\'s default `processing-deadline` of 20 ms on top.'
        : '.'));
  }
  const held = srcRows.filter((id) => lat(id) >= 50);
  if (held.length) {
    const off = median(held.map((id) => S[id].median - lat(id)));
    text.push('Because fakesink blocks the streaming thread while it waits, the reader in front of it gets each frame ' +
      'only once the previous one is rendered, one frame interval before its own render time: from latency=50 up ' +
      `the rows read ≈ setting ${off < 0 ? '−' : '+'} ${ms(Math.abs(off))}, and fakesink renders the frame itself ` +
      `about ${ms(frame)} later` + (ok('src-100') && ok('ref-display')
        ? ` (at the default 100 ms: ${ms(S['src-100'].median)} + ${ms(frame)} ≈ identity's ` +
          `${ms(S['ref-display'].median)} + the 20 ms deadline)` : '') +
      (ok('src-0') ? `; at latency=0 nothing is held back (${ms(S['src-0'].median)}).` : '.'));
  }
  if (ok('ref-codec') && ok('ref-nosync')) {
    text.push(`Encoding and decoding alone (x264 ultrafast/zerolatency → avdec_h264, ref) take ${ms(S['ref-codec'].median)} ` +
      `for this easy test pattern and RTP, SRTP, loopback UDP and depayloading about ` +
      `${ms(Math.max(0, S['ref-nosync'].median - S['ref-codec'].median))} more; camera content costs the encoder more.`);
  }
  if (ok('chromium')) {
    const b = configs.find((c) => c.id === 'chromium').browser || {};
    const cluster = b.shareEarlierCluster >= 0.1
      ? ` in two clusters a frame interval apart (${Math.round(b.shareEarlierCluster * 100)} % of frames ≈ ${ms(frame)} earlier)` : '';
    text.push(`Chromium displays the stream a median ${ms(S.chromium.median)} (p95 ${ms(S.chromium.p95)}) after stamping${cluster}` +
      (b.medianReceiveToDisplayMs != null ? `: the frame's last packet arrives ${ms(b.medianStampToReceiveMs)} after ` +
        `stamping and ${ms(b.medianReceiveToDisplayMs)} go to the browser's jitter buffer, software decoding and ` +
        'compositing (rVFC `receiveTime` → `expectedDisplayTime`), a share that moved by up to a frame interval ' +
        'between development runs (the stream\'s phase against the headless compositor\'s frame clock), unlike ' +
        'the stamp → receive share' : '') +
      (b.readCostMs != null ? `; reading the stamp costs the page ${b.readCostMs} ms a frame` : '') + '.');
  }
  text.push('One host (one clock) and loopback: no network delay, loss or jitter, so these are floors, and sender, ' +
    'receiver and browser share the cores.');
  return text.join(' ');
}

function docSection(configs, info) {
  const fmt = (v) => (v === null || v === undefined ? '–' : String(v));
  const rows = configs.map((c) => {
    const s = c.summary;
    const label = c.error ? `${c.label} — **failed**: ${c.error.split('\n')[0].slice(0, 120)}` : c.label;
    const setting = c.kind === 'browser' ? 'Chromium (adaptive)' : c.srcLatencyMs === null ? '–' : `${c.srcLatencyMs} ms`;
    const where = c.kind === 'browser' ? 'page, display time' : (c.id === 'ref-display' ? 'after `identity sync=true`' :
      c.id === 'ref-nosync' ? 'before `fakesink sync=false`' : c.kind === 'local' ? 'after avdec_h264' : 'before `fakesink sync=true`');
    return `| ${label} | ${setting} | ${where} | ${s.n} | ${c.invalid ?? 0} | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.min)} | ${fmt(s.max)} |`;
  });
  return [
    '<!-- glass-to-glass:begin -->',
    '## Glass-to-glass latency',
    '',
    `From \`webrtclivestamp\` painting the wall clock into a raw frame (before encoding) to a reader seeing the decoded ` +
      `frame (see [stamp.md](stamp.md)). Sender: \`${SENDER}\`; ${W}x${H} at ${FPS} fps, H.264 by the sink ` +
      '(x264 ultrafast/zerolatency, 2000 kbit/s). GStreamer receiver in a second process: ' +
      '`webrtclivesrc name=s server=ws://127.0.0.1:PORT/ws ice-addresses=127.0.0.1 latency=L s.video_0 ! ' +
      'webrtclivestampread ! fakesink sync=true`, samples from its `webrtclive-latency` messages. Chromium: the viewer ' +
      'page with `?autoplay=1&stamp=1`, samples from `window.webrtclive.stamp` (display time = rVFC ' +
      '`expectedDisplayTime`). ' +
      `Each row: ${WARMUP_S} s warm-up after the first valid reading, then ${MEASURE_S} s; a fresh sender (and receiver) per row. ` +
      'Milliseconds; p95 by nearest rank; "no stamp" = frames the reader saw without a valid stamp. Rows marked ref ' +
      'are references that split the total, not configurations to use.',
    '',
    '| configuration | src `latency` | reader | n | no stamp | median | p95 | min | max |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Machine: ${info.cpu}, ${info.nproc} cores (nproc), ${info.gstreamer}, ${info.chromium}, Node ${info.node}, ` +
      `${info.date.slice(0, 10)}; load average at start ${info.loadavgAtStart.join(' / ')}.`,
    '',
    'Reproduce: `tools/bench.sh glass-to-glass` (builds if needed, runs in a private network namespace with only ' +
      'loopback; writes `bench/results/glass-to-glass.json` and `.png`, and this section). ' +
      '`BENCH_WARMUP_S` / `BENCH_MEASURE_S` change the windows.',
    '',
    '![glass-to-glass latency per configuration](../bench/results/glass-to-glass.png)',
    '',
    reading(configs),
    '<!-- glass-to-glass:end -->',
  ].join('\n');
}


function printTable(results) {
  console.log(`\n${'configuration'.padEnd(52)} ${'L'.padStart(4)}     n  inv  median     p95     min     max`);
  for (const r of results) {
    const s = r.summary;
    console.log(`${r.label.padEnd(52)} ${String(r.srcLatencyMs ?? '–').padStart(4)} ${String(s.n).padStart(5)} ${String(r.invalid ?? 0).padStart(4)} ` +
      [s.median, s.p95, s.min, s.max].map((v) => String(v ?? '–').padStart(7)).join(' ') +
      (r.error ? `  FAILED: ${r.error.split('\n')[0]}` : ''));
  }
}

// --------------------------------------------------------------------- main

if (process.argv.includes('--report')) {
  const saved = JSON.parse(readFileSync(JSON_PATH, 'utf8'));
  await renderPng(plotHtml(saved.configurations, saved.machine), PNG_PATH, { width: 1000, height: 560 });
  writeDocSection('glass-to-glass', docSection(saved.configurations, saved.machine));
  printTable(saved.configurations);
  process.exit(0);
}

const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const info = describeMachine({ chromium: sh('chromium', ['--version']) });
log('machine', JSON.stringify(info));
const results = [];
for (const cfg of CONFIGS.filter((c) => !only || only.includes(c.id))) {
  log(`configuration ${cfg.id}: ${cfg.label}`);
  const r = await runConfig(cfg);
  results.push(r);
  log(`${cfg.id} summary ${JSON.stringify(r.summary)} invalid ${r.invalid}` +
    (r.browser ? ` browser ${JSON.stringify(r.browser)}` : ''));
}
info.loadavgAtEnd = loadAverage();

if (only) {
  printTable(results);
  log('BENCH_ONLY set: nothing written');
  process.exit(results.some((r) => r.error) ? 1 : 0);
}
mkdirSync(RESULTS, { recursive: true });
writeFileSync(JSON_PATH, JSON.stringify({
  benchmark: 'glass-to-glass', warmupSeconds: WARMUP_S, measureSeconds: MEASURE_S, width: W, height: H, fps: FPS,
  machine: info, configurations: results,
}, null, 1) + '\n');
await renderPng(plotHtml(results, info), PNG_PATH, { width: 1000, height: 560 });
writeDocSection('glass-to-glass', docSection(results, info));
log(`wrote ${JSON_PATH}, ${PNG_PATH}, ${DOC}`);
printTable(results);
process.exit(results.some((r) => r.error) ? 1 : 0);
