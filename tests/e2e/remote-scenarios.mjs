// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Remote signalling through webrtclive-signalling-server: TLS, a server that
// dies and comes back, interop with gstwebrtc-api (npm, unmodified) and
// werift, and a plain webrtcbin signalled by webrtclivesignaller.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BUILD_DIR, assert, launchBrowser, log, openViewer, run, sleep, startPipeline, state, until, waitFrames,
  counts, waitCount, spawnWatched, watchFrames, pageConsumer, FORGE_FINGERPRINT,
} from './lib.mjs';
import { openClientsPage, servePages as serveClientPages, waitWhepFrames, whipState } from './whip-whep-lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const W = 320, H = 240;
const VSRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const ICE = 'ice-addresses=127.0.0.1';

// Starts webrtclive-signalling-server, watched like the pipelines (a crash,
// an unclean SIGTERM stop or a GLib CRITICAL fails the scenario); resolves
// with {proc, port, ws, http}.
async function startServer(defer, { port = 0, cert, key, token, tokenFile, allowedOrigin } = {}) {
  const args = ['--host', '127.0.0.1', '--port', String(port)];
  if (allowedOrigin) args.push('--allowed-origin', allowedOrigin);
  if (cert) args.push('--cert', cert, '--key', key);
  if (tokenFile) args.push('--token-file', tokenFile);
  const env = { ...process.env };
  if (token) env.WEBRTCLIVE_TOKEN = token;
  let out = '';
  const w = spawnWatched('server', join(BUILD_DIR, 'server', 'webrtclive-signalling-server'), args,
    { stdio: ['ignore', 'pipe', 'pipe'], env, stopWith: 'SIGTERM', onLine: (line) => { out += line + '\n'; } });
  const s = { proc: w.proc, exited: w.exited };
  // SIGTERM: the graceful stop (exit 0); another signal is a kill the test means.
  s.stop = async (signal = 'SIGTERM') => {
    if (signal !== 'SIGTERM') w.kill(signal);
    await w.stop();
  };
  defer(() => s.stop());
  const m = await until('the server to listen', () => /listening on (wss?):\/\/[^:\s]+:(\d+)/.exec(out), 10000);
  s.port = Number(m[2]);
  s.ws = `${m[1]}://127.0.0.1:${s.port}/`;
  s.http = `${m[1] === 'wss' ? 'https' : 'http'}://127.0.0.1:${s.port}/`;
  log('server:', out.trim().split('\n').pop());
  return s;
}

// A plain webrtcbin sending VP8, signalled by webrtclivesignaller as
// producer "plain" through the server at `ws`.
const plainProducer = (ws) =>
  `${VSRC} ! vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay picture-id-mode=15-bit ! ` +
  'application/x-rtp,media=video,encoding-name=VP8,payload=96 ! webrtcbin name=w bundle-policy=max-bundle ' +
  `webrtclivesignaller webrtcbin=w server=${ws} producer-name=plain ${ICE}`;

