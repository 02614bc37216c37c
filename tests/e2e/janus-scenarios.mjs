// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesink publishing into a Janus VideoRoom (server=janus://...,
// signaling/janus-publisher.*) and webrtclivesrc subscribing to one
// (signaling/janus-subscriber.*), Janus from the Debian package with a
// config of the test's own (janus-lib.mjs), and headless Chromium
// subscribing or publishing through Janus with plain Janus API calls in the page.
import { assert, launchBrowser, log, run, sleep, startPipeline, until, waitCount } from './lib.mjs';
import {
  NIC_ADDRESS, freePort, janusPage, publish, received, sent, startJanus, subscribe, videoroom,
} from './janus-lib.mjs';

const VSRC = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1';
const ASRC = 'audiotestsrc is-live=true wave=ticks';
// Janus never uses loopback for ICE: the sink gathers on nic0, as Janus does.
const sink = (url, extra = '', audio = false) =>
  `webrtclivesink name=s server=${url} ice-addresses=${NIC_ADDRESS} ${extra} ${VSRC} ! s.video_0` +
  (audio ? ` ${ASRC} ! s.audio_0` : '');

// webrtclivesrc subscribed to `url`, its video and audio counted.
const src = (url, extra = '') =>
  `webrtclivesrc name=s server=${url} ice-addresses=${NIC_ADDRESS} ${extra} ` +
  's.video_0 ! fakesink name=countvideo s.audio_0 ! fakesink name=countaudio';

// The src decodes ≥ 60 frames at the sent size (320x240) and audio.
async function srcDecodes(r, janus, t0 = Date.now()) {
  const v = await waitCount(r, 'countvideo', 60, 30000).catch((e) => {
    throw new Error(`${e.message}\nJanus's log:\n${janus.tail(60)}`);
  });
  const a = await waitCount(r, 'countaudio', 50, 10000);
  log(`the src decoded ${v.buffers} frames (${v.caps}) and ${a.buffers} audio buffers, ${Date.now() - t0} ms`);
  assert(v.caps.startsWith('video/x-raw') && v.caps.includes('width=(int)320') && v.caps.includes('height=(int)240'),
    `decoded video of the sent size: ${v.caps}`);
  assert(a.caps.startsWith('audio/x-raw'), `decoded audio: ${a.caps}`);
  return v;
}

// Chromium subscribes to `display` in `room` and decodes 60 frames at the
// sent size (320x240); returns what it received.
async function browserDecodes(defer, janus, room, display, { audio = false, codec, pin } = {}) {
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await janusPage(defer, browser);
  const t0 = Date.now();
  const sub = await subscribe(page, janus.url, room, display, pin ? { pin } : {}).catch((e) => {
    throw new Error(`${e.message}\nJanus's log:\n${janus.tail(60)}`);
  });
  log(`subscribed to feed ${sub.feed} in ${Date.now() - t0} ms`);
  let last = null;
  const r = await until('60 decoded frames at 320x240', async () => {
    const got = last = await received(page);
    return got.frames >= 60 && got.width === 320 && got.height === 240 ? got : null;
  }, 20000, 200).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(last)}\nJanus's log:\n${janus.tail(60)}`);
  });
  log(`Chromium decoded ${r.frames} frames ${r.width}x${r.height} (${r.mime}), ${r.audioPackets} audio packets, ` +
      `${Date.now() - t0} ms after it subscribed`);
  if (audio) await until('audio packets', async () => (await received(page)).audioPackets > 50, 10000, 200);
  if (codec) assert(r.mime.toLowerCase() === `video/${codec}`, `the room got ${codec}: ${r.mime}`);
  return { page, r };
}

const warnings = (p, re) => p.filter((e) => e.event === 'warning' && re.test(e.message));
const found = (p) => p.filter((e) => e.event === 'webrtclive-producer-found');

