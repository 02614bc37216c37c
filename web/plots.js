// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gst-webrtc-live browser viewer: live plots of the received video over the
// last 60 s, and picture freezes, for app.js (loaded before it). A plain
// script, no dependencies, no build step, drawn on <canvas>; it defines
// `window.WebRTCLivePlots`:
//
//   create({api, video, root})  {attach(sess), sample(sess, report), detach(sess)}
//
// app.js calls attach() when it creates a session, sample() with every
// getStats() report of that session's RTCPeerConnection, and detach() when
// the session ends (the plots stay on screen until the next one).
//
// Metrics, from deltas between two reports at least SAMPLE_MIN_MS apart
// (inbound-rtp video): bitrate (bytesReceived, kbit/s), frame rate
// (framesDecoded, fps), packet loss (packetsLost / (lost + packetsReceived),
// %), decode time (totalDecodeTime / framesDecoded, ms per frame); as they
// are: jitter (ms) and RTT (the selected candidate pair's
// currentRoundTripTime, else remote-outbound-rtp roundTripTime, ms).
//
// Freezes: no new frame for more than FREEZE_MS. Frames are seen with
// video.requestVideoFrameCallback, or (Firefox ESR 115 has none) by polling
// getVideoPlaybackQuality().totalVideoFrames every POLL_MS. Not counted:
// the time before the session's first frame, and while the tab is hidden,
// the video paused or scrolled out of view (browsers stop presenting
// frames then); a freeze under way when that happens is dropped.
//
// Test hooks, as `window.webrtclive.plots` (api.plots):
//   samples    oldest first, the last WINDOW_MS: {t, kbps, fps, lossPct,
//              jitterMs, rttMs, decodeMs}; t = performance.now() in ms,
//              a value is null when the browser does not report it
//   freezes    ended freezes of this session: {start, end, ms} (performance.now())
//   freezeCount, longestFreezeMs
//   frozenMs   the freeze under way, in ms (null if none)
//   detector   'rvfc', 'poll' or null (not attached)
//   open       the panel is expanded
'use strict';

