#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch reference trainer for SinCUT recipes, used to test training/trainer.c.

Run with Debian's interpreter (torch 1.13 + numpy):

    /usr/bin/python3 tests/reference/sincut_trainer.py compare --recipe R --dir DIR [--threads N]

`compare` reads what tests/training/test-trainer-parity writes into DIR (a
checkpoint before every step, and record.safetensors: each step's crops, patch
locations, G's noise and our gradients), replays every step in PyTorch from
our checkpoint before it and checks every loss (R1 included), the gradients,
every updated parameter and the Adam moments of G, D and F
(trainer_common.compare says how and within what).

One step follows SinCUTModel (taesungp/contrastive-unpaired-translation,
models/sincut_model.py on CUTModel.optimize_parameters of models/cut_model.py,
commit b3ac297708dfb6f7589d04662277e53c0d579c27), with the StyleGAN2-lite
networks of sincut_networks.py, F of cut_networks.py and the losses of
losses.py:

  1. fake = G(cat(x, y)) with the recorded noise of both halves;
  2. D update on the detached fake: L_D = ½[softplus(−D(y)) + softplus(D(fake_x))]
     + R1, R1 = γ/2 · mean_b ‖∇_y Σ D(y)‖² by autograd.grad(create_graph=True)
     (R1_loss), so that L_D.backward() differentiates through the input
     gradient: the double backward that training/r1.c replaces by a finite
     difference; Adam on D;
  3. with the updated D: L_G = softplus(−D(fake_x)) + λ_NCE·½(NCE(fake_x, x)
     + NCE(fake_y, y)) + λ_L1·|fake_y − y|, the NCE over taps 0, 2, 4 with
     negatives from every crop of the batch;
  4. Adam (β1 0, β2 0.99) on G, then on F, at the rate of the linear schedule.

Differences from the official scripts, none of which changes a number here:
the crops (zoom and flip included), patch locations and noise come from the
record instead of the data loader, np.random and NoiseInjection's normal_(),
and the identity term samples its own locations (the record's y side).  Lazy R1
(interval > 1) is not replayed.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cut_networks  # noqa: E402
import losses as L  # noqa: E402
import r1_reference  # noqa: E402
import sincut_networks as nets  # noqa: E402
import trainer_common  # noqa: E402


# R1's part of D's gradient, ours against float64, relative to each tensor's
# largest entry: the finite difference of training/r1.c divides float32
# rounding by its step ε = 3e-3 (gct-r1.h: ≤ 4e-4 on PatchGAN).
R1_TOL = 1e-3


class SinCutTrainer(trainer_common.Trainer):
    """StyleGAN2-lite G and D, R1 on the real crops in the D step
    (trainer_common.Trainer has the rest of the step)."""

    # LeakyReLU kinks: see trainer_common.compare
    spread_runs = 4

    def make_networks(self, recipe):
        a, lo = recipe["architecture"], recipe["losses"]
        g, d, h = a["generator"], a["discriminator"], a["heads"]
        if g["kind"] != "stylegan2-lite" or d["kind"] != "stylegan2-lite":
            raise NotImplementedError("only the stylegan2-lite generator and discriminator")
        r1 = lo.get("r1", {})
        if r1.get("weight", 0) > 0 and r1.get("interval", 1) != 1:
            raise NotImplementedError("lazy R1 (interval > 1)")
        self.r1_weight = r1.get("weight", 0)
        # Our G has the widths of the official crop size 64 whatever the crop
        # (presets/model-file.c); D is sized by the crop rounded in log2.
        G = nets.Generator(g["ngf"], 64, g["n_downsampling"], g["n_blocks"])
        D = nets.Discriminator(d["ndf"], 1 << round(math.log2(recipe["sampling"]["crop_size"])))
        with torch.no_grad():
            taps = G(torch.zeros(1, 3, 16, 16), None, nets.NCE_LAYERS, encode_only=True)
        F = cut_networks.PatchSampleF([f.shape[1] for f in taps], h["nc"])
        return G, D, F

    def generate(self, inp, noise):
        return self.G(inp, noise)[0]

    def encode(self, img):
        return self.G(img, None, nets.NCE_LAYERS, encode_only=True)

    def noise_shapes(self, x_shape):
        return self.G.noise_shapes(x_shape)

    def d_loss(self, y, fake, out):
        """SinCUTModel.compute_D_loss: the GAN loss plus R1_loss on the real
        crops."""
        y = y.detach().requires_grad_(self.r1_weight > 0)
        pred_real = self.D(y)
        loss = out["D"] = L.gan_d(pred_real, self.D(fake), self.gan_mode)
        if self.r1_weight > 0:
            out["R1"] = r1_reference.r1_penalty(pred_real, y, self.r1_weight)[0]
            loss = loss + out["R1"]
        return loss

    def r1_grads(self, y):
        """∇_θ R1 of D at the real crops y alone, as d_loss computes it."""
        self.D.zero_grad()
        self.D.requires_grad_(True)
        y = y.to(self.dtype).requires_grad_(True)
        r1_reference.r1_penalty(self.D(y), y, self.r1_weight)[0].backward()
        return {n: (p.grad if p.grad is not None else torch.zeros_like(p)).numpy()
                for n, p in self.D.named_parameters()}

    def extra_checks(self, before, offsets, y, ours_g, exact_g):
        """R1 alone: our D gradient less the GAN part (the float64 total less
        PyTorch's R1) against PyTorch's R1 gradient, per tensor relative to its
        largest entry (R1_TOL), the tensors R1 reaches; R1 is 1 to 3 % of D's
        gradient, so the total hides its errors.  PyTorch's R1 in float32 (its
        double backward costs seconds in float64), within 1e-6 of float64."""
        if self.r1_weight <= 0:
            return []
        t = SinCutTrainer(self.recipe)
        t.load_checkpoint(before, offsets)
        r1 = t.r1_grads(y)
        worst = max((trainer_common.rel(ours_g["D"][n] - (exact_g["D"][n] - r1[n]).reshape(ours_g["D"][n].shape),
                                        r1[n]), n) for n in r1 if r1[n].any())
        return [("D R1 part of grad (%s)" % worst[1], worst[0], R1_TOL)]


def main(argv=None):
    return trainer_common.main(__doc__, SinCutTrainer, cut_networks.setup_torch, argv)


if __name__ == "__main__":
    sys.exit(main())
