"""Running gegl-cut's built tools from the benchmarks: where they and the
recipes are, and child processes with their time measured.

Children run with OMP_WAIT_POLICY=passive: OpenMP threads that spin while
they wait crawl on a shared machine.
"""
import os
import subprocess
import sys
import time
from collections import namedtuple

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# wall_s: elapsed seconds; cpu_s: the child's user + system CPU seconds, all
# its threads (os.wait4); load_start, load_end: the 1-minute load average
# before and after, to say how shared the machine was.
Measured = namedtuple("Measured", "returncode wall_s cpu_s load_start load_end")


def recipe_path(name):
    """A recipe argument as a file: a path as given, else presets/recipes/NAME.json."""
    if os.path.sep in name or name.endswith(".json"):
        return name
    return os.path.join(SOURCE_ROOT, "presets", "recipes", name + ".json")


def tool(build, name):
    """Path of a built tool (build/training/NAME); exits if it is missing."""
    path = os.path.join(build, "training", name)
    if not os.access(path, os.X_OK):
        sys.exit("%s: %s not found; build first or pass --build"
                 % (os.path.basename(sys.argv[0]), path))
    return path


def run_measured(cmd, log_path, env=None):
    """Run cmd with stdout and stderr in log_path; measure it."""
    env = dict(os.environ, OMP_WAIT_POLICY="passive", **(env or {}))
    load_start = os.getloadavg()[0]
    with open(log_path, "w") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(proc.returncode, wall, usage.ru_utime + usage.ru_stime,
                    load_start, os.getloadavg()[0])


def run_logged(cmd, log_path, env=None):
    """run_measured, stopping with the log's tail when the command fails, so
    that a broken build or recipe is obvious."""
    m = run_measured(cmd, log_path, env)
    if m.returncode != 0:
        with open(log_path) as log:
            tail = log.read()[-2000:]
        sys.exit("%s: %s failed (%d):\n%s" % (os.path.basename(sys.argv[0]),
                                              " ".join(cmd), m.returncode, tail))
    return m
