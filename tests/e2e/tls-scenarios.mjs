// SPDX-License-Identifier: LGPL-2.1-or-later
//
// HTTPS/WSS on the elements' embedded servers (cert-file/key-file): a
// browser publishes its camera to webrtclivesrc from https://<LAN address>
// (getUserMedia needs a secure context: plain http there is refused), a
// viewer plays webrtclivesink over https, and bad certificate/key files are
// element errors naming the file. One scenario per process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, log, openViewer, run, startPipeline, waitCount, waitFrames } from './lib.mjs';
import { NIC_ADDRESS, launchTrustingBrowser, testCa } from './tls.mjs';

const W = 320, H = 240;
const VSRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;

// The embedded server's URL as the element reported it.
function httpsUrl(p) {
  const urls = p.find((e) => e.event === 'urls').urls;
  log('urls:', urls.join(' '));
  assert(urls.length && urls.every((u) => u.startsWith('https://')), `the element prints https:// URLs: ${urls}`);
  return urls.find((u) => u.includes(NIC_ADDRESS));
}

// What a page of the server sees of its own origin and endpoints.
const pageFacts = (page) => page.evaluate(async () => ({
  secure: window.isSecureContext,
  protocol: location.protocol,
  health: (await fetch('/health')).status,
}));

// Starts `pipeline` expecting it to fail: the ERROR message it posted.
async function failsWith(defer, pipeline) {
  const p = await startPipeline(pipeline, { expectStart: false });
  defer(() => p.stop());
  const err = await p.waitFor('an element error', (e) => e.event === 'error', 10000);
  log('error:', err.message);
  return err;
}

const scenarios = {
  async 'src-publish'(defer) {
    const ca = testCa(defer);
    const r = await startPipeline(`webrtclivesrc name=s port=0 address=${NIC_ADDRESS} cert-file=${ca.cert} ` +
      `key-file=${ca.key} s.video_0 ! fakesink name=countvideo`);
    defer(() => r.stop());
    const url = httpsUrl(r);
    const browser = await launchTrustingBrowser(defer, ca);
    const page = await browser.newPage();
    const t0 = Date.now();
    await page.goto(`${url}publish.html?autostart=1&audio=0&width=${W}&height=${H}&name=chromium`);
    const facts = await pageFacts(page);
    log('page:', JSON.stringify(facts));
    assert(facts.secure && facts.protocol === 'https:', 'the publish page is a secure context over https');
    assert(facts.health === 200, `/health answers over https (${facts.health})`);
    const v = await waitCount(r, 'countvideo', 60, 30000);
    log(`60 camera frames in the pipeline ${Date.now() - t0} ms after the page loaded: ${v.caps}`);
    assert(v.caps.includes(`width=(int)${W}`), `decoded camera frames: ${v.caps}`);
    assert(!r.find((e) => e.event === 'error'), 'no element error');
  },

  async 'sink-view'(defer) {
    const ca = testCa(defer);
    const p = await startPipeline(`${VSRC} ! webrtclivesink name=sink port=0 address=${NIC_ADDRESS} ` +
      `signaller::cert-file=${ca.cert} signaller::key-file=${ca.key}`);
    defer(() => p.stop());
    const url = httpsUrl(p);
    const browser = await launchTrustingBrowser(defer, ca);
    const viewer = await openViewer(browser, url);
    const facts = await pageFacts(viewer);
    log('page:', JSON.stringify(facts));
    assert(facts.secure && facts.protocol === 'https:', 'the viewer page is served over https');
    const s = await waitFrames(viewer, 60);
    log(`viewer decoded ${s.stats.framesDecoded} frames of ${s.stats.frameWidth}x${s.stats.frameHeight}`);
    assert(s.stats.frameWidth === W, 'the viewer plays the sink over https/wss');
    assert(s.signalling === 'open', `its signalling socket is open (${s.signalling})`);
  },

  async 'bad-files'(defer) {
    // Each element that can run the embedded server refuses to start with a
    // certificate or key it cannot use, and says which file.
    const ca = testCa(defer);
    const garbage = join(ca.dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    const missing = join(ca.dir, 'missing.pem');
    const SRC = (files) => `webrtclivesrc name=s port=0 address=127.0.0.1 ${files} s.video_0 ! fakesink`;

    let err = await failsWith(defer, SRC(`cert-file=${ca.cert} key-file=${garbage}`));
    assert(err.message.includes(garbage) && /key/i.test(err.message), `a bad key file is named: ${err.message}`);

    err = await failsWith(defer, `${VSRC} ! webrtclivesink port=0 address=127.0.0.1 signaller::cert-file=${missing} ` +
      `signaller::key-file=${ca.key}`);
    assert(err.message.includes(missing) && /certificate/i.test(err.message),
      `an unreadable certificate file is named: ${err.message}`);

    err = await failsWith(defer, SRC(`cert-file=${ca.cert} key-file=${ca.otherKey}`));
    assert(err.message.includes(ca.otherKey) && err.message.includes(ca.cert) && /does not belong/.test(err.message),
      `a key of another certificate is refused, naming both files: ${err.message}`);

    err = await failsWith(defer, `webrtcbin name=w webrtclivesignaller webrtcbin=w port=0 address=127.0.0.1 ` +
      `cert-file=${ca.cert}`);
    assert(/without a key file/.test(err.message), `a certificate without a key is refused: ${err.message}`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
