// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A WHIP (RFC 9725) and WHEP endpoint written on werift (npm, pure
// TypeScript WebRTC): an independent stack to test WHIP/WHEP clients and
// servers against, so that we do not only test ourselves against ourselves.
//
//   const ep = await startWeriftWhipWhep({ token: 'secret' });
//   ep.whipUrl   POST an SDP offer: 201, Location, the answer (candidates in
//                it); the endpoint counts the RTP it receives (ep.stats)
//   ep.whepUrl   POST an SDP offer: 201, Location, an answer that sends the
//                VP8 RTP arriving on UDP port ep.rtpPort (127.0.0.1), e.g.
//                gst-launch-1.0 ... ! vp8enc ! rtpvp8pay ! udpsink port=ep.rtpPort
//   Location     PATCH application/trickle-ice-sdpfrag (204), DELETE (200)
//   OPTIONS      CORS for browser clients; Link rel="ice-server" only when
//                `iceServers` is given (never a public server in tests)
//   ep.stats     {whip: {posts, patches, deletes, sessions, rtp: {video, audio}},
//                 whep: {posts, patches, deletes, sessions, rtpSent}, refused: [status...]}
//   ep.close()
//
// Options: address (127.0.0.1), port (0 = free), token (Bearer; 401
// without), tls {cert, key} (PEM paths: https), iceAddresses (host
// candidates werift offers; default [address]), iceServers (RTCIceServer[]
// announced in Link headers); for testing WHIP clients: trickle (false:
// 405 to every PATCH, as servers that do not trickle), hangDelete (never
// answer a DELETE; the resource still goes), faults (how the next WHIP
// POSTs are answered badly, one each, in order: 'hang' no response,
// 'not-sdp' 201 + Location + an HTML body, 'bad-sdp' 201 + Location + "v=0"
// and garbage, 'huge' 201 + Location + 1 MiB, 'no-location' 201 without it).
//
//   ep.requests  every request: {method, path, status, at, id, candidates
//                (in the offer or the PATCH), fragOk (a PATCH body with
//                m=, ice-ufrag and ice-pwd), ifMatch, fault}; a PATCH whose
//                If-Match is not the resource's ETag gets 412
//   ep.stats.whip.packets / .frames   RTP packets and frames (marker bits) per codec ('H264', 'VP8')
//   ep.ids(), ep.end(id), ep.live   WHIP resources; end(id) drops one from
//                the server's side (its peer connection closes, 404 after)
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { randomUUID } from 'node:crypto';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI } from 'werift';

const MAX_BODY = 64 * 1024;
const VP8 = () => new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI()] });
const H264 = () => new RTCRtpCodecParameters({
  mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI()],
  parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
});
const OPUS = () => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization, if-match',
  'access-control-expose-headers': 'location, link, etag',
};

// "Link: <turn:host>; rel=\"ice-server\"; username=...; credential=..." per server.
function linkHeaders(iceServers) {
  return iceServers.flatMap((s) => [].concat(s.urls).map((u) => {
    let h = `<${u}>; rel="ice-server"`;
    if (s.username) h += `; username="${s.username}"; credential="${s.credential}"; credential-type="password"`;
    return h;
  }));
}

async function readBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
  }
  return body;
}

// Resolves when werift finished gathering (the answer then carries its
// candidates: clients that do not trickle need them).
async function gathered(pc, ms = 3000) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') { clearTimeout(t); resolve(); } });
  });
}

