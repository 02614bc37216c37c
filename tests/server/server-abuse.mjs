// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Standalone server cases: tokens and JWT, TCP-level abuse, limits, TLS, logs.
import {
  ANSWER, assert, chmodSync, client, execFileSync, expectError, failingServer, health, heapMb, http, https, join, jwt, log, makeCertificate, mkdirSync, OFFER, quiet, rawConnect, relayed, request, requireOpenssl, setStatus, sleep, startServer, startSession, stillAnswers, tmp, UNDER_ASAN, until, writeFileSync, WsClient,
} from './server-lib.mjs';

export const cases = {};

// ------------------------------------------------------------------- JWT


cases.jwt = async () => {
  const secret = 'a-secret-of-more-than-32-bytes-for-hs256';
  const file = join(tmp(), 'secret');
  writeFileSync(file, secret + '\n');
  const s = await startServer(['--jwt-key', file]);
  const now = Math.floor(Date.now() / 1000);
  const token = (grant, exp = now + 600) => jwt(secret, { exp, webrtclive: grant });
  const bearer = (t) => ({ headers: { Authorization: `Bearer ${t}` } });
  const refusedWith = async (opts, pattern, what) => {
    const err = await WsClient.connect(s.ws, opts).then((ws) => { ws.destroy(); return null; }, (e) => e);
    assert(err && /401/.test(err.message), `${what} is refused with 401: ${err && err.message}`);
    const body = await request(s.ws.replace('ws', 'http'), { headers: { ...opts.headers, Upgrade: 'websocket', Connection: 'Upgrade' } })
      .catch(() => null);
    if (body) assert(pattern.test(body.body), `${what}: the refusal says why (${body.body.trim()})`);
  };
  const camToken = token({ roles: ['producer'], names: ['cam'] });
  await refusedWith({}, /no token/, 'no token');
  await refusedWith(bearer(token({ roles: ['consumer'] }, now - 5)), /expired/, 'an expired token');
  await refusedWith(bearer(jwt('another-secret-of-32-bytes-or-more!!', { exp: now + 600, webrtclive: { roles: ['consumer'] } })),
    /signature/, 'a token signed with another key');
  await refusedWith(bearer(jwt(secret, { exp: now + 600, webrtclive: { roles: ['producer'] } }, { alg: 'HS512' })),
    /signature|HS512/, 'a token of another algorithm');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp: now + 600, webrtclive: { roles: ['producer'] } })).toString('base64url')}.`;
  await refusedWith(bearer(none), /signature|not a JWT/, '"alg": "none"');

  const cam = await client(s, 'cam producer', bearer(camToken));
  cam.send({ type: 'setPeerStatus', roles: ['producer'], meta: { name: 'door' } });
  await expectError(cam, /does not allow producing as 'door'/, 'a producer token used for another name');
  await setStatus(cam, ['producer'], { name: 'cam' }, []);
  const viewerToken = token({ roles: ['consumer'], names: ['cam'] });
  // Browsers present it as a subprotocol beside "webrtclive".
  const viewer = await client(s, 'viewer', { headers: { 'Sec-WebSocket-Protocol': `webrtclive, webrtclive.token.${viewerToken}` } });
  viewer.send({ type: 'setPeerStatus', roles: ['producer'], meta: { name: 'cam' } });
  await expectError(viewer, /does not allow producing/, 'a consumer-only token registering as producer');
  await startSession(viewer, cam);
  await stillAnswers(await client(s, 'query', {}, `?token=${viewerToken}`), 'a token as ?token=');
  // Expiry is enforced on open connections too.
  const brief = await client(s, 'brief', bearer(token({ roles: ['consumer'] }, now + 2)));
  const closed = await Promise.race([brief.closed, sleep(6000).then(() => null)]);
  log('at expiry:', JSON.stringify(closed));
  assert(closed && closed.code === 1008 && /expired/.test(closed.reason), `closed at expiry with a reason: ${JSON.stringify(closed)}`);
  assert(!s.out.includes(viewerToken) && !s.out.includes(camToken.split('.')[2]), 'no token in the logs');
};

// ------------------------------------------------------------ TCP-level abuse


cases.timeouts = async () => {
  // Each open connection holds a descriptor: one that sends nothing and one
  // that dribbles its headers (slowloris) are closed once the request
  // timeout passes; a complete request is answered and its connection
  // closed (one request per connection); a quiet WebSocket stays.
  const s = await startServer(['--request-timeout', '2']);
  const silent = await rawConnect(s);
  const dribble = await rawConnect(s);
  dribble.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const drip = setInterval(() => dribble.write('X-A: b\r\n'), 300);
  const complete = await rawConnect(s);
  complete.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  const ws = await client(s, 'quiet websocket');
  const t0 = Date.now();
  await until('the answered connection to end', () => complete.closedAt, 2000, 20);
  assert(/200 OK/.test(complete.data), 'the complete request was answered');
  await until('the silent and the dribbling connections to be closed', () => silent.closedAt && dribble.closedAt, 6000, 50);
  clearInterval(drip);
  log(`silent closed after ${silent.closedAt - t0} ms, slowloris after ${dribble.closedAt - t0} ms`);
  assert(silent.closedAt - t0 >= 1500, `not before the timeout (${silent.closedAt - t0} ms)`);
  assert(silent.closedAt - t0 < 4000 && dribble.closedAt - t0 < 4000, 'both within the request timeout (2 s) and a sweep');
  await sleep(1000);
  await stillAnswers(ws, 'the quiet WebSocket, after the timeout');
};

cases['connection-cap'] = async () => {
  const s = await startServer(['--max-connections-per-address', '10']);
  const socks = [];
  for (let i = 0; i < 20; i++) socks.push(await rawConnect(s));
  await until('the connections over the cap to be refused', () => socks.filter((x) => x.closedAt).length >= 10, 3000, 20);
  const refused = socks.filter((x) => x.closedAt);
  log(`${refused.length} of 20 connections from one address refused; one said: ${JSON.stringify(refused[0].data.split('\r\n')[0])}`);
  assert(refused.length === 10, `exactly the 10 over the cap (${refused.length})`);
  assert(refused.every((x) => /^HTTP\/1\.1 503/.test(x.data)), 'each was told 503');
  for (const x of socks) x.destroy();
  await sleep(1500);  // the server notices the closed ones on its next sweep
  await stillAnswers(await client(s, 'after the burst'), 'a new client');
};

cases['fd-exhaustion'] = async () => {
  // With 64 descriptors, 100 connections exhaust them: accept() fails.
  // libsoup 3.2 removed its listening source for good then; the server
  // must pause, carry on, and accept again once descriptors are free.
  const s = await startServer(['--max-connections', '1000'], { nofile: 64 });
  const socks = [];
  for (let i = 0; i < 100; i++) socks.push(await rawConnect(s));
  await until('the server to run out of descriptors', () => /cannot accept a connection/.test(s.out), 5000, 50);
  log('server said:', s.out.split('\n').find((l) => /cannot accept/.test(l)));
  for (const x of socks) x.destroy();
  await sleep(1500);
  const c = await client(s, 'after exhaustion');
  await stillAnswers(c, 'a client once descriptors are free again');
};

cases.fragments = async () => {
  // One message that never ends: continuation frames without FIN. libsoup
  // 3.2 caps each frame (128 KiB) but not the message (+66 MB in 2 s).
  const s = await startServer();
  const other = await client(s, 'bystander');
  const A = await client(s, 'fragmenter');
  const before = heapMb(s);
  A.sendRaw(WsClient.encode(0x1, Buffer.from('{"type":"list","pad":"'), false));
  const chunk = WsClient.encode(0x0, Buffer.alloc(64 * 1024, 0x78), false);
  let sent = 0;
  while (!A.closeInfo && !A.sock.destroyed && sent < 64 * 1024 * 1024) {
    if (!A.sendRaw(chunk)) await new Promise((r) => A.sock.once('drain', r).once('close', r));
    sent += chunk.length;
  }
  const closed = await Promise.race([A.closed, sleep(5000).then(() => null)]);
  const grew = heapMb(s) - before;
  log(`fragmenter sent ${(sent / 1048576).toFixed(1)} MiB before the server closed it: ${JSON.stringify(closed)}; heap +${grew.toFixed(1)} MB`);
  assert(closed, 'the server closed the connection');
  assert(sent < 16 * 1024 * 1024, `it did so early (${(sent / 1048576).toFixed(1)} MiB sent)`);
  assert(UNDER_ASAN || grew < 20, `the server's heap grew by ${grew.toFixed(1)} MB (limit 20)`);
  await stillAnswers(other, 'the other client');
};

