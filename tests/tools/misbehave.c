/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A process under test that fails in one chosen way, for the self-tests of
 * the harness (tests/harness/selftest.mjs): the harness must report each.
 *   misbehave abort           aborts (SIGABRT) 300 ms after starting
 *   misbehave signal-at-stop  dies of SIGSEGV when told to stop (stdin EOF)
 *   misbehave exit-1          exits 1 when told to stop
 *   misbehave glib-critical   logs a GLib CRITICAL, then stops cleanly
 *   misbehave clean           stops cleanly (exit 0) when told to
 */
#include <glib.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void needs_non_null(const char *s) {
  g_return_if_fail(s != NULL);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const char *mode = argv[1];
  printf("started %s\n", mode);
  fflush(stdout);
  if (g_str_equal(mode, "abort")) {
    g_usleep(300 * 1000);
    abort();
  }
  if (g_str_equal(mode, "glib-critical")) needs_non_null(NULL);
  /* Wait for stdin to close: the harness's "stop". */
  char buf[256];
  while (fread(buf, 1, sizeof buf, stdin) > 0) {
  }
  if (g_str_equal(mode, "signal-at-stop")) raise(SIGSEGV);
  if (g_str_equal(mode, "exit-1")) return 1;
  return 0;
}
