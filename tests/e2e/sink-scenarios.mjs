// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink as users meet it: several browsers, joins mid-GOP, a
// consumer that never connects, input Chromium cannot decode, a port in use,
// bad input. One scenario per process: `node sink-scenarios.mjs <name>`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  FORGE_FINGERPRINT, assert, counts, keepsDecoding, launchBrowser, log, openViewer, pageConsumer, run, sleep,
  spawnWatched, startPipeline, state, until, waitCount, waitFrames, watchFrames,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const SINK = 'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';

async function setup(defer, pipeline) {
  const p = await startPipeline(pipeline);
  defer(() => p.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  return { p, browser };
}

// A sink, a viewer playing it, and a blank page of the same origin for a
// hand-scripted signalling client (at `ws`) to misbehave beside that viewer.
// `unharmed(what)` then asserts that the viewer kept decoding through the
// misbehaviour: 30 more frames, and never 500 ms without a new frame
// (getStats sampled every 100 ms from the moment it played).
async function beside(defer, sinkOptions = '') {
  const { p, browser } = await setup(defer, `${SRC} ! ${SINK} ${sinkOptions}`);
  const good = await openViewer(browser, p.url);
  await waitFrames(good, 30);
  const unharmed = await watchViewer(good);
  const page = await browser.newPage();
  await page.goto(p.url + 'health');
  return { p, browser, good, page, ws: p.url.replace('http', 'ws') + 'ws', unharmed };
}

async function watchViewer(page) {
  const watch = watchFrames(page);
  return async (what) => {
    await keepsDecoding(page, what, 30);
    const { longestStallMs } = await watch.stop();
    log(`${what}: longest time without a new frame ${longestStallMs} ms (sampled every 100 ms)`);
    assert(longestStallMs <= 500, `${what} never stalled over 500 ms (${longestStallMs} ms)`);
  };
}

// A viewer that signals normally but never lets ICE start: it sends none of
// its candidates and ignores ours. The SDP exchange completes; the
// connection never does.
const STALL_SCRIPT = `
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Orig {
    addIceCandidate() { return Promise.resolve(); }
    set onicecandidate(_) {}
    get onicecandidate() { return null; }
    addEventListener(t, l, o) { if (t !== 'icecandidate') super.addEventListener(t, l, o); }
  };`;

// Captures what arrives at the far end of the namespace's default route
// (tests/scripts/in-wan-netns.sh): every packet this host sends off itself.
async function captureWan(defer) {
  const wan = process.env.WEBRTCLIVE_WAN;
  assert(wan, 'WEBRTCLIVE_WAN is not set: run through tests/scripts/in-wan-netns.sh');
  const packets = [];
  let ready = false;
  const sniffer = spawnWatched('sniff.py', '/usr/bin/python3', [join(HERE, '..', 'scripts', 'sniff.py'), wan], {
    stopWith: 'SIGTERM', stdio: ['ignore', 'pipe', 'pipe'],
    onLine(line) {
      const m = JSON.parse(line);
      if (m.ready) ready = true; else packets.push(m);
    },
  });
  sniffer.sentSignals.add('SIGTERM');  // python dies of it: that is its stop
  defer(() => sniffer.stop());
  await until('the capture to start', () => ready, 5000);
  return packets;
}

const scenarios = {
  async 'two-browsers'(defer) {
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK}`);
    const a = await openViewer(browser, p.url);
    const b = await openViewer(browser, p.url);
    await waitFrames(a, 60);
    await waitFrames(b, 60);
    await a.close();
    await p.waitFor('consumer-removed', (e) => e.event === 'webrtclive-consumer-removed');
    await keepsDecoding(b, 'the remaining viewer after the other left', 60);
    assert(!p.find((e) => e.event === 'error'), 'no error on the bus');
  },

  async 'three-consumers-one-encoder'(defer) {
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} video-codecs=h264`);
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push(await openViewer(browser, p.url));
    for (const pg of pages) await waitFrames(pg, 60);
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 1, `${enc.count} encoders for three H.264 consumers, expected exactly 1`);
    const stats = await p.command('stats', 'stats');
    log('sink stats', stats.stats);
    assert(/consumers=\(uint\)3/.test(stats.stats), 'three consumers counted');
  },

  async 'gop-join'(defer) {
    // A 10 s GOP from an upstream encoder: without forced keyframes a joiner
    // waits up to 10 s for its first picture.
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=300 ! ${SINK}`);
    await sleep(3000); // well into the first GOP
    const page = await openViewer(browser, p.url);
    const s = await waitFrames(page, 1, 15000);
    const joinToFrame = s.times.firstFrame - s.times.startSession;
    const connectedToFrame = s.times.firstFrame - s.times.connected;
    log(`join→first frame ${joinToFrame.toFixed(0)} ms, connected→first frame ${connectedToFrame.toFixed(0)} ms`);
    // Structural: well before the 10 s GOP would allow (bench/join-latency.mjs has the figure).
    assert(joinToFrame <= 2000, `first frame ${joinToFrame.toFixed(0)} ms after joining (limit 2000 ms)`);
  },

  async 'stalled-consumer'(defer) {
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK}`);
    const stalled = await openViewer(browser, p.url, 'autoplay=1', { initScript: STALL_SCRIPT });
    await until('the stalled viewer to get its offer', async () => (await state(stalled)).times.remoteOffer, 10000);
    const good = await openViewer(browser, p.url);
    const s = await waitFrames(good, 60);
    const st = await state(stalled);
    log(`stalled viewer: ${st.connectionState}, frames ${st.stats?.framesDecoded ?? 0}; good viewer: ${s.stats.framesDecoded}`);
    assert(st.connectionState !== 'connected', 'the stalled viewer never connected');
    await keepsDecoding(good, 'the good viewer next to the stalled one', 60);
  },

  async 'h264-high-input'(defer) {
    // Chromium (Debian) cannot decode H.264 High; webrtcbin 1.22 aborts the
    // process if the m-line is rejected. The sink offers a transcoded
    // constrained-baseline stream instead, shared by such consumers.
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=30 ! video/x-h264,profile=high ! ${SINK}`);
    const a = await openViewer(browser, p.url);
    const b = await openViewer(browser, p.url);
    const s = await waitFrames(a, 60);
    await waitFrames(b, 60);
    assert(s.stats.frameWidth === W && s.stats.frameHeight === H, 'transcoded stream has the input size');
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 1, `one shared transcoder for both consumers (found ${enc.count} encoders)`);
    assert(p.alive, 'the process is alive');
  },

  async 'h264-high-no-transcode'(defer) {
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=veryfast ! video/x-h264,profile=high ! ${SINK} transcode=false`);
    const page = await openViewer(browser, p.url);
    const st = await until('the viewer to be told', async () => {
      const s = await state(page);
      return s.ended ? s : null;
    }, 15000);
    log('viewer ended with', JSON.stringify(st.ended), 'errors', JSON.stringify(st.errors));
    const w = await p.waitFor('a warning', (e) => e.event === 'warning');
    assert(/nothing a browser can take/.test(w.message), `warning explains: ${w.message}`);
    assert(p.alive, 'the process is alive');
  },

  async 'rejected-mline'(defer) {
    // A consumer answers with the video m-line rejected (port 0): it is told
    // why, the process survives, and a normal viewer keeps playing.
    const { p, good, page, ws, unharmed } = await beside(defer);
    const r = await pageConsumer(page, ws, { rewrite: (answer) => answer.replace(/m=video \d+/, 'm=video 0') });
    log('scripted consumer got', JSON.stringify(r.ended));
    assert(r.ended && r.ended.type === 'endSessionV1_1', 'the consumer is told its session ended');
    assert(/rejected/.test(r.ended.error || ''), `with the reason: ${r.ended.error}`);
    await unharmed('the other viewer');
    assert(p.alive, 'the process is alive');
  },

  async 'empty-answer'(defer) {
    // An answer with an empty SDP: GstSdp logged a CRITICAL on it (found by
    // fuzz/fuzz-sdp). The consumer is told, nothing is logged, the other
    // viewer plays on.
    const { p, page, ws, unharmed } = await beside(defer);
    const r = await pageConsumer(page, ws, { rewrite: () => '' });
    log('empty answer:', JSON.stringify(r.ended));
    assert(r.ended && /not valid SDP/.test(r.ended.error || ''), `told why: ${r.ended && r.ended.error}`);
    await unharmed('the other viewer');
    assert(p.alive, 'the process is alive');
  },

  async 'bundle-datachannel-first'(defer) {
    // With control=true the offer has a data-channel m-line. An answer whose
    // BUNDLE group lists its mid first made webrtcbin 1.22 abort the whole
    // process (_connect_rtpfunnel: assertion failed: (stream)). The answer's
    // shape is checked first: the consumer is told, the others play on.
    const { p, good, page, ws, unharmed } = await beside(defer, 'control=true');
    const r = await pageConsumer(page, ws, { rewrite: (answer) => answer
      .replace(/a=group:BUNDLE (.*)/, (all, mids) => `a=group:BUNDLE ${mids.trim().split(' ').reverse().join(' ')}`) });
    log('scripted consumer got', JSON.stringify(r.ended));
    assert(r.ended && /BUNDLE group/.test(r.ended.error || ''), `told why: ${r.ended && r.ended.error}`);
    await unharmed('the other viewer');
    assert(p.alive, 'the process is alive');
  },

  async 'session-flood'(defer) {
    // One unauthenticated page asking for sessions as fast as it can: 100
    // startSession in a second made 600 threads and 1,282 FDs, and at the
    // usual soft limit of 1,024 descriptors the whole producer aborted
    // (GLib-ERROR: Creating pipes for GWakeup). Now one connection gets at
    // most 8 sessions, and the sink refuses joins it has no descriptors for.
    const p = await startPipeline(`${SRC} ! ${SINK}`, { nofile: 1024 });
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const good = await openViewer(browser, p.url);
    await waitFrames(good, 30);
    const unharmed = await watchViewer(good);
    const page = await browser.newPage();
    await page.goto(p.url + 'health');
    const r = await page.evaluate(async (wsUrl) => {
      const out = { tooMany: 0, ended: 0, maxLive: 0, sockets: [] };
      await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve) => {
        const ws = new WebSocket(wsUrl);
        out.sockets.push(ws);
        let live = 0;  // sessions of this connection started and not ended
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'welcome') ws.send(JSON.stringify({ type: 'list' }));
          else if (m.type === 'list') {
            for (let i = 0; i < 12; i++) ws.send(JSON.stringify({ type: 'startSession', peerId: m.producers[0].id }));
            setTimeout(resolve, 3000);
          } else if (m.type === 'sessionStarted') out.maxLive = Math.max(out.maxLive, ++live);
          else if (m.type === 'error' && /too many sessions/.test(m.details)) out.tooMany++;
          else if (m.type === 'endSession' || m.type === 'endSessionV1_1') { live--; out.ended++; }
        };
      })));
      return { tooMany: out.tooMany, ended: out.ended, maxLive: out.maxLive };
    }, p.url.replace('http', 'ws') + 'ws');
    log(`refused by the server: ${r.tooMany}; sessions ended by the sink: ${r.ended}; most live on one connection: ${r.maxLive}`);
    // (A session the sink refuses ends at once and frees its slot.)
    assert(r.maxLive <= 8, `no connection had more than 8 sessions at once (${r.maxLive})`);
    assert(r.tooMany >= 20 * 4 - r.ended, `the excess was refused by the server (${r.tooMany} refusals)`);
    const stats = await p.command('stats', 'stats');
    log('sink stats', stats.stats);
    const refused = Number(/consumers-refused=\(guint64\)(\d+)/.exec(stats.stats)[1]);
    assert(refused > 0, `the sink refused the joins it had no descriptors for (${refused})`);
    assert(p.alive, 'the process is alive');
    await unharmed('the viewer already playing');
  },

  async 'candidate-flood'(defer) {
    // 800 candidates of 120 KB for m-line 7 before any answer grew the sink
    // by 110 MB until the session ended. Candidates are checked before
    // webrtcbin sees them: the first oversized one ends that session.
    const { p, good, page, ws, unharmed } = await beside(defer);
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.proc.pid}/status`, 'utf8'))[1]) / 1024;
    const rssBefore = rss();
    const r = await page.evaluate(async (wsUrl) => {
      const ws = new WebSocket(wsUrl);
      const got = [];
      const send = (m) => ws.send(JSON.stringify(m));
      return await new Promise((resolve) => {
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          got.push(m.type);
          if (m.type === 'welcome') send({ type: 'list' });
          else if (m.type === 'list') send({ type: 'startSession', peerId: m.producers[0].id });
          else if (m.type === 'sessionStarted') {
            const big = 'candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host ' + 'x'.repeat(120000);
            for (let i = 0; i < 800 && ws.readyState === WebSocket.OPEN; i++)
              send({ type: 'peer', sessionId: m.sessionId, ice: { candidate: big, sdpMLineIndex: 7 } });
          } else if (m.type === 'endSession' || m.type === 'endSessionV1_1') {
            setTimeout(() => resolve({ ended: m, got: got.length }), 500);
          }
        };
        setTimeout(() => resolve({ ended: null, got: got.length }), 20000);
      });
    }, ws);
    log('flooding consumer got', JSON.stringify(r.ended));
    assert(r.ended, 'its session was ended');
    const removed = await p.waitFor('the consumer to be removed', (e) => e.event === 'webrtclive-consumer-removed' &&
      /ICE candidate/.test(e.reason || ''), 10000);
    log('removed:', removed.reason);
    assert(p.alive, 'the process is alive');
    await unharmed('the other viewer');
    const grew = rss() - rssBefore;
    log(`sink RSS ${rssBefore.toFixed(1)} → ${(rssBefore + grew).toFixed(1)} MB`);
    assert(grew < 30, `the flood did not grow the sink by ${grew.toFixed(1)} MB (limit 30)`);
  },

  async 'dtls-fingerprint-mismatch'(defer) {
    // A consumer whose DTLS certificate is not the one its answer announces
    // (what a man in the middle looks like): GStreamer 1.22 does not check
    // (CVE-2026-14935); the sink does, once DTLS is up, and drops it.
    const { p, good, page, ws, unharmed } = await beside(defer);
    const result = await pageConsumer(page, ws, { rewrite: FORGE_FINGERPRINT });
    log('forged consumer:', JSON.stringify(result));
    assert(result.ended && /DTLS/.test(result.ended.error || ''), `the consumer is refused for its certificate: ${JSON.stringify(result.ended)}`);
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /DTLS/.test(e.message));
    log('sink warned:', w.message);
    await unharmed('the honest viewer');
  },

  async 'control-channel-hostile'(defer) {
    // gstwebrtc-api's control channel (control=true) carries messages from
    // any viewer into the producer. Ones that used to abort the process (a
    // null or numeric event name → std::string from NULL) or log a
    // Json-CRITICAL (a non-string type), 1,000 nested '[' and a 20 KB
    // message each get an error reply; a valid one still reaches upstream.
    const { p, browser } = await setup(defer, `${SRC} ! identity name=nav ! ${SINK} control=true`);
    const good = await openViewer(browser, p.url);
    await waitFrames(good, 30);
    const unharmed = await watchViewer(good);
    const page = await browser.newPage();
    await page.goto(p.url + 'health');
    const hostile = [
      '{"id":1,"request":{"type":"navigationEvent","event":{"event":null}}}',
      '{"id":2,"request":{"type":"navigationEvent","event":{"event":5}}}',
      '{"id":3,"request":{"type":5}}',
      '{"id":4,"request":{"type":"navigationEvent","event":{"event":"Klick ü"}}}',
      '{"id":5,"request":' + '['.repeat(1000),
      '{"id":6,"pad":"' + 'x'.repeat(20000) + '"}',
      '{"id":7,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":1,"y":2}}}',
    ];
    const r = await pageConsumer(page, p.url.replace('http', 'ws') + 'ws', { control: hostile });
    log('control replies:', JSON.stringify(r.replies));
    assert(r.replies.length === hostile.length, `one reply per message (${r.replies.length} of ${hostile.length})`);
    const replies = r.replies.map((x) => JSON.parse(x));  // every reply is valid JSON
    for (const [i, want] of [[0, /event/], [1, /event/], [2, /type/], [3, /Klick ü/], [4, /nested deeper/],
      [5, /larger than/]])
      assert(want.test(replies[i].error || ''), `reply ${i + 1} says why: ${JSON.stringify(replies[i])}`);
    assert(replies[6].error === null && replies[6].id === 7, `the valid event is accepted: ${JSON.stringify(replies[6])}`);
    await until('the valid event upstream', async () => (await counts(p)).nav.buffers >= 1, 5000);
    assert(p.alive, 'the process is alive');
    await unharmed('the other viewer');
  },

  async 'control-before-dtls-check'(defer) {
    // A consumer that forges its DTLS fingerprint and talks on the control
    // channel the moment it opens: nothing it says may reach the pipeline
    // before (or instead of) the identity check; it is then dropped.
    const { p, browser } = await setup(defer, `${SRC} ! identity name=nav ! ${SINK} control=true`);
    const page = await browser.newPage();
    await page.goto(p.url + 'health');
    const click = '{"id":1,"request":{"type":"navigationEvent","event":{"event":"MouseButtonPress","x":1,"y":1,"button":1}}}';
    const r = await pageConsumer(page, p.url.replace('http', 'ws') + 'ws',
      { rewrite: FORGE_FINGERPRINT, control: Array(20).fill(click) });
    log('forged controller:', JSON.stringify(r.ended), 'replies', JSON.stringify(r.replies.slice(0, 2)));
    await p.waitFor('the forged consumer to be dropped', (e) => e.event === 'webrtclive-consumer-removed' &&
      /DTLS/.test(e.reason || ''), 15000);
    const nav = (await counts(p)).nav.buffers;
    assert(nav === 0, `no navigation event from an unverified peer reached the pipeline (${nav})`);
    assert(r.replies.every((x) => /not verified/.test(x)), `every reply refused it: ${r.replies.slice(0, 3)}`);
  },

  async 'embedded-token'(defer) {
    // The embedded server with a token: the page passes ?token= on; without
    // it the WebSocket is refused (HTTP 401) and nothing plays.
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} signaller::token=letmein`);
    const denied = await openViewer(browser, p.url);
    const viewer = await openViewer(browser, p.url, 'autoplay=1&token=letmein');
    await waitFrames(viewer, 60);
    const d = await state(denied);
    log('without the token:', d.signalling, JSON.stringify(d.stats.framesDecoded));
    assert(d.signalling !== 'open' && !(d.stats.framesDecoded > 0), 'the page without the token gets nothing');
  },

  async 'cross-origin'(defer) {
    // A page of another site (here another port) must not drive the sink's
    // signalling from a LAN user's browser: the upgrade is refused (403),
    // unless that origin is listed in allowed-origins; the sink's own page
    // plays as always.
    const other = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>elsewhere</title>'));
    await new Promise((r) => other.listen(0, '127.0.0.1', r));
    defer(async () => other.close());
    const port = other.address().port;
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} signaller::allowed-origins=http://localhost:${port}`);
    const ws = p.url.replace('http', 'ws') + 'ws';
    const tryWs = async (origin) => {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      return page.evaluate((u) => new Promise((resolve) => {
        const sock = new WebSocket(u);
        sock.onmessage = (e) => resolve(JSON.parse(e.data).type);
        sock.onerror = () => resolve('refused');
        setTimeout(() => resolve('timeout'), 5000);
      }), ws);
    };
    const foreign = await tryWs(`http://127.0.0.1:${port}`);
    const allowed = await tryWs(`http://localhost:${port}`);
    log(`foreign origin: ${foreign}; allowed origin: ${allowed}`);
    assert(foreign === 'refused', `a foreign page cannot open the signalling WebSocket (${foreign})`);
    assert(allowed === 'welcome', `a page of an allowed origin can (${allowed})`);
    await waitFrames(await openViewer(browser, p.url), 30);
  },

  async 'embedded-jwt'(defer) {
    // The embedded server with JSON Web Tokens: a viewer whose token grants
    // consuming this producer plays (the page presents it as a WebSocket
    // subprotocol); one granted another producer name sees nothing to play.
    const dir = mkdtempSync(join(tmpdir(), 'webrtclive-jwt-'));
    defer(async () => rmSync(dir, { recursive: true, force: true }));
    const secret = 'an-hs256-secret-that-is-long-enough-0123';
    writeFileSync(join(dir, 'key'), secret);
    const token = (names) => {
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 600, webrtclive: { roles: ['consumer'], names } })}`;
      return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
    };
    const { p, browser } = await setup(defer,
      `${SRC} ! ${SINK} producer-name=cam signaller::jwt-key-file=${join(dir, 'key')}`);
    const viewer = await openViewer(browser, p.url, `autoplay=1&token=${token(['cam'])}`);
    const other = await openViewer(browser, p.url, `autoplay=1&token=${token(['door'])}`);
    const none = await openViewer(browser, p.url);
    const s = await waitFrames(viewer, 30);
    assert(s.stats.frameWidth === W, 'the viewer granted "cam" plays');
    const o = await state(other), n = await state(none);
    log(`granted another name: ${o.signalling}, ${o.producers.length} producers listed; no token: ${n.signalling}`);
    assert(o.signalling === 'open' && o.producers.length === 0 && !(o.stats.framesDecoded > 0),
      'a viewer granted another producer name connects but is shown nothing');
    assert(n.signalling !== 'open' && !(n.stats.framesDecoded > 0), 'a viewer without a token is refused');
  },

  async 'vanished-consumer'(defer) {
    // A viewer whose media dies while its signalling socket stays open (a
    // network cut the WebSocket has not noticed yet): no RTCP any more. The
    // sink drops it after peer-timeout; a healthy viewer is never dropped.
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK} peer-timeout=3`);
    const good = await openViewer(browser, p.url);
    const gone = await openViewer(browser, p.url);
    await waitFrames(good, 30);
    await waitFrames(gone, 30);
    await gone.evaluate(() => {
      // Close the peer connection behind the page's back; the socket stays.
      for (const pc of window.__pcs || []) pc.close();
    });
    const removed = await p.waitFor('the vanished consumer to be dropped',
      (e) => e.event === 'webrtclive-consumer-removed' && /RTCP/.test(e.reason || ''), 15000);
    log('dropped:', removed.reason);
    await sleep(4000);  // longer than peer-timeout: the healthy one stays
    const removals = p.events.filter((e) => e.event === 'webrtclive-consumer-removed').length;
    assert(removals === 1, `only the vanished consumer was dropped (${removals} removals)`);
    await keepsDecoding(good, 'the healthy viewer', 30);
  },

  async 'malformed-signalling'(defer) {
    const { p, good, page, ws, unharmed } = await beside(defer);
    const replies = await page.evaluate(async (wsUrl) => {
      const ws = new WebSocket(wsUrl);
      const got = [];
      ws.onmessage = (e) => got.push(JSON.parse(e.data));
      await new Promise((r) => (ws.onopen = r));
      for (const bad of ['not json', '[1,2]', '{"no":"type"}', '{"type":"bogus"}',
        '{"type":"startSession"}', '{"type":"peer","sessionId":"nope","ice":{"candidate":"x","sdpMLineIndex":0}}',
        '{"type":"setPeerStatus","roles":["producer","consumer"],"meta":null}',
        // 75 KB under the frame limit; json-glib's recursion overflowed the stack (SIGSEGV).
        '['.repeat(75000)]) ws.send(bad);
      ws.send('{"type":"list"}');
      await new Promise((r) => setTimeout(r, 1000));
      return { got, open: ws.readyState === WebSocket.OPEN };
    }, ws);
    const errors = replies.got.filter((m) => m.type === 'error').map((m) => m.details);
    log('error replies:', JSON.stringify(errors));
    assert(errors.length === 8, `one error per malformed message (${errors.length})`);
    assert(errors.some((e) => /nested deeper than 32/.test(e)), 'too deep a nesting named');
    assert(errors.some((e) => /invalid JSON/.test(e)), 'invalid JSON named');
    assert(errors.some((e) => /unknown message type 'bogus'/.test(e)), 'unknown type named');
    assert(errors.some((e) => /peerId/.test(e)), 'missing field named');
    assert(replies.open, 'the connection stays open');
    assert(replies.got.some((m) => m.type === 'list' && m.producers.length === 1), 'a valid request is still served');
    await unharmed('the viewer');
  },

  async 'port-in-use'(defer) {
    const first = await startPipeline(`${SRC} ! ${SINK}`);
    defer(() => first.stop());
    const port = new URL(first.url).port;
    const second = await startPipeline(
      `${SRC} ! webrtclivesink port=${port} address=127.0.0.1`, { expectStart: false });
    defer(() => second.stop());
    const err = await second.waitFor('an error', (e) => e.event === 'error');
    log('error:', err.message);
    assert(err.message.includes(port), `the error names port ${port}: ${err.message}`);
    assert(/in use/i.test(err.message), 'and says it is in use');
  },

  async 'unsupported-caps'(defer) {
    // A JPEG file reaches the sink through typefind (linked before the
    // type is known, as decodebin-style pipelines do).
    const dir = mkdtempSync(join(tmpdir(), 'webrtclive-'));
    defer(async () => rmSync(dir, { recursive: true, force: true }));
    const jpeg = join(dir, 'frame.jpg');
    execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1', '!', 'jpegenc', '!', 'filesink', `location=${jpeg}`]);
    const p = await startPipeline(`filesrc location=${jpeg} ! typefind ! ${SINK}`, { expectStart: false });
    defer(() => p.stop());
    const err = await p.waitFor('an error', (e) => e.event === 'error');
    log('error:', err.message);
    assert(err.src === 'sink', `posted by the sink first, not upstream (src ${err.src})`);
    assert(/image\/jpeg/.test(err.message) && /H\.264/.test(err.message) && /raw video/.test(err.message),
      `the error says what came and what is accepted: ${err.message}`);
    await p.waitFor('upstream to stop with not-negotiated', (e) => e.event === 'error' && /not-negotiated/.test(e.debug), 5000);
  },

  async 'no-stray-packets'(defer) {
    // The README: "no public STUN server contacted". Stronger: a sink with
    // default settings, and a webrtclivesrc with default settings playing
    // it, send no packet at all to any address that is not this host's,
    // though the host has a default route (in-wan-netns.sh) and a NIC that
    // ICE gathers on. What leaves through that route is captured.
    const packets = await captureWan(defer);
    const p = await startPipeline(`${SRC} ! webrtclivesink name=sink`);
    defer(() => p.stop());
    assert(/:8080\//.test(p.url), `the default port: ${p.url}`);
    const r = await startPipeline('webrtclivesrc name=s server=ws://127.0.0.1:8080/ws s.video_0 ! fakesink name=countvideo');
    defer(() => r.stop());
    await waitCount(r, 'countvideo', 90);
    await sleep(2000);  // UPnP/SSDP searches and STUN retries would have started by now
    await r.stop();
    await p.stop();
    // The capture works: a datagram sent off-host now is seen.
    const probe = createSocket('udp4');
    await new Promise((res, rej) => probe.send('probe', 9, process.env.WEBRTCLIVE_WAN_GATEWAY, (e) => (e ? rej(e) : res())));
    probe.close();
    await until('the capture to see the probe datagram', () => packets.some((x) => x.dport === 9), 5000);
    const stray = packets.filter((x) => x.dport !== 9);
    log(`packets off-host: ${stray.length}`, JSON.stringify(stray.slice(0, 20)));
    assert(stray.length === 0, `no packet leaves the host (${stray.length}: ${JSON.stringify(stray.slice(0, 5))})`);
  },

  async 'sockets-pinned'(defer) {
    // address=127.0.0.1 ice-addresses=127.0.0.1: while a consumer plays, every
    // socket of the sink's process is bound to 127.0.0.1 — no ICE candidate
    // on another interface, no SSDP (UPnP) socket, no listener on 0.0.0.0.
    // Read from /proc: the process's socket inodes, matched in /proc/net.
    const { p, browser } = await setup(defer, `${SRC} ! ${SINK}`);
    const page = await openViewer(browser, p.url);
    await waitFrames(page, 30);
    const inodes = new Set(readdirSync(`/proc/${p.proc.pid}/fd`).map((fd) => {
      try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p.proc.pid}/fd/${fd}`))?.[1]; } catch { return null; }
    }).filter(Boolean));
    const sockets = [];
    for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
      for (const line of readFileSync(`/proc/net/${proto}`, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 10 || !inodes.has(f[9])) continue;
        const [hex, port] = f[1].split(':');
        const addr = hex.length === 8
          ? hex.match(/../g).reverse().map((b) => parseInt(b, 16)).join('.')
          : hex === '00000000000000000000000000000000' ? '::' : hex === '0000000000000000FFFF00000100007F' ? '::ffff:127.0.0.1'
            : hex === '00000000000000000000000001000000' ? '::1' : hex;
        sockets.push(`${proto} ${addr}:${parseInt(port, 16)}`);
      }
    }
    log(`the sink's ${inodes.size} sockets:`, sockets.join(', '));
    assert(sockets.length >= 3, `found the sink's sockets (${sockets.length})`);
    const stray = sockets.filter((x) => !/ (127\.0\.0\.1|::ffff:127\.0\.0\.1):/.test(x));
    assert(stray.length === 0, `every socket is on 127.0.0.1; not: ${stray.join(', ')}`);
    assert(!sockets.some((x) => /:1900$/.test(x)), 'no SSDP socket');
  },

  async 'keyframes-coalesced'(defer) {
    // The README: keyframe requests from many viewers are coalesced at the
    // encoder. Six viewers join at once a sink fed by an upstream encoder
    // with a 10 s GOP; each needs a keyframe. The force-key-unit events
    // that reach the encoder are counted there (identity fku).
    const N = 6, K = 3;
    const { p, browser } = await setup(defer,
      `${SRC} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=300 ! identity name=fku ! ${SINK}`);
    await sleep(1000);
    const t0 = Date.now();
    const pages = await Promise.all(Array.from({ length: N }, () => openViewer(browser, p.url)));
    await Promise.all(pages.map((pg) => waitFrames(pg, 1, 15000)));
    const allPlaying = Date.now() - t0;
    await sleep(1000);  // late requests would arrive by now
    const events = (await counts(p)).fku.buffers;
    log(`${N} viewers all decoding ${allPlaying} ms after opening; force-key-unit events at the encoder: ${events}`);
    assert(events >= 1, 'the joiners asked the encoder for a keyframe');
    assert(events <= K, `at most ${K} force-key-unit events reach the encoder for ${N} joiners (${events})`);
    for (const pg of pages) await keepsDecoding(pg, 'each joiner', 30);
  },

  async 'audio-video'(defer) {
    const { p, browser } = await setup(defer,
      `${SRC} ! ${SINK} audiotestsrc is-live=true wave=ticks ! sink.`);
    const page = await openViewer(browser, p.url);
    await waitFrames(page, 60);
    const s = await until('audio packets', async () => {
      const st = await state(page);
      return st.stats.audioPacketsReceived > 0 ? st : null;
    }, 10000);
    log('audio', s.stats.audioCodec, s.stats.audioPacketsReceived, 'streams', s.streamCount, s.trackKinds);
    assert(s.streamCount === 1 && s.trackKinds.includes('audio') && s.trackKinds.includes('video'),
      'one MediaStream with an audio and a video track');
    assert(/opus/i.test(s.stats.audioCodec), 'audio is Opus');
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
