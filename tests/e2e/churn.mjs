// SPDX-License-Identifier: LGPL-2.1-or-later
//
// 1,000 join/leave cycles of a real receiving webrtcbin (webrtclivesrc, in
// tests/tools/churn) against one webrtclivesink, after 200 to warm it up:
// the sink's threads and file descriptors come back to where they were, and
// its memory does not creep: the idle sink's RSS (after malloc_trim), taken
// every 200 cycles, grows at most 2 KiB per cycle over the last 800 (a
// least-squares slope through the five samples after the first batch; three
// samples over 400 cycles swung 0.9-2.3 KiB/cycle from run to run). A
// LeakSanitizer run of the same (sink-leaks) finds no leak of ours.
//   node churn.mjs [CYCLES]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, assert, log, run, sleep, spawnWatched, startPipeline, until } from './lib.mjs';

const CYCLES = Number(process.argv[2] || 1000);
const PARALLEL = Number(process.argv[3] || 4);  // churn processes at once (cycles are mostly waiting)
// Joins before the reference is taken: the shared encoder, buffer pools and
// malloc's per-thread arenas (sessions come with threads) settle by then.
const WARMUP = 200;

function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

// Least-squares slope of y over x.
function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n, my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0, den = 0;
  for (const [x, y] of points) { num += (x - mx) * (y - my); den += (x - mx) ** 2; }
  return num / den;
}

run(`churn ${CYCLES}`, async (defer) => {
  const p = await startPipeline('videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=30/1 ! ' +
    'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1 video-codecs=h264 producer-name=cam',
  // glibc gives each new thread's allocations an arena of their own (up to 8
  // per core), and pages fragmented across them survive malloc_trim: two
  // arenas measure what the sink keeps (default malloc: 1.6 KiB/cycle,
  // with two: 0.75; docs/testing.md).
  { env: { MALLOC_ARENA_MAX: '2' } });
  defer(() => p.stop());
  const pid = p.proc.pid;
  const ws = p.url.replace('http://', 'ws://') + 'ws';
  // The sink with no consumer left, its free heap pages handed back
  // (malloc_trim): RSS is then what it keeps, not what malloc holds.
  const idle = async () => {
    await until('no consumer left', async () => /consumers=\(uint\)0/.test((await p.command('stats', 'stats')).stats), 20000, 200);
    await sleep(1500);  // teardown finishes on the pool, libsoup closes its sockets
    await p.command('trim', 'trimmed');
    return sample(pid);
  };
  const before = await idle();
  log('sink before any consumer:', JSON.stringify(before));
  // Runs `cycles` joins/leaves in PARALLEL churn processes.
  const churn = async (cycles) => {
    let done = 0;
    const times = [];
    const churners = Array.from({ length: PARALLEL }, (_, k) => spawnWatched(`churn#${k}`, join(BUILD_DIR, 'tests', 'churn'),
      [ws, String(Math.ceil(cycles / PARALLEL))], {
        env: { ...process.env, GST_PLUGIN_PATH: join(BUILD_DIR, 'plugin'), GST_REGISTRY: join(BUILD_DIR, 'tests', 'registry.bin') },
        stdio: ['ignore', 'pipe', 'pipe'], exits: true,
        onLine(line) {
          if (!line.startsWith('{')) return;
          done++;
          times.push(JSON.parse(line).ms);
          if (done % 200 === 0) log(`cycle ${done}: sink ${JSON.stringify(sample(pid))}`);
        },
      }));
    const results = await Promise.all(churners.map((c) => c.exited));
    assert(results.every((r) => r.code === 0) && done >= cycles, `all ${cycles} cycles ran (${done})`);
    return times.sort((x, y) => x - y);
  };
  // The first joins create what stays (the shared encoder and its threads,
  // buffer pools): the reference is the sink warm and idle.
  await churn(WARMUP);
  const warm = await idle();
  const quarks0 = await p.command('quarks', 'quarks');
  log('sink warm and idle:', JSON.stringify(warm), 'quarks', quarks0.count);
  // The cycles in batches; after each, the idle sink's RSS: what it keeps.
  const BATCH = CYCLES / 5;
  const points = [[0, warm.rssKb]];
  const times = [];
  let after = warm;
  for (let done = BATCH; done <= CYCLES; done += BATCH) {
    times.push(...await churn(BATCH));
    after = await idle();
    points.push([done, after.rssKb]);
    log(`after ${done} cycles, idle: ${JSON.stringify(after)}`);
  }
  times.sort((x, y) => x - y);
  const quarks1 = await p.command('quarks', 'quarks');
  log(`quarks: ${quarks0.count} → ${quarks1.count} (last: ${quarks1.last})`);
  // Every sample after the first batch (which still grows arenas).
  const last = points.filter(([x]) => x >= BATCH);
  const kbPerCycle = slope(last);
  log(`sink after ${CYCLES} more: ${JSON.stringify(after)}; idle RSS slope over the last ${CYCLES - BATCH} cycles ` +
    `${kbPerCycle.toFixed(3)} KiB/cycle; join to first buffer and stop: median ${times[times.length >> 1].toFixed(0)} ms`);
  assert(after.threads <= warm.threads, `threads back to ${warm.threads} (${after.threads})`);
  assert(after.fds <= warm.fds, `file descriptors back to ${warm.fds} (${after.fds})`);
  assert(kbPerCycle <= 2, `RSS grows ${kbPerCycle.toFixed(3)} KiB per cycle (limit 2)`);
  // GQuarks are never freed: one per session was webrtcbin's RTX ssrc-map
  // naming a field after each new SSRC (docs/webrtcbin-notes.md).
  assert(quarks1.count - quarks0.count <= 2, `no GQuark per session (${quarks0.count} → ${quarks1.count})`);
  assert(!p.find((e) => e.event === 'error'), 'no ERROR on the sink');
}, { timeoutMs: 30 * 60 * 1000 });
