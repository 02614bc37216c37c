// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gst-webrtc-live browser viewer: the producer's data channels and
// push-to-talk, for app.js (loaded before it). A plain script, no
// dependencies, no build step; it defines `window.WebRTCLiveChannels`:
//
//   create({api, params, addError})  {attach(sess), remoteOffer(sess, sdp),
//                                    detach(sess)}: one per page
//
// app.js owns the sessions; it calls attach() when it creates a session's
// RTCPeerConnection (sess.pc), remoteOffer() between setRemoteDescription and
// createAnswer, and detach() when the session ends. Only one session is
// attached at a time.
//
// Data channels: webrtclivesink opens one channel per data_%u pad in its offer
// (labelled by the pad's `label`), so they arrive through pc.ondatachannel.
// gstwebrtc-api's `control` channel belongs to the remote-control protocol and
// is left alone (not shown, no handlers). Everything is bounded: MAX_CHANNELS
// shown, KEEP_MESSAGES per channel, MAX_TEXT characters per message.
//
// Push-to-talk: with talkback=true the sink offers its audio m-line sendrecv.
// The answer must already say sendrecv, so that transceiver is switched to
// sendrecv before createAnswer (one created by setRemoteDescription starts
// recvonly); its sender sends nothing until the first press puts the
// microphone on it, after which press/release only toggle track.enabled (a
// disabled track sends silence; no renegotiation, no second permission
// prompt). `?talk=1` holds the button permanently (tests with a fake
// microphone).
//
// Test hooks, added to the page's `window.webrtclive` (api):
//   channels        {key: {label, ordered, maxRetransmits, maxPacketLifeTime,
//                   protocol, readyState, received, receivedCount, sentCount}}
//                   key = the label (label#2, #3... for a repeated label);
//                   received: newest first, at most KEEP_MESSAGES, each
//                   {text, length} (text cut at MAX_TEXT, length = the full
//                   length) or {bytes, hex} (byte count, hex of the first
//                   HEX_BYTES bytes without separators)
//   channelsIgnored channels of this session not shown (over MAX_CHANNELS)
//   sendOnChannel(key, text)  sends text on an open channel; throws otherwise
//   talk            {offered, state, reason, latched}: state is 'off' (not
//                   offered), 'idle' (microphone not asked for yet),
//                   'requesting', 'talking', 'muted' or 'refused' (reason set)
'use strict';

