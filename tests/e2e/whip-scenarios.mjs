// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink's WHIP client (whip-endpoint, whip-token) publishing into a
// WHIP endpoint written on werift (werift-whip-whep.mjs): an independent
// stack, so we do not only test ourselves against ourselves.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, log, run, sleep, startPipeline, until, waitCount } from './lib.mjs';
import { startWeriftWhipWhep } from './werift-whip-whep.mjs';

// The werift endpoint, its WHIP side at hand: url, frames and packets per codec.
async function startWhipEndpoint(options = {}) {
  const ep = await startWeriftWhipWhep(options);
  return Object.assign(ep, { url: ep.whipUrl, frames: ep.stats.whip.frames, packets: ep.stats.whip.packets });
}

const VSRC = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1';
const ICE = 'ice-addresses=127.0.0.1';
const sink = (url, extra = '') => `${VSRC} ! webrtclivesink whip-endpoint=${url} ${ICE} ${extra}`;
const count = (ep, method, status) => ep.requests.filter((r) => r.method === method && (!status || r.status === status)).length;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// Publishes `codec` and checks what a user would: frames arrive, the
// candidates reached the server (in the offer or by PATCH), and stopping
// the pipeline DELETEs the session.
async function publishes(defer, codec, { trickle, window = '' }) {
  const ep = await startWhipEndpoint({ trickle });
  defer(() => ep.close());
  const t0 = Date.now();
  // peer-timeout=3: a publisher whose server stopped sending RTCP would be
  // dropped within 3 s; the session must outlive that (werift's RTCP keeps it).
  const p = await startPipeline(sink(ep.url, `video-codecs=${codec} peer-timeout=3 ${window}`));
  defer(() => p.stop());
  const name = codec.toUpperCase();
  await until(`60 ${name} frames at the WHIP endpoint`, () => (ep.frames[name] ?? 0) >= 60, 20000);
  log(`${name}: 60 frames ${Date.now() - t0} ms after start; packets`, ep.packets, 'frames', ep.frames);
  await sleep(4000);  // past peer-timeout: still one session
  const posts = ep.requests.filter((r) => r.method === 'POST');
  const patches = ep.requests.filter((r) => r.method === 'PATCH');
  const inOffer = posts.reduce((n, r) => n + (r.candidates ?? 0), 0);
  const patched = patches.reduce((n, r) => n + (r.candidates ?? 0), 0);
  log(`POSTs ${posts.length} (candidates in the offer: ${inOffer}), PATCHes ${patches.length} ` +
      `(status ${[...new Set(patches.map((r) => r.status))]}, candidates ${patched})`);
  assert(posts.length === 1 && posts[0].status === 201, `one session: ${JSON.stringify(posts)}`);
  assert(!p.find((e) => e.event === 'webrtclive-consumer-removed'), 'the session stayed up');
  assert(inOffer + patched > 0, 'the server got our candidates');
  if (trickle) {
    assert(patched > 0, 'candidates were PATCHed');
    assert(patches.every((r) => r.status === 204 && r.fragOk), 'every PATCH was a valid sdpfrag');
    assert(patches.every((r) => r.ifMatch === `"${posts[0].id}"`), `every PATCH carried the ETag as If-Match: ${JSON.stringify(patches)}`);
  } else {
    assert(inOffer > 0, 'the offer carried the candidates');
  }
  const frames = ep.frames[name];
  assert(ep.frames[name] > 60 + 60, `frames keep coming (${frames})`);
  const t1 = Date.now();
  await p.stop();
  const del = ep.requests.find((r) => r.method === 'DELETE');
  assert(del && del.status === 200, `the pipeline's stop DELETEd the session: ${JSON.stringify(ep.requests.slice(-3))}`);
  log(`stopped in ${Date.now() - t1} ms, DELETE ${del.path} -> ${del.status}; live resources ${ep.live}`);
  assert(ep.live === 0, 'no resource left on the server');
}

