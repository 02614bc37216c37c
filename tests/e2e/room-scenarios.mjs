// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The one-line video room (docs/video-room.md): webrtclivesrc producers=all
// consumes every browser that publishes on the sink's own server, a
// compositor lays them out, webrtclivesink sends the composite back; each
// browser plays it over WHEP from publish.html?room=1.
import { procStat } from './proc.mjs';
import { assert, launchBrowser, log, run, startPipeline, toneWav, until } from './lib.mjs';
import { freePort } from './janus-lib.mjs';

const W = 640, H = 360;  // the room's canvas (layout-width/height and the background)

// The room pipeline, on the sink's embedded server at `port`: a black
// background and silence keep it running while nobody is there. (The
// level element is the test's: it measures the mix.)
const roomPipeline = (port) => [
  'webrtclivesink', 'name=out', `port=${port}`, 'address=127.0.0.1', 'ice-addresses=127.0.0.1', 'video-codecs=vp8',
  'videotestsrc', 'is-live=true', 'pattern=black', '!', `video/x-raw,width=${W},height=${H},framerate=15/1`, '!',
  'compositor', 'name=mix', '!', `video/x-raw,width=${W},height=${H},framerate=15/1`, '!', 'videoconvert', '!', 'out.',
  'audiotestsrc', 'is-live=true', 'wave=silence', '!', 'audiomixer', 'name=amix', '!', 'level', 'interval=500000000', '!', 'out.',
  'webrtclivesrc', 'name=room', 'producers=all', `layout-width=${W}`, `layout-height=${H}`,
  `server=ws://127.0.0.1:${port}/`, 'ice-addresses=127.0.0.1',
  'room.', '!', 'mix.', 'room.', '!', 'amix.',
];

async function join(browser, url, name) {
  const page = await browser.newPage();
  await page.goto(`${url}publish.html?room=1&autostart=1&name=${name}&width=320&height=240`);
  return page;
}

const room = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.webrtcliveRoom)));

// Brightness (0-255) of the composite at the centres of its four quadrants:
// TL, TR, BL, BR.
const quadrants = (page) => page.evaluate(() => {
  const v = document.getElementById('composite');
  if (!v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const at = (x, y) => {
    const d = g.getImageData(Math.round(x) - 8, Math.round(y) - 8, 16, 16).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += (d[i] + d[i + 1] + d[i + 2]) / 3;
    return Math.round(s / (d.length / 4));
  };
  const w = c.width, h = c.height;
  return [at(w / 4, h / 4), at(3 * w / 4, h / 4), at(w / 4, 3 * h / 4), at(3 * w / 4, 3 * h / 4)];
});

// Waits until the composite shows `pattern` (true = a tile, false = black).
async function shows(page, what, pattern) {
  let last;
  await until(`the composite to show ${what}`, async () => {
    last = await quadrants(page);
    return last && last.every((b, i) => (pattern[i] ? b > 40 : b < 20));
  }, 20000, 250).catch((e) => { throw new Error(`${e.message}; last brightness ${JSON.stringify(last)}`); });
  log(`composite shows ${what}: ${JSON.stringify(last)}`);
}

// The page's own composite frame count (refreshed every second) grows by n.
async function keepsPlaying(page, what, n = 30) {
  const base = (await room(page)).framesDecoded;
  const t0 = Date.now();
  await until(`${what}: ${n} more composite frames`, async () => (await room(page)).framesDecoded >= base + n, 10000, 250);
  log(`${what}: ${n} more composite frames in ${Date.now() - t0} ms`);
}

// The room pipeline's CPU (% of one core) over `ms`, and its threads.
async function cost(pid, ms = 5000) {
  const a = procStat(pid);
  await new Promise((r) => setTimeout(r, ms));
  const b = procStat(pid);
  return { cpu: 100 * (b.cpuS - a.cpuS) / (ms / 1000), threads: b.threads };
}

const THREE = [true, true, true, false];  // a 2×2 grid, the last cell empty
const TWO = [true, true, true, true];     // two full-height tiles side by side

const scenarios = {
  async 'video-room'(defer) {
    const port = await freePort();
    const p = await startPipeline(roomPipeline(port));
    defer(() => p.stop());
    const url = `http://127.0.0.1:${port}/`;
    // Every participant's microphone plays a 440 Hz tone; the room's own
    // background is silence, so sound in the mix is theirs.
    const browser = await launchBrowser({ args: [`--use-file-for-fake-audio-capture=${toneWav(defer)}`] });
    defer(() => browser.close());
    const t0 = Date.now();
    const pages = [];
    for (const name of ['p1', 'p2', 'p3']) pages.push(await join(browser, url, name));
    for (const [i, page] of pages.entries()) {
      const s = await until(`p${i + 1} to play the composite`, async () => {
        const r = await room(page);
        return r.framesDecoded >= 60 ? r : null;
      }, 30000, 250);
      log(`p${i + 1}: ${s.framesDecoded} composite frames of ${s.width}x${s.height}, ${Date.now() - t0} ms after the first join`);
      assert(s.width === W && s.height === H, `the composite at the room's size: ${s.width}x${s.height}`);
    }
    // The mix carries the participants' sound: the room's own background
    // is silence (level: -700 dB), their microphones play a tone; and the
    // mix reaches the browsers.
    const loud = await p.waitFor('the participants heard in the mix', (e) => e.event === 'level' && e.rms > -40, 10000);
    log(`the mix: ${loud.rms.toFixed(1)} dB RMS (silence before anyone joined: ${p.find((e) => e.event === 'level').rms.toFixed(0)} dB)`);
    assert((await room(pages[0])).audioPackets > 50, 'the browsers receive the mixed audio');
    await p.waitFor('three producers found', () => p.filter((e) => e.event === 'webrtclive-producer-found').length >= 3);
    await shows(pages[0], 'three tiles', THREE);
    const c3 = await cost(p.proc.pid);
    log(`room pipeline, 3 participants (3 received, 3 viewers): ${c3.cpu.toFixed(0)} % of a core, ${c3.threads} threads`);

    // p3 leaves: its tile goes, p1 and p2 keep playing, the pipeline runs on.
    const t1 = Date.now();
    await pages[2].close({ runBeforeUnload: true });
    await p.waitFor('p3 lost', (e) => e.event === 'webrtclive-producer-lost');
    log(`p3's producer lost ${Date.now() - t1} ms after its page closed`);
    await shows(pages[0], 'two tiles', TWO);
    await keepsPlaying(pages[0], 'p1 after p3 left');
    await keepsPlaying(pages[1], 'p2 after p3 left');

    // p4 joins later: it plays the composite and appears in it.
    const p4 = await join(browser, url, 'p4');
    await until('p4 to play the composite', async () => (await room(p4)).framesDecoded >= 30, 30000, 250);
    await shows(pages[1], 'three tiles again (p4 in)', THREE);
    await shows(p4, 'three tiles, seen by p4', THREE);
    assert(p.alive, 'the room pipeline runs');
    assert(!p.find((e) => e.event === 'error'), 'no error from the room pipeline');
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer), { timeoutMs: 170000 });
