// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The viewer page's own statistics, in headless Chromium: the live plots
// (web/plots.js) draw every metric from the page's getStats(), and a 1 s
// pause of the source (a valve that live-runner closes and opens again)
// shows up as one freeze of about a second, marked on the plots and counted.
// A screenshot of the plots is kept in BUILD_DIR/tests/artifacts.
import {
  artifactPath, assert, launchBrowser, log, openViewer, run, sleep, startPipeline, state, waitFrames,
} from './lib.mjs';

const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const SINK = 'webrtclivesink name=s port=0 address=127.0.0.1 ice-addresses=127.0.0.1 video-codecs=vp8';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

// Per plot canvas: pixels of the series' colour (the canvas's CSS color)
// and pixels shaded as a freeze (reddish), read back with getImageData.
const canvasPixels = (page) => page.evaluate(() => [...document.querySelectorAll('canvas.plot')].map((c) => {
  const [r0, g0, b0] = getComputedStyle(c).color.match(/\d+/g).map(Number);
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  let line = 0, freeze = 0;
  for (let o = 0; o < data.length; o += 4) {
    const [r, g, b] = [data[o], data[o + 1], data[o + 2]];
    if (Math.abs(r - r0) + Math.abs(g - g0) + Math.abs(b - b0) < 60) line++;
    else if (r > g + 25 && r > b + 25 && g > 120) freeze++;  // light red over the panel's white
  }
  return { metric: c.dataset.metric, width: c.width, height: c.height, line, freeze };
}));

// The freezes of ≥ 800 ms a page counted must be exactly one per pause,
// each overlapping its pause ([at, until] on the page's clock).
function checkFreezes(who, plots, summary, pauses) {
  const long = plots.freezes.filter((f) => f.ms >= 800);
  assert(long.length === pauses.length, `${who}: ${pauses.length} freeze(s) of ≥ 800 ms (${JSON.stringify(plots.freezes)})`);
  pauses.forEach(([at, until], i) => {
    const f = long[i];
    assert(f.start < until + 500 && f.end > at, `${who}: freeze ${i + 1} (${f.ms} ms) overlaps its pause`);
    assert(f.ms < 3000, `${who}: freeze ${i + 1} is about the pause's length (${f.ms} ms)`);
  });
  assert(plots.freezeCount === plots.freezes.length
    && plots.longestFreezeMs === Math.max(...plots.freezes.map((x) => x.ms)), `${who}: count and longest agree with the list`);
  assert(summary.includes(`freezes: ${plots.freezeCount}, longest ${plots.longestFreezeMs} ms`), `${who}: the page says so (${summary})`);
}

