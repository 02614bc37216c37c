// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A consumer written with werift (pure TypeScript WebRTC, npm) that speaks
// the signalling protocol itself: it asks the server for the producer named
// NAME, answers its offer, and counts the RTP packets it receives.
//   node werift-consumer.mjs ws://127.0.0.1:PORT/ NAME PACKETS
// Prints "received N video RTP packets (VP8)" and exits 0 once N arrived.
// PACKETS=0: runs until killed, printing "packets N" every second (bench/).
import { RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI } from 'werift';
import { WsClient } from '../server/ws-client.mjs';

const [url, name, wanted = '100'] = process.argv.slice(2);
const want = Number(wanted);
const ws = await WsClient.connect(url);
const pc = new RTCPeerConnection({
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceUseIpv6: false,
  iceServers: [],
  bundlePolicy: 'max-bundle',
  codecs: {
    video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI()] })],
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
  },
});
let sessionId = null;
let packets = 0;
let codec = '?';
const early = [];
const timer = want > 0
  ? setTimeout(() => { console.error(`timed out with ${packets} packets`); process.exit(1); }, 20000)
  : setInterval(() => console.log(`packets ${packets}`), 1000);

pc.onIceCandidate.subscribe((c) => {
  if (!c) return;
  const msg = { type: 'peer', sessionId, ice: { candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 } };
  if (sessionId) ws.send(msg); else early.push(msg);
});
pc.onTrack.subscribe((track) => {
  if (track.kind !== 'video') return;
  track.onReceiveRtp.subscribe((rtp) => {
    packets++;
    if (packets === want) {
      console.log(`received ${packets} video RTP packets (${codec}), payload type ${rtp.header.payloadType}`);
      clearTimeout(timer);
      ws.close();
      pc.close();
      setTimeout(() => process.exit(0), 100);
    }
  });
});

ws.onmessage = (text) => handle(JSON.parse(text)).catch((e) => console.error('werift:', e));

async function handle(m) {
  if (process.env.WERIFT_DEBUG) console.error('<-', JSON.stringify(m).slice(0, 120));
  if (m.type === 'welcome') {
    ws.send({ type: 'setPeerStatus', roles: ['listener'], meta: { name: 'werift' } });
    ws.send({ type: 'list' });
  } else if ((m.type === 'list' && m.producers) || (m.type === 'peerStatusChanged' && m.roles.includes('producer'))) {
    const list = m.type === 'list' ? m.producers : [{ id: m.peerId, meta: m.meta }];
    const p = list.find((x) => x.meta && x.meta.name === name);
    if (p && !sessionId) ws.send({ type: 'startSession', peerId: p.id });
  } else if (m.type === 'sessionStarted') {
    sessionId = m.sessionId;
    for (const e of early.splice(0)) ws.send({ ...e, sessionId });
  } else if (m.type === 'peer' && m.sdp) {
    await pc.setRemoteDescription(m.sdp);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    codec = /a=rtpmap:\d+ (\w+)/.exec(pc.localDescription.sdp)?.[1] ?? '?';
    ws.send({ type: 'peer', sessionId, sdp: { type: 'answer', sdp: pc.localDescription.sdp } });
  } else if (m.type === 'peer' && m.ice) {
    await pc.addIceCandidate(m.ice).catch(() => {});
  } else if (m.type === 'error') {
    console.error('server error:', m.details);
  }
}
