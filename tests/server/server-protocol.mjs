// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Standalone server cases: the protocol (every message type, v1.1, errors), HTTP, health.
import {
  ANSWER, assert, assertEqual, client, closeSync, execFileSync, expectError, expectNext, failingServer, ftruncateSync, health, heapMb, http, https, ICE, join, log, mkdirSync, net, NO_SESSION, OFFER, openSync, quiet, readFileSync, relayed, request, SERVER, setStatus, startServer, startSession, statusOf, stillAnswers, symlinkSync, tmp, UNDER_ASAN, until, writeFileSync, WsClient,
} from './server-lib.mjs';

export const cases = {};

// ------------------------------------------------------------------ cases


cases.help = async () => {
  const help = execFileSync(SERVER, ['--help'], { encoding: 'utf8' });
  for (const opt of ['--host=ADDRESS', '--port=PORT', '--cert=FILE', '--key=FILE', '--web-root=DIR', '--version', '--help'])
    assert(help.includes(opt), `--help lists ${opt}`);
  for (const words of ['gst-webrtc-signalling-server', 'gstwebrtc-api', '/health', '/publish.html', '0 = pick a free port',
    'wss://', 'SIGTERM', '1001', 'G_MESSAGES_DEBUG'])
    assert(help.includes(words), `--help mentions ${words}`);
  const version = execFileSync(SERVER, ['--version'], { encoding: 'utf8' });
  assert(/^webrtclive-signalling-server \d+\.\d+\.\d+ /.test(version), `--version prints the version: ${version}`);
  for (const [args, pattern] of [[['--bogus'], /bogus/], [['extra-arg'], /extra-arg/], [['--port', '70000'], /70000/],
    [['--cert', '/tmp/x.pem'], /--key/]]) {
    const r = await failingServer(args, 5000, 2);
    assert(r.code === 2, `${args.join(' ')} exits with 2, got ${r.code}`);
    assert(pattern.test(r.out), `${args.join(' ')}: the message matches ${pattern}`);
  }
};