export async function startWeriftWhipWhep({
  address = '127.0.0.1', port = 0, token, tls, iceAddresses, iceServers = [],
  trickle = true, hangDelete = false, faults = [],
} = {}) {
  const requests = [];
  const stats = {
    whip: { posts: 0, patches: 0, deletes: 0, sessions: 0, rtp: { video: 0, audio: 0 }, candidates: 0, packets: {}, frames: {} },
    whep: { posts: 0, patches: 0, deletes: 0, sessions: 0, rtpSent: 0, candidates: 0 },
    refused: [],
  };
  const resources = new Map();  // id -> {kind, pc, track?}
  const whepTracks = new Set();

  // RTP for WHEP viewers: whatever arrives on this UDP port.
  const rtpIn = createSocket('udp4');
  await new Promise((r) => rtpIn.bind(0, '127.0.0.1', r));
  rtpIn.on('message', (packet) => {
    for (const track of whepTracks) {
      try { track.writeRtp(packet); stats.whep.rtpSent++; } catch { /* a viewer going away */ }
    }
  });

  const peer = (codecs) => new RTCPeerConnection({
    iceServers: [], iceUseIpv6: false, bundlePolicy: 'max-bundle',
    iceAdditionalHostAddresses: iceAddresses ?? [address],
    codecs,
  });

  async function whip(offer) {
    const pc = peer({ video: [VP8(), H264()], audio: [OPUS()] });
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        stats.whip.rtp[track.kind === 'audio' ? 'audio' : 'video']++;
        const codec = track.codec?.mimeType?.split('/')[1]?.toUpperCase() ?? `pt${rtp.header.payloadType}`;
        stats.whip.packets[codec] = (stats.whip.packets[codec] ?? 0) + 1;
        if (rtp.header.marker) stats.whip.frames[codec] = (stats.whip.frames[codec] ?? 0) + 1;
      });
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    for (const t of pc.getTransceivers()) t.setDirection('recvonly');
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    stats.whip.sessions++;
    return { kind: 'whip', pc };
  }

  async function whep(offer) {
    const pc = peer({ video: [VP8()], audio: [OPUS()] });
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const track = new MediaStreamTrack({ kind: 'video' });
    for (const t of pc.getTransceivers()) {
      if (t.kind === 'video' && !t.sender.track) {
        t.setDirection('sendonly');
        await t.sender.replaceTrack(track);
        break;
      }
    }
    for (const t of pc.getTransceivers()) if (t.kind !== 'video') t.setDirection('inactive');
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    whepTracks.add(track);
    stats.whep.sessions++;
    return { kind: 'whep', pc, track };
  }

  function end(res) {
    if (res.track) whepTracks.delete(res.track);
    res.pc.close().catch(() => {});
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const note = { method: req.method, path: url.pathname, at: Date.now() };
    requests.push(note);
    const reply = (status, headers = {}, body = '', extra = {}) => {
      Object.assign(note, { status }, extra);
      if (status >= 400) stats.refused.push(status);
      res.writeHead(status, { ...CORS, ...headers }).end(body);
    };
    if (req.method === 'OPTIONS') return reply(204, { link: linkHeaders(iceServers) });
    if (token && req.headers.authorization !== `Bearer ${token}`)
      return reply(401, {}, req.headers.authorization ? 'the Bearer token is wrong' : 'a Bearer token is required');
    const kind = url.pathname === '/whip' ? 'whip' : url.pathname === '/whep' ? 'whep' : null;
    if (req.method === 'POST' && kind) {
      stats[kind].posts++;
      if (!/^application\/sdp\b/.test(req.headers['content-type'] || '')) return reply(415, {}, 'application/sdp expected');
      const offer = await readBody(req);
      if (!offer.startsWith('v=0')) return reply(400, {}, 'not an SDP offer');
      note.candidates = (offer.match(/^a=candidate:/gm) ?? []).length;
      const fault = kind === 'whip' ? faults.shift() : undefined;
      if (fault) return badAnswer(fault, note, reply);
      const r = await (kind === 'whip' ? whip(offer) : whep(offer));
      const id = randomUUID();
      resources.set(id, r);
      return reply(201, {
        'content-type': 'application/sdp', location: `/resource/${id}`, etag: `"${id}"`,
        ...(iceServers.length ? { link: linkHeaders(iceServers) } : {}),
      }, r.pc.localDescription.sdp, { id });
    }
    const m = /^\/resource\/([0-9a-f-]+)$/.exec(url.pathname);
    const r = m && resources.get(m[1]);
    if (!r) return reply(404, {}, 'no such resource');
    if (req.method === 'PATCH') {
      stats[r.kind].patches++;
      if (!trickle) return reply(405, { allow: 'DELETE, OPTIONS' }, 'this endpoint does not trickle');
      const ifMatch = req.headers['if-match'];
      note.ifMatch = ifMatch;
      if (ifMatch !== undefined && ifMatch !== `"${m[1]}"`) return reply(412, {}, 'entity-tag mismatch');
      if (!/^application\/trickle-ice-sdpfrag\b/.test(req.headers['content-type'] || '')) {
        return reply(415, {}, 'application/trickle-ice-sdpfrag expected');
      }
      const frag = await readBody(req);
      let n = 0;
      for (const line of frag.split(/\r?\n/)) {
        if (!line.startsWith('a=candidate:')) continue;
        stats[r.kind].candidates++;
        n++;
        // One transport (max-bundle): every candidate is the first m-line's.
        await r.pc.addIceCandidate({ candidate: line.slice(2), sdpMLineIndex: 0 }).catch(() => {});
      }
      const fragOk = /^m=/m.test(frag) && /^a=ice-ufrag:/m.test(frag) && /^a=ice-pwd:/m.test(frag);
      return reply(204, {}, '', { candidates: n, fragOk });
    }
    if (req.method === 'DELETE') {
      stats[r.kind].deletes++;
      resources.delete(m[1]);
      end(r);
      if (hangDelete) return Object.assign(note, { status: 0, hung: true });
      return reply(200);
    }
    return reply(405, { allow: 'PATCH, DELETE, OPTIONS' }, 'method not allowed');
  }

  // A bad answer to a WHIP POST (`faults`); a resource id is used up for
  // the ones with a Location, so that the client's DELETE finds it.
  function badAnswer(fault, note, reply) {
    note.fault = fault;
    if (fault === 'hang') return Object.assign(note, { status: 0 });  // the client must give up by itself
    const id = randomUUID();
    const loc = { location: `/resource/${id}` };
    const sdp = { 'content-type': 'application/sdp' };
    if (fault !== 'no-location') resources.set(id, { kind: 'whip', pc: { close: async () => {} } });
    if (fault === 'not-sdp') return reply(201, { ...loc, 'content-type': 'text/html' }, '<html>hello</html>', { id });
    if (fault === 'bad-sdp') return reply(201, { ...loc, ...sdp }, 'v=0\r\nthis is not SDP\r\n', { id });
    if (fault === 'huge') return reply(201, { ...loc, ...sdp }, 'v=0\r\n' + 'a=x\r\n'.repeat(200000), { id });
    if (fault === 'no-location') return reply(201, sdp, 'v=0\r\n');
    throw new Error(`unknown fault ${fault}`);
  }

  const onRequest = (req, res) => handle(req, res).catch((e) => {
    stats.refused.push(e.status || 500);
    if (!res.headersSent) res.writeHead(e.status || 500, CORS).end(String(e.message));
  });
  const server = tls
    ? createHttps({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, onRequest)
    : createHttp(onRequest);
  await new Promise((r) => server.listen(port, address, r));
  const base = `${tls ? 'https' : 'http'}://${address}:${server.address().port}`;
  return {
    url: base,
    whipUrl: `${base}/whip`,
    whepUrl: `${base}/whep`,
    rtpPort: rtpIn.address().port,
    stats,
    requests,
    ids: () => [...resources].filter(([, r]) => r.kind === 'whip').map(([id]) => id),
    get live() { return [...resources.values()].filter((r) => r.kind === 'whip').length; },
    end(id) {
      const r = resources.get(id);
      if (!r) return false;
      resources.delete(id);
      end(r);
      return true;
    },
    async close() {
      for (const r of resources.values()) end(r);
      resources.clear();
      rtpIn.close();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}
