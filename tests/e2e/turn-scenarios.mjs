// SPDX-License-Identifier: LGPL-2.1-or-later
//
// TURN for real: coturn (Debian, started here with a shared secret) relays
// sessions of a webrtclivesink that has turn-secret and
// ice-transport-policy=relay. The viewer page gets its TURN credentials
// from the sink's /ice-servers.json (no ?ice=); they expire; TURN over UDP,
// TCP and TLS; no secret or password in any log line of the element (full
// GST_DEBUG=*webrtclive*:7). One scenario per process:
// `node turn-scenarios.mjs <name>`.
//
// Topology: relay-browser puts the sink and the browser in two network
// namespaces that reach each other only through coturn (turn-lib.mjs
// twoSites: no IP forwarding between them); the TCP and TLS cases run on the
// test namespace's loopback, relay-only on both ends. See docs/testing.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assert, launchBrowser, log, openViewer, run, sleep, startPipeline, until, waitCount, waitFrames,
} from './lib.mjs';
import {
  allocate, restPassword, SITES, startCoturn, tcpForward, TURN_PORT, TURNS_PORT, twoSites,
} from './turn-lib.mjs';

const SRC = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1';
const TTL = 8;  // seconds: short, so that the test sees credentials expire

// A sink relaying through coturn with `turn` (its turn-servers), logging
// every webrtclive category at level 7 into a file of the test's own.
async function relaySink(defer, secret, turn, { ip = '127.0.0.1', netns } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-turn-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'gst.log');
  const p = await startPipeline([...SRC.split(' '), '!', 'webrtclivesink', 'name=sink', 'port=0', `address=${ip}`,
    `ice-addresses=${ip}`, 'producer-name=cam', `turn-servers=${turn}`, `turn-secret=${secret}`,
    `turn-credential-ttl=${TTL}`, 'ice-transport-policy=relay'],
  { env: { GST_DEBUG: '*webrtclive*:7', GST_DEBUG_FILE: logFile, GST_DEBUG_NO_COLOR: '1' }, netns });
  defer(() => p.stop());
  p.logFile = logFile;
  return p;
}

const getJson = async (url) => {
  const r = await fetch(url, { cache: 'no-store' });
  assert(r.ok, `${url}: ${r.status}`);
  return r.json();
};

