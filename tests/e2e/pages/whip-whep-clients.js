// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Entry of the test bundle (tests/e2e/whip-whep-lib.mjs bundles it with
// esbuild, the libraries unmodified from npm): three independent WHIP/WHEP
// clients behind one small API for a test page.
//
//   await whepPlay(url, token, lib)    lib: 'whip-whep' | 'webrtc-player'
//   whepState()  -> {framesDecoded, width, height, connectionState, resource, errors}
//   await whepStop()                   (the library's own stop: DELETE)
//   await whipPublish(url, token, lib) lib: 'whip-whep' | 'whip-web-client'
//   whipState()  -> {framesEncoded, packetsSent, connectionState, resource, errors}
//   await whipStop()
//
// Every library gets iceServers: [] (each defaults to a public STUN
// server otherwise). Frames are counted with requestVideoFrameCallback on
// the <video> the library plays into, whatever the library.
import { WHEPClient } from 'whip-whep/whep.js';
import { WHIPClient } from 'whip-whep/whip.js';
import { WebRTCPlayer } from '@eyevinn/webrtc-player';
import { WHIPClient as EyevinnWhipClient } from '@eyevinn/whip-web-client';

const pcs = [];
const Native = window.RTCPeerConnection;
// Remembers the peer connections the libraries make (for getStats) and
// refuses any ICE server: tests never reach a public STUN/TURN server.
window.RTCPeerConnection = class extends Native {
  constructor(config = {}, ...rest) {
    if ((config.iceServers || []).length) window.__iceServersGiven = config.iceServers;
    super(config, ...rest);
    pcs.push(this);
  }
};

const errors = [];
const play = { frames: 0, client: null, video: null, stop: null };
const pub = { client: null, stop: null, pc: null };
window.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason && e.reason.message || e.reason)));

function countFrames(video) {
  const step = () => { play.frames++; video.requestVideoFrameCallback(step); };
  video.requestVideoFrameCallback(step);
}

function newVideo() {
  const video = document.createElement('video');
  Object.assign(video, { autoplay: true, muted: true, playsInline: true });
  document.body.appendChild(video);
  countFrames(video);
  return video;
}

// An async API function whose failure is also in state().errors.
const recorded = (fn) => async (...args) => {
  try {
    return await fn(...args);
  } catch (e) {
    errors.push(String(e.message || e));
    throw e;
  }
};

window.whepPlay = recorded(async (url, token, lib = 'whip-whep') => {
  const video = (play.video = newVideo());
  if (lib === 'whip-whep') {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => { if (e.track.kind === 'video') video.srcObject = e.streams[0] || new MediaStream([e.track]); };
    const client = (play.client = new WHEPClient());
    await client.view(pc, url, token || undefined);
    play.resource = String(client.resourceURL);
    play.stop = () => client.stop();
  } else if (lib === 'webrtc-player') {
    const player = (play.client = new WebRTCPlayer({ video, type: 'whep', iceServers: [] }));
    player.on('no-media', () => errors.push('webrtc-player: no media'));
    // It sends the key as the whole Authorization header.
    await player.load(new URL(url), token ? `Bearer ${token}` : undefined);
    play.stop = () => player.unload();
  } else {
    throw new Error(`no WHEP library ${lib}`);
  }
});

window.whepState = () => ({
  framesDecoded: play.frames,
  width: play.video ? play.video.videoWidth : 0,
  height: play.video ? play.video.videoHeight : 0,
  connectionState: pcs.length ? pcs[pcs.length - 1].connectionState : 'none',
  resource: play.resource || null,
  iceServersGiven: window.__iceServersGiven || null,
  errors,
});

window.whepStop = async () => { if (play.stop) await play.stop(); };

window.whipPublish = recorded(async (url, token, lib = 'whip-whep', { width = 320, height = 240, audio = false } = {}) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width, height }, audio });
  if (lib === 'whip-whep') {
    const pc = (pub.pc = new RTCPeerConnection({ iceServers: [] }));
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    const client = (pub.client = new WHIPClient());
    await client.publish(pc, url, token || undefined);
    pub.resource = String(client.resourceURL);
    pub.stop = () => client.stop();
  } else if (lib === 'whip-web-client') {
    const client = (pub.client = new EyevinnWhipClient({
      endpoint: url,
      opts: { iceServers: [], authkey: token || undefined, debug: false },
      peerConnectionFactory: (config) => (pub.pc = new RTCPeerConnection({ ...config, iceServers: [] })),
    }));
    await client.ingest(stream);
    pub.resource = await client.getResourceUrl();
    pub.stop = () => client.destroy();
  } else {
    throw new Error(`no WHIP library ${lib}`);
  }
});

window.whipState = async () => {
  let framesEncoded = 0, packetsSent = 0;
  if (pub.pc) {
    (await pub.pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        framesEncoded += s.framesEncoded || 0;
        packetsSent += s.packetsSent || 0;
      }
    });
  }
  return {
    framesEncoded, packetsSent,
    connectionState: pub.pc ? pub.pc.connectionState : 'none',
    resource: pub.resource || null,
    errors,
  };
};

window.whipStop = async () => { if (pub.stop) await pub.stop(); };
window.whipWhepReady = true;
