// SPDX-License-Identifier: LGPL-2.1-or-later
//
// LeakSanitizer on a churning sink (registered in the ASan build only, run
// by `meson test --setup asan`): 30 join/leave cycles of webrtclivesrc
// against one webrtclivesink with leak detection on, then a clean stop.
// LSan's report may name GLib's and GStreamer's one-time allocations (type
// and quark tables, plugin init); no leak may come from our own code.
import { join } from 'node:path';
import { BUILD_DIR, assert, log, run, spawnWatched, startPipeline } from './lib.mjs';

run('sink leaks', async (defer) => {
  const p = await startPipeline('videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=30/1 ! ' +
    'webrtclivesink name=sink port=0 address=127.0.0.1 ice-addresses=127.0.0.1 video-codecs=h264 producer-name=cam',
  { env: { ASAN_OPTIONS: 'detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=20:abort_on_error=0',
    LSAN_OPTIONS: 'exitcode=0:report_objects=0' } });
  defer(() => p.stop());
  const ws = p.url.replace('http://', 'ws://') + 'ws';
  const churn = spawnWatched('churn', join(BUILD_DIR, 'tests', 'churn'), [ws, '30'], {
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', GST_PLUGIN_PATH: join(BUILD_DIR, 'plugin'),
      GST_REGISTRY: join(BUILD_DIR, 'tests', 'registry.bin') },
    stdio: ['ignore', 'pipe', 'pipe'], exits: true,
  });
  assert((await churn.exited).code === 0, 'the 30 cycles ran');
  await p.stop();
  const report = p.stderr;
  const leaks = report.split(/\n(?=(?:Direct|Indirect) leak of )/).filter((b) => /^(Direct|Indirect) leak of /.test(b));
  // Ours: a frame in the plugin's or the libraries' sources, other than
  // type and class registration (GObject keeps those for the process).
  const oneTime = /g_type_class_ref|g_type_register|_class_init|_get_type|plugin_init|g_once_init|gst_plugin_load/;
  const ours = leaks.filter((b) => /\.\.\/(elements|signaling|common|plugin)\//.test(b) && !oneTime.test(b));
  log(`LeakSanitizer: ${leaks.length} leak stacks, ${ours.length} through our code`);
  for (const b of ours) log(b.split('\n').slice(0, 14).join('\n'));
  assert(ours.length === 0, `no leak through the plugin's own code (${ours.length})`);
}, { timeoutMs: 240000 });
