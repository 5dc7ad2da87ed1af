"""The bench tests' reporting: each check printed as ok or FAIL, and the exit
status 1 at the end if any failed (every check runs, so one run shows all)."""
import sys

failures = []


def check(ok, what):
    print("%s: %s" % ("ok" if ok else "FAIL", what))
    if not ok:
        failures.append(what)


def finish():
    sys.exit(1 if failures else 0)
