// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Self-tests of the test harness: each case shows that a failure the
// harness exists to catch does turn a test red.
//   node selftest.mjs CASE
// abort, signal-at-stop, exit-1, glib-critical: a scenario whose process
//   under test does that fails (tests/harness/fixture.mjs); clean passes.
// unknown-property: live-runner refuses a pipeline with a misspelt property,
//   as gst-launch-1.0 does, and startPipeline() throws.
// run-tests-no-test, run-tests-skip, run-tests-fewer: tools/run-tests.sh,
//   run on a small meson project, exits non-zero when no test ran, when a
//   test skipped under CI=true, and when fewer tests ran than are registered.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, log, run, startPipeline } from '../e2e/lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

function fixture(mode) {
  const r = spawnSync(process.execPath, [join(HERE, 'fixture.mjs'), mode], { encoding: 'utf8', timeout: 60000 });
  const out = r.stdout + r.stderr;
  log(`fixture ${mode}: exit ${r.status}\n${out.trim()}`);
  return { status: r.status, out };
}

const failsWith = (mode, reason) => async () => {
  const r = fixture(mode);
  assert(r.status === 1, `the scenario fails (exit ${r.status})`);
  assert(/FAIL fixture/.test(r.out) && !/PASS fixture/.test(r.out), 'it says FAIL, not PASS');
  assert(reason.test(r.out), `the failure names the cause (${reason})`);
};

// Runs tools/run-tests.sh on a throwaway meson project whose meson.build
// registers `tests` (name → shell exit code) and whose `meson test` runs
// with `args`.
function runTests(tests, { args = [], env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'webrtclive-harness-'));
  try {
    const lines = ["project('fixture')", "sh = find_program('sh')"];
    for (const [name, code] of Object.entries(tests)) lines.push(`test('${name}', sh, args : ['-c', 'exit ${code}'])`);
    writeFileSync(join(dir, 'meson.build'), lines.join('\n') + '\n');
    const r = spawnSync(join(ROOT, 'tools', 'run-tests.sh'), args, {
      encoding: 'utf8', timeout: 60000,
      env: { ...process.env, WEBRTCLIVE_SOURCE_DIR: dir, BUILD_DIR: join(dir, 'build'), WEBRTCLIVE_SKIP_INSTALL: '1', ...env },
    });
    const out = r.stdout + r.stderr;
    const closing = out.trim().split('\n').pop();
    log(`run-tests.sh ${JSON.stringify(tests)} ${args.join(' ')}: exit ${r.status}, closing line "${closing}"`);
    return { status: r.status, out, closing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases = {
  abort: failsWith('abort', /died by SIGABRT/),
  // (AddressSanitizer turns the SIGSEGV into an abort under --setup asan.)
  'signal-at-stop': failsWith('signal-at-stop', /died by SIG(SEGV|ABRT) while stopping/),
  'exit-1': failsWith('exit-1', /exited with 1 at its stop, expected 0/),
  'glib-critical': failsWith('glib-critical', /logged: .*CRITICAL \*\*: .*needs_non_null/),
  async clean() {
    const r = fixture('clean');
    assert(r.status === 0 && /PASS fixture/.test(r.out), `a well-behaved process passes (exit ${r.status})`);
  },

  async 'unknown-property'() {
    let err = null;
    await startPipeline('videotestsrc num-buffers=1 ! fakesink sycn=false', { exits: true, exitCode: 1 })
      .catch((e) => { err = e; });
    log('startPipeline said:', String(err).split('\n')[0]);
    assert(err && /no property \\?"sycn\\?"/.test(String(err)), `a misspelt property is refused: ${err}`);
  },

  async 'run-tests-no-test'() {
    const r = runTests({});
    assert(r.status !== 0, `exit non-zero when no test ran (${r.status})`);
    assert(/no test ran/.test(r.out), 'and says so');
    const ok = runTests({ one: 0 });
    assert(ok.status === 0 && ok.closing === '1 passed, 0 failed', `control: one passing test is green ("${ok.closing}")`);
  },

  async 'run-tests-skip'() {
    const ci = runTests({ one: 0, skipped: 77 }, { env: { CI: 'true' } });
    assert(ci.status !== 0, `under CI=true a skip fails the run (${ci.status})`);
    assert(ci.closing === '1 passed, 1 failed', `the skip is counted as failed: "${ci.closing}"`);
    const local = runTests({ one: 0, skipped: 77 }, { env: { CI: '' } });
    assert(local.status === 0 && local.closing === '1 passed, 0 failed, 1 skipped',
      `outside CI a skip is shown, not failed: "${local.closing}" (${local.status})`);
  },

  async 'run-tests-fewer'() {
    // Some test never reports (meson stopped early, --maxfail): every
    // registered test must be accounted for.
    const r = runTests({ a: 1, b: 0, c: 0 }, { args: ['--maxfail', '1', '--num-processes', '1'] });
    log(r.out.split('\n').filter((l) => /ERROR|passed/.test(l)).join('\n'));
    assert(r.status !== 0, `exit non-zero (${r.status})`);
    assert(/of 3 registered tests ran/.test(r.out), 'says that not every registered test ran');
    assert(r.closing === '0 passed, 3 failed', `the closing line counts the unrun as failed: "${r.closing}"`);
  },
};

const name = process.argv[2];
if (!cases[name]) throw new Error(`unknown case ${name}; one of ${Object.keys(cases)}`);
run(`harness ${name}`, () => cases[name]());
