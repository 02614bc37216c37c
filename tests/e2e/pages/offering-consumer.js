// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A consumer that offers, as a WHEP player does (recvonly audio + video),
// speaking the signalling protocol with web/signalling.js: v1.1
// setProtocolVersion, then startSession with its offer; the producer
// answers. Loaded by tests/e2e/answer-scenarios.mjs into a page of the
// sink's own origin, after /signalling.js. window.offering holds what the
// test reads: the answer, the end of the session, decoded frames and size.
'use strict';

window.offering = { answer: null, ended: null, errors: [], frames: 0, width: 0, height: 0, state: 'new' };

// talk: send the (fake) microphone on the audio m-line (sendrecv), for a
// sink with talkback=true.
window.startOffering = async (wsUrl, { talk = false } = {}) => {
  const S = window.WebRTCLiveSignalling;
  const st = window.offering;
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  // Audio first, then video: what @eyevinn/webrtc-player and whip-whep offer.
  if (talk) {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    pc.addTransceiver(mic.getAudioTracks()[0], { direction: 'sendrecv' });
  } else {
    pc.addTransceiver('audio', { direction: 'recvonly' });
  }
  pc.addTransceiver('video', { direction: 'recvonly' });
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  pc.ontrack = (ev) => { if (ev.track.kind === 'video') video.srcObject = new MediaStream([ev.track]); };
  pc.onconnectionstatechange = () => { st.state = pc.connectionState; };
  let sessionId = null;
  let conn = null;
  const ice = S.candidates({
    pc, sessionId: () => sessionId, send: (m, quiet) => conn.send(m, quiet),
    onAddError: (init, e) => st.errors.push(`addIceCandidate: ${e.message}`),
  });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  conn = S.connection({
    url: wsUrl, status: {}, addError: (t) => st.errors.push(t), render: () => {},
    onMessage: async (m) => {
      if (m.type === 'welcome') {
        conn.send({ type: 'setProtocolVersion', version: 'v1_1' });
        conn.send({ type: 'setPeerStatus', roles: ['listener'], meta: null });
        conn.send({ type: 'list' });
      } else if (m.type === 'list' && m.producers.length && !sessionId) {
        conn.send({ type: 'startSession', peerId: m.producers[0].id, offer: pc.localDescription.sdp });
      } else if (m.type === 'sessionStarted') {
        sessionId = m.sessionId;
        ice.sessionIdKnown();
      } else if (m.type === 'peer' && m.sdp) {
        st.answer = m.sdp.sdp;
        await pc.setRemoteDescription(m.sdp);
        await ice.remoteDescriptionSet();
      } else if (m.type === 'peer' && m.ice) {
        await ice.addRemote(m.ice);
      } else if (m.type === 'endSessionV1_1' || m.type === 'endSession') {
        st.ended = m.error || 'ended';
      } else if (m.type === 'error') {
        st.errors.push(m.details);
      }
    },
  });
  conn.connect();
  setInterval(async () => {
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        st.frames = r.framesDecoded || 0;
        st.width = r.frameWidth || 0;
        st.height = r.frameHeight || 0;
      }
    });
  }, 100);
};
