// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tests of webrtclive-signalling-server as its clients see it: each case
// starts the real executable on 127.0.0.1 with --port 0, reads the chosen
// port from its "listening on" line, and drives it with scripted WebSocket
// clients (ws-client.mjs) through every message type of
// shared/docs/signalling-protocol.md, checking each reply.
//
//   node server-tests.mjs CASE     (WEBRTCLIVE_SERVER = the executable)
//
// Peers that are not listeners are checked strictly: their next message
// must be the expected one, and quiet() asserts that nothing else arrived.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { WsClient } from './ws-client.mjs';
import { allProblems, firstProblem, spawnWatched, stopAll } from '../e2e/proc.mjs';

const SERVER = process.env.WEBRTCLIVE_SERVER;
if (!SERVER) throw new Error('WEBRTCLIVE_SERVER is not set (run through meson test --suite server)');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const OFFER = 'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n';
const ANSWER = 'v=0\r\no=- 2 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n';
const ICE = { candidate: 'candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host', sdpMLineIndex: 0 };
const NO_SESSION = '00000000-0000-4000-8000-000000000000';

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function assertEqual(got, want, what) {
  if (!isDeepStrictEqual(got, want))
    throw new Error(`assertion failed: ${what}\n  got:  ${JSON.stringify(got)}\n  want: ${JSON.stringify(want)}`);
}

// ------------------------------------------------------------------ server

const cleanups = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'webrtclive-server-test-'));
  cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
  return d;
};

// Runs the server, watched (tests/e2e/proc.mjs): a crash, an unclean
// SIGTERM stop or a GLib CRITICAL/ERROR fails the case. Resolves once it
// printed its "listening on" line; with expectListen false (a server that
// must refuse to start) it may end by itself with `exitCode`.
async function startServer(args = [], { env = {}, expectListen = true, exitCode = 0, nofile } = {}) {
  let out = '';
  const argv = ['--host', '127.0.0.1', '--port', '0', ...args];
  // prlimit execs the server: same process, with that open file limit.
  const [cmd, cmdArgs] = nofile ? ['prlimit', [`--nofile=${nofile}:${nofile}`, '--', SERVER, ...argv]] : [SERVER, argv];
  const w = spawnWatched('webrtclive-signalling-server', cmd, cmdArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    stopWith: 'SIGTERM', exitCode, exits: !expectListen,
    onLine(line) { out += line + '\n'; },
  });
  const { proc } = w;
  const s = {
    proc,
    watched: w,
    get out() { return out; },
    exited: w.exited,
    kill: (signal) => w.kill(signal),
  };
  if (!expectListen) return s;
  const m = await until('the "listening on" line', () => out.match(/listening on (wss?):\/\/127\.0\.0\.1:(\d+)\//) ||
    (proc.exitCode !== null && { exited: true }), 5000);
  if (m.exited) throw new Error(`the server exited with ${proc.exitCode}:\n${out}`);
  s.port = Number(m[2]);
  s.ws = `${m[1]}://127.0.0.1:${s.port}/`;
  s.http = `${m[1] === 'wss' ? 'https' : 'http'}://127.0.0.1:${s.port}`;
  log(`server on port ${s.port}`);
  return s;
}

// Runs the server expecting it to fail; returns its exit code and output.
async function failingServer(args, timeoutMs = 5000, exitCode = 1) {
  const s = await startServer(args, { expectListen: false, exitCode });
  const t = setTimeout(() => s.proc.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await s.exited;
  clearTimeout(t);
  assert(signal === null, `the server should exit by itself, got signal ${signal}:\n${s.out}`);
  log(`exit ${code}: ${s.out.trim()}`);
  return { code, out: s.out };
}

async function until(what, fn, timeoutMs = 5000, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function request(url, { method = 'GET', path, insecure = false, headers = {} } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: u.hostname, port: u.port, method, path: path ?? u.pathname + u.search,
      rejectUnauthorized: !insecure, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end();
  });
}

// ------------------------------------------------------------------ peers

let peerCount = 0;
// A connected client that got its welcome; `name` is for messages only.
async function client(server, name = `peer${++peerCount}`, opts = {}, suffix = '') {
  const ws = await WsClient.connect(server.ws + suffix, opts);
  const welcome = await ws.next(() => true, 3000, `${name}'s welcome`);
  assertEqual(Object.keys(welcome).sort(), ['peerId', 'type'], `${name}: welcome has type and peerId only`);
  assert(welcome.type === 'welcome', `${name}: the first message is welcome, got ${JSON.stringify(welcome)}`);
  assert(UUID.test(welcome.peerId), `${name}: the peer id ${welcome.peerId} is a UUIDv4`);
  ws.id = welcome.peerId;
  ws.name = name;
  cleanups.push(async () => ws.destroy());
  return ws;
}

// The next message, which must be of `type` (strict order).
async function expectNext(ws, type, timeoutMs = 3000) {
  const m = await ws.next(() => true, timeoutMs, `${ws.name}: ${type}`);
  if (m.type !== type) throw new Error(`${ws.name} expected '${type}', got ${JSON.stringify(m)}`);
  return m;
}

async function expectError(ws, pattern, what) {
  const m = await expectNext(ws, 'error');
  assertEqual(Object.keys(m).sort(), ['details', 'type'], `${what}: error has type and details only`);
  assert(typeof m.details === 'string' && pattern.test(m.details),
    `${what}: error details '${m.details}' match ${pattern}`);
  log(`  ${what} → error "${m.details}"`);
  return m;
}

// Nothing (matching `pred`) arrives within `ms`.
async function quiet(ws, ms = 150, pred = () => true) {
  await sleep(ms);
  const extra = ws.queue.filter(pred);
  assert(extra.length === 0, `${ws.name} expected no message, got ${JSON.stringify(extra)}`);
}

// A listener's next peerStatusChanged about `peer`.
const statusOf = (listener, peer, ms = 3000) =>
  listener.next((m) => m.type === 'peerStatusChanged' && m.peerId === peer.id, ms, `${listener.name}: status of ${peer.name}`);

// Sets a status and waits until the server has applied it (a `list` round
// trip on the same connection: messages of different connections have no
// order), then checks that each of `listeners` heard it.
async function setStatus(ws, roles, meta, listeners = []) {
  ws.send({ type: 'setPeerStatus', roles, meta });
  ws.send({ type: 'list' });
  await ws.next((m) => m.type === 'list', 3000, `${ws.name}: list after setPeerStatus`);
  const want = { type: 'peerStatusChanged', peerId: ws.id, roles, meta };
  for (const l of listeners) assertEqual(await statusOf(l, ws), want, `${l.name} hears ${ws.name}'s status`);
}

