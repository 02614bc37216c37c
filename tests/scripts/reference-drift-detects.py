#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The reference-drift check can fail: a fresh reference generated into a
# temporary directory passes `--check`; then one property's blurb changed,
# a page removed, a page added: each must make it exit 1 and say what
# (the diff names the property; the file is named).
#
#   reference-drift-detects.py TOOLS/gen-reference.py BUILD_DIR
import os, re, shutil, subprocess, sys, tempfile

gen, build = sys.argv[1], sys.argv[2]
PAGE = "webrtclivesink.md"


def fail(msg, out=""):
    print(out)
    sys.exit(f"FAIL: {msg}")


def run(ref, *extra):
    p = subprocess.run([sys.executable, gen, "--build-dir", build, "--reference-dir", ref, *extra],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def expect_drift(ref, what, *needles):
    rc, out = run(ref, "--check")
    if rc != 1:
        fail(f"{what}: --check exited {rc}, not 1", out)
    for n in needles:
        if n not in out:
            fail(f"{what}: the output does not contain {n!r}", out)
    if "tools/gen-reference.py --build-dir" not in out:
        fail(f"{what}: the output does not say how to regenerate", out)
    print(f"ok: {what} detected")


with tempfile.TemporaryDirectory(prefix="reference-drift-") as tmp:
    fresh, ref = os.path.join(tmp, "fresh"), os.path.join(tmp, "ref")
    rc, out = run(fresh)
    if rc != 0:
        fail(f"generating into {fresh} exited {rc}", out)
    shutil.copytree(fresh, ref)
    rc, out = run(ref, "--check")
    if rc != 0:
        fail(f"--check of a fresh copy exited {rc}, not 0", out)
    print("ok: a fresh copy passes")

    # One property's blurb (the first property of the page) changed.
    path = os.path.join(ref, PAGE)
    lines = open(path, encoding="utf-8").read().split("\n")
    start = lines.index("## Properties")
    head = next(i for i in range(start, len(lines)) if lines[i].startswith("### `"))
    prop = re.match(r"### `([^`]+)`", lines[head]).group(1)
    blurb = head + 2  # heading, blank line, blurb
    original = lines[blurb]
    lines[blurb] = original + " (edited by hand)"
    open(path, "w", encoding="utf-8").write("\n".join(lines))
    expect_drift(ref, f"a changed blurb of {PAGE} property {prop}",
                 f"@@ ### `{prop}`", "-" + lines[blurb], "+" + original)
    shutil.copy(os.path.join(fresh, PAGE), path)

    gone = os.path.join(ref, "webrtclivestamp.md")
    os.remove(gone)
    expect_drift(ref, "a missing page", f"missing file {gone}")
    shutil.copy(os.path.join(fresh, "webrtclivestamp.md"), gone)

    extra = os.path.join(ref, "webrtcliveghost.md")
    open(extra, "w").write("# webrtcliveghost\n")
    expect_drift(ref, "an extra page", f"extra file {extra}")
    os.remove(extra)

    rc, out = run(ref, "--check")
    if rc != 0:
        fail(f"--check after restoring exited {rc}, not 0", out)
print("PASS")
