// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A scenario, as the e2e tests write them (run() of tests/e2e/lib.mjs),
// whose process under test misbehaves in the way named by argv[2] (see
// tests/tools/misbehave.c). tests/harness/selftest.mjs runs it and checks
// that the harness fails it.
import { join } from 'node:path';
import { BUILD_DIR, run, sleep, spawnWatched } from '../e2e/lib.mjs';

const mode = process.argv[2];
run(`fixture ${mode}`, async (defer) => {
  const w = spawnWatched(`misbehave ${mode}`, join(BUILD_DIR, 'tests', 'misbehave'), [mode], { stopWith: 'stdin' });
  defer(() => w.stop());
  await sleep(1500);  // the scenario's body: the process must still be alive at its end
});
