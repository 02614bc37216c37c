// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesrc receiving from webrtclivesink in another process (and from a
// browser camera): decoded and encoded output, audio, producer restarts, two
// receivers on one producer. One scenario per process.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import {
  assert, launchBrowser, log, run, sleep, startPipeline, until,
  counts, waitCount, srcWithBrowser,
} from './lib.mjs';

const W = 320, H = 240;
const VSRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const ASRC = 'audiotestsrc is-live=true wave=ticks';
const ICE = 'ice-addresses=127.0.0.1';

async function producer(defer, { codec = 'h264', port = 0, name = 'cam', extra = '' } = {}) {
  const p = await startPipeline(
    `${VSRC} ! webrtclivesink name=sink port=${port} address=127.0.0.1 ${ICE} producer-name=${name} video-codecs=${codec} ${extra} ${ASRC} ! sink.`);
  defer(() => p.stop());
  p.ws = p.url.replace('http://', 'ws://') + 'ws';
  return p;
}

async function receiver(defer, ws, tail) {
  const r = await startPipeline(`webrtclivesrc name=s server=${ws} ${ICE} ${tail}`);
  defer(() => r.stop());
  return r;
}

const DECODED = 's.video_0 ! fakesink name=countvideo s.audio_0 ! fakesink name=countaudio';

// A webrtclivesrc running its embedded server (with `options`), and a
// browser to publish to it: {r, url (the server's page URL), browser}.

// The receiving pipeline decodes video with a decoder whose factory name
// matches `want`, and has none matching `not`.
async function decodedWith(r, want, not) {
  const dec = await r.command('klass Decoder/Video', 'klass');
  log('video decoders:', dec.factories);
  assert(dec.factories.some((f) => want.test(f)), `a ${want} decoder: ${dec.factories}`);
  assert(!dec.factories.some((f) => not.test(f)), `no ${not} decoder: ${dec.factories}`);
}

