// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Load generators the benchmarks share: the hand-written producers of
// bench/tools/scale-baseline (B: tee → webrtcbin per viewer; P: an encoder
// per viewer, the gst-plugins-rs webrtcsink design) and processes of
// lightweight consumers (bench/tools/lite-consumer: ICE + DTLS + SRTP
// receive and RTCP receiver reports, frames counted, no decode, no TWCC).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BUILD_DIR, log } from '../tests/e2e/lib.mjs';

// scale-baseline (`mode` tee or per-consumer: 1280x720 snow at 30 fps, x264
// at `bitrate` kbit/s) on a free port: {pid, ws, url, stop()}.
export async function startBaseline(mode, { bitrate, name }) {
  const proc = spawn(join(BUILD_DIR, 'bench', 'scale-baseline'), [
    '--mode', mode, '--port', '0', '--bitrate', String(bitrate), '--name', name],
  { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = /"urls":\["([^"]+)"/.exec(buf);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (c) => reject(new Error(`scale-baseline exited (${c})`)));
  });
  return {
    pid: proc.pid, ws: url.replace('http://', 'ws://') + 'ws', url,
    stop: () => new Promise((r) => { proc.on('exit', r); proc.stdin.end(); setTimeout(() => proc.kill('SIGKILL'), 10000); }),
  };
}

// One lite-consumer process with `count` consumers of the producer named
// `producer`; each consumer's figures are kept in `all` under
// "p<process>:<id>": {joined (its "joined" line), last (its part of the
// latest "report"), at}.
let processes = 0;
export function startConsumers(ws, count, all, { producer, joinIntervalMs = 20 }) {
  const tag = `p${++processes}:`;  // ids are per process
  const proc = spawn(join(BUILD_DIR, 'bench', 'lite-consumer'), [
    '--url', ws, '--producer', producer, '--count', String(count), '--join-interval-ms', String(joinIntervalMs),
    '--report-ms', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.startsWith('{')) continue;
      let ev;
      try { ev = JSON.parse(line); } catch { continue; }
      if (ev.event === 'joined') Object.assign(all[tag + ev.id] ??= {}, { joined: ev });
      if (ev.event === 'report') for (const c of ev.per ?? []) Object.assign(all[tag + c.id] ??= {}, { last: c, at: Date.now() });
      if (ev.event === 'failed' || ev.event === 'ended') log(`consumer ${tag}${ev.id} ${ev.event}: ${ev.reason}`);
    }
  });
  return proc;
}

// Ends child processes (SIGTERM, then SIGKILL after 5 s).
export const stopAllProcs = (procs) => Promise.all(procs.map((p) => new Promise((r) => {
  if (p.exitCode !== null) return r();
  p.on('exit', r);
  p.kill('SIGTERM');
  setTimeout(() => p.kill('SIGKILL'), 5000);
})));
