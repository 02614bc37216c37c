// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Janus (Debian package `janus`, tools/install-deps.sh) for the tests: a
// config folder of the test's own in a temporary directory, only the
// VideoRoom plugin and the WebSocket transport (127.0.0.1, a free port),
// ICE on the namespace's nic0 (Janus never uses loopback for ICE), and a
// Janus API client written in the page (plain WebSocket, subprotocol
// janus-protocol) for Chromium to create rooms, list participants,
// subscribe to a publisher and publish its fake camera.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, spawnWatched, until } from './lib.mjs';

export const NIC_ADDRESS = '198.18.0.1';  // nic0 in the test's namespace (tools/run-tests.sh)

export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// Whether something accepts TCP connections on 127.0.0.1:port.
function accepts(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

// Where Debian put Janus's modules (/usr/lib/<triplet>/janus).
function janusLibDir() {
  for (const triplet of readdirSync('/usr/lib')) {
    const dir = join('/usr/lib', triplet, 'janus');
    if (existsSync(join(dir, 'plugins', 'libjanus_videoroom.so'))) return dir;
  }
  throw new Error('Janus is not installed (apt-get install janus; tools/install-deps.sh)');
}

// rooms: {id: {pin, secret, videocodec, audiocodec}}.
export async function startJanus(defer, { port, rooms = { 1234: {} } } = {}) {
  port ??= await freePort();
  const lib = janusLibDir();
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-janus-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  // Only the modules the test wants: folders of symlinks.
  for (const [sub, file] of [['plugins', 'libjanus_videoroom.so'], ['transports', 'libjanus_websockets.so']]) {
    mkdirSync(join(dir, sub));
    symlinkSync(join(lib, sub, file), join(dir, sub, file));
  }
  mkdirSync(join(dir, 'events'));
  mkdirSync(join(dir, 'loggers'));
  writeFileSync(join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  debug_level = 4
  admin_secret = "unused-${port}"
  session_timeout = 60
}
media: {
  rtp_port_range = "40000-40999"
}
nat: {
  nice_debug = false
  ice_enforce_list = "nic0"
}
`);
  writeFileSync(join(dir, 'janus.transport.websockets.jcfg'), `general: {
  json = "compact"
  ws = true
  ws_port = ${port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`);
  let rooms_cfg = 'general: {\n}\n';
  for (const [id, r] of Object.entries(rooms)) {
    rooms_cfg += `room-${id}: {
  description = "test room ${id}"
  publishers = 6
  videocodec = "${r.videocodec ?? 'vp8,h264'}"
  audiocodec = "${r.audiocodec ?? 'opus'}"
  fir_freq = 2
${r.pin ? `  pin = "${r.pin}"\n` : ''}${r.secret ? `  secret = "${r.secret}"\n` : ''}}
`;
  }
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), rooms_cfg);
  const lines = [];
  const w = spawnWatched('janus', 'janus', ['-F', dir, '-o'], {
    stopWith: 'SIGINT',
    onLine(line) {
      lines.push(line);
      if (lines.length > 400) lines.shift();
      if (/\[ERR\]|\[FATAL\]/.test(line)) log('janus:', line);
    },
  });
  const janus = {
    port, dir, lines,
    pid: w.proc.pid,
    url: `ws://127.0.0.1:${port}/`,
    roomUrl: (query) => `janus://127.0.0.1:${port}/?${query}`,
    stop: () => w.stop(),
    tail: (n = 40) => lines.slice(-n).join('\n'),
  };
  defer(async () => {
    await janus.stop();
  });
  await until('Janus listening', () => accepts(port), 10000, 50).catch((e) => {
    throw new Error(`${e.message}\n${janus.tail()}`);
  });
  log(`Janus up on ${janus.url}`);
  return janus;
}

// A Janus API client in the page: window.janusTest.{videoroom, subscribe, publish, ...}.
const PAGE_CLIENT = `
window.janusTest = (() => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const trace = [];  // the last messages from Janus, for a failing test
  let next = 0;
  class Client {
    static async connect(url) {
      const c = new Client();
      c.ws = new WebSocket(url, 'janus-protocol');
      c.pending = new Map();
      c.events = [];
      await new Promise((ok, fail) => { c.ws.onopen = ok; c.ws.onerror = () => fail(new Error('cannot reach ' + url)); });
      c.ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        trace.push(e.data.slice(0, 300));
        if (trace.length > 60) trace.shift();
        if (m.janus === 'ack') return;
        const p = m.transaction && c.pending.get(m.transaction);
        if (p) { c.pending.delete(m.transaction); p(m); } else c.events.push(m);
      };
      const r = await c.send({ janus: 'create' });
      c.session = r.data.id;
      c.keepalive = setInterval(() => c.ws.send(JSON.stringify({ janus: 'keepalive', session_id: c.session, transaction: 'k' + next++ })), 20000);
      return c;
    }
    // Resolves with the first reply that is not an ack (success, error or the plugin's event).
    send(msg) {
      const transaction = 't' + next++;
      return new Promise((ok, fail) => {
        const t = setTimeout(() => fail(new Error('no reply to ' + JSON.stringify(msg).slice(0, 200))), 10000);
        this.pending.set(transaction, (m) => { clearTimeout(t); ok(m); });
        this.ws.send(JSON.stringify({ ...msg, transaction, ...(this.session ? { session_id: this.session } : {}) }));
      });
    }
    async attach() {
      const r = await this.send({ janus: 'attach', plugin: 'janus.plugin.videoroom' });
      return r.data.id;
    }
    async message(handle, body, jsep) {
      const r = await this.send({ janus: 'message', handle_id: handle, body, ...(jsep ? { jsep } : {}) });
      return r;
    }
    close() { clearInterval(this.keepalive); this.ws.close(); }
  }
  // Candidates in the local description (at most 3 s).
  const gathered = (pc) => new Promise((ok) => {
    if (pc.iceGatheringState === 'complete') return ok();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && ok());
    setTimeout(ok, 3000);
  });
  const endOfCandidates = (c, h) => c.ws.send(JSON.stringify({ janus: 'trickle', session_id: c.session, handle_id: h,
    transaction: 'tc' + next++, candidate: { completed: true } }));
  // A VideoRoom request on a handle of its own: the plugin's data.
  async function videoroom(url, body) {
    const c = await Client.connect(url);
    const h = await c.attach();
    const r = await c.message(h, body);
    c.close();
    return r.plugindata ? r.plugindata.data : r;
  }
  // Subscribes to the publisher named \`display\` of \`room\` (waits until it
  // publishes), plays it in a <video>; window.__pcs gets the peer connection.
  async function subscribe(url, room, display, extra = {}, waitMs = 20000) {
    const c = await Client.connect(url);
    const h = await c.attach();
    let feed = null;
    const end = Date.now() + waitMs;
    while (feed === null && Date.now() < end) {
      const r = await c.message(h, { request: 'listparticipants', room });
      const p = ((r.plugindata && r.plugindata.data.participants) || []).find((p) => p.display === display && p.publisher);
      if (p) feed = p.id; else await sleep(200);
    }
    if (feed === null) throw new Error('no publisher "' + display + '" in room ' + room);
    const joined = await c.message(h, { request: 'join', ptype: 'subscriber', room, streams: [{ feed }], ...extra });
    if (!joined.jsep) throw new Error('no offer from Janus: ' + JSON.stringify(joined));
    const pc = new RTCPeerConnection({ iceServers: [] });
    (window.__pcs = window.__pcs || []).push(pc);
    const video = document.createElement('video');
    video.autoplay = true; video.muted = true; video.playsInline = true;
    document.body.appendChild(video);
    const stream = new MediaStream();
    video.srcObject = stream;
    pc.ontrack = (e) => { stream.addTrack(e.track); video.play().catch(() => {}); };
    await pc.setRemoteDescription(joined.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    const started = await c.message(h, { request: 'start', room }, { type: 'answer', sdp: pc.localDescription.sdp });
    endOfCandidates(c, h);  // (Janus acks a trickle and nothing more: not waited for)
    window.__janusSubscriber = { c, h, pc, feed };
    return { feed, started: started.plugindata && started.plugindata.data };
  }
  // Publishes the fake camera (width x height) and microphone into \`room\`
  // as \`display\`; resolves with the publisher's id once Janus answered.
  // The publication ends when the page closes (Janus destroys a closed
  // WebSocket's sessions).
  async function publish(url, room, display, { width = 320, height = 240, pin } = {}) {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { exact: width }, height: { exact: height }, frameRate: 30 }, audio: true });
    const c = await Client.connect(url);
    const h = await c.attach();
    const joined = await c.message(h, { request: 'join', ptype: 'publisher', room, display, ...(pin ? { pin } : {}) });
    const data = joined.plugindata && joined.plugindata.data;
    if (!data || data.videoroom !== 'joined') throw new Error('not joined: ' + JSON.stringify(joined));
    const pc = new RTCPeerConnection({ iceServers: [] });
    (window.__pcs = window.__pcs || []).push(pc);
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await c.message(h, { request: 'publish' }, { type: 'offer', sdp: pc.localDescription.sdp });
    if (!r.jsep) throw new Error('no answer from Janus: ' + JSON.stringify(r));
    await pc.setRemoteDescription(r.jsep);
    endOfCandidates(c, h);
    window.__janusPublisher = { c, h, pc, id: data.id };
    return { id: data.id };
  }
  // What the page sends: video frames encoded, their size; audio packets.
  async function sent() {
    const out = { frames: 0, width: 0, height: 0, audioPackets: 0, state: '' };
    const p = window.__janusPublisher;
    if (!p) return out;
    out.state = p.pc.connectionState;
    (await p.pc.getStats()).forEach((r) => {
      if (r.type !== 'outbound-rtp') return;
      if (r.kind === 'video') {
        out.frames += r.framesEncoded || 0;
        out.width = r.frameWidth || out.width;
        out.height = r.frameHeight || out.height;
      } else out.audioPackets += r.packetsSent || 0;
    });
    return out;
  }
  // What the page decoded: video frames, their size, audio packets.
  async function received() {
    const out = { frames: 0, width: 0, height: 0, audioPackets: 0, state: '', mime: '' };
    const s = window.__janusSubscriber;
    if (!s) return out;
    out.state = s.pc.connectionState;
    const stats = await s.pc.getStats();
    stats.forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      if ((r.kind || r.mediaType) === 'video') {
        out.frames += r.framesDecoded || 0;
        out.width = r.frameWidth || out.width;
        out.height = r.frameHeight || out.height;
        const codec = r.codecId && stats.get(r.codecId);
        if (codec) out.mime = codec.mimeType;
      } else out.audioPackets += r.packetsReceived || 0;
    });
    return out;
  }
  return { Client, videoroom, subscribe, received, publish, sent, trace };
})();
`;

// A page with the client loaded, served from 127.0.0.1 like Janus's
// WebSocket (Chromium blocks a page of another address space, about:blank
// included, from opening loopback: ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
export async function janusPage(defer, browser) {
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Janus subscriber</title>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(() => new Promise((r) => {
    server.close(r);
    server.closeAllConnections();  // the browser's keep-alive connection
  }));
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.evaluate(PAGE_CLIENT);
  return page;
}

export const videoroom = (page, url, body) =>
  page.evaluate(([u, b]) => window.janusTest.videoroom(u, b), [url, body]);
// window.janusTest[fn](...args) in the page; a failure carries the last
// messages from Janus.
const call = (page, fn, ...args) =>
  page.evaluate(([f, a]) => window.janusTest[f](...a), [fn, args]).catch(async (e) => {
    const trace = await page.evaluate(() => window.janusTest.trace).catch(() => []);
    throw new Error(`${e.message}\nlast messages from Janus:\n${trace.join('\n')}`);
  });
// `extra`: more members of the subscriber's join (e.g. {pin}).
export const subscribe = (page, url, room, display, extra = {}) => call(page, 'subscribe', url, room, display, extra);
export const received = (page) => page.evaluate(() => window.janusTest.received());
// The page publishes its fake camera and microphone as `display` (options: {width, height, pin}).
export const publish = (page, url, room, display, options = {}) => call(page, 'publish', url, room, display, options);
export const sent = (page) => page.evaluate(() => window.janusTest.sent());
