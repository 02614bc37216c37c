// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A minimal RFC 6455 WebSocket client over node:net / node:tls (Node 20 has
// no global WebSocket, and the server tests use no npm package): the opening
// handshake with Sec-WebSocket-Accept check, masked text and binary frames,
// fragmented messages, ping → pong, and the close handshake. Used by
// server-tests.mjs and bench/server-capacity.mjs.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export class WsClient {
  // url: ws://host:port/path or wss://...; opts.rejectUnauthorized for wss;
  // opts.headers: extra handshake headers ({Origin: 'https://evil.example'}).
  static connect(url, { rejectUnauthorized = true, timeoutMs = 5000, headers = {} } = {}) {
    const u = new URL(url);
    const secure = u.protocol === 'wss:';
    const port = Number(u.port) || (secure ? 443 : 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const sock = secure
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized })
        : net.connect({ host, port });
      const key = randomBytes(16).toString('base64');
      const timer = setTimeout(() => fail(new Error(`WebSocket handshake with ${url} timed out`)), timeoutMs);
      let head = Buffer.alloc(0);
      const fail = (e) => { clearTimeout(timer); sock.destroy(); reject(e); };
      sock.setNoDelay(true);
      sock.on('error', fail);
      sock.once(secure ? 'secureConnect' : 'connect', () => {
        sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n');
      });
      const onData = (d) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        sock.off('data', onData);
        sock.off('error', fail);
        clearTimeout(timer);
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const accept = lines.find((l) => /^sec-websocket-accept:/i.test(l))?.split(':')[1].trim();
        const want = createHash('sha1').update(key + GUID).digest('base64');
        if (!/^HTTP\/1\.1 101/.test(lines[0]) || accept !== want) {
          sock.destroy();
          return reject(new Error(`WebSocket upgrade refused: ${lines[0]}`));
        }
        resolve(new WsClient(sock, head.subarray(end + 4)));
      };
      sock.on('data', onData);
    });
  }

  constructor(sock, rest) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.fragments = null;  // [opcode, ...payloads] of a message in pieces
    this.queue = [];        // received messages (parsed JSON, or {binary}) when no onmessage
    this.raw = new WeakMap();  // queued message → its text
    this.waiters = [];
    this.handler = null;
    this.closeInfo = null;  // {code, reason} of the server's close frame
    this.closed = new Promise((r) => { this.resolveClosed = r; });
    sock.on('data', (d) => this.feed(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      this.resolveClosed(this.closeInfo || { code: 1006, reason: '' });
      for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'));
    });
    if (rest.length) this.feed(rest);
  }

  feed(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = b[0] & 0x80, op = b[0] & 0x0f;
      if (b[1] & 0x80) throw new Error('the server masked a frame (RFC 6455 5.1)');
      let len = b[1] & 0x7f, off = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b.length < off + len) return;
      const payload = b.subarray(off, off + len);
      this.buf = b.subarray(off + len);
      if (op === 0x9) this.frame(0xa, payload);                            // ping → pong
      else if (op === 0x8) this.onClose(payload);
      else if (op === 0x0 || op === 0x1 || op === 0x2) {
        if (op !== 0x0) this.fragments = [op];
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const [kind, ...parts] = this.fragments;
          this.fragments = null;
          this.deliver(kind, Buffer.concat(parts));
        }
      }
    }
  }

  // Optional (text, client) => void that takes text messages instead of the
  // queue; text messages already queued (the welcome can come with the
  // handshake's reply) are handed to it at once.
  get onmessage() { return this.handler; }
  set onmessage(fn) {
    this.handler = fn;
    if (!fn) return;
    const queued = this.queue.filter((m) => this.raw.has(m));
    this.queue = this.queue.filter((m) => !this.raw.has(m));
    for (const m of queued) fn(this.raw.get(m), this);
  }

  deliver(kind, data) {
    if (kind === 0x1 && this.handler) return this.handler(data.toString('utf8'), this);
    const text = kind === 0x1 ? data.toString('utf8') : null;
    const msg = kind === 0x1 ? JSON.parse(text) : { binary: data };
    if (text !== null && msg !== null && typeof msg === 'object') this.raw.set(msg, text);
    const i = this.waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
    else this.queue.push(msg);
  }

  onClose(payload) {
    this.closeInfo ??= { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
                         reason: payload.subarray(2).toString('utf8') };
    // Echo the code, as RFC 6455 5.5.1 asks, unless we started the close.
    if (!this.sentClose) this.frame(0x8, payload.subarray(0, 2));
    this.sentClose = true;
    this.sock.end();
  }

  // One masked frame, as bytes (send them with sendRaw, e.g. many at once);
  // fin = false leaves the message open for continuation frames (op 0).
  static encode(op, payload, fin = true) {
    const n = payload.length;
    const off = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const out = Buffer.allocUnsafe(off + 4 + n);
    out[0] = (fin ? 0x80 : 0) | op;
    if (n < 126) out[1] = 0x80 | n;
    else if (n < 65536) { out[1] = 0x80 | 126; out.writeUInt16BE(n, 2); }
    else { out[1] = 0x80 | 127; out.writeBigUInt64BE(BigInt(n), 2); }
    const mask = randomBytes(4);
    mask.copy(out, off);
    for (let i = 0; i < n; i++) out[off + 4 + i] = payload[i] ^ mask[i & 3];
    return out;
  }

  frame(op, payload) { return this.sendRaw(WsClient.encode(op, payload)); }

  sendRaw(bytes) {
    if (this.sock.destroyed || !this.sock.writable) return false;
    return this.sock.write(bytes);
  }

  // Sends an object as JSON, or a string as it is.
  send(msg) { return this.frame(0x1, Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg))); }
  sendBinary(data) { return this.frame(0x2, Buffer.from(data)); }
  ping(data = '') { return this.frame(0x9, Buffer.from(data)); }

  // The oldest received message matching `pred` (any by default).
  next(pred = () => true, timeoutMs = 3000, what = 'a message') {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m) => { clearTimeout(w.t); resolve(m); },
        reject: (e) => { clearTimeout(w.t); reject(e); },
      };
      w.t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; queued: ${JSON.stringify(this.queue)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(code = 1000, reason = '') {
    const p = Buffer.alloc(2 + Buffer.byteLength(reason));
    p.writeUInt16BE(code, 0);
    p.write(reason, 2);
    this.frame(0x8, p);
    this.sentClose = true;
    setTimeout(() => this.sock.destroy(), 1000).unref();
    return this.closed;
  }

  destroy() { this.sock.destroy(); }
}