// The sink's view of its consumers' selected pairs, until `n` are relay ↔ relay.
async function sinkPairsRelay(p, n = 1) {
  let report;
  await until(`${n} consumer(s) on relay candidates in /consumers.json`, async () => {
    report = await getJson(p.url + 'consumers.json');
    return report.consumers.length === n &&
      report.consumers.every((c) => c.local_candidate === 'relay' && c.remote_candidate === 'relay');
  }, 15000, 500).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(report && report.consumers)}`); });
  log('sink side:', JSON.stringify(report.consumers.map((c) => [c.local_candidate, c.remote_candidate])));
}

// No line of the element's full debug log (and stderr) holds the secret or
// any password: those the test saw handed out, and every one belonging to a
// REST username the log mentions (recomputed from the secret), raw or
// percent-escaped as webrtcbin's URI has it.
async function assertNoSecrets(p, secret, seen) {
  await p.stop();  // the log file is complete once the process ended
  const text = readFileSync(p.logFile, 'utf8') + p.stderr;
  const lines = text.split('\n').length;
  const names = new Set(text.match(/\d{10}:webrtclive-[0-9a-f]{8}/g) || []);
  const passwords = new Set(seen);
  for (const u of names) passwords.add(restPassword(secret, u));
  const leaks = [secret, ...passwords].flatMap((s) => [s, encodeURIComponent(s)]).filter((s) => text.includes(s));
  log(`debug log: ${lines} lines, ${(text.length / 1e6).toFixed(1)} MB; ${names.size} REST usernames in it; ` +
    `${passwords.size} passwords and the secret searched`);
  assert(/webrtcliveice.*TURN server/.test(text), 'the log is the full level-7 log (the TURN servers each session used are in it, redacted)');
  assert(leaks.length === 0, `secrets in the log: ${leaks.length}`);
}

// The browser's selected candidate pair of its open connection: [local, remote] candidate types.
const browserPair = (page) => page.evaluate(async () => {
  for (const pc of window.__pcs.filter((c) => c.connectionState === 'connected')) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    if (pair) return [stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType];
  }
  return null;
});

const scenarios = {
  async 'relay-browser'(defer) {
    const sites = await twoSites(defer);
    const secret = randomBytes(18).toString('base64url');
    const turnIp = SITES.sinkGateway;  // an address of the middle namespace: both sites reach it
    const turn = await startCoturn(secret, { ip: turnIp });
    defer(() => turn.stop());
    const p = await relaySink(defer, secret, `turn:${turnIp}:${TURN_PORT}`, { ip: SITES.sink, netns: sites.sink });
    const sinkPort = Number(new URL(p.url).port);
    // The viewer's site reaches the sink's web server through a forwarded
    // port of the middle namespace, the TURN server directly, the sink not at all.
    const pagePort = await tcpForward(defer, SITES.viewerGateway, SITES.sink, sinkPort);
    assert(!sites.canConnect('viewer', SITES.sink, sinkPort), 'the viewer\'s site cannot reach the sink\'s');
    assert(sites.canConnect('viewer', turnIp, TURN_PORT) && sites.canConnect('sink', turnIp, TURN_PORT),
      'both sites reach the TURN server');
    log(`the viewer's site reaches the page at ${SITES.viewerGateway}:${pagePort} and coturn at ${turnIp}, ` +
      `not the sink at ${SITES.sink}:${sinkPort}`);
    // Credentials as any client gets them: fresh ones work...
    const early = await getJson(p.url + 'ice-servers.json');
    const fetchedAt = Date.now();
    log('/ice-servers.json:', JSON.stringify({ ...early, iceServers: early.iceServers.map((s) => ({ ...s, credential: '…' })) }));
    assert(early.iceTransportPolicy === 'relay', 'the viewer is told relay only');
    const cred = early.iceServers[0];
    assert(cred.urls[0] === `turn:${turnIp}:${TURN_PORT}?transport=udp`, `the URL: ${cred.urls}`);
    assert(cred.credential === restPassword(secret, cred.username), 'TURN REST credentials as coturn checks them');
    const at = { host: turnIp };
    assert(await allocate(cred.username, cred.credential, at) === 'success', 'fresh credentials allocate');
    assert(await allocate(cred.username, cred.credential + 'x', at) === 401, 'a wrong password is refused');

    // A viewer of the served page, without ?ice=: its ICE servers come from the sink.
    const browser = await launchBrowser({ netns: sites.viewer });
    defer(() => browser.close());
    const viewer = await openViewer(browser, `http://${SITES.viewerGateway}:${pagePort}/`);
    const t0 = Date.now();
    const s = await waitFrames(viewer, 60);
    log(`60 frames decoded ${Date.now() - t0} ms after the page opened; framesDecoded=${s.stats.framesDecoded}`);
    const pair = await browserPair(viewer);
    log('browser side:', JSON.stringify(pair));
    assert(pair && pair[0] === 'relay' && pair[1] === 'relay', `the browser's selected pair is relay ↔ relay: ${pair}`);
    await sinkPairsRelay(p);
    const allocations = (turn.out.match(/ALLOCATE processed, success/g) || []).length;
    log(`coturn: ${allocations} successful allocations`);
    assert(allocations >= 3, 'coturn allocated for the test, the sink and the browser');
    const pageIce = await viewer.evaluate(() => window.__pcs[0].getConfiguration());
    log('the page\'s RTCPeerConnection:', pageIce.iceTransportPolicy, JSON.stringify(pageIce.iceServers.map((x) => x.urls)));
    assert(pageIce.iceTransportPolicy === 'relay' && pageIce.iceServers.length === 1 &&
      /^\d+:webrtclive-/.test(pageIce.iceServers[0].username) && pageIce.iceServers[0].username !== cred.username,
    'the page used the sink\'s TURN server with credentials of its own');

    // ...and they expire: after the TTL, the first credentials are refused; new ones work.
    await sleep(Math.max(0, fetchedAt + (TTL + 2) * 1000 - Date.now()));
    assert(await allocate(cred.username, cred.credential, at) === 401, `credentials ${TTL} s old are refused`);
    const late = (await getJson(p.url + 'ice-servers.json')).iceServers[0];
    assert(await allocate(late.username, late.credential, at) === 'success', 'credentials fetched now allocate');
    await assertNoSecrets(p, secret, [cred.credential, late.credential, pageIce.iceServers[0].credential]);
  },
};

