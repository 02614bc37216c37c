// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tests of webrtclive-signalling-server as its clients see it: each case
// starts the real executable on 127.0.0.1 with --port 0, reads the chosen
// port from its "listening on" line, and drives it with scripted WebSocket
// clients (ws-client.mjs) through every message type of
// shared/docs/signalling-protocol.md, checking each reply.
//
//   node server-tests.mjs CASE     (WEBRTCLIVE_SERVER = the executable)
//
// Peers that are not listeners are checked strictly: their next message
// must be the expected one, and quiet() asserts that nothing else arrived.
import { cases as protocolCases } from './server-protocol.mjs';
import { cases as abuseCases } from './server-abuse.mjs';
import { allProblems, cleanups, firstProblem, log, stopAll } from './server-lib.mjs';

const cases = { ...protocolCases, ...abuseCases };

// -------------------------------------------------------------------- main

const name = process.argv[2];
if (!cases[name]) {
  console.error(`usage: server-tests.mjs CASE (one of ${Object.keys(cases).join(', ')})`);
  process.exit(2);
}
const watchdog = setTimeout(() => {
  log(`FAIL ${name}: watchdog fired after 25 s`);
  process.exit(1);
}, 25000);
let failure = null;
try {
  await Promise.race([cases[name](), firstProblem()]);
} catch (e) {
  failure = e;
}
for (const fn of cleanups.reverse()) await fn().catch((e) => log(`cleanup failed: ${e.stack || e}`));
await stopAll();  // a clean SIGTERM stop is part of every case
const problems = allProblems();
clearTimeout(watchdog);
if (failure) log(`FAIL ${name}: ${failure.stack || failure}`);
if (problems.length) log(`FAIL ${name}: the server misbehaved:\n${problems.join('\n')}`);
if (!failure && !problems.length) log(`PASS ${name}`);
process.exit(failure || problems.length ? 1 : 0);
