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
// announced in Link headers).
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
} = {}) {
  const stats = {
    whip: { posts: 0, patches: 0, deletes: 0, sessions: 0, rtp: { video: 0, audio: 0 }, candidates: 0 },
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
      track.onReceiveRtp.subscribe(() => { stats.whip.rtp[track.kind === 'audio' ? 'audio' : 'video']++; });
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
    const reply = (status, headers = {}, body = '') => {
      if (status >= 400) stats.refused.push(status);
      res.writeHead(status, { ...CORS, ...headers }).end(body);
    };
    if (req.method === 'OPTIONS') return reply(204, { link: linkHeaders(iceServers) });
    if (token && req.headers.authorization !== `Bearer ${token}`) return reply(401, {}, 'a Bearer token is required');
    const kind = url.pathname === '/whip' ? 'whip' : url.pathname === '/whep' ? 'whep' : null;
    if (req.method === 'POST' && kind) {
      stats[kind].posts++;
      if (!/^application\/sdp\b/.test(req.headers['content-type'] || '')) return reply(415, {}, 'application/sdp expected');
      const offer = await readBody(req);
      if (!offer.startsWith('v=0')) return reply(400, {}, 'not an SDP offer');
      const r = await (kind === 'whip' ? whip(offer) : whep(offer));
      const id = randomUUID();
      resources.set(id, r);
      return reply(201, {
        'content-type': 'application/sdp', location: `/resource/${id}`, etag: `"${id}"`,
        ...(iceServers.length ? { link: linkHeaders(iceServers) } : {}),
      }, r.pc.localDescription.sdp);
    }
    const m = /^\/resource\/([0-9a-f-]+)$/.exec(url.pathname);
    const r = m && resources.get(m[1]);
    if (!r) return reply(404, {}, 'no such resource');
    if (req.method === 'PATCH') {
      stats[r.kind].patches++;
      if (!/^application\/trickle-ice-sdpfrag\b/.test(req.headers['content-type'] || '')) {
        return reply(415, {}, 'application/trickle-ice-sdpfrag expected');
      }
      const frag = await readBody(req);
      for (const line of frag.split(/\r?\n/)) {
        if (!line.startsWith('a=candidate:')) continue;
        stats[r.kind].candidates++;
        // One transport (max-bundle): every candidate is the first m-line's.
        await r.pc.addIceCandidate({ candidate: line.slice(2), sdpMLineIndex: 0 }).catch(() => {});
      }
      return reply(204);
    }
    if (req.method === 'DELETE') {
      stats[r.kind].deletes++;
      resources.delete(m[1]);
      end(r);
      return reply(200);
    }
    return reply(405, { allow: 'PATCH, DELETE, OPTIONS' }, 'method not allowed');
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
    async close() {
      for (const r of resources.values()) end(r);
      resources.clear();
      rtpIn.close();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}
