# SPDX-License-Identifier: GPL-3.0-or-later
"""What the PyTorch reference trainers (cut_trainer.py, sincut_trainer.py) share:
the safetensors reader, the learning-rate rule, one training step in the
official order (a Trainer subclass supplies its networks, how G runs and the D
loss), and `compare`, which replays a record of tests/training/test-trainer-parity
step by step and checks every loss, gradient, parameter and Adam moment.

Imported, not run; use Debian's interpreter (torch 1.13 + numpy).
"""

import json
import os
import struct

import numpy as np
import torch

import losses as L

TOL = 1e-4
# PyTorch's own float32 error on a gradient tensor past which float32 does not
# determine it (a cancelling sum: a tap conv's bias, next to the network's
# largest gradient, ~3e-6): such a tensor is compared at the network's scale.
UNDETERMINED = 0.1
# Losses below this are compared in absolute terms (see compare).
LOSS_FLOOR = 1e-2
# How far the spread replays move every weight and input (see compare): up to
# two float32 rounding steps.
SPREAD = 2.0 ** -22


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


class Trainer:
    """G, D, F, their Adam optimizers and the step counter of one recipe (a
    parsed recipe JSON file), in float32 or float64, on a torch device.  A subclass makes the
    networks (make_networks) and says how G runs (generate, encode) and what
    the D step minimises (d_loss)."""

    # float32 replays from weights and inputs moved by rounding that compare
    # takes into the float32 spread of the gradients
    spread_runs = 0

    def __init__(self, recipe, dtype=torch.float32, device="cpu"):
        lo = recipe["losses"]
        nce = lo["nce"]
        if nce.get("flip_equivariance", False):
            raise NotImplementedError("flip-equivariance is not replayed")
        if nce["kind"] not in ("patchnce", "dce", "hdce"):
            raise NotImplementedError("NCE kind %s" % nce["kind"])
        self.recipe = recipe
        self.G, self.D, self.F = self.make_networks(recipe)
        self.dtype, self.device = dtype, torch.device(device)
        for net in (self.G, self.D, self.F):
            net.to(self.device, dtype)
        o = recipe["optimizer"]
        # JSON's "beta1": 0 comes as an int: torch 2.6's Adam refuses betas of
        # mixed types
        betas = (float(o["beta1"]), float(o["beta2"]))
        self.opt = {}
        for name, net in (("G", self.G), ("D", self.D), ("F", self.F)):
            self.opt[name] = torch.optim.Adam(net.parameters(), lr=o["lr"], betas=betas,
                                              eps=o["eps"])
        self.step_count = 0
        self.gan_mode = "nonsat" if lo["gan"]["kind"] == "nonsaturating" else "lsgan"
        self.all_negatives = nce.get("negatives", "same_image") == "across_crops"
        self.use_y = nce.get("identity", False) or lo.get("identity_l1", {}).get("weight", 0) > 0

    # -- what a subclass supplies --

    def make_networks(self, recipe):
        """(G, D, F) of the recipe's architecture."""
        raise NotImplementedError

    def generate(self, inp, noise):
        """G's translation of the images inp; noise: G's noise inputs for them."""
        raise NotImplementedError

    def encode(self, img):
        """The encoder's taps of img."""
        raise NotImplementedError

    def noise_shapes(self, x_shape):
        """Shapes of G's noise inputs for images of x_shape (none by default)."""
        return []

    def d_loss(self, y, fake, out):
        """The D step's loss on real y and detached fake; its terms by name in out."""
        out["D"] = L.gan_d(self.D(y), self.D(fake), self.gan_mode)
        return out["D"]

    def zero_grad_params(self, tag):
        """Names of tag's parameters whose gradient is zero analytically."""
        return set()

    def extra_checks(self, before, offsets, y, ours_g, exact_g):
        """(label, error, tolerance) of checks beyond compare's, given the
        checkpoint before the step, the real crops y and the step's gradients,
        ours and float64 (tag -> name -> array)."""
        return []

    # -- shared --

    def load_checkpoint(self, tensors, offsets):
        """Weights, Adam states and the step of one of our checkpoints;
        offsets[net][name]: where a parameter starts in the flat Adam state.
        Tensors take the shape of the parameter (ours have at most 4 dims)."""
        for name, net in (("G", self.G), ("D", self.D), ("F", self.F)):
            with torch.no_grad():
                for pname, p in net.named_parameters():
                    key = "%s.%s" % (name, pname)
                    if key not in tensors:
                        raise ValueError("%s: missing %s" % (name, pname))
                    p.copy_(torch.from_numpy(tensors[key]).view(p.shape))
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
        fq = self.F(self.encode(fake), ids)
        fk = self.F(self.encode(real), ids)
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
                    p.grad = torch.from_numpy(grads[tag][name]).to(p.dtype).view(p.shape)
            self.opt[tag].step()

    def step(self, x, y, ids_x, ids_y=None, noise=None, grads=None):
        """One training step on crops x, y (B×3×S×S) with the patch locations of
        each tap (int64 tensors) for the x side and the y side, and G's noise
        (a list per side, as noise_shapes) when it has any.  Returns the losses
        by name (unweighted terms, and the weighted total G); the gradients are
        left in self.grads.  grads (tag -> name -> array), when given, replace
        the gradients for the updates (see compare)."""
        r, lo = self.recipe, self.recipe["losses"]
        lr = r["optimizer"]["lr"] * lr_factor(self.step_count, r["schedule"]["decay_start"],
                                              r["schedule"]["steps"])
        for o in self.opt.values():
            for group in o.param_groups:
                group["lr"] = lr
        x, y = x.to(self.device, self.dtype), y.to(self.device, self.dtype)
        ids_x = [i.to(self.device) for i in ids_x]
        ids_y = ids_y and [i.to(self.device) for i in ids_y]
        B = x.shape[0]
        out = {}
        self.grads = {"G": {}, "D": {}, "F": {}}

        # 1. G on the content crop, and on the style crop for the identity
        # terms (one batch, as the official code; the noise of both sides)
        if noise:
            noise = [(torch.cat(n, 0) if self.use_y else n[0]).to(self.device, self.dtype)
                     for n in zip(*noise)]
        fake = self.generate(torch.cat((x, y), 0) if self.use_y else x, noise)
        fake_x, fake_y = fake[:B], fake[B:]

        # 2. D on the detached fake
        self.D.requires_grad_(True)
        self.opt["D"].zero_grad()
        self.d_loss(y, fake_x.detach(), out).backward()
        self._update("D", grads)

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

