// SPDX-License-Identifier: LGPL-2.1-or-later
//
// WHIP into webrtclivesrc and WHEP out of webrtclivesink, through the
// gateway of their embedded servers (signaling/whip-whep.*): headless
// Chromium speaks plain RFC 9725 from a page (fetch + RTCPeerConnection,
// trickle ICE with PATCH), and raw HTTP requests check every refusal.
import { request } from 'node:http';
import {
  assert, launchBrowser, log, run, srcWithBrowser, startPipeline, until, waitCount,
} from './lib.mjs';
import {
  WHEP_LIBS, WHIP_LIBS, openClientsPage, servePages, waitWhepFrames, whipState,
} from './whip-whep-lib.mjs';
import { openViewer, waitFrames } from './lib.mjs';

const ICE = 'ice-addresses=127.0.0.1';
const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;

// One HTTP request; resolves {status, headers, body}.
function http(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { ...headers, ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}) } }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// A WHIP (send) or WHEP (receive) client written in the page: offer,
// POST, candidates PATCHed to the Location as they come, answer applied.
// Resolves with what the POST returned; window.__http holds the session.
async function pageHttpSession(page, endpoint, { mode, token } = {}) {
  return page.evaluate(async ({ endpoint, mode, token, W, H }) => {
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    window.__pc = pc;
    if (mode === 'whip') {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: W, height: H }, audio: false });
      for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly' });
    } else {
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    const auth = token ? { Authorization: `Bearer ${token}` } : {};
    const pending = [];
    let location = null;
    const s = window.__http = { patches: [], candidates: 0 };
    const patch = async (lines) => {
      const frag = `a=ice-ufrag:${pc.localDescription.sdp.match(/a=ice-ufrag:(.*)/)[1].trim()}\r\n` +
        `a=ice-pwd:${pc.localDescription.sdp.match(/a=ice-pwd:(.*)/)[1].trim()}\r\n` + lines.join('');
      const r = await fetch(location, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: frag });
      s.patches.push(r.status);
    };
    pc.onicecandidate = (e) => {
      if (!e.candidate || !e.candidate.candidate) return;
      s.candidates++;
      const line = `m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${e.candidate.sdpMid}\r\na=${e.candidate.candidate}\r\n`;
      if (location) patch([line]); else pending.push(line);
    };
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(endpoint, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    const body = await res.text();
    const out = { status: res.status, location: res.headers.get('Location'), etag: res.headers.get('ETag'), body };
    if (res.status !== 201) return out;
    location = new URL(out.location, endpoint).href;
    s.location = location;
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    if (pending.length) await patch(pending.splice(0));
    return out;
  }, { endpoint, mode, token, W, H });
}

const pcState = (page) => page.evaluate(() => window.__pc.connectionState);

async function srcWithPage(defer, options = '') {
  const { r, url, browser } = await srcWithBrowser(defer, options);
  const page = await browser.newPage();
  await page.goto(`${url}health`);  // an origin for fetch()
  return { r, url, page };
}

const SDP_OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n';

