// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared helpers for the end-to-end tests: run a pipeline through
// live-runner, drive Debian's headless Chromium (playwright-core, never a
// downloaded browser), and wait for what a user would see.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { allProblems, firstProblem, spawnWatched, stopAll } from './proc.mjs';

export { spawnWatched };

export const BUILD_DIR = process.env.WEBRTCLIVE_BUILD_DIR;
if (!BUILD_DIR) throw new Error('WEBRTCLIVE_BUILD_DIR is not set (run through meson test)');

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export async function until(what, fn, timeoutMs = 20000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// Where a test keeps what a human may want to look at afterwards
// (screenshots): BUILD_DIR/tests/artifacts/FILE.
export function artifactPath(file) {
  const dir = join(BUILD_DIR, 'tests', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, file);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pipelines = 0;

// Runs `pipeline` (a gst-launch description) in its own process, watched
// (proc.mjs): a crash, a non-zero exit, an unclean stop or a GLib
// CRITICAL/ERROR in its log fails the test.
// `nofile`: the process's RLIMIT_NOFILE (soft and hard), as a service
// manager or a shell's usual 1024 would set it.
// `netns`: the pid of a process whose network namespace the pipeline runs
// in (nsenter execs the runner: same process).
export async function startPipeline(pipeline, { expectStart = true, name, exits = false, exitCode = 0, nofile, env = {}, netns } = {}) {
  // A string is split on spaces (quotes group); an array is passed as it is,
  // one gst-launch token per element.
  const args = Array.isArray(pipeline) ? pipeline
    : pipeline.match(/(?:[^\s"]+|"[^"]*")+/g).map((a) => a.replace(/"/g, ''));
  // Named after its first webrtclive element unless the test names it.
  name ??= `${args.find((a) => /^webrtclive(sink|src|signaller)$/.test(a)) ?? 'pipeline'}#${++pipelines}`;
  const events = [];
  let stderr = '';
  const runner = join(BUILD_DIR, 'tests', 'live-runner');
  // prlimit execs the runner: same process, with the limit.
  let [cmd, cmdArgs] = nofile ? ['prlimit', [`--nofile=${nofile}:${nofile}`, '--', runner, ...args]] : [runner, args];
  if (netns) [cmd, cmdArgs] = ['nsenter', [`--net=/proc/${netns}/ns/net`, '--', cmd, ...cmdArgs]];
  const w = spawnWatched(name, cmd, cmdArgs, {
    env: {
      ...process.env,
      GST_PLUGIN_PATH: join(BUILD_DIR, 'plugin'),
      GST_REGISTRY: join(BUILD_DIR, 'tests', 'registry.bin'),
      ...env,
    },
    stopWith: 'stdin', exits, exitCode,
    onLine(line) {
      if (!line.startsWith('{')) {
        stderr += line + '\n';
        if (stderr.length > 200000) stderr = stderr.slice(-100000);
        return;
      }
      try {
        const ev = JSON.parse(line);
        ev.at ??= Date.now();
        events.push(ev);
        if (ev.event !== 'state') log(`${name}:`, line.slice(0, ev.event === 'error' || ev.event === 'warning' ? 2000 : 300));
      } catch {
        log(`${name} (raw):`, line);
      }
    },
  });
  const { proc } = w;
  const p = {
    proc,
    events,
    exited: w.exited,
    watched: w,
    get alive() {
      return w.alive;
    },
    get stderr() {
      return stderr;
    },
    kill: (signal) => w.kill(signal),
    find: (pred) => events.find(pred),
    filter: (pred) => events.filter(pred),
    waitFor: (what, pred, ms = 20000) => until(what, () => events.find(pred), ms),
    async command(cmd, reply) {
      const n = events.length;
      proc.stdin.write(cmd + '\n');
      return until(`reply to ${cmd}`, () => events.slice(n).find((e) => e.event === reply), 5000);
    },
    stop: () => w.stop(),
  };
  if (expectStart) {
    await p.waitFor('the pipeline to start', (e) => ['started', 'start-failed', 'parse-error'].includes(e.event));
    const failed = p.find((e) => e.event === 'start-failed' || e.event === 'parse-error');
    if (failed) throw new Error(`pipeline did not start: ${JSON.stringify(p.events)}\n${stderr}`);
    const urls = p.find((e) => e.event === 'urls');
    if (urls && urls.urls.length) p.url = urls.urls.find((u) => u.includes('127.0.0.1')) || urls.urls[0];
  }
  return p;
}

// A webrtclivesrc serving its pages (publish.html, WHIP) on loopback, its
// video counted at `countvideo`, and a browser to publish from.
export async function srcWithBrowser(defer, options = '') {
  const r = await startPipeline(
    `webrtclivesrc name=s port=0 address=127.0.0.1 ${options} ice-addresses=127.0.0.1 s.video_0 ! fakesink name=countvideo`);
  defer(() => r.stop());
  const url = r.find((e) => e.event === 'urls').urls[0];
  const browser = await launchBrowser();
  defer(() => browser.close());
  return { r, url, browser };
}

export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

// `args`: more Chromium flags (e.g. --use-file-for-fake-audio-capture=F.wav).
// `netns`: the pid of a process whose network namespace Chromium runs in.
export async function launchBrowser({ args = [], netns } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-chromium-'));
  let executablePath = '/usr/bin/chromium';
  if (netns) {
    executablePath = join(dir, 'chromium-in-netns');
    writeFileSync(executablePath, `#!/bin/sh\nexec nsenter --net=/proc/${netns}/ns/net -- /usr/bin/chromium "$@"\n`, { mode: 0o755 });
  }
  const context = await chromium.launchPersistentContext(netns ? join(dir, 'profile') : dir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...args],
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') log('browser:', m.text());
      });
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Remembers every RTCPeerConnection a page makes (window.__pcs), so that a
// test reads getStats() itself, at its own rate (liveFrames), or closes one
// behind the page's back.
const TRACK_PCS = `
  const Orig = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Orig {
    constructor(...a) { super(...a); window.__pcs.push(this); }
  };`;

export async function openViewer(browser, url, query = 'autoplay=1', { initScript } = {}) {
  const page = await browser.newPage();
  await page.addInitScript(TRACK_PCS);
  if (initScript) await page.addInitScript(initScript);
  await page.goto(`${url}?${query}`);
  return page;
}

export const state = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.webrtclive)));

export async function waitFrames(page, n, ms = 30000) {
  return until(`${n} decoded frames`, async () => {
    const s = await state(page);
    return s.stats && s.stats.framesDecoded >= n ? s : null;
  }, ms, 200);
}

// Video frames decoded so far by the page's open peer connections, read
// from getStats() now (the page's own figures refresh only once a second).
export const liveFrames = (page) => page.evaluate(async () => {
  let n = 0;
  for (const pc of (window.__pcs || []).filter((c) => c.connectionState !== 'closed')) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && (s.kind || s.mediaType) === 'video') n += s.framesDecoded || 0;
    });
  }
  return n;
});

