#!/usr/bin/python3
"""Exact R1 penalty of the PatchGAN discriminator, by PyTorch's double backward.

As the official SinCUT code (models/sincut_model.py, R1_loss):

    g, = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    R1 = gamma / 2 * g.pow(2).view(B, -1).sum(1).mean()

then R1.backward() gives the parameter gradient that training/r1.c computes by
a finite difference.  The reference is taken in float64 (weights and input
stored as float32 and widened, so both sides see the same numbers): it has no
float32 rounding, and the error the C test measures is ours alone.

    /usr/bin/python3 tests/reference/r1_reference.py --out DIR \
        [--seed 0] [--size 64] [--batch 1] [--ndf 8] [--init-gain 0.02] \
        [--gamma 1] [--no-antialias] [--threads N]

Writes DIR/D.safetensors (D's parameters, official names, F32) and
DIR/case.safetensors: x (B,3,S,S), r1 (1), g (B,3,S,S), gamma (1) and grad.NAME
for each parameter (F32), config (I64: ndf, antialias, batch, size), plus
config.json.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cut_networks import NLayerDiscriminator, init_weights, write_safetensors  # noqa: E402


def r1_penalty(d_out, x, gamma):
    """R1_loss of the official code for D's output d_out on x (requires_grad):
    (γ/2 · mean_b ‖∇_x Σ D(x)‖², ∇_x Σ D(x)), kept differentiable so that a
    backward pass through R1 is the double backward."""
    g, = torch.autograd.grad(d_out.sum(), x, create_graph=True)
    return gamma / 2 * g.pow(2).view(g.shape[0], -1).sum(1).mean(), g


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--ndf", type=int, default=8)
    ap.add_argument("--init-gain", type=float, default=0.02)
    ap.add_argument("--gamma", type=float, default=1.0)
    ap.add_argument("--no-antialias", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    opt = ap.parse_args(argv)

    if opt.threads > 0:
        torch.set_num_threads(opt.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(opt.seed)
    D = init_weights(NLayerDiscriminator(3, opt.ndf, 3, not opt.no_antialias), opt.init_gain)
    # Smooth image-like content in [-1, 1]: upsampled noise plus fine detail.
    coarse = torch.rand(opt.batch, 3, opt.size // 8, opt.size // 8) * 2 - 1
    x32 = (0.8 * torch.nn.functional.interpolate(coarse, size=(opt.size, opt.size),
                                                 mode="bilinear", align_corners=False)
           + 0.2 * (torch.rand(opt.batch, 3, opt.size, opt.size) * 2 - 1)).clamp(-1, 1)
    params32 = {n: p.detach().clone() for n, p in D.named_parameters()}

    D64 = D.double()
    x = x32.double().requires_grad_(True)
    r1, g = r1_penalty(D64(x), x, opt.gamma)
    D64.zero_grad()
    r1.backward()

    os.makedirs(opt.out, exist_ok=True)
    write_safetensors(os.path.join(opt.out, "D.safetensors"), params32)
    case = {"x": x32, "r1": r1.detach().float().reshape(1), "g": g.detach().float(),
            "gamma": torch.tensor([opt.gamma], dtype=torch.float32),
            "config": torch.tensor([opt.ndf, int(not opt.no_antialias), opt.batch, opt.size],
                                   dtype=torch.int64)}
    for n, p in D64.named_parameters():
        # None where g does not depend on the parameter (biases before a
        # LeakyReLU or an instance norm, the last bias): exactly zero.
        case["grad." + n] = (p.grad if p.grad is not None else torch.zeros_like(p)).float()
    write_safetensors(os.path.join(opt.out, "case.safetensors"), case)
    with open(os.path.join(opt.out, "config.json"), "w") as f:
        json.dump({"seed": opt.seed, "size": opt.size, "batch": opt.batch, "ndf": opt.ndf,
                   "init_gain": opt.init_gain, "gamma": opt.gamma,
                   "antialias": not opt.no_antialias, "r1": r1.item(),
                   "torch": torch.__version__}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
