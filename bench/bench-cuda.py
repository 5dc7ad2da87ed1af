#!/usr/bin/python3
"""Races our CUDA backend against PyTorch on the same GPU in the same run.

The CUT generator (resnet_9blocks, ngf 64, antialiased), batch 1, fp32 on both
sides (TF32 off in PyTorch; cuDNN heuristics rather than benchmarking on both;
ours in exact mode, direct algorithms only, and in fast mode, FFT/Winograd too): forward at 256x256 and at translation size 1024x1024, forward+backward
at 256x256.  Each side is timed host to host: the input is copied to the GPU and
the output back (and, for ours, the parameters uploaded every run and their
gradients downloaded, this round's known cost: PyTorch keeps its on the GPU).  Prints medians and ours/PyTorch
(below 1 means we are faster).

    python3 bench/bench-cuda.py --build build-cuda --reps 10
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
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_times(reps):
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    G = ref.init_weights(ref.ResnetGenerator(3, 3, 64, 9, True, True)).cuda()
    out = {}
    for size, name, backward in ((256, "G_forward 256", False), (1024, "G_forward 1024", False),
                                 (256, "G_forward_backward 256", True)):
        x = torch.rand(1, 3, size, size) * 2 - 1
        seed = torch.randn(1, 3, size, size).cuda()

        def run():
            if backward:
                G.zero_grad(set_to_none=True)
                y = G(x.cuda())
                (y * seed).sum().backward()
                y.detach().cpu()
            else:
                with torch.no_grad():
                    G(x.cuda()).cpu()

        out[name] = time_torch(run, reps)
    del G
    torch.cuda.empty_cache()
    return out


def ours(build, size, cases, reps, fast):
    env = dict(os.environ)
    env.setdefault("GCUT_CUDA_MODULE", os.path.join(build, "engine", "cuda", "libgcut-cuda.so"))
    cmd = [os.path.join(build, "bench", "gcut-bench-networks"), "--device", "cuda",
           "--size", str(size), "--reps", str(reps), "--cases", cases] + (["--fast"] if fast else [])
    res = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    sys.stderr.write(res.stderr)
    return {f"{name} {size}": float(median) for name, median, _ in (line.split() for line in res.stdout.splitlines())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--reps", type=int, default=10)
    opt = p.parse_args()

    theirs = torch_times(opt.reps)
    mine = {}
    for mode, fast in (("exact", False), ("fast", True)):
        mine[mode] = {}
        mine[mode].update(ours(opt.build, 256, "G_forward,G_forward_backward", opt.reps, fast))
        mine[mode].update(ours(opt.build, 1024, "G_forward", opt.reps, fast))
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")
    print(f"CUT generator, batch 1, fp32 (no TF32), median of {opt.reps}, host to host")
    print("exact: direct cuDNN algorithms only; fast: FFT/Winograd allowed, as PyTorch's heuristics allow")
    print(f"{'case':<26}{'PyTorch s':>11}{'exact s':>10}{'ratio':>7}{'fast s':>10}{'ratio':>7}")
    for name in ("G_forward 256", "G_forward 1024", "G_forward_backward 256"):
        t, e, f = theirs[name], mine["exact"][name], mine["fast"][name]
        print(f"{name:<26}{t:>11.4f}{e:>10.4f}{e / t:>7.2f}{f:>10.4f}{f / t:>7.2f}")


if __name__ == "__main__":
    main()
