#!/usr/bin/python3
"""Races one training step on the CPU: our trainer against the PyTorch
reference trainer of the recipe's family (tests/reference/cut_trainer.py for
CUT's ResNet G, sincut_trainer.py for SinCUT's StyleGAN2-lite G and R1), same
run, same thread count, at the recipe's real size (cut.json: ngf 64, 9 blocks,
ndf 64, P 256, 256x256 batch 1; sincut.json: 16 crops of 64x64, ngf 10, ndf 8,
R1 every step).  Prints each side's median seconds per step and ours/PyTorch
(target <= 0.6 for CUT, <= 0.5 for SinCUT), for our exact, fast and bf16
precision.  Not part of the test suite.

    /usr/bin/python3 bench/race_training.py --build build --threads 2 [--recipe presets/recipes/sincut.json]

On a GPU, --device cuda races PyTorch eager fp32 (cuDNN benchmarking, no
TF32); --torch-amp gives PyTorch bf16 autocast and channels_last instead;
--batch N overrides the recipe's batch.  Each line also projects the recipe's
whole run (its "steps") from the step time.

PyTorch multiplies matrices with whatever libblas.so.3 it finds: Debian's
default is the slow reference BLAS, which makes the NCE logits (4096x4096 for
SinCUT) cost PyTorch far more than they need to.  For a fair race put an
optimized one first, e.g. Debian's libopenblas0-pthread unpacked with
`apt-get download` + `dpkg-deb -x`:

    LD_LIBRARY_PATH=$DIR/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 bench/race_training.py ...

The first line of the output gives PyTorch's matrix product rate.

--profile also prints, per precision, where our steps' time went: the engine's
GCUT_PROFILE table of each plan (the trainer's D step and G step, and R1's two
plans when the recipe has R1), summed over the warm-up and the timed steps.
"""
import argparse
import contextlib
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
import sincut_trainer  # noqa: E402


def reference_trainer(recipe, device):
    if recipe["architecture"]["generator"].get("kind", "resnet") == "stylegan2-lite":
        return sincut_trainer.SinCutTrainer(recipe, device=device)
    return cut_trainer.CutTrainer(recipe, device=device)


def torch_step_seconds(recipe, steps, warmup, device, amp):
    """Median seconds of the reference trainer's step; amp: bf16 autocast and
    channels_last (CUDA)."""
    t = reference_trainer(recipe, device)
    fmt = torch.channels_last if amp else torch.contiguous_format
    for net in (t.G, t.D, t.F):
        net.to(memory_format=fmt)
    s, B = recipe["sampling"]["crop_size"], recipe["sampling"].get("batch", 1)
    P = recipe["architecture"]["heads"]["n_patches"]
    g = torch.Generator().manual_seed(0)
    times = []
    for i in range(warmup + steps):
        x = (torch.rand(B, 3, s, s, generator=g) * 2 - 1).to(device, memory_format=fmt)
        y = (torch.rand(B, 3, s, s, generator=g) * 2 - 1).to(device, memory_format=fmt)
        with torch.no_grad():
            taps = t.encode(x)
        ids = [[torch.randperm(f.shape[2] * f.shape[3], generator=g)[:P] for f in taps] for _ in range(2)]
        noise = [[torch.randn(n, generator=g) for n in t.noise_shapes(x.shape)] for _ in range(2)]
        synchronize(device)
        start = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext():
            t.step(x, y, ids[0], ids[1], noise if noise[0] else None)
        synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_rate():
    """GFLOP/s of PyTorch's 1024x1024 matrix product: which BLAS it runs on."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    torch.mm(a, b)
    start = time.perf_counter()
    torch.mm(a, b)
    return 2 * 1024 ** 3 / (time.perf_counter() - start) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--recipe", default=os.path.join(here, "..", "presets", "recipes", "cut.json"))
    ap.add_argument("--profile", action="store_true", help="print our plans' time per op")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--batch", type=int, help="crops per step (default: the recipe's)")
    ap.add_argument("--torch-amp", action="store_true",
                    help="PyTorch with bf16 autocast and channels_last (CUDA)")
    opt = ap.parse_args()
    if opt.device == "cuda":
        # PyTorch's fastest eager fp32: cuDNN benchmarking, no TF32 (our exact mode has none)
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    else:
        nets.setup_torch(opt.threads)
    with open(opt.recipe) as f:
        recipe = json.load(f)
    if opt.batch:
        recipe["sampling"]["batch"] = opt.batch
    exe = os.path.join(opt.build, "bench", "gcut-bench-training")
    env = dict(os.environ, OMP_NUM_THREADS=str(opt.threads))
    if opt.profile:
        env["GCUT_PROFILE"] = "1"
    ours, profiles = {}, {}
    for mode in ("exact", "fast", "bf16"):
        run = subprocess.run([exe, opt.recipe, "--device", opt.device, "--threads", str(opt.threads),
                              "--steps", str(opt.steps), "--warmup", str(opt.warmup),
                              "--batch", str(recipe["sampling"].get("batch", 1)), "--precision", mode],
                             check=True, capture_output=True, text=True, env=env)
        ours[mode], profiles[mode] = float(run.stdout.split()[-1]), run.stderr
    ref = torch_step_seconds(recipe, opt.steps, opt.warmup, opt.device, opt.torch_amp)
    a, smp = recipe["architecture"], recipe["sampling"]
    print("%s training step (%s G ngf %d, %s D ndf %d), %dx%d batch %d, %d thread(s), torch %s"
          % (os.path.basename(opt.recipe), a["generator"].get("kind", "resnet"), a["generator"]["ngf"],
             a["discriminator"].get("kind", "patchgan"), a["discriminator"]["ndf"], smp["crop_size"],
             smp["crop_size"], smp.get("batch", 1), opt.threads, torch.__version__))
    if opt.device == "cuda":
        print("GPU: %s; PyTorch %s" % (torch.cuda.get_device_name(0),
                                       "bf16 autocast, channels_last" if opt.torch_amp else "fp32, no TF32"))
    else:
        print("PyTorch's matrix product: %.0f GFLOP/s (a few for the reference BLAS)" % matmul_rate())
    steps = recipe["schedule"]["steps"]
    print("%-10s %8.3f s   the recipe's %d steps: %.1f min" % ("PyTorch", ref, steps, ref * steps / 60))
    for mode, s in ours.items():
        print("%-10s %8.3f s   ours/PyTorch %.2f   %d steps: %.1f min"
              % ("ours " + mode, s, s / ref, steps, s * steps / 60))
    for mode, text in profiles.items() if opt.profile else ():
        print("\nours %s, %d steps:\n%s" % (mode, opt.warmup + opt.steps, text.rstrip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