window.WebRTCLivePlots = (() => {
  const WINDOW_MS = 60000;
  const SAMPLE_MIN_MS = 500;   // samples at most twice a second (app.js polls faster before the first frame)
  const FREEZE_MS = 200;
  const POLL_MS = 50;
  const KEEP_FREEZES = 100;
  const HEIGHT = 120;          // CSS pixels per plot

  // key, title, unit, smallest top of the y axis, decimals of the current value
  const METRICS = [
    ['kbps', 'Bitrate', 'kbit/s', 100, 0],
    ['fps', 'Frame rate', 'fps', 30, 1],
    ['rttMs', 'Round trip', 'ms', 5, 1],
    ['lossPct', 'Packet loss', '%', 2, 1],
    ['jitterMs', 'Jitter', 'ms', 10, 1],
    ['decodeMs', 'Decode time', 'ms/frame', 5, 1],
  ];

  function create({ api, video, root }) {
    const $ = (sel) => root.querySelector(sel);
    const grid = $('.plot-grid');
    const freezeText = $('#plots-freezes');
    const state = {
      samples: [], freezes: [], freezeCount: 0, longestFreezeMs: 0, detector: null,
      get frozenMs() { return frozenMs(performance.now()); },
      get open() { return root.open; },
    };
    api.plots = state;

    const canvases = METRICS.map(([key, title, unit]) => {
      const c = document.createElement('canvas');
      c.className = 'plot';
      c.dataset.metric = key;
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', `${title} (${unit}), last 60 s`);
      grid.append(c);
      return c;
    });

    let sess = null;        // the attached session
    let prev = null;        // the previous report's counters
    let lastFrameT = null;  // performance.now() of the last frame seen; null = no baseline
    let lastTotal = -1;     // polling: totalVideoFrames at the last poll
    let handle = null, pollTimer = 0, inView = true;

    // ------------------------------------------------------------ samples

    function sample(s, report) {
      if (s !== sess) return;
      let v = null, pair = null, pairId = null, remote = null;
      report.forEach((r) => {
        const kind = r.kind || r.mediaType;
        if (r.type === 'inbound-rtp' && kind === 'video') v = v || r;
        else if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
        else if (r.type === 'candidate-pair' && (r.selected || (r.nominated && r.state === 'succeeded'))) pair = pair || r;
        else if (r.type === 'remote-outbound-rtp' && kind === 'video') remote = r;
      });
      if (pairId && report.get(pairId)) pair = report.get(pairId);
      if (!v) return;
      const now = performance.now();
      const cur = {
        now, ts: v.timestamp, bytes: v.bytesReceived ?? 0, frames: v.framesDecoded ?? 0,
        decode: v.totalDecodeTime ?? null, lost: v.packetsLost ?? 0, recv: v.packetsReceived ?? 0,
      };
      if (prev && now - prev.now < SAMPLE_MIN_MS) return;
      const p = prev;
      prev = cur;
      if (!p) return;
      // The reports' own clock for the interval; ours if it looks wrong.
      let dt = (cur.ts - p.ts) / 1000;
      if (!(dt > 0.1) || dt > 10 * (now - p.now)) dt = (now - p.now) / 1000;
      const dFrames = Math.max(0, cur.frames - p.frames);
      const dLost = Math.max(0, cur.lost - p.lost);
      const dTotal = dLost + Math.max(0, cur.recv - p.recv);
      let rtt = pair?.currentRoundTripTime;
      if (rtt == null) rtt = remote?.roundTripTime;
      state.samples.push({
        t: round(now),
        kbps: round(((cur.bytes - p.bytes) * 8) / dt / 1000),
        fps: round(dFrames / dt),
        lossPct: dTotal > 0 ? round((100 * dLost) / dTotal) : 0,
        jitterMs: v.jitter != null ? round(v.jitter * 1000) : null,
        rttMs: rtt != null ? round(rtt * 1000) : null,
        decodeMs: cur.decode !== null && p.decode !== null && dFrames > 0
          ? round(((cur.decode - p.decode) * 1000) / dFrames) : null,
      });
      while (state.samples.length && state.samples[0].t < now - WINDOW_MS) state.samples.shift();
      draw();
    }

    // ------------------------------------------------------------ freezes

    function suspended() {
      return document.hidden || video.paused || !inView;
    }

    function frozenMs(now) {
      if (!sess || lastFrameT === null || suspended()) return null;
      const ms = now - lastFrameT;
      return ms > FREEZE_MS ? Math.round(ms) : null;
    }

    function onFrame(t) {
      if (suspended()) {
        lastFrameT = null;
        return;
      }
      if (lastFrameT !== null && t - lastFrameT > FREEZE_MS) {
        const f = { start: round(lastFrameT), end: round(t), ms: Math.round(t - lastFrameT) };
        state.freezes.push(f);
        if (state.freezes.length > KEEP_FREEZES) state.freezes.shift();
        state.freezeCount++;
        state.longestFreezeMs = Math.max(state.longestFreezeMs, f.ms);
        renderFreezes();
        draw();
      }
      lastFrameT = Math.max(t, lastFrameT ?? t);
    }

    // Hidden, paused or out of view: whatever comes next starts afresh.
    function onSuspendChange() {
      lastFrameT = null;
      renderFreezes();
    }

    function onVideoFrame(now, meta) {
      handle = null;
      if (!sess) return;
      // presentationTime: when the frame went to the compositor.
      const t = Number.isFinite(meta?.presentationTime) ? Math.min(meta.presentationTime, performance.now()) : now;
      onFrame(t);
      handle = video.requestVideoFrameCallback(onVideoFrame);
    }

    function poll() {
      const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality().totalVideoFrames
        : video.webkitDecodedFrameCount;
      if (q > lastTotal && q > 0) onFrame(performance.now());
      lastTotal = q;
    }

    function startDetector() {
      lastFrameT = null;
      lastTotal = -1;
      if (video.requestVideoFrameCallback) {
        state.detector = 'rvfc';
        handle = video.requestVideoFrameCallback(onVideoFrame);
      } else {
        state.detector = 'poll';
        pollTimer = setInterval(poll, POLL_MS);
      }
    }

    function stopDetector() {
      if (handle !== null && video.cancelVideoFrameCallback) video.cancelVideoFrameCallback(handle);
      handle = null;
      clearInterval(pollTimer);
      lastFrameT = null;
      state.detector = null;
    }

    function renderFreezes() {
      const now = performance.now();
      const cur = frozenMs(now);
      let text = `freezes: ${state.freezeCount}`;
      if (state.freezeCount) text += `, longest ${state.longestFreezeMs} ms`;
      if (cur !== null) text += ` · frozen for ${(cur / 1000).toFixed(1)} s`;
      freezeText.textContent = text;
      freezeText.dataset.state = cur !== null ? 'frozen' : state.freezeCount ? 'had' : 'none';
    }

    // ------------------------------------------------------------ session

    function attach(s) {
      stopDetector();
      sess = s;
      prev = null;
      Object.assign(state, { samples: [], freezes: [], freezeCount: 0, longestFreezeMs: 0 });
      startDetector();
      renderFreezes();
      draw();
    }

    function detach(s) {
      if (s !== sess) return;
      stopDetector();
      sess = null;
      renderFreezes();
      draw();
    }

    // ------------------------------------------------------------ drawing

    function colors() {
      const cs = getComputedStyle(root);
      const get = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
      return {
        bg: get('--panel', '#fff'), fg: get('--fg', '#000'), muted: get('--muted', '#777'),
        line: get('--line', '#ccc'), freeze: get('--freeze', 'rgba(220, 38, 38, 0.25)'),
      };
    }

    // The smallest 1, 2 or 5 × 10^n at or above x.
    function niceTop(x) {
      const e = 10 ** Math.floor(Math.log10(x));
      return [1, 2, 5, 10].map((m) => m * e).find((v) => v >= x - 1e-9);
    }

    function fmt(x, decimals) {
      if (x == null) return '–';
      return x >= 100 || decimals === 0 ? String(Math.round(x)) : x.toFixed(decimals);
    }

    function draw() {
      if (!root.open || document.hidden) return;
      const now = performance.now();
      const col = colors();
      const spans = state.freezes.map((f) => [f.start, f.end]);
      const cur = frozenMs(now);
      if (cur !== null) spans.push([now - cur, now]);
      METRICS.forEach((m, i) => drawOne(canvases[i], m, now, col, spans));
    }

    function drawOne(canvas, [key, title, unit, minTop, decimals], now, col, spans) {
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(120, canvas.clientWidth || 300), h = HEIGHT;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
      }
      const ctx = canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = col.bg;
      ctx.fillRect(0, 0, w, h);
      const L = 34, R = 6, T = 20, B = 16;  // plot area margins
      const pw = w - L - R, ph = h - T - B;
      const x = (t) => L + pw * (1 - (now - t) / WINDOW_MS);
      const pts = state.samples.filter((s) => s[key] != null && s.t >= now - WINDOW_MS);
      const top = niceTop(Math.max(minTop, ...pts.map((s) => s[key])));
      const y = (v) => T + ph * (1 - v / top);

      // Freezes: shaded across the whole height of the plot area.
      ctx.fillStyle = col.freeze;
      for (const [a, b] of spans) {
        const x0 = Math.max(L, x(a)), x1 = Math.min(L + pw, x(b));
        if (x1 > x0) ctx.fillRect(x0, T, Math.max(1, x1 - x0), ph);
      }

      // Grid and axes: 0, top/2, top; -60 s, -30 s, now.
      ctx.font = '10px system-ui, sans-serif';
      ctx.lineWidth = 1;
      ctx.strokeStyle = col.line;
      ctx.fillStyle = col.muted;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (const v of [0, top / 2, top]) {
        const yy = Math.round(y(v)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(L, yy);
        ctx.lineTo(L + pw, yy);
        ctx.stroke();
        ctx.fillText(fmt(v, v % 1 ? 1 : 0), L - 4, yy);
      }
      ctx.textBaseline = 'bottom';
      [[-60, 'left', '−60 s'], [-30, 'center', '−30 s'], [0, 'right', 'now']].forEach(([s, align, label]) => {
        ctx.textAlign = align;
        ctx.fillText(label, x(now + s * 1000), h - 1);
      });

      // The series.
      ctx.strokeStyle = getComputedStyle(canvas).color || '#2563eb';
      ctx.lineWidth = 2;  // whole device pixels on a flat line (a steady 0 too)
      ctx.lineJoin = 'round';
      ctx.beginPath();
      pts.forEach((s, i) => {
        const xx = x(s.t), yy = y(Math.min(s[key], top));
        if (i === 0) ctx.moveTo(xx, yy); else ctx.lineTo(xx, yy);
      });
      if (pts.length === 1) ctx.arc(x(pts[0].t), y(Math.min(pts[0][key], top)), 1.5, 0, 2 * Math.PI);
      ctx.stroke();

      // Title and the current value.
      const last = pts.length ? pts[pts.length - 1][key] : null;
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      ctx.fillStyle = col.muted;
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(`${title} (${unit})`, 4, 3);
      ctx.textAlign = 'right';
      ctx.fillStyle = col.fg;
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillText(last == null ? '–' : `${fmt(last, decimals)} ${unit}`, w - R, 2);
    }

    function round(x) {
      return Math.round(x * 10) / 10;
    }

    // ------------------------------------------------------------ wiring

    // Open by default on desktop-size windows; the reader's choice afterwards.
    root.open = window.matchMedia('(min-width: 900px)').matches;
    root.addEventListener('toggle', draw);
    document.addEventListener('visibilitychange', () => {
      onSuspendChange();
      draw();
    });
    video.addEventListener('pause', onSuspendChange);
    video.addEventListener('play', onSuspendChange);
    if (typeof IntersectionObserver === 'function') {
      new IntersectionObserver((entries) => {
        const seen = entries[entries.length - 1].isIntersecting;
        if (seen !== inView) {
          inView = seen;
          onSuspendChange();
        }
      }).observe(video);
    }
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => draw()).observe(grid);
    // An ongoing freeze grows on screen between two samples.
    setInterval(() => {
      if (frozenMs(performance.now()) !== null) {
        renderFreezes();
        draw();
      } else if (freezeText.dataset.state === 'frozen') {
        renderFreezes();
      }
    }, 250);
    renderFreezes();

    return { attach, sample, detach };
  }

  return { create };
})();
