// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gst-webrtc-live browser viewer: a consumer for the gst-webrtc-signalling-server
// JSON protocol (the project's signalling-protocol doc). The producer (webrtclivesink)
// makes the offer; this page answers. No dependencies, no build step; the
// signalling plumbing it shares with publish.js is in signalling.js (loaded first);
// the producer's data channels and push-to-talk are in channels.js (loaded next),
// the live plots and freeze count in plots.js.
//
// Test hooks: everything the page knows is mirrored in `window.webrtclive`.
//
// Glass-to-glass latency: with `?stamp=1` (or the checkbox under the stats) the
// page reads the time a webrtclivestamp painted into every frame (docs/stamp.md;
// `?stampblock=N` when the stamper's block-size is not 8) and compares it with
// the frame's display time. Results in `window.webrtclive.stamp`.
'use strict';

(() => {
  const S = window.WebRTCLiveSignalling;
  const params = new URLSearchParams(location.search);
  const WS_URL = S.wsUrl(params);
  const FAST_POLL_MS = 50;     // getStats cadence until the first frame is decoded
  const SLOW_POLL_MS = 1000;   // cadence afterwards
  const RATE_MIN_S = 0.25;     // shortest interval over which rates are computed

  const $ = (id) => document.getElementById(id);
  const video = $('video');
  let uiReady = false;  // render() only once every piece of UI state below exists

  const api = window.webrtclive = {
    signalling: 'connecting',
    peerId: null,
    producers: [],
    sessionId: null,
    producerId: null,
    connectionState: 'idle',
    iceConnectionState: 'idle',
    errors: [],
    ended: null,
    times: emptyTimes(),
    stats: emptyStats(),
    streamCount: 0,
    trackKinds: [],
    stamp: null,  // set below (glass-to-glass)
    play: (id) => play(id),
    stop: () => stop(),
  };

  function emptyTimes() {
    return { startSession: null, remoteOffer: null, connected: null, firstFrame: null };
  }

  function emptyStats() {
    return {
      framesDecoded: null, frameWidth: null, frameHeight: null, codec: null, fps: null,
      kbps: null, packetsLost: null, lossPct: null, jitterMs: null, rttMs: null,
      audioKbps: null, audioPacketsReceived: null, audioCodec: null,
    };
  }

  const errors = S.errorList(api.errors, 'webrtclive', render);
  const addError = errors.add;

  // Adds api.channels, api.sendOnChannel and api.talk; follows each session below.
  const channels = window.WebRTCLiveChannels.create({ api, params, addError });
  // Adds api.plots; samples every getStats report of the current session.
  const plots = window.WebRTCLivePlots.create({ api, video, root: $('plots') });

  // ---------------------------------------------------------------- signalling

  let listed = false;             // `list` sent after the echo of our own status
  let userStopped = false;        // the user pressed Stop: no autoplay until next Play

  // The reconnecting socket and its serial inbox (signalling.js): messages are
  // handled strictly one after another, so every ICE candidate waits for the
  // offer that came before it. It keeps api.signalling and api.peerId.
  const conn = S.connection({
    url: WS_URL, protocols: S.wsProtocols(params), status: api, onMessage: handle, onClose: onSocketClosed, addError, render,
  });
  const send = conn.send;

  // The socket closed (api.signalling and api.peerId are already reset); the
  // connection reconnects after this.
  function onSocketClosed() {
    listed = false;
    api.producers = [];
    // The server forgets every session of a peer whose socket closes, but the
    // media path does not go through it: a session that is already connected
    // keeps playing (the producer keeps sending), it just cannot be
    // renegotiated. One still negotiating cannot finish, so it ends.
    if (current && current.pc.connectionState === 'connected') {
      current.sessionId = api.sessionId = null;
      current.orphaned = true;
    } else if (current) {
      endLocally('signalling connection closed');
    }
  }

  // One message at a time, from the connection's inbox (which also noted the
  // peerId of `welcome`).
  async function handle(msg) {
    switch (msg.type) {
      case 'welcome':
        send({ type: 'setPeerStatus', roles: ['listener'], meta: { name: 'browser viewer' } });
        break;
      case 'peerStatusChanged':
        onPeerStatus(msg);
        break;
      case 'list':
        api.producers = (msg.producers || []).map((p) => ({ id: p.id, meta: p.meta ?? null }));
        maybeAutoplay();
        break;
      case 'sessionStarted':
        onSessionStarted(msg);
        break;
      case 'peer':
        await onPeer(msg);
        break;
      case 'endSession':
      case 'endSessionV1_1':
        if (current && msg.sessionId === current.sessionId) endLocally(msg.error || null);
        break;
      case 'error':
        onServerError(msg.details);
        break;
      default:
        console.debug('webrtclive: ignoring message', msg);
    }
  }

  function onPeerStatus(msg) {
    const roles = msg.roles || [];
    if (msg.peerId === api.peerId) {
      // The echo of our own status is the server's "ready": now ask for producers.
      if (!listed && roles.includes('listener')) {
        listed = true;
        send({ type: 'list' });
      }
      return;
    }
    const others = api.producers.filter((p) => p.id !== msg.peerId);
    if (roles.includes('producer')) {
      const i = api.producers.findIndex((p) => p.id === msg.peerId);
      const entry = { id: msg.peerId, meta: msg.meta ?? null };
      api.producers = i >= 0 ? api.producers.map((p, j) => (j === i ? entry : p)) : [...others, entry];
      maybeAutoplay();
    } else {
      api.producers = others;
    }
  }

  function onServerError(details) {
    addError(details || 'unknown error from server');
    // A refused startSession (unknown peer...) never gets its sessionStarted.
    if (current && !current.sessionId) endLocally(details || null);
  }

  // ------------------------------------------------------------------ autoplay

  function autoplayTarget() {
    const ps = api.producers;
    if (params.has('peer')) return ps.find((p) => p.id === params.get('peer'));
    if (params.has('name')) return ps.find((p) => p.meta && p.meta.name === params.get('name'));
    if (params.get('autoplay') === '1') return ps[0];
    return undefined;
  }

  function maybeAutoplay() {
    if (current || playing || userStopped) return;
    const p = autoplayTarget();
    if (p) play(p.id);
  }

  // ------------------------------------------------------------------- session

  let current = null;  // {producerId, sessionId, pc, ice, stream, ...}

  let playing = 0;  // the latest play() (a later one or stop() makes an earlier one give up)

  async function play(id) {
    if (!id) return;
    if (current) stop();
    userStopped = false;
    const mine = ++playing;
    // Per session: TURN credentials from the server are made for this viewer and expire.
    const ice = await S.iceConfig(params, addError);
    if (mine !== playing || userStopped || current) return;
    playing = 0;
    let pc;
    try {
      pc = new RTCPeerConnection({ ...ice, bundlePolicy: 'max-bundle' });
    } catch (e) {
      addError(`RTCPeerConnection: ${e.message}`);
      return;
    }
    const sess = {
      producerId: id, sessionId: null, pc, ice: null,
      stream: null, streamIds: new Set(), prev: null, timer: 0,
    };
    current = sess;
    Object.assign(api, {
      producerId: id, sessionId: null, ended: null, connectionState: pc.connectionState || 'new',
      iceConnectionState: pc.iceConnectionState, times: emptyTimes(), stats: emptyStats(),
      streamCount: 0, trackKinds: [],
    });
    resetStamp();  // readings belong to one session
    wirePeerConnection(sess);
    plots.attach(sess);
    api.times.startSession = performance.now();
    if (!send({ type: 'startSession', peerId: id })) {
      teardown();
      return;
    }
    scheduleStats(sess, FAST_POLL_MS);
    render();
  }

  function stop() {
    userStopped = true;
    playing = 0;
    if (!current) return;
    if (current.sessionId) send({ type: 'endSession', sessionId: current.sessionId }, true);
    teardown();
    render();
  }

  // The session ended without us asking (server, producer, socket loss).
  function endLocally(reason) {
    teardown();
    api.ended = { reason: reason ?? null };
    render();
  }

  function teardown() {
    const sess = current;
    if (!sess) return;
    current = null;
    clearTimeout(sess.timer);
    const pc = sess.pc;
    channels.detach(sess);
    plots.detach(sess);
    pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
    video.srcObject = null;
    Object.assign(api, { sessionId: null, producerId: null, connectionState: 'closed', iceConnectionState: 'closed' });
  }

  function onSessionStarted(msg) {
    if (current && !current.sessionId && msg.peerId === current.producerId) {
      current.sessionId = api.sessionId = msg.sessionId;
      current.ice.sessionIdKnown();  // the local candidates held until now
    } else {
      // A session we no longer want (Stop was pressed before the server answered).
      send({ type: 'endSession', sessionId: msg.sessionId }, true);
    }
  }

  function wirePeerConnection(sess) {
    const pc = sess.pc;
    // Local candidates wait for the session id (sessionStarted), remote ones for
    // the offer; mDNS (.local) candidates are dropped both ways (signalling.js).
    sess.ice = S.candidates({
      pc,
      sessionId: () => sess.sessionId,
      send,
      onAddError: (init, e) => {
        if (sess === current) addError(`addIceCandidate(${init.candidate}): ${e.message}`);
      },
    });
    pc.ontrack = (ev) => onTrack(sess, ev);
    pc.onconnectionstatechange = () => onPcState(sess);
    pc.oniceconnectionstatechange = () => onPcState(sess);
    channels.attach(sess);  // pc.ondatachannel
  }

  async function onPeer(msg) {
    const sess = current;
    if (!sess || msg.sessionId !== sess.sessionId) return;  // stale or foreign session
    try {
      if (msg.sdp) await onRemoteSdp(sess, msg.sdp);
      else if (msg.ice) await sess.ice.addRemote(msg.ice);  // held until the offer is set
    } catch (e) {
      if (sess === current) addError(`${msg.sdp ? 'SDP' : 'ICE'} handling failed: ${e.message || e}`);
    }
  }

  async function onRemoteSdp(sess, sdp) {
    if (sdp.type !== 'offer') {
      addError(`unexpected SDP of type ${sdp.type} from the producer`);
      return;
    }
    if (api.times.remoteOffer === null) api.times.remoteOffer = performance.now();
    await sess.pc.setRemoteDescription({ type: 'offer', sdp: sdp.sdp });
    channels.remoteOffer(sess, sdp.sdp);  // before createAnswer: a talkback m-line is answered sendrecv
    await sess.ice.remoteDescriptionSet();
    await sess.pc.setLocalDescription(await sess.pc.createAnswer());
    if (sess !== current) return;
    send({ type: 'peer', sessionId: sess.sessionId, sdp: { type: 'answer', sdp: sess.pc.localDescription.sdp } });
  }

  function onPcState(sess) {
    if (sess !== current) return;
    const pc = sess.pc;
    api.connectionState = pc.connectionState || pc.iceConnectionState;
    api.iceConnectionState = pc.iceConnectionState;
    if (api.connectionState === 'connected' && api.times.connected === null) {
      api.times.connected = performance.now();
    }
    if (api.connectionState === 'failed') addError('peer connection failed');
    render();
  }

  // All tracks go into ONE MediaStream shown by the <video>: the first stream the
  // producer announced, or one we build when its SDP carries no msid.
  function onTrack(sess, ev) {
    if (sess !== current) return;
    const announced = ev.streams[0];
    for (const s of ev.streams) sess.streamIds.add(s.id);
    if (!sess.stream) sess.stream = announced || new MediaStream();
    if (!sess.stream.getTracks().includes(ev.track)) sess.stream.addTrack(ev.track);
    api.streamCount = sess.streamIds.size;
    api.trackKinds = sess.stream.getTracks().map((t) => t.kind);
    if (video.srcObject !== sess.stream) {
      video.srcObject = sess.stream;
      watchFirstFrame(sess);
    }
    video.play().catch((e) => {
      if (e.name !== 'AbortError') addError(`video.play(): ${e.message}`);
    });
    render();
  }

  // ---------------------------------------------------------- first frame/stats

  function markFirstFrame(sess, t) {
    if (sess === current && api.times.firstFrame === null) api.times.firstFrame = t;
  }

  function watchFirstFrame(sess) {
    if (!video.requestVideoFrameCallback) return;
    video.requestVideoFrameCallback((now, meta) => {
      // presentationTime: when the frame was handed to the compositor.
      const t = Number.isFinite(meta && meta.presentationTime) ? meta.presentationTime : now;
      markFirstFrame(sess, Math.min(t, performance.now()));
      render();
    });
  }

  // Fast polling until the first frame is decoded, then once a second.
  function scheduleStats(sess, ms) {
    sess.timer = setTimeout(() => pollStats(sess), ms);
  }

  async function pollStats(sess) {
    if (sess !== current) return;
    const t0 = performance.now();
    try {
      const report = await sess.pc.getStats();
      if (sess !== current) return;
      readStats(sess, report, t0);
      plots.sample(sess, report);
      renderStats();
    } catch (e) {
      if (sess === current) addError(`getStats: ${e.message}`);
    }
    if (sess === current) scheduleStats(sess, api.times.firstFrame === null ? FAST_POLL_MS : SLOW_POLL_MS);
  }

  function pickStats(report) {
    const out = { video: null, audio: null, pair: null };
    let selectedPairId = null;
    report.forEach((s) => {
      const kind = s.kind || s.mediaType;
      if (s.type === 'inbound-rtp' && kind === 'video') out.video = out.video || s;
      else if (s.type === 'inbound-rtp' && kind === 'audio') out.audio = out.audio || s;
      else if (s.type === 'transport' && s.selectedCandidatePairId) selectedPairId = s.selectedCandidatePairId;
      else if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) {
        out.pair = out.pair || s;
      }
    });
    if (selectedPairId && report.get(selectedPairId)) out.pair = report.get(selectedPairId);
    return out;
  }

  function readStats(sess, report, t0) {
    const { video: v, audio: a, pair } = pickStats(report);
    const st = api.stats;
    const codecOf = (s) => (s && s.codecId && report.get(s.codecId) ? report.get(s.codecId).mimeType : null);
    if (v) {
      st.codec = codecOf(v) || st.codec;
      st.frameWidth = v.frameWidth ?? st.frameWidth;
      st.frameHeight = v.frameHeight ?? st.frameHeight;
      st.framesDecoded = v.framesDecoded ?? 0;
      st.packetsLost = v.packetsLost ?? 0;
      st.jitterMs = v.jitter != null ? round(v.jitter * 1000) : null;
      if (v.framesPerSecond != null) st.fps = v.framesPerSecond;
      if (st.framesDecoded > 0) markFirstFrame(sess, t0);  // decoded before this call
    }
    if (a) {
      st.audioCodec = codecOf(a) || st.audioCodec;
      st.audioPacketsReceived = a.packetsReceived ?? 0;
    }
    if (pair && pair.currentRoundTripTime != null) st.rttMs = round(pair.currentRoundTripTime * 1000);
    updateRates(sess, v, a, (v || a || {}).timestamp ?? t0);
  }

  // Bit rates, loss % and (when the browser has no framesPerSecond) fps come from
  // deltas between two reports at least RATE_MIN_S apart.
  function updateRates(sess, v, a, ts) {
    const cur = {
      ts,
      bytes: v?.bytesReceived ?? 0, recv: v?.packetsReceived ?? 0, lost: v?.packetsLost ?? 0,
      frames: v?.framesDecoded ?? 0, aBytes: a?.bytesReceived ?? 0,
    };
    const prev = sess.prev;
    if (!prev) { sess.prev = cur; return; }
    const dt = (cur.ts - prev.ts) / 1000;
    if (dt < RATE_MIN_S) return;
    const st = api.stats;
    st.kbps = round(((cur.bytes - prev.bytes) * 8) / dt / 1000);
    if (a) st.audioKbps = round(((cur.aBytes - prev.aBytes) * 8) / dt / 1000);
    const dLost = Math.max(0, cur.lost - prev.lost);
    const dTotal = dLost + Math.max(0, cur.recv - prev.recv);
    st.lossPct = dTotal > 0 ? round((100 * dLost) / dTotal) : 0;
    if (v && v.framesPerSecond == null) st.fps = round((cur.frames - prev.frames) / dt);
    sess.prev = cur;
  }

  function round(x) {
    return Math.round(x * 10) / 10;
  }

  // ------------------------------------------------------------ glass-to-glass

  // Reads the stamp of docs/stamp.md (pixel layout version 1) from each frame
  // the <video> presents: a 24 x 3 grid of B x B squares in the top-left
  // corner, 72 bits = 64-bit wall-clock µs + CRC-8/AUTOSAR. The frame is drawn
  // at its intrinsic size (never scaled), only the grid's rectangle.
  const STAMP_GRID_W = 24, STAMP_GRID_H = 3;
  const STAMP_BLOCK = stampBlock(params.get('stampblock'));
  const STAMP_MEDIAN_OF = 30;    // the stats row: median of the last 30 readings
  const STAMP_KEEP = 300;        // samples kept in window.webrtclive.stamp.samples
  const STAMP_MAX_SKEW_US = 3600e6;  // a time > 1 h off is not a stamp (docs/stamp.md)
  const STAMP_RENDER_MS = 250;   // stats table refresh while readings come in

  function stampBlock(v) {
    if (v === null) return 8;
    const n = Number(v);
    if (Number.isInteger(n) && n >= 4 && n <= 256) return n;
    addError(`ignoring stampblock=${v}: an integer 4–256 is needed`);
    return 8;
  }

  // count: frames with a valid stamp; invalid: frames read without one (CRC
  // mismatch, implausible time, frame smaller than the grid). lastMs, medianMs
  // (last 30), p95Ms (nearest rank over `samples`) and samples (the last 300,
  // oldest first) are display time − stamp, in ms. clock names the display
  // time used: rVFC 'expectedDisplayTime' or 'presentationTime' mapped to the
  // wall clock through performance.timeOrigin, or 'Date.now' without rVFC.
  // receiveToDisplayMs: per sample, display time − rVFC receiveTime (the
  // browser's own share: jitter buffer, decode, render), null if unknown.
  // readCostMs: median time spent drawing + decoding one frame (last 30).
  // skipped: callbacks whose drawing showed the next frame already (late
  // callback); their reading is dropped or, once seen twice, re-timed.
  function emptyStamp() {
    return {
      enabled: stampState.on, block: STAMP_BLOCK, count: 0, invalid: 0, skipped: 0,
      lastMs: null, medianMs: null, p95Ms: null, samples: [], receiveToDisplayMs: [],
      clock: null, readCostMs: null,
    };
  }

  const stampState = { on: false, ctx: null, handle: null, raf: 0, lastT: null, lastFrames: -1, costs: [], rendered: 0 };
  api.stamp = emptyStamp();

  function resetStamp() {
    stampState.lastT = null;
    stampState.lastFrames = -1;
    stampState.costs = [];
    api.stamp = emptyStamp();
  }

  function stampCanvas(w, h) {
    const c = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h)
      : Object.assign(document.createElement('canvas'), { width: w, height: h });
    return c.getContext('2d', { willReadFrequently: true, alpha: false });
  }

  function setStamp(on) {
    if (on === stampState.on) return;
    stampState.on = on;
    api.stamp.enabled = on;
    const box = $('stamp-on');
    if (box) box.checked = on;
    if (on) {
      try {
        stampState.ctx = stampCanvas(STAMP_GRID_W * STAMP_BLOCK, STAMP_GRID_H * STAMP_BLOCK);
      } catch (e) {
        stampState.on = api.stamp.enabled = false;
        if (box) box.checked = false;
        addError(`glass-to-glass: no 2D canvas: ${e.message}`);
        return;
      }
      if (video.requestVideoFrameCallback) stampState.handle = video.requestVideoFrameCallback(onStampFrame);
      else stampState.raf = requestAnimationFrame(onStampAnimation);
    } else {
      if (stampState.handle !== null && video.cancelVideoFrameCallback) video.cancelVideoFrameCallback(stampState.handle);
      cancelAnimationFrame(stampState.raf);
      stampState.handle = null;
      stampState.ctx = null;
    }
    renderStats();
  }

  // requestVideoFrameCallback: once per frame presented, with its timing.
  function onStampFrame(_now, meta) {
    stampState.handle = null;
    if (!stampState.on) return;
    const origin = performance.timeOrigin ?? (Date.now() - performance.now());
    let clock = 'Date.now', displayMs = Date.now();
    if (Number.isFinite(meta.expectedDisplayTime)) {
      clock = 'expectedDisplayTime';
      displayMs = origin + meta.expectedDisplayTime;
    } else if (Number.isFinite(meta.presentationTime)) {
      clock = 'presentationTime';
      displayMs = origin + meta.presentationTime;
    }
    const receiveMs = Number.isFinite(meta.receiveTime) ? origin + meta.receiveTime : null;
    readStamp(displayMs, receiveMs, clock);
    stampState.handle = video.requestVideoFrameCallback(onStampFrame);
  }

  // Without rVFC: poll on animation frames, read only when the decoded-frame
  // counter moved, and take Date.now() as the display time.
  function onStampAnimation() {
    if (!stampState.on) return;
    const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality().totalVideoFrames
      : video.webkitDecodedFrameCount;
    if (video.readyState >= 2 && q !== stampState.lastFrames) {
      stampState.lastFrames = q;
      readStamp(Date.now(), null, 'Date.now');
    }
    stampState.raf = requestAnimationFrame(onStampAnimation);
  }

  function readStamp(displayMs, receiveMs, clock) {
    const st = api.stamp, ctx = stampState.ctx;
    const w = STAMP_GRID_W * STAMP_BLOCK, h = STAMP_GRID_H * STAMP_BLOCK;
    if (!ctx || !video.videoWidth) return;  // no picture yet
    st.clock = clock;
    if (video.videoWidth < w || video.videoHeight < h) {
      st.invalid++;
      return;
    }
    const t0 = performance.now();
    let t;
    try {
      ctx.drawImage(video, 0, 0, w, h, 0, 0, w, h);  // source rectangle in video pixels
      t = decodeStamp(ctx.getImageData(0, 0, w, h), STAMP_BLOCK);
    } catch (e) {
      addError(`glass-to-glass: cannot read the frame: ${e.message}`);
      setStamp(false);
      return;
    }
    stampState.costs.push(performance.now() - t0);
    if (stampState.costs.length > STAMP_MEDIAN_OF) stampState.costs.shift();
    st.readCostMs = round2(median(stampState.costs));
    if (t === null || Math.abs(displayMs * 1000 - t) > STAMP_MAX_SKEW_US) {
      st.invalid++;
      return;
    }
    // drawImage() paints the element's current frame, which is already the
    // next one when a callback runs late. A stamp newer than the reception of
    // the callback's frame belongs to such a later frame: skip it, it is read
    // with its own timing at that frame's callback.
    if (receiveMs !== null && t / 1000 > receiveMs) {
      st.skipped++;
      return;
    }
    const ms = round2(displayMs - t / 1000);
    if (t === stampState.lastT) {
      // Read twice. With rVFC, the previous callback painted this frame ahead
      // of its presentation (a browser without receiveTime): this later
      // timing is the right one. Polling without rVFC: the same frame again.
      if (clock !== 'Date.now' && st.samples.length) {
        st.skipped++;
        st.lastMs = st.samples[st.samples.length - 1] = ms;
        st.receiveToDisplayMs[st.receiveToDisplayMs.length - 1] = receiveMs === null ? null : round2(displayMs - receiveMs);
      }
      return;
    }
    stampState.lastT = t;
    st.count++;
    st.lastMs = ms;
    st.samples.push(ms);
    st.receiveToDisplayMs.push(receiveMs === null ? null : round2(displayMs - receiveMs));
    if (st.samples.length > STAMP_KEEP) {
      st.samples.shift();
      st.receiveToDisplayMs.shift();
    }
    st.medianMs = round2(median(st.samples.slice(-STAMP_MEDIAN_OF)));
    st.p95Ms = percentile(st.samples, 95);
    if (t0 - stampState.rendered >= STAMP_RENDER_MS) {
      stampState.rendered = t0;
      renderStats();
    }
  }

  // docs/stamp.md "A reader in JavaScript". Returns T (µs since the epoch) or
  // null when the grid does not hold a valid stamp.
  function decodeStamp(imageData, block) {
    const { data, width } = imageData;
    const m = Math.floor(block / 4), inner = block - 2 * m;
    const bytes = new Uint8Array(9);
    for (let i = 0; i < 72; i++) {
      const x0 = (i % 24) * block + m, y0 = Math.floor(i / 24) * block + m;
      let sum = 0;
      for (let y = y0; y < y0 + inner; y++) {
        for (let x = x0; x < x0 + inner; x++) {
          const o = (y * width + x) * 4;
          sum += data[o] + data[o + 1] + data[o + 2];
        }
      }
      if (sum >= 128 * 3 * inner * inner) bytes[i >> 3] |= 0x80 >> (i & 7);
    }
    let crc = 0xff;
    for (let k = 0; k < 8; k++) {
      crc ^= bytes[k];
      for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x2f) & 0xff : (crc << 1) & 0xff;
    }
    if ((crc ^ 0xff) !== bytes[8]) return null;
    // 64-bit big-endian; exact in a Number until 2^53 µs (year 2255).
    let t = 0;
    for (let k = 0; k < 8; k++) t = t * 256 + bytes[k];
    return t;
  }

  function median(xs) {
    const s = [...xs].sort((a, b) => a - b), n = s.length;
    return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  // Nearest rank: the ⌈p/100 · n⌉-th smallest sample.
  function percentile(xs, p) {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1] : null;
  }

  function round2(x) {
    return x === null ? null : Math.round(x * 100) / 100;
  }

  // ------------------------------------------------------------------------ UI

  const STAT_ROWS = [
    ['Codec', (s) => s.codec],
    ['Resolution', (s) => (s.frameWidth != null ? `${s.frameWidth} × ${s.frameHeight}` : null)],
    ['Frame rate', (s) => unit(s.fps, 'fps')],
    ['Video bitrate', (s) => unit(s.kbps, 'kbit/s')],
    ['Packets lost', (s) => (s.packetsLost != null ? `${s.packetsLost} (${s.lossPct ?? 0} %)` : null)],
    ['Frames decoded', (s) => s.framesDecoded],
    ['Jitter', (s) => unit(s.jitterMs, 'ms')],
    ['Round trip', (s) => unit(s.rttMs, 'ms')],
    ['Audio codec', (s) => s.audioCodec],
    ['Audio bitrate', (s) => unit(s.audioKbps, 'kbit/s')],
    ['Audio packets', (s) => s.audioPacketsReceived],
    ['Offer after', () => since(api.times.remoteOffer)],
    ['Connected after', () => since(api.times.connected)],
    ['First frame after', () => since(api.times.firstFrame)],
    ['Glass-to-glass', () => glassToGlass()],
    ['Stamps read', () => (api.stamp.enabled ? `${api.stamp.count} (${api.stamp.invalid} frames without one)` : null)],
  ];

  function glassToGlass() {
    const st = api.stamp;
    if (!st.enabled) return null;
    if (st.medianMs === null) return st.invalid ? 'no valid stamp (is webrtclivestamp upstream?)' : 'waiting for frames';
    return `${Math.round(st.medianMs)} ms (median of last ${Math.min(STAMP_MEDIAN_OF, st.samples.length)})`;
  }

  function unit(v, u) {
    return v == null ? null : `${v} ${u}`;
  }

  function since(t) {
    const t0 = api.times.startSession;
    return t == null || t0 == null ? null : `${Math.round(t - t0)} ms`;
  }

  const statCells = STAT_ROWS.map(([label]) => {
    const tr = $('stats-body').insertRow();
    tr.insertCell().textContent = label;
    return tr.insertCell();
  });

  function renderStats() {
    STAT_ROWS.forEach(([, get], i) => {
      const v = get(api.stats);
      statCells[i].textContent = v == null ? '–' : String(v);
    });
  }

  let producersKey = '';

  // Rebuilt only when something changed, so that a click never lands on a
  // button that is being replaced.
  function renderProducers() {
    const key = JSON.stringify([api.producers, api.producerId]);
    if (key === producersKey) return;
    producersKey = key;
    const ul = $('producers');
    ul.replaceChildren(...api.producers.map((p) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = (p.meta && p.meta.name) || p.id;
      name.title = p.id;
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = p.id === api.producerId ? 'Playing' : 'Play';
      btn.className = p.id === api.producerId ? 'playing' : '';
      btn.onclick = () => play(p.id);
      li.append(name, btn);
      return li;
    }));
    $('no-producers').hidden = api.producers.length > 0;
  }

  const SIGNALLING_LABEL = { connecting: 'connecting', open: 'connected', closed: 'closed' };

  function render() {
    if (!uiReady) return;
    $('st-sig').textContent = SIGNALLING_LABEL[api.signalling];
    $('st-sig').dataset.state = api.signalling;
    $('st-peer').textContent = api.peerId || '–';
    $('st-session').textContent = api.sessionId
      ? `${api.sessionId} (producer ${api.producerId})`
      : api.producerId ? `starting (producer ${api.producerId})` : 'none';
    $('st-pc').textContent = api.connectionState;
    $('st-pc').dataset.state = api.connectionState;
    $('st-ice').textContent = api.iceConnectionState;
    $('st-tracks').textContent = api.trackKinds.length
      ? `${api.trackKinds.join(' + ')} in ${api.streamCount} stream(s)` : '–';
    const ended = $('ended');
    ended.hidden = !api.ended;
    ended.textContent = api.ended ? `Session ended${api.ended.reason ? `: ${api.ended.reason}` : ''}` : '';
    $('stop').disabled = !current;
    renderProducers();
    errors.render($('errors'));
    renderStats();
  }

  function renderMute() {
    $('unmute').textContent = video.muted ? 'Unmute' : 'Mute';
  }

  // -------------------------------------------------------------------- start

  video.muted = true;  // autoplay without a user gesture needs muted media
  video.onvolumechange = renderMute;
  $('unmute').onclick = () => {
    video.muted = !video.muted;
    if (!video.muted) video.play().catch(() => {});
  };
  $('stop').onclick = () => stop();
  $('stamp-on').onchange = (ev) => setStamp(ev.target.checked);
  $('ws-url').textContent = WS_URL;
  renderMute();
  uiReady = true;
  if (params.get('stamp') === '1') setStamp(true);
  conn.connect();
})();