def rel(a, b):
    """max |a − b| / max |b| over one tensor (a takes b's shape)."""
    b = np.asarray(b, np.float64)
    a = np.asarray(a, np.float64).reshape(b.shape)
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max())


def compare(opt, make_trainer):
    """Replays the record in opt.dir of the recipe opt.recipe with the
    trainers make_trainer(recipe, dtype) makes.  Each recorded step k is
    replayed from our checkpoint before it, so every step starts from the same
    state, and checked:

    * every loss and every gradient tensor of G, D, F against the same step in
      float64 (exact up to ~1e-12): |ours − exact| / max(|exact|, 1e-2) for a
      loss (below 1e-2 a loss, SRC, is a cancelling sum whose float32 rounding
      is absolute, ≈ 1e-7), max
      |ours − exact| / max |exact| for a tensor, ≤ 1e-4, or no more than
      twice PyTorch's own float32 error where that is larger (for a gradient:
      the largest error of PyTorch's float32 step and of the spread replays,
      below).  Some values
      are small cancelling sums (SRC near 6e-4 as a sum of JSD terms; the tap
      convs' biases' gradients, 4e-5 next to 14 for their weights) that
      float32 gets only to 1e-4 … a few percent on either side; the float64
      step tells that apart from a wrong value, which a comparison with the
      float32 reference cannot.  Where PyTorch's own float32 error on a
      gradient tensor is over UNDETERMINED (10 %: float32 does not determine
      it; on Debian 13 ours was 1.9 and PyTorch's 0.62 on a tap bias whose
      gradient is a sum cancelling to ~3e-6 of the network's largest), the
      tensor's error is instead max |ours − exact| over the network's largest
      gradient, ≤ 1e-4.  The parameters whose gradient is zero
      analytically (Trainer.zero_grad_params) must be below 1e-4 of the
      network's largest gradient on both sides;
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
    gets which gradient, the updated D seen by the G step) exactly.

    The spread replays (Trainer.spread_runs of them) are PyTorch float32 steps
    from weights, crops and noise each multiplied by 1 + u·2^-22, u uniform
    in [-1, 1].  They measure what float32 determines of a gradient where
    the plain float32 step happens not to show it: a network of LeakyReLUs
    (SinCUT's) is piecewise linear, and a pre-activation that lies within
    float32 rounding of 0 takes either slope in any float32 implementation;
    one such element of D's input layer moves every gradient of G by up to
    1e-3 (measured on parity-sincut.json, where each step has 10 to 15
    pre-activations within 3e-7 of their layer's largest and the plain
    PyTorch float32 step is 8e-4 from float64 at step 2 on 2 threads, 1e-6 on
    1).  Moving the inputs by rounding makes the replays pick slopes the way
    another float32 order would."""
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

    def per_side(prefix, k):
        """The record's prefix.<side>.<i>.<k> tensors, a list per side (None
        for a side without them)."""
        out = []
        for side in (0, 1):
            items, i = [], 0
            while "%s.%d.%d.%d" % (prefix, side, i, k) in rec:
                items.append(torch.from_numpy(rec["%s.%d.%d.%d" % (prefix, side, i, k)]))
                i += 1
            out.append(items or None)
        return out

    print("tensors: max |ours - ref| / max |ref|, the worst tensor; losses and gradients against the")
    print("float64 step: relative error / max(1, 2 * (PyTorch's float32 error) / 1e-4); see compare()")

    def wiggled(v, gen):
        return v * (1 + SPREAD * (2 * torch.rand(v.shape, generator=gen, dtype=v.dtype) - 1))

    after, _ = read_safetensors(os.path.join(opt.dir, "ckpt.0.safetensors"))
    for k in range(steps):
        before, (after, _) = after, read_safetensors(os.path.join(opt.dir, "ckpt.%d.safetensors" % (k + 1)))
        t, t64 = make_trainer(recipe, torch.float32), make_trainer(recipe, torch.float64)
        t.load_checkpoint(before, offsets)
        t64.load_checkpoint(before, offsets)
        ids = [[i.long() for i in side] if side else None for side in per_side("idx", k)]
        noise = per_side("noise", k)
        noise = [n for n in noise if n] or None
        ours_g = {tag: {n: rec["grad.%d.%s.%s" % (k, tag, n)] for n in offsets[tag]} for tag in "GDF"}
        x, y = torch.from_numpy(rec["x.%d" % k]), torch.from_numpy(rec["y.%d" % k])
        ref = t.step(x, y, ids[0], ids[1], noise, grads=ours_g)
        exact = t64.step(x, y, ids[0], ids[1], noise)
        spread = []
        for run in range(t.spread_runs):
            tw, gen = make_trainer(recipe, torch.float32), torch.Generator().manual_seed(run)
            tw.load_checkpoint(before, offsets)
            with torch.no_grad():
                for p in list(tw.G.parameters()) + list(tw.D.parameters()) + list(tw.F.parameters()):
                    p.copy_(wiggled(p, gen))
            tw.step(wiggled(x, gen), wiggled(y, gen), ids[0], ids[1],
                    [[wiggled(n, gen) for n in side] for side in noise] if noise else None)
            spread.append(tw.grads)
        for j, name in enumerate(names):
            ours, e = float(after["trainer.losses"][k][j]), exact[name]
            scale = max(abs(e), LOSS_FLOOR)
            check("step %d loss %s (%.6f)" % (k + 1, name, e),
                  abs(ours - e) / scale / max(1.0, 2 * abs(ref[name] - e) / scale / TOL))
        for tag, net in (("G", t.G), ("D", t.D), ("F", t.F)):
            noisy_params = t.zero_grad_params(tag)
            gmax = max(float(g.abs().max()) for g in t.grads[tag].values())
            worst = {w: (-1.0, "") for w in ("grad", "param", "adam.m", "adam.v")}
            noisy, worst_raw, worst_f32 = 0.0, (0.0, ""), (0.0, "")
            st = t.opt[tag].state
            for pname, p in net.named_parameters():
                off, n = offsets[tag][pname], p.numel()
                errs = {"param": rel(after["%s.%s" % (tag, pname)], p.detach().numpy()),
                        "adam.m": rel(after["adam.%s.m" % tag][off:off + n], st[p]["exp_avg"].flatten().numpy()),
                        "adam.v": rel(after["adam.%s.v" % tag][off:off + n], st[p]["exp_avg_sq"].flatten().numpy())}
                if pname in noisy_params:
                    noisy = max(noisy, np.abs(ours_g[tag][pname]).max() / gmax,
                                float(t.grads[tag][pname].abs().max()) / gmax)
                else:
                    exact_g = t64.grads[tag][pname].numpy()
                    f32 = max(rel(g[tag][pname].numpy(), exact_g) for g in [t.grads] + spread)
                    raw = rel(ours_g[tag][pname], exact_g)
                    if f32 > UNDETERMINED:
                        errs["grad"] = float(np.abs(ours_g[tag][pname].reshape(exact_g.shape)
                                                    - exact_g).max()) / gmax
                    else:
                        errs["grad"] = raw / max(1.0, 2 * f32 / TOL)
                    worst_raw, worst_f32 = max(worst_raw, (raw, pname)), max(worst_f32, (f32, pname))
                for w, e in errs.items():
                    if e > worst[w][0]:
                        worst[w] = (e, pname)
            for w, (e, where) in worst.items():
                check("step %d %s %s (%s)" % (k + 1, tag, w, where), e)
            print("  (not checks: ours' largest relative gradient error %.3e (%s), PyTorch float32's %.3e (%s))"
                  % (worst_raw + worst_f32))
            if noisy_params:
                check("step %d %s |grad| / max |grad|, %d zero-gradient biases" % (k + 1, tag, len(noisy_params)),
                      noisy)
        for label, err, tol in t.extra_checks(before, offsets, y, ours_g,
                                               {tag: {n: g.numpy() for n, g in t64.grads[tag].items()} for tag in "GDF"}):
            check("step %d %s" % (k + 1, label), err, tol)
    print("%d step(s), %d check(s) failed%s" % (steps, len(fails), (": " + ", ".join(fails)) if fails else ""))
    return 1 if fails else 0


def main(description, make_trainer, setup_torch, argv=None):
    """The command line of a reference trainer: `compare --recipe R --dir DIR`."""
    import argparse
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pc = sub.add_parser("compare", help="replay a record of test-trainer-parity and compare")
    pc.add_argument("--recipe", required=True)
    pc.add_argument("--dir", required=True)
    pc.add_argument("--threads", type=int, default=2)
    opt = ap.parse_args(argv)
    setup_torch(opt.threads)
    return compare(opt, make_trainer)