const scenarios = {
  async 'page-plots'(defer) {
    const p = await startPipeline(`${SRC} ! valve name=gate drop=false ! ${SINK}`);
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await openViewer(browser, p.url);
    await page.setViewportSize({ width: 1280, height: 1000 });
    // A second page without requestVideoFrameCallback (as Firefox ESR 115):
    // it polls getVideoPlaybackQuality() instead. In a browser of its own:
    // a headless browser renders only its front page at full rate (the
    // others get a frame callback about once a second, while still
    // "visible").
    const other = await launchBrowser();
    defer(() => other.close());
    const polled = await openViewer(other, p.url, 'autoplay=1',
      { initScript: 'delete HTMLVideoElement.prototype.requestVideoFrameCallback;' });
    const pages = [['rvfc', page], ['poll', polled]];
    await waitFrames(page, 1);
    await waitFrames(polled, 1);
    const clocks = () => Promise.all(pages.map(([, pg]) => pg.evaluate(() => performance.now())));
    const first = (await state(page)).times.firstFrame;
    // Closes the valve for 1 s; [at, until] on each page's clock.
    const pauseSource = async () => {
      const at = await clocks();
      assert((await p.command('set gate drop true', 'set')).ok, 'valve closed');
      await sleep(1000);
      assert((await p.command('set gate drop false', 'set')).ok, 'valve opened');
      const until = await clocks();
      return at.map((a, i) => [a, until[i]]);
    };

    await sleep(6000);
    const pause1 = await pauseSource();
    const [pauseAt, resumeAt] = pause1[0];
    log(`source paused ${Math.round(pauseAt - first)} ms after the first frame, for ${Math.round(resumeAt - pauseAt)} ms`);
    await sleep(5000);

    for (const [i, [detector, pg]] of pages.entries()) {
      const s = (await state(pg)).plots;
      const summary = await pg.textContent('#plots-freezes');
      const at = pause1[i][0];
      log(`${detector} page: ${s.samples.length} samples; ${summary}; freezes`,
        JSON.stringify(s.freezes.map((f) => ({ ...f, start: Math.round(f.start - at), end: Math.round(f.end - at) }))),
        '(start, end relative to the pause)');
      assert(s.detector === detector, `frames seen by ${detector} (${s.detector})`);
      checkFreezes(`${detector} page`, s, summary, [pause1[i]]);
    }

    const s = (await state(page)).plots;
    for (const x of s.samples) log(`  t=${Math.round(x.t - pauseAt)} ${JSON.stringify({ ...x, t: undefined })}`);
    assert(s.open, 'the plots panel is open on a 1280 px wide window');

    // Samples: a sample at t covers about (t − 1 s, t]. Unpaused: from 2 s
    // after the first frame to the pause, and from 2 s after the resume.
    assert(s.samples.length >= 8, `≥ 8 samples (${s.samples.length})`);
    const unpaused = s.samples.filter((x) => (x.t > first + 2000 && x.t <= pauseAt) || x.t - 1500 > resumeAt + 500);
    const fps = unpaused.map((x) => x.fps), kbps = unpaused.map((x) => x.kbps);
    log(`unpaused: ${unpaused.length} samples, fps ${fps.join(' ')}; kbit/s ${kbps.join(' ')}`);
    assert(unpaused.length >= 5, `≥ 5 samples outside the pause (${unpaused.length})`);
    assert(median(fps) > 20 && Math.min(...fps) > 15, `fps > 20 outside the pause (median ${median(fps)}, lowest ${Math.min(...fps)})`);
    assert(kbps.every((k) => k > 0), 'bitrate > 0 outside the pause');
    const around = s.samples.filter((x) => x.t > pauseAt && x.t <= resumeAt + 1000).map((x) => x.fps);
    assert(Math.min(...around) < 20, `the samples over the pause show the frame rate fall (${around.join(' ')})`);
    const last = s.samples[s.samples.length - 1];
    for (const k of ['jitterMs', 'rttMs', 'decodeMs', 'lossPct']) {
      assert(last[k] != null && last[k] >= 0 && last[k] < 1000, `${k} reported and plausible (${last[k]})`);
    }

    const png = artifactPath('sink-page-plots.png');
    await page.locator('#plots').screenshot({ path: png });
    await page.screenshot({ path: artifactPath('sink-page-plots-page.png'), fullPage: true });
    log(`screenshot of the plots: ${png}`);

    // Every plot drew its series and the freeze.
    const pixels = await canvasPixels(page);
    log('canvas pixels:', JSON.stringify(pixels));
    assert(pixels.length === 6, `six plots (${pixels.length})`);
    for (const c of pixels) {
      assert(c.line >= 30, `${c.metric}: the series is drawn (${c.line} pixels of its colour)`);
      assert(c.freeze >= 50, `${c.metric}: the freeze is shaded (${c.freeze} pixels)`);
    }

    // A pause while the first page says it is hidden: not a freeze there
    // (headless pages never hide, so document.hidden is faked); the other
    // page counts it.
    const setHidden = (hidden) => page.evaluate((h) => {
      if (h) Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      else delete document.hidden;
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await setHidden(true);
    const pause2 = await pauseSource();
    await sleep(1500);
    await setHidden(false);
    await sleep(1000);
    const hiddenPlots = (await state(page)).plots;
    log(`after a pause while hidden: ${await page.textContent('#plots-freezes')}`);
    checkFreezes('the page hidden during the second pause', hiddenPlots, await page.textContent('#plots-freezes'), [pause1[0]]);
    checkFreezes('the page visible during both', (await state(polled)).plots, await polled.textContent('#plots-freezes'),
      [pause1[1], pause2[1]]);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
