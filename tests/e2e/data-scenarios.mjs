// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Data channels and talkback with headless Chromium as the consumer:
// messages pushed into webrtclivesink's data pads reach the page in order
// (also a page that joins later), the unreliable pad is negotiated as such,
// the page's messages come back through data-received with its consumer id,
// a message to one consumer reaches only it, an oversize message is dropped
// with a warning while the channel and the video go on; with talkback=true a
// page's (fake) microphone comes out of the sink's talkback pad.
import {
  assert, keepsDecoding, launchBrowser, log, openViewer, run, sleep, startPipeline, toneWav, until, waitFrames,
} from './lib.mjs';

const W = 320, H = 240;
const SRC = `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1`;
const SINK = 'webrtclivesink name=s port=0 address=127.0.0.1 ice-addresses=127.0.0.1 video-codecs=vp8';

// Every data-channel message the page gets, in arrival order, and each
// channel's negotiated settings (the page's own panel keeps only 20).
const RECORD = `
  window.__data = [];
  window.__chans = {};
  const Base = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Base {
    constructor(...a) {
      super(...a);
      this.addEventListener('datachannel', (e) => {
        const ch = e.channel;
        window.__chans[ch.label] = { ordered: ch.ordered, maxRetransmits: ch.maxRetransmits, open: false };
        ch.addEventListener('open', () => { window.__chans[ch.label].open = true; });
        ch.addEventListener('message', (m) => window.__data.push(
          [ch.label, typeof m.data === 'string' ? m.data : (m.data.byteLength ?? m.data.size)]));
      });
    }
  };`;

const data = (page) => page.evaluate(() => window.__data);
const chans = (page) => page.evaluate(() => window.__chans);
const texts = (msgs, label) => msgs.filter(([l, d]) => l === label && typeof d === 'string').map(([, d]) => d);

// msg-a, msg-a+1, ... msg-b without a gap, or why not.
function contiguous(list, last) {
  const nums = list.filter((m) => m.startsWith('msg-')).map((m) => Number(m.slice(4)));
  if (!nums.length) return 'nothing received';
  for (let i = 1; i < nums.length; i++) if (nums[i] !== nums[i - 1] + 1) return `msg-${nums[i - 1]} then msg-${nums[i]}`;
  if (nums[nums.length - 1] !== last) return `ends at msg-${nums[nums.length - 1]}`;
  return null;
}

