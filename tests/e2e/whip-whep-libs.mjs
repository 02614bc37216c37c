// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The independent WHIP/WHEP clients (whip-whep-lib.mjs: npm libraries,
// unmodified, in headless Chromium) work end to end against an independent
// endpoint (werift-whip-whep.mjs) — so that a failure of them against our
// servers is ours. One scenario per process.
import { assert, log, run, startPipeline, until } from './lib.mjs';
import { NIC_ADDRESS, launchTrustingBrowser, testCa } from './tls.mjs';
import {
  WHEP_LIBS, WHIP_LIBS, openClientsPage, servePages, startWeriftWhipWhep, waitWhepFrames, whepState, whipState,
} from './whip-whep-lib.mjs';

const W = 320, H = 240;
const TOKEN = 'whip-whep-test-token';

// The werift endpoint on loopback, a browser that also trusts a test CA
// (for the endpoint over https), and the clients' pages.
async function setup(defer) {
  const ep = await startWeriftWhipWhep({ token: TOKEN });
  defer(() => ep.close());
  const ca = testCa(defer);
  const browser = await launchTrustingBrowser(defer, ca);
  const pages = await servePages(defer);
  return { ep, browser, pages, ca };
}

const scenarios = {
  async 'whip-client-libs'(defer) {
    // Each WHIP library publishes Chromium's fake camera to the werift WHIP
    // endpoint, which receives its RTP; the library's stop DELETEs it.
    const { ep, browser, pages, ca } = await setup(defer);
    for (const lib of WHIP_LIBS) {
      const before = { ...ep.stats.whip, rtp: { ...ep.stats.whip.rtp } };
      const page = await openClientsPage(defer, browser, pages);
      const t0 = Date.now();
      await page.evaluate(([u, t, l]) => window.whipPublish(u, t, l), [ep.whipUrl, TOKEN, lib]);
      await until(`${lib}: video RTP at the endpoint`, () => ep.stats.whip.rtp.video > before.rtp.video, 20000, 20);
      const first = Date.now() - t0;
      await until(`${lib}: 100 video RTP packets at the endpoint`, () => ep.stats.whip.rtp.video - before.rtp.video >= 100,
        20000);
      const s = await whipState(page);
      log(`${lib}: first RTP packet ${first} ms after publishing, ${ep.stats.whip.rtp.video - before.rtp.video} ` +
        `after ${Date.now() - t0} ms; browser: ${s.framesEncoded} frames encoded, ${s.connectionState}; ` +
        `PATCHes ${ep.stats.whip.patches - before.patches} with ${ep.stats.whip.candidates - before.candidates} candidates`);
      assert(s.errors.length === 0, `${lib} reported no error: ${s.errors}`);
      assert(s.resource && s.resource.includes('/resource/'), `${lib} read the Location header: ${s.resource}`);
      await page.evaluate(() => window.whipStop());
      await until(`${lib}: its DELETE`, () => ep.stats.whip.deletes > before.deletes, 5000);
      await page.close();
    }
    assert(ep.stats.whip.patches >= 1, 'a library trickled its candidates with PATCH');

    // The endpoint over https on the LAN address (as a WHIP ingest service
    // would be), from the page on loopback.
    const tls = await startWeriftWhipWhep({ token: TOKEN, address: NIC_ADDRESS, tls: { cert: ca.cert, key: ca.key } });
    defer(() => tls.close());
    const page = await openClientsPage(defer, browser, pages);
    await page.evaluate(([u, t]) => window.whipPublish(u, t, 'whip-whep'), [tls.whipUrl, TOKEN]);
    await until('RTP at the https endpoint', () => tls.stats.whip.rtp.video >= 30, 20000);
    log(`whip-whep over https (${tls.whipUrl}): ${tls.stats.whip.rtp.video} RTP packets`);
    const other = await fetch(ep.whipUrl, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0' });
    assert(other.status === 401, `the endpoint refuses a request without the token (${other.status})`);
  },

  async 'whep-client-libs'(defer) {
    // Each WHEP library plays VP8 from gst-launch's rtpvp8pay, relayed by
    // the werift WHEP endpoint; the library's stop DELETEs it.
    const { ep, browser, pages } = await setup(defer);
    const feed = await startPipeline(
      `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1 ! ` +
      `vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay picture-id-mode=15-bit ! udpsink host=127.0.0.1 port=${ep.rtpPort}`,
      { name: 'rtp-feed' });
    defer(() => feed.stop());
    for (const lib of WHEP_LIBS) {
      const deletes = ep.stats.whep.deletes;
      const page = await openClientsPage(defer, browser, pages);
      const t0 = Date.now();
      await page.evaluate(([u, t, l]) => window.whepPlay(u, t, l), [ep.whepUrl, TOKEN, lib]);
      const s = await waitWhepFrames(page, 60);
      log(`${lib}: ${s.framesDecoded} frames of ${s.width}x${s.height} ${Date.now() - t0} ms after starting; ` +
        `${s.connectionState}`);
      assert(s.width === W && s.height === H, `${lib} plays ${W}x${H} (${s.width}x${s.height})`);
      assert(!s.iceServersGiven, `${lib} was given no ICE server: ${JSON.stringify(s.iceServersGiven)}`);
      await page.evaluate(() => window.whepStop());
      await until(`${lib}: its DELETE`, () => ep.stats.whep.deletes > deletes, 5000);
      await page.close();
    }
    log(`endpoint: ${JSON.stringify(ep.stats.whep)}`);
    const bad = await fetch(ep.whepUrl, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: 'x' });
    assert(bad.status === 415, `the endpoint refuses a body that is not application/sdp (${bad.status})`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