// Serves the gstwebrtc-api bundle and the test page on loopback.
async function servePages(defer) {
  const bundle = readFileSync(join(HERE, 'node_modules', 'gstwebrtc-api', 'dist', 'gstwebrtc-api-3.0.0.min.js'));
  const page = readFileSync(join(HERE, 'pages', 'gstwebrtc-api.html'));
  const http = createServer((req, res) => {
    if (req.url.startsWith('/gstwebrtc-api.min.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  defer(async () => http.close());
  return `http://127.0.0.1:${http.address().port}/`;
}

// A self-signed certificate for 127.0.0.1 that is also the test's CA.
function testCertificate(defer) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-tls-'));
  defer(async () => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { dir, cert, key };
}

const scenarios = {
  // The standalone server's WHIP: a browser (whip-whep from npm, on a page
  // of an allowed origin) publishes as producer "cam" to a webrtclivesrc
  // connected over WebSocket that waits for a producer of that name.
  // The standalone server's WHEP: Chromium publishes its camera from the
  // served publish.html as producer "cam"; two WHEP players from npm
  // (whip-whep, @eyevinn/webrtc-player) play /whep/cam through the gateway
  // (the page answers their offers).
  async 'whep-standalone'(defer) {
    const server = await startServer(defer, { allowedOrigin: '*' });
    const browser = await launchBrowser();
    defer(() => browser.close());
    const pub = await browser.newPage();
    await pub.goto(`${server.http}publish.html?autostart=1&audio=0&width=${W}&height=${H}&name=cam`);
    await until('the publisher to register', () => pub.evaluate(() => window.webrtclivePublish && window.webrtclivePublish.registered), 10000);
    const pages = await serveClientPages(defer);
    for (const lib of ['whip-whep', 'webrtc-player']) {
      const page = await openClientsPage(defer, browser, pages);
      const t0 = Date.now();
      await page.evaluate(([u, l]) => window.whepPlay(u, '', l), [`${server.http}whep/cam`, lib]);
      const s = await waitWhepFrames(page, 60);
      log(`${lib} through the standalone server: ${s.framesDecoded} frames of ${s.width}x${s.height} ${Date.now() - t0} ms after starting`);
      assert(s.width === W && s.height === H, `${lib} decodes the camera at its size: ${s.width}x${s.height}`);
    }
  },

  async 'whip-standalone'(defer) {
    const server = await startServer(defer, { allowedOrigin: '*' });
    const src = await startPipeline(
      `webrtclivesrc name=s server=${server.ws} producer-name=cam ${ICE} s.video_0 ! fakesink name=countvideo`);
    defer(() => src.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await openClientsPage(defer, browser, await serveClientPages(defer));
    const wrongName = await fetch(`${server.http}whep/nobody`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\nm=video 9 RTP/AVP 0\r\n' });
    assert(wrongName.status === 404, `WHEP of an unknown producer: ${wrongName.status}`);
    const t0 = Date.now();
    await page.evaluate(([u]) => window.whipPublish(u, '', 'whip-whep'), [`${server.http}whip/cam`]);
    const v = await waitCount(src, 'countvideo', 60, 30000);
    log(`WHIP through the standalone server: 60 frames ${Date.now() - t0} ms after publishing; ${JSON.stringify(await whipState(page)).slice(0, 200)}`);
    assert(v.caps.includes(`width=(int)${W}`), `decoded: ${v.caps}`);
  },

  async 'tls-sink-src'(defer) {
    const { cert, key } = testCertificate(defer);
    const server = await startServer(defer, { cert, key });
    assert(server.ws.startsWith('wss://'), `the server speaks wss (${server.ws})`);
    // Both elements verify the server against the test's CA (no insecure mode).
    const sink = await startPipeline(
      `${VSRC} ! webrtclivesink server=${server.ws} signaller::ca-file=${cert} producer-name=cam ${ICE}`);
    defer(() => sink.stop());
    const src = await startPipeline(
      `webrtclivesrc name=s server=${server.ws} ca-file=${cert} producer-name=cam ${ICE} s.video_0 ! fakesink name=countvideo`);
    defer(() => src.stop());
    const v = await waitCount(src, 'countvideo', 60);
    assert(v.caps.includes(`width=(int)${W}`), `decoded over a wss-signalled session: ${v.caps}`);
    assert(!sink.find((e) => e.event === 'error' || e.event === 'warning'), 'the sink connected without complaint');
  },

  async 'server-restart'(defer) {
    let server = await startServer(defer);
    const port = server.port;
    const sink = await startPipeline(`${VSRC} ! webrtclivesink server=${server.ws} producer-name=cam ${ICE}`);
    defer(() => sink.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const viewer = await openViewer(browser, server.http, 'name=cam');
    await waitFrames(viewer, 60);

    // The test reads the viewer's getStats() itself every 100 ms.
    const watch = watchFrames(viewer);
    await server.stop('SIGKILL');
    log('server killed');
    await sleep(2000);
    server = await startServer(defer, { port });
    const back = Date.now();
    log('server back on port', port);

    // The producer registers again: a new viewer sees it and plays it.
    const fresh = await openViewer(browser, server.http, 'name=cam');
    await until('the producer to be listed again', async () => (await state(fresh)).producers.length > 0, 12000, 100);
    const reRegistered = Date.now() - back;
    log(`producer re-registered ${reRegistered} ms after the server returned`);
    await waitFrames(fresh, 30);
    const { longestStallMs, frames } = await watch.stop();
    log(`first viewer: ${frames} frames, longest stall ${longestStallMs} ms across the outage`);
    assert(reRegistered <= 12000, `re-registered within 12 s (${reRegistered} ms)`);
    assert(longestStallMs <= 1000, `the first viewer never stopped decoding (longest stall ${longestStallMs} ms)`);
    assert(!sink.find((e) => e.event === 'error'), 'the sink posted no ERROR');
    assert(sink.find((e) => e.event === 'warning' && /reconnect/i.test(e.message)), 'the sink warned that it reconnects');
  },

  async 'src-server-restart'(defer) {
    // The README: signalling can die and come back. A webrtclivesrc whose
    // standalone server is killed and restarted warns, reconnects, and
    // resumes consuming (its session survives or is made again).
    let server = await startServer(defer);
    const port = server.port;
    const sink = await startPipeline(`${VSRC} ! webrtclivesink server=${server.ws} producer-name=cam ${ICE}`);
    defer(() => sink.stop());
    const src = await startPipeline(
      `webrtclivesrc name=s server=${server.ws} producer-name=cam ${ICE} s.video_0 ! fakesink name=countvideo`);
    defer(() => src.stop());
    await waitCount(src, 'countvideo', 30);
    await server.stop('SIGKILL');
    log('server killed');
    const warn = await src.waitFor('the src to warn', (e) => e.event === 'warning', 10000);
    log('src warned:', warn.message);
    await sleep(2000);
    server = await startServer(defer, { port });
    const before = (await counts(src)).countvideo.buffers;
    await until('frames again after the server came back', async () =>
      (await counts(src)).countvideo.buffers >= before + 90, 30000, 250);
    assert(!src.find((e) => e.event === 'error'), 'the src never posted an ERROR');
    assert(!sink.find((e) => e.event === 'error'), 'the sink never posted an ERROR');
  },

  async 'webrtclives-uri'(defer) {
    // A webrtclives:// URI (wss) through the src's URI handler, verified
    // against the test's CA; without that CA the same URI is refused.
    const { cert, key } = testCertificate(defer);
    const server = await startServer(defer, { cert, key });
    const sink = await startPipeline(
      `${VSRC} ! webrtclivesink server=${server.ws} signaller::ca-file=${cert} producer-name=cam ${ICE}`);
    defer(() => sink.stop());
    const uri = server.ws.replace('wss://', 'webrtclives://') + '?name=cam';
    const src = await startPipeline([`--set-uri=s=${uri}`, 'webrtclivesrc', 'name=s', `ca-file=${cert}`, ...ICE.split(' '),
      's.video_0', '!', 'fakesink', 'name=countvideo']);
    defer(() => src.stop());
    const v = await waitCount(src, 'countvideo', 60);
    log(`${uri} with the test CA:`, v.caps);
    assert(v.caps.includes(`width=(int)${W}`), `decoded over wss from a webrtclives:// URI: ${v.caps}`);
    const untrusted = await startPipeline([`--set-uri=s=${uri}`, 'webrtclivesrc', 'name=s', ...ICE.split(' '),
      's.video_0', '!', 'fakesink', 'name=countvideo'], { name: 'untrusted' });
    defer(() => untrusted.stop());
    const w = await untrusted.waitFor('a warning', (e) => e.event === 'warning', 10000);
    log('without the CA:', w.message);
    assert(/certificate|TLS/i.test(w.message), `refused for its certificate: ${w.message}`);
    assert(((await counts(untrusted)).countvideo?.buffers ?? 0) === 0, 'nothing plays without the CA');
  },

  async 'token-file'(defer) {
    // --token-file: the token read from a file (kept out of ps and of the
    // environment); without it a producer is refused, with it it plays.
    const { dir } = testCertificate(defer);
    const file = join(dir, 'token');
    writeFileSync(file, 'fr0m-a-file\n', { mode: 0o600 });
    const server = await startServer(defer, { tokenFile: file });
    const src = `${VSRC} ! webrtclivesink producer-name=cam ${ICE} server=${server.ws}`.split(' ');
    const none = await startPipeline(src, { name: 'no-token' });
    defer(() => none.stop());
    const w = await none.waitFor('a warning', (e) => e.event === 'warning', 10000);
    assert(/HTTP 401/.test(w.message), `refused without the token: ${w.message}`);
    await none.stop();
    const right = await startPipeline([...src, 'signaller::extra-headers="headers, Authorization=(string)\\"Bearer fr0m-a-file\\""']);
    defer(() => right.stop());
    const r = await startPipeline(`webrtclivesrc name=s server=${server.ws}?token=fr0m-a-file producer-name=cam ${ICE} ` +
      's.video_0 ! fakesink name=countvideo', { name: 'receiver' });
    defer(() => r.stop());
    const v = await waitCount(r, 'countvideo', 30);
    assert(v.caps.includes(`width=(int)${W}`), `plays with the token from the file: ${v.caps}`);
  },

  async 'gstwebrtc-api-consumer'(defer) {
    // gstwebrtc-api runs in a page of another origin: the server must allow it.
    const pages = await servePages(defer);
    const server = await startServer(defer, { allowedOrigin: new URL(pages).origin });
    const sink = await startPipeline(`${VSRC} ! webrtclivesink server=${server.ws} producer-name=cam ${ICE}`);
    defer(() => sink.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${pages}?ws=${encodeURIComponent(server.ws)}&name=cam`);
    const t = await until('gstwebrtc-api to decode 60 frames', async () => {
      const s = await page.evaluate(() => window.t);
      return s.framesDecoded >= 60 ? s : null;
    }, 30000, 250);
    log('gstwebrtc-api:', JSON.stringify(t));
    assert(t.producers.includes('cam'), 'gstwebrtc-api listed the producer by name');
    assert(t.width === W && t.height === H, `decoded ${t.width}x${t.height}`);
  },

  async 'gstwebrtc-api-control'(defer) {
    // With control=true, gstwebrtc-api's remote controller works: a click on
    // the <video> reaches the pipeline as navigation events upstream.
    // gstwebrtc-api runs in a page of another origin: the server must allow it.
    const pages = await servePages(defer);
    const server = await startServer(defer, { allowedOrigin: new URL(pages).origin });
    const sink = await startPipeline(
      `${VSRC} ! identity name=nav ! webrtclivesink control=true server=${server.ws} producer-name=cam ${ICE}`);
    defer(() => sink.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${pages}?ws=${encodeURIComponent(server.ws)}&name=cam`);
    await until('video and a remote controller', async () => {
      const s = await page.evaluate(() => window.t);
      return s.framesDecoded >= 10 && s.controller;
    }, 30000, 250);
    await page.click('#v');
    const nav = await until('navigation events upstream', async () => {
      const c = (await sink.command('counts', 'counts')).counts.nav;
      return c && c.buffers >= 2 ? c : null;
    }, 10000, 250);
    const t = await page.evaluate(() => window.t);
    log(`navigation events at the source: ${nav.buffers}; controller responses: ${JSON.stringify(t.responses).slice(0, 200)}`);
    assert(nav.buffers >= 2, 'press and release reached the pipeline');
  },

  async 'gstwebrtc-api-publisher'(defer) {
    // gstwebrtc-api runs in a page of another origin: the server must allow it.
    const pages = await servePages(defer);
    const server = await startServer(defer, { allowedOrigin: new URL(pages).origin });
    const src = await startPipeline(
      `webrtclivesrc name=s server=${server.ws} producer-name=chromium ${ICE} s.video_0 ! fakesink name=countvideo`);
    defer(() => src.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${pages}?ws=${encodeURIComponent(server.ws)}&publish=1&me=chromium`);
    const v = await waitCount(src, 'countvideo', 60, 30000);
    log('received from gstwebrtc-api:', v.caps);
    assert(v.caps.startsWith('video/x-raw'), 'decoded frames from the browser camera');
  },

  async 'werift-consumer'(defer) {
    const server = await startServer(defer);
    const sink = await startPipeline(`${VSRC} ! webrtclivesink server=${server.ws} producer-name=cam video-codecs=vp8 ${ICE}`);
    defer(() => sink.stop());
    const out = await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [join(HERE, 'werift-consumer.mjs'), server.ws, 'cam', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d) => { text += d; });
      p.stderr.on('data', (d) => { text += d; });
      p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`werift consumer failed (${code}): ${text}`))));
    });
    log('werift:', out.trim());
    assert(/received 200 video RTP packets \(VP8\)/.test(out), 'werift received VP8 RTP from the sink');
  },

  async 'token-auth'(defer) {
    // A server that requires a token: a wrong one gets a warning that says
    // so (and retries), never an error; the right one streams; the browser
    // passes it as ?token=.
    const server = await startServer(defer, { token: 's3cret' });
    const src = `${VSRC} ! webrtclivesink producer-name=cam ${ICE} server=${server.ws}`.split(' ');
    const wrong = await startPipeline([...src, 'signaller::extra-headers="headers, Authorization=(string)\\"Bearer nope\\""']);
    defer(() => wrong.stop());
    const w = await wrong.waitFor('a warning', (e) => e.event === 'warning', 10000);
    log('wrong token:', w.message);
    assert(/HTTP 401/.test(w.message) && /token/.test(w.message), `the warning names the refusal: ${w.message}`);
    assert(!wrong.find((e) => e.event === 'error'), 'no ERROR for a refused token');
    await wrong.stop();

    const right = await startPipeline([...src, 'signaller::extra-headers="headers, Authorization=(string)\\"Bearer s3cret\\""']);
    defer(() => right.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const denied = await openViewer(browser, server.http, 'name=cam');
    const viewer = await openViewer(browser, server.http, 'name=cam&token=s3cret');
    const s = await waitFrames(viewer, 60);
    assert(s.stats.frameWidth === W, 'the viewer with the token plays');
    const d = await state(denied);
    assert(d.signalling !== 'open' && !(d.stats.framesDecoded > 0), `the viewer without it does not (${d.signalling})`);
    assert(!right.find((e) => e.event === 'warning' || e.event === 'error'), 'the producer with the token connected cleanly');
  },

  async 'plain-webrtcbin'(defer) {
    const server = await startServer(defer);
    const p = await startPipeline(plainProducer(server.ws));
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const viewer = await openViewer(browser, server.http, 'name=plain');
    const s = await waitFrames(viewer, 60);
    assert(s.stats.frameWidth === W, `Chromium decodes the plain webrtcbin (${s.stats.frameWidth}x${s.stats.frameHeight})`);
  },

  async 'signaller-consumer'(defer) {
    // webrtclivesignaller role=consumer: an application's receiving
    // webrtcbin answers a webrtclivesink found by name, through the same
    // consumer-side driver as webrtclivesrc, and decodes what it sends.
    const p = await startPipeline(
      `${VSRC} ! webrtclivesink name=sink port=0 address=127.0.0.1 ${ICE} producer-name=cam video-codecs=vp8`);
    defer(() => p.stop());
    const ws = p.url.replace('http', 'ws') + 'ws';
    const r = await startPipeline(
      'webrtcbin name=w bundle-policy=max-bundle w. ! queue ! rtpvp8depay ! vp8dec ! ' +
      'fakesink name=countvideo async=false ' +
      `webrtclivesignaller webrtcbin=w role=consumer server=${ws} producer-name=cam ${ICE}`);
    defer(() => r.stop());
    const v = await waitCount(r, 'countvideo', 30, 20000);
    assert(v.caps.startsWith('video/x-raw') && v.caps.includes(`width=(int)${W}`), `decoded frames: ${v.caps}`);
  },

  async 'signaller-forged-fingerprint'(defer) {
    // webrtclivesignaller negotiates the application's webrtcbin through the
    // same Session as the sink: a consumer whose DTLS certificate is not the
    // one its answer announces (a man in the middle; GStreamer 1.22 does not
    // check, CVE-2026-14935) gets no media and is told why.
    const server = await startServer(defer);
    const p = await startPipeline(plainProducer(server.ws));
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await browser.newPage();
    await page.goto(server.http);  // the WebSocket's own origin
    const r = await pageConsumer(page, server.ws, { rewrite: FORGE_FINGERPRINT });
    log('forged consumer:', JSON.stringify({ ended: r.ended, state: r.state, packets: r.packets }));
    assert(r.ended && /DTLS check failed/.test(r.ended.error || ''), `the session ends naming the mismatch: ${JSON.stringify(r.ended)}`);
    assert(r.packets === 0, `no media reached the forged peer (${r.packets} RTP packets)`);
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /DTLS check failed/.test(e.message));
    log('signaller warned:', w.message);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
