// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What every benchmark in bench/ shares: statistics, a description of the
// machine, the PNG of a plot, and the section it owns in docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS = join(ROOT, 'bench', 'results');
export const DOC = join(ROOT, 'docs', 'benchmarks.md');

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

// Nearest rank: the ⌈p/100 · n⌉-th smallest sample (as webrtclivestampread).
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1] : null;
};

// A command's trimmed output, or null when it fails.
export function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export const loadAverage = () => loadavg().map((x) => +x.toFixed(2));

// The machine a figure was measured on; `extra` adds benchmark-specific facts.
export function machine(extra = {}) {
  const model = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] ?? null;
  const gst = sh('gst-inspect-1.0', ['--version']);
  return {
    nproc: Number(sh('nproc', [])) || cpus().length,
    cpu: model,
    gstreamer: (gst && gst.match(/GStreamer \S+/)?.[0]) || gst,
    node: process.version,
    ...extra,
    date: new Date().toISOString(),
    loadavgAtStart: loadAverage(),
  };
}

// Renders `html` (an inline <svg> plot) in Debian's Chromium and saves the
// svg as a PNG. The browser helpers are loaded only when a plot is drawn.
export async function renderPng(html, path, { width = 900, height = 520 } = {}) {
  const { launchBrowser } = await import('../tests/e2e/lib.mjs');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height });
    await page.setContent(html);
    await page.locator('svg').screenshot({ path });
  } finally {
    await browser.close();
  }
}

// Replaces the section between <!-- NAME:begin --> and <!-- NAME:end --> in
// docs/benchmarks.md (appends it the first time), keeping every other
// benchmark's section. `section` includes both markers.
export function writeDocSection(name, section) {
  mkdirSync(dirname(DOC), { recursive: true });
  // Re-read right before writing: other benchmarks own other sections.
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8')
    : '<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->\n# Benchmarks\n\n' +
      'Measurements of gst-webrtc-live on a real machine, each with the command that reproduces it.\n';
  const re = new RegExp(`<!-- ${name}:begin -->[\\s\\S]*?<!-- ${name}:end -->`);
  doc = re.test(doc) ? doc.replace(re, () => section) : `${doc.replace(/\n*$/, '\n\n')}${section}\n`;
  writeFileSync(DOC, doc);
}