cases['slow-reader'] = async () => {
  // A client that never reads, asking for large replies: 10 producers with
  // 100 KiB meta, 200 list requests (~200 MB of replies). libsoup queues
  // without limit (+206 MB before); the server drops the client instead.
  const s = await startServer();
  const pad = 'x'.repeat(100 * 1024);
  for (let i = 0; i < 10; i++) await setStatus(await client(s, `producer${i}`), ['producer'], { name: `p${i}`, pad }, []);
  const other = await client(s, 'bystander');
  const before = heapMb(s);
  const R = await client(s, 'non-reader');
  R.sock.pause();  // never reads again: the kernel buffers fill, then the server's queue
  for (let i = 0; i < 200; i++) R.send({ type: 'list' });
  await until('the server to drop the non-reader', async () => (await health(s)).peers === 11, 10000, 100);
  const grew = heapMb(s) - before;
  log(`non-reader dropped; server heap +${grew.toFixed(1)} MB`);
  assert(UNDER_ASAN || grew < 40, `the server's heap grew by ${grew.toFixed(1)} MB (limit 40)`);
  await stillAnswers(other, 'the other client');
};



cases.tls = async () => {
  requireOpenssl();
  const { cert, key } = makeCertificate(tmp());
  const s = await startServer(['--cert', cert, '--key', key]);
  assert(s.ws.startsWith('wss://'), `the startup line shows wss:// (${s.ws})`);
  assert(/viewer page https:\/\//.test(s.out), 'the startup line shows the https:// page');
  const A = await client(s, 'tls-listener', { rejectUnauthorized: false });
  await setStatus(A, ['listener', 'producer'], { name: 'over tls' }, [A]);
  const B = await client(s, 'tls-consumer', { rejectUnauthorized: false });
  const sid = await startSession(B, A);
  await relayed(A, B, { type: 'peer', sessionId: sid, sdp: { type: 'offer', sdp: OFFER } }, 'an offer over wss');
  const h = await request(`${s.http}/health`, { insecure: true });
  assert(h.status === 200 && JSON.parse(h.body).peers === 2, `https /health: ${h.body}`);
  const page = await request(`${s.http}/`, { insecure: true });
  assert(page.status === 200 && page.body.includes('gst-webrtc-live'), 'the viewer page over https');
  // A plain ws:// client fails on the TLS port without harming the server.
  await WsClient.connect(`ws://127.0.0.1:${s.port}/`, { timeoutMs: 2000 }).then(
    (ws) => { ws.destroy(); throw new Error('a plain ws:// upgrade succeeded on the TLS port'); },
    () => {});
  await client(s, 'after-plain', { rejectUnauthorized: false });
};

cases.shutdown = async () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    const s = await startServer();
    const A = await client(s, 'listener');
    await setStatus(A, ['listener', 'producer'], null, [A]);
    const B = await client(s, 'consumer');
    await startSession(B, A);
    const t0 = Date.now();
    s.kill(signal);
    const [a, b] = await Promise.all([A.closed, B.closed]);
    const { code, signal: sig } = await s.exited;
    const ms = Date.now() - t0;
    log(`${signal}: exit ${code} after ${ms} ms; close frames ${JSON.stringify([a, b])}`);
    assert(sig === null && code === 0, `${signal} → exit status 0 (got ${code}, ${sig})`);
    assert(ms < 2000, `${signal} → exit within 2 s (took ${ms} ms)`);
    for (const [ws, c] of [[A, a], [B, b]]) assert(c.code === 1001, `${ws.name} sees a close frame with 1001, got ${JSON.stringify(c)}`);
    assert(/shutting down/.test(s.out), `the server logs "shutting down": ${s.out}`);
  }
};