// `consumer` asks `producer` for a session; both sides checked.
async function startSession(from, to, offer) {
  from.send(offer === undefined ? { type: 'startSession', peerId: to.id } : { type: 'startSession', peerId: to.id, offer });
  const started = await expectNext(from, 'sessionStarted');
  assert(UUID.test(started.sessionId), `session id ${started.sessionId} is a UUIDv4`);
  assertEqual(started, { type: 'sessionStarted', peerId: to.id, sessionId: started.sessionId },
    `${from.name} gets sessionStarted naming ${to.name}`);
  const asked = await expectNext(to, 'startSession');
  assertEqual(asked, { type: 'startSession', peerId: from.id, sessionId: started.sessionId, offer: offer ?? null },
    `${to.name} gets startSession naming ${from.name} with the same session id`);
  return started.sessionId;
}

// `msg` from `a` reaches `b` unchanged.
async function relayed(a, b, msg, what) {
  a.send(msg);
  assertEqual(await expectNext(b, msg.type), msg, `${what} relayed unchanged from ${a.name} to ${b.name}`);
}

async function stillAnswers(ws, what) {
  ws.send({ type: 'list' });
  const m = await expectNext(ws, 'list');
  assert(Array.isArray(m.producers), `${what}: list answered after it, connection open`);
}

const health = async (s) => JSON.parse((await request(`${s.http}/health`)).body);

// ------------------------------------------------------------------ cases

const cases = {};

cases.help = async () => {
  const help = execFileSync(SERVER, ['--help'], { encoding: 'utf8' });
  for (const opt of ['--host=ADDRESS', '--port=PORT', '--cert=FILE', '--key=FILE', '--web-root=DIR', '--version', '--help'])
    assert(help.includes(opt), `--help lists ${opt}`);
  for (const words of ['gst-webrtc-signalling-server', 'gstwebrtc-api', '/health', '/publish.html', '0 = pick a free port',
    'wss://', 'SIGTERM', '1001', 'G_MESSAGES_DEBUG'])
    assert(help.includes(words), `--help mentions ${words}`);
  const version = execFileSync(SERVER, ['--version'], { encoding: 'utf8' });
  assert(/^webrtclive-signalling-server \d+\.\d+\.\d+ /.test(version), `--version prints the version: ${version}`);
  for (const [args, pattern] of [[['--bogus'], /bogus/], [['extra-arg'], /extra-arg/], [['--port', '70000'], /70000/],
    [['--cert', '/tmp/x.pem'], /--key/]]) {
    const r = await failingServer(args, 5000, 2);
    assert(r.code === 2, `${args.join(' ')} exits with 2, got ${r.code}`);
    assert(pattern.test(r.out), `${args.join(' ')}: the message matches ${pattern}`);
  }
};

cases.conformance = async () => {
  const s = await startServer();
  const L = await client(s, 'listener');
  // A listener hears its own status: gstwebrtc-api's "ready" signal.
  await setStatus(L, ['listener'], { name: 'watcher' }, [L]);
  await quiet(L);

  const P = await client(s, 'producer');
  const camMeta = { name: 'cam', nested: { a: [1, 2.5, 'x'], b: null } };
  await setStatus(P, ['producer'], camMeta, [L]);
  await quiet(P);  // not a listener: hears nothing, not even its own status

  const PC = await client(s, 'passive-consumer');
  await setStatus(PC, ['consumer'], { name: 'passive' }, [L]);

  L.send({ type: 'list' });
  assertEqual(await expectNext(L, 'list'), { type: 'list', producers: [{ id: P.id, meta: camMeta }] },
    'list names the producer with its meta');
  L.send({ type: 'listConsumers' });
  assertEqual(await expectNext(L, 'listConsumers'), { type: 'listConsumers', consumers: [{ id: PC.id, meta: { name: 'passive' } }] },
    'listConsumers names the passive consumer with its meta');

  // A session the producer offers in (consumer without roles, as gstwebrtc-api).
  const C = await client(s, 'consumer');
  const sid = await startSession(C, P);
  const offer = { type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } };
  await relayed(P, C, offer, 'the offer');
  await relayed(C, P, { type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: ANSWER } }, 'the answer');
  await relayed(P, C, { type: 'peer', sessionId: sid, ice: ICE }, 'an ICE candidate');
  await relayed(C, P, { type: 'peer', sessionId: sid, ice: { candidate: 'candidate:2 1 UDP 1 127.0.0.1 4 typ host', sdpMLineIndex: 1 } },
    'an ICE candidate');

  // A consumer's offer belongs in startSession, never in `peer`.
  C.send({ type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } });
  await expectError(C, /offer/, 'an SDP offer in peer from the consumer');
  await quiet(P);

  // A session the consumer offers in.
  const C2 = await client(s, 'offering-consumer');
  const sid2 = await startSession(C2, P, OFFER);
  assert(sid2 !== sid, 'each session has its own id');
  await relayed(P, C2, { type: 'peer', sessionId: sid2, sdp: { type: 'answer', sdp: ANSWER } }, 'the producer\'s answer');
  await relayed(C2, P, { type: 'peer', sessionId: sid2, ice: ICE }, 'an ICE candidate');

  // Errors.
  const X = await client(s, 'x');
  X.send({ type: 'setPeerStatus', roles: ['producer', 'consumer'], meta: null });
  await expectError(X, /producer.*consumer|consumer.*producer/, 'roles producer + consumer');
  X.send({ type: 'peer', sessionId: NO_SESSION, ice: ICE });
  await expectError(X, /session/, 'peer in an unknown session');
  X.send({ type: 'endSession', sessionId: NO_SESSION });
  await expectError(X, /session/, 'endSession of an unknown session');
  X.send({ type: 'peer', sessionId: sid, ice: ICE });
  await expectError(X, /session/, 'peer in a session of others');
  X.send({ type: 'endSession', sessionId: sid });
  await expectError(X, /session/, 'endSession of a session of others');
  X.send({ type: 'startSession', peerId: NO_SESSION });
  await expectError(X, /peer/, 'startSession to an unknown peer');
  X.send({ type: 'startSession', peerId: X.id });
  await expectError(X, /oneself|self/, 'startSession to oneself');
  X.send({ type: 'startSession', peerId: L.id });
  await expectError(X, /producer|consumer/, 'startSession to a peer that is neither producer nor consumer');
  await quiet(P);
  await quiet(C);
  await quiet(L, 150, (m) => m.peerId === X.id);  // the refused status was not announced

  // endSession: the other side is told, the sender is not; the session is gone.
  C.send({ type: 'endSession', sessionId: sid });
  assertEqual(await expectNext(P, 'endSession'), { type: 'endSession', sessionId: sid }, 'the producer hears endSession');
  await quiet(C);
  C.send({ type: 'peer', sessionId: sid, ice: ICE });
  await expectError(C, /session/, 'peer in an ended session');

  const h = await health(s);
  assertEqual({ peers: h.peers, sessions: h.sessions }, { peers: 6, sessions: 1 }, '/health counts 6 peers and 1 session');
  for (const ws of [L, P, PC, C, C2, X]) assert(ws.closeInfo === null, `${ws.name} is still connected`);
};

