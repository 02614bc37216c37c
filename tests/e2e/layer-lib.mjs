// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the layer tests (layer-scenarios.mjs) and the layer benchmark
// (bench/layers.mjs) share: the ladder and source, viewers (webrtclivesrc in
// live-runner) in network namespaces of their own behind a link the test can
// cap (netns.mjs), the sink's layer messages, and the frame timing of a
// viewer's `countvideo` (live-runner's "counts": per_second, gaps, sizes).
import { startPipeline } from './lib.mjs';
import { childNamespace, link, shaper } from './netns.mjs';

export const LADDER = '1280x720@2500,640x360@800,320x180@250';
export const TOP = [1280, 720];
// Noise: every layer's encoder meets its bitrate (a ball would be ~170
// kbit/s at 720p and fit under any cap), and frames are all about the same
// size (noise predicts as badly as it intra-codes): no keyframe bursts.
export const NOISE = 'videotestsrc is-live=true pattern=snow ! video/x-raw,width=1280,height=720,framerate=30/1';

// Viewer i's link: the sink's end lv<i> = 10.98.<i>.1, the viewer's eth0 = 10.98.<i>.2.
export const net = (i) => ({ sink: `10.98.${i}.1`, viewer: `10.98.${i}.2`, dev: `lv${i}` });

// A namespace for viewer i joined to the test's by its own link, with a cap
// on what the sink sends it: {i, pid, addr (the viewer's), sinkAddr, cap}.
export async function viewerSite(defer, i) {
  const pid = await childNamespace(defer, `viewer${i}`);
  const a = net(i);
  link(pid, { name: a.dev, address: a.sink, peer: a.viewer });
  const cap = shaper(a.dev);
  defer(() => cap.lift());
  return { i, pid, addr: a.viewer, sinkAddr: a.sink, cap };
}

// A webrtclivesrc viewer of the sink on `port`: in the namespace of `site`
// (or on loopback without one), decoded video through `tail` into a counter
// named countvideo. Returns live-runner's handle.
export async function startViewer(site, port, { name, tail = '', loopback = false } = {}) {
  const [server, ice] = loopback ? ['127.0.0.1', '127.0.0.1'] : [site.sinkAddr, site.addr];
  return startPipeline(`webrtclivesrc name=s server=ws://${server}:${port}/ws ice-addresses=${ice} ` +
    `s.video_0 ! ${tail ? `${tail} ! ` : ''}fakesink name=countvideo sync=false async=false`,
  { name, netns: loopback ? undefined : site.pid });
}

// The sink's consumer id of the viewer at `addr` (its webrtclive-stats name
// the remote address).
export async function consumerAt(p, addr, ms = 10000) {
  const s = await p.waitFor(`the sink's stats of the viewer at ${addr}`, (e) => e.event === 'webrtclive-stats' &&
    (e.fields?.['remote-address'] ?? '').startsWith(`${addr}:`), ms);
  return s.fields['consumer-id'];
}

// The fields of the sink's element messages (live-runner's "fields").
export const fieldsOf = (p, name, pred = () => true) => p.filter((e) => e.event === name && e.fields && pred(e.fields, e));
export const switchedOf = (p, peer) => fieldsOf(p, 'webrtclive-layer-switched', (f) => f['peer-id'] === peer)
  .map((e) => ({ ...e.fields, at: e.at }));

// What the sink said of one consumer once a second (webrtclive-stats), from
// `since` (times relative to it; 0: all, wall-clock seconds).
export function statsLine(p, peer, since) {
  return fieldsOf(p, 'webrtclive-stats', (f, e) => f['consumer-id'] === peer && e.at >= since)
    .map((e) => ({ ...e.fields, at: e.at }))
    .map((f) => `${since ? `${Math.round((f.at - since) / 100) / 10}s` : new Date(f.at).toISOString().slice(17, 23)} ` +
      `L${f.layer ?? '-'}/${f['layer-source'] ?? '-'} ` +
      `est ${f['estimate-kbps'] ?? '-'} sent ${Math.round((f.bitrate ?? 0) / 1000)}k lost ${f['fraction-lost']} ` +
      `pli ${f['pli-count']} kf ${f['keyframe-requests']} kf-dropped ${f['keyframe-requests-dropped'] ?? '-'}`)
    .join('; ');
}

// Frame rates over every run of `width` whole seconds inside [from, to] (ms),
// from a counter's per_second ([second, n]; a missing second had no frame).
export function fpsWindows(c, from, to, width = 3) {
  const per = new Map(c.per_second);
  const first = Math.ceil(from / 1000), last = Math.floor(to / 1000) - 1;  // whole seconds only
  const out = [];
  for (let s = first; s + width - 1 <= last; s++) {
    let n = 0;
    for (let k = 0; k < width; k++) n += per.get(s + k) ?? 0;
    out.push(n / width);
  }
  return out;
}

// A counter's gaps of 100 ms or more, [start, ms], with one still open at
// `now` counted up to now.
function gapsOf(c, now) {
  const gaps = [...c.gaps];
  if (c.last && now - c.last >= 100) gaps.push([c.last, now - c.last]);
  return gaps;
}

// The longest gap between decoded frames that overlaps [from, to] (ms), as
// {start, ms} ({start: null, ms: 0} if none of 100 ms or more).
// The longest gap that begins inside [from, to) (none that began before).
export function longestGapFrom(c, from, to, now = Date.now()) {
  return gapsOf(c, now).filter(([start]) => start >= from && start < to)
    .reduce((best, [start, ms]) => (ms > best.ms ? { start, ms } : best), { start: null, ms: 0 });
}

export function longestGap(c, from, to, now = Date.now()) {
  return gapsOf(c, now).filter(([start, ms]) => start < to && start + ms > from)
    .reduce((best, [start, ms]) => (ms > best.ms ? { start, ms } : best), { start: null, ms: 0 });
}

// Frozen time inside [from, to]: the parts of every gap of at least
// `minMs` (a freeze; Chromium counts one from max(3 frame intervals, one +
// 150 ms), ~183 ms at 30 fps) that fall inside the window, and how many.
export function frozen(c, from, to, minMs = 200, now = Date.now()) {
  let ms = 0, count = 0;
  for (const [start, len] of gapsOf(c, now)) {
    if (len < minMs) continue;
    const part = Math.min(start + len, to) - Math.max(start, from);
    if (part > 0) {
      ms += part;
      count++;
    }
  }
  return { ms, count };
}

// The first caps change at or after `from` to a size matching `pred`: its time.
export const sizeAt = (c, from, pred) => c.sizes.find(([at, w, h]) => at >= from && pred(w, h))?.[0] ?? null;

export const sizesText = (c) => JSON.stringify(c.sizes.map(([, w, h]) => `${w}x${h}`));
