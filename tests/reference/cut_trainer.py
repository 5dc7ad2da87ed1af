#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch reference trainer for CUT-family recipes, used to test training/trainer.c.

Run with Debian's interpreter (torch 1.13 + numpy):

    /usr/bin/python3 tests/reference/cut_trainer.py compare --recipe R --dir DIR [--threads N]

`compare` reads what tests/training/test-trainer-parity writes into DIR (the
initial and final checkpoints and record.safetensors: each step's crops and
patch locations, the last step's gradients), replays the steps from the initial
weights and checks every loss, the last step's gradients, every updated
parameter and the Adam moments of G, D and F.

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

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cut_networks as nets  # noqa: E402
import losses as L  # noqa: E402

LOSS_NAMES = ("D", "G_GAN", "NCE_X", "NCE_Y", "SRC", "L1_idt", "G")
TOL = 1e-4
# Losses below this are compared in absolute terms (see compare).
LOSS_FLOOR = 1e-2


# ---------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, JSON header, raw data
# ---------------------------------------------------------------------------

_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U64": "<u8"}


def read_safetensors(path):
    """Returns (dict name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, h in header.items():
        b, e = h["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=_DTYPES[h["dtype"]]).reshape(h["shape"]).copy()
    return out, meta


# ---------------------------------------------------------------------------
# The trainer
# ---------------------------------------------------------------------------

def lr_factor(step, decay_start, steps):
    """Official LambdaLR 'linear' rule (epoch_count 1), one epoch per step."""
    return 1.0 - max(0, step + 1 - decay_start) / float(steps - decay_start + 1)


class CutTrainer:
    """G, D, F, their Adam optimizers and the step counter of one recipe
    (a parsed recipe JSON file), in float32 or float64."""

    def __init__(self, recipe, G=None, D=None, F=None, dtype=torch.float32):
        a, lo = recipe["architecture"], recipe["losses"]
        g, d, h = a["generator"], a["discriminator"], a["heads"]
        nce = lo["nce"]
        if g.get("kind", "resnet") != "resnet" or d.get("kind", "patchgan") != "patchgan":
            raise NotImplementedError("only the resnet generator and the PatchGAN")
        if nce.get("flip_equivariance", False):
            raise NotImplementedError("flip-equivariance is not replayed")
        if nce["kind"] not in ("patchnce", "dce", "hdce"):
            raise NotImplementedError("NCE kind %s" % nce["kind"])
        if lo.get("r1", {}).get("weight", 0):
            raise NotImplementedError("R1")
        self.recipe = recipe
        self.G = G or nets.init_weights(nets.ResnetGenerator(
            3, 3, g["ngf"], g["n_blocks"], g.get("antialias", True), g.get("antialias_up", True)))
        self.D = D or nets.init_weights(nets.NLayerDiscriminator(
            3, d["ndf"], d.get("n_layers", 3), d.get("antialias", True)))
        self.F = F or nets.init_weights(nets.PatchSampleF(nets.tap_channels(self.G), h["nc"]))
        self.dtype = dtype
        for net in (self.G, self.D, self.F):
            net.to(dtype)
        o = recipe["optimizer"]
        self.opt = {}
        for name, net in (("G", self.G), ("D", self.D), ("F", self.F)):
            self.opt[name] = torch.optim.Adam(net.parameters(), lr=o["lr"],
                                              betas=(o["beta1"], o["beta2"]), eps=o["eps"])
        self.step_count = 0
        self.gan_mode = "nonsat" if lo["gan"]["kind"] == "nonsaturating" else "lsgan"
        self.all_negatives = nce.get("negatives", "same_image") == "across_crops"
        self.use_y = nce.get("identity", False) or lo.get("identity_l1", {}).get("weight", 0) > 0

    def load_checkpoint(self, tensors, offsets):
        """Weights, Adam states and the step of one of our checkpoints;
        offsets[net][name]: where a parameter starts in the flat Adam state."""
        for name, net in (("G", self.G), ("D", self.D), ("F", self.F)):
            sd = {k[len(name) + 1:]: torch.from_numpy(v) for k, v in tensors.items()
                  if k.startswith(name + ".")}
            net.load_state_dict(sd, strict=False)
            missing = set(n for n, _ in net.named_parameters()) - set(sd)
            if missing:
                raise ValueError("%s: missing %s" % (name, sorted(missing)))
            steps = int(tensors["adam.%s.step" % name])
            if steps:
                m, v = tensors["adam.%s.m" % name], tensors["adam.%s.v" % name]
                for pname, p in net.named_parameters():
                    off, n = offsets[name][pname], p.numel()
                    self.opt[name].state[p] = {
                        "step": torch.tensor(float(steps)),
                        "exp_avg": torch.from_numpy(m[off:off + n].copy()).to(p.dtype).view_as(p),
                        "exp_avg_sq": torch.from_numpy(v[off:off + n].copy()).to(p.dtype).view_as(p)}
        self.step_count = int(tensors["trainer.step"])

    def gamma(self):
        nce, total = self.recipe["losses"]["nce"], self.recipe["schedule"]["steps"]
        return L.hdce_gamma(self.step_count, total, nce["gamma_start"], nce["gamma_end"])

    def contrastive(self, q, k, B):
        nce = self.recipe["losses"]["nce"]
        tau = nce.get("tau", 0.07)
        if nce["kind"] == "patchnce":
            return L.patch_nce(q, k, B, self.all_negatives, tau)
        if nce["kind"] == "dce":
            return L.dce(q, k, B, self.all_negatives, tau)
        return L.hdce(q, k, B, self.all_negatives, tau, self.gamma(), nce.get("hdce_form", "official"))

    def side(self, fake, real, ids, with_src):
        """Tap means of the contrastive loss (and of SRC) between fake and real."""
        B = real.shape[0]
        fq = self.F(self.G.encode(fake), ids)
        fk = self.F(self.G.encode(real), ids)
        n = len(fq)
        nce = sum(self.contrastive(q, k, B) for q, k in zip(fq, fk)) / n
        if not with_src:
            return nce, None
        variant = self.recipe["losses"]["src"].get("variant", "jsd")
        return nce, sum(L.src(q, k, B, self.all_negatives, variant) for q, k in zip(fq, fk)) / n

    def _update(self, tags, grads):
        """Adam on the networks of tags, after keeping their gradients in
        self.grads; with grads (tag -> name -> array), from those instead."""
        for tag in tags:
            net = {"G": self.G, "D": self.D, "F": self.F}[tag]
            for name, p in net.named_parameters():
                self.grads[tag][name] = p.grad.detach().clone()
                if grads is not None:
                    p.grad = torch.from_numpy(grads[tag][name]).to(p.dtype)
            self.opt[tag].step()

    def step(self, x, y, ids_x, ids_y=None, grads=None):
        """One training step on crops x, y (B×3×S×S) with the patch locations of
        each tap (int64 tensors) for the x side and the y side.  Returns the
        losses by name (unweighted terms, and the weighted total G); the
        gradients are left in self.grads.  grads (tag -> name -> array), when
        given, replace the gradients for the updates (see compare)."""
        r, lo = self.recipe, self.recipe["losses"]
        lr = r["optimizer"]["lr"] * lr_factor(self.step_count, r["schedule"]["decay_start"],
                                              r["schedule"]["steps"])
        for o in self.opt.values():
            for group in o.param_groups:
                group["lr"] = lr
        x, y = x.to(self.dtype), y.to(self.dtype)
        B = x.shape[0]
        out = {}
        self.grads = {"G": {}, "D": {}, "F": {}}

        # 1. G on the content crop, and on the style crop for the identity terms
        fake = self.G(torch.cat((x, y), 0) if self.use_y else x)
        fake_x, fake_y = fake[:B], fake[B:]

        # 2. D on the detached fake
        self.D.requires_grad_(True)
        self.opt["D"].zero_grad()
        loss_d = L.gan_d(self.D(y), self.D(fake_x.detach()), self.gan_mode)
        loss_d.backward()
        self._update("D", grads)
        out["D"] = loss_d

        # 3. G and F with the updated D
        self.D.requires_grad_(False)
        self.opt["G"].zero_grad()
        self.opt["F"].zero_grad()
        gan = L.gan_g(self.D(fake_x), self.gan_mode)
        with_src = lo.get("src", {}).get("weight", 0) > 0
        nce_x, src = self.side(fake_x, x, ids_x, with_src)
        total = lo["gan"]["weight"] * gan
        out.update(G_GAN=gan, NCE_X=nce_x)
        if lo["nce"].get("identity", False):
            nce_y, _ = self.side(fake_y, y, ids_y, False)
            total = total + lo["nce"]["weight"] * 0.5 * (nce_x + nce_y)
            out["NCE_Y"] = nce_y
        else:
            total = total + lo["nce"]["weight"] * nce_x
        if with_src:
            total = total + lo["src"]["weight"] * src
            out["SRC"] = src
        if lo.get("identity_l1", {}).get("weight", 0) > 0:
            l1 = L.l1_identity(fake_y, y)
            total = total + lo["identity_l1"]["weight"] * l1
            out["L1_idt"] = l1
        out["G"] = total
        total.backward()

        # 4. Adam on G, then F
        self._update("GF", grads)
        self.step_count += 1
        return {k: float(v) for k, v in out.items()}


# ---------------------------------------------------------------------------
# compare
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


def rel(a, b):
    """max |a − b| / max |b| over one tensor."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max())


def compare(opt):
    """Each recorded step k is replayed from our checkpoint before it, so every
    step starts from the same state, and checked:

    * every loss and every gradient tensor of G, D, F against the same step in
      float64 (exact up to ~1e-12): |ours − exact| / max(|exact|, 1e-2) for a
      loss (below 1e-2 a loss, SRC, is a cancelling sum whose float32 rounding
      is absolute, ≈ 1e-7), max
      |ours − exact| / max |exact| for a tensor, ≤ 1e-4, or no more than
      twice PyTorch's own float32 error where that is larger.  Some values
      are small cancelling sums (SRC near 6e-4 as a sum of JSD terms; the tap
      convs' biases' gradients, 4e-5 next to 14 for their weights) that
      float32 gets only to 1e-4 … a few percent on either side; the float64
      step tells that apart from a wrong value, which a comparison with the
      float32 reference cannot.  The biases whose gradient is zero
      analytically (zero_grad_params) must be below 1e-4 of the network's
      largest gradient on both sides;
    * every parameter and both Adam moments after the step, per tensor,
      max |ours − ref| / max |ref| ≤ 1e-4, where the reference applies its
      Adam (torch.optim.Adam, at the rate of the schedule) to our gradients.

    Why our gradients for the update: in its first steps Adam moves every
    element by about ±lr whatever the size of its gradient (m/√v ≈ g/|g|), so
    an element whose gradient is a cancelling sum, 1e-5 of the tensor's
    largest, moves by a float32 rounding accident: the same step with each
    side's own gradients differs by up to ~1e-2 of a tensor's largest
    parameter although the gradients agree to 1e-5.  The gradients are checked
    above; this checks the update (rate, bias corrections, which optimizer
    gets which gradient, the updated D seen by the G step) exactly."""
    nets.setup_torch(opt.threads)
    with open(opt.recipe) as f:
        recipe = json.load(f)
    rec, meta = read_safetensors(os.path.join(opt.dir, "record.safetensors"))
    steps = int(meta["steps"])
    names = meta["losses"].split(",")
    offsets = {tag: {k: int(o) for k, o in (e.split(":") for e in meta["order." + tag].split(","))}
               for tag in ("G", "D", "F")}
    fails = []

    def check(label, err, tol=TOL):
        print("%-52s %.3e%s" % (label, err, "" if err <= tol else "  FAIL (> %.0e)" % tol))
        if not err <= tol:
            fails.append(label)

    print("tensors: max |ours - ref| / max |ref|, the worst tensor; losses and gradients against the")
    print("float64 step: relative error / max(1, 2 * (PyTorch's float32 error) / 1e-4); see compare()")
    after, _ = read_safetensors(os.path.join(opt.dir, "ckpt.0.safetensors"))
    for k in range(steps):
        before, (after, _) = after, read_safetensors(os.path.join(opt.dir, "ckpt.%d.safetensors" % (k + 1)))
        t, t64 = CutTrainer(recipe), CutTrainer(recipe, dtype=torch.float64)
        t.load_checkpoint(before, offsets)
        t64.load_checkpoint(before, offsets)
        ids = [[torch.from_numpy(rec["idx.%d.%d.%d" % (side, i, k)].astype(np.int64))
                for i in range(len(nets.NCE_LAYERS))] if "idx.%d.0.%d" % (side, k) in rec else None
               for side in (0, 1)]
        ours_g = {tag: {n: rec["grad.%d.%s.%s" % (k, tag, n)] for n in offsets[tag]} for tag in "GDF"}
        ref = t.step(torch.from_numpy(rec["x.%d" % k]), torch.from_numpy(rec["y.%d" % k]), ids[0], ids[1],
                     grads=ours_g)
        exact = t64.step(torch.from_numpy(rec["x.%d" % k]), torch.from_numpy(rec["y.%d" % k]), ids[0], ids[1])
        for j, name in enumerate(names):
            ours, e = float(after["trainer.losses"][k][j]), exact[name]
            scale = max(abs(e), LOSS_FLOOR)
            check("step %d loss %s (%.6f)" % (k + 1, name, e),
                  abs(ours - e) / scale / max(1.0, 2 * abs(ref[name] - e) / scale / TOL))
        for tag, net, taps in (("G", t.G, nets.NCE_LAYERS), ("D", t.D, ()), ("F", t.F, ())):
            noise = zero_grad_params(net, taps) if tag != "F" else set()
            gmax = max(float(g.abs().max()) for g in t.grads[tag].values())
            worst = {w: (-1.0, "") for w in ("grad", "param", "adam.m", "adam.v")}
            noisy = 0.0
            st = t.opt[tag].state
            for pname, p in net.named_parameters():
                off, n = offsets[tag][pname], p.numel()
                errs = {"param": rel(after["%s.%s" % (tag, pname)], p.detach().numpy()),
                        "adam.m": rel(after["adam.%s.m" % tag][off:off + n], st[p]["exp_avg"].flatten().numpy()),
                        "adam.v": rel(after["adam.%s.v" % tag][off:off + n], st[p]["exp_avg_sq"].flatten().numpy())}
                if pname in noise:
                    noisy = max(noisy, np.abs(ours_g[tag][pname]).max() / gmax,
                                float(t.grads[tag][pname].abs().max()) / gmax)
                else:
                    exact = t64.grads[tag][pname].numpy()
                    errs["grad"] = rel(ours_g[tag][pname], exact) / max(
                        1.0, 2 * rel(t.grads[tag][pname].numpy(), exact) / TOL)
                for w, e in errs.items():
                    if e > worst[w][0]:
                        worst[w] = (e, pname)
            for w, (e, where) in worst.items():
                check("step %d %s %s (%s)" % (k + 1, tag, w, where), e)
            if noise:
                check("step %d %s |grad| / max |grad|, %d zero-gradient biases" % (k + 1, tag, len(noise)),
                      noisy)
    print("%d step(s), %d check(s) failed%s" % (steps, len(fails), (": " + ", ".join(fails)) if fails else ""))
    return 1 if fails else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pc = sub.add_parser("compare", help="replay a record of test-trainer-parity and compare")
    pc.add_argument("--recipe", required=True)
    pc.add_argument("--dir", required=True)
    pc.add_argument("--threads", type=int, default=2)
    opt = ap.parse_args(argv)
    return compare(opt)


if __name__ == "__main__":
    sys.exit(main())
