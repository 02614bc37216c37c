// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gst-webrtc-live browser publisher: a producer for the gst-webrtc-signalling-server
// JSON protocol (the project's signalling-protocol doc). The browser captures its
// camera and microphone and registers as ["listener","producer"]; each consumer
// (webrtclivesrc, another browser...) that starts a session gets its own
// RTCPeerConnection fed by the same local stream. The browser makes the offer,
// or answers when the consumer put one in startSession. No dependencies, no build step;
// the signalling plumbing it shares with app.js is in signalling.js (loaded first).
//
// Test hooks: everything the page knows is mirrored in `window.webrtclivePublish`.
'use strict';

(() => {
  const S = window.WebRTCLiveSignalling;
  const params = new URLSearchParams(location.search);
  const WS_URL = S.wsUrl(params);
  const STATS_MS = 1000;       // getStats cadence
  const RATE_MIN_S = 0.25;     // shortest interval over which rates are computed
  const DEFAULT_NAME = 'browser camera';
  const CODECS = ['vp8', 'vp9', 'h264', 'av1'];

  const $ = (id) => document.getElementById(id);
  const preview = $('preview');
  let uiReady = false;  // render() only once every piece of UI state below exists

  const api = window.webrtclivePublish = {
    signalling: 'connecting',
    peerId: null,
    registered: false,   // our own peerStatusChanged echo with the producer role was received
    name: params.get('name') || DEFAULT_NAME,
    capturing: false,    // a local stream exists
    trackKinds: [],
    sessions: {},        // sessionId -> {peerId, connectionState, framesSent, bytesSent, ...}
    errors: [],
    start: () => start(),
    stop: () => stop(),
  };

  const errors = S.errorList(api.errors, 'webrtclivePublish', render);
  const addError = errors.add;

  const MEDIA = parseMedia();
  const CODEC = parseCodec();

  function dimension(key, fallback) {
    if (!params.has(key)) return fallback;
    const n = Number(params.get(key));
    if (Number.isInteger(n) && n > 0) return n;
    addError(`ignoring ${key}=${params.get(key)}: not a positive integer`);
    return fallback;
  }

  function parseMedia() {
    const width = dimension('width', 640);
    const height = dimension('height', 480);
    return {
      video: params.get('video') === '0' ? false : { width, height, frameRate: 30 },
      audio: params.get('audio') !== '0',
    };
  }

  function parseCodec() {
    if (!params.has('codec')) return null;
    const c = params.get('codec').toLowerCase();
    if (CODECS.includes(c)) return c;
    addError(`ignoring codec=${params.get('codec')}: expected one of ${CODECS.join(', ')}`);
    return null;
  }

  // ---------------------------------------------------------------- local media

  let stream = null;        // the local MediaStream, shared by every session
  let starting = null;      // token of the pending getUserMedia, if any

  async function start() {
    if (stream || starting) return;
    if (!MEDIA.video && !MEDIA.audio) {
      addError('nothing to capture: both video=0 and audio=0');
      return;
    }
    const token = starting = {};
    render();
    let s;
    try {
      s = await navigator.mediaDevices.getUserMedia(MEDIA);
    } catch (e) {
      if (starting === token) {
        starting = null;
        addError(`getUserMedia: ${e.name || 'Error'}: ${e.message || e}`);
      }
      return;
    } finally {
      render();
    }
    if (starting !== token) {  // Stop was pressed while the browser was asking
      s.getTracks().forEach((t) => t.stop());
      return;
    }
    starting = null;
    stream = s;
    for (const t of s.getTracks()) t.onended = () => onTrackEnded(t);
    preview.srcObject = s;
    preview.play().catch((e) => {
      if (e.name !== 'AbortError') addError(`preview: ${e.message}`);
    });
    api.capturing = true;
    api.trackKinds = s.getTracks().map((t) => t.kind);
    register();
    render();
  }

  // The device went away (unplugged, permission revoked): nothing left to send.
  function onTrackEnded(track) {
    if (!stream || !stream.getTracks().includes(track)) return;
    addError(`${track.kind} track ended (${track.label || 'device'})`);
    stop();
  }

  function stop() {
    const wasProducing = !!stream;
    starting = null;
    for (const sess of sessions.values()) {
      send({ type: 'endSession', sessionId: sess.sessionId }, true);
      closeSession(sess);
    }
    if (stream) {
      for (const t of stream.getTracks()) {
        t.onended = null;
        t.stop();
      }
      stream = null;
      preview.srcObject = null;
    }
    api.capturing = false;
    api.trackKinds = [];
    if (wasProducing) register();  // roles ["listener"]: no longer a producer
    render();
  }

  // ---------------------------------------------------------------- signalling

  let welcomed = false;           // the current socket got its `welcome`

  // The reconnecting socket and its serial inbox (signalling.js): messages are
  // handled strictly one after another, so every ICE candidate waits for the
  // description that came before it. It keeps api.signalling and api.peerId.
  const conn = S.connection({
    url: WS_URL, protocols: S.wsProtocols(params), status: api, onMessage: handle, onClose: onSocketClosed, addError, render,
  });
  const send = conn.send;

  // The socket closed (api.signalling and api.peerId are already reset); the
  // connection reconnects after this.
  function onSocketClosed() {
    welcomed = false;
    api.registered = false;
    // The server ends every session of a peer whose socket closes.
    for (const sess of sessions.values()) closeSession(sess);
  }

  // Our roles follow the local stream: a producer only while there is something
  // to send. Always a listener, to hear the echo of our own status.
  function register() {
    if (!welcomed) return;  // done on `welcome`
    const roles = stream ? ['listener', 'producer'] : ['listener'];
    send({ type: 'setPeerStatus', roles, meta: { name: api.name } }, true);
  }

  // One message at a time, from the connection's inbox (which also noted the
  // peerId of `welcome`).
  async function handle(msg) {
    switch (msg.type) {
      case 'welcome':
        welcomed = true;
        register();
        break;
      case 'peerStatusChanged':
        if (msg.peerId === api.peerId) api.registered = (msg.roles || []).includes('producer');
        break;
      case 'startSession':
        await onStartSession(msg);
        break;
      case 'peer':
        await onPeer(msg);
        break;
      case 'endSession':
      case 'endSessionV1_1': {
        const sess = sessions.get(msg.sessionId);
        if (sess) closeSession(sess);
        break;
      }
      case 'error':
        addError(msg.details || 'unknown error from server');
        break;
      default:
        console.debug('webrtclivePublish: ignoring message', msg);
    }
  }

  // ------------------------------------------------------------------ sessions

  const sessions = new Map();  // sessionId -> {sessionId, peerId, pc, ice, prev}
  const fetchingIce = new Set();  // sessionIds waiting for their ICE servers

  async function onStartSession(msg) {
    const { sessionId, peerId } = msg;
    if (!sessionId || sessions.has(sessionId)) return;
    if (!stream) {
      // Stop raced the consumer's request: refuse the session.
      send({ type: 'endSession', sessionId }, true);
      return;
    }
    // Per session: TURN credentials from the server are made for it and expire.
    if (fetchingIce.has(sessionId)) return;
    fetchingIce.add(sessionId);
    const ice = await S.iceConfig(params, addError);
    if (!fetchingIce.delete(sessionId)) return;  // ended meanwhile
    if (!stream) {
      send({ type: 'endSession', sessionId }, true);
      return;
    }
    let pc;
    try {
      pc = new RTCPeerConnection({ ...ice, bundlePolicy: 'max-bundle' });
    } catch (e) {
      addError(`RTCPeerConnection: ${e.message}`);
      send({ type: 'endSession', sessionId }, true);
      return;
    }
    const sess = { sessionId, peerId, pc, ice: null, prev: null };
    sessions.set(sessionId, sess);
    api.sessions[sessionId] = {
      peerId, connectionState: pc.connectionState || 'new', framesSent: 0, bytesSent: 0,
      videoKbps: null, fps: null, audioKbps: null, codec: null,
    };
    wirePeerConnection(sess);
    render();
    try {
      if (typeof msg.offer === 'string' && msg.offer) await answerOffer(sess, msg.offer);
      else await makeOffer(sess);
    } catch (e) {
      if (!isLive(sess)) return;
      addError(`session ${short(sessionId)}: negotiation failed: ${e.message || e}`);
      send({ type: 'endSession', sessionId }, true);
      closeSession(sess);
    }
  }

  function isLive(sess) {
    return sessions.get(sess.sessionId) === sess;
  }

  // addTrack with the stream: all tracks share one msid, so the consumer sees
  // one stream with audio and video in it.
  function addLocalTracks(sess) {
    for (const track of stream.getTracks()) sess.pc.addTrack(track, stream);
    for (const tr of sess.pc.getTransceivers()) {
      if (!tr.sender.track) continue;
      tr.direction = 'sendonly';  // we never receive anything
      if (tr.sender.track.kind === 'video') preferCodec(tr);
    }
  }

  // H.264: packetization-mode=1 and the Baseline family first, which every
  // decoder takes. Array.sort is stable: the browser's order otherwise.
  function h264Rank(fmtp) {
    const f = fmtp || '';
    return (/packetization-mode=1/.test(f) ? 0 : 2) + (/profile-level-id=42/i.test(f) ? 0 : 1);
  }

  // Puts the codec of `codec=` first in the video transceiver's preferences.
  function preferCodec(transceiver) {
    if (!CODEC || !transceiver.setCodecPreferences || !window.RTCRtpSender?.getCapabilities) return;
    const caps = RTCRtpSender.getCapabilities('video');
    const codecs = caps ? caps.codecs : [];
    const mime = `video/${CODEC}`;
    const wanted = codecs.filter((c) => c.mimeType.toLowerCase() === mime);
    if (!wanted.length) {
      addError(`codec=${CODEC}: this browser cannot send ${CODEC.toUpperCase()}`);
      return;
    }
    if (CODEC === 'h264') wanted.sort((a, b) => h264Rank(a.sdpFmtpLine) - h264Rank(b.sdpFmtpLine));
    const rest = codecs.filter((c) => c.mimeType.toLowerCase() !== mime);
    try {
      transceiver.setCodecPreferences([...wanted, ...rest]);
    } catch (e) {
      addError(`setCodecPreferences(${CODEC}): ${e.message}`);
    }
  }

  // As the answerer Chromium sends with the codec the OFFER lists first,
  // whatever the order of its own answer (setCodecPreferences only orders the
  // answer). So the consumer's offer is reordered before it is applied: the
  // payload types of `codec=` first in every video m-line. The set of codecs
  // is unchanged, only their order.
  function preferCodecInOffer(sdp) {
    if (!CODEC) return sdp;
    const lines = sdp.split(/\r?\n/);
    const name = CODEC.toUpperCase();
    let found = false;
    let m = -1;  // index of the current video m-line, or -1
    const flush = (end) => {
      if (m < 0) return;
      const fields = lines[m].split(' ');
      const pts = fields.slice(3);
      const section = lines.slice(m + 1, end);
      const fmtp = (pt) => (section.find((l) => l.startsWith(`a=fmtp:${pt} `)) || '');
      const wanted = pts.filter((pt) => section.some((l) => l.toUpperCase().startsWith(`A=RTPMAP:${pt} ${name}/`)));
      if (!wanted.length) return;
      found = true;
      if (CODEC === 'h264') wanted.sort((a, b) => h264Rank(fmtp(a)) - h264Rank(fmtp(b)));
      lines[m] = [...fields.slice(0, 3), ...wanted, ...pts.filter((pt) => !wanted.includes(pt))].join(' ');
    };
    lines.forEach((l, i) => {
      if (!l.startsWith('m=')) return;
      flush(i);
      m = l.startsWith('m=video ') ? i : -1;
    });
    flush(lines.length);
    if (!found && /^m=video /m.test(sdp)) addError(`codec=${CODEC}: the consumer did not offer ${name}`);
    return lines.join('\r\n');
  }

  async function makeOffer(sess) {
    addLocalTracks(sess);
    const offer = await sess.pc.createOffer();
    if (!isLive(sess)) return;
    await sess.pc.setLocalDescription(offer);
    if (!isLive(sess)) return;
    send({ type: 'peer', sessionId: sess.sessionId, sdp: { type: 'offer', sdp: sess.pc.localDescription.sdp } });
  }

  // The consumer offered (startSession.offer): its recvonly m-lines create the
  // transceivers, and addTrack after setRemoteDescription reuses them.
  async function answerOffer(sess, sdp) {
    await sess.pc.setRemoteDescription({ type: 'offer', sdp: preferCodecInOffer(sdp) });
    if (!isLive(sess)) return;
    addLocalTracks(sess, sdp);
    await sess.ice.remoteDescriptionSet();
    const answer = await sess.pc.createAnswer();
    if (!isLive(sess)) return;
    await sess.pc.setLocalDescription(answer);
    if (!isLive(sess)) return;
    send({ type: 'peer', sessionId: sess.sessionId, sdp: { type: 'answer', sdp: sess.pc.localDescription.sdp } });
  }

  function closeSession(sess) {
    if (!isLive(sess)) return;
    sessions.delete(sess.sessionId);
    delete api.sessions[sess.sessionId];
    const pc = sess.pc;
    pc.onicecandidate = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
    render();
  }

  function wirePeerConnection(sess) {
    const pc = sess.pc;
    // The session id is known from the start, so local candidates go out at
    // once; remote ones wait for the remote description; mDNS (.local)
    // candidates are dropped both ways (signalling.js).
    sess.ice = S.candidates({
      pc,
      sessionId: () => sess.sessionId,
      send,
      onAddError: (init, e) => {
        if (isLive(sess)) addError(`session ${short(sess.sessionId)}: addIceCandidate(${init.candidate}): ${e.message}`);
      },
    });
    pc.onconnectionstatechange = () => onPcState(sess);
    pc.oniceconnectionstatechange = () => onPcState(sess);
  }

  async function onPeer(msg) {
    const sess = sessions.get(msg.sessionId);
    if (!sess) return;  // stale or foreign session
    try {
      if (msg.sdp) await onRemoteSdp(sess, msg.sdp);
      else if (msg.ice) await sess.ice.addRemote(msg.ice);  // held until the description is set
    } catch (e) {
      if (isLive(sess)) {
        addError(`session ${short(sess.sessionId)}: ${msg.sdp ? 'SDP' : 'ICE'} handling failed: ${e.message || e}`);
      }
    }
  }

  async function onRemoteSdp(sess, sdp) {
    const pc = sess.pc;
    if (sdp.type !== 'answer' || pc.signalingState !== 'have-local-offer') {
      addError(`session ${short(sess.sessionId)}: unexpected SDP ${sdp.type} in state ${pc.signalingState}`);
      return;
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: sdp.sdp });
    await sess.ice.remoteDescriptionSet();
  }

  function onPcState(sess) {
    if (!isLive(sess)) return;
    const pc = sess.pc;
    const state = pc.connectionState || pc.iceConnectionState;
    api.sessions[sess.sessionId].connectionState = state;
    if (state === 'failed') {
      // Final without an ICE restart, which nobody in this ecosystem does.
      addError(`session ${short(sess.sessionId)}: peer connection failed`);
      send({ type: 'endSession', sessionId: sess.sessionId }, true);
      closeSession(sess);
    }
    render();
  }

  // ---------------------------------------------------------------------- stats

  async function pollStats() {
    await Promise.all([...sessions.values()].map(async (sess) => {
      try {
        const report = await sess.pc.getStats();
        if (isLive(sess)) readStats(sess, report);
      } catch (e) {
        if (isLive(sess)) addError(`session ${short(sess.sessionId)}: getStats: ${e.message}`);
      }
    }));
    render();
    setTimeout(pollStats, STATS_MS);
  }

  function readStats(sess, report) {
    let v = null;
    let a = null;
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp') return;
      const kind = s.kind || s.mediaType;
      if (kind === 'video') v = v || s;
      else if (kind === 'audio') a = a || s;
    });
    const st = api.sessions[sess.sessionId];
    if (v) {
      st.framesSent = v.framesSent ?? 0;
      st.bytesSent = v.bytesSent ?? 0;
      if (v.framesPerSecond != null) st.fps = v.framesPerSecond;
      const codec = v.codecId && report.get(v.codecId);
      if (codec) st.codec = codec.mimeType.replace(/^video\//i, '');
    }
    const cur = {
      ts: (v || a || {}).timestamp ?? performance.now(),
      bytes: v?.bytesSent ?? 0, frames: v?.framesSent ?? 0, aBytes: a?.bytesSent ?? 0,
    };
    const prev = sess.prev;
    if (!prev) { sess.prev = cur; return; }
    const dt = (cur.ts - prev.ts) / 1000;
    if (dt < RATE_MIN_S) return;
    if (v) st.videoKbps = round(((cur.bytes - prev.bytes) * 8) / dt / 1000);
    if (a) st.audioKbps = round(((cur.aBytes - prev.aBytes) * 8) / dt / 1000);
    if (v && v.framesPerSecond == null) st.fps = round((cur.frames - prev.frames) / dt);
    sess.prev = cur;
  }

  function round(x) {
    return Math.round(x * 10) / 10;
  }

  function short(id) {
    return String(id).slice(0, 8);
  }

  // ------------------------------------------------------------------------ UI

  const COLUMNS = [
    (id) => short(id),
    (id, s) => short(s.peerId),
    (id, s) => s.connectionState,
    (id, s) => s.codec,
    (id, s) => unit(s.videoKbps),
    (id, s) => unit(s.fps),
    (id, s) => unit(s.audioKbps),
    (id, s) => s.framesSent,
  ];

  function unit(v) {
    return v == null ? null : String(v);
  }

  function renderSessions() {
    const ids = Object.keys(api.sessions);
    $('consumers').replaceChildren(...ids.map((id) => {
      const s = api.sessions[id];
      const tr = document.createElement('tr');
      tr.title = `session ${id}\nconsumer ${s.peerId}`;
      COLUMNS.forEach((get, i) => {
        const td = tr.insertCell();
        const v = get(id, s);
        td.textContent = v == null ? '–' : String(v);
        if (i === 2) {
          td.className = 'state';
          td.dataset.state = s.connectionState;
        }
      });
      return tr;
    }));
    $('no-consumers').hidden = ids.length > 0;
  }

  function renderTracks() {
    if (!stream) return starting ? 'starting…' : '–';
    return stream.getTracks().map((t) => {
      const st = t.getSettings ? t.getSettings() : {};
      if (t.kind === 'video' && st.width) {
        return `video ${st.width} × ${st.height}${st.frameRate ? ` @ ${Math.round(st.frameRate)} fps` : ''}`;
      }
      return t.kind;
    }).join(' + ');
  }

  const SIGNALLING_LABEL = { connecting: 'connecting', open: 'connected', closed: 'closed' };

  function render() {
    if (!uiReady) return;
    $('st-sig').textContent = SIGNALLING_LABEL[api.signalling];
    $('st-sig').dataset.state = api.signalling;
    $('st-peer').textContent = api.peerId || '–';
    $('st-reg').textContent = api.registered ? 'producer' : stream ? 'registering…' : 'not producing';
    $('st-reg').dataset.state = api.registered ? 'connected' : 'idle';
    $('st-tracks').textContent = renderTracks();
    const all = Object.values(api.sessions);
    const connected = all.filter((s) => s.connectionState === 'connected').length;
    $('st-consumers').textContent = `${connected} connected` +
      (all.length > connected ? ` (${all.length - connected} connecting)` : '');
    $('start').disabled = !!(stream || starting);
    $('stop').disabled = !(stream || starting);
    $('no-preview').hidden = !!stream;
    $('name').disabled = !!(stream || starting);
    if (document.activeElement !== $('name') && $('name').value !== api.name) $('name').value = api.name;
    renderSessions();
    errors.render($('errors'));
  }

  // -------------------------------------------------------------------- start

  preview.muted = true;  // never play our own microphone back
  // The name is announced when we register; it is fixed while producing.
  $('name').value = api.name;
  $('name').oninput = () => { api.name = $('name').value.trim() || DEFAULT_NAME; };
  $('name').onchange = () => render();
  $('start').onclick = () => start();
  $('stop').onclick = () => stop();
  $('ws-url').textContent = WS_URL;
  // A link with ?ws= could point the camera at anybody's server: say so,
  // and never start by itself then (?autostart=1 is ignored).
  const target = new URL(WS_URL, location.href);
  const foreign = target.host !== location.host;
  api.foreignServer = foreign ? target.host : null;
  $('foreign').hidden = !foreign;
  $('foreign-host').textContent = target.host;
  uiReady = true;
  render();
  conn.connect();
  setTimeout(pollStats, STATS_MS);
  if (params.get('autostart') === '1' && !foreign) start();
})();
