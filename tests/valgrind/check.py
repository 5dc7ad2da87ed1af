#!/usr/bin/python3
"""Runs a test under valgrind memcheck and fails on any error in our code.

usage: check.py [--only-ours] VALGRIND TEST [test arguments...]

oneDNN generates its kernels at run time; valgrind sees them as code outside
any object and reports their deliberate reads past a buffer's end (vector loads
of a tail) as invalid.  Those errors, whose every frame lies outside any
object, are counted and reported but do not fail the test.  Every other error,
and every leak that is definite or indirect, does.

--only-ours is for hosts such as the gegl CLI, whose plug-ins (codecs, fonts,
PDF) leak at load time: it counts only errors with a frame in our code (an
object named gcut* or a function prefixed gcut_, gcp_ or gct_).
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def frames(error):
    return [(f.findtext("obj") or "", f.findtext("fn") or "") for f in error.iter("frame")]


def ours(stack):
    return any("gcut" in os.path.basename(obj) or fn.startswith(("gcut_", "gcp_", "gct_"))
               for obj, fn in stack)


def main():
    argv = sys.argv[1:]
    only_ours = argv[0] == "--only-ours"
    if only_ours:
        argv = argv[1:]
    valgrind, test, args = argv[0], argv[1], argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        xml = os.path.join(tmp, "memcheck.xml")
        run = subprocess.run([valgrind, "--xml=yes", "--xml-file=" + xml, "--leak-check=full",
                              "--smc-check=all-non-file", "--child-silent-after-fork=yes",
                              test] + args, env=dict(os.environ, OMP_NUM_THREADS="1"))
        root = ET.parse(xml).getroot()
    jit, bad = 0, []
    for error in root.iter("error"):
        kind = error.findtext("kind")
        stack = frames(error)
        if kind.startswith("Leak_") and kind not in ("Leak_DefinitelyLost", "Leak_IndirectlyLost"):
            continue
        if kind.startswith("Invalid") and all(not obj for obj, _ in stack[:1]):
            jit += 1
            continue
        if only_ours and not ours(stack):
            continue
        what = (error.find("what") if error.find("what") is not None else error.find("xwhat"))
        text = what.findtext("text") if what is not None and what.find("text") is not None else (what.text if what is not None else kind)
        bad.append(f"{kind}: {text}\n" + "\n".join(f"    {fn or '???'} ({obj})" for obj, fn in stack[:12]))
    print(f"valgrind: {len(bad)} errors in our code; {jit} reads inside oneDNN's generated kernels ignored")
    for b in bad:
        print(b)
    if run.returncode == 77:
        return 77
    return 1 if bad or run.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