cases['reverse-direction'] = async () => {
  const s = await startServer();
  const L = await client(s, 'listener');
  await setStatus(L, ['listener'], null, [L]);

  // A browser publishes: listener + producer; a GStreamer consumer starts the session.
  const B = await client(s, 'browser');
  await setStatus(B, ['listener', 'producer'], { name: 'camera' }, [B, L]);
  const G = await client(s, 'gst-consumer');
  await setStatus(G, [], null, [B, L]);
  G.send({ type: 'list' });
  assertEqual(await expectNext(G, 'list'), { type: 'list', producers: [{ id: B.id, meta: { name: 'camera' } }] },
    'the consumer finds the browser in list');
  const sid = await startSession(G, B);
  await relayed(B, G, { type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } }, 'the browser\'s offer');
  await relayed(G, B, { type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: ANSWER } }, 'the answer');
  await relayed(G, B, { type: 'peer', sessionId: sid, ice: ICE }, 'an ICE candidate');
  await relayed(B, G, { type: 'peer', sessionId: sid, ice: ICE }, 'an ICE candidate');

  // A passive consumer (role consumer) receives startSession from a producer.
  const PC = await client(s, 'passive-consumer');
  await setStatus(PC, ['consumer'], { name: 'recv' }, [B, L]);
  const P = await client(s, 'producer');
  await setStatus(P, ['producer'], { name: 'p2' }, [B, L]);
  const sid2 = await startSession(P, PC);
  await relayed(P, PC, { type: 'peer', sessionId: sid2, sdp: { type: 'offer', sdp: OFFER } }, 'the producer\'s offer');
  PC.send({ type: 'peer', sessionId: sid2, sdp: { type: 'offer', sdp: OFFER } });
  await expectError(PC, /offer/, 'an offer from the passive consumer');
  await relayed(PC, P, { type: 'peer', sessionId: sid2, sdp: { type: 'answer', sdp: ANSWER } }, 'the consumer\'s answer');
  await relayed(PC, P, { type: 'peer', sessionId: sid2, ice: ICE }, 'an ICE candidate');
  P.send({ type: 'startSession', peerId: PC.id, offer: OFFER });
  await expectError(P, /offer/, 'startSession with an offer to a passive consumer');

  // Dropping a role ends the sessions held in it.
  await setStatus(PC, [], { name: 'recv' }, [B, L]);
  assertEqual(await expectNext(P, 'endSession'), { type: 'endSession', sessionId: sid2 },
    'a consumer dropping role consumer ends its session; the producer is told');
  await setStatus(B, ['listener'], { name: 'camera' }, [B, L]);
  assertEqual(await expectNext(G, 'endSession'), { type: 'endSession', sessionId: sid },
    'a producer dropping role producer ends its session; the consumer is told');
  await quiet(G);
  await quiet(P);
  assertEqual((await health(s)).sessions, 0, 'no session left');
};

cases.v1_1 = async () => {
  const s = await startServer();
  const v11 = async (name) => {
    const ws = await client(s, name);
    ws.send({ type: 'setProtocolVersion', version: 'v1_1' });
    return ws;
  };
  const P11 = await v11('producer-v1.1');
  await setStatus(P11, ['producer'], null);
  await quiet(P11);  // setProtocolVersion is not answered
  const C11 = await v11('consumer-v1.1');
  const P10 = await client(s, 'producer-v1.0');
  await setStatus(P10, ['producer'], null);

  // v1.1 to v1.1: the reason travels.
  const sid = await startSession(C11, P11);
  C11.send({ type: 'endSessionV1_1', sessionId: sid, error: 'the viewer closed the page' });
  assertEqual(await expectNext(P11, 'endSessionV1_1'),
    { type: 'endSessionV1_1', sessionId: sid, error: 'the viewer closed the page' }, 'a v1.1 peer gets endSessionV1_1 with the reason');
  const sidNull = await startSession(C11, P11);
  C11.send({ type: 'endSessionV1_1', sessionId: sidNull, error: null });
  assertEqual(await expectNext(P11, 'endSessionV1_1'), { type: 'endSessionV1_1', sessionId: sidNull, error: null },
    'endSessionV1_1 with error null');
  const sidPlain = await startSession(C11, P11);
  C11.send({ type: 'endSession', sessionId: sidPlain });
  assertEqual(await expectNext(P11, 'endSessionV1_1'), { type: 'endSessionV1_1', sessionId: sidPlain, error: null },
    'a v1.1 peer hears a plain endSession as endSessionV1_1 with error null');

  // v1.1 to v1.0: never endSessionV1_1.
  const sid2 = await startSession(C11, P10);
  C11.send({ type: 'endSessionV1_1', sessionId: sid2, error: 'bye' });
  assertEqual(await expectNext(P10, 'endSession'), { type: 'endSession', sessionId: sid2 },
    'a v1.0 peer gets plain endSession, without the reason');

  // endSessionV1_1 from a v1.0 peer is refused; the session lives on.
  const C10 = await client(s, 'consumer-v1.0');
  const sid3 = await startSession(C10, P11);
  C10.send({ type: 'endSessionV1_1', sessionId: sid3, error: 'x' });
  await expectError(C10, /v1_1|version/, 'endSessionV1_1 from a v1.0 peer');
  await quiet(P11);
  await relayed(P11, C10, { type: 'peer', sessionId: sid3, ice: ICE }, 'ICE in the session that was not ended');

  // A disconnect tells a v1.1 counterpart why.
  C10.destroy();
  const ended = await expectNext(P11, 'endSessionV1_1');
  assert(ended.sessionId === sid3 && typeof ended.error === 'string' && ended.error.length > 0,
    `a v1.1 peer is told why a session ended on disconnect: ${JSON.stringify(ended)}`);
  log(`  disconnect reason: "${ended.error}"`);

  // An explicit v1_0 is v1.0.
  const P10b = await client(s, 'producer-explicit-v1.0');
  P10b.send({ type: 'setProtocolVersion', version: 'v1_0' });
  await setStatus(P10b, ['producer'], null);
  const sid4 = await startSession(C11, P10b);
  C11.send({ type: 'endSessionV1_1', sessionId: sid4, error: 'bye' });
  assertEqual(await expectNext(P10b, 'endSession'), { type: 'endSession', sessionId: sid4 }, 'setProtocolVersion v1_0 gets endSession');

  // setProtocolVersion must come first, and name a known version.
  P10.send({ type: 'setProtocolVersion', version: 'v1_1' });
  await expectError(P10, /first/, 'setProtocolVersion after another message');
  const Z = await client(s, 'bad-version');
  Z.send({ type: 'setProtocolVersion', version: 'v2_0' });
  await expectError(Z, /version/, 'an unknown protocol version');
  await stillAnswers(Z, 'after a bad version');
  for (const ws of [P11, C11, P10, P10b]) await quiet(ws);
};

