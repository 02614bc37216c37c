// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The viewer page reads webrtclivestamp's stamps: a stamped 640x360 stream
// from webrtclivesink, played in headless Chromium with ?stamp=1, gives
// plausible glass-to-glass readings in window.webrtclive.stamp and in the
// stats table. Behaviour only: latencies must be positive and below 5 s, not
// fast (timing is what bench/glass-to-glass.mjs measures).
import {
  assert, launchBrowser, log, openViewer, run, startPipeline, state, until,
} from './lib.mjs';

const PIPELINE = 'videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
  'webrtclivestamp ! webrtclivesink port=0 address=127.0.0.1 ice-addresses=127.0.0.1';
const READINGS = 30;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.ceil(0.95 * xs.length) - 1];

run('stamp-browser', async (defer) => {
  const p = await startPipeline(PIPELINE);
  defer(() => p.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await openViewer(browser, p.url, 'autoplay=1&stamp=1');

  const s = await until(`${READINGS} valid stamp readings`, async () => {
    const st = await state(page);
    return st.stamp && st.stamp.count >= READINGS ? st : null;
  }, 45000, 250);
  const stamp = s.stamp;
  log('stamp', JSON.stringify({ ...stamp, samples: undefined, receiveToDisplayMs: undefined }));
  log(`decoded ${s.stats.frameWidth}x${s.stats.frameHeight} ${s.stats.codec}`);

  assert(stamp.enabled && stamp.block === 8, `reader on with the default block size (${stamp.enabled}, ${stamp.block})`);
  assert(stamp.samples.length === stamp.count, `every reading kept (${stamp.samples.length} of ${stamp.count})`);
  const total = stamp.count + stamp.invalid;
  assert(stamp.invalid <= 0.1 * total, `at most 10 % of frames without a valid stamp (${stamp.invalid} of ${total})`);
  const bad = stamp.samples.filter((ms) => !(ms > 0 && ms < 5000));
  assert(bad.length === 0, `every latency in (0, 5000) ms: ${bad.slice(0, 10).join(', ')}`);
  assert(stamp.lastMs === stamp.samples[stamp.samples.length - 1], 'lastMs is the newest sample');
  assert(stamp.medianMs > 0 && stamp.p95Ms >= stamp.medianMs, `median ${stamp.medianMs} ≤ p95 ${stamp.p95Ms}`);
  assert(stamp.clock === 'expectedDisplayTime', `display time from requestVideoFrameCallback (${stamp.clock})`);

  // What a user sees: the stats row.
  const row = await until('the glass-to-glass row', () => page.evaluate(() => {
    const tr = [...document.querySelectorAll('#stats-body tr')]
      .find((r) => r.cells[0].textContent === 'Glass-to-glass');
    return tr && /^\d+ ms \(median of last \d+\)$/.test(tr.cells[1].textContent) ? tr.cells[1].textContent : null;
  }), 5000);
  assert(await page.isChecked('#stamp-on'), 'the checkbox shows that the reader is on');

  // The checkbox turns the reader off: no more readings.
  await page.uncheck('#stamp-on');
  const off = (await state(page)).stamp.count;
  await new Promise((r) => setTimeout(r, 500));
  const after = (await state(page)).stamp;
  assert(!after.enabled && after.count === off, `no readings once unchecked (${off} → ${after.count})`);

  log(`glass-to-glass in Chromium, 640x360: ${stamp.count} readings, ${stamp.invalid} invalid, ` +
    `median ${median(stamp.samples).toFixed(1)} ms, p95 ${p95(stamp.samples).toFixed(1)} ms, ` +
    `stats row "${row}", read cost ${stamp.readCostMs} ms/frame`);
});
