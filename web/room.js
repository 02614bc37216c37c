// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gst-webrtc-live "join the room" mode of the publish page (publish.html?room=1):
// the page publishes its camera as usual (publish.js) and plays what the
// room pipeline sends back, over WHEP from the server that served it:
//
//   webrtclivesrc producers=all ! compositor ! ... webrtclivesink   (docs/video-room.md)
//
// ?room=1 plays POST /whep (the sink of the embedded server); ?room=NAME
// plays /whep/NAME (a producer of a standalone server). ?token= goes on as a
// Bearer token. The offer carries every candidate gathered within 1 s
// (ICE on a LAN or loopback gathers in milliseconds), so no PATCH is needed.
//
// Test hooks: window.webrtcliveRoom mirrors the player's state.
'use strict';

(() => {
  const params = new URLSearchParams(location.search);
  const room = params.get('room');
  if (!room) return;
  const S = window.WebRTCLiveSignalling;
  const GATHER_MS = 1000;
  const STATS_MS = 1000;
  const $ = (id) => document.getElementById(id);

  const api = window.webrtcliveRoom = {
    state: 'starting',   // starting | playing | failed | left
    resource: null,      // the WHEP session's Location
    framesDecoded: 0,
    width: 0,
    height: 0,
    audioPackets: 0,
    errors: [],
    leave: () => leave(),
  };
  const errors = S.errorList(api.errors, 'webrtcliveRoom', render);
  let pc = null;

  function render() {
    $('room-state').textContent = api.state === 'playing'
      ? `playing ${api.width}×${api.height}, ${api.framesDecoded} frames`
      : api.state;
    errors.render($('room-errors'));
  }

  function endpoint() {
    return room === '1' ? '/whep' : '/whep/' + encodeURIComponent(room);
  }

  function headers(type) {
    const h = type ? { 'Content-Type': type } : {};
    if (params.get('token')) h.Authorization = 'Bearer ' + params.get('token');
    return h;
  }

  function gathered(conn) {
    if (conn.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (conn.iceGatheringState === 'complete') resolve();
      };
      conn.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, GATHER_MS);
    });
  }

  async function play() {
    const ice = await S.iceConfig(params, errors.add);
    pc = new RTCPeerConnection(ice);
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      $('composite').srcObject = stream;
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') fail('the connection to the room failed');
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await fetch(endpoint(), { method: 'POST', headers: headers('application/sdp'), body: pc.localDescription.sdp });
    const text = await r.text();
    if (r.status !== 201) throw new Error(`${endpoint()}: HTTP ${r.status} ${text.trim()}`);
    api.resource = new URL(r.headers.get('Location'), location.href).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    api.state = 'playing';
    render();
  }

  function fail(why) {
    api.state = 'failed';
    errors.add(why);
  }

  async function leave() {
    if (api.state === 'left') return;
    api.state = 'left';
    if (pc) pc.close();
    // keepalive: the DELETE still goes out when the page is closing.
    if (api.resource) await fetch(api.resource, { method: 'DELETE', headers: headers(), keepalive: true }).catch(() => {});
    render();
  }

  async function pollStats() {
    if (pc && api.state === 'playing') {
      (await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if ((s.kind || s.mediaType) === 'video') {
          api.framesDecoded = s.framesDecoded || 0;
          api.width = s.frameWidth || 0;
          api.height = s.frameHeight || 0;
        } else {
          api.audioPackets = s.packetsReceived || 0;

        }
      });
      render();
    }
    setTimeout(pollStats, STATS_MS);
  }

  $('room').hidden = false;
  // Muted until the user unmutes (controls): browsers refuse to autoplay
  // sound, and the mix carries the participant's own voice too.
  $('composite').muted = true;
  window.addEventListener('pagehide', () => { leave(); });
  play().catch((e) => fail(e.message));
  setTimeout(pollStats, STATS_MS);
})();
