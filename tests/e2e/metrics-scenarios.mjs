// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What an operator sees (issue 14): GET /metrics of the sink's and the src's
// embedded servers checked against what the test did and by promtool (the
// Prometheus text format), /consumers.json and the operator page, and the
// webrtclive-stats bus messages of stats-interval.
import { execFileSync } from 'node:child_process';
import {
  assert, launchBrowser, log, openViewer, run, startPipeline, until, waitCount, waitFrames,
} from './lib.mjs';

const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const ICE = 'ice-addresses=127.0.0.1';
const SINK = `webrtclivesink name=sink port=0 address=127.0.0.1 ${ICE} video-codecs=h264`;

// The samples of a Prometheus text exposition: {name, labels, value}.
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert(m, `a sample line: ${line}`);
    const labels = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

function metric(samples, name, labels = {}) {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : undefined;
}

// fetch() with the cause of a failure in the message (undici hides it).
async function get(url, init = {}) {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new Error(`GET ${url}: ${e.message}: ${e.cause?.message ?? e.cause ?? ''}`);
  }
}

async function scrape(url, headers = {}) {
  const r = await get(url + 'metrics', { headers });
  assert(r.status === 200, `GET /metrics answered ${r.status}`);
  assert((r.headers.get('content-type') ?? '').startsWith('text/plain; version=0.0.4'),
    `the Prometheus content type (${r.headers.get('content-type')})`);
  return r.text();
}

// promtool (Debian package prometheus) must accept the exposition.
function promtool(text, what) {
  let out = '';
  try {
    out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    // promtool exits 1 for lint findings as well as for parse errors; a
    // parse error is what must never happen.
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    assert(!/error while linting|text format parsing error|expected|invalid/i.test(out),
      `promtool rejected the ${what} metrics:\n${out}`);
  }
  log(`promtool check metrics (${what}): ${out.trim() || 'ok'}`);
}

function stats(p, key, id) {
  return p.filter((e) => e.event === 'webrtclive-stats' && e.structure.includes(`${key}=(string)${id}`))
    .map((e) => {
      const num = (f) => Number((new RegExp(`${f}=\\((?:uint|guint64|gint64|double)\\)(-?[0-9.e+-]+)`).exec(e.structure) ?? [])[1]);
      const str = (f) => (new RegExp(`${f}=\\(string\\)([^,;]*)`).exec(e.structure) ?? [])[1];
      return { at: e.at, bitrate: num('bitrate'), packets: num('packets-sent') || num('packets-received'),
        candidate: str('candidate-type'), codec: str('codec'), rtt: num('rtt-ms'), raw: e.structure };
    });
}

