// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Joining, as a user meets it (issue 11): the first viewer of a freshly
// started pipeline. The figures live in bench/; these tests check the
// structure: the process's DTLS certificate is made when the sink starts,
// before any viewer, and a page opened right after start shows video.
import { assert, launchBrowser, log, openViewer, run, startPipeline, waitFrames } from './lib.mjs';

const SRC = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1';
const SINK = 'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';
const MADE = "made the process's DTLS certificate before any viewer came";

const scenarios = {
  async 'sink-first-viewer'(defer) {
    const browser = await launchBrowser();
    defer(() => browser.close());
    const p = await startPipeline(`${SRC} ! ${SINK} video-codecs=h264`, { env: { GST_DEBUG: 'webrtclivesink:4' } });
    defer(() => p.stop());
    // Right after "serving on": the page asks at once.
    const page = await openViewer(browser, p.url);
    const s = await waitFrames(page, 1, 10000);
    const t = s.times;
    log(`first viewer of a fresh sink: offer ${Math.round(t.remoteOffer - t.startSession)} ms, connected ` +
        `${Math.round(t.connected - t.startSession)} ms, first frame ${Math.round(t.firstFrame - t.startSession)} ms after startSession`);
    // The certificate was made at start, once, before the first consumer.
    const made = p.stderr.indexOf(MADE);
    assert(made >= 0, `the sink made the DTLS certificate at start (log: "${MADE}")`);
    assert(p.stderr.indexOf(MADE, made + 1) < 0, 'once');
    // The sink's log, in order: the certificate, then the consumer's DTLS
    // connection (INFO "consumer …: connected").
    const connected = p.stderr.indexOf(': connected; DTLS certificate matches');
    assert(connected > made, `the certificate was made before the first consumer connected (${made} < ${connected})`);
    await waitFrames(page, 30);
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
run(name, scenarios[name]);