cases.conformance = async () => {
  const s = await startServer();
  const L = await client(s, 'listener');
  // A listener hears its own status: gstwebrtc-api's "ready" signal.
  await setStatus(L, ['listener'], { name: 'watcher' }, [L]);
  await quiet(L);

  const P = await client(s, 'producer');
  const camMeta = { name: 'cam', nested: { a: [1, 2.5, 'x'], b: null } };
  await setStatus(P, ['producer'], camMeta, [L]);
  await quiet(P);  // not a listener: hears nothing, not even its own status

  const PC = await client(s, 'passive-consumer');
  await setStatus(PC, ['consumer'], { name: 'passive' }, [L]);

  L.send({ type: 'list' });
  assertEqual(await expectNext(L, 'list'), { type: 'list', producers: [{ id: P.id, meta: camMeta }] },
    'list names the producer with its meta');
  L.send({ type: 'listConsumers' });
  assertEqual(await expectNext(L, 'listConsumers'), { type: 'listConsumers', consumers: [{ id: PC.id, meta: { name: 'passive' } }] },
    'listConsumers names the passive consumer with its meta');

  // A session the producer offers in (consumer without roles, as gstwebrtc-api).
  const C = await client(s, 'consumer');
  const sid = await startSession(C, P);
  const offer = { type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } };
  await relayed(P, C, offer, 'the offer');
  await relayed(C, P, { type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: ANSWER } }, 'the answer');
  await relayed(P, C, { type: 'peer', sessionId: sid, ice: ICE }, 'an ICE candidate');
  await relayed(C, P, { type: 'peer', sessionId: sid, ice: { candidate: 'candidate:2 1 UDP 1 127.0.0.1 4 typ host', sdpMLineIndex: 1 } },
    'an ICE candidate');

  // A consumer's offer belongs in startSession, never in `peer`.
  C.send({ type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } });
  await expectError(C, /offer/, 'an SDP offer in peer from the consumer');
  await quiet(P);

  // A session the consumer offers in.
  const C2 = await client(s, 'offering-consumer');
  const sid2 = await startSession(C2, P, OFFER);
  assert(sid2 !== sid, 'each session has its own id');
  await relayed(P, C2, { type: 'peer', sessionId: sid2, sdp: { type: 'answer', sdp: ANSWER } }, 'the producer\'s answer');
  await relayed(C2, P, { type: 'peer', sessionId: sid2, ice: ICE }, 'an ICE candidate');

  // Errors.
  const X = await client(s, 'x');
  X.send({ type: 'setPeerStatus', roles: ['producer', 'consumer'], meta: null });
  await expectError(X, /producer.*consumer|consumer.*producer/, 'roles producer + consumer');
  X.send({ type: 'peer', sessionId: NO_SESSION, ice: ICE });
  await expectError(X, /session/, 'peer in an unknown session');
  X.send({ type: 'endSession', sessionId: NO_SESSION });
  await expectError(X, /session/, 'endSession of an unknown session');
  X.send({ type: 'peer', sessionId: sid, ice: ICE });
  await expectError(X, /session/, 'peer in a session of others');
  X.send({ type: 'endSession', sessionId: sid });
  await expectError(X, /session/, 'endSession of a session of others');
  X.send({ type: 'startSession', peerId: NO_SESSION });
  await expectError(X, /peer/, 'startSession to an unknown peer');
  X.send({ type: 'startSession', peerId: X.id });
  await expectError(X, /oneself|self/, 'startSession to oneself');
  X.send({ type: 'startSession', peerId: L.id });
  await expectError(X, /producer|consumer/, 'startSession to a peer that is neither producer nor consumer');
  await quiet(P);
  await quiet(C);
  await quiet(L, 150, (m) => m.peerId === X.id);  // the refused status was not announced

  // endSession: the other side is told, the sender is not; the session is gone.
  C.send({ type: 'endSession', sessionId: sid });
  assertEqual(await expectNext(P, 'endSession'), { type: 'endSession', sessionId: sid }, 'the producer hears endSession');
  await quiet(C);
  C.send({ type: 'peer', sessionId: sid, ice: ICE });
  await expectError(C, /session/, 'peer in an ended session');

  const h = await health(s);
  assertEqual({ peers: h.peers, sessions: h.sessions }, { peers: 6, sessions: 1 }, '/health counts 6 peers and 1 session');
  for (const ws of [L, P, PC, C, C2, X]) assert(ws.closeInfo === null, `${ws.name} is still connected`);
};

cases['reverse-direction'] = async () => {
  const s = await startServer();
  const L = await client(s, 'listener');
  await setStatus(L, ['listener'], null, [L]);

  // A browser publishes: listener + producer; a GStreamer consumer starts the session.
  const B = await client(s, 'browser');
  await setStatus(B, ['listener', 'producer'], { name: 'camera' }, [B, L]);
  const G = await client(s, 'gst-consumer');
  await setStatus(G, [], null, [B, L]);
  G.send({ type: 'list' });
  assertEqual(await expectNext(G, 'list'), { type: 'list', producers: [{ id: B.id, meta: { name: 'camera' } }] },
    'the consumer finds the browser in list');
  const sid = await startSession(G, B);
  await relayed(B, G, { type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } }, 'the browser\'s offer');
  await relayed(G, B, { type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: ANSWER } }, 'the answer');
  await relayed(G, B, { type: 'peer', sessionId: sid, ice: ICE }, 'an ICE candidate');
  await relayed(B, G, { type: 'peer', sessionId: sid, ice: ICE }, 'an ICE candidate');

  // A passive consumer (role consumer) receives startSession from a producer.
  const PC = await client(s, 'passive-consumer');
  await setStatus(PC, ['consumer'], { name: 'recv' }, [B, L]);
  const P = await client(s, 'producer');
  await setStatus(P, ['producer'], { name: 'p2' }, [B, L]);
  const sid2 = await startSession(P, PC);
  await relayed(P, PC, { type: 'peer', sessionId: sid2, sdp: { type: 'offer', sdp: OFFER } }, 'the producer\'s offer');
  PC.send({ type: 'peer', sessionId: sid2, sdp: { type: 'offer', sdp: OFFER } });
  await expectError(PC, /offer/, 'an offer from the passive consumer');
  await relayed(PC, P, { type: 'peer', sessionId: sid2, sdp: { type: 'answer', sdp: ANSWER } }, 'the consumer\'s answer');
  await relayed(PC, P, { type: 'peer', sessionId: sid2, ice: ICE }, 'an ICE candidate');
  P.send({ type: 'startSession', peerId: PC.id, offer: OFFER });
  await expectError(P, /offer/, 'startSession with an offer to a passive consumer');

  // Dropping a role ends the sessions held in it.
  await setStatus(PC, [], { name: 'recv' }, [B, L]);
  assertEqual(await expectNext(P, 'endSession'), { type: 'endSession', sessionId: sid2 },
    'a consumer dropping role consumer ends its session; the producer is told');
  await setStatus(B, ['listener'], { name: 'camera' }, [B, L]);
  assertEqual(await expectNext(G, 'endSession'), { type: 'endSession', sessionId: sid },
    'a producer dropping role producer ends its session; the consumer is told');
  await quiet(G);
  await quiet(P);
  assertEqual((await health(s)).sessions, 0, 'no session left');
};

