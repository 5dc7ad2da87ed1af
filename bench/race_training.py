#!/usr/bin/python3
"""Races one CUT training step on the CPU: our trainer against the PyTorch
reference trainer (tests/reference/cut_trainer.py), same run, same thread
count, the cut.json recipe's networks (ngf 64, 9 blocks, ndf 64, P 256) at
256x256 batch 1.  Prints each side's median seconds per step and ours/PyTorch
(target <= 0.6), for our exact, fast and bf16 precision.  Not part of the test suite.

    /usr/bin/python3 bench/race_training.py --build build --threads 2
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "reference"))
import cut_networks as nets  # noqa: E402
import cut_trainer  # noqa: E402


def torch_step_seconds(recipe, steps, warmup):
    t = cut_trainer.CutTrainer(recipe)
    s = recipe["sampling"]["crop_size"]
    P = recipe["architecture"]["heads"]["n_patches"]
    g = torch.Generator().manual_seed(0)
    times = []
    for i in range(warmup + steps):
        x = torch.rand(1, 3, s, s, generator=g) * 2 - 1
        y = torch.rand(1, 3, s, s, generator=g) * 2 - 1
        with torch.no_grad():
            taps = t.G.encode(x)
        ids = [[torch.randperm(f.shape[2] * f.shape[3], generator=g)[:P] for f in taps] for _ in range(2)]
        start = time.perf_counter()
        t.step(x, y, ids[0], ids[1])
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--recipe", default=os.path.join(here, "..", "presets", "recipes", "cut.json"))
    opt = ap.parse_args()
    nets.setup_torch(opt.threads)
    with open(opt.recipe) as f:
        recipe = json.load(f)
    exe = os.path.join(opt.build, "bench", "gcut-bench-training")
    env = dict(os.environ, OMP_NUM_THREADS=str(opt.threads))
    ours = {}
    for mode in ("exact", "fast", "bf16"):
        out = subprocess.run([exe, opt.recipe, "--threads", str(opt.threads), "--steps", str(opt.steps),
                              "--warmup", str(opt.warmup), "--precision", mode],
                             check=True, capture_output=True, text=True, env=env).stdout
        ours[mode] = float(out.split()[-1])
    ref = torch_step_seconds(recipe, opt.steps, opt.warmup)
    print("CUT training step, 256x256 batch 1, %d thread(s), torch %s" % (opt.threads, torch.__version__))
    print("%-10s %8.3f s" % ("PyTorch", ref))
    for mode, s in ours.items():
        print("%-10s %8.3f s   ours/PyTorch %.2f" % ("ours " + mode, s, s / ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