const scenarios = {
  // Video and audio into room 1234; the sink offers only what the room takes
  // (videocodec=vp8,h264): Janus picks VP8, its first. Janus's RTCP keeps
  // the publication past peer-timeout=3. Stopping the pipeline leaves the room.
  async publish(defer) {
    const janus = await startJanus(defer);
    const t0 = Date.now();
    const p = await startPipeline(sink(janus.roomUrl('room=1234&display=cam&videocodec=vp8,h264&audiocodec=opus'),
      'peer-timeout=3', true));
    defer(() => p.stop());
    const added = await p.waitFor('the room as a consumer', (e) => e.event === 'webrtclive-consumer-added', 15000);
    log(`joined the room ${added.at - t0} ms after start (peer '${added.peer ?? added['peer-id'] ?? ''}')`);
    const { page, r } = await browserDecodes(defer, janus, 1234, 'cam', { audio: true, codec: 'vp8' });
    await sleep(5000);  // past peer-timeout
    const later = await received(page);
    log(`5 s later: ${later.frames} frames, ${later.audioPackets} audio packets`);
    assert(later.frames >= r.frames + 90, 'frames keep coming');
    assert(!p.find((e) => e.event === 'webrtclive-consumer-removed'), 'one publication all along');
    assert(!p.find((e) => e.event === 'warning' || e.event === 'error'), 'no warning, no error');
    await p.stop();
    await until('the publisher gone from the room', async () => {
      const list = await videoroom(page, janus.url, { request: 'listparticipants', room: 1234 });
      return !(list.participants || []).some((x) => x.display === 'cam');
    }, 5000, 200);
    log('the stopped sink left the room');
  },

  // video-codecs=h264 into a vp8,h264 room: H.264 it is.
  async 'publish-h264'(defer) {
    const janus = await startJanus(defer);
    const p = await startPipeline(sink(janus.roomUrl('room=1234&display=h264cam&videocodec=vp8,h264'), 'video-codecs=h264'));
    defer(() => p.stop());
    await browserDecodes(defer, janus, 1234, 'h264cam', { codec: 'h264' });
  },

  // A room that does not exist: one clear warning (not repeated while the
  // sink retries), no crash; once the room is created the retry gets in.
  async 'wrong-room'(defer) {
    const janus = await startJanus(defer);
    const p = await startPipeline(sink(janus.roomUrl('room=4321&display=cam')));
    defer(() => p.stop());
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /no such room 4321/.test(e.message), 10000);
    log('warning:', w.message);
    await sleep(4000);  // several retries (0.5 s doubling)
    assert(p.alive, 'the pipeline runs');
    assert(warnings(p, /no such room/).length === 1, 'the warning is not repeated');
    assert(!p.find((e) => e.event === 'error'), 'no error');
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await janusPage(defer, browser);
    const created = await videoroom(page, janus.url, {
      request: 'create', room: 4321, publishers: 6, videocodec: 'vp8,h264', audiocodec: 'opus',
    });
    log('room created:', JSON.stringify(created));
    await browserDecodes(defer, janus, 4321, 'cam');
  },

  // A wrong pin: a warning that says so, and the pin in no message and no
  // log line (GST_DEBUG=webrtclive*:7); once the room's pin is what the
  // sink has, the retry gets in.
  async 'wrong-pin'(defer) {
    const PIN = 'S3cr3tPin';
    const janus = await startJanus(defer, { rooms: { 5678: { pin: 'right', secret: 'adm' } } });
    const p = await startPipeline(sink(janus.roomUrl(`room=5678&display=cam&pin=${PIN}`)),
      { env: { GST_DEBUG: 'webrtclive*:7' } });
    defer(() => p.stop());
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /wrong pin/.test(e.message), 10000);
    log('warning:', w.message);
    await sleep(2000);
    assert(p.alive && !p.find((e) => e.event === 'error'), 'the pipeline runs, no error');
    const browser = await launchBrowser();
    defer(() => browser.close());
    const page = await janusPage(defer, browser);
    const edited = await videoroom(page, janus.url, { request: 'edit', room: 5678, secret: 'adm', new_pin: PIN });
    log('room edited:', JSON.stringify(edited));
    await browserDecodes(defer, janus, 5678, 'cam', { pin: PIN });
    await p.stop();
    const lines = p.stderr.split('\n').length;
    assert(p.stderr.includes('webrtclivejanus'), 'the debug log was captured');
    assert(!p.stderr.includes(PIN) && !JSON.stringify(p.events).includes(PIN),
      'the pin appears in no message and no log line');
    log(`the pin is in none of ${lines} log lines and ${p.events.length} messages`);
  },

  // The room's codecs (videocodec=) and the sink's video-codecs have
  // nothing in common: a warning at start that says so.
  async 'codec-mismatch'(defer) {
    const janus = await startJanus(defer);
    const p = await startPipeline(sink(janus.roomUrl('room=1234&display=cam&videocodec=vp8,h264'), 'video-codecs=vp9'));
    defer(() => p.stop());
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /video codecs vp8,h264/.test(e.message), 10000);
    log('warning:', w.message);
    assert(/video-codecs/.test(w.message), 'it names the property');
    assert(p.alive && !p.find((e) => e.event === 'error'), 'the pipeline runs, no error');
  },

  // Janus not running: a warning, retries; Janus starts later and the sink
  // publishes into it.
  async 'not-running'(defer) {
    const port = await freePort();
    const p = await startPipeline(sink(`janus://127.0.0.1:${port}/?room=1234&display=cam`));
    defer(() => p.stop());
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /cannot reach Janus/.test(e.message), 15000);
    log('warning:', w.message);
    await sleep(3000);
    assert(p.alive && !p.find((e) => e.event === 'error'), 'the pipeline runs, no error');
    assert(warnings(p, /cannot reach Janus/).length === 1, 'the warning is not repeated');
    const janus = await startJanus(defer, { port });
    const t0 = Date.now();
    await browserDecodes(defer, janus, 1234, 'cam');
    log(`published ${Date.now() - t0} ms after Janus started`);
  },
};