cases.v1_1 = async () => {
  const s = await startServer();
  const v11 = async (name) => {
    const ws = await client(s, name);
    ws.send({ type: 'setProtocolVersion', version: 'v1_1' });
    return ws;
  };
  const P11 = await v11('producer-v1.1');
  await setStatus(P11, ['producer'], null);
  await quiet(P11);  // setProtocolVersion is not answered
  const C11 = await v11('consumer-v1.1');
  const P10 = await client(s, 'producer-v1.0');
  await setStatus(P10, ['producer'], null);

  // v1.1 to v1.1: the reason travels.
  const sid = await startSession(C11, P11);
  C11.send({ type: 'endSessionV1_1', sessionId: sid, error: 'the viewer closed the page' });
  assertEqual(await expectNext(P11, 'endSessionV1_1'),
    { type: 'endSessionV1_1', sessionId: sid, error: 'the viewer closed the page' }, 'a v1.1 peer gets endSessionV1_1 with the reason');
  const sidNull = await startSession(C11, P11);
  C11.send({ type: 'endSessionV1_1', sessionId: sidNull, error: null });
  assertEqual(await expectNext(P11, 'endSessionV1_1'), { type: 'endSessionV1_1', sessionId: sidNull, error: null },
    'endSessionV1_1 with error null');
  const sidPlain = await startSession(C11, P11);
  C11.send({ type: 'endSession', sessionId: sidPlain });
  assertEqual(await expectNext(P11, 'endSessionV1_1'), { type: 'endSessionV1_1', sessionId: sidPlain, error: null },
    'a v1.1 peer hears a plain endSession as endSessionV1_1 with error null');

  // v1.1 to v1.0: never endSessionV1_1.
  const sid2 = await startSession(C11, P10);
  C11.send({ type: 'endSessionV1_1', sessionId: sid2, error: 'bye' });
  assertEqual(await expectNext(P10, 'endSession'), { type: 'endSession', sessionId: sid2 },
    'a v1.0 peer gets plain endSession, without the reason');

  // endSessionV1_1 from a v1.0 peer is refused; the session lives on.
  const C10 = await client(s, 'consumer-v1.0');
  const sid3 = await startSession(C10, P11);
  C10.send({ type: 'endSessionV1_1', sessionId: sid3, error: 'x' });
  await expectError(C10, /v1_1|version/, 'endSessionV1_1 from a v1.0 peer');
  await quiet(P11);
  await relayed(P11, C10, { type: 'peer', sessionId: sid3, ice: ICE }, 'ICE in the session that was not ended');

  // A disconnect tells a v1.1 counterpart why.
  C10.destroy();
  const ended = await expectNext(P11, 'endSessionV1_1');
  assert(ended.sessionId === sid3 && typeof ended.error === 'string' && ended.error.length > 0,
    `a v1.1 peer is told why a session ended on disconnect: ${JSON.stringify(ended)}`);
  log(`  disconnect reason: "${ended.error}"`);

  // An explicit v1_0 is v1.0.
  const P10b = await client(s, 'producer-explicit-v1.0');
  P10b.send({ type: 'setProtocolVersion', version: 'v1_0' });
  await setStatus(P10b, ['producer'], null);
  const sid4 = await startSession(C11, P10b);
  C11.send({ type: 'endSessionV1_1', sessionId: sid4, error: 'bye' });
  assertEqual(await expectNext(P10b, 'endSession'), { type: 'endSession', sessionId: sid4 }, 'setProtocolVersion v1_0 gets endSession');

  // setProtocolVersion must come first, and name a known version.
  P10.send({ type: 'setProtocolVersion', version: 'v1_1' });
  await expectError(P10, /first/, 'setProtocolVersion after another message');
  const Z = await client(s, 'bad-version');
  Z.send({ type: 'setProtocolVersion', version: 'v2_0' });
  await expectError(Z, /version/, 'an unknown protocol version');
  await stillAnswers(Z, 'after a bad version');
  for (const ws of [P11, C11, P10, P10b]) await quiet(ws);
};