cases.malformed = async () => {
  const s = await startServer();
  const M = await client(s, 'malformed');
  const bad = [
    ['invalid JSON', '{"type": "list"'],
    ['not JSON at all', 'hello'],
    ['an array', '[1, 2]'],
    ['a string', '"list"'],
    ['no type', '{}'],
    ['a non-string type', '{"type": 42}'],
    ['an unknown type', { type: 'fly' }],
    ['startSession without peerId', { type: 'startSession' }],
    ['startSession with a numeric peerId', { type: 'startSession', peerId: 7 }],
    ['setPeerStatus without roles', { type: 'setPeerStatus', meta: null }],
    ['setPeerStatus with an unknown role', { type: 'setPeerStatus', roles: ['boss'], meta: null }],
    ['setPeerStatus with roles not an array', { type: 'setPeerStatus', roles: 'producer', meta: null }],
    ['peer without sessionId', { type: 'peer', ice: ICE }],
    ['peer without sdp or ice', { type: 'peer', sessionId: NO_SESSION }],
    ['peer with ice without sdpMLineIndex', { type: 'peer', sessionId: NO_SESSION, ice: { candidate: ICE.candidate } }],
    ['peer with an sdp of type pranswer', { type: 'peer', sessionId: NO_SESSION, sdp: { type: 'pranswer', sdp: OFFER } }],
    ['endSession without sessionId', { type: 'endSession' }],
    ['endSessionV1_1 without sessionId', { type: 'endSessionV1_1', error: null }],
    ['setProtocolVersion without version', { type: 'setProtocolVersion' }],
    // 75 KB, within the frame limit: json-glib's recursive parser overflowed
    // the server's stack on it (SIGSEGV).
    ['75,000 nested arrays', '['.repeat(75000), /nested deeper than 32/],
    ['20,000 nested objects in meta', `{"type":"setPeerStatus","roles":["producer"],"meta":${'{"a":'.repeat(20000)}`,
      /nested deeper than 32/],
  ];
  for (const [what, msg, want = /\S/] of bad) {
    M.send(msg);
    await expectError(M, want, what);
    await stillAnswers(M, what);
  }
  M.sendBinary(Buffer.from('{"type":"list"}'));
  await expectError(M, /binary/, 'a binary frame');
  await stillAnswers(M, 'a binary frame');
  // A message of 100 KB (within libsoup's 128 KiB frame limit) still works.
  const L = await client(s, 'listener');
  await setStatus(L, ['listener'], { pad: 'x'.repeat(100000) }, [L]);
  assert(M.closeInfo === null, 'the connection stayed open through every malformed message');
};

cases.disconnect = async () => {
  const s = await startServer();
  const L = await client(s, 'listener');
  await setStatus(L, ['listener'], null, [L]);
  const P = await client(s, 'producer');
  await setStatus(P, ['producer'], { name: 'cam' }, [L]);
  const C1 = await client(s, 'consumer1');
  const C2 = await client(s, 'consumer2');
  await setStatus(C2, ['listener'], { name: 'c2' }, [L, C2]);
  const sid1 = await startSession(C1, P);
  const sid2 = await startSession(C2, P, OFFER);
  assertEqual((await health(s)).sessions, 2, '/health counts 2 sessions');

  // The producer's TCP connection drops without a close frame.
  P.destroy();
  assertEqual(await expectNext(C1, 'endSession'), { type: 'endSession', sessionId: sid1 }, 'consumer1 is told its session ended');
  assertEqual(await C2.next((m) => m.type === 'endSession'), { type: 'endSession', sessionId: sid2 }, 'consumer2 is told too');
  for (const l of [L, C2])
    assertEqual(await statusOf(l, P), { type: 'peerStatusChanged', peerId: P.id, roles: [], meta: { name: 'cam' } },
      `${l.name} hears the producer leave with roles [] and its last meta`);
  L.send({ type: 'list' });
  assertEqual(await expectNext(L, 'list'), { type: 'list', producers: [] }, 'the producer is gone from list');

  // A clean close by a consumer that never set a status: nothing announced.
  const P2 = await client(s, 'producer2');
  await setStatus(P2, ['producer'], null, [L, C2]);
  const C3 = await client(s, 'consumer3');
  const sid3 = await startSession(C3, P2);
  const closed = await C3.close(1000, 'bye');
  assert(closed.code === 1000, `the server answers the close frame with 1000, got ${JSON.stringify(closed)}`);
  assertEqual(await expectNext(P2, 'endSession'), { type: 'endSession', sessionId: sid3 }, 'producer2 is told');
  await quiet(L, 200, (m) => m.peerId === C3.id);
  const h = await until('/health to count 4 peers', async () => {
    const x = await health(s);
    return x.peers === 4 && x;
  });
  assertEqual(h.sessions, 0, 'no session left');
};