// A Chromium participant publishes its fake camera and microphone into the
// room; webrtclivesrc subscribed with feed=<its display> decodes both.
// When the participant leaves, the src's session ends (producer lost) and
// the pipeline runs on; the participant's return is subscribed again.
scenarios['subscribe-browser'] = async (defer) => {
  const janus = await startJanus(defer);
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await janusPage(defer, browser);
  const t0 = Date.now();
  const pub = await publish(page, janus.url, 1234, 'chromecam');
  log(`Chromium publishes as feed ${pub.id} (${Date.now() - t0} ms)`);
  // Another participant the src must not take.
  const other = await janusPage(defer, browser);
  await publish(other, janus.url, 1234, 'othercam');
  const r = await startPipeline(src(janus.roomUrl('room=1234&feed=chromecam')));
  defer(() => r.stop());
  await srcDecodes(r, janus, t0);
  const f = found(r);
  assert(f.length === 1 && f[0]['peer-id'] === String(pub.id) && f[0].structure.includes('chromecam'),
    `the src took the feed 'chromecam' (${pub.id}) only: ${JSON.stringify(f)}`);
  const s = await sent(page);
  log(`Chromium sent ${s.frames} frames ${s.width}x${s.height}, ${s.audioPackets} audio packets`);
  await page.close();
  const lost = await r.waitFor('the producer lost', (e) => e.event === 'webrtclive-producer-lost', 10000);
  log('lost:', lost.reason);
  assert(/publisher left the room/.test(lost.reason), `the reason says the publisher left: ${lost.reason}`);
  assert(!warnings(r, /no publisher/).length, 'one warning for the leaving (the src\'s), not a second one');
  const before = (await waitCount(r, 'countvideo', 1)).buffers;
  const again = await janusPage(defer, browser);
  const pub2 = await publish(again, janus.url, 1234, 'chromecam');
  await until('frames from the returning participant', async () =>
    (await waitCount(r, 'countvideo', 1)).buffers >= before + 60, 30000, 250);
  assert(found(r).length === 2 && found(r)[1]['peer-id'] === String(pub2.id), 'subscribed to the new publication');
  assert(r.alive && !r.find((e) => e.event === 'error'), 'the pipeline runs, no error');
};

// webrtclivesink publishes into the room, webrtclivesrc (another process)
// subscribes through Janus.
scenarios['sink-to-src'] = async (defer) => {
  const janus = await startJanus(defer);
  const t0 = Date.now();
  const p = await startPipeline(sink(janus.roomUrl('room=1234&display=cam'), 'peer-timeout=3', true));
  defer(() => p.stop());
  const r = await startPipeline(src(janus.roomUrl('room=1234&feed=cam')));
  defer(() => r.stop());
  await srcDecodes(r, janus, t0);
  await sleep(4000);  // past the sink's peer-timeout: Janus's RTCP keeps both legs
  const v = await waitCount(r, 'countvideo', 1);
  log(`4 s later: ${v.buffers} frames`);
  assert(!p.find((e) => e.event === 'warning' || e.event === 'error'), 'the sink: no warning, no error');
  assert(!r.find((e) => e.event === 'warning' || e.event === 'error'), 'the src: no warning, no error');
};

