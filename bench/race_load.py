#!/usr/bin/python3
"""Races training steps on a quiet machine against the same steps with one core
taken by another busy process, as on a desktop where something else runs.
Prints it/s without and with the busy loop and their ratio (goal: loaded at
least 0.45x idle), and, with --variants, how other OpenMP waiting settings fare.
Not part of the test suite: run it when the machine is otherwise idle.

    /usr/bin/python3 bench/race_load.py --build build [--recipe cut-cpu] [--recipe cut]
        [--steps N] [--warmup N] [--rounds N] [--variants] [--nice N]

Each run is gcut-bench-training on data/samples/forest.jpg and
starry-night.jpg (default recipes: cut-cpu and cut), with what users get: all
cores, and the waiting our programs choose themselves (GOMP_SPINCOUNT=1000
unless the user set it or OMP_WAIT_POLICY; engine/omp-wait-policy.c).  The
busy loop is one Python process spinning at the same priority.  Idle and loaded runs
alternate, --rounds times; it/s is the timed steps' count over their time,
the median over the rounds.

--variants adds libgomp's own default (GOMP_SPINCOUNT=300000, what our
programs had before they chose their waiting), a longer spin, passive waiting
(OMP_WAIT_POLICY=passive) and one thread, each idle and loaded, and prints every
variant's idle speed relative to libgomp's default.

--nice N gives the race's processes niceness N, and their session too where
the kernel shares the CPU between sessions first (autogroup).  On a machine
that others share, `setsid /usr/bin/python3 bench/race_load.py --nice -20 ...`
(root only) gives the race some 88 times the weight of each other session.
That comes close to an idle machine for threads that spin, less so for
threads that sleep: they still wake behind other sessions' work.  Say so with
the figures.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")

# name, environment added, --threads (0: all cores)
DEFAULTS = ("defaults", {}, 0)
VARIANTS = [("libgomp default spin", {"GOMP_SPINCOUNT": "300000"}, 0),
            ("spin 10000", {"GOMP_SPINCOUNT": "10000"}, 0),
            ("passive", {"OMP_WAIT_POLICY": "passive"}, 0),
            ("1 thread", {}, 1)]


def recipe_path(name):
    return name if os.path.exists(name) else os.path.join(root, "presets", "recipes", name + ".json")


def steps_per_second(opt, recipe, env_added, threads):
    env = {k: v for k, v in os.environ.items() if k not in WAIT_VARIABLES}
    env.update(env_added)
    samples = os.path.join(root, "data", "samples")
    run = subprocess.run([os.path.join(opt.build, "bench", "gcut-bench-training"), recipe,
                          "--threads", str(threads), "--steps", str(opt.steps),
                          "--warmup", str(opt.warmup),
                          "--content", os.path.join(samples, "forest.jpg"),
                          "--style", os.path.join(samples, "starry-night.jpg")],
                         check=True, capture_output=True, text=True, env=env)
    mean = next(float(line.split()[1]) for line in run.stdout.splitlines()
                if line.startswith("mean_step_seconds"))
    return 1 / mean


def set_priority(nice):
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    if os.path.exists("/proc/self/autogroup"):
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(nice))


def busy_loop():
    """One process that keeps a core busy until it is killed."""
    p = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    return p


def race(opt, recipe, variants):
    idle = {v[0]: [] for v in variants}
    loaded = {v[0]: [] for v in variants}
    for _ in range(opt.rounds):
        for name, env_added, threads in variants:
            idle[name].append(steps_per_second(opt, recipe, env_added, threads))
            busy = busy_loop()
            try:
                loaded[name].append(steps_per_second(opt, recipe, env_added, threads))
            finally:
                busy.kill()
                busy.wait()
    return ({k: statistics.median(v) for k, v in idle.items()},
            {k: statistics.median(v) for k, v in loaded.items()})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--recipe", action="append", help="name or file (default: cut-cpu and cut)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per run")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--rounds", type=int, default=3, help="idle and loaded runs of each variant")
    ap.add_argument("--variants", action="store_true", help="also other waiting settings")
    ap.add_argument("--nice", type=int, default=0, help="the race's niceness (see above)")
    opt = ap.parse_args()
    # Killed, still stop the busy loop (the finally in race()).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    variants = [DEFAULTS] + (VARIANTS if opt.variants else [])
    if opt.nice:
        set_priority(opt.nice)
    print("%d cores; load average before: %.1f; nice %d" % (os.cpu_count(), os.getloadavg()[0], opt.nice))
    for name in opt.recipe or ["cut-cpu", "cut"]:
        idle, loaded = race(opt, recipe_path(name), variants)
        print("\n%s, %d timed steps, median of %d rounds" % (name, opt.steps, opt.rounds))
        print("%-22s %9s %11s %12s%s" % ("", "idle it/s", "loaded it/s", "loaded/idle",
                                          "  idle/libgomp default" if opt.variants else ""))
        for v in variants:
            print("%-22s %9.2f %11.2f %12.2f%s"
                  % (v[0], idle[v[0]], loaded[v[0]], loaded[v[0]] / idle[v[0]],
                     "  %.2f" % (idle[v[0]] / idle[VARIANTS[0][0]]) if opt.variants else ""))
    print("\nload average after: %.1f" % os.getloadavg()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