cases.http = async () => {
  const s = await startServer();
  const index = await request(`${s.http}/`);
  assert(index.status === 200 && /text\/html/.test(index.type) && /<html/i.test(index.body) && index.body.includes('gst-webrtc-live'),
    `/ serves the viewer page (${index.status} ${index.type})`);
  const publish = await request(`${s.http}/publish.html`);
  assert(publish.status === 200 && /text\/html/.test(publish.type) && /<script/i.test(publish.body), '/publish.html serves the publishing page');
  const js = await request(`${s.http}/app.js`);
  assert(js.status === 200 && /javascript/.test(js.type), '/app.js is JavaScript');
  // Security headers on every page and file: no inline script, no framing,
  // no sniffing (the pages themselves have no inline script or style).
  for (const r of [index, publish, js]) {
    const csp = r.headers['content-security-policy'] || '';
    for (const directive of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
      assert(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    assert(!/unsafe-inline|unsafe-eval/.test(csp), 'no unsafe-inline or unsafe-eval');
    assert(r.headers['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
    assert(r.headers['x-frame-options'] === 'DENY', 'X-Frame-Options: DENY');
  }
  for (const page of [index, publish])
    assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(page.body) && !/\sstyle=/i.test(page.body) && !/\son[a-z]+=/i.test(page.body),
      'the pages carry no inline script, style or event handler');
  assert((await request(`${s.http}/nothing-here.html`)).status === 404, 'a missing file is 404');
  assert((await request(`${s.http}/`, { method: 'POST' })).status === 405, 'POST is 405');
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']) {
    const r = await request(`${s.http}/`, { path });
    assert(r.status === 404 && !r.body.includes('root:'), `${path} stays inside the pages (${r.status})`);
  }
  const h = await request(`${s.http}/health`);
  assert(h.status === 200 && h.type === 'application/json', `/health is JSON (${h.status} ${h.type})`);
  const body = JSON.parse(h.body);
  assertEqual(Object.keys(body).sort(), ['peers', 'sessions', 'status', 'uptime_s'], '/health fields');
  assert(body.status === 'ok' && body.peers === 0 && body.sessions === 0 && Number.isInteger(body.uptime_s) && body.uptime_s >= 0,
    `/health values: ${h.body}`);
  // The upgrade works on any path.
  const ws = await WsClient.connect(`${s.ws}some/path?x=1`);
  assert((await ws.next()).type === 'welcome', 'welcome on an arbitrary path');
  assertEqual((await health(s)).peers, 1, '/health counts the connected peer');
  ws.destroy();
};

cases['web-root'] = async () => {
  const d = tmp();
  const root = join(d, 'www');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>my own page</title>');
  writeFileSync(join(root, 'notes.txt'), 'plain notes');
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub index</p>');
  writeFileSync(join(d, 'secret.txt'), 'outside the web root');
  const s = await startServer(['--web-root', root]);
  const index = await request(`${s.http}/`);
  assert(index.status === 200 && index.body.includes('my own page'), 'a file of --web-root wins over the built-in page');
  const notes = await request(`${s.http}/notes.txt`);
  assert(notes.status === 200 && notes.body === 'plain notes' && /text\/plain/.test(notes.type), 'other files of --web-root are served');
  assert((await request(`${s.http}/sub/`)).body === '<p>sub index</p>', 'a directory path serves its index.html');
  const js = await request(`${s.http}/app.js`);
  assert(js.status === 200 && /javascript/.test(js.type) && js.body.length > 100, 'built-in files not in --web-root are still served');
  const publish = await request(`${s.http}/publish.html`);
  assert(publish.status === 200 && /<html/i.test(publish.body), 'the built-in /publish.html is still served');
  for (const path of ['/%2e%2e/secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
    const r = await request(`${s.http}/`, { path });
    assert(r.status >= 400 && !r.body.includes('outside'), `${path} is refused (${r.status})`);
  }
  const raw = await new Promise((resolve) => {  // unnormalised, as a hand-written client could send it
    const sock = net.connect(s.port, '127.0.0.1', () => sock.write('GET /../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let buf = '';
    sock.on('data', (x) => { buf += x; });
    sock.on('close', () => resolve(buf));
  });
  assert(!raw.includes('outside the web root'), `a raw /../ does not leave the web root: ${raw.split('\r\n')[0]}`);
  // Dotfiles and dot directories are never served (a web root that is a
  // checkout has .git/config); a symlink out of the root is not followed;
  // a symlink within it is.
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), '[remote] url = secret');
  writeFileSync(join(root, '.env'), 'TOKEN=secret');
  symlinkSync(join(d, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(root, 'notes.txt'), join(root, 'link-in.txt'));
  for (const path of ['/.git/config', '/.env', '/link-out.txt', '/sub/../.env']) {
    const r = await request(`${s.http}${path}`);
    assert(r.status === 404 && !/secret|outside/.test(r.body), `${path} is not served (${r.status})`);
  }
  assert((await request(`${s.http}/link-in.txt`)).body === 'plain notes', 'a symlink inside the root is followed');
  // A large file is sent from a mapping, not read into the server's memory.
  const big = join(root, 'big.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 200 * 1024 * 1024);
  closeSync(fd);
  // Anonymous memory: mapped file pages are the page cache's, not the heap's.
  const rss = () => Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]) / 1024;
  const before = rss();
  const got = await new Promise((resolve, reject) => {
    http.get(`${s.http}/big.bin`, (res) => {
      let n = 0;
      let peak = 0;
      res.on('data', (c) => { n += c.length; if ((n & 0xffffff) < c.length) peak = Math.max(peak, rss()); });
      res.on('end', () => resolve({ status: res.statusCode, n, peak }));
    }).on('error', reject);
  });
  log(`200 MiB GET: ${got.n} bytes, server heap (RssAnon) ${before.toFixed(1)} MB before, peak ${got.peak.toFixed(1)} MB during`);
  assert(got.status === 200 && got.n === 200 * 1024 * 1024, `the whole file (${got.n} bytes)`);
  assert(Boolean(process.env.ASAN_OPTIONS) || got.peak - before < 50,
    `the server's heap grew by ${(got.peak - before).toFixed(1)} MB (limit 50)`);
  const missing = await failingServer(['--web-root', join(d, 'nope')]);
  assert(missing.code === 1 && missing.out.includes(join(d, 'nope')), 'a missing --web-root is named');
};

cases.origin = async () => {
  // Cross-site WebSocket hijacking: any page a LAN user visits could drive
  // the signalling. Browsers always send Origin; only the server's own
  // pages, --allowed-origin ones and clients without Origin get in.
  const refused = async (s, origin, what) => {
    const err = await WsClient.connect(s.ws, { headers: { Origin: origin } }).then((ws) => { ws.destroy(); return null; },
      (e) => e);
    assert(err && /403/.test(err.message), `${what} (${origin}) is refused with 403: ${err && err.message}`);
  };
  const s = await startServer();
  await refused(s, 'https://evil.example', 'a foreign origin');
  await refused(s, 'null', 'the opaque origin of a sandboxed frame or file:// page');
  await refused(s, `http://127.0.0.1:${s.port + 1}`, 'another port of the same host');
  await refused(s, `https://127.0.0.1:${s.port}`, 'the same host and port over another scheme');
  const same = await client(s, 'same-origin', { headers: { Origin: `http://127.0.0.1:${s.port}` } });
  await stillAnswers(same, 'a page of the server itself');
  await stillAnswers(await client(s, 'no-origin'), 'a client without Origin (not a browser)');
  const page = await request(`${s.http}/`);
  assert(page.status === 200, 'the pages themselves stay public');
  const allowed = await startServer(['--allowed-origin', 'https://app.example', '--allowed-origin', 'http://other:1']);
  await stillAnswers(await client(allowed, 'allowed', { headers: { Origin: 'https://app.example' } }), 'an allowed origin');
  await stillAnswers(await client(allowed, 'allowed2', { headers: { Origin: 'http://other:1' } }), 'a second one');
  await refused(allowed, 'https://evil.example', 'a foreign origin with a list');
  const any = await startServer(['--allowed-origin', '*']);
  await stillAnswers(await client(any, 'any', { headers: { Origin: 'https://evil.example' } }), '* allows any origin');
};

cases['request-body'] = async () => {
  // No handler takes a body: a 64 MB POST is answered 405 and costs the
  // server no memory (libsoup collected whole bodies before).
  const s = await startServer();
  const before = heapMb(s);
  const status = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/',
      headers: { 'content-length': 64 * 1024 * 1024 } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve('closed') : reject(e)));
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < 64 && req.write(chunk)) sent++;
      if (sent < 64) req.once('drain', () => { sent++; pump(); }); else req.end();
    };
    pump();
  });
  const grew = heapMb(s) - before;
  log(`64 MB POST: ${status}; server heap +${grew.toFixed(1)} MB`);
  assert(status === 405 || status === 'closed', `refused (${status})`);
  assert(UNDER_ASAN || grew < 16, `the body was not collected (+${grew.toFixed(1)} MB)`);
  await stillAnswers(await client(s, 'after'), 'a client after it');
};