const scenarios = {
  async 'h264-decoded'(defer) {
    const p = await producer(defer, { codec: 'h264' });
    const r = await receiver(defer, p.ws, DECODED);
    const v = await waitCount(r, 'countvideo', 60);
    const a = await waitCount(r, 'countaudio', 20);
    log('video caps', v.caps, 'audio', a.buffers);
    assert(v.caps.startsWith('video/x-raw') && v.caps.includes(`width=(int)${W}`) && v.caps.includes(`height=(int)${H}`),
      `decoded video of the sent size: ${v.caps}`);
    assert(a.caps.startsWith('audio/x-raw'), `decoded audio: ${a.caps}`);
    await decodedWith(r, /h264/, /vp8|vp9/);
  },

  async 'vp8-decoded'(defer) {
    const p = await producer(defer, { codec: 'vp8' });
    const r = await receiver(defer, p.ws, DECODED);
    const v = await waitCount(r, 'countvideo', 60);
    await waitCount(r, 'countaudio', 20);
    assert(v.caps.includes(`width=(int)${W}`), `decoded VP8 of the sent size: ${v.caps}`);
    // The size alone would pass with video-codecs=vp8 ignored: the codec must show.
    await decodedWith(r, /vp8/, /h264|vp9/);
    const enc = await p.command('klass Encoder/Video', 'klass');
    assert(enc.factories.length === 1 && /vp8/.test(enc.factories[0]), `the sink encodes VP8: ${enc.factories}`);
  },

  async 'h264-encoded'(defer) {
    const p = await producer(defer, { codec: 'h264' });
    const r = await receiver(defer, p.ws, 's.video_0 ! video/x-h264 ! fakesink name=countvideo s.audio_0 ! fakesink name=countaudio');
    const v = await waitCount(r, 'countvideo', 60);
    log('encoded caps', v.caps);
    assert(v.caps.startsWith('video/x-h264') && /stream-format|alignment/.test(v.caps), `parsed H.264: ${v.caps}`);
    const dec = await r.command('klass Decoder/Video', 'klass');
    assert(dec.count === 0, `no video decoder in the receiving pipeline (${dec.count})`);
  },

  async 'opus-preencoded'(defer) {
    // Pre-encoded Opus goes through the sink as it is and is decoded here.
    const p = await startPipeline(
      `${VSRC} ! webrtclivesink name=sink port=0 address=127.0.0.1 ${ICE} producer-name=cam ` +
      `${ASRC} ! audio/x-raw,rate=48000,channels=2 ! opusenc ! sink.`);
    defer(() => p.stop());
    const r = await receiver(defer, p.url.replace('http://', 'ws://') + 'ws', DECODED);
    const a = await waitCount(r, 'countaudio', 50);
    await waitCount(r, 'countvideo', 30);
    log('audio from pre-encoded Opus:', a.caps);
    assert(a.caps.startsWith('audio/x-raw') && a.caps.includes('rate=(int)48000'), `decoded Opus: ${a.caps}`);
    const enc = await p.command('klass Encoder/Audio', 'klass');
    assert(enc.count === 1, `only the user's opusenc, none added by the sink (${enc.count})`);
  },

  async 'two-receivers'(defer) {
    const p = await producer(defer);
    const r1 = await receiver(defer, p.ws, DECODED);
    const r2 = await receiver(defer, p.ws, DECODED);
    await waitCount(r1, 'countvideo', 60);
    await waitCount(r2, 'countvideo', 60);
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 2, `one video and one audio encoder shared by both receivers (${enc.count})`);
  },

  async 'producer-restart'(defer) {
    // The producer process (with its embedded server) goes away and comes
    // back on the same port: the receiver says so, reconnects and resumes.
    let p = await producer(defer, { port: 0, name: 'cam' });
    const port = new URL(p.url).port;
    const r = await receiver(defer, p.ws, `producer-name=cam ${DECODED}`);
    await waitCount(r, 'countvideo', 30);
    await p.stop();
    const warn = await r.waitFor('a warning', (e) => e.event === 'warning', 10000);
    log('receiver warned:', warn.message);
    await sleep(2000);
    p = await producer(defer, { port, name: 'cam' });
    const before = (await counts(r)).countvideo.buffers;
    await until('frames again after the restart', async () => (await counts(r)).countvideo.buffers >= before + 60, 30000, 250);
    assert(!r.find((e) => e.event === 'error'), 'the receiver never posted an error');
    assert(r.find((e) => e.event === 'webrtclive-producer-lost'), 'producer-lost was posted');
  },

  async 'producer-stop-eos'(defer) {
    const p = await producer(defer, { name: 'cam' });
    const r = await receiver(defer, p.ws, `on-producer-lost=eos ${DECODED}`);
    await waitCount(r, 'countvideo', 30);
    await p.stop();
    await r.waitFor('EOS', (e) => e.event === 'eos', 15000);
    assert(!r.find((e) => e.event === 'error'), 'ended with EOS, not an error');
  },

  async 'uri-handler'(defer) {
    // uridecodebin (as playbin would) plays a producer by URI, with default
    // ICE settings on both sides: this needs the namespace's NIC (nic0, made
    // by tools/run-tests.sh); without it the test fails, it never skips.
    // /proc/net is per network namespace (unlike /sys without a remount).
    assert(readFileSync('/proc/net/dev', 'utf8').includes('nic0:'),
      'no nic0 in this network namespace: run through tools/run-tests.sh, which makes it');
    const p = await startPipeline(`${VSRC} ! webrtclivesink name=sink port=0 address=127.0.0.1 producer-name=cam`);
    defer(() => p.stop());
    const uri = p.url.replace('http://', 'webrtclive://') + 'ws?name=cam';
    const r = await startPipeline(`uridecodebin uri=${uri} ! fakesink name=countvideo`);
    defer(() => r.stop());
    const v = await waitCount(r, 'countvideo', 60);
    log(`${uri} gave`, v.caps);
    assert(v.caps.startsWith('video/x-raw') || v.caps.startsWith('audio/x-raw'), `decoded media: ${v.caps}`);
  },

  async 'producer-frozen'(defer) {
    // The producer's process freezes (SIGSTOP): its sockets stay open, it
    // just says nothing, as a peer behind a cut link would. No ICE consent in
    // webrtcbin 1.22: the src notices the missing RTCP, reports it, and
    // consumes the producer again once it thaws.
    const p = await producer(defer, { name: 'cam' });
    const r = await receiver(defer, p.ws, `producer-name=cam peer-timeout=3 ${DECODED}`);
    await waitCount(r, 'countvideo', 30);
    p.proc.kill('SIGSTOP');
    const lost = await r.waitFor('producer-lost', (e) => e.event === 'webrtclive-producer-lost', 15000);
    log('src said:', lost.reason);
    assert(/RTCP/.test(lost.reason), `lost for its silence: ${lost.reason}`);
    p.proc.kill('SIGCONT');
    const before = (await counts(r)).countvideo.buffers;
    await until('frames again after the thaw', async () => (await counts(r)).countvideo.buffers >= before + 60, 30000, 250);
    assert(!r.find((e) => e.event === 'error'), 'no ERROR on the receiver');
  },

  async 'embedded-token'(defer) {
    // The src's embedded server takes a token too: the publish page passes
    // ?token= on; without it the WebSocket is refused and nothing arrives.
    const { r, url, browser } = await srcWithBrowser(defer, 'token=pub-s3cret');
    // A WebSocket upgrade without the token is answered 401, with it 101.
    const { hostname, port } = new URL(url);
    const upgrade = (auth) => new Promise((resolve, reject) => {
      // A raw socket: the status line is all we want, whatever the server
      // does with the connection after it.
      const sock = connect(Number(port), hostname, () => sock.write(
        `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${auth}\r\n`));
      let got = '';
      sock.on('data', (d) => {
        got += d;
        const m = /^HTTP\/1\.1 (\d+)/.exec(got);
        if (m) { sock.destroy(); resolve(Number(m[1])); }
      });
      sock.on('error', reject);
    });
    const without = await upgrade('');
    const wrong = await upgrade('Authorization: Bearer nope\r\n');
    const right = await upgrade('Authorization: Bearer pub-s3cret\r\n');
    log(`upgrade without token: ${without}, wrong token: ${wrong}, right token: ${right}`);
    assert(without === 401 && wrong === 401, `refused without the token (${without}, ${wrong})`);
    assert(right === 101, `upgraded with it (${right})`);
    const denied = await browser.newPage();
    await denied.goto(`${url}publish.html?autostart=1&audio=0&width=${W}&height=${H}&name=nope`);
    await sleep(3000);
    assert(((await counts(r)).countvideo?.buffers ?? 0) === 0, 'nothing arrives from a page without the token');
    const page = await browser.newPage();
    await page.goto(`${url}publish.html?autostart=1&audio=0&width=${W}&height=${H}&name=chromium&token=pub-s3cret`);
    const v = await waitCount(r, 'countvideo', 30, 30000);
    assert(v.caps.startsWith('video/x-raw'), `frames from the page with the token: ${v.caps}`);
  },

  async 'publish-foreign-server'(defer) {
    // A link to publish.html?ws=<another server> must not send the user's
    // camera there unseen: the page says where it would go and waits for
    // Start, even with ?autostart=1.
    const { r, url, browser } = await srcWithBrowser(defer, 'allowed-origins=*');
    const other = url.replace('127.0.0.1', 'localhost').replace('http://', 'ws://') + 'ws';  // another host name
    const page = await browser.newPage();
    await page.goto(`${url}publish.html?autostart=1&audio=0&width=${W}&height=${H}&name=lured&ws=${encodeURIComponent(other)}`);
    await sleep(3000);
    const shown = await page.evaluate(() => ({
      visible: !document.getElementById('foreign').hidden,
      text: document.getElementById('foreign').textContent.replace(/\s+/g, ' ').trim(),
      foreign: window.webrtclivePublish.foreignServer,
    }));
    log('the page says:', JSON.stringify(shown));
    assert(shown.visible && shown.text.includes(new URL(other).host), `the target server is shown: ${shown.text}`);
    assert(((await counts(r)).countvideo?.buffers ?? 0) === 0, 'nothing was published before the user pressed Start');
    await page.click('#start');
    const v = await waitCount(r, 'countvideo', 30, 30000);
    assert(v.caps.startsWith('video/x-raw'), `published once the user chose to: ${v.caps}`);
  },

  async 'offer-too-many-mlines'(defer) {
    // A "producer" whose offer has 40 video m-lines: each would get its own
    // depayloader and decoder chain in the receiving pipeline. The src
    // refuses the offer, says why, and builds nothing.
    const { r, url, browser } = await srcWithBrowser(defer);
    const page = await browser.newPage();
    await page.goto(url + 'health');
    const ended = await page.evaluate(async (wsUrl) => {
      const ws = new WebSocket(wsUrl);
      const send = (m) => ws.send(JSON.stringify(m));
      return await new Promise((resolve) => {
        ws.onmessage = async (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'welcome') send({ type: 'setPeerStatus', roles: ['producer'], meta: { name: 'many' } });
          else if (m.type === 'startSession') {
            const pc = new RTCPeerConnection();
            for (let i = 0; i < 40; i++) pc.addTransceiver('video', { direction: 'sendonly' });
            const offer = await pc.createOffer();
            send({ type: 'peer', sessionId: m.sessionId, sdp: { type: 'offer', sdp: offer.sdp } });
          } else if (m.type === 'endSession' || m.type === 'endSessionV1_1') resolve(m);
        };
        setTimeout(() => resolve(null), 15000);
      });
    }, url.replace('http://', 'ws://') + 'ws');
    const lost = await r.waitFor('producer-lost', (e) => e.event === 'webrtclive-producer-lost', 10000);
    log('src said:', lost.reason, '; the page got', JSON.stringify(ended));
    assert(/40 m-lines; at most 8/.test(lost.reason), `refused for its m-lines: ${lost.reason}`);
    assert(ended, 'the producer was told the session ended');
    const dec = await r.command('klass Depayloader', 'klass');
    assert(dec.count === 0, `no depayloader was built (${dec.factories})`);
    assert(r.alive, 'the receiving process is alive');
  },

  async 'browser-camera'(defer) {
    // The receiver runs the embedded server; headless Chromium publishes its
    // fake camera from the served page.
    const { r, url, browser } = await srcWithBrowser(defer);
    const page = await browser.newPage();
    await page.goto(`${url}publish.html?autostart=1&audio=0&width=${W}&height=${H}&name=chromium`);
    const v = await waitCount(r, 'countvideo', 60, 30000);
    log('from the browser:', v.caps);
    assert(v.caps.startsWith('video/x-raw') && v.caps.includes(`width=(int)${W}`), `decoded camera frames: ${v.caps}`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