// TURN over TCP and over TLS: a sink and a webrtclivesrc, both relay only,
// both with the secret (each session its own credentials), through coturn.
for (const [name, url, tls] of [['relay-tcp', `turn:127.0.0.1:${TURN_PORT}?transport=tcp`, false],
  ['relay-tls', `turns:127.0.0.1:${TURNS_PORT}`, true]]) {
  scenarios[name] = async (defer) => {
    const secret = randomBytes(18).toString('base64url');
    const turn = await startCoturn(secret, { tls });
    defer(() => turn.stop());
    const p = await relaySink(defer, secret, url);
    const ws = p.url.replace('http://', 'ws://') + 'ws';
    const r = await startPipeline(['webrtclivesrc', 'name=s', `server=${ws}`, 'ice-addresses=127.0.0.1',
      `turn-servers=${url}`, `turn-secret=${secret}`, 'ice-transport-policy=relay', 's.video_0', '!', 'fakesink',
      'name=countvideo']);
    defer(() => r.stop());
    const t0 = Date.now();
    await waitCount(r, 'countvideo', 60);
    log(`60 frames through ${url} in ${Date.now() - t0} ms`);
    await sinkPairsRelay(p);
    // The only TURN server either end has is `url`: the allocations (coturn's
    // log) were made over it, and the TCP connections to it are open.
    const allocations = (turn.out.match(/ALLOCATE processed, success/g) || []).length;
    const port = tls ? TURNS_PORT : TURN_PORT;
    const conns = execFileSync('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' })
      .split('\n').filter(Boolean);
    log(`coturn: ${allocations} allocations; TCP connections to port ${port}:\n${conns.join('\n')}`);
    assert(allocations >= 2, 'coturn allocated for both ends');
    const runners = new Set(conns.map((l) => (l.match(/pid=(\d+)/) || [])[1]).filter(Boolean));
    assert(runners.has(String(p.proc.pid)) && runners.has(String(r.proc.pid)),
      `the sink's and the src's processes are connected to ${tls ? 'TLS' : 'TCP'} port ${port}`);
    await assertNoSecrets(p, secret, []);
  };
}

// The publishing page's side: webrtclivesrc's embedded server hands out the
// src's ICE servers at /ice-servers.json, with the token rule of /metrics.
scenarios['src-ice-servers'] = async (defer) => {
  const secret = randomBytes(18).toString('base64url');
  const r = await startPipeline(['webrtclivesrc', 'name=s', 'port=0', 'address=127.0.0.1', 'token=pub-t0ken',
    'stun-server=stun://127.0.0.1:3478', 'turn-servers=turns:turn.example:443', `turn-secret=${secret}`,
    'turn-credential-ttl=600', 'ice-transport-policy=relay', 's.video_0', '!', 'fakesink']);
  defer(() => r.stop());
  const url = r.find((e) => e.event === 'urls').urls[0] + 'ice-servers.json';
  const denied = await fetch(url);
  assert(denied.status === 401, `without the token: ${denied.status}`);
  const res = await fetch(url, { headers: { Authorization: 'Bearer pub-t0ken' } });
  assert(res.status === 200 && res.headers.get('cache-control') === 'no-store', `with it: ${res.status}`);
  const ice = await res.json();
  log(JSON.stringify({ ...ice, iceServers: ice.iceServers.map((x) => ({ ...x, credential: x.credential && '…' })) }));
  assert(ice.iceTransportPolicy === 'relay' && ice.iceServers[0].urls[0] === 'stun:127.0.0.1:3478', 'policy and STUN');
  const t = ice.iceServers[1];
  assert(t.urls[0] === 'turns:turn.example:443' && t.credential === restPassword(secret, t.username),
    `TURN with REST credentials: ${t.urls}`);
  assert(Math.abs(Number(t.username.split(':')[0]) - (Date.now() / 1000 + 600)) < 3, 'valid for turn-credential-ttl');
};

// The page's ways to its ICE servers besides the producer's: a server
// without /ice-servers.json (404: no ICE servers, it still plays), and a
// hand-made ?ice= (wins; the endpoint is not even asked).
scenarios['page-ice-fallbacks'] = async (defer) => {
  const p = await startPipeline(`${SRC} ! webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1`);
  defer(() => p.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  const asked = { missing: 0, given: 0, plain: 0 };
  const open = async (which, query, route) => {
    const page = await browser.newPage();
    page.on('request', (r) => { if (r.url().endsWith('/ice-servers.json')) asked[which]++; });
    if (route) await page.route('**/ice-servers.json', route);
    await page.goto(`${p.url}?${query}`);
    await waitFrames(page, 30);
    return page;
  };
  const missing = await open('missing', 'autoplay=1', (r) => r.fulfill({ status: 404, body: 'not found' }));
  const given = await open('given', 'autoplay=1&ice=' + encodeURIComponent('{"iceServers":[],"iceTransportPolicy":"all"}'));
  const plain = await open('plain', 'autoplay=1');
  log('requests to /ice-servers.json:', JSON.stringify(asked));
  assert(asked.missing === 1 && asked.plain === 1 && asked.given === 0, 'asked once per session, not with ?ice=');
  for (const page of [missing, given, plain]) {
    const errors = await page.evaluate(() => window.webrtclive.errors);
    assert(errors.length === 0, `no error on the page: ${errors}`);
  }
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