cases['port-in-use'] = async () => {
  const first = await startServer();
  const r = await failingServer(['--port', String(first.port)].concat([]), 5000);
  assert(r.code === 1, `a second server on the same port exits with 1, got ${r.code}`);
  assert(r.out.includes(`port ${first.port}`), `the message names port ${first.port}`);
  assert(/in use/i.test(r.out), 'the message says the address is in use');
  const ws = await client(first, 'still-there');  // the first server is unharmed
  await stillAnswers(ws, 'the first server');
};

cases['bad-cert'] = async () => {
  const d = tmp();
  const missing = join(d, 'no-such-dir', 'cert.pem');
  let r = await failingServer(['--cert', missing, '--key', join(d, 'key.pem')]);
  assert(r.code === 1 && r.out.includes(missing), `a missing certificate file is named: ${r.out}`);
  requireOpenssl();
  const { cert, key } = makeCertificate(d);
  const noKey = join(d, 'missing-key.pem');
  r = await failingServer(['--cert', cert, '--key', noKey]);
  assert(r.code === 1 && r.out.includes(noKey) && /key/.test(r.out), `a missing key file is named: ${r.out}`);
  const garbage = join(d, 'garbage.pem');
  writeFileSync(garbage, 'this is not PEM\n');
  r = await failingServer(['--cert', garbage, '--key', key]);
  assert(r.code === 1 && r.out.includes(garbage), `a certificate that is not PEM is named: ${r.out}`);
  // A path that cannot be read, for root too (root reads any mode 000
  // file, and the suite runs as root in its namespace): a directory.
  const unreadable = join(d, 'unreadable.pem');
  mkdirSync(unreadable);
  r = await failingServer(['--cert', unreadable, '--key', key]);
  assert(r.code === 1 && r.out.includes(unreadable), `an unreadable certificate is named: ${r.out}`);
  if (process.getuid?.() !== 0) {  // and, where permissions bind, a mode 000 file
    const locked = join(d, 'locked.pem');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    r = await failingServer(['--cert', locked, '--key', key]);
    assert(r.code === 1 && r.out.includes(locked), `an unreadable certificate is named: ${r.out}`);
  }
  // Sanity: the same certificate and key work.
  await startServer(['--cert', cert, '--key', key]);
};