const scenarios = {
  async 'data-channels'(defer) {
    const p = await startPipeline(
      `${SRC} ! ${SINK} max-data-message-size=4096 data_0::label=chat ` +
      'data_1::label=fast data_1::ordered=false data_1::max-retransmits=0 ' +
      'appsrc name=chat caps=text/x-raw,format=utf8 ! s.data_0 appsrc name=fast caps=application/octet-stream ! s.data_1');
    defer(() => p.stop());
    const browser = await launchBrowser();
    defer(() => browser.close());
    const first = await openViewer(browser, p.url, 'autoplay=1', { initScript: RECORD });
    await until('the first page\'s channels to open', async () => {
      const c = await chans(first);
      return c.chat?.open && c.fast?.open;
    }, 20000);
    const negotiated = (await chans(first)).fast;
    log('the unreliable channel as Chromium sees it:', JSON.stringify(negotiated));
    assert(negotiated.ordered === false && negotiated.maxRetransmits === 0, 'fast: ordered false, maxRetransmits 0');
    assert((await chans(first)).chat.ordered === true, 'chat is ordered');

    // 200 messages over ~3 s (live-runner pushes them from its own loop);
    // a second page joins in the middle.
    assert((await p.command('pushseq chat msg 200 25', 'pushseq')).ok, 'pushing started');
    for (let i = 0; i < 10; i++) await p.command('pushbin fast 700', 'pushbin');
    await sleep(800);
    const second = await openViewer(browser, p.url, 'autoplay=1', { initScript: RECORD });
    await p.waitFor('every message pushed', (e) => e.event === 'pushed', 20000);
    for (const [name, page] of [['first', first], ['second', second]]) {
      await until(`the ${name} page to get msg-199`, async () => texts(await data(page), 'chat').includes('msg-199'), 15000);
      const got = texts(await data(page), 'chat');
      const gap = contiguous(got, 199);
      log(`${name} page: ${got.length} chat messages from ${got[0]}`);
      assert(!gap, `the ${name} page got every message from its join on, in order (${gap})`);
    }
    assert(texts(await data(first), 'chat')[0] === 'msg-0', 'the first page got every message');
    assert(Number(texts(await data(second), 'chat')[0].slice(4)) > 0, 'the second page joined later');
    const binary = (await data(first)).filter(([l]) => l === 'fast');
    assert(binary.length > 0 && binary.every(([, n]) => n === 700), `binary messages of 700 bytes (${binary.length})`);

    // Page → sink, with each consumer's id; then sink → one consumer only.
    const said = async (page, text) => {
      await page.evaluate((t) => window.webrtclive.sendOnChannel('chat', t), text);
      return p.waitFor(`"${text}" at the sink`, (e) => e.event === 'data-received' && e.text === text, 10000);
    };
    const one = await said(first, 'hello from the first page');
    const two = await said(second, 'hello from the second page');
    log('consumer ids:', one.consumer, two.consumer);
    assert(one.label === 'chat' && one.consumer && two.consumer && one.consumer !== two.consumer,
      'data-received names each consumer');
    assert((await p.command(`send s ${one.consumer} chat only-for-the-first`, 'send')).ok, 'send-string to one id');
    await until('the first page to get its message', async () => texts(await data(first), 'chat').includes('only-for-the-first'), 10000);
    await sleep(1000);
    assert(!texts(await data(second), 'chat').includes('only-for-the-first'), 'the second page did not get it');

    // Oversize: dropped with a warning naming the consumer; all goes on.
    await first.evaluate(() => window.webrtclive.sendOnChannel('chat', 'x'.repeat(10000)));
    const w = await p.waitFor('a warning', (e) => e.event === 'warning' && /Dropped a message/.test(e.message), 10000);
    log('sink warned:', w.message);
    assert(w.message.includes(one.consumer) && /10000 bytes; at most 4096/.test(w.message), 'the warning says who and why');
    await said(first, 'still talking');
    await keepsDecoding(first, 'the first page after the oversize message');

    // A channel the sink never offered, opened by the page: accepted, said,
    // and its messages handed on like the others.
    await first.evaluate(() => {
      const ch = window.__pcs[0].createDataChannel('rogue');
      ch.onopen = () => ch.send('from a channel of my own');
    });
    const rogue = await p.waitFor('the rogue message', (e) => e.event === 'data-received' && e.label === 'rogue', 10000);
    assert(rogue.text === 'from a channel of my own' && rogue.consumer === one.consumer, 'its message arrives');
    await p.waitFor('a warning about it', (e) => e.event === 'warning' && /did not offer/.test(e.message), 5000);
    await keepsDecoding(first, 'the first page after its own channel');
  },

  async talkback(defer) {
    const wav = toneWav(defer);  // the fake microphone
    const p = await startPipeline(
      `${SRC} ! ${SINK} talkback=true audiotestsrc is-live=true wave=silence ! s. ` +
      's.talkback ! level interval=100000000 post-messages=true ! fakesink name=counttalk');
    defer(() => p.stop());
    const browser = await launchBrowser({ args: [`--use-file-for-fake-audio-capture=${wav}`] });
    defer(() => browser.close());
    const page = await openViewer(browser, p.url, 'autoplay=1&talk=1');
    await waitFrames(page, 10);
    const loud = () => p.filter((e) => e.event === 'level' && e.rms > -40).length;
    await until('2 s of sound out of the talkback pad', () => loud() >= 20, 30000);
    const talking = p.find((e) => e.event === 'webrtclive-talking');
    log(`talkback: ${loud()} loud 100 ms intervals; ${talking && talking.structure}`);
    assert(talking && /talking=\(boolean\)true/.test(talking.structure), 'the sink says who is talking');
    await keepsDecoding(page, 'the talking page');
    const talk = await page.evaluate(() => window.webrtclive.talk);
    assert(talk.offered && talk.state === 'talking', `the page offers talk and talks (${JSON.stringify(talk)})`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios)}`);
run(name, (defer) => scenarios[name](defer));