const scenarios = {
  // whip-candidate-window=0: the offer goes at once, every candidate is PATCHed.
  async h264(defer) {
    await publishes(defer, 'h264', { trickle: true, window: 'whip-candidate-window=0' });
  },

  // A server that does not trickle (405 to PATCH): the candidates folded
  // into the offer are enough.
  async 'vp8-no-trickle'(defer) {
    await publishes(defer, 'vp8', { trickle: false });
  },

  // A wrong token: 401 -> a WARNING naming the status and the server's
  // reason, no ERROR, retries with backoff; the token is never logged.
  async 'wrong-token'(defer) {
    const secret = 'n0t-the-r1ght-t0ken';
    const ep = await startWhipEndpoint({ token: 's3cret' });
    defer(() => ep.close());
    const p = await startPipeline(sink(ep.url, `whip-token=${secret}`), { env: { GST_DEBUG: 'webrtclive*:7' } });
    defer(() => p.stop());
    const w = await p.waitFor('a warning', (e) => e.event === 'warning', 10000);
    log('warning:', w.message);
    assert(/HTTP 401 Unauthorized \(the Bearer token is wrong\)/.test(w.message), `the warning names 401 and the reason: ${w.message}`);
    await until('retries', () => count(ep, 'POST', 401) >= 3, 15000);
    const times = ep.requests.filter((r) => r.method === 'POST').map((r) => r.at);
    log('POST gaps (ms):', times.slice(1).map((t, i) => t - times[i]));
    assert(p.alive, 'the pipeline keeps running');
    assert(!p.find((e) => e.event === 'error'), 'no ERROR for a refused token');
    const stderr = p.stderr;
    assert(stderr.length > 1000, 'the debug log was captured');
    assert(!stderr.includes(secret) && !JSON.stringify(p.events).includes(secret), 'the token is never logged');
  },

  // Hostile answers: each is a clear warning, its resource (when the server
  // named one) is DELETEd, and the sink tries again; then it publishes.
  async 'bad-answers'(defer) {
    const faults = ['hang', 'not-sdp', 'bad-sdp', 'huge', 'no-location'];
    const ep = await startWhipEndpoint({ faults: [...faults] });
    defer(() => ep.close());
    const p = await startPipeline(sink(ep.url, 'video-codecs=vp8'));
    defer(() => p.stop());
    const t0 = Date.now();
    await until('30 frames after the bad answers', () => (ep.frames.VP8 ?? 0) >= 30, 60000);
    log(`published ${Date.now() - t0} ms after start, after ${faults.length} bad answers`);
    const warnings = p.filter((e) => e.event === 'warning').map((e) => e.message);
    for (const w of warnings) log('warning:', w.slice(0, 300));
    assert(warnings.some((w) => /no response within 10000 ms/.test(w)), 'a warning for the POST that got no response');
    assert(warnings.some((w) => /not an application\/sdp body/.test(w)), 'a warning for the non-SDP answer');
    assert(warnings.some((w) => /larger than \d+ bytes/.test(w)), 'a warning for the oversized answer');
    assert(warnings.some((w) => /no Location header/.test(w)), 'a warning for the missing Location');
    assert(warnings.some((w) => /dropped/.test(w)), 'the garbage SDP failed its session with a warning');
    const deleted = ep.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
    log('DELETEs:', deleted);
    const named = ep.requests.filter((r) => r.fault && r.id);
    assert(named.length === 3, `three bad answers named a resource: ${JSON.stringify(named)}`);
    for (const r of named) assert(deleted.includes(`/resource/${r.id}`), `the resource of '${r.fault}' was DELETEd`);
    assert(!p.find((e) => e.event === 'error'), 'no ERROR');
  },

  // The ICE servers of a 201's Link header serve the next session: a TURN
  // server (coturn, Debian) named only there gets allocations from the
  // sink once it published again, none before.
  async 'link-turn-next-session'(defer) {
    const dir = mkdtempSync(join(tmpdir(), 'whip-turn-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const turnPort = await freePort();
    let turnLog = '';
    // Not watched: coturn ends by dying of SIGTERM, which is no failure here.
    const turn = spawn('/usr/bin/turnserver', [
      '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`,
      '--min-port=49160', '--max-port=49200', '--lt-cred-mech', '--user=whip:turnpass', '--realm=test',
      '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--allow-loopback-peers',
      `--userdb=${join(dir, 'turndb')}`, '--log-file=stdout', '--simple-log', '-v',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    turn.stdout.on('data', (d) => { turnLog += d; });
    turn.stderr.on('data', (d) => { turnLog += d; });
    defer(() => turn.kill('SIGKILL'));
    await sleep(500);
    const allocations = () => (turnLog.match(/ALLOCATE processed, success/g) ?? []).length;
    const ep = await startWhipEndpoint({
      iceServers: [{ urls: `turn:127.0.0.1:${turnPort}?transport=udp`, username: 'whip', credential: 'turnpass' }],
    });
    defer(() => ep.close());
    const p = await startPipeline(sink(ep.url, 'video-codecs=vp8 peer-timeout=3'));
    defer(() => p.stop());
    await until('30 frames', () => (ep.frames.VP8 ?? 0) >= 30, 20000);
    const first = allocations();
    log(`first session: ${first} TURN allocations`);
    assert(first === 0, 'the first session knew no TURN server (the Link header came with its answer)');
    const [id] = ep.ids();
    ep.end(id);
    await until('a new session', () => ep.ids().length === 1 && ep.ids()[0] !== id, 20000);
    await until('a TURN allocation by the new session', () => allocations() > 0, 10000)
      .catch((e) => { log('coturn:', turnLog.slice(-3000)); throw e; });
    const before = ep.frames.VP8;
    await until('frames on the new session', () => ep.frames.VP8 >= before + 30, 20000);
    log(`second session: ${allocations()} TURN allocations`);
  },

  // An https endpoint with a self-signed certificate: refused (a warning
  // naming the TLS failure, retries) until whip-ca-file trusts it.
  async https(defer) {
    const dir = mkdtempSync(join(tmpdir(), 'whip-tls-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const key = join(dir, 'key.pem'), cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' });
    const ep = await startWhipEndpoint({ tls: { key, cert }, token: 'tls-token' });
    defer(() => ep.close());
    const untrusted = await startPipeline(sink(ep.url, 'video-codecs=vp8 whip-token=tls-token'));
    defer(() => untrusted.stop());
    const w = await untrusted.waitFor('a warning', (e) => e.event === 'warning', 10000);
    log('untrusted:', w.message);
    assert(/certificate|TLS/i.test(w.message), `the warning names the TLS failure: ${w.message}`);
    assert(count(ep, 'POST') === 0, 'no request reached the server');
    await untrusted.stop();
    const p = await startPipeline(sink(ep.url, `video-codecs=vp8 whip-token=tls-token whip-ca-file=${cert}`));
    defer(() => p.stop());
    await until('30 VP8 frames over https signalling', () => (ep.frames.VP8 ?? 0) >= 30, 20000);
    await p.stop();
    assert(count(ep, 'DELETE', 200) === 1, 'DELETE over https at stop');
  },

  // Stopping never waits long for a server: a POST under way is cancelled,
  // a DELETE that gets no answer is given up after 2 s.
  async 'stop-bounded'(defer) {
    const hung = await startWhipEndpoint({ faults: ['hang'] });
    defer(() => hung.close());
    const a = await startPipeline(sink(hung.url, 'video-codecs=vp8'));
    defer(() => a.stop());
    await until('the POST', () => count(hung, 'POST') === 1, 10000);
    let t0 = Date.now();
    await a.stop();
    const duringPost = Date.now() - t0;
    log(`stopped ${duringPost} ms into a POST that gets no answer`);
    assert(duringPost < 1500, `the stop did not wait for the POST (${duringPost} ms)`);

    const ep = await startWhipEndpoint({ hangDelete: true });
    defer(() => ep.close());
    const b = await startPipeline(sink(ep.url, 'video-codecs=vp8'));
    defer(() => b.stop());
    await until('30 frames', () => (ep.frames.VP8 ?? 0) >= 30, 20000);
    t0 = Date.now();
    await b.stop();
    const duringDelete = Date.now() - t0;
    log(`stopped in ${duringDelete} ms with a DELETE that gets no answer`);
    assert(count(ep, 'DELETE') === 1, 'the DELETE was sent');
    assert(duringDelete >= 1500 && duringDelete < 4000, `the stop waited for the DELETE 2 s at most (${duringDelete} ms)`);
  },

  // sink -> src over WHIP only: the sink publishes into webrtclivesrc's own
  // WHIP server (POST /whip on its embedded server); the src decodes.
  async 'into-webrtclivesrc'(defer) {
    const r = await startPipeline(`webrtclivesrc name=s port=0 address=127.0.0.1 ${ICE} s.video_0 ! fakesink name=countvideo`);
    defer(() => r.stop());
    const url = r.find((e) => e.event === 'urls').urls[0];
    const t0 = Date.now();
    const p = await startPipeline(sink(`${url}whip`, 'video-codecs=vp8'));
    defer(() => p.stop());
    const v = await waitCount(r, 'countvideo', 60, 20000);
    log(`webrtclivesrc decoded 60 frames ${Date.now() - t0} ms after the sink started: ${v.caps}`);
    assert(v.caps.startsWith('video/x-raw'), 'decoded frames');
    await p.stop();
    // The sink's stop DELETEd the session: the src hears it ended, at once.
    const gone = await r.waitFor('the src to see the publisher go', (e) => e.event === 'webrtclive-producer-lost', 5000);
    const reason = gone.reason ?? gone.structure.replace(/\\ /g, ' ');
    log('src: producer lost:', reason);
    assert(/whip client ended the session/.test(reason), `the src was told the WHIP client ended it: ${reason}`);
  },

  // Settings that cannot work are an ERROR at start, naming the property.
  async 'bad-settings'(defer) {
    for (const [extra, want] of [['whip-endpoint=ftp://127.0.0.1/whip', /whip-endpoint must be an http/],
                                 ['whip-endpoint=http:///whip', /whip-endpoint must be an http/],
                                 ['whip-endpoint=https://127.0.0.1/whip whip-ca-file=/nonexistent.pem', /nonexistent\.pem/]]) {
      const p = await startPipeline(`${VSRC} ! webrtclivesink ${ICE} ${extra}`, { expectStart: false });
      defer(() => p.stop());
      const err = await p.waitFor('an error', (e) => e.event === 'error', 10000);
      log(`${extra}:`, err.message);
      assert(want.test(err.message), `the error says why: ${err.message}`);
    }
  },

  // The endpoint is down when the sink starts, and comes up later: the sink
  // connects within its backoff.
  async 'endpoint-late'(defer) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/whip`;
    const p = await startPipeline(sink(url, 'video-codecs=vp8'));
    defer(() => p.stop());
    const w = await p.waitFor('a warning', (e) => e.event === 'warning', 10000);
    log('while down:', w.message);
    await sleep(3000);
    const ep = await startWhipEndpoint({ port });
    defer(() => ep.close());
    const t0 = Date.now();
    await until('30 VP8 frames after the endpoint came up', () => (ep.frames.VP8 ?? 0) >= 30, 20000);
    log(`frames ${Date.now() - t0} ms after the endpoint came up`);
    assert(!p.find((e) => e.event === 'error'), 'no ERROR while the endpoint was down');
  },

  // The server ends the session (the resource goes, its peer connection
  // closes): the sink notices (no more RTCP) and publishes again.
  async 'endpoint-ends'(defer) {
    const ep = await startWhipEndpoint();
    defer(() => ep.close());
    const p = await startPipeline(sink(ep.url, 'video-codecs=vp8 peer-timeout=3'));
    defer(() => p.stop());
    await until('30 frames', () => (ep.frames.VP8 ?? 0) >= 30, 20000);
    const [first] = ep.ids();
    const t0 = Date.now();
    ep.end(first);
    const before = ep.frames.VP8;
    await until('a new session', () => ep.ids().length === 1 && ep.ids()[0] !== first, 20000);
    log(`new session ${Date.now() - t0} ms after the server ended the first`);
    await until('frames on the new session', () => ep.frames.VP8 >= before + 30, 20000);
    const removed = p.find((e) => e.event === 'webrtclive-consumer-removed');
    log('removed:', removed?.reason);
    assert(removed, 'the ended session was removed');
    const deletes = ep.requests.filter((r) => r.method === 'DELETE');
    log('DELETEs:', deletes.map((r) => `${r.path} ${r.status}`));
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await run(`sink-whip-${name}`, (defer) => scenarios[name](defer));