cases.logs = async () => {
  const SECRET = 'SECRET-7f3a9c';
  const session = async (s) => {
    const P = await client(s, 'producer');
    await setStatus(P, ['producer'], { name: SECRET }, []);
    const C = await client(s, 'consumer');
    const sid = await startSession(C, P, `${OFFER}a=secret:${SECRET}\r\n`);
    await relayed(P, C, { type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: `${ANSWER}a=x:${SECRET}\r\n` } }, 'answer');
    C.send({ type: 'nonsense', secret: SECRET });
    await expectError(C, /nonsense/, 'an unknown type');
    C.destroy();
    await until('the disconnect', async () => (await health(s)).peers === 1);
    return [P, C];
  };
  // Default levels: startup and shutdown lines only; never contents.
  const quietServer = await startServer([], { env: { G_MESSAGES_DEBUG: '', GST_DEBUG: '' } });
  await session(quietServer);
  quietServer.kill('SIGTERM');
  await quietServer.exited;
  assert(/listening on ws:\/\/127\.0\.0\.1:\d+\//.test(quietServer.out), 'startup line with the URL');
  assert(!quietServer.out.includes(SECRET), `no message contents in the default log:\n${quietServer.out}`);
  assert(!/connected from/.test(quietServer.out), 'per-peer lines are info level, not shown by default');

  // G_MESSAGES_DEBUG shows a line per connect and disconnect with the address.
  const verbose = await startServer([], { env: { G_MESSAGES_DEBUG: 'webrtclive-server', GST_DEBUG: 'webrtcliveserver:5' } });
  const [P, C] = await session(verbose);
  await until('the log lines', () => verbose.out.includes(`peer ${C.id} (127.0.0.1:`), 3000);
  assert(new RegExp(`peer ${P.id} connected from 127\\.0\\.0\\.1:\\d+`).test(verbose.out), 'a connect line with the remote address');
  assert(new RegExp(`peer ${C.id} \\(127\\.0\\.0\\.1:\\d+\\) disconnected`).test(verbose.out), 'a disconnect line with the remote address');
  assert(/webrtcliveserver/.test(verbose.out), 'GST_DEBUG categories of the server work');
  assert(!verbose.out.includes(SECRET), `no message contents at info/debug levels:\n${verbose.out}`);
};


// ---------------------------------------------------------------- metrics

// GET /metrics: Prometheus text that promtool accepts, figures that follow
// what the clients did, and the token when one is set.
cases.metrics = async () => {
  const s = await startServer([], { env: { WEBRTCLIVE_TOKEN: 'm3trics' } });
  const denied = await request(`${s.http}/metrics`);
  assert(denied.status === 401 && /token is required/.test(denied.body), `/metrics without the token: ${denied.status}`);
  const bearer = { headers: { Authorization: 'Bearer m3trics' } };
  const cam = await client(s, 'cam', bearer);
  const viewer = await client(s, 'viewer', bearer);
  await setStatus(cam, ['producer'], { name: 'cam' });
  const sid = await startSession(viewer, cam);
  viewer.send('{not json');
  await expectError(viewer, /./, 'an unparsable message');
  viewer.send(JSON.stringify({ type: 'startSession', peerId: 'nobody' }));
  await expectError(viewer, /no peer/, 'a session with nobody');
  const r = await request(`${s.http}/metrics`, bearer);
  assert(r.status === 200 && r.type.startsWith('text/plain; version=0.0.4'), `/metrics: ${r.status} ${r.type}`);
  const value = (line) => {
    const m = r.body.split('\n').find((l) => l.startsWith(line + ' '));
    assert(m, `a sample ${line} in:\n${r.body}`);
    return Number(m.slice(line.length + 1));
  };
  assert(value('webrtclive_signalling_connections') === 2, 'two connections');
  assert(value('webrtclive_signalling_producers') === 1, 'one producer');
  assert(value('webrtclive_signalling_sessions') === 1, `one session (${sid})`);
  assert(value('webrtclive_signalling_messages_total{type="startSession"}') === 2, 'two startSession');
  assert(value('webrtclive_signalling_messages_total{type="invalid"}') === 1, 'one unparsable message');
  assert(value('webrtclive_signalling_errors_total{type="startSession"}') === 1, 'one startSession refused');
  assert(value('process_open_fds') > 3, 'process figures');
  let lint = '';
  try {
    lint = execFileSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    lint = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    assert(!/error while linting|parsing error/i.test(lint), `promtool rejected /metrics:\n${lint}`);
  }
  log(`promtool: ${lint.trim() || 'ok'}`);
  cam.close();
  viewer.close();
};

