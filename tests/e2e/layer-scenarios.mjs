// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The layer ladder of webrtclivesink (issue 15) as viewers meet it. One
// scenario per process: `node layer-scenarios.mjs <name>`.
//
//  layers-tbf        one sink (720p30 noise, ladder 720p/360p/180p), two
//                    webrtclivesrc viewers, each in a network namespace of
//                    its own behind its own veth pair (netns.mjs); viewer 2's
//                    link is capped at 400 kbit/s (tc tbf on the sink's end),
//                    then freed. Viewer 2 goes down within 3 s without a
//                    decoded-frame gap over 500 ms from the switch on, climbs back within 30 s;
//                    viewer 1 keeps 1280x720 at >= 29 fps; encoders = layers
//                    in use.
//  layers-tbf-control  the same with no ladder (video-layers unset): the
//                    harness's control. The cap must bite (viewer 2 freezes)
//                    and viewer 1 must not notice; proves the measurements
//                    above can fail.
//  layers-chromium-forced  headless Chromium on a 3-layer sink; set-layer
//                    puts it on layer 2, then back on 0: the decoded size
//                    (inbound-rtp frameWidth/frameHeight) follows at the next
//                    keyframe, framesDecoded keeps growing, freezeCount grows
//                    by at most 1 per switch.
//
// The figures (time to switch down and to climb back, gaps, frame rates,
// what tbf dropped) are logged for docs and the benchmark.
import {
  assert, counts, keepsDecoding, launchBrowser, log, openViewer, run, sleep, startPipeline, until, waitCount,
  waitFrames, watchFrames,
} from './lib.mjs';
import { udpReceiveBufferDrops } from './netns.mjs';
import {
  LADDER, NOISE, TOP, consumerAt, fpsWindows, longestGap, longestGapFrom, sizeAt, sizesText, startViewer, statsLine, switchedOf,
  viewerSite,
} from './layer-lib.mjs';

const BALL = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1';
const CAP_KBIT = 400;
const CAP_HOLD_MS = 10000;

const countOf = async (v) => (await counts(v.r)).countvideo;

// A sink, and viewers 1..n in namespaces of their own (webrtclivesrc, decoded
// video counted at `countvideo`); returns {p, viewers: [{r, pid, addr, peer, cap}]}.
async function sinkAndNamespacedViewers(defer, sinkOptions, n = 2) {
  const viewers = [];
  for (let i = 1; i <= n; i++) viewers.push(await viewerSite(defer, i));
  const ice = viewers.map((v) => v.sinkAddr).join(',');
  const p = await startPipeline(`${NOISE} ! webrtclivesink name=sink port=0 producer-name=cam video-codecs=h264 ` +
    `stats-interval=1000 ice-addresses=${ice} ${sinkOptions}`, { name: 'sink' });
  defer(() => p.stop());
  const port = new URL(p.url).port;
  for (const v of viewers) {
    v.r = await startViewer(v, port, { name: `viewer${v.i}` });
    defer(() => v.r.stop());
  }
  // Which consumer is which viewer: the sink's stats name the address.
  for (const v of viewers) {
    await waitCount(v.r, 'countvideo', 30, 30000);
    v.peer = await consumerAt(p, v.addr);
    log(`viewer ${v.i}: ${v.addr}, consumer ${v.peer}`);
  }
  for (const v of viewers) {
    const c = await countOf(v);
    assert(c.sizes.every(([, w, h]) => w === TOP[0] && h === TOP[1]) && !switchedOf(p, v.peer).length,
      `viewer ${v.i} decodes ${TOP.join('x')} from the start, on an uncapped link: sizes ${sizesText(c)}, ` +
      `switches ${JSON.stringify(switchedOf(p, v.peer))}; the sink saw: ${statsLine(p, v.peer, 0)}; UDP datagrams ` +
      `its host dropped for a full receive buffer: ${udpReceiveBufferDrops(v.pid)}`);
  }
  return { p, viewers };
}

// The encoders the sink made: counted in its bin and in its own stats.
async function encoders(p) {
  const enc = (await p.command('encoders', 'encoders')).count;
  const stats = (await p.command('stats', 'stats')).stats;
  const m = /encoders=\(uint\)(\d+)/.exec(stats);
  return { enc, stat: m ? Number(m[1]) : null };
}