cases['limit-options'] = async () => {
  // Each limit is an option: sessions per connection and message size.
  const s = await startServer(['--max-sessions-per-connection', '2', '--max-message-size', '4096']);
  const P = await client(s, 'producer');
  await setStatus(P, ['producer'], { name: 'cam' }, []);
  const C = await client(s, 'consumer');
  await startSession(C, P);
  await startSession(C, P);
  C.send({ type: 'startSession', peerId: P.id });
  await expectError(C, /too many sessions: one connection may have 2 at a time/, 'a third session');
  C.send({ type: 'list', pad: 'x'.repeat(5000) });
  await expectError(C, /at most 4096/, 'a 5 KB message');
  await stillAnswers(C, 'the consumer');
};

// ------------------------------------------------------------------- JWT

// An HS256 JSON Web Token, made with node:crypto.
function jwt(secret, claims, { alg = 'HS256' } = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

cases.jwt = async () => {
  const secret = 'a-secret-of-more-than-32-bytes-for-hs256';
  const file = join(tmp(), 'secret');
  writeFileSync(file, secret + '\n');
  const s = await startServer(['--jwt-key', file]);
  const now = Math.floor(Date.now() / 1000);
  const token = (grant, exp = now + 600) => jwt(secret, { exp, webrtclive: grant });
  const bearer = (t) => ({ headers: { Authorization: `Bearer ${t}` } });
  const refusedWith = async (opts, pattern, what) => {
    const err = await WsClient.connect(s.ws, opts).then((ws) => { ws.destroy(); return null; }, (e) => e);
    assert(err && /401/.test(err.message), `${what} is refused with 401: ${err && err.message}`);
    const body = await request(s.ws.replace('ws', 'http'), { headers: { ...opts.headers, Upgrade: 'websocket', Connection: 'Upgrade' } })
      .catch(() => null);
    if (body) assert(pattern.test(body.body), `${what}: the refusal says why (${body.body.trim()})`);
  };
  const camToken = token({ roles: ['producer'], names: ['cam'] });
  await refusedWith({}, /no token/, 'no token');
  await refusedWith(bearer(token({ roles: ['consumer'] }, now - 5)), /expired/, 'an expired token');
  await refusedWith(bearer(jwt('another-secret-of-32-bytes-or-more!!', { exp: now + 600, webrtclive: { roles: ['consumer'] } })),
    /signature/, 'a token signed with another key');
  await refusedWith(bearer(jwt(secret, { exp: now + 600, webrtclive: { roles: ['producer'] } }, { alg: 'HS512' })),
    /signature|HS512/, 'a token of another algorithm');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp: now + 600, webrtclive: { roles: ['producer'] } })).toString('base64url')}.`;
  await refusedWith(bearer(none), /signature|not a JWT/, '"alg": "none"');

  const cam = await client(s, 'cam producer', bearer(camToken));
  cam.send({ type: 'setPeerStatus', roles: ['producer'], meta: { name: 'door' } });
  await expectError(cam, /does not allow producing as 'door'/, 'a producer token used for another name');
  await setStatus(cam, ['producer'], { name: 'cam' }, []);
  const viewerToken = token({ roles: ['consumer'], names: ['cam'] });
  // Browsers present it as a subprotocol beside "webrtclive".
  const viewer = await client(s, 'viewer', { headers: { 'Sec-WebSocket-Protocol': `webrtclive, webrtclive.token.${viewerToken}` } });
  viewer.send({ type: 'setPeerStatus', roles: ['producer'], meta: { name: 'cam' } });
  await expectError(viewer, /does not allow producing/, 'a consumer-only token registering as producer');
  await startSession(viewer, cam);
  await stillAnswers(await client(s, 'query', {}, `?token=${viewerToken}`), 'a token as ?token=');
  // Expiry is enforced on open connections too.
  const brief = await client(s, 'brief', bearer(token({ roles: ['consumer'] }, now + 2)));
  const closed = await Promise.race([brief.closed, sleep(6000).then(() => null)]);
  log('at expiry:', JSON.stringify(closed));
  assert(closed && closed.code === 1008 && /expired/.test(closed.reason), `closed at expiry with a reason: ${JSON.stringify(closed)}`);
  assert(!s.out.includes(viewerToken) && !s.out.includes(camToken.split('.')[2]), 'no token in the logs');
};

// ------------------------------------------------------------ TCP-level abuse

// A raw TCP connection; resolves once connected. `.closedAt` is set when the
// server closes it, `.data` collects what it sent.
function rawConnect(s) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(s.port, '127.0.0.1', () => resolve(sock));
    sock.data = '';
    sock.closedAt = null;
    sock.on('data', (d) => { sock.data += d; });
    sock.on('close', () => { sock.closedAt = Date.now(); });
    sock.on('error', () => {});
    sock.once('error', reject);
    cleanups.push(async () => sock.destroy());
  });
}
// Under AddressSanitizer (meson test --setup asan) freed memory sits in its
// quarantine: heap sizes say nothing there, the other checks still run.
const UNDER_ASAN = Boolean(process.env.ASAN_OPTIONS);
const heapMb = (s) => Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]) / 1024;

cases.timeouts = async () => {
  // Each open connection holds a descriptor: one that sends nothing and one
  // that dribbles its headers (slowloris) are closed once the request
  // timeout passes; a complete request is answered and its connection
  // closed (one request per connection); a quiet WebSocket stays.
  const s = await startServer(['--request-timeout', '2']);
  const silent = await rawConnect(s);
  const dribble = await rawConnect(s);
  dribble.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const drip = setInterval(() => dribble.write('X-A: b\r\n'), 300);
  const complete = await rawConnect(s);
  complete.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  const ws = await client(s, 'quiet websocket');
  const t0 = Date.now();
  await until('the answered connection to end', () => complete.closedAt, 2000, 20);
  assert(/200 OK/.test(complete.data), 'the complete request was answered');
  await until('the silent and the dribbling connections to be closed', () => silent.closedAt && dribble.closedAt, 6000, 50);
  clearInterval(drip);
  log(`silent closed after ${silent.closedAt - t0} ms, slowloris after ${dribble.closedAt - t0} ms`);
  assert(silent.closedAt - t0 >= 1500, `not before the timeout (${silent.closedAt - t0} ms)`);
  assert(silent.closedAt - t0 < 4000 && dribble.closedAt - t0 < 4000, 'both within the request timeout (2 s) and a sweep');
  await sleep(1000);
  await stillAnswers(ws, 'the quiet WebSocket, after the timeout');
};

cases['connection-cap'] = async () => {
  const s = await startServer(['--max-connections-per-address', '10']);
  const socks = [];
  for (let i = 0; i < 20; i++) socks.push(await rawConnect(s));
  await until('the connections over the cap to be refused', () => socks.filter((x) => x.closedAt).length >= 10, 3000, 20);
  const refused = socks.filter((x) => x.closedAt);
  log(`${refused.length} of 20 connections from one address refused; one said: ${JSON.stringify(refused[0].data.split('\r\n')[0])}`);
  assert(refused.length === 10, `exactly the 10 over the cap (${refused.length})`);
  assert(refused.every((x) => /^HTTP\/1\.1 503/.test(x.data)), 'each was told 503');
  for (const x of socks) x.destroy();
  await sleep(1500);  // the server notices the closed ones on its next sweep
  await stillAnswers(await client(s, 'after the burst'), 'a new client');
};

cases['fd-exhaustion'] = async () => {
  // With 64 descriptors, 100 connections exhaust them: accept() fails.
  // libsoup 3.2 removed its listening source for good then; the server
  // must pause, carry on, and accept again once descriptors are free.
  const s = await startServer(['--max-connections', '1000'], { nofile: 64 });
  const socks = [];
  for (let i = 0; i < 100; i++) socks.push(await rawConnect(s));
  await until('the server to run out of descriptors', () => /cannot accept a connection/.test(s.out), 5000, 50);
  log('server said:', s.out.split('\n').find((l) => /cannot accept/.test(l)));
  for (const x of socks) x.destroy();
  await sleep(1500);
  const c = await client(s, 'after exhaustion');
  await stillAnswers(c, 'a client once descriptors are free again');
};

cases.fragments = async () => {
  // One message that never ends: continuation frames without FIN. libsoup
  // 3.2 caps each frame (128 KiB) but not the message (+66 MB in 2 s).
  const s = await startServer();
  const other = await client(s, 'bystander');
  const A = await client(s, 'fragmenter');
  const before = heapMb(s);
  A.sendRaw(WsClient.encode(0x1, Buffer.from('{"type":"list","pad":"'), false));
  const chunk = WsClient.encode(0x0, Buffer.alloc(64 * 1024, 0x78), false);
  let sent = 0;
  while (!A.closeInfo && !A.sock.destroyed && sent < 64 * 1024 * 1024) {
    if (!A.sendRaw(chunk)) await new Promise((r) => A.sock.once('drain', r).once('close', r));
    sent += chunk.length;
  }
  const closed = await Promise.race([A.closed, sleep(5000).then(() => null)]);
  const grew = heapMb(s) - before;
  log(`fragmenter sent ${(sent / 1048576).toFixed(1)} MiB before the server closed it: ${JSON.stringify(closed)}; heap +${grew.toFixed(1)} MB`);
  assert(closed, 'the server closed the connection');
  assert(sent < 16 * 1024 * 1024, `it did so early (${(sent / 1048576).toFixed(1)} MiB sent)`);
  assert(UNDER_ASAN || grew < 20, `the server's heap grew by ${grew.toFixed(1)} MB (limit 20)`);
  await stillAnswers(other, 'the other client');
};

