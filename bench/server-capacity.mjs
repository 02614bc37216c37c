// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Capacity of webrtclive-signalling-server on this machine, loopback only:
//
// (a) idle connections: N = 1000, 2000, 5000, 10000 WebSockets, each doing
//     what a gstwebrtc-api page does (welcome, setPeerStatus ["listener"],
//     wait for its own peerStatusChanged); the server's RSS (VmRSS of
//     /proc/PID/status) per connection once every status broadcast has been
//     delivered. Listeners hear every status change, so registering N
//     listeners costs N(N+1)/2 messages; a second series registers with
//     roles [] (as rs webrtcsrc does), which nobody hears, to separate the
//     cost of a connection from the cost of the broadcast. A series stops
//     at the first N that fails or does not settle within its time budget.
// (b) relay throughput: pairs of peers in sessions send each other `peer`
//     ICE messages as fast as a window of 64 in flight per direction allows,
//     for 10 s, the server pinned to one core (taskset -c 0), the clients to
//     another; delivered messages per second and the server's CPU use.
//
// Run through `tools/bench.sh server-capacity` (private network namespace
// with only loopback, ulimit -n raised). Writes
// bench/results/server-capacity.json and the server-capacity section of
// docs/benchmarks.md. Bounded: at most 10 000 connections, ~10 min.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WsClient } from '../tests/server/ws-client.mjs';
import { DOC, RESULTS, ROOT, loadAverage, machine as describeMachine, sh, writeDocSection } from './lib.mjs';

const BUILD = process.env.WEBRTCLIVE_BUILD_DIR || join(ROOT, 'build');
const SERVER = join(BUILD, 'server', 'webrtclive-signalling-server');

const STEPS = (process.env.BENCH_STEPS || '1000,2000,5000,10000').split(',').map(Number);
const STEP_BUDGET_S = Number(process.env.BENCH_STEP_BUDGET_S || 200);  // per N, connect + settle
const HANDSHAKES_IN_FLIGHT = 100;
const RELAY_SECONDS = Number(process.env.BENCH_RELAY_SECONDS || 10);
const RELAY_PAIRS = (process.env.BENCH_RELAY_PAIRS || '1,10,100').split(',').map(Number);
const WINDOW = 64;  // relay messages in flight per direction
const CLK_TCK = Number(sh('getconf', ['CLK_TCK'])) || 100;
const TWO_CORES = cpus().length >= 2;

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


// ------------------------------------------------------------------ process

function procStatus(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [])[1] || 0);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

// CPU seconds (user + system) the process has used.
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;  // utime, stime
}

function openFileLimit() {
  const m = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+)/m);
  return m ? Number(m[1]) : 1024;
}