// Viewer 1 through the whole run: never another size than the top; from
// the cap on (what viewer 2's link can do to it), >= 29 fps over every 3 s.
// Gaps before the cap are logged: a start-up burst is not the cap's doing.
async function assertUntouched(v, from, tCap) {
  const c = await countOf(v);
  const fps = fpsWindows(c, tCap, Date.now());
  const others = c.sizes.filter(([at, w, h]) => at >= from && (w !== TOP[0] || h !== TOP[1]));
  const gap = longestGap(c, tCap, Date.now()).ms;
  const gaps = c.gaps.filter(([start]) => start >= from).map(([start, ms]) => `${ms} ms at ${start - tCap}`);
  log(`viewer ${v.i} over ${Math.round((Date.now() - tCap) / 1000)} s from the cap: fps per 3 s min ${Math.min(...fps).toFixed(1)} ` +
    `median ${[...fps].sort((a, b) => a - b)[fps.length >> 1]?.toFixed(1)}, longest gap ${gap} ms, sizes ${sizesText(c)}; ` +
    `frames per second ${fpsWindows(c, from, Date.now(), 1).join(' ')}; gaps from 3 s before the cap (ms after it) ${gaps.join(', ')}`);
  assert(fps.length >= 5, `enough whole seconds measured (${fps.length} windows)`);
  assert(!others.length, `viewer ${v.i} stayed at ${TOP.join('x')}: ${JSON.stringify(others)}`);
  assert(Math.min(...fps) >= 29, `viewer ${v.i} kept >= 29 fps over every 3 s (min ${Math.min(...fps).toFixed(1)})`);
}

async function tbf(defer, ladder) {
  const { p, viewers } = await sinkAndNamespacedViewers(defer, ladder ? `video-layers=${LADDER}` : '');
  const [v1, v2] = viewers;
  const e0 = await encoders(p);
  log(`encoders with both viewers on the top layer: ${e0.enc} (sink stats: ${e0.stat})`);
  assert(e0.enc === 1, `one encoder for two viewers on one layer (${e0.enc})`);
  const from = Date.now();
  await sleep(3000);
  const tCap = Date.now();
  v2.cap.limit(CAP_KBIT);
  if (ladder) {
    const down = await until('viewer 2 to switch down', () => switchedOf(p, v2.peer).find((s) => s.at >= tCap && s.to > s.from), 10000, 50);
    const lowAt = await until('viewer 2 to decode a lower size',
      async () => sizeAt(await countOf(v2), tCap, (w) => w < TOP[0]), 10000, 50);
    await sleep(1000);
    const c2 = await countOf(v2);
    // The freeze the congestion causes (from the first loss, before anyone
    // can know) and the gap the switch itself makes (from the sink's
    // decision to the new layer playing on): the second is the sink's.
    const { start, ms: gap } = longestGap(c2, tCap, lowAt + 1000);
    const switchGap = lowAt - down.at;
    // Sizes are polled every 50 ms: the first lower frame came at most
    // that long before lowAt; a gap that began earlier is the congestion's.
    const after = longestGapFrom(c2, lowAt - 50, lowAt + 3000).ms;
    log(`viewer 2 capped at ${CAP_KBIT} kbit/s: switched ${down.from} -> ${down.to} (${down.width}x${down.height}, ` +
      `${down.reason}, estimate ${down['estimate-kbps']} kbit/s) ${down.at - tCap} ms after the cap; decoded lower ` +
      `${lowAt - tCap} ms after; longest decoded-frame gap ${gap} ms` +
      (start ? ` (from ${start - tCap} ms to ${start + gap - tCap} ms after the cap)` : ''));
    log(`viewer 2 frames per second around it: ${fpsWindows(c2, tCap - 2000, Date.now(), 1).join(' ')}; ` +
      `the sink saw: ${statsLine(p, v2.peer, tCap)}; tbf: ${v2.cap.stats()}`);
    assert(down.at - tCap <= 3000, `viewer 2 switched down within 3 s of the cap (${down.at - tCap} ms)`);
    assert(lowAt - tCap <= 3000, `viewer 2 decoded a lower size within 3 s of the cap (${lowAt - tCap} ms)`);
    log(`viewer 2: the switch itself took ${switchGap} ms from the sink's decision to the lower size decoded; ` +
      `longest gap once it plays ${after} ms; the congestion froze it ${gap} ms in all (decision 91)`);
    assert(switchGap <= 500, `viewer 2 decoded the lower layer within 500 ms of the switch (${switchGap} ms)`);
    assert(after <= 500, `no decoded-frame gap over 500 ms at viewer 2 on the lower layer (${after} ms)`);
    assert(gap <= 2000, `the whole freeze of viewer 2, cap to lower layer, under 2 s (${gap} ms)`);
    await sleep(Math.max(0, tCap + CAP_HOLD_MS - Date.now()));
    const used = new Set([0, ...switchedOf(p, v2.peer).flatMap((s) => [s.from, s.to])]);
    const e1 = await encoders(p);
    const c2b = await countOf(v2);
    const fps2 = fpsWindows(c2b, lowAt + 1000, Date.now());
    log(`while capped: viewer 2 ${JSON.stringify(switchedOf(p, v2.peer).map((s) => `${s.from}->${s.to} ${s.reason} +${s.at - tCap}ms`))}, ` +
      `fps per 3 s ${fps2.map((x) => x.toFixed(1)).join(' ')}; encoders ${e1.enc} (stats ${e1.stat}) for layers used ${[...used]}`);
    log(`sink's view of viewer 2: ${statsLine(p, v2.peer, tCap)}`);
    assert(e1.enc === e1.stat, `the sink's stats count its encoders (${e1.stat} vs ${e1.enc})`);
    assert(e1.enc >= 2 && e1.enc <= used.size, `an encoder per layer used (${e1.enc} encoders, layers ${[...used]}), not per viewer`);
    assert(fps2.length && Math.min(...fps2) > 0, 'viewer 2 kept decoding under the cap');
    const tLift = Date.now();
    v2.cap.lift();
    log(`tbf on ${v2.cap.stats()}`);
    const up = await until('viewer 2 back on the top layer', () => switchedOf(p, v2.peer).find((s) => s.at >= tLift && s.to === 0), 30000, 100);
    const topAt = await until('viewer 2 to decode the top size again',
      async () => sizeAt(await countOf(v2), tLift, (w, h) => w === TOP[0] && h === TOP[1]), 5000, 50);
    log(`cap lifted: viewer 2 back on layer 0 ${up.at - tLift} ms later (${up.reason}), decoding ${TOP.join('x')} ` +
      `${topAt - tLift} ms later; switches ${JSON.stringify(switchedOf(p, v2.peer).map((s) => `${s.from}->${s.to} ${s.reason} +${s.at - tLift}ms`))}`);
    assert(topAt - tLift <= 30000, `viewer 2 climbed back within 30 s (${topAt - tLift} ms)`);
    await sleep(2000);
    assert(!switchedOf(p, v1.peer).length, `viewer 1 never switched: ${JSON.stringify(switchedOf(p, v1.peer))}`);
  } else {
    await sleep(CAP_HOLD_MS);
    const c2 = await countOf(v2);
    const gap = longestGap(c2, tCap, Date.now()).ms;
    const fps2 = fpsWindows(c2, tCap + 1000, Date.now());
    log(`no ladder, viewer 2 capped at ${CAP_KBIT} kbit/s for ${CAP_HOLD_MS} ms: longest decoded-frame gap ${gap} ms, ` +
      `fps per 3 s ${fps2.map((x) => x.toFixed(1)).join(' ')}, sizes ${sizesText(c2)}`);
    log(`tbf on ${v2.cap.stats()}`);
    log(`sink's view of viewer 2: ${statsLine(p, v2.peer, tCap)}`);
    assert(gap > 1000 || Math.max(...fps2) < 10, `the cap bites: viewer 2 froze (gap ${gap} ms) or crawled`);
    v2.cap.lift();
    const before = c2.buffers;
    await until('viewer 2 to decode again once the cap is lifted', async () => (await countOf(v2)).buffers >= before + 30, 20000, 250);
  }
  log(`the sink's view of viewer 1 from the cap on: ${statsLine(p, v1.peer, tCap)}`);
  log(`UDP datagrams dropped for a full receive buffer: viewer 1 ${udpReceiveBufferDrops(v1.pid)}, ` +
    `viewer 2 ${udpReceiveBufferDrops(v2.pid)}`);
  await assertUntouched(v1, from, tCap);
  const eEnd = await encoders(p);
  log(`encoders at the end: ${eEnd.enc}`);
}

