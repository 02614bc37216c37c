// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Every process under test (a pipeline, the standalone server) is watched:
// it fails the test when it dies by a signal nobody sent it, exits with
// another code than expected, exits while the test still needs it, does not
// stop when asked, or logs a GLib CRITICAL or ERROR — during the scenario and
// at its stop, which is part of every test.
//
//   const w = spawnWatched('sink', cmd, args, { stopWith: 'stdin' });
//   ...
//   await stopAll();            // every watched process, cleanly
//   const problems = allProblems();
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// g_critical()/g_error() as GLib's default handler prints them, in any
// domain: "(prog:123): GLib-CRITICAL **: ..." or "** (prog:123): ERROR **: ...".
export const GLIB_FATAL = /(?:^|[\s:(-])(CRITICAL|ERROR) \*\*:/;

const watched = [];
const listeners = new Set();

function report(w, problem) {
  w.problems.push(problem);
  for (const fn of listeners) fn(w, problem);
}

// Calls fn(watched, problem) for every problem from now on; returns an
// unsubscribe function.
export function onProblem(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Spawns `cmd` and watches it. Options:
//   stopWith  'stdin' (close its stdin, as live-runner expects) or a signal
//             name ('SIGTERM': the standalone server's graceful shutdown)
//   exitCode  the code a clean stop (or an expected exit) must give (0)
//   exits     true when the process is expected to end by itself
//   stopMs    how long a stop may take before the process is killed
//   onLine    called with each output line (stdout and stderr)
export function spawnWatched(name, cmd, args, {
  env = process.env, stopWith = 'SIGTERM', exitCode = 0, exits = false, stopMs = 10000, onLine,
  stdio = ['pipe', 'pipe', 'pipe'],
} = {}) {
  const proc = spawn(cmd, args, { env, stdio });
  const w = {
    name, proc, problems: [], stopping: false, sentSignals: new Set(), tail: [], result: null,
    get alive() {
      return proc.exitCode === null && proc.signalCode === null;
    },
    // Sends a signal the test means to send: dying of it is no problem, and
    // (but for SIGSTOP/SIGCONT) the process may end.
    kill(signal) {
      w.sentSignals.add(signal);
      if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') w.stopping = true;
      proc.kill(signal);
    },
    async stop() {
      if (!w.alive) return w.exited;
      w.stopping = true;
      const began = Date.now();
      if (stopWith === 'stdin') proc.stdin.end();
      else proc.kill(stopWith);
      const t = setTimeout(() => {
        report(w, `${name} did not stop within ${stopMs} ms (killed)`);
        proc.kill('SIGKILL');
      }, stopMs);
      await w.exited;
      clearTimeout(t);
      console.log(`${name} stopped in ${Date.now() - began} ms`);
      return w.result;
    },
  };
  w.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
    w.result = { code, signal };
    if (signal && !w.sentSignals.has(signal) && !(signal === 'SIGKILL' && w.problems.length))
      report(w, `${name} died by ${signal}${w.stopping ? ' while stopping' : ''}`);
    else if (!signal && code !== exitCode)
      report(w, `${name} exited with ${code}${w.stopping ? ' at its stop' : ''}, expected ${exitCode}`);
    else if (!w.stopping && !exits && !signal)
      report(w, `${name} exited (code ${code}) while the test still needed it`);
    resolve(w.result);
  }));
  const scan = (stream) => {
    let partial = '';
    let fatal = null;  // a CRITICAL/ERROR line whose message follows on the next line
    stream.on('data', (d) => {
      partial += d;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        w.tail.push(line);
        if (w.tail.length > 40) w.tail.shift();
        if (fatal !== null) {
          report(w, `${name} logged: ${fatal} ${line.slice(0, 300)}`);
          fatal = null;
        } else if (GLIB_FATAL.test(line)) {
          // GStreamer's dispose warnings put the message on the next line.
          if (/\*\*: [\d:.]+: ?$/.test(line)) fatal = line.trim();
          else report(w, `${name} logged: ${line.slice(0, 500)}`);
        }
        if (onLine) onLine(line);
      }
    });
    stream.on('end', () => {
      if (fatal !== null) report(w, `${name} logged: ${fatal}`);
    });
  };
  if (proc.stdout) scan(proc.stdout);
  if (proc.stderr) scan(proc.stderr);
  watched.push(w);
  return w;
}

// Stops every watched process that still runs.
export async function stopAll() {
  await Promise.all(watched.map((w) => w.stop()));
}

// Every problem of every watched process, each with the end of its output.
export function allProblems() {
  return watched.filter((w) => w.problems.length).map((w) =>
    `${w.problems.join('\n')}\n  last output of ${w.name}:\n    ${w.tail.slice(-15).join('\n    ')}`);
}

// A promise that rejects at the first problem of any watched process, so a
// scenario fails when its process crashes, not when it times out later.
export function firstProblem() {
  return new Promise((_, reject) => {
    const existing = watched.find((w) => w.problems.length);
    if (existing) reject(new Error(existing.problems[0]));
    else onProblem((w, problem) => reject(new Error(problem)));
  });
}

// A process's figures from /proc: CPU seconds so far (user + system; USER_HZ
// is 100 on Linux), threads, resident MB and open descriptors. Tests and
// bench/ sample it twice and divide.
export function procStat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuS: (Number(rest[11]) + Number(rest[12])) / 100,
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