window.WebRTCLiveChannels = (() => {
  const CONTROL_LABEL = 'control';  // gstwebrtc-api's remote control: not ours
  const MAX_CHANNELS = 16;
  const KEEP_MESSAGES = 20;
  const MAX_TEXT = 500;
  const HEX_BYTES = 16;

  // The mid of the first audio m-line the producer offers sendrecv, '' when
  // that m-line has no mid, null when there is none. Its direction is the
  // m-line's own attribute, else the session-level one, else sendrecv (the
  // SDP default). Port 0 without bundle-only is a rejected m-line.
  function talkbackMid(sdp) {
    const parts = sdp.split(/\r?\n(?=m=)/);
    const dirOf = (text) => (text.match(/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m) || [])[1];
    const sessionDir = dirOf(parts[0]) || 'sendrecv';
    for (const m of parts.slice(1)) {
      if (!m.startsWith('m=audio ')) continue;
      if (/^m=audio 0 /.test(m) && !/^a=bundle-only\s*$/m.test(m)) continue;
      if ((dirOf(m) || sessionDir) !== 'sendrecv') continue;
      const mid = m.match(/^a=mid:(\S+)/m);
      return mid ? mid[1] : '';
    }
    return null;
  }

  function hexOf(bytes, sep) {
    return Array.from(bytes.subarray(0, HEX_BYTES), (b) => b.toString(16).padStart(2, '0')).join(sep);
  }

  // What the api keeps of one message (see the header).
  function describe(data) {
    if (typeof data === 'string') return { text: data.slice(0, MAX_TEXT), length: data.length };
    if (data instanceof ArrayBuffer) return { bytes: data.byteLength, hex: hexOf(new Uint8Array(data), '') };
    if (ArrayBuffer.isView(data)) {
      return { bytes: data.byteLength, hex: hexOf(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), '') };
    }
    // A Blob, should a browser ignore binaryType: its size is known now, its bytes only later.
    return { bytes: data && Number.isFinite(data.size) ? data.size : 0, hex: '' };
  }

  function messageText(m) {
    if ('text' in m) return m.length > m.text.length ? `${m.text}…` : m.text;
    const hex = m.hex.replace(/(..)(?!$)/g, '$1 ');
    return `${m.bytes} bytes: ${hex}${m.bytes > HEX_BYTES ? ' …' : ''}`;
  }

  function create({ api, params, addError }) {
    const $ = (id) => document.getElementById(id);
    const latched = params.get('talk') === '1';

    let attached = null;      // the session whose channels and talkback we show
    const entries = new Map(); // key -> {channel, info (api object), dom, dirty}
    let raf = 0;              // pending requestAnimationFrame of renderChannels
    let listDirty = true;     // entries added/removed or their states changed

    api.channels = {};
    api.channelsIgnored = 0;
    api.sendOnChannel = (key, text) => sendOn(key, text);

    // ------------------------------------------------------------ channels

    function onChannel(sess, ch) {
      if (sess !== attached || ch.label === CONTROL_LABEL) return;
      if (entries.size >= MAX_CHANNELS) {
        // Make room by forgetting the oldest closed channel; with none, the
        // new one is not shown (a producer may have many data pads).
        const closed = [...entries.values()].find((e) => e.channel.readyState === 'closed');
        if (!closed) {
          api.channelsIgnored++;
          listDirty = true;
          scheduleRender();
          return;
        }
        forget(closed);
      }
      let key = ch.label;
      for (let n = 2; entries.has(key); n++) key = `${ch.label}#${n}`;
      ch.binaryType = 'arraybuffer';  // Firefox defaults to Blob, whose bytes arrive asynchronously
      const info = {
        label: ch.label, ordered: ch.ordered, maxRetransmits: ch.maxRetransmits ?? null,
        maxPacketLifeTime: ch.maxPacketLifeTime ?? null, protocol: ch.protocol,
        readyState: ch.readyState, received: [], receivedCount: 0, sentCount: 0,
      };
      const e = { key, channel: ch, info, dom: null, dirty: true };
      entries.set(key, e);
      api.channels[key] = info;
      const onState = () => {
        info.readyState = ch.readyState;
        listDirty = e.dirty = true;
        scheduleRender();
      };
      ch.onopen = ch.onclosing = ch.onclose = onState;
      ch.onerror = (ev) => {
        // A channel's error on a session that is ending is not news.
        if (sess === attached) addError(`data channel "${ch.label}": ${(ev.error && ev.error.message) || 'error'}`);
        onState();
      };
      ch.onmessage = (ev) => {
        info.received.unshift(describe(ev.data));
        if (info.received.length > KEEP_MESSAGES) info.received.length = KEEP_MESSAGES;
        info.receivedCount++;
        e.dirty = true;
        scheduleRender();
      };
      listDirty = true;
      scheduleRender();
    }

    function forget(e) {
      const ch = e.channel;
      ch.onopen = ch.onclosing = ch.onclose = ch.onerror = ch.onmessage = null;
      entries.delete(e.key);
      delete api.channels[e.key];
      if (e.dom) e.dom.li.remove();
      listDirty = true;
    }

    function sendOn(key, text) {
      const e = entries.get(key);
      if (!e) throw new Error(`no data channel "${key}"`);
      if (e.channel.readyState !== 'open') throw new Error(`data channel "${key}" is ${e.channel.readyState}`);
      e.channel.send(String(text));  // throws when over the SCTP max-message-size
      e.info.sentCount++;
      e.dirty = true;
      scheduleRender();
    }

    // --------------------------------------------------------- push-to-talk

    const talk = {
      sender: null,    // the sendrecv audio transceiver's sender, null when not offered
      track: null,     // the microphone, once granted (this session only)
      on: null,        // the sender the track is put on
      held: false,     // button (or space) down
      pending: 0,      // generation of an unanswered getUserMedia, 0 if none
      reason: null,    // why the microphone is unavailable
      gen: 1,          // bumped by stopMic(): a getUserMedia answered after it is dropped
    };
    api.talk = { offered: false, state: 'off', reason: null, latched };

    function talkState() {
      if (!talk.sender) return 'off';
      if (talk.reason) return 'refused';
      if (talk.pending) return 'requesting';
      if (!talk.track) return 'idle';
      return talk.track.enabled ? 'talking' : 'muted';
    }

    function press() {
      talk.held = true;
      if (!talk.sender) return;
      if (talk.track) applyMic();
      else if (!talk.pending) requestMic();
      renderTalk();
    }

    function release() {
      if (!talk.held) return;
      talk.held = false;
      if (talk.track) applyMic();
      renderTalk();
    }

    // Needs a secure context (https or localhost; elsewhere
    // navigator.mediaDevices does not exist) and, in most browsers, a user
    // gesture: the first press is one.
    async function requestMic() {
      talk.reason = null;
      const md = navigator.mediaDevices;
      if (!md || !md.getUserMedia) {
        talk.reason = window.isSecureContext === false
          ? 'not a secure context (open the page over https or on localhost)'
          : 'this browser has no getUserMedia';
        renderTalk();
        return;
      }
      const gen = talk.gen;
      talk.pending = gen;
      renderTalk();
      let stream;
      try {
        stream = await md.getUserMedia({ audio: true });
      } catch (e) {
        if (gen !== talk.gen) return;
        talk.pending = 0;
        talk.reason = `${e.name}${e.message ? `: ${e.message}` : ''}`;
        renderTalk();
        return;
      }
      const track = stream.getAudioTracks()[0];
      if (gen !== talk.gen || !talk.sender || !track) {
        stream.getTracks().forEach((t) => t.stop());  // nobody to talk to any more
        if (gen === talk.gen) {
          talk.pending = 0;
          if (!track) talk.reason = 'no audio track in the microphone stream';
          renderTalk();
        }
        return;
      }
      talk.pending = 0;
      talk.track = track;
      track.onended = () => {  // unplugged, or the permission was revoked
        if (talk.track !== track) return;
        talk.track = talk.on = null;
        talk.reason = 'the microphone stopped';
        renderTalk();
      };
      applyMic();
      renderTalk();
    }

    // The microphone on the current sender (replaceTrack needs no
    // renegotiation: the m-line is already sendrecv), enabled while held.
    function applyMic() {
      talk.track.enabled = talk.held || latched;
      if (!talk.sender || talk.on === talk.sender) return;
      talk.on = talk.sender;
      const gen = talk.gen;
      talk.sender.replaceTrack(talk.track).catch((e) => {
        if (gen === talk.gen) addError(`push-to-talk: replaceTrack: ${e.message}`);
      });
    }

    function stopMic() {
      talk.gen++;
      if (talk.track) {
        talk.track.onended = null;
        talk.track.stop();  // the browser's recording indicator goes off with the session
      }
      talk.track = talk.on = null;
      talk.pending = 0;
    }

    // ---------------------------------------------------- session interface

    function attach(sess) {
      if (attached) detach(attached);
      attached = sess;
      sess.pc.ondatachannel = (ev) => onChannel(sess, ev.channel);
    }

    // An offer (first or renegotiated) has been set as the remote description.
    function remoteOffer(sess, sdp) {
      if (sess !== attached) return;
      const mid = talkbackMid(sdp);
      let t = null;
      if (mid !== null) {
        const ts = sess.pc.getTransceivers().filter((x) => !x.stopped && x.currentDirection !== 'stopped');
        t = mid !== '' ? ts.find((x) => x.mid === mid)
          : ts.find((x) => x.receiver.track && x.receiver.track.kind === 'audio');
        try {
          if (t) t.direction = 'sendrecv';
        } catch (e) {
          addError(`push-to-talk: cannot answer sendrecv: ${e.message}`);
          t = null;
        }
      }
      talk.sender = t ? t.sender : null;
      if (!talk.sender) stopMic();  // a renegotiation took talkback away
      else if (talk.track) applyMic();
      else if (latched && !talk.pending && !talk.reason) press();
      renderTalk();
    }

    function detach(sess) {
      if (sess !== attached) return;
      attached = null;
      sess.pc.ondatachannel = null;
      for (const e of [...entries.values()]) forget(e);
      api.channelsIgnored = 0;
      stopMic();
      talk.sender = null;
      talk.reason = null;
      talk.held = false;
      scheduleRender();
      renderTalk();
    }

    // ------------------------------------------------------------------ UI

    // Messages can arrive far faster than the screen refreshes: the api is
    // updated at once, the DOM once per animation frame.
    function scheduleRender() {
      if (!raf) raf = requestAnimationFrame(renderChannels);
    }

    function el(tag, className, text) {
      const n = document.createElement(tag);
      if (className) n.className = className;
      if (text !== undefined) n.textContent = text;
      return n;
    }

    function buildEntry(e) {
      const li = el('li', 'channel');
      const head = el('div', 'channel-head');
      const name = el('span', 'name', e.key);
      name.title = e.info.protocol ? `protocol ${e.info.protocol}` : 'no sub-protocol';
      const state = el('span', 'state');
      head.append(name, state);
      const props = el('div', 'channel-props muted');
      const msgs = el('ul', 'messages');
      li.append(head, props, msgs);
      $('channel-list').append(li);
      e.dom = { li, state, props, msgs };
    }

    function renderEntry(e) {
      if (!e.dom) buildEntry(e);
      const { info, dom } = e;
      dom.state.textContent = info.readyState;
      dom.state.dataset.state = info.readyState;
      const dash = (v) => (v == null ? '–' : String(v));
      dom.props.textContent = `${info.ordered ? 'ordered' : 'unordered'} · maxRetransmits ${dash(info.maxRetransmits)}`
        + ` · maxPacketLifeTime ${info.maxPacketLifeTime == null ? '–' : `${info.maxPacketLifeTime} ms`}`
        + ` · ${info.receivedCount} received · ${info.sentCount} sent`;
      // textContent only: a message is the producer's data, never markup.
      dom.msgs.replaceChildren(...info.received.map((m) => el('li', 'bytes' in m ? 'binary' : '', messageText(m))));
      e.dirty = false;
    }

    function renderChannels() {
      raf = 0;
      for (const e of entries.values()) if (e.dirty) renderEntry(e);
      if (!listDirty) return;
      listDirty = false;
      $('channels').hidden = entries.size === 0 && api.channelsIgnored === 0;
      const more = $('channels-more');
      more.hidden = api.channelsIgnored === 0;
      more.textContent = `${api.channelsIgnored} more channel(s) not shown (at most ${MAX_CHANNELS}).`;
      // The selector lists open channels; rebuilt only when that set changes,
      // keeping the choice.
      const pick = $('channel-pick');
      const open = [...entries.values()].filter((e) => e.info.readyState === 'open').map((e) => e.key);
      const have = [...pick.options].map((o) => o.value);
      if (open.join('\n') !== have.join('\n')) {
        const chosen = pick.value;
        pick.replaceChildren(...open.map((k) => new Option(k, k, false, k === chosen)));
      }
      pick.disabled = $('channel-text').disabled = $('channel-send-btn').disabled = open.length === 0;
    }

    const TALK_LABEL = {
      off: '', idle: 'microphone not used yet', requesting: 'asking for the microphone…',
      talking: 'talking', muted: 'muted',
    };

    function renderTalk() {
      const state = talkState();
      Object.assign(api.talk, { offered: !!talk.sender, state, reason: state === 'refused' ? talk.reason : null });
      const btn = $('talk'), label = $('talk-state');
      btn.hidden = label.hidden = !talk.sender;
      btn.setAttribute('aria-pressed', String(state === 'talking'));
      btn.textContent = latched ? 'Held (talk=1)' : state === 'talking' ? 'Talking…' : 'Hold to talk';
      label.dataset.state = state;
      label.textContent = state === 'refused' ? `microphone refused: ${talk.reason}` : TALK_LABEL[state];
    }

    $('channel-send').onsubmit = (ev) => {
      ev.preventDefault();  // never a form submission (the CSP forbids it anyway)
      const input = $('channel-text');
      try {
        sendOn($('channel-pick').value, input.value);
        input.value = '';
      } catch (e) {
        addError(`send: ${e.message}`);
      }
    };

    // Hold to talk: the pointer is captured so that releasing it outside the
    // button still ends the talk; Space works while the button has focus.
    // Anything that can swallow the release (focus or page lost) ends it too.
    const btn = $('talk');
    btn.onpointerdown = (ev) => {
      if (ev.button !== 0) return;
      btn.setPointerCapture(ev.pointerId);
      press();
    };
    btn.onpointerup = btn.onpointercancel = btn.onlostpointercapture = () => release();
    btn.oncontextmenu = (ev) => ev.preventDefault();  // a long touch is a hold, not a menu
    btn.onkeydown = (ev) => {
      if (ev.key !== ' ') return;
      ev.preventDefault();  // no page scroll
      if (!ev.repeat) press();
    };
    btn.onkeyup = (ev) => {
      if (ev.key === ' ') release();
    };
    btn.onblur = () => release();
    window.addEventListener('blur', () => release());
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) release();
    });

    renderChannels();
    renderTalk();
    return { attach, remoteOffer, detach };
  }

  return Object.freeze({ create });
})();