cases.malformed = async () => {
  const s = await startServer();
  const M = await client(s, 'malformed');
  const bad = [
    ['invalid JSON', '{"type": "list"'],
    ['not JSON at all', 'hello'],
    ['an array', '[1, 2]'],
    ['a string', '"list"'],
    ['no type', '{}'],
    ['a non-string type', '{"type": 42}'],
    ['an unknown type', { type: 'fly' }],
    ['startSession without peerId', { type: 'startSession' }],
    ['startSession with a numeric peerId', { type: 'startSession', peerId: 7 }],
    ['setPeerStatus without roles', { type: 'setPeerStatus', meta: null }],
    ['setPeerStatus with an unknown role', { type: 'setPeerStatus', roles: ['boss'], meta: null }],
    ['setPeerStatus with roles not an array', { type: 'setPeerStatus', roles: 'producer', meta: null }],
    ['peer without sessionId', { type: 'peer', ice: ICE }],
    ['peer without sdp or ice', { type: 'peer', sessionId: NO_SESSION }],
    ['peer with ice without sdpMLineIndex', { type: 'peer', sessionId: NO_SESSION, ice: { candidate: ICE.candidate } }],
    ['peer with an sdp of type pranswer', { type: 'peer', sessionId: NO_SESSION, sdp: { type: 'pranswer', sdp: OFFER } }],
    ['endSession without sessionId', { type: 'endSession' }],
    ['endSessionV1_1 without sessionId', { type: 'endSessionV1_1', error: null }],
    ['setProtocolVersion without version', { type: 'setProtocolVersion' }],
    // 75 KB, within the frame limit: json-glib's recursive parser overflowed
    // the server's stack on it (SIGSEGV).
    ['75,000 nested arrays', '['.repeat(75000), /nested deeper than 32/],
    ['20,000 nested objects in meta', `{"type":"setPeerStatus","roles":["producer"],"meta":${'{"a":'.repeat(20000)}`,
      /nested deeper than 32/],
  ];
  for (const [what, msg, want = /\S/] of bad) {
    M.send(msg);
    await expectError(M, want, what);
    await stillAnswers(M, what);
  }
  M.sendBinary(Buffer.from('{"type":"list"}'));
  await expectError(M, /binary/, 'a binary frame');
  await stillAnswers(M, 'a binary frame');
  // A message of 100 KB (within libsoup's 128 KiB frame limit) still works.
  const L = await client(s, 'listener');
  await setStatus(L, ['listener'], { pad: 'x'.repeat(100000) }, [L]);
  assert(M.closeInfo === null, 'the connection stayed open through every malformed message');
};

