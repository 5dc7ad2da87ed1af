"""The TAP runner of the Python test scripts: @case runs a check at once and
records it, so one failure is reported and the other checks still run."""
import sys

_results = []


def case(fn):
    try:
        fn()
        _results.append((True, fn.__name__, ""))
    except Exception as e:
        _results.append((False, fn.__name__, "%s: %s" % (type(e).__name__, e)))
    return fn


def finish(cleanup=None):
    """Print the plan and the results, run cleanup, exit 1 if a check failed."""
    print("1..%d" % len(_results))
    for i, (ok, name, why) in enumerate(_results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        for line in why.splitlines():
            print("# " + line)
    if cleanup:
        cleanup()
    sys.exit(0 if all(ok for ok, _, _ in _results) else 1)