// ------------------------------------------------------------ ICE servers

// GET /ice-servers.json of the standalone server: the configured servers in
// the RTCIceServer spelling, TURN REST credentials made per request that
// verify against the secret (as coturn checks them), the token rule of
// /metrics, no-store, and bad options refused at start.
cases['ice-servers'] = async () => {
  const { createHmac } = await import('node:crypto');
  const secret = 'turn-shared-s3cret';
  const file = join(tmp(), 'turn-secret');
  writeFileSync(file, secret + '\n');
  const s = await startServer(['--stun-server', 'stun:127.0.0.1:3478', '--turn-server', 'turn:127.0.0.1:3478',
    '--turn-server', 'turn:127.0.0.1:3478?transport=tcp', '--turn-server', 'turns://127.0.0.1:5349',
    '--turn-secret-file', file, '--turn-credential-ttl', '120', '--ice-transport-policy', 'relay'],
  { env: { WEBRTCLIVE_TOKEN: 'ice-t0ken', GST_DEBUG: 'webrtcliveserver:7' } });
  const denied = await request(`${s.http}/ice-servers.json`);
  assert(denied.status === 401 && /token is required/.test(denied.body), `without the token: ${denied.status}`);
  const bearer = { headers: { Authorization: 'Bearer ice-t0ken' } };
  const get = async () => {
    const r = await request(`${s.http}/ice-servers.json`, bearer);
    assert(r.status === 200 && r.type === 'application/json', `/ice-servers.json: ${r.status} ${r.type}`);
    assert(r.headers['cache-control'] === 'no-store', `no-store: ${r.headers['cache-control']}`);
    return JSON.parse(r.body);
  };
  const a = await get();
  const b = await get();
  log(JSON.stringify(a));
  assert(a.iceTransportPolicy === 'relay', 'the policy');
  assert(a.iceServers.length === 2 && a.iceServers[0].urls[0] === 'stun:127.0.0.1:3478' && !a.iceServers[0].username,
    'the STUN server, without credentials');
  const turn = a.iceServers[1];
  assertEqualJson(turn.urls, ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp', 'turns:127.0.0.1:5349']);
  const [expiry, name] = turn.username.split(':');
  const now = Math.floor(Date.now() / 1000);
  assert(Math.abs(Number(expiry) - (now + 120)) <= 2 && /^webrtclive-[0-9a-f]{8}$/.test(name), `username ${turn.username}`);
  assert(turn.credential === createHmac('sha1', secret).update(turn.username).digest('base64'),
    'the password is base64(HMAC-SHA1(secret, username))');
  assert(b.iceServers[1].username !== turn.username, 'fresh credentials per request');
  const query = await request(`${s.http}/ice-servers.json?token=ice-t0ken`);
  assert(query.status === 200, `?token= works too: ${query.status}`);
  assert(!s.out.includes(secret) && !s.out.includes(turn.credential), 'neither the secret nor a password in the logs');
  // Bad options: the server says why and does not start.
  for (const [args, why] of [[['--turn-server', 'turn://u:hunter2@bad host'], /--turn-server/],
    [['--ice-transport-policy', 'none'], /all or relay/], [['--turn-credential-ttl', '0'], /turn-credential-ttl/],
    [['--stun-server', 'turn:h'], /stun-server/]]) {
    const bad = await startServer(args, { expectListen: false, exitCode: 2 });
    await bad.exited;
    assert(why.test(bad.out) && !bad.out.includes('hunter2'), `${args.join(' ')}: ${bad.out.trim()}`);
  }
};

function assertEqualJson(a, b) {
  assert(JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}
