#!/usr/bin/python3
"""Writes the oracle for test-adam: torch.optim.Adam on fixed parameters and
gradients.  Usage: adam-reference.py OUT.  OUT is raw little-endian float32:
for each configuration, params0 (N), then for each of STEPS steps the
gradient (N) and the parameters after the step (N).  The test knows N, STEPS,
the configurations and the learning rates (kept in sync by hand)."""
import sys
import numpy as np
import torch

N = 1000
STEPS = 5
# (lr, beta1, beta2, eps): CUT's and SinCUT's settings
CONFIGS = [(2e-4, 0.5, 0.999, 1e-8), (2e-3, 0.0, 0.99, 1e-8)]


def lr_at(base, step):
    # the rates the test passes: a decaying schedule to exercise lr changes
    return base * (1.0 - 0.1 * step)


def main():
    out = open(sys.argv[1], "wb")
    for ci, (lr, b1, b2, eps) in enumerate(CONFIGS):
        rng = np.random.default_rng(1234 + ci)
        p0 = (rng.standard_normal(N) * 0.1).astype(np.float32)
        # some tiny and zero gradients to exercise eps
        p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
        opt = torch.optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps)
        out.write(p0.astype("<f4").tobytes())
        for s in range(STEPS):
            g = (rng.standard_normal(N) * np.exp(rng.uniform(-12, 2, N))).astype(np.float32)
            g[:10] = 0.0
            for group in opt.param_groups:
                group["lr"] = lr_at(lr, s)
            p.grad = torch.from_numpy(g.copy())
            opt.step()
            out.write(g.astype("<f4").tobytes())
            out.write(p.detach().numpy().astype("<f4").tobytes())
    out.close()


if __name__ == "__main__":
    main()