cases.disconnect = async () => {
  const s = await startServer();
  const L = await client(s, 'listener');
  await setStatus(L, ['listener'], null, [L]);
  const P = await client(s, 'producer');
  await setStatus(P, ['producer'], { name: 'cam' }, [L]);
  const C1 = await client(s, 'consumer1');
  const C2 = await client(s, 'consumer2');
  await setStatus(C2, ['listener'], { name: 'c2' }, [L, C2]);
  const sid1 = await startSession(C1, P);
  const sid2 = await startSession(C2, P, OFFER);
  assertEqual((await health(s)).sessions, 2, '/health counts 2 sessions');

  // The producer's TCP connection drops without a close frame.
  P.destroy();
  assertEqual(await expectNext(C1, 'endSession'), { type: 'endSession', sessionId: sid1 }, 'consumer1 is told its session ended');
  assertEqual(await C2.next((m) => m.type === 'endSession'), { type: 'endSession', sessionId: sid2 }, 'consumer2 is told too');
  for (const l of [L, C2])
    assertEqual(await statusOf(l, P), { type: 'peerStatusChanged', peerId: P.id, roles: [], meta: { name: 'cam' } },
      `${l.name} hears the producer leave with roles [] and its last meta`);
  L.send({ type: 'list' });
  assertEqual(await expectNext(L, 'list'), { type: 'list', producers: [] }, 'the producer is gone from list');

  // A clean close by a consumer that never set a status: nothing announced.
  const P2 = await client(s, 'producer2');
  await setStatus(P2, ['producer'], null, [L, C2]);
  const C3 = await client(s, 'consumer3');
  const sid3 = await startSession(C3, P2);
  const closed = await C3.close(1000, 'bye');
  assert(closed.code === 1000, `the server answers the close frame with 1000, got ${JSON.stringify(closed)}`);
  assertEqual(await expectNext(P2, 'endSession'), { type: 'endSession', sessionId: sid3 }, 'producer2 is told');
  await quiet(L, 200, (m) => m.peerId === C3.id);
  const h = await until('/health to count 4 peers', async () => {
    const x = await health(s);
    return x.peers === 4 && x;
  });
  assertEqual(h.sessions, 0, 'no session left');
};

