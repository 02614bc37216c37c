// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A WHIP endpoint (RFC 9725) written on werift (pure TypeScript WebRTC, npm)
// and node:http, independent of our code: tests publish into it.
//   POST {path}            application/sdp offer -> 201, answer (with its
//                          candidates: it does not trickle back), Location
//                          {path}/resource/N, ETag, Link ice-server headers
//   PATCH  .../resource/N  application/trickle-ice-sdpfrag -> 204 (or 405
//                          with trickle: false)
//   DELETE .../resource/N  -> 200, the peer connection closed
// With a token, requests without "Authorization: Bearer <token>" get 401 and
// a reason. It counts RTP packets and frames (marker bits) per codec.
// `faults`: how the first POSTs are answered badly, one per POST, in order:
// 'not-sdp' (201, Location, a body that is no SDP), 'bad-sdp' (201,
// Location, "v=0" then garbage), 'huge' (201, Location, a 1 MiB body),
// 'no-location' (201 with an answer but no Location), 'hang' (no response
// at all).
//
//   import { startWhipEndpoint } from './werift-whip-endpoint.mjs';
//   const ep = await startWhipEndpoint({ token: 's3cret' });  // ep.url
//   ... ep.frames.H264, ep.requests, ep.end(id), await ep.close()
// Or standalone: node werift-whip-endpoint.mjs [PORT] (prints the URL and
// the counts every second).
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { weriftPeer } from './werift-peer.mjs';

const MAX_BODY = 64 * 1024;