// Asserts that `page` decodes `n` more frames within a generous deadline
// (at 30 fps, 30 frames take 1 s; a loaded CI machine gets 10).
export async function keepsDecoding(page, what, n = 30, ms = 10000) {
  const base = await liveFrames(page);
  const t0 = Date.now();
  await until(`${what}: ${n} more decoded frames`, async () => (await liveFrames(page)) >= base + n, ms, 100);
  log(`${what}: ${n} more frames in ${Date.now() - t0} ms`);
}

// Samples liveFrames every `everyMs` until stop() and returns the longest
// time, in ms, the count stood still.
export function watchFrames(page, everyMs = 100) {
  let last = null, lastChange = Date.now(), longest = 0, stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const n = await liveFrames(page).catch(() => last);
      const now = Date.now();
      if (n !== last) {
        last = n;
        lastChange = now;
      }
      longest = Math.max(longest, now - lastChange);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { longestStallMs: longest, frames: last };
    },
  };
}

// What a pipeline's `count*` elements saw (see tests/tools/live-runner.cpp).
export async function counts(pipeline) {
  return (await pipeline.command('counts', 'counts')).counts;
}

// Waits until the element `name` of `pipeline` saw `n` buffers.
export async function waitCount(pipeline, name, n, ms = 20000) {
  return until(`${n} buffers at ${name}`, async () => {
    const c = (await counts(pipeline))[name];
    return c && c.buffers >= n ? c : null;
  }, ms, 250);
}

