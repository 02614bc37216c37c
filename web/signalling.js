// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gst-webrtc-live browser pages: the signalling plumbing shared by the viewer
// (app.js) and the publisher (publish.js), both peers of the
// gst-webrtc-signalling-server JSON protocol (the project's signalling-protocol
// doc). A plain script, no dependencies, no build step: each HTML page loads it
// before its own script, and it defines `window.WebRTCLiveSignalling`:
//
//   wsUrl(params)                    the signalling URL: ?ws= or this page's /ws
//   wsProtocols(params)              WebSocket subprotocols carrying ?token=, if any
//   iceConfig(params, addError)      Promise of {iceServers, iceTransportPolicy}: the
//                                    server's /ice-servers.json, or ?ice= when given
//   errorList(list, name, onChange)  {add(text), render(ul)} over an error array
//   isMdns(candidate)                an ICE candidate with an mDNS (.local) host
//   connection({...})                {connect(), send(msg, quiet)}: the reconnecting
//                                    WebSocket with its serial inbox
//   candidates({...})                {sessionIdKnown(), addRemote(ice),
//                                    remoteDescriptionSet()}: ICE of one session
//
// Everything page-specific (roles, sessions, what a closed socket means for
// them, the test hooks) stays in the page's script.
'use strict';

window.WebRTCLiveSignalling = (() => {
  const RECONNECT_MS = 1000;         // wait before reconnecting a closed socket...
  const RECONNECT_JITTER_MS = 1000;  // ...plus up to this much at random

  // ?ws=URL, else /ws on the server that served the page (wss:// under https).
  // A ?token= goes on as the WebSocket subprotocol "webrtclive.token.TOKEN"
  // (browsers cannot set an Authorization header on a WebSocket, and a URL
  // query ends up in logs); only a token with characters a subprotocol
  // cannot carry goes on as ?token=.
  const SUBPROTOCOL_SAFE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
  function wsUrl(params) {
    const url = params.get('ws') ||
      (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    const token = params.get('token');
    if (!token || SUBPROTOCOL_SAFE.test(token)) return url;
    return url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
  }
  function wsProtocols(params) {
    const token = params.get('token');
    return token && SUBPROTOCOL_SAFE.test(token) ? ['webrtclive', 'webrtclive.token.' + token] : undefined;
  }

  // The ICE servers and policy for one RTCPeerConnection. The server that
  // served the page says which at GET /ice-servers.json (its STUN/TURN
  // servers, TURN credentials made for this request), with the page's
  // ?token= as a Bearer token; call it per connection, the credentials
  // expire. A hand-made ?ice= wins: JSON of an array of RTCIceServer,
  // {iceServers: [...], iceTransportPolicy} or a single RTCIceServer (a parse
  // error is reported through addError and ignored). A server without the
  // endpoint (404) or any failure: no ICE servers, never a public one.
  const NO_ICE = Object.freeze({ iceServers: [], iceTransportPolicy: 'all' });
  function iceShape(v) {
    const servers = Array.isArray(v) ? v : (Array.isArray(v.iceServers) ? v.iceServers : [v]);
    return {
      iceServers: servers.filter((s) => s && (typeof s.urls === 'string' || Array.isArray(s.urls))),
      iceTransportPolicy: v && v.iceTransportPolicy === 'relay' ? 'relay' : 'all',
    };
  }
  async function iceConfig(params, addError) {
    if (params.has('ice')) {
      try {
        return iceShape(JSON.parse(params.get('ice')));
      } catch (e) {
        addError(`ignoring ice= parameter: ${e.message}`);
        return NO_ICE;
      }
    }
    const headers = {};
    if (params.get('token')) headers.Authorization = 'Bearer ' + params.get('token');
    try {
      const r = await fetch('/ice-servers.json', { headers, cache: 'no-store' });
      if (r.status === 404) return NO_ICE;
      if (!r.ok) {
        addError(`/ice-servers.json: HTTP ${r.status}; going on without ICE servers`);
        return NO_ICE;
      }
      return iceShape(await r.json());
    } catch (e) {
      addError(`/ice-servers.json: ${e.message}; going on without ICE servers`);
      return NO_ICE;
    }
  }

  // The page's error list (`list` is the array its test hook exposes): add()
  // appends, logs with `name` and calls onChange(); render(ul) appends to the
  // <ul> the errors it does not show yet.
  function errorList(list, name, onChange) {
    let shown = 0;
    return {
      add(text) {
        list.push(String(text));
        console.warn(`${name}:`, text);
        onChange();
      },
      render(ul) {
        for (; shown < list.length; shown++) {
          const li = document.createElement('li');
          li.textContent = list[shown];
          ul.append(li);
        }
      },
    };
  }

  // mDNS host names (xxxx.local) hide a host's real address. webrtcbin cannot
  // resolve them, so sending ours only produces errors on the other side; the
  // connection still forms through peer-reflexive candidates. Remote ones are
  // dropped too, for symmetry. Field 4 of "candidate:f c proto prio ADDRESS port typ t".
  function isMdns(candidate) {
    const fields = candidate.trim().split(/\s+/);
    return fields.length > 4 && fields[4].toLowerCase().endsWith('.local');
  }

  // The WebSocket to the signalling server, reopened (after RECONNECT_MS plus
  // jitter) whenever it closes; a URL the browser refuses outright is reported
  // once and not retried.
  //
  //   url         the signalling URL
  //   status      the page's test hook: `signalling` ('connecting' | 'open' |
  //               'closed') and `peerId` (set by `welcome`, null once the
  //               socket closed) are kept up to date in it
  //   onMessage   (msg) => handles one parsed message; may return a promise
  //   onClose     () => what a lost socket means for the page (called after
  //               status is updated, before the reconnect is scheduled)
  //   addError    (text) => reports a problem
  //   render      () => redraws the page
  //
  // Returns {connect() (the first connection), send(msg, quiet)}. send()
  // returns false, and unless `quiet` reports it, when the socket is not open.
  function connection(opts) {
    const { url, protocols, status, onMessage, onClose, addError, render } = opts;
    let ws = null;
    let inbox = Promise.resolve();  // serial chain of incoming-message handlers

    function connect() {
      let sock;
      try {
        sock = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
      } catch (e) {
        status.signalling = 'closed';
        addError(`bad signalling URL ${url}: ${e.message}`);
        return;
      }
      ws = sock;
      status.signalling = 'connecting';
      sock.onopen = () => { if (ws === sock) { status.signalling = 'open'; render(); } };
      sock.onmessage = (ev) => enqueue(sock, ev.data);
      sock.onclose = () => onSocketClosed(sock);
      render();
    }

    function onSocketClosed(sock) {
      if (ws !== sock) return;
      ws = null;
      status.signalling = 'closed';
      status.peerId = null;
      if (onClose) onClose();
      setTimeout(connect, RECONNECT_MS + Math.random() * RECONNECT_JITTER_MS);
      render();
    }

    function send(msg, quiet = false) {
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        if (!quiet) addError(`cannot send ${msg.type}: signalling is not connected`);
        return false;
      }
      ws.send(JSON.stringify(msg));
      return true;
    }

    // Incoming messages are handled strictly one after another. Handlers await
    // setRemoteDescription / createOffer / createAnswer, and Chromium rejects an
    // addIceCandidate that runs while setRemoteDescription is still pending; a
    // promise chain makes every candidate wait for the description that came
    // before it.
    function enqueue(sock, data) {
      inbox = inbox
        .then(() => {
          if (sock !== ws) return undefined;  // a message from a socket we dropped
          let msg;
          try {
            msg = JSON.parse(data);
          } catch (e) {
            addError(`invalid JSON from server: ${e.message}`);
            return undefined;
          }
          // The server's name for this socket; the page answers `welcome` itself.
          if (msg && msg.type === 'welcome') status.peerId = msg.peerId;
          return onMessage(msg);
        })
        .catch((e) => addError(`while handling a message: ${e.message || e}`))
        .then(() => render());
    }

    return { connect, send };
  }

  // The ICE candidates of one session (one RTCPeerConnection); takes over
  // pc.onicecandidate.
  //
  //   pc          the RTCPeerConnection
  //   sessionId   () => the session's id, or null while the server has not
  //               named it yet
  //   send        the connection's send()
  //   onAddError  (init, error) => a remote candidate addIceCandidate refused
  //
  // Returns {sessionIdKnown(), addRemote(ice), remoteDescriptionSet()}.
  function candidates(opts) {
    const { pc, sessionId, send, onAddError } = opts;
    const localQueue = [];   // ours, waiting for the session id
    const remoteQueue = [];  // theirs, waiting for the remote description

    const sendLocal = (ice) => send({ type: 'peer', sessionId: sessionId(), ice }, true);

    pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      if (!c || !c.candidate || isMdns(c.candidate)) return;  // null/'' = end of candidates
      const ice = { candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 };
      // Candidates can only be addressed once the session id is known.
      if (sessionId()) sendLocal(ice); else localQueue.push(ice);
    };

    async function add(init) {
      try {
        await pc.addIceCandidate(init);
      } catch (e) {
        onAddError(init, e);
      }
    }

    return {
      // The session id just became known: send the candidates held for it.
      sessionIdKnown() {
        for (const ice of localQueue.splice(0)) sendLocal(ice);
      },
      // A candidate from the other side (the `ice` of a `peer` message).
      async addRemote(ice) {
        const candidate = String(ice.candidate || '').replace(/^a=/, '');
        if (!candidate || isMdns(candidate)) return;
        const init = { candidate, sdpMLineIndex: ice.sdpMLineIndex ?? 0 };
        // Candidates that arrive before the remote description wait for it.
        if (!pc.remoteDescription) remoteQueue.push(init);
        else await add(init);
      },
      // setRemoteDescription completed: add the candidates that waited for it.
      async remoteDescriptionSet() {
        for (const init of remoteQueue.splice(0)) await add(init);
      },
    };
  }

  return Object.freeze({ wsUrl, wsProtocols, iceConfig, errorList, isMdns, connection, candidates });
})();
