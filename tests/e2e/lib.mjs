// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Shared helpers for the end-to-end tests: run a pipeline through
// live-runner, drive Debian's headless Chromium (playwright-core, never a
// downloaded browser), and wait for what a user would see.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs `pipeline` (a gst-launch description) in its own process.
export async function startPipeline(pipeline, { expectStart = true } = {}) {
  // A string is split on spaces (quotes group); an array is passed as it is,
  // one gst-launch token per element.
  const args = Array.isArray(pipeline) ? pipeline
    : pipeline.match(/(?:[^\s"]+|"[^"]*")+/g).map((a) => a.replace(/"/g, ''));
  const proc = spawn(join(BUILD_DIR, 'tests', 'live-runner'), args, {
    env: {
      ...process.env,
      GST_PLUGIN_PATH: join(BUILD_DIR, 'plugin'),
      GST_REGISTRY: join(BUILD_DIR, 'tests', 'registry.bin'),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events = [];
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const ev = JSON.parse(line);
        events.push(ev);
        if (ev.event !== 'state') log('pipeline:', line.slice(0, 300));
      } catch {
        log('pipeline (raw):', line);
      }
    }
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 200000) stderr = stderr.slice(-100000);
  });
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r({ code, sig })));
  const p = {
    proc,
    events,
    exited,
    get stderr() {
      return stderr;
    },
    find: (pred) => events.find(pred),
    waitFor: (what, pred, ms = 20000) => until(what, () => events.find(pred), ms),
    async command(cmd, reply) {
      const n = events.length;
      proc.stdin.write(cmd + '\n');
      return until(`reply to ${cmd}`, () => events.slice(n).find((e) => e.event === reply), 5000);
    },
    async stop() {
      if (proc.exitCode !== null) return;
      proc.stdin.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
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

export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchBrowser() {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
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

export async function openViewer(browser, url, query = 'autoplay=1', { initScript } = {}) {
  const page = await browser.newPage();
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
export async function run(name, body, { timeoutMs = 120000 } = {}) {
  const cleanups = [];
  const t = setTimeout(() => {
    log(`FAIL ${name}: watchdog fired after ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
  try {
    await body((fn) => cleanups.push(fn));
    log(`PASS ${name}`);
    process.exitCode = 0;
  } catch (e) {
    log(`FAIL ${name}: ${e.stack || e}`);
    process.exitCode = 1;
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
    clearTimeout(t);
  }
  process.exit(process.exitCode);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
