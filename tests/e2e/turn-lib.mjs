// SPDX-License-Identifier: LGPL-2.1-or-later
//
// TURN for tests: coturn (Debian) started with a config of the test's own
// (use-auth-secret, its own userdb, loopback only), and a TURN Allocate
// written here (RFC 5766 over UDP, long-term credentials) to ask coturn
// whether a username/password is accepted, independently of any WebRTC stack.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, spawnWatched, until } from './lib.mjs';
import { childNamespace, inNamespace, link } from './netns.mjs';

export const TURN_PORT = 3478;
export const TURNS_PORT = 5349;

// coturn on `ip` (127.0.0.1 by default) with `secret`; `tls`: also TLS on
// TURNS_PORT with a certificate made here by openssl. Returns {out (its log
// so far), stop()}.
export async function startCoturn(secret, { tls = false, ip = '127.0.0.1' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-coturn-'));
  const conf = [
    `listening-ip=${ip}`, `relay-ip=${ip}`, `listening-port=${TURN_PORT}`,
    'min-port=49160', 'max-port=49400', 'use-auth-secret', `static-auth-secret=${secret}`,
    'realm=webrtclive.test', 'no-dtls', 'no-cli', 'fingerprint', 'no-multicast-peers',
    ...(ip === '127.0.0.1' ? ['allow-loopback-peers'] : []),
    `userdb=${join(dir, 'turndb')}`, `pidfile=${join(dir, 'pid')}`, 'log-file=stdout', 'simple-log', 'verbose',
  ];
  if (tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    conf.push(`tls-listening-port=${TURNS_PORT}`, `cert=${join(dir, 'cert.pem')}`, `pkey=${join(dir, 'key.pem')}`);
  } else {
    conf.push('no-tls');
  }
  writeFileSync(join(dir, 'turnserver.conf'), conf.join('\n') + '\n');
  let out = '';
  const w = spawnWatched('coturn', 'turnserver', ['-c', join(dir, 'turnserver.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'], stopWith: 'SIGTERM',
    onLine(line) { out += line + '\n'; },
  });
  try {
    await until('coturn to listen', () => out.includes(`IPv4. UDP listener opened on: ${ip}:3478`) &&
      (!tls || out.includes(`TLS/TCP listener opened on : ${ip}:5349`)), 10000);
  } catch (e) {
    w.kill('SIGTERM');
    throw new Error(`${e.message}:\n${out}`);
  }
  return {
    get out() { return out; },
    async stop() {
      // coturn ends by the signal itself (no exit code): expected here.
      w.kill('SIGTERM');
      await w.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// coturn's view of TURN REST credentials: what the server must make.
export const restPassword = (secret, username) => createHmac('sha1', secret).update(username).digest('base64');

// --- a TURN Allocate over UDP ------------------------------------------------

const MAGIC = 0x2112a442;
const attr = (type, value) => {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
};

function allocateRequest(auth) {
  const tid = randomBytes(12);
  let attrs = [attr(0x0019, Buffer.from([17, 0, 0, 0]))];  // REQUESTED-TRANSPORT: UDP
  if (auth) attrs.push(attr(0x0006, Buffer.from(auth.username)), attr(0x0014, Buffer.from(auth.realm)),
    attr(0x0015, Buffer.from(auth.nonce)));
  let body = Buffer.concat(attrs);
  const header = (len) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0003, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(MAGIC, 4);
    tid.copy(h, 8);
    return h;
  };
  if (auth) {
    // MESSAGE-INTEGRITY over the message whose length already counts it.
    const key = createHash('md5').update(`${auth.username}:${auth.realm}:${auth.password}`).digest();
    const mac = createHmac('sha1', key).update(Buffer.concat([header(body.length + 24), body])).digest();
    body = Buffer.concat([body, attr(0x0008, mac)]);
  }
  return Buffer.concat([header(body.length), body]);
}

function parseResponse(msg) {
  const type = msg.readUInt16BE(0);
  const out = { type, attrs: {} };
  for (let off = 20; off + 4 <= msg.length;) {
    const t = msg.readUInt16BE(off), len = msg.readUInt16BE(off + 2);
    out.attrs[t] = msg.subarray(off + 4, off + 4 + len);
    off += 4 + len + ((4 - (len % 4)) % 4);
  }
  if (out.attrs[0x0009]) out.error = out.attrs[0x0009][2] * 100 + out.attrs[0x0009][3];
  return out;
}

// One UDP socket (coturn's nonces belong to a 5-tuple); ask(request) → response.
function udpClient(port, host) {
  const sock = createSocket('udp4');
  return {
    ask: (request) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer from the TURN server')), 3000);
      sock.once('message', (m) => { clearTimeout(t); resolve(parseResponse(m)); });
      sock.send(request, port, host);
    }),
    close: () => sock.close(),
  };
}

// Allocates a relay with `username`/`password` (the realm and nonce from
// the server's first 401, as any client learns them): 'success', or the
// error code of the authenticated attempt.
export async function allocate(username, password, { host = '127.0.0.1', port = TURN_PORT } = {}) {
  const c = udpClient(port, host);
  let first, r;
  try {
    first = await c.ask(allocateRequest(null));
    if (first.error !== 401) throw new Error(`an unauthenticated Allocate got ${first.type.toString(16)} ${first.error}`);
    const realm = first.attrs[0x0014].toString(), nonce = first.attrs[0x0015].toString();
    r = await c.ask(allocateRequest({ username, password, realm, nonce }));
  } finally {
    c.close();
  }
  const result = r.type === 0x0103 ? 'success' : r.error;
  log(`TURN Allocate as ${username}: ${result}`);
  return result;
}

// --- two sites that reach each other only through the TURN server ----------
//
// Two child network namespaces (each held by a `sleep` of its own), each
// joined by one veth pair to the test's namespace, which plays the part of
// the Internet: it has 10.99.1.1 toward the sink's site (10.99.1.2) and
// 10.99.2.1 toward the viewer's (10.99.2.2), IP forwarding off, so a packet
// from one site to the other is dropped there. Both sites have a default
// route to it, so the addresses of the test namespace itself (where coturn
// listens) are reachable from both. IPv6 is off in the sites (no duplicate
// address detection to wait for).
export const SITES = { sink: '10.99.1.2', sinkGateway: '10.99.1.1', viewer: '10.99.2.2', viewerGateway: '10.99.2.1' };

export async function twoSites(defer) {
  const sites = {};
  for (const [name, net] of [['sink', '10.99.1'], ['viewer', '10.99.2']]) {
    const pid = await childNamespace(defer, name);
    link(pid, { name: `t${name}`, address: `${net}.1`, peer: `${net}.2`, gateway: `${net}.1` });
    sites[name] = pid;
  }
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '0');
  // Can `site` open a TCP connection to host:port?
  sites.canConnect = (site, host, port) => {
    try {
      inNamespace(sites[site], ['timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`]);
      return true;
    } catch {
      return false;
    }
  };
  log(`sites: sink ${SITES.sink} (pid ${sites.sink}), viewer ${SITES.viewer} (pid ${sites.viewer}); ` +
    `ip_forward=${readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()}`);
  return sites;
}

// A TCP relay in the test namespace: connections to listenHost:(a free
// port) are piped to host:port. Stands for the way a viewer's browser
// reaches a device's web server (a port forward, a reverse proxy); it
// carries HTTP and the signalling WebSocket, never media (that is UDP).
export async function tcpForward(defer, listenHost, host, port) {
  const sockets = new Set();
  const server = createServer((a) => {
    const b = connect(port, host);
    for (const s of [a, b]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { a.destroy(); b.destroy(); });
    }
    a.pipe(b);
    b.pipe(a);
  });
  await new Promise((r) => server.listen(0, listenHost, r));
  defer(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return server.address().port;
}
