// SPDX-License-Identifier: LGPL-2.1-or-later
//
// bench/'s lite-consumer (issue 11's cheap consumers) against a real
// webrtclivesink: five consumers in one process, each through ICE, DTLS
// and SRTP, must be accepted by the sink (its answer checks), receive video
// at the source's rate, and keep the sink's peer-timeout (5 s here) from
// dropping them for 12 s, which only their RTCP receiver reports can do;
// the sink's round-trip times come from those reports' LSR/DLSR. The
// "fingerprint" scenario checks the consumer's own DTLS identity check.
//
//   node lite-consumer.mjs h264|vp8|fingerprint
import { join } from 'node:path';
import { BUILD_DIR, assert, log, run, spawnWatched, startPipeline, until } from './lib.mjs';

const SRC = 'videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1';
const SINK = 'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1 peer-timeout=5';
const COUNT = 5, SECONDS = 12;

// One sample's value of a Prometheus text exposition, or undefined.
function metric(text, name, labels = '') {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function scrape(url) {
  const r = await fetch(url + 'metrics');
  assert(r.status === 200, `GET /metrics answered ${r.status}`);
  return r.text();
}

// Runs lite-consumer against `url`; resolves with its JSON lines once it exited.
async function liteConsumer(url, args) {
  const events = [];
  const w = spawnWatched('lite-consumer', join(BUILD_DIR, 'bench', 'lite-consumer'),
    ['--url', url.replace(/^http/, 'ws') + 'ws', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'], exits: true, stopWith: 'SIGTERM',
      onLine(line) {
        if (!line.startsWith('{')) return log('lite-consumer:', line);
        const ev = JSON.parse(line);
        events.push(ev);
        if (ev.event !== 'report') log('lite-consumer:', line.slice(0, 400));
      },
    });
  return { w, events, done: w.exited.then(() => events) };
}

async function receives(codec, defer) {
  const p = await startPipeline(`${SRC} ! ${SINK} video-codecs=${codec}`);
  defer(() => p.stop());
  const c = await liteConsumer(p.url, ['--count', String(COUNT), '--seconds', String(SECONDS)]);
  defer(() => c.w.stop());
  const joined = () => c.events.filter((e) => e.event === 'joined');
  await until(`${COUNT} consumers to join`, () => joined().length === COUNT, 10000);

  // While they receive: the sink counts them, one encoder feeds them all,
  // and (second scrape: its stats are polled once asked for) it has a
  // round-trip time for each, from their receiver reports.
  await new Promise((r) => setTimeout(r, 4000));
  await scrape(p.url);
  await new Promise((r) => setTimeout(r, 4000));
  const m = await scrape(p.url);
  log('sink metrics:', m.split('\n').filter((l) => /^webrtclive_(consumers|encoders|sessions_ended|consumer_rtt_seconds_count)/.test(l)).join(' | '));
  assert(metric(m, 'webrtclive_consumers') === COUNT, `the sink has ${COUNT} consumers (${metric(m, 'webrtclive_consumers')})`);
  assert(metric(m, 'webrtclive_encoders') === 1, `one encoder (${metric(m, 'webrtclive_encoders')})`);
  const ended = m.split('\n').filter((l) => l.startsWith('webrtclive_sessions_ended_total{')).map((l) => Number(l.split(' ').pop()));
  assert(ended.length > 0 && ended.every((v) => v === 0), `no session ended yet (${ended})`);
  assert(metric(m, 'webrtclive_consumer_rtt_seconds_count') === COUNT,
    `a round-trip time for every consumer, from its receiver reports (${metric(m, 'webrtclive_consumer_rtt_seconds_count')})`);

  const events = await c.done;
  const bad = events.filter((e) => e.event === 'failed' || e.event === 'ended');
  assert(!bad.length, `no consumer failed or was dropped: ${JSON.stringify(bad)}`);
  for (const j of joined()) {
    assert(j.codec.toUpperCase() === codec.toUpperCase(), `consumer ${j.id} got ${codec} (${j.codec})`);
    assert(j.ms_to_first_keyframe >= j.ms_to_first_packet && j.ms_to_first_keyframe < 5000,
      `consumer ${j.id}: a keyframe within 5 s (${j.ms_to_first_keyframe} ms)`);
  }
  const reports = events.filter((e) => e.event === 'report');
  const last = reports.at(-1);
  assert(last && last.connected === COUNT && last.receiving === COUNT, `all ${COUNT} connected and receiving at the end`);
  assert(last.srtp_errors === 0, `every SRTP packet authenticated (${last.srtp_errors} refused)`);
  assert(last.rtcp_out >= COUNT * (SECONDS - 3), `receiver reports sent, ~1 s apart (${last.rtcp_out})`);
  assert(last.rtcp_in > 0, `sender reports received (${last.rtcp_in})`);
  // Rate: frames between the second report and the last, per consumer.
  const second = reports[1];
  const seconds = (last.t_ms - second.t_ms) / 1000;
  for (const per of last.per) {
    const before = second.per.find((x) => x.id === per.id);
    const fps = (per.frames - before.frames) / seconds;
    log(`consumer ${per.id}: ${per.frames} frames, ${per.keyframes} keyframes, ${per.packets} packets, ` +
        `${per.late} late, ${fps.toFixed(1)} fps`);
    assert(per.frames >= 250, `consumer ${per.id} got >= 250 frames (${per.frames})`);
    assert(fps >= 27 && fps <= 33, `consumer ${per.id} at ~30 fps (${fps.toFixed(1)})`);
  }
  const exit = events.find((e) => e.event === 'exit');
  assert(exit && exit.joined === COUNT && exit.failed === 0 && exit.ended === 0, `exit line: ${JSON.stringify(exit)}`);
  log(`lite-consumer: ${exit.steady_cpu_pct}% of a core for ${COUNT} consumers, ${exit.threads_max} threads, ` +
      `${exit.rss_kb} kB, SRTP crypto ${exit.srtp_crypto}`);
  // Gone from the sink once they closed their sessions.
  await until('the sink to see them leave', async () => metric(await scrape(p.url), 'webrtclive_consumers') === 0, 10000, 250);
}

const scenarios = {
  h264: (defer) => receives('h264', defer),
  vp8: (defer) => receives('vp8', defer),
  // A consumer that expects another DTLS certificate than the sink's must
  // refuse the connection: a "failed" line naming the mismatch, no packet.
  async fingerprint(defer) {
    const p = await startPipeline(`${SRC} ! ${SINK} video-codecs=h264`);
    defer(() => p.stop());
    const c = await liteConsumer(p.url, ['--count', '1', '--seconds', '4', '--tamper-fingerprint']);
    defer(() => c.w.stop());
    const events = await c.done;
    const failed = events.find((e) => e.event === 'failed');
    assert(failed && /DTLS certificate .* is not the one its SDP announced/.test(failed.reason),
      `the consumer refused the sink's certificate: ${JSON.stringify(failed)}`);
    assert(!events.some((e) => e.event === 'joined'), 'it never joined');
    const last = events.filter((e) => e.event === 'report').at(-1);
    assert(last && last.packets === 0, `it received no packet (${last && last.packets})`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
run(`lite-consumer-${name}`, scenarios[name]);