async function startServer({ cpu = null } = {}) {
  const args = ['--host', '127.0.0.1', '--port', '0'];
  const [cmd, argv] = cpu === null ? [SERVER, args] : ['taskset', ['-c', String(cpu), SERVER, ...args]];
  const proc = spawn(cmd, argv, { env: { ...process.env, G_MESSAGES_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const end = Date.now() + 5000;
  let m;
  while (!(m = out.match(/listening on ws:\/\/127\.0\.0\.1:(\d+)\//))) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`server did not start: ${out}`);
    await sleep(20);
  }
  return {
    proc, pid: proc.pid, exited, url: `ws://127.0.0.1:${m[1]}/`, port: Number(m[1]),
    get out() { return out; },
    async stop() {
      if (proc.exitCode !== null) return { ms: 0, ...(await exited) };
      const t0 = Date.now();
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const r = await exited;
      clearTimeout(t);
      return { ms: Date.now() - t0, ...r };
    },
  };
}

async function health(port) {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return res.json();
}

// ------------------------------------------------------------ (a) connections

// Opens one connection that registers with `roles` and resolves once the
// server has sent it its welcome (and, for listeners, its own status). After
// that it only counts frames.
async function idlePeer(url, roles, counters) {
  const ws = await WsClient.connect(url, { timeoutMs: 20000 });
  return new Promise((resolveReady, reject) => {
    let id = null;
    const t = setTimeout(() => reject(new Error('no welcome / own status within 60 s')), 60000);
    ws.onmessage = (text) => {
      counters.frames++;
      if (id === null) {
        const m = JSON.parse(text);
        if (m.type !== 'welcome') return reject(new Error(`expected welcome, got ${text}`));
        id = m.peerId;
        ws.send({ type: 'setPeerStatus', roles, meta: null });
        if (!roles.includes('listener')) {
          clearTimeout(t);
          resolveReady(ws);
        }
        return;
      }
      counters.statuses++;
      if (text.includes(id) && text.includes('"peerStatusChanged"')) {  // its own echo: ready
        clearTimeout(t);
        resolveReady(ws);
      }
    };
    ws.closed.then((c) => { counters.closes.push(c.code); reject(new Error(`closed early (${c.code})`)); });
  });
}

async function connectionStep(n, roles) {
  const listener = roles.includes('listener');
  const server = await startServer({ cpu: TWO_CORES ? 0 : null });
  const base = procStatus(server.pid);
  const cpu0 = cpuSeconds(server.pid);
  const counters = { frames: 0, statuses: 0, closes: [] };
  const clients = [];
  const out = { n, roles, ok: false, baselineRssKb: base.rssKb };
  const t0 = Date.now();
  const deadline = t0 + STEP_BUDGET_S * 1000;
  try {
    let next = 0, failed = null;
    const worker = async () => {
      while (next < n && !failed) {
        next++;
        if (Date.now() > deadline) { failed = new Error(`budget of ${STEP_BUDGET_S} s spent while connecting`); return; }
        try { clients.push(await idlePeer(server.url, roles, counters)); }
        catch (e) { failed = e; }
      }
    };
    await Promise.all(Array.from({ length: HANDSHAKES_IN_FLIGHT }, worker));
    if (failed) throw failed;
    out.connectSeconds = +((Date.now() - t0) / 1000).toFixed(2);
    // Every status broadcast delivered: N(N+1)/2 for listeners, none otherwise.
    const expected = listener ? (n * (n + 1)) / 2 : 0;
    while (counters.statuses < expected) {
      if (Date.now() > deadline) throw new Error(`budget of ${STEP_BUDGET_S} s spent: ${counters.statuses} of ${expected} status messages delivered`);
      if (server.proc.exitCode !== null) throw new Error(`server exited: ${JSON.stringify(await server.exited)}`);
      await sleep(100);
    }
    out.settleSeconds = +((Date.now() - t0) / 1000).toFixed(2);
    out.statusMessages = counters.statuses;
    await sleep(1000);  // let freed buffers settle
    const h = await health(server.port);
    if (h.peers !== n) throw new Error(`/health counts ${h.peers} peers, expected ${n}`);
    // Still responsive: a fresh client's welcome + list round trip.
    const tr = Date.now();
    const probe = await WsClient.connect(server.url);
    await probe.next((m) => m.type === 'welcome', 10000);
    probe.send({ type: 'list' });
    await probe.next((m) => m.type === 'list', 10000);
    out.probeRoundTripMs = Date.now() - tr;
    probe.destroy();
    const st = procStatus(server.pid);
    out.rssKb = st.rssKb;
    out.peakRssKb = st.hwmKb;
    out.rssPerConnectionKb = +((st.rssKb - base.rssKb) / n).toFixed(1);
    out.serverCpuSeconds = +(cpuSeconds(server.pid) - cpu0).toFixed(2);
    out.ok = true;
  } catch (e) {
    out.error = String(e.message || e);
    out.connected = clients.length;
  } finally {
    const stop = await server.stop();
    out.shutdownMs = stop.ms;
    out.exitCode = stop.code;
    // Every connection saw the 1001 close frame?
    await Promise.race([Promise.all(clients.map((c) => c.closed)), sleep(3000)]);
    out.closedWith1001 = counters.closes.filter((c) => c === 1001).length;
    for (const c of clients) c.destroy();
    await sleep(500);
  }
  log(`(a) ${roles.length ? roles.join('+') : 'roles []'} N=${n}: ${JSON.stringify(out)}`);
  return out;
}

// ------------------------------------------------------------------ (b) relay

async function relayRun(pairs) {
  const server = await startServer({ cpu: 0 });
  const out = { pairs, seconds: RELAY_SECONDS, window: WINDOW };
  const peers = [];
  try {
    const connect = async () => {
      const ws = await WsClient.connect(server.url);
      ws.id = (await ws.next((m) => m.type === 'welcome')).peerId;
      peers.push(ws);
      return ws;
    };
    const links = [];
    for (let i = 0; i < pairs; i++) {
      const p = await connect(), c = await connect();
      p.send({ type: 'setPeerStatus', roles: ['producer'], meta: { name: `p${i}` } });
      c.send({ type: 'startSession', peerId: p.id });
      const sid = (await c.next((m) => m.type === 'sessionStarted', 5000)).sessionId;
      await p.next((m) => m.type === 'startSession', 5000);
      links.push({ a: p, b: c, sid }, { a: c, b: p, sid });
    }
    let delivered = 0, mismatched = 0, measuring = false, stopped = false;
    for (const l of links) {
      const msg = { type: 'peer', sessionId: l.sid, ice: { candidate: 'candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host', sdpMLineIndex: 0 } };
      l.text = JSON.stringify(msg);
      l.frame = WsClient.encode(0x1, Buffer.from(l.text));  // one masked frame, sent over and over
      l.inFlight = 0;
      l.checked = false;
      l.pump = () => {
        if (stopped) return;
        const k = WINDOW - l.inFlight;
        if (k <= 0) return;
        l.inFlight += k;
        l.a.sendRaw(k === 1 ? l.frame : Buffer.concat(Array(k).fill(l.frame)));
      };
    }
    // Each receiver knows which link feeds it: the other direction of its session.
    for (const l of links) {
      const receiver = l.b;
      const prev = receiver.onmessage;
      receiver.feeds = receiver.feeds || [];
      receiver.feeds.push(l);
      if (!prev) {
        receiver.onmessage = (text) => {
          const link = receiver.feeds[0];  // one session per peer here
          if (!link.checked) { link.checked = true; if (text !== link.text) mismatched++; }
          link.inFlight--;
          if (measuring) delivered++;
          if (link.inFlight <= WINDOW / 2) link.pump();
        };
      }
    }
    for (const l of links) l.pump();
    await sleep(1000);  // warm-up
    const cpu0 = cpuSeconds(server.pid), t0 = process.hrtime.bigint();
    measuring = true;
    await sleep(RELAY_SECONDS * 1000);
    measuring = false;
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(server.pid) - cpu0;
    stopped = true;
    out.delivered = delivered;
    out.msgsPerSecond = Math.round(delivered / wall);
    out.serverCpuPercent = Math.round((cpu / wall) * 100);
    out.clientCpuNote = 'clients on another core';
    out.relayedUnchanged = mismatched === 0;
    out.rssKb = procStatus(server.pid).rssKb;
  } catch (e) {
    out.error = String(e.message || e);
  } finally {
    for (const p of peers) p.destroy();
    await server.stop();
    await sleep(300);
  }
  log(`(b) ${pairs} pairs: ${JSON.stringify(out)}`);
  return out;
}

// --------------------------------------------------------------------- report


const mb = (kb) => (kb / 1024).toFixed(1);

function docSection(r) {
  const info = r.machine;
  const row = (s) => s.ok
    ? `| ${s.n} | yes | ${s.connectSeconds} | ${s.settleSeconds} | ${s.statusMessages.toLocaleString('en-US')} | ${mb(s.baselineRssKb)} | ${mb(s.rssKb)} | ${s.rssPerConnectionKb} | ${s.serverCpuSeconds} | ${s.probeRoundTripMs} | ${s.shutdownMs} | ${s.closedWith1001} |`
    : `| ${s.n} | **no**: ${s.error.replace(/\|/g, '/')} (${s.connected} connected) | | | | ${mb(s.baselineRssKb)} | | | | | ${s.shutdownMs} | ${s.closedWith1001} |`;
  const table = (series) => [
    '| N | done | connect + register (s) | all statuses delivered (s) | status messages | RSS idle (MB) | RSS with N (MB) | RSS per connection (KB) | server CPU (s) | probe welcome+list (ms) | SIGTERM → exit (ms) | clients that saw 1001 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...series.map(row),
  ].join('\n');
  const relayRows = r.relay.map((x) => x.error
    ? `| ${x.pairs} | failed: ${x.error} | | |`
    : `| ${x.pairs} | ${x.msgsPerSecond.toLocaleString('en-US')} | ${x.serverCpuPercent} % | ${x.relayedUnchanged ? 'yes' : '**no**'} |`);
  const best = r.relay.filter((x) => !x.error).sort((a, b) => b.msgsPerSecond - a.msgsPerSecond)[0];
  const lastOk = (s) => s.filter((x) => x.ok).at(-1);
  const lOk = lastOk(r.listeners), iOk = lastOk(r.idle);
  const lFail = r.listeners.find((x) => !x.ok), iFail = r.idle.find((x) => !x.ok);
  const text = [];
  if (iOk) text.push(`A connection that registered without being a listener costs the server about ${iOk.rssPerConnectionKb} KB of RSS ` +
    `(${iOk.n} connections: ${mb(iOk.rssKb)} MB against ${mb(iOk.baselineRssKb)} MB idle)` +
    (iFail ? `; ${iFail.n} failed: ${iFail.error}.` : `, and ${iOk.n} connections, the most tried, all registered.`) +
    ` Connecting slows as connections accumulate (${r.idle.filter((x) => x.ok).map((x) => `${x.n}: ${x.connectSeconds} s`).join(', ')}), ` +
    'with the server\'s CPU as the limit: its one GLib main loop uses poll(), so every wakeup costs time in proportion to the open ' +
    'connections (kernel poll and GLib source checks lead a perf profile); an idle connection costs almost no CPU (a ping every 30 s).');
  if (lOk) text.push(`As listeners (every gstwebrtc-api page), ${lOk.n} connections registered and received every one of the ` +
    `${lOk.statusMessages.toLocaleString('en-US')} status messages in ${lOk.settleSeconds} s, ${lOk.rssPerConnectionKb} KB of RSS each once delivered` +
    (lFail ? `; at ${lFail.n} the run stopped: ${lFail.error}.` : '.') +
    ' The cost grows with N²: each new listener\'s status goes to every listener, so it is the broadcast, not memory, that bounds how many pages can watch one server.');
  if (best) text.push(`Relaying \`peer\` ICE messages, the server on one core delivered ${best.msgsPerSecond.toLocaleString('en-US')} messages/s ` +
    `(${best.pairs} pairs, server CPU ${best.serverCpuPercent} %)` +
    (best.serverCpuPercent >= 90 ? ', CPU-bound.' : `; under 90 % CPU, the clients (one Node process on the other core) were the limit.`) +
    ' A WebRTC session needs a few dozen signalling messages, so signalling throughput is not what limits a deployment.');
  return [
    '<!-- server-capacity:begin -->',
    '## Signalling server capacity',
    '',
    '`webrtclive-signalling-server --host 127.0.0.1 --port 0`, clients in one Node process (`tests/server/ws-client.mjs`), ' +
      `loopback only${TWO_CORES ? '; server on core 0, clients on core 1 (`taskset`)' : ''}. RSS is VmRSS of /proc/PID/status, ` +
      'read after every broadcast was delivered and 1 s of quiet; per connection = (RSS with N − RSS idle) / N.',
    '',
    '### (a) Concurrent connections, as listeners (welcome, `setPeerStatus ["listener"]`, own `peerStatusChanged`)',
    '',
    table(r.listeners),
    '',
    '### (a′) Concurrent connections, roles `[]` (welcome, `setPeerStatus []`; no one listens)',
    '',
    table(r.idle),
    '',
    `### (b) Relayed messages per second, server pinned to one core (taskset -c 0), ${RELAY_SECONDS} s per row`,
    '',
    `Pairs of peers in sessions send each other \`peer\` ICE messages (${r.relay[0]?.window ?? WINDOW} in flight per direction); counted when delivered.`,
    '',
    '| pairs | delivered messages/s | server CPU | relayed unchanged |',
    '|---|---|---|---|',
    ...relayRows,
    '',
    `Machine: ${info.cpu}, ${info.nproc} cores (nproc), ${info.server}, kernel ${info.kernel}, Node ${info.node}, ` +
      `open file limit ${info.openFileLimit}, ${info.date.slice(0, 10)}; load average ${info.loadavgAtStart.join(' / ')} at start, ` +
      `${(info.loadavgAtEnd || []).join(' / ')} at the end. The machine was shared with other work (browser tests): ` +
      'in trial runs on it, registering 2000 listeners took 10–33 s and relaying reached 78 000–87 000 messages/s, so read the ' +
      'figures as orders of magnitude.',
    '',
    'Reproduce: `tools/bench.sh server-capacity` (builds if needed, runs in a private network namespace with only loopback; ' +
      'writes `bench/results/server-capacity.json` and this section).',
    '',
    text.join(' '),
    '<!-- server-capacity:end -->',
  ].join('\n');
}


// ----------------------------------------------------------------------- main

// BENCH_FROM_JSON=1: only rewrite the docs section from the last results.
if (process.env.BENCH_FROM_JSON) {
  writeDocSection('server-capacity', docSection(JSON.parse(readFileSync(join(RESULTS, 'server-capacity.json'), 'utf8'))));
  log(`rewrote the server-capacity section of ${DOC}`);
  process.exit(0);
}
if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: build first (ninja -C build)`);
const info = describeMachine({
  libsoup: sh('pkg-config', ['--modversion', 'libsoup-3.0']),
  server: sh(SERVER, ['--version']),
  kernel: sh('uname', ['-r']),
  openFileLimit: openFileLimit(),
});  // before pinning: nproc counts the CPUs this process may use
if (TWO_CORES) sh('taskset', ['-a', '-cp', '1', String(process.pid)]);  // clients off the server's core
log('machine', JSON.stringify(info));
const limit = info.openFileLimit;
const steps = STEPS.filter((n) => n + 100 <= limit);
if (steps.length < STEPS.length) log(`open file limit ${limit}: skipping N > ${limit - 100} (raise ulimit -n)`);

const series = async (roles) => {
  const out = [];
  for (const n of steps) {
    const r = await connectionStep(n, roles);
    out.push(r);
    if (!r.ok) break;
  }
  return out;
};
// BENCH_PARTS=idle,listeners,relay picks parts (all by default).
const PARTS = (process.env.BENCH_PARTS || 'idle,listeners,relay').split(',');
const result = { benchmark: 'server-capacity', machine: info, idle: [], listeners: [], relay: [] };
if (PARTS.includes('idle')) result.idle = await series([]);
if (PARTS.includes('listeners')) result.listeners = await series(['listener']);
if (PARTS.includes('relay')) for (const pairs of RELAY_PAIRS) result.relay.push(await relayRun(pairs));
info.loadavgAtEnd = loadAverage();

if (process.env.BENCH_NO_WRITE) {
  console.log(JSON.stringify(result, null, 2));
  console.log(docSection(result));
  process.exit(0);
}
mkdirSync(RESULTS, { recursive: true });
const json = join(RESULTS, 'server-capacity.json');
writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
writeDocSection('server-capacity', docSection(result));
log(`wrote ${json} and ${DOC}`);
process.exit(0);