cases.http = async () => {
  const s = await startServer();
  const index = await request(`${s.http}/`);
  assert(index.status === 200 && /text\/html/.test(index.type) && /<html/i.test(index.body) && index.body.includes('gst-webrtc-live'),
    `/ serves the viewer page (${index.status} ${index.type})`);
  const publish = await request(`${s.http}/publish.html`);
  assert(publish.status === 200 && /text\/html/.test(publish.type) && /<script/i.test(publish.body), '/publish.html serves the publishing page');
  const js = await request(`${s.http}/app.js`);
  assert(js.status === 200 && /javascript/.test(js.type), '/app.js is JavaScript');
  const channelsJs = await request(`${s.http}/channels.js`);
  assert(channelsJs.status === 200 && /javascript/.test(channelsJs.type), '/channels.js (the viewer\'s data channels) is JavaScript');
  const plotsJs = await request(`${s.http}/plots.js`);
  assert(plotsJs.status === 200 && /javascript/.test(plotsJs.type), '/plots.js (the viewer\'s live plots) is JavaScript');
  // Security headers on every page and file: no inline script, no framing,
  // no sniffing (the pages themselves have no inline script or style).
  for (const r of [index, publish, js]) {
    const csp = r.headers['content-security-policy'] || '';
    for (const directive of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
      assert(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    assert(!/unsafe-inline|unsafe-eval/.test(csp), 'no unsafe-inline or unsafe-eval');
    assert(r.headers['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
    assert(r.headers['x-frame-options'] === 'DENY', 'X-Frame-Options: DENY');
  }
  for (const page of [index, publish])
    assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(page.body) && !/\sstyle=/i.test(page.body) && !/\son[a-z]+=/i.test(page.body),
      'the pages carry no inline script, style or event handler');
  assert((await request(`${s.http}/nothing-here.html`)).status === 404, 'a missing file is 404');
  assert((await request(`${s.http}/`, { method: 'POST' })).status === 405, 'POST is 405');
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']) {
    const r = await request(`${s.http}/`, { path });
    assert(r.status === 404 && !r.body.includes('root:'), `${path} stays inside the pages (${r.status})`);
  }
  const h = await request(`${s.http}/health`);
  assert(h.status === 200 && h.type === 'application/json', `/health is JSON (${h.status} ${h.type})`);
  const body = JSON.parse(h.body);
  assertEqual(Object.keys(body).sort(), ['peers', 'sessions', 'status', 'uptime_s'], '/health fields');
  assert(body.status === 'ok' && body.peers === 0 && body.sessions === 0 && Number.isInteger(body.uptime_s) && body.uptime_s >= 0,
    `/health values: ${h.body}`);
  // The upgrade works on any path.
  const ws = await WsClient.connect(`${s.ws}some/path?x=1`);
  assert((await ws.next()).type === 'welcome', 'welcome on an arbitrary path');
  assertEqual((await health(s)).peers, 1, '/health counts the connected peer');
  ws.destroy();
};

cases['web-root'] = async () => {
  const d = tmp();
  const root = join(d, 'www');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>my own page</title>');
  writeFileSync(join(root, 'notes.txt'), 'plain notes');
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub index</p>');
  writeFileSync(join(d, 'secret.txt'), 'outside the web root');
  const s = await startServer(['--web-root', root]);
  const index = await request(`${s.http}/`);
  assert(index.status === 200 && index.body.includes('my own page'), 'a file of --web-root wins over the built-in page');
  const notes = await request(`${s.http}/notes.txt`);
  assert(notes.status === 200 && notes.body === 'plain notes' && /text\/plain/.test(notes.type), 'other files of --web-root are served');
  assert((await request(`${s.http}/sub/`)).body === '<p>sub index</p>', 'a directory path serves its index.html');
  const js = await request(`${s.http}/app.js`);
  assert(js.status === 200 && /javascript/.test(js.type) && js.body.length > 100, 'built-in files not in --web-root are still served');
  const publish = await request(`${s.http}/publish.html`);
  assert(publish.status === 200 && /<html/i.test(publish.body), 'the built-in /publish.html is still served');
  for (const path of ['/%2e%2e/secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
    const r = await request(`${s.http}/`, { path });
    assert(r.status >= 400 && !r.body.includes('outside'), `${path} is refused (${r.status})`);
  }
  const raw = await new Promise((resolve) => {  // unnormalised, as a hand-written client could send it
    const sock = net.connect(s.port, '127.0.0.1', () => sock.write('GET /../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let buf = '';
    sock.on('data', (x) => { buf += x; });
    sock.on('close', () => resolve(buf));
  });
  assert(!raw.includes('outside the web root'), `a raw /../ does not leave the web root: ${raw.split('\r\n')[0]}`);
  // Dotfiles and dot directories are never served (a web root that is a
  // checkout has .git/config); a symlink out of the root is not followed;
  // a symlink within it is.
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), '[remote] url = secret');
  writeFileSync(join(root, '.env'), 'TOKEN=secret');
  symlinkSync(join(d, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(root, 'notes.txt'), join(root, 'link-in.txt'));
  for (const path of ['/.git/config', '/.env', '/link-out.txt', '/sub/../.env']) {
    const r = await request(`${s.http}${path}`);
    assert(r.status === 404 && !/secret|outside/.test(r.body), `${path} is not served (${r.status})`);
  }
  assert((await request(`${s.http}/link-in.txt`)).body === 'plain notes', 'a symlink inside the root is followed');
  // A large file is sent from a mapping, not read into the server's memory.
  const big = join(root, 'big.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 200 * 1024 * 1024);
  closeSync(fd);
  // Anonymous memory: mapped file pages are the page cache's, not the heap's.
  const rss = () => Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]) / 1024;
  const before = rss();
  const got = await new Promise((resolve, reject) => {
    http.get(`${s.http}/big.bin`, (res) => {
      let n = 0;
      let peak = 0;
      res.on('data', (c) => { n += c.length; if ((n & 0xffffff) < c.length) peak = Math.max(peak, rss()); });
      res.on('end', () => resolve({ status: res.statusCode, n, peak }));
    }).on('error', reject);
  });
  log(`200 MiB GET: ${got.n} bytes, server heap (RssAnon) ${before.toFixed(1)} MB before, peak ${got.peak.toFixed(1)} MB during`);
  assert(got.status === 200 && got.n === 200 * 1024 * 1024, `the whole file (${got.n} bytes)`);
  assert(Boolean(process.env.ASAN_OPTIONS) || got.peak - before < 50,
    `the server's heap grew by ${(got.peak - before).toFixed(1)} MB (limit 50)`);
  const missing = await failingServer(['--web-root', join(d, 'nope')]);
  assert(missing.code === 1 && missing.out.includes(join(d, 'nope')), 'a missing --web-root is named');
};

cases.origin = async () => {
  // Cross-site WebSocket hijacking: any page a LAN user visits could drive
  // the signalling. Browsers always send Origin; only the server's own
  // pages, --allowed-origin ones and clients without Origin get in.
  const refused = async (s, origin, what) => {
    const err = await WsClient.connect(s.ws, { headers: { Origin: origin } }).then((ws) => { ws.destroy(); return null; },
      (e) => e);
    assert(err && /403/.test(err.message), `${what} (${origin}) is refused with 403: ${err && err.message}`);
  };
  const s = await startServer();
  await refused(s, 'https://evil.example', 'a foreign origin');
  await refused(s, 'null', 'the opaque origin of a sandboxed frame or file:// page');
  await refused(s, `http://127.0.0.1:${s.port + 1}`, 'another port of the same host');
  await refused(s, `https://127.0.0.1:${s.port}`, 'the same host and port over another scheme');
  const same = await client(s, 'same-origin', { headers: { Origin: `http://127.0.0.1:${s.port}` } });
  await stillAnswers(same, 'a page of the server itself');
  await stillAnswers(await client(s, 'no-origin'), 'a client without Origin (not a browser)');
  const page = await request(`${s.http}/`);
  assert(page.status === 200, 'the pages themselves stay public');
  const allowed = await startServer(['--allowed-origin', 'https://app.example', '--allowed-origin', 'http://other:1']);
  await stillAnswers(await client(allowed, 'allowed', { headers: { Origin: 'https://app.example' } }), 'an allowed origin');
  await stillAnswers(await client(allowed, 'allowed2', { headers: { Origin: 'http://other:1' } }), 'a second one');
  await refused(allowed, 'https://evil.example', 'a foreign origin with a list');
  const any = await startServer(['--allowed-origin', '*']);
  await stillAnswers(await client(any, 'any', { headers: { Origin: 'https://evil.example' } }), '* allows any origin');
};

cases['request-body'] = async () => {
  // No handler takes a body: a 64 MB POST is answered 405 and costs the
  // server no memory (libsoup collected whole bodies before).
  const s = await startServer();
  const before = heapMb(s);
  const status = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/',
      headers: { 'content-length': 64 * 1024 * 1024 } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve('closed') : reject(e)));
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < 64 && req.write(chunk)) sent++;
      if (sent < 64) req.once('drain', () => { sent++; pump(); }); else req.end();
    };
    pump();
  });
  const grew = heapMb(s) - before;
  log(`64 MB POST: ${status}; server heap +${grew.toFixed(1)} MB`);
  assert(status === 405 || status === 'closed', `refused (${status})`);
  assert(UNDER_ASAN || grew < 16, `the body was not collected (+${grew.toFixed(1)} MB)`);
  await stillAnswers(await client(s, 'after'), 'a client after it');
};

cases['limit-options'] = async () => {
  // Each limit is an option: sessions per connection and message size.
  const s = await startServer(['--max-sessions-per-connection', '2', '--max-message-size', '4096']);
  const P = await client(s, 'producer');
  await setStatus(P, ['producer'], { name: 'cam' }, []);
  const C = await client(s, 'consumer');
  await startSession(C, P);
  await startSession(C, P);
  C.send({ type: 'startSession', peerId: P.id });
  await expectError(C, /too many sessions: one connection may have 2 at a time/, 'a third session');
  C.send({ type: 'list', pad: 'x'.repeat(5000) });
  await expectError(C, /at most 4096/, 'a 5 KB message');
  await stillAnswers(C, 'the consumer');
};