const scenarios = {
  // A browser publishes its camera into webrtclivesrc with WHIP; DELETE
  // ends it and the resource is gone.
  async 'src-whip-browser'(defer) {
    const { r, url, page } = await srcWithPage(defer);
    const t0 = Date.now();
    const res = await pageHttpSession(page, `${url}whip`, { mode: 'whip' });
    log('POST /whip:', res.status, res.location, res.etag, `${Date.now() - t0} ms`);
    assert(res.status === 201, `201 Created, got ${res.status}: ${res.body}`);
    assert(/^\/whip\/resource\/[0-9a-f]{32}$/.test(res.location), `a Location: ${res.location}`);
    assert(res.body.includes('a=candidate:'), 'the answer carries the src\'s candidates');
    const v = await waitCount(r, 'countvideo', 60, 30000);
    log('frames from WHIP:', v.buffers, v.caps, `${Date.now() - t0} ms after POST`);
    assert(v.caps.includes(`width=(int)${W}`), `decoded camera frames: ${v.caps}`);
    const s = await page.evaluate(() => window.__http);
    log('trickle:', s.candidates, 'candidates,', 'PATCH statuses', s.patches);
    assert(s.patches.length >= 1 && s.patches.every((st) => st === 204), `PATCH answered 204: ${s.patches}`);
    const del = await http(`${url.replace(/\/$/, '')}${res.location}`, { method: 'DELETE' });
    assert(del.status === 200, `DELETE: ${del.status}`);
    await until('the browser to see the end', async () => (await pcState(page)) !== 'connected' || true, 5000);
    const again = await http(`${url.replace(/\/$/, '')}${res.location}`, { method: 'DELETE' });
    assert(again.status === 404, `a deleted session is gone: ${again.status}`);
    // The src takes the next publisher.
    const before = (await waitCount(r, 'countvideo', 1)).buffers;
    const res2 = await pageHttpSession(page, `${url}whip/second`, { mode: 'whip' });
    assert(res2.status === 201, `a second publisher after DELETE: ${res2.status} ${res2.body}`);
    await waitCount(r, 'countvideo', before + 60, 30000);
  },

  // Independent WHIP clients from npm (unmodified, on a page of another
  // origin, allowed by allowed-origins) publish into webrtclivesrc one after
  // the other; each one's stop DELETEs its session and the src takes the
  // next.
  async 'src-whip-npm-clients'(defer) {
    const { r, url, browser } = await srcWithBrowser(defer, 'token=sesame allowed-origins=*');
    const pages = await servePages(defer);
    for (const lib of WHIP_LIBS) {
      const before = (await waitCount(r, 'countvideo', 0)).buffers ?? 0;
      const page = await openClientsPage(defer, browser, pages);
      const t0 = Date.now();
      await page.evaluate(([u, t, l]) => window.whipPublish(u, t, l), [`${url}whip/${lib}`, 'sesame', lib]);
      const v = await waitCount(r, 'countvideo', before + 60, 30000);
      const s = await whipState(page);
      log(`${lib}: ${v.buffers - before} frames at the src ${Date.now() - t0} ms after publishing (${v.caps.slice(0, 60)}); ` +
        `resource ${s.resource}, ${s.connectionState}`);
      assert(s.errors.length === 0, `${lib} reported no error: ${s.errors}`);
      assert(/\/whip\/resource\/[0-9a-f]{32}$/.test(s.resource), `${lib} read our Location: ${s.resource}`);
      await page.evaluate(() => window.whipStop());
      await r.waitFor(`${lib}: the src hears the publisher leave`,
        (e) => e.event === 'warning' && /whip client ended the session/.test(e.message) && e.at > t0, 10000);
      await page.close();
    }
  },

  // A browser plays webrtclivesink with a WHEP client written in the page
  // (recvonly video + audio, as players offer; the sink has video only):
  // 201, frames at the sent size, the audio m-line inactive; DELETE ends
  // the consumer; without the token: 401.
  async 'sink-whep-browser'(defer) {
    // A TURN server nobody runs: only its Link headers are looked at.
    const p = await startPipeline(`${SRC} ! webrtclivesink name=sink port=0 address=127.0.0.1 ${ICE} signaller::token=sesame ` +
      'turn-servers=turn:127.0.0.1:3478?transport=tcp turn-secret=link-secret turn-credential-ttl=600');
    defer(() => p.stop());
    const url = p.find((e) => e.event === 'urls').urls[0];
    const base = url.replace(/\/$/, '');
    // The ICE servers, with credentials made for this client (TURN REST:
    // expiry:name, HMAC-SHA1 of the secret), in RFC 9725 Link headers.
    const pre = await http(`${base}/whep`, { method: 'OPTIONS' });
    const link = [].concat(pre.headers.link || []).join(', ');
    log('OPTIONS /whep Link:', link.replace(/credential="[^"]*"/, 'credential="…"'));
    const lm = /<turn:127\.0\.0\.1:3478\?transport=tcp>; rel="ice-server"; username="(\d+):[^"]+"; credential="([^"]+)"/.exec(link);
    assert(pre.status === 204 && lm, `OPTIONS /whep carries the TURN server in a Link header: ${pre.status} ${link}`);
    const expires = Number(lm[1]) - Date.now() / 1000;
    assert(expires > 590 && expires < 610, `credentials for turn-credential-ttl=600 (${expires.toFixed(0)} s left)`);
    const { createHmac } = await import('node:crypto');
    const user = /username="([^"]+)"/.exec(link)[1];
    assert(createHmac('sha1', 'link-secret').update(user).digest('base64') === lm[2], 'the credential is the REST HMAC of the username');
    const noToken = await http(`${base}/whep`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: SDP_OFFER });
    assert(noToken.status === 401, `WHEP without the token: ${noToken.status}`);
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${url}health`);
    const t0 = Date.now();
    const res = await pageHttpSession(page, `${url}whep`, { mode: 'whep', token: 'sesame' });
    log('POST /whep:', res.status, res.location, `${Date.now() - t0} ms`);
    assert(res.status === 201, `201 Created, got ${res.status}: ${res.body}`);
    assert(!p.stderr.includes('link-secret'), 'the TURN secret is never logged');
    assert(/^\/whep\/resource\/[0-9a-f]{32}$/.test(res.location), `a Location: ${res.location}`);
    assert(/m=audio [1-9][0-9]* [^\r]*\r\n(?:[^m][^\r]*\r\n)*a=inactive/.test(res.body), 'the audio m-line answered inactive, port kept');
    const frames = await until('60 decoded frames', () => page.evaluate(async () => {
      let n = 0, w = 0, h = 0;
      (await window.__pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') { n = s.framesDecoded || 0; w = s.frameWidth; h = s.frameHeight; }
      });
      return n >= 60 ? { n, w, h } : null;
    }), 30000, 200);
    log(`WHEP: ${frames.n} frames of ${frames.w}x${frames.h} ${Date.now() - t0} ms after POST`);
    assert(frames.w === W && frames.h === H, `decoded at the sent size: ${frames.w}x${frames.h}`);
    await p.waitFor('consumer-added', (e) => e.event === 'webrtclive-consumer-added');
    const del = await http(base + res.location, { method: 'DELETE', headers: { Authorization: 'Bearer sesame' } });
    assert(del.status === 200, `DELETE: ${del.status}`);
    const removed = await p.waitFor('consumer-removed', (e) => e.event === 'webrtclive-consumer-removed', 10000);
    log('removed:', removed.reason);
    assert(/whep client ended the session/.test(removed.reason || ''), `the reason: ${removed.reason}`);
  },

  // The independent WHEP players from npm (unmodified, on a page of an
  // allowed origin) play the sink while a viewer page does: all share one
  // encoder; each player's stop DELETEs its session.
  async 'sink-whep-npm-clients'(defer) {
    const p = await startPipeline(`${SRC} ! webrtclivesink name=sink port=0 address=127.0.0.1 ${ICE} signaller::token=sesame signaller::allowed-origins=* video-codecs=h264`);
    defer(() => p.stop());
    const url = p.find((e) => e.event === 'urls').urls[0];
    const browser = await launchBrowser();
    defer(() => browser.close());
    const viewer = await openViewer(browser, url, 'autoplay=1&token=sesame');
    await waitFrames(viewer, 30);
    const pages = await servePages(defer);
    const players = [];
    for (const lib of WHEP_LIBS) {
      const page = await openClientsPage(defer, browser, pages);
      const t0 = Date.now();
      await page.evaluate(([u, t, l]) => window.whepPlay(u, t, l), [`${url}whep`, 'sesame', lib]);
      const s = await waitWhepFrames(page, 60);
      log(`${lib}: ${s.framesDecoded} frames of ${s.width}x${s.height} ${Date.now() - t0} ms after starting`);
      assert(s.width === W && s.height === H, `${lib} decodes at the sent size: ${s.width}x${s.height}`);
      players.push({ lib, page });
    }
    const enc = await p.command('encoders', 'encoders');
    assert(enc.count === 1, `${enc.count} encoders for a viewer and ${players.length} WHEP players, expected 1`);
    for (const { lib, page } of players) {
      const n = p.filter((e) => e.event === 'webrtclive-consumer-removed').length;
      await page.evaluate(() => window.whepStop());
      await until(`${lib}: its consumer removed`, () => p.filter((e) => e.event === 'webrtclive-consumer-removed').length > n, 10000);
    }
    await waitFrames(viewer, 90);  // the viewer page is untouched
  },

  // Bad requests get the right status and a reason; the src keeps serving.
  async 'whip-bad-requests'(defer) {
    const { r, url, page } = await srcWithPage(defer, 'token=sesame');
    const base = url.replace(/\/$/, '');
    const auth = { Authorization: 'Bearer sesame' };
    const checks = [
      ['no token', '/whip', { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: SDP_OFFER }, 401, /token/],
      ['wrong token', '/whip', { method: 'POST', headers: { Authorization: 'Bearer nope', 'Content-Type': 'application/sdp' }, body: SDP_OFFER }, 401, /wrong token/],
      ['content type', '/whip', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: SDP_OFFER }, 415, /application\/sdp/],
      ['garbage', '/whip', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: 'hello' }, 400, /not an SDP/],
      ['no m-line', '/whip', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n' }, 400, /no m-line/],
      ['too large', '/whip', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: 'v=0\r\n' + 'a=x\r\n'.repeat(60000) }, 413, /larger than/],
      ['GET', '/whip', { method: 'GET', headers: auth }, 405, /POST/],
      ['foreign origin', '/whip', { method: 'POST', headers: { ...auth, Origin: 'http://evil.example', 'Content-Type': 'application/sdp' }, body: SDP_OFFER }, 403, /origin/],
      ['PATCH unknown', '/whip/resource/0123456789abcdef0123456789abcdef', { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: 'a=end-of-candidates\r\n' }, 404, /no such/],
      ['DELETE unknown', '/whip/resource/nope', { method: 'DELETE', headers: auth }, 404, /no such/],
      ['not WHEP here', '/whep', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: SDP_OFFER }, 404, /no WHEP here/],
    ];
    for (const [what, path, opts, status, reason] of checks) {
      const res = await http(base + path, opts);
      log(`${what}: ${res.status} ${res.body.trim().slice(0, 120)}`);
      assert(res.status === status, `${what}: ${status} expected, got ${res.status} (${res.body})`);
      assert(reason.test(res.body), `${what}: the reason says ${reason}: '${res.body}'`);
    }
    const pre = await http(base + '/whip', { method: 'OPTIONS', headers: { Origin: base, 'Access-Control-Request-Method': 'POST' } });
    assert(pre.status === 204 && /POST/.test(pre.headers['access-control-allow-methods']), `preflight: ${pre.status}`);
    // After all that, a real publisher still gets through, and a PATCH with
    // the wrong type or another ufrag (an ICE restart) is refused.
    const res = await pageHttpSession(page, `${url}whip`, { mode: 'whip', token: 'sesame' });
    assert(res.status === 201, `a valid WHIP session after the bad ones: ${res.status} ${res.body}`);
    const loc = base + res.location;
    const p1 = await http(loc, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: 'a=end-of-candidates\r\n' });
    assert(p1.status === 415, `PATCH with the wrong type: ${p1.status}`);
    const p2 = await http(loc, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: 'a=ice-ufrag:other\r\na=ice-pwd:otherotherotherotherothe\r\n' });
    assert(p2.status === 422 && /restart/.test(p2.body), `an ICE restart: ${p2.status} ${p2.body}`);
    const p3 = await http(loc, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '"nope"' }, body: 'a=end-of-candidates\r\n' });
    assert(p3.status === 412, `If-Match of another ETag: ${p3.status}`);
    const p4 = await http(loc, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: 'm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:9\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n' });
    assert(p4.status === 400 && /mid/.test(p4.body), `a candidate for an unknown mid: ${p4.status} ${p4.body}`);
    await waitCount(r, 'countvideo', 60, 30000);
    // A second publisher while the src receives from the first: it cannot
    // take two; the POST says so instead of hanging.
    const t0 = Date.now();
    const busy = await http(base + '/whip', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/sdp' }, body: SDP_OFFER });
    log(`second publisher: ${busy.status} after ${Date.now() - t0} ms: ${busy.body.trim()}`);
    assert(busy.status === 409 && /no consumer took/.test(busy.body), `busy src: ${busy.status} ${busy.body}`);
    const before = (await waitCount(r, 'countvideo', 1)).buffers;
    await waitCount(r, 'countvideo', before + 30, 10000);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