export async function startWhipEndpoint({
  port = 0, host = '127.0.0.1', path = '/whip', token = null, trickle = true,
  links = ['<stun:127.0.0.1:3478>; rel="ice-server"'],
  faults = [],
  tls = null,  // { key, cert } (PEM): serve https
  hangDelete = false,  // never answer a DELETE (the resource still goes)
} = {}) {
  const resources = new Map();  // id -> { pc, candidates }
  let next = 0;
  const ep = {
    packets: {},  // codec -> RTP packets received
    frames: {},   // codec -> frames (RTP marker bits)
    requests: [], // { method, path, status, candidates, at }
    resources,
    get live() { return resources.size; },
    // Ends resource `id` from the server's side (as a server that drops a
    // publisher): its peer connection closes, later requests get 404.
    end(id) {
      const r = resources.get(id);
      if (!r) return false;
      resources.delete(id);
      r.pc.close();
      return true;
    },
    ids: () => [...resources.keys()],
  };

  const note = (req, status, extra = {}) => ep.requests.push({ method: req.method, path: req.url, status, at: Date.now(), ...extra });
  const reply = (req, res, status, body = '', headers = {}, extra = {}) => {
    note(req, status, extra);
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
    res.end(body);
  };

  async function readBody(req) {
    let body = '';
    for await (const chunk of req) {
      body += chunk;
      if (body.length > MAX_BODY) throw new Error('body too large');
    }
    return body;
  }

  async function onPost(req, res) {
    if (!/^application\/sdp/i.test(req.headers['content-type'] ?? ''))
      return reply(req, res, 415, 'the offer must be application/sdp');
    const offer = await readBody(req);
    const fault = faults.shift();
    if (fault === 'hang') {
      note(req, 0, { fault });
      return;  // the client must give up by itself
    }
    if (fault) {
      const id = String(++next);
      resources.set(id, { pc: { close() {} }, candidates: 0 });
      const loc = { Location: `${path}/resource/${id}` };
      const sdp = { 'Content-Type': 'application/sdp' };
      if (fault === 'not-sdp') return reply(req, res, 201, '<html>hello</html>', { ...loc, 'Content-Type': 'text/html' }, { fault });
      if (fault === 'bad-sdp') return reply(req, res, 201, 'v=0\r\nthis is not SDP\r\n', { ...loc, ...sdp }, { fault });
      if (fault === 'huge') return reply(req, res, 201, 'v=0\r\n' + 'a=x\r\n'.repeat(200000), { ...loc, ...sdp }, { fault });
      if (fault === 'no-location') {
        resources.delete(id);
        return reply(req, res, 201, 'v=0\r\n', sdp, { fault });
      }
    }
    const inOffer = (offer.match(/^a=candidate:/gm) ?? []).length;
    const pc = weriftPeer({ video: ['H264', 'VP8'] });
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const codec = track.codec?.mimeType?.split('/')[1]?.toUpperCase() ?? `pt${rtp.header.payloadType}`;
        ep.packets[codec] = (ep.packets[codec] ?? 0) + 1;
        if (rtp.header.marker) ep.frames[codec] = (ep.frames[codec] ?? 0) + 1;
      });
    });
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await pc.setLocalDescription(await pc.createAnswer());
      if (pc.iceGatheringState !== 'complete')
        await pc.iceGatheringStateChange.watch((s) => s === 'complete', 5000);
    } catch (e) {
      pc.close();
      return reply(req, res, 400, `bad offer: ${e.message}`);
    }
    const id = String(++next);
    resources.set(id, { pc, candidates: inOffer });
    const headers = { 'Content-Type': 'application/sdp', Location: `${path}/resource/${id}`, ETag: `"${id}"` };
    if (links.length) headers.Link = links;
    reply(req, res, 201, pc.localDescription.sdp, headers, { candidates: inOffer, id });
  }

  async function onPatch(req, res, id) {
    const r = resources.get(id);
    if (!r) return reply(req, res, 404, 'no such resource');
    if (!trickle) return reply(req, res, 405, 'this endpoint does not trickle', { Allow: 'POST, DELETE' });
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== `"${id}"`) return reply(req, res, 412, 'entity-tag mismatch', {}, { ifMatch });
    if (!/^application\/trickle-ice-sdpfrag/i.test(req.headers['content-type'] ?? ''))
      return reply(req, res, 415, 'application/trickle-ice-sdpfrag expected');
    const frag = await readBody(req);
    let mid = '0';
    let n = 0;
    for (const line of frag.split(/\r?\n/)) {
      if (line.startsWith('a=mid:')) mid = line.slice(6);
      if (line.startsWith('a=candidate:')) {
        n++;
        await r.pc.addIceCandidate({ candidate: line.slice(2), sdpMid: mid }).catch(() => {});
      }
    }
    r.candidates += n;
    const fragOk = /^a=ice-ufrag:/m.test(frag) && /^a=ice-pwd:/m.test(frag) && /^m=/m.test(frag);
    reply(req, res, 204, '', {}, { candidates: n, fragOk, ifMatch });
  }

  const server = (tls ? (handler) => createTlsServer(tls, handler) : createServer)((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (token && req.headers.authorization !== `Bearer ${token}`)
      return reply(req, res, 401, req.headers.authorization ? 'the bearer token is wrong' : 'a bearer token is required',
        { 'WWW-Authenticate': 'Bearer' });
    const m = url.pathname.match(new RegExp(`^${path}/resource/(\\w+)$`));
    const work = (async () => {
      if (req.method === 'POST' && url.pathname === path) return onPost(req, res);
      if (m && req.method === 'PATCH') return onPatch(req, res, m[1]);
      if (m && req.method === 'DELETE') {
        if (!ep.end(m[1])) return reply(req, res, 404, 'no such resource');
        if (hangDelete) return note(req, 0, { hung: true });
        return reply(req, res, 200, '');
      }
      return reply(req, res, 405, 'not allowed');
    })();
    work.catch((e) => { if (!res.headersSent) reply(req, res, 500, String(e.message)); });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  ep.port = server.address().port;
  ep.url = `${tls ? 'https' : 'http'}://${host}:${ep.port}${path}`;
  ep.close = async () => {
    for (const id of ep.ids()) ep.end(id);
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  };
  return ep;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ep = await startWhipEndpoint({ port: Number(process.argv[2] ?? 0) });
  console.log(`WHIP endpoint on ${ep.url}`);
  setInterval(() => console.log(JSON.stringify({ packets: ep.packets, frames: ep.frames, live: ep.live })), 1000);
}
