// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Independent WHIP and WHEP clients from npm, unmodified, in headless
// Chromium — to test any WHIP/WHEP server or endpoint (ours, or the werift
// one in werift-whip-whep.mjs):
//   whip-whep 1.2.0            WHIP and WHEP; trickles with PATCH; reads Link ice-server headers
//   @eyevinn/webrtc-player     WHEP (candidates in the offer; sends the key as the Authorization header)
//   @eyevinn/whip-web-client   WHIP (trickles with PATCH when OPTIONS allows it)
// esbuild bundles them at test time (pages/whip-whep-clients.js is the
// entry; ~50 ms) and a static server on loopback serves the bundle with
// pages/whip-whep.html. The page's origin differs from the endpoint's:
// the endpoint must answer CORS (WHIP/WHEP servers do).
//
//   const page = await openClientsPage(defer, browser);
//   await page.evaluate(([u, t]) => whepPlay(u, t, 'webrtc-player'), [whepUrl, token]);
//   await waitWhepFrames(page, 60);        // -> {framesDecoded, width, height, ...}
//   await page.evaluate(([u, t]) => whipPublish(u, t, 'whip-web-client'), [whipUrl, token]);
//   await page.evaluate(() => whipState()); // {framesEncoded, packetsSent, connectionState, resource}
//   await page.evaluate(() => whepStop());  // the library's own DELETE
// One page per client (each page holds one player and one publisher).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { until } from './lib.mjs';

export { startWeriftWhipWhep } from './werift-whip-whep.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const WHEP_LIBS = ['whip-whep', 'webrtc-player'];
export const WHIP_LIBS = ['whip-whep', 'whip-web-client'];

let bundle = null;
// The clients' bundle (an IIFE script), built once per process.
export async function bundleClients() {
  if (!bundle) {
    const out = await build({
      entryPoints: [join(HERE, 'pages', 'whip-whep-clients.js')],
      bundle: true, write: false, format: 'iife', platform: 'browser', target: 'chrome120', logLevel: 'error',
    });
    bundle = out.outputFiles[0].text;
  }
  return bundle;
}

// Serves pages/whip-whep.html at / and the bundle on `address` (loopback:
// a secure context, so getUserMedia works); resolves with its URL.
export async function servePages(defer, { address = '127.0.0.1' } = {}) {
  const js = await bundleClients();
  const html = readFileSync(join(HERE, 'pages', 'whip-whep.html'));
  const http = createServer((req, res) => {
    if (req.url.startsWith('/whip-whep-clients.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise((r) => http.listen(0, address, r));
  defer(async () => { http.closeAllConnections(); await new Promise((r) => http.close(r)); });
  return `http://${address}:${http.address().port}/`;
}

// A new page of `browser` (lib.mjs launchBrowser) with the clients loaded.
export async function openClientsPage(defer, browser, pagesUrl) {
  pagesUrl ??= await servePages(defer);
  const page = await browser.newPage();
  await page.goto(pagesUrl);
  await page.waitForFunction(() => window.whipWhepReady === true, null, { timeout: 10000 });
  return page;
}

export const whepState = (page) => page.evaluate(() => window.whepState());
export const whipState = (page) => page.evaluate(() => window.whipState());

// Waits until the page's player decoded `n` frames; its whepState().
export async function waitWhepFrames(page, n, ms = 30000) {
  return until(`${n} frames played by the WHEP client`, async () => {
    const s = await whepState(page);
    if (s.errors.length) throw new Error(`the WHEP client failed: ${s.errors.join('; ')}`);
    return s.framesDecoded >= n ? s : null;
  }, ms, 200);
}
