#!/usr/bin/python3
"""Races our CPU engine against PyTorch on the CUT generator and discriminator.

Same machine, same run, same thread count, same 256x256 batch-1 input.  Prints
each side's median time and ours/PyTorch (below 1 means we are faster), for our
exact mode (direct convolutions), our fast mode (Winograd 3x3 convolutions) and
our bf16 mode (fast, plus bf16 operands for the other convolutions).

Then a roofline for the exact mode: each case's convolution work, the rate
PyTorch reached on it, and the floor on any direct float32 implementation's
time at the rate of the fastest single convolution this machine runs (a large
3x3 convolution through the same oneDNN kernels).  Where 0.6x PyTorch's time is
below that floor, no exact float32 engine can reach it.

    /usr/bin/python3 bench/race_networks.py --build build --threads 2
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import cut_networks as ref  # noqa: E402


def time_torch(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def conv_work(module, x, backward, input_grad):
    """Multiply-add FLOPs of module's convolutions on x: forward, plus with
    backward the weight gradients and the data gradients (but the first
    convolution's only when input_grad)."""
    flops = []

    def hook(conv, inputs, output):
        n, c_out, h, w = output.shape
        c_in, kh, kw = conv.weight.shape[1:]
        flops.append(2 * n * c_out * h * w * c_in * kh * kw)

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    total = sum(flops)
    if backward:
        total += sum(flops) + sum(flops[0 if input_grad else 1:])
    return total


def conv_peak(reps):
    """FLOP/s of a large direct 3x3 convolution, forward and backward."""
    x = torch.randn(1, 256, 64, 64, requires_grad=True)
    w = torch.randn(256, 256, 3, 3, requires_grad=True)
    g = torch.randn(1, 256, 64, 64)
    t = time_torch(lambda: torch.autograd.grad(torch.conv2d(x, w, padding=1), (x, w), g), reps)
    return 3 * 2 * 64 * 64 * 256 * 256 * 9 / t


def torch_times(size, reps):
    G = ref.init_weights(ref.ResnetGenerator(3, 3, 64, 9, True, True))
    D = ref.init_weights(ref.NLayerDiscriminator(3, 64, 3, True))
    x = torch.rand(1, 3, size, size) * 2 - 1
    seed_g = torch.randn(1, 3, size, size)

    def g_forward():
        with torch.no_grad():
            G(x)

    def g_forward_backward():
        G.zero_grad(set_to_none=True)
        (G(x) * seed_g).sum().backward()

    xd = x.clone().requires_grad_(True)
    with torch.no_grad():
        seed_d = torch.randn_like(D(x))

    def d_forward_backward():
        D.zero_grad(set_to_none=True)
        xd.grad = None
        (D(xd) * seed_d).sum().backward()

    times = {
        "G_forward": time_torch(g_forward, reps),
        "G_forward_backward": time_torch(g_forward_backward, reps),
        "D_forward_backward": time_torch(d_forward_backward, reps),
    }
    work = {
        "G_forward": conv_work(G, x, False, False),
        "G_forward_backward": conv_work(G, x, True, False),
        "D_forward_backward": conv_work(D, x, True, True),
    }
    return times, work


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--reps", type=int, default=5)
    opt = p.parse_args()

    torch.set_num_threads(opt.threads)
    theirs, work = torch_times(opt.size, opt.reps)
    peak = conv_peak(opt.reps)
    env = dict(os.environ, OMP_NUM_THREADS=str(opt.threads))
    ours = {}
    for mode in ("exact", "fast", "bf16"):
        cmd = [os.path.join(opt.build, "bench", "gcut-bench-networks"), "--threads", str(opt.threads),
               "--size", str(opt.size), "--reps", str(opt.reps)] + ([] if mode == "exact" else ["--" + mode])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        ours[mode] = {name: float(median) for name, median, _ in (line.split() for line in out.splitlines())}

    print(f"CUT networks, {opt.size}x{opt.size} batch 1, {opt.threads} threads, median of {opt.reps}")
    print(f"torch {torch.__version__}, oneDNN in torch: {torch.backends.mkldnn.is_available()}")
    print("exact: direct convolutions (what the parity tests check); fast: Winograd for 3x3; "
          "bf16: also bf16 operands elsewhere where the CPU has them")
    print(f"{'case':<22}{'PyTorch s':>11}" + "".join(f"{m + ' s':>10}{'ratio':>7}" for m in ours))
    for name in ("G_forward", "G_forward_backward", "D_forward_backward"):
        t = theirs[name]
        print(f"{name:<22}{t:>11.3f}" + "".join(f"{ours[m][name]:>10.3f}{ours[m][name] / t:>7.2f}"
                                               for m in ours))

    print(f"\nroofline: the fastest direct float32 convolution here runs at {peak / 1e9:.0f} GFLOP/s")
    print(f"{'case':<22}{'GFLOP':>8}{'PyTorch GFLOP/s':>17}{'exact GFLOP/s':>15}{'floor s':>9}"
          f"{'0.6x PyTorch s':>16}")
    for name in ("G_forward", "G_forward_backward", "D_forward_backward"):
        floor, target = work[name] / peak, 0.6 * theirs[name]
        print(f"{name:<22}{work[name] / 1e9:>8.1f}{work[name] / theirs[name] / 1e9:>17.0f}"
              f"{work[name] / ours['exact'][name] / 1e9:>15.0f}{floor:>9.3f}{target:>16.3f}"
              + ("  (below the floor)" if target < floor else ""))


if __name__ == "__main__":
    main()