// Inbound video of the page's open peer connections, from getStats() now,
// and the <video> element's size (what the user sees).
const inbound = (page) => page.evaluate(async () => {
  for (const pc of (window.__pcs || []).filter((c) => c.connectionState !== 'closed')) {
    let r = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && (s.kind || s.mediaType) === 'video') r = s;
    });
    if (r) {
      const v = document.querySelector('video');
      return {
        w: r.frameWidth, h: r.frameHeight, framesDecoded: r.framesDecoded, keyFramesDecoded: r.keyFramesDecoded,
        freezeCount: r.freezeCount ?? 0, freezeMs: Math.round((r.totalFreezesDuration ?? 0) * 1000),
        framesDropped: r.framesDropped, pliCount: r.pliCount, firCount: r.firCount, nackCount: r.nackCount,
        ssrc: r.ssrc, decoder: r.decoderImplementation, video: v ? [v.videoWidth, v.videoHeight] : null,
      };
    }
  }
  return null;
});

// The latest webrtclive-stats fields of consumer `peer`.
const lastStats = (p, peer) => p.filter((e) => e.event === 'webrtclive-stats' && e.fields?.['consumer-id'] === peer).pop()?.fields ?? {};

async function chromiumForced(defer) {
  const p = await startPipeline(`${BALL} ! webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1 ` +
    `video-codecs=h264 stats-interval=1000 video-layers=${LADDER}`, { name: 'sink' });
  defer(() => p.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  const page = await openViewer(browser, p.url);
  await waitFrames(page, 60);
  const peer = (await p.waitFor('consumer-added', (e) => e.event === 'webrtclive-consumer-added'))['peer-id'];
  let s = await until(`the top size decoded`, async () => {
    const x = await inbound(page);
    return x && x.w === TOP[0] && x.h === TOP[1] ? x : null;
  }, 10000, 100);
  log(`Chromium decodes ${s.w}x${s.h} (ssrc ${s.ssrc}, decoder ${s.decoder ?? "not reported"}): ${JSON.stringify(s)}`);
  const ssrc = s.ssrc;
  const figures = [];
  for (const [layer, size] of [[2, [320, 180]], [0, TOP]]) {
    const before = await inbound(page);
    const watch = watchFrames(page, 50);
    const t0 = Date.now();
    const reply = await p.command(`emit sink set-layer ${peer} ${layer}`, 'emit');
    assert(reply.ok && reply.return === 'true', `set-layer ${layer} accepted: ${JSON.stringify(reply)}`);
    const sw = await until(`the sink to say it switched to ${layer}`, () => switchedOf(p, peer).find((x) => x.at >= t0 && x.to === layer), 5000, 20);
    assert(sw.reason === 'forced', `a forced switch says so: ${sw.reason}`);
    const at = await until(`Chromium to decode ${size.join('x')}`, async () => {
      const x = await inbound(page);
      return x && x.w === size[0] && x.h === size[1] ? { ...x, at: Date.now() } : null;
    }, 5000, 20);
    const shown = await until(`the <video> to show ${size.join('x')}`, async () => {
      const x = await inbound(page);
      return x.video && x.video[0] === size[0] && x.video[1] === size[1] ? Date.now() : null;
    }, 5000, 20);
    await keepsDecoding(page, `Chromium on layer ${layer}`, 60);
    const { longestStallMs } = await watch.stop();
    const after = await inbound(page);
    const f = {
      layer, size: size.join('x'), bus: sw.at - t0, decodedMs: at.at - t0, shownMs: shown - t0,
      keyframes: after.keyFramesDecoded - before.keyFramesDecoded, freezes: after.freezeCount - before.freezeCount,
      freezeMs: after.freezeMs - before.freezeMs, dropped: after.framesDropped - before.framesDropped,
      decoded: after.framesDecoded - before.framesDecoded, longestStallMs, ssrc: after.ssrc,
    };
    figures.push(f);
    log(`set-layer ${layer}: ${JSON.stringify(f)}`);
    assert(at.keyFramesDecoded > before.keyFramesDecoded, 'the new size came with a keyframe');
    assert(f.decodedMs <= 2000, `decoded at the new size within one GOP (2 s) of set-layer (${f.decodedMs} ms)`);
    assert(f.freezes <= 1, `freezeCount grew by at most 1 (${f.freezes})`);
    assert(after.ssrc === ssrc, `same SSRC across the switch (${after.ssrc} vs ${ssrc})`);
    // Held there, not taken back by automatic switching; the stats say so.
    await sleep(2000);
    s = await inbound(page);
    assert(s.w === size[0] && s.h === size[1], `still ${size.join('x')} 2 s later (${s.w}x${s.h})`);
    const st = lastStats(p, peer);
    assert(st.layer === layer && st['layer-forced'] === true, `the sink's stats: layer ${st.layer}, forced ${st['layer-forced']}`);
  }
  const back = await p.command(`emit sink set-layer ${peer} -1`, 'emit');
  assert(back.ok && back.return === 'true', `set-layer -1 (automatic again) accepted: ${JSON.stringify(back)}`);
  await keepsDecoding(page, 'Chromium back on automatic switching', 30);
  const t = Date.now();
  const st = await until('a stats message after set-layer -1', () => (p.find((e) => e.event === 'webrtclive-stats' && e.at > t + 100) ? lastStats(p, peer) : null), 3000, 100);
  log(`after set-layer -1: layer ${st.layer}, forced ${st['layer-forced']}, source ${st['layer-source']}, estimate ${st['estimate-kbps']} kbit/s`);
  assert(st['layer-forced'] === false && st['layer-source'] === 'twcc', 'automatic again, on TWCC feedback from Chromium');
  const bad = await p.command(`emit sink set-layer ${peer} 3`, 'emit');
  assert(bad.ok && bad.return === 'false', `set-layer to a layer the ladder does not have is refused: ${JSON.stringify(bad)}`);
  log(`Chromium on a same-SSRC resolution change: ${JSON.stringify(figures)}`);
}

const scenarios = {
  'layers-tbf': (defer) => tbf(defer, true),
  'layers-tbf-control': (defer) => tbf(defer, false),
  'layers-chromium-forced': chromiumForced,
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
run(name, scenarios[name]);