cases['slow-reader'] = async () => {
  // A client that never reads, asking for large replies: 10 producers with
  // 100 KiB meta, 200 list requests (~200 MB of replies). libsoup queues
  // without limit (+206 MB before); the server drops the client instead.
  const s = await startServer();
  const pad = 'x'.repeat(100 * 1024);
  for (let i = 0; i < 10; i++) await setStatus(await client(s, `producer${i}`), ['producer'], { name: `p${i}`, pad }, []);
  const other = await client(s, 'bystander');
  const before = heapMb(s);
  const R = await client(s, 'non-reader');
  R.sock.pause();  // never reads again: the kernel buffers fill, then the server's queue
  for (let i = 0; i < 200; i++) R.send({ type: 'list' });
  await until('the server to drop the non-reader', async () => (await health(s)).peers === 11, 10000, 100);
  const grew = heapMb(s) - before;
  log(`non-reader dropped; server heap +${grew.toFixed(1)} MB`);
  assert(UNDER_ASAN || grew < 40, `the server's heap grew by ${grew.toFixed(1)} MB (limit 40)`);
  await stillAnswers(other, 'the other client');
};

function makeCertificate(dir) {
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

// openssl is a test dependency (tools/install-deps.sh --tests): its absence
// fails the case with a clear message instead of skipping it.
function requireOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('openssl is not installed: it makes the test certificates (tools/install-deps.sh --tests installs it)');
  }
}

cases.tls = async () => {
  requireOpenssl();
  const { cert, key } = makeCertificate(tmp());
  const s = await startServer(['--cert', cert, '--key', key]);
  assert(s.ws.startsWith('wss://'), `the startup line shows wss:// (${s.ws})`);
  assert(/viewer page https:\/\//.test(s.out), 'the startup line shows the https:// page');
  const A = await client(s, 'tls-listener', { rejectUnauthorized: false });
  await setStatus(A, ['listener', 'producer'], { name: 'over tls' }, [A]);
  const B = await client(s, 'tls-consumer', { rejectUnauthorized: false });
  const sid = await startSession(B, A);
  await relayed(A, B, { type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } }, 'an offer over wss');
  const h = await request(`${s.http}/health`, { insecure: true });
  assert(h.status === 200 && JSON.parse(h.body).peers === 2, `https /health: ${h.body}`);
  const page = await request(`${s.http}/`, { insecure: true });
  assert(page.status === 200 && page.body.includes('gst-webrtc-live'), 'the viewer page over https');
  // A plain ws:// client fails on the TLS port without harming the server.
  await WsClient.connect(`ws://127.0.0.1:${s.port}/`, { timeoutMs: 2000 }).then(
    (ws) => { ws.destroy(); throw new Error('a plain ws:// upgrade succeeded on the TLS port'); },
    () => {});
  await client(s, 'after-plain', { rejectUnauthorized: false });
};

