// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared by the standalone server's test cases (server-protocol.mjs,
// server-abuse.mjs): starting the executable, scripted clients, assertions.

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
export { allProblems, firstProblem, spawnWatched, stopAll };

export const SERVER = process.env.WEBRTCLIVE_SERVER;
if (!SERVER) throw new Error('WEBRTCLIVE_SERVER is not set (run through meson test --suite server)');

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const OFFER = 'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n';
export const ANSWER = 'v=0\r\no=- 2 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n';
export const ICE = { candidate: 'candidate:1 1 UDP 2122252543 127.0.0.1 40000 typ host', sdpMLineIndex: 0 };
export const NO_SESSION = '00000000-0000-4000-8000-000000000000';

export const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
export function assertEqual(got, want, what) {
  if (!isDeepStrictEqual(got, want))
    throw new Error(`assertion failed: ${what}\n  got:  ${JSON.stringify(got)}\n  want: ${JSON.stringify(want)}`);
}

// ------------------------------------------------------------------ server

export const cleanups = [];
export const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'webrtclive-server-test-'));
  cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
  return d;
};

// Runs the server, watched (tests/e2e/proc.mjs): a crash, an unclean
// SIGTERM stop or a GLib CRITICAL/ERROR fails the case. Resolves once it
// printed its "listening on" line; with expectListen false (a server that
// must refuse to start) it may end by itself with `exitCode`.
export async function startServer(args = [], { env = {}, expectListen = true, exitCode = 0, nofile } = {}) {
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
export async function failingServer(args, timeoutMs = 5000, exitCode = 1) {
  const s = await startServer(args, { expectListen: false, exitCode });
  const t = setTimeout(() => s.proc.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await s.exited;
  clearTimeout(t);
  assert(signal === null, `the server should exit by itself, got signal ${signal}:\n${s.out}`);
  log(`exit ${code}: ${s.out.trim()}`);
  return { code, out: s.out };
}

export async function until(what, fn, timeoutMs = 5000, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function request(url, { method = 'GET', path, insecure = false, headers = {} } = {}) {
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

export let peerCount = 0;
// A connected client that got its welcome; `name` is for messages only.
export async function client(server, name = `peer${++peerCount}`, opts = {}, suffix = '') {
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
export async function expectNext(ws, type, timeoutMs = 3000) {
  const m = await ws.next(() => true, timeoutMs, `${ws.name}: ${type}`);
  if (m.type !== type) throw new Error(`${ws.name} expected '${type}', got ${JSON.stringify(m)}`);
  return m;
}

export async function expectError(ws, pattern, what) {
  const m = await expectNext(ws, 'error');
  assertEqual(Object.keys(m).sort(), ['details', 'type'], `${what}: error has type and details only`);
  assert(typeof m.details === 'string' && pattern.test(m.details),
    `${what}: error details '${m.details}' match ${pattern}`);
  log(`  ${what} → error "${m.details}"`);
  return m;
}

// Nothing (matching `pred`) arrives within `ms`.
export async function quiet(ws, ms = 150, pred = () => true) {
  await sleep(ms);
  const extra = ws.queue.filter(pred);
  assert(extra.length === 0, `${ws.name} expected no message, got ${JSON.stringify(extra)}`);
}

// A listener's next peerStatusChanged about `peer`.
export const statusOf = (listener, peer, ms = 3000) =>
  listener.next((m) => m.type === 'peerStatusChanged' && m.peerId === peer.id, ms, `${listener.name}: status of ${peer.name}`);

// Sets a status and waits until the server has applied it (a `list` round
// trip on the same connection: messages of different connections have no
// order), then checks that each of `listeners` heard it.
export async function setStatus(ws, roles, meta, listeners = []) {
  ws.send({ type: 'setPeerStatus', roles, meta });
  ws.send({ type: 'list' });
  await ws.next((m) => m.type === 'list', 3000, `${ws.name}: list after setPeerStatus`);
  const want = { type: 'peerStatusChanged', peerId: ws.id, roles, meta };
  for (const l of listeners) assertEqual(await statusOf(l, ws), want, `${l.name} hears ${ws.name}'s status`);
}

// `consumer` asks `producer` for a session; both sides checked.
export async function startSession(from, to, offer) {
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
export async function relayed(a, b, msg, what) {
  a.send(msg);
  assertEqual(await expectNext(b, msg.type), msg, `${what} relayed unchanged from ${a.name} to ${b.name}`);
}

export async function stillAnswers(ws, what) {
  ws.send({ type: 'list' });
  const m = await expectNext(ws, 'list');
  assert(Array.isArray(m.producers), `${what}: list answered after it, connection open`);
}

export const health = async (s) => JSON.parse((await request(`${s.http}/health`)).body);


// An HS256 JSON Web Token, made with node:crypto.
export function jwt(secret, claims, { alg = 'HS256' } = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

// A raw TCP connection; resolves once connected. `.closedAt` is set when the
// server closes it, `.data` collects what it sent.
export function rawConnect(s) {
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

export function makeCertificate(dir) {
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

// openssl is a test dependency (tools/install-deps.sh --tests): its absence
// fails the case with a clear message instead of skipping it.
export function requireOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('openssl is not installed: it makes the test certificates (tools/install-deps.sh --tests installs it)');
  }
}

// Under AddressSanitizer (meson test --setup asan) freed memory sits in its
// quarantine: heap sizes say nothing there, the other checks still run.
export const UNDER_ASAN = Boolean(process.env.ASAN_OPTIONS);
export const heapMb = (s) => Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]) / 1024;

export { execFileSync, spawn, createHmac, chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, tmpdir, join, isDeepStrictEqual, WsClient, http, https, net };