const scenarios = {
  // Two consumers (Chromium, and a webrtclivesrc in its own process), one
  // encoder; the src is frozen (SIGSTOP: no packets, no RTCP) and its
  // session must end as a timeout.
  async 'sink-metrics'(defer) {
    const p = await startPipeline(`${SRC} ! ${SINK} peer-timeout=8 stats-interval=500`);
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await openViewer(browser, p.url);
    await waitFrames(page, 30);
    const ws = p.url.replace('http://', 'ws://') + 'ws';
    const r = await startPipeline(`webrtclivesrc name=s server=${ws} ${ICE} s.video_0 ! fakesink name=countvideo`);
    // Frozen, it is killed at the end (how it stops after a freeze is not
    // what this test is about).
    defer(() => r.kill('SIGKILL'));
    await waitCount(r, 'countvideo', 30);

    // The figures follow what was done.
    let samples;
    const wanted = ['webrtclive_consumers', 'webrtclive_join_first_packet_seconds_count', 'webrtclive_consumer_rtt_seconds_count'];
    try {
      await until('both consumers with their figures', async () => {
        samples = parseMetrics(await scrape(p.url));
        return wanted.every((n) => metric(samples, n) === 2);
      }, 20000, 500);
    } finally {
      log('last figures:', wanted.map((n) => `${n}=${metric(samples ?? [], n)}`).join(' '),
        await (await get(p.url + 'consumers.json')).text());
    }
    const text = await scrape(p.url);
    promtool(text, 'sink');
    samples = parseMetrics(text);
    const m = (n, l) => metric(samples, n, l);
    log('sink metrics:', ['webrtclive_consumers', 'webrtclive_encoders', 'webrtclive_sessions_started_total',
      'webrtclive_join_first_packet_seconds_sum', 'process_threads', 'process_resident_memory_bytes']
      .map((n) => `${n}=${m(n)}`).join(' '), `H264 bytes=${m('webrtclive_sent_bytes_total', { codec: 'H264' })}`);
    assert(m('webrtclive_encoders') === 1, `one encoder for two H.264 consumers (${m('webrtclive_encoders')})`);
    assert(m('webrtclive_sessions_started_total') === 2, 'two sessions started');
    assert(m('webrtclive_sent_bytes_total', { codec: 'H264' }) > 10000, 'H.264 bytes sent');
    assert(m('webrtclive_sent_packets_total', { codec: 'H264' }) > 50, 'H.264 packets sent');
    assert(m('webrtclive_signalling_connections') === 2, 'two signalling WebSockets (the page and the src)');
    assert(m('webrtclive_signalling_messages_total', { type: 'startSession' }) === 2, 'two startSession messages');
    assert(m('process_threads') > 10 && m('process_resident_memory_bytes') > 1e6, 'process figures');
    assert(m('webrtclive_join_first_packet_seconds_sum') / 2 < 5, 'join → first packet under 5 s on average');

    // /consumers.json and the operator page: both, host candidates.
    let report;
    await until('both consumers on host candidates in /consumers.json', async () => {
      report = await (await get(p.url + 'consumers.json')).json();
      return report.consumers.length === 2 &&
        report.consumers.every((c) => c.local_candidate === 'host' && c.remote_candidate === 'host' && c.bitrate_bps > 0 &&
          c.layer === null && c.estimate_kbps === null);  // no ladder: no estimate (decision 85)
    }, 10000, 500);
    log('consumers.json:', JSON.stringify(report.consumers.map((c) => ({ id: c.id.slice(0, 8), codec: c.codec,
      family: c.family, bitrate: Math.round(c.bitrate_bps), rtt_ms: c.rtt_ms, first_packet_ms: c.first_packet_ms,
      estimate: `${c.estimate_kbps} kbit/s (${c.estimate_source})` }))));
    assert(report.consumers.every((c) => c.codec === 'H264' && c.family === 'ipv4'), 'codec and address family');
    const op = await browser.newPage();
    await op.goto(p.url + 'consumers');
    await until('the operator page to list both consumers', async () => op.evaluate(() => {
      const rows = [...document.querySelectorAll('#rows tr')];
      return rows.length === 2 && rows.every((r) => r.textContent.includes('host / host') && r.textContent.includes('H264'));
    }), 10000, 250);

    // Bus stats at the interval, plausible.
    await until('6 stats messages of one consumer', () => report.consumers.every((c) => stats(p, 'consumer-id', c.id).length >= 6), 10000, 250);
    for (const c of report.consumers) {
      const s = stats(p, 'consumer-id', c.id);
      const last = s.slice(-4);
      assert(last.every((x) => x.bitrate > 50000 && x.candidate === 'host' && x.codec === 'H264'),
        `plausible stats for ${c.id.slice(0, 8)}: ${last.map((x) => x.raw).join('\n')}`);
      assert(last.every((x, i) => i === 0 || x.packets > last[i - 1].packets), 'packets-sent keeps growing');
      // At the configured interval (500 ms), as the test receives them.
      const gaps = s.slice(1).map((x, i) => x.at - s[i].at).sort((a, b) => a - b);
      const median = gaps[Math.floor(gaps.length / 2)];
      log(`stats of ${c.id.slice(0, 8)}: median gap ${median} ms over ${gaps.length}`);
      assert(median >= 400 && median <= 700, `stats every ~500 ms (median gap ${median} ms)`);
    }
    log(`stats messages: ${report.consumers.map((c) => stats(p, 'consumer-id', c.id).length).join(', ')}`);

    // Freeze the src consumer: its session ends as a timeout (no RTCP).
    r.kill('SIGSTOP');
    await until('a session ended by timeout', async () => {
      const s = parseMetrics(await scrape(p.url));
      return metric(s, 'webrtclive_sessions_ended_total', { reason: 'timeout' }) === 1 &&
        metric(s, 'webrtclive_consumers') === 1 ? s : null;
    }, 25000, 500);
    const after = parseMetrics(await scrape(p.url));
    assert(metric(after, 'webrtclive_sessions_ended_total', { reason: 'normal' }) === 0, 'no other end counted');
    assert(metric(after, 'webrtclive_sent_bytes_total', { codec: 'H264' }) >= m('webrtclive_sent_bytes_total', { codec: 'H264' }),
      'the byte counter never goes down when a consumer goes');
  },

  // Chromium and the sink's H.264 must not get into a keyframe loop: with
  // rtph264pay's aggregate-mode=zero-latency, every forced keyframe came
  // with a 39-byte frame Chromium failed to decode, so it sent a PLI, which
  // forced the next keyframe: 2 PLIs and 2 keyframes a second, forever,
  // for every viewer (found with /metrics; docs/webrtcbin-notes.md).
  async 'sink-h264-no-keyframe-loop'(defer) {
    const p = await startPipeline(`${SRC} ! ${SINK}`);
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await openViewer(browser, p.url);
    await waitFrames(page, 30);
    const before = parseMetrics(await scrape(p.url));
    await new Promise((r) => setTimeout(r, 10000));
    const after = parseMetrics(await scrape(p.url));
    const forced = metric(after, 'webrtclive_keyframes_forced_total') - metric(before, 'webrtclive_keyframes_forced_total');
    const report = await (await get(p.url + 'consumers.json')).json();
    const pagePlis = await page.evaluate(async () => {
      let n = 0;
      for (const pc of (window.__pcs || []).filter((c) => c.connectionState !== 'closed')) {
        (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.pliCount ?? 0; });
      }
      return n;
    });
    log(`in 10 s of play: ${forced} keyframes forced; the consumer's PLIs: ${report.consumers.map((c) => c.plis)}; the page counts ${pagePlis}`);
    assert(forced <= 1, `at most one keyframe forced in 10 s of steady play (${forced})`);
    assert(report.consumers[0].plis <= 2, `the viewer sent at most 2 PLIs (${report.consumers[0].plis})`);
  },

  // With a token, /metrics and /consumers.json need it; the pages do not.
  async 'sink-metrics-token'(defer) {
    const p = await startPipeline(`${SRC} ! ${SINK} signaller::token=s3cret`);
    defer(() => p.stop());
    for (const path of ['metrics', 'consumers.json']) {
      const none = await get(p.url + path);
      assert(none.status === 401, `${path} without the token: ${none.status}`);
      assert((await none.text()).includes('token is required'), 'says why');
      const wrong = await get(p.url + path, { headers: { Authorization: 'Bearer nope' } });
      assert(wrong.status === 401, `${path} with a wrong token: ${wrong.status}`);
      const ok = await get(p.url + path, { headers: { Authorization: 'Bearer s3cret' } });
      assert(ok.status === 200, `${path} with the token: ${ok.status}`);
      const q = await get(`${p.url}${path}?token=s3cret`);
      assert(q.status === 200, `${path}?token=: ${q.status}`);
    }
    const page = await get(p.url + 'consumers');
    assert(page.status === 200 && (await page.text()).includes('consumers.js'), 'the operator page itself is public');
    const post = await get(p.url + 'metrics', { method: 'POST', headers: { Authorization: 'Bearer s3cret' } });
    assert(post.status === 405, `POST /metrics: ${post.status}`);
  },

  // webrtclivesrc with its embedded server: a sink publishes to it.
  async 'src-metrics'(defer) {
    const r = await startPipeline(`webrtclivesrc name=s port=0 address=127.0.0.1 ${ICE} stats-interval=500 s.video_0 ! fakesink name=countvideo`);
    defer(() => r.stop());
    const url = r.find((e) => e.event === 'urls').urls[0];
    const p = await startPipeline(`${SRC} ! webrtclivesink server=${url.replace('http://', 'ws://')}ws ${ICE} video-codecs=vp8`);
    defer(() => p.stop());
    await waitCount(r, 'countvideo', 30);
    let samples;
    await until('the src figures', async () => {
      samples = parseMetrics(await scrape(url));
      const bytes = samples.filter((x) => x.name === 'webrtclive_received_bytes_total').reduce((n, x) => n + x.value, 0);
      return metric(samples, 'webrtclive_src_connected') === 1 && bytes > 10000;
    }, 15000, 500);
    const text = await scrape(url);
    promtool(text, 'src');
    samples = parseMetrics(text);
    log('src metrics:', samples.filter((s) => /^webrtclive_(src|received|receive|sessions_started)/.test(s.name))
      .map((s) => `${s.name}${JSON.stringify(s.labels)}=${s.value}`).join(' '));
    assert(metric(samples, 'webrtclive_sessions_started_total') === 1, 'one session');
    await until('stats messages of the src', () => r.filter((e) => e.event === 'webrtclive-stats').length >= 4, 10000, 250);
    const s = r.filter((e) => e.event === 'webrtclive-stats').slice(-3).map((e) => e.structure);
    assert(s.every((x) => /bitrate=\(uint\)[1-9]/.test(x) && x.includes('candidate-type=(string)host')),
      `plausible src stats:\n${s.join('\n')}`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
run(name, scenarios[name]);