// Runs `body` with a watchdog; exits non-zero with a message on failure.
// The scenario fails at once when a watched process (proc.mjs) crashes, and
// after it when any watched process failed to stop cleanly or logged a GLib
// CRITICAL/ERROR at any time.
export async function run(name, body, { timeoutMs = 120000 } = {}) {
  const cleanups = [];
  const t = setTimeout(() => {
    log(`FAIL ${name}: watchdog fired after ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
  let failure = null;
  try {
    await Promise.race([body((fn) => cleanups.push(fn)), firstProblem()]);
  } catch (e) {
    failure = e;
  }
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (e) {
      log(`cleanup failed: ${e.stack || e}`);
    }
  }
  await stopAll();
  const problems = allProblems();
  clearTimeout(t);
  if (failure) log(`FAIL ${name}: ${failure.stack || failure}`);
  if (problems.length) log(`FAIL ${name}: processes under test misbehaved:\n${problems.join('\n')}`);
  if (!failure && !problems.length) log(`PASS ${name}`);
  process.exit(failure || problems.length ? 1 : 0);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

// A complete consumer written by hand in the page (its own signalling and
// RTCPeerConnection), for what a browser page would never do by itself:
// `rewrite` (answer SDP → the SDP sent) forges the answer; `control` sends
// each of its texts on the sink's "control" data channel and collects the
// replies. Resolves with {ended, state, replies, packets} (RTP packets received).
export async function pageConsumer(page, wsUrl, { rewrite = (sdp) => sdp, control = null } = {}) {
  return page.evaluate(async ({ wsUrl, rewriteSrc, control }) => {
    const rewrite = eval(rewriteSrc);
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    const sock = new WebSocket(wsUrl);
    const send = (m) => sock.send(JSON.stringify(m));
    let sid = null;
    const early = [];
    const replies = [];
    pc.onicecandidate = (e) => {
      if (!e.candidate || !e.candidate.candidate) return;
      const m = { type: 'peer', ice: { candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex } };
      if (sid) send({ ...m, sessionId: sid }); else early.push(m);
    };
    return await new Promise((resolve) => {
      const done = async (ended) => {
        let packets = 0;
        (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') packets += r.packetsReceived || 0; });
        resolve({ ended, state: pc.connectionState, replies, packets });
      };
      if (control) {
        pc.ondatachannel = (ev) => {
          if (ev.channel.label !== 'control') return;
          ev.channel.onmessage = (m) => {
            replies.push(m.data);
            if (replies.length === control.length) done(null);
          };
          ev.channel.onopen = () => { for (const text of control) ev.channel.send(text); };
        };
      }
      let chain = Promise.resolve();
      sock.onmessage = (ev) => { chain = chain.then(async () => {
        const m = JSON.parse(ev.data);
        if (m.type === 'welcome') {
          send({ type: 'setProtocolVersion', version: 'v1_1' });
          send({ type: 'setPeerStatus', roles: ['listener'], meta: null });
          send({ type: 'list' });
        } else if (m.type === 'list' && m.producers.length) {
          send({ type: 'startSession', peerId: m.producers[0].id });
        } else if (m.type === 'sessionStarted') {
          sid = m.sessionId;
          for (const e of early.splice(0)) send({ ...e, sessionId: sid });
        } else if (m.type === 'peer' && m.sdp) {
          await pc.setRemoteDescription(m.sdp);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          send({ type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: rewrite(answer.sdp) } });
        } else if (m.type === 'peer' && m.ice) {
          await pc.addIceCandidate(m.ice).catch(() => {});
        } else if (m.type === 'endSessionV1_1' || m.type === 'endSession') {
          done(m);
        }
      }); };
      setTimeout(() => done(null), 15000);
    });
  }, { wsUrl, rewriteSrc: rewrite.toString(), control });
}

// An answer that announces another DTLS certificate than the one presented
// (what a man in the middle looks like).
export const FORGE_FINGERPRINT = (sdp) => sdp.replace(/(a=fingerprint:sha-256 )([0-9A-F:]+)/g,
  (all, k, fp) => k + fp.split(':').map((b) => (b === '00' ? '01' : '00')).join(':'));

// A 440 Hz tone as a WAV file for Chromium's fake microphone
// (--use-file-for-fake-audio-capture; Chromium loops it), removed by `defer`.
export function toneWav(defer) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-talk-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const wav = join(dir, 'tone.wav');
  execFileSync('gst-launch-1.0', ['-q', 'audiotestsrc', 'wave=sine', 'freq=440', 'volume=0.5', 'num-buffers=300', '!',
    'audio/x-raw,rate=48000,channels=1,format=S16LE', '!', 'wavenc', '!', 'filesink', `location=${wav}`]);
  return wav;
}