cases.shutdown = async () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    const s = await startServer();
    const A = await client(s, 'listener');
    await setStatus(A, ['listener', 'producer'], null, [A]);
    const B = await client(s, 'consumer');
    await startSession(B, A);
    const t0 = Date.now();
    s.kill(signal);
    const [a, b] = await Promise.all([A.closed, B.closed]);
    const { code, signal: sig } = await s.exited;
    const ms = Date.now() - t0;
    log(`${signal}: exit ${code} after ${ms} ms; close frames ${JSON.stringify([a, b])}`);
    assert(sig === null && code === 0, `${signal} → exit status 0 (got ${code}, ${sig})`);
    assert(ms < 2000, `${signal} → exit within 2 s (took ${ms} ms)`);
    for (const [ws, c] of [[A, a], [B, b]]) assert(c.code === 1001, `${ws.name} sees a close frame with 1001, got ${JSON.stringify(c)}`);
    assert(/shutting down/.test(s.out), `the server logs "shutting down": ${s.out}`);
  }
};

cases['port-in-use'] = async () => {
  const first = await startServer();
  const r = await failingServer(['--port', String(first.port)].concat([]), 5000);
  assert(r.code === 1, `a second server on the same port exits with 1, got ${r.code}`);
  assert(r.out.includes(`port ${first.port}`), `the message names port ${first.port}`);
  assert(/in use/i.test(r.out), 'the message says the address is in use');
  const ws = await client(first, 'still-there');  // the first server is unharmed
  await stillAnswers(ws, 'the first server');
};

cases['bad-cert'] = async () => {
  const d = tmp();
  const missing = join(d, 'no-such-dir', 'cert.pem');
  let r = await failingServer(['--cert', missing, '--key', join(d, 'key.pem')]);
  assert(r.code === 1 && r.out.includes(missing), `a missing certificate file is named: ${r.out}`);
  requireOpenssl();
  const { cert, key } = makeCertificate(d);
  const noKey = join(d, 'missing-key.pem');
  r = await failingServer(['--cert', cert, '--key', noKey]);
  assert(r.code === 1 && r.out.includes(noKey) && /key/.test(r.out), `a missing key file is named: ${r.out}`);
  const garbage = join(d, 'garbage.pem');
  writeFileSync(garbage, 'this is not PEM\n');
  r = await failingServer(['--cert', garbage, '--key', key]);
  assert(r.code === 1 && r.out.includes(garbage), `a certificate that is not PEM is named: ${r.out}`);
  // A path that cannot be read, for root too (root reads any mode 000
  // file, and the suite runs as root in its namespace): a directory.
  const unreadable = join(d, 'unreadable.pem');
  mkdirSync(unreadable);
  r = await failingServer(['--cert', unreadable, '--key', key]);
  assert(r.code === 1 && r.out.includes(unreadable), `an unreadable certificate is named: ${r.out}`);
  if (process.getuid?.() !== 0) {  // and, where permissions bind, a mode 000 file
    const locked = join(d, 'locked.pem');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    r = await failingServer(['--cert', locked, '--key', key]);
    assert(r.code === 1 && r.out.includes(locked), `an unreadable certificate is named: ${r.out}`);
  }
  // Sanity: the same certificate and key work.
  await startServer(['--cert', cert, '--key', key]);
};

cases.logs = async () => {
  const SECRET = 'SECRET-7f3a9c';
  const session = async (s) => {
    const P = await client(s, 'producer');
    await setStatus(P, ['producer'], { name: SECRET }, []);
    const C = await client(s, 'consumer');
    const sid = await startSession(C, P, `${OFFER}a=secret:${SECRET}\r\n`);
    await relayed(P, C, { type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: `${ANSWER}a=x:${SECRET}\r\n` } }, 'answer');
    C.send({ type: 'nonsense', secret: SECRET });
    await expectError(C, /nonsense/, 'an unknown type');
    C.destroy();
    await until('the disconnect', async () => (await health(s)).peers === 1);
    return [P, C];
  };
  // Default levels: startup and shutdown lines only; never contents.
  const quietServer = await startServer([], { env: { G_MESSAGES_DEBUG: '', GST_DEBUG: '' } });
  await session(quietServer);
  quietServer.kill('SIGTERM');
  await quietServer.exited;
  assert(/listening on ws:\/\/127\.0\.0\.1:\d+\//.test(quietServer.out), 'startup line with the URL');
  assert(!quietServer.out.includes(SECRET), `no message contents in the default log:\n${quietServer.out}`);
  assert(!/connected from/.test(quietServer.out), 'per-peer lines are info level, not shown by default');

  // G_MESSAGES_DEBUG shows a line per connect and disconnect with the address.
  const verbose = await startServer([], { env: { G_MESSAGES_DEBUG: 'webrtclive-server', GST_DEBUG: 'webrtcliveserver:5' } });
  const [P, C] = await session(verbose);
  await until('the log lines', () => verbose.out.includes(`peer ${C.id} (127.0.0.1:`), 3000);
  assert(new RegExp(`peer ${P.id} connected from 127\\.0\\.0\\.1:\\d+`).test(verbose.out), 'a connect line with the remote address');
  assert(new RegExp(`peer ${C.id} \\(127\\.0\\.0\\.1:\\d+\\) disconnected`).test(verbose.out), 'a disconnect line with the remote address');
  assert(/webrtcliveserver/.test(verbose.out), 'GST_DEBUG categories of the server work');
  assert(!verbose.out.includes(SECRET), `no message contents at info/debug levels:\n${verbose.out}`);
};

// -------------------------------------------------------------------- main

const name = process.argv[2];
if (!cases[name]) {
  console.error(`usage: server-tests.mjs CASE (one of ${Object.keys(cases).join(', ')})`);
  process.exit(2);
}
const watchdog = setTimeout(() => {
  log(`FAIL ${name}: watchdog fired after 25 s`);
  process.exit(1);
}, 25000);
let failure = null;
try {
  await Promise.race([cases[name](), firstProblem()]);
} catch (e) {
  failure = e;
}
for (const fn of cleanups.reverse()) await fn().catch((e) => log(`cleanup failed: ${e.stack || e}`));
await stopAll();  // a clean SIGTERM stop is part of every case
const problems = allProblems();
clearTimeout(watchdog);
if (failure) log(`FAIL ${name}: ${failure.stack || failure}`);
if (problems.length) log(`FAIL ${name}: the server misbehaved:\n${problems.join('\n')}`);
if (!failure && !problems.length) log(`PASS ${name}`);
process.exit(failure || problems.length ? 1 : 0);
