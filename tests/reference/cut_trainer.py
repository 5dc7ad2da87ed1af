#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch reference trainer for CUT-family recipes, used to test training/trainer.c.

Run with Debian's interpreter (torch 1.13 + numpy):

    /usr/bin/python3 tests/reference/cut_trainer.py compare --recipe R --dir DIR [--threads N]

`compare` reads what tests/training/test-trainer-parity writes into DIR (the
initial and final checkpoints and record.safetensors: each step's crops and
patch locations, the last step's gradients), replays the steps from the initial
weights and checks every loss, the gradients, every updated parameter and the
Adam moments of G, D and F (trainer_common.compare says how).

One step follows CUTModel.optimize_parameters of the official code
(taesungp/contrastive-unpaired-translation models/cut_model.py, and for hDCE+SRC
jcy132/Hneg_SRC Single-modal/models/cut_model.py), with the networks of
cut_networks.py and the losses of losses.py:

  1. fake = G(cat(x, y)) (just G(x) without an identity term);
  2. D update on the detached fake: L_D = gan_d(D(y), D(fake_x)), Adam on D;
  3. with the updated D (its parameters frozen): L_G = λ_GAN·gan_g(D(fake_x))
     + λ_NCE·½(NCE(fake_x, x) + NCE(fake_y, y)) + λ_SRC·SRC(fake_x, x)
     + λ_L1·|fake_y − y|, each contrastive term the mean over the 5 taps of
     the loss between F(encoder(fake)) (queries) and F(encoder(source)) (keys,
     detached inside the loss), at the same locations;
  4. Adam on G, then on F; the learning rate follows the official LambdaLR
     "linear" rule with one epoch per step, hDCE's Γ(t) = Γ0 + (Γ_final − Γ0)·t/T.

Differences from the official scripts, none of which changes a number here:
the patch locations come from the record instead of np.random, and the
hDCE+SRC identity term uses the locations recorded for the y side (the official
hDCE code reuses the x side's; CUT's draws new ones, as our trainer does).
Flip-equivariance (FastCUT) is not replayed.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cut_networks as nets  # noqa: E402
import trainer_common  # noqa: E402


class CutTrainer(trainer_common.Trainer):
    """The ResNet G, the PatchGAN D and F of cut_networks.py
    (trainer_common.Trainer has the step)."""

    def make_networks(self, recipe):
        a, lo = recipe["architecture"], recipe["losses"]
        g, d, h = a["generator"], a["discriminator"], a["heads"]
        if g.get("kind", "resnet") != "resnet" or d.get("kind", "patchgan") != "patchgan":
            raise NotImplementedError("only the resnet generator and the PatchGAN")
        if lo.get("r1", {}).get("weight", 0):
            raise NotImplementedError("R1")
        G = nets.init_weights(nets.ResnetGenerator(
            3, 3, g["ngf"], g["n_blocks"], g.get("antialias", True), g.get("antialias_up", True)))
        D = nets.init_weights(nets.NLayerDiscriminator(
            3, d["ndf"], d.get("n_layers", 3), d.get("antialias", True)))
        F = nets.init_weights(nets.PatchSampleF(nets.tap_channels(G), h["nc"]))
        return G, D, F

    def generate(self, inp, noise):
        return self.G(inp)

    def encode(self, img):
        return self.G.encode(img)

    def zero_grad_params(self, tag):
        if tag == "F":
            return set()
        net, taps = (self.G, nets.NCE_LAYERS) if tag == "G" else (self.D, ())
        return zero_grad_params(net, taps)


# ---------------------------------------------------------------------------
# What compare (trainer_common.py) checks on size instead of value
# ---------------------------------------------------------------------------

def zero_grad_params(net, taps=()):
    """Names of the biases whose gradient is zero analytically: a conv whose
    output only feeds an instance norm (which removes any constant) and is not
    a tap.  Their computed gradients are rounding noise, which Adam turns into
    steps of up to ±lr, so they are compared on gradient size, not value."""
    out = set()

    def walk(seq, prefix, top):
        mods = list(seq)
        for i, m in enumerate(mods):
            if isinstance(m, torch.nn.Sequential):
                walk(m, "%s%d." % (prefix, i), False)
            elif hasattr(m, "conv_block"):
                walk(m.conv_block, "%s%d.conv_block." % (prefix, i), False)
            elif (isinstance(m, torch.nn.Conv2d) and i + 1 < len(mods)
                  and isinstance(mods[i + 1], torch.nn.InstanceNorm2d) and not (top and i in taps)):
                out.add("%s%d.bias" % (prefix, i))

    walk(net.model, "model.", True)
    return out


def main(argv=None):
    return trainer_common.main(__doc__, CutTrainer, nets.setup_torch, argv)


if __name__ == "__main__":
    sys.exit(main())