// webrtclivesrc producers=all subscribed to the room: pipeline X has a sink
// publishing as 'x' and the src, compositing what it receives; pipelines A
// and B publish as 'a' and 'b'. The src takes a and b, each on its own pads
// into the compositor, never x (its own pipeline's); A stops: its producer
// is lost, the composite keeps coming with B.
scenarios['room-all'] = async (defer) => {
  const janus = await startJanus(defer);
  const url = (q) => janus.roomUrl(`room=1234&${q}`);
  const x = await startPipeline(
    `webrtclivesink name=s server=${url('display=x')} ice-addresses=${NIC_ADDRESS} ${VSRC} ! s.video_0 ` +
    `webrtclivesrc name=room producers=all server=${url('display=room-x')} ice-addresses=${NIC_ADDRESS} ` +
    'layout-width=640 layout-height=240 room. ! compositor ! video/x-raw,width=640,height=240 ! fakesink name=countmix');
  defer(() => x.stop());
  await x.waitFor('x published', (e) => e.event === 'webrtclive-consumer-added', 15000);
  const a = await startPipeline(sink(url('display=a')), { name: 'publisher-a' });
  defer(() => a.stop());
  const b = await startPipeline(sink(url('display=b')), { name: 'publisher-b' });
  defer(() => b.stop());
  const t0 = Date.now();
  const found = (name) => x.find((e) => e.event === 'webrtclive-producer-found' && e.structure.includes(`name=(string)${name}`));
  await until('the src to take a and b', () => found('a') && found('b'), 30000, 200);
  const mix = await waitCount(x, 'countmix', 60, 30000);
  log(`a and b found, the composite ${mix.caps} flowing ${Date.now() - t0} ms after they started`);
  await sleep(2000);
  assert(!found('x'), 'the src never takes its own pipeline\'s sink (x)');
  const c = await x.command('klass Decoder/Video', 'klass');
  log(`decoders in the room pipeline: ${c.count}`);
  assert(c.count === 2, `one decoder per publisher taken (a, b): ${c.count}`);

  await a.stop();
  const lost = await x.waitFor('a lost', (e) => e.event === 'webrtclive-producer-lost', 15000);
  log(`a lost: ${lost.structure}`);
  const before = (await waitCount(x, 'countmix', 1)).buffers;
  await waitCount(x, 'countmix', before + 30, 10000);
  assert(x.filter((e) => e.event === 'webrtclive-producer-lost').length === 1, 'only a lost');
  assert(!x.find((e) => e.event === 'error'), 'no error in the room pipeline');
};

// Wrong room, wrong pin, no such feed: a warning that names the cause, once,
// no error, and the src keeps trying: once the cause is gone it receives.
scenarios['subscribe-errors'] = async (defer) => {
  const PIN = 'S3cr3tPin';
  const janus = await startJanus(defer, { rooms: { 1234: {}, 5678: { pin: 'right', secret: 'adm' } } });
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await janusPage(defer, browser);
  const pipelines = [];
  const expectWarning = async (url, re, env) => {
    const r = await startPipeline(src(url), { env });
    defer(() => r.stop());
    pipelines.push(r);
    const w = await r.waitFor(`a warning ${re}`, (e) => e.event === 'warning' && re.test(e.message), 10000);
    log('warning:', w.message);
    return r;
  };
  const wrongRoom = await expectWarning(janus.roomUrl('room=4321&feed=cam'), /no such room 4321/);
  const wrongPin = await expectWarning(janus.roomUrl(`room=5678&feed=cam&pin=${PIN}`), /wrong pin/,
    { GST_DEBUG: 'webrtclive*:7' });
  const noFeed = await expectWarning(janus.roomUrl('room=1234&feed=nobody'), /no publisher 'nobody'/);
  await sleep(3000);  // retries (0.5 s doubling)
  for (const [r, re] of [[wrongRoom, /no such room/], [wrongPin, /wrong pin/], [noFeed, /no publisher/]]) {
    assert(r.alive && !r.find((e) => e.event === 'error'), 'the pipeline runs, no error');
    assert(warnings(r, re).length === 1, `the warning is not repeated: ${warnings(r, re).length}`);
  }
  // The causes go: the room is created, the pin set, the feed published.
  await videoroom(page, janus.url, { request: 'create', room: 4321, publishers: 6, videocodec: 'vp8,h264', audiocodec: 'opus' });
  await videoroom(page, janus.url, { request: 'edit', room: 5678, secret: 'adm', new_pin: PIN });
  const sinks = [
    sink(janus.roomUrl('room=4321&display=cam'), '', true),
    sink(janus.roomUrl(`room=5678&display=cam&pin=${PIN}`), '', true),
    sink(janus.roomUrl('room=1234&display=nobody'), '', true),
  ];
  for (const description of sinks) {
    const p = await startPipeline(description);
    defer(() => p.stop());
  }
  for (const r of pipelines) await srcDecodes(r, janus);
  await wrongPin.stop();
  assert(wrongPin.stderr.includes('webrtclivejanus'), 'the debug log was captured');
  assert(!wrongPin.stderr.includes(PIN) && !JSON.stringify(wrongPin.events).includes(PIN),
    'the pin appears in no message and no log line');
  log(`the pin is in none of ${wrongPin.stderr.split('\n').length} log lines`);
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await run(`janus-${name}`, (defer) => scenarios[name](defer));
