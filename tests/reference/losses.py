#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch reference for the training losses (training/gct-losses.h).

Run with Debian's interpreter (torch 1.13 + numpy):

    /usr/bin/python3 tests/reference/losses.py export --out DIR [--quick]
    /usr/bin/python3 tests/reference/losses.py selftest

Every function below is written from the official code and METHODS.md §2:

* PatchNCE: taesungp/contrastive-unpaired-translation, models/patchnce.py
  (P×P negatives with the diagonal set to −10, P+1 logits, target 0);
* DCE / hDCE / SRC: jcy132/Hneg_SRC, Single-modal/models/hDCE.py and SRC.py;
* MoNCE: fnzhan/MoNCE, CUT_MoNCE/models/monce.py and sinkhorn.py.

Deliberate differences from the official code (also in the C doc comments):

* hDCE's official module returns `mean(exp(v − v.detach())) − 1 + CE.detach()`,
  i.e. a cross-entropy value (PatchNCE's, over the weighted negatives) with
  the hDCE gradient; we return the hDCE value
  itself, mean_i v_i, whose gradient is the same (checked by `selftest`).
* hDCE weights and SRC are computed per group of negatives (per image, or over
  the whole minibatch), where the official SRC always views the batch as one
  group (the same thing for the batch size 1 of the CUT recipes); the official
  single-image `eye(1)` mask bug is not reproduced.
* Inputs are taken as given (unit rows): the official SRC re-normalizes with
  x/(‖x‖ + 1e-7), a change below 1e-7 for unit rows.

`export` writes one `<case>.safetensors` per case: inputs as F32 (`q`, `k`, or
`real`, `fake`, `x`, `y` for the GAN and identity losses), the reference value
`value` (shape (1)) and gradients (`grad_q`, …) as F64, computed in float64
from the F32 inputs, and for MoNCE the Sinkhorn plan `T` (B', P', P', F64, as
the official `sinkhorn()` returns it, before its transpose).  The options of
the case are `__metadata__` strings (keys: loss, batch, patches, channels,
all_negatives, tau, gamma, form, variant, beta, q, cost, iterations, detach,
mode).
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cut_networks import read_safetensors, write_safetensors  # noqa: E402

DT = torch.float64


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------

def groups(B, all_negatives):
    """Official batch_dim_for_bmm: 1 (all negatives from the minibatch) or B."""
    return 1 if all_negatives else B


def eye_mask(n, device="cpu"):
    return torch.eye(n, dtype=torch.bool, device=device)[None, :, :]


def positives(q, k):
    n = q.shape[0]
    return torch.bmm(q.view(n, 1, -1), k.view(n, -1, 1)).view(n, 1)


def negatives(q, k, g):
    dim = q.shape[1]
    qv = q.view(g, -1, dim)
    kv = k.view(g, -1, dim)
    return torch.bmm(qv, kv.transpose(2, 1))


# ---------------------------------------------------------------------------
# PatchNCE (models/patchnce.py) and DCE / hDCE (Hneg_SRC hDCE.py)
# ---------------------------------------------------------------------------

def patch_nce(q, k, B, all_negatives=False, tau=0.07):
    k = k.detach()
    l_pos = positives(q, k)
    l_neg_cur = negatives(q, k, groups(B, all_negatives))
    npatches = l_neg_cur.shape[1]
    l_neg_cur = l_neg_cur.masked_fill(eye_mask(npatches, q.device), -10.0)
    l_neg = l_neg_cur.view(-1, npatches)
    out = torch.cat((l_pos, l_neg), dim=1) / tau
    loss = Fn.cross_entropy(out, torch.zeros(out.shape[0], dtype=torch.long, device=out.device), reduction="none")
    return loss.mean()


def hdce_weights(k, B, all_negatives, gamma):
    """SRC.py: softmax_j(k_i·k_j / Γ) with diagonal −10, each row / its max, detached."""
    k = k.detach()
    seed = negatives(k, k, groups(B, all_negatives))
    seed = seed.masked_fill(eye_mask(seed.shape[1], seed.device), -10.0)
    w = torch.softmax(seed / gamma, dim=2).detach()
    wmax, _ = torch.max(w, dim=2, keepdim=True)
    return w / wmax


def hdce_official(q, k, B, all_negatives=False, tau=0.07, weight=None):
    """hDCE.py forward as written: returns (official loss tensor, v) where the
    official loss has the PatchNCE value and the hDCE gradient."""
    k = k.detach()
    l_pos = positives(q, k)
    l_neg_cur = negatives(q, k, groups(B, all_negatives))
    if weight is not None:
        l_neg_cur = l_neg_cur * weight
    npatches = l_neg_cur.shape[1]
    l_neg_cur = l_neg_cur.masked_fill(eye_mask(npatches, q.device), -10.0)
    l_neg = l_neg_cur.view(-1, npatches)
    logits = (l_neg - l_pos) / tau
    v = torch.logsumexp(logits, dim=1)
    loss_vec = torch.exp(v - v.detach())
    out_dummy = torch.cat((l_pos, l_neg), dim=1) / tau
    ce = Fn.cross_entropy(out_dummy, torch.zeros(out_dummy.shape[0], dtype=torch.long, device=out_dummy.device), reduction="none")
    return loss_vec.mean() - 1 + ce.detach().mean(), v


def dce(q, k, B, all_negatives=False, tau=0.07):
    return hdce_official(q, k, B, all_negatives, tau, None)[1].mean()


def hdce(q, k, B, all_negatives=False, tau=0.07, gamma=50.0, form="official"):
    if form == "official":
        w = hdce_weights(k, B, all_negatives, gamma)
        return hdce_official(q, k, B, all_negatives, tau, w)[1].mean()
    # The paper's importance-sampling form (eq. 4–5): negatives re-weighted by
    # the self-normalized weights softmax_{j≠i}(k_i·k_j/Γ) (detached), times
    # the number of negatives, in the DCE denominator.
    k = k.detach()
    l_pos = positives(q, k)
    g = groups(B, all_negatives)
    s = negatives(q, k, g)
    kk = negatives(k, k, g)
    n = s.shape[1]
    mask = eye_mask(n, q.device)
    w = torch.softmax((kk / gamma).masked_fill(mask, float("-inf")), dim=2).detach()
    terms = (w * (n - 1) * torch.exp(s / tau)).masked_fill(mask, 0.0).view(-1, n)
    v = -l_pos.view(-1) / tau + torch.log(terms.sum(dim=1))
    return v.mean()


def hdce_gamma(step, total, gamma0, gamma_final, mode="linear", step_at=0):
    """Curriculum (SRC.py): Γ(t) = Γ0 + (Γ_final − Γ0)·t/T; 'stepped' jumps to 1 after step_at."""
    g = gamma0 + (gamma_final - gamma0) * step / total
    if mode == "stepped" and step > step_at:
        g = 1.0
    return g


# ---------------------------------------------------------------------------
# SRC (Hneg_SRC SRC.py) and the supplement's variants
# ---------------------------------------------------------------------------

def src(q, k, B, all_negatives=False, variant="jsd"):
    k = k.detach()
    g = groups(B, all_negatives)
    sq = negatives(q, q, g)
    sk = negatives(k, k, g)
    if variant in ("l1", "l2"):
        d = (sk - sq).masked_fill(eye_mask(sq.shape[1], sq.device), 0.0)
        return d.abs().sum() if variant == "l1" else (d * d).sum()
    Q = torch.softmax(sq, dim=1)          # official: dim=1 (symmetric matrices)
    P = torch.softmax(sk, dim=1).detach()
    if variant == "kl":
        return (P * (torch.log(P) - torch.log(Q))).sum()
    m = 0.5 * (Q + P)
    kl = torch.nn.KLDivLoss(reduction="sum", log_target=True)
    return 0.5 * (kl(torch.log(m), torch.log(Q)) + kl(torch.log(m), torch.log(P)))


# ---------------------------------------------------------------------------
# MoNCE (CUT_MoNCE monce.py, sinkhorn.py) and WeightNCE
# ---------------------------------------------------------------------------

def sinkhorn(dot, max_iter=50):
    n, in_size, out_size = dot.shape
    K = dot
    u = K.new_ones((n, in_size))
    v = K.new_ones((n, out_size))
    a = float(out_size / in_size)
    for _ in range(max_iter):
        u = a / torch.bmm(K, v.view(n, out_size, 1)).view(n, in_size)
        v = 1.0 / torch.bmm(u.view(n, 1, in_size), K).view(n, out_size)
    return u.view(n, in_size, 1) * (K * v.view(n, 1, out_size))


def ot_plan(q, k, eps, max_iter, cost):
    """OT() of sinkhorn.py, without its final permute: T (g, P', P')."""
    C = torch.einsum("bid,bod->bio", q, k)
    K = 1 - C.clone() if cost == "easy" else C.clone()
    K = K.masked_fill(eye_mask(q.shape[1], q.device), -10)
    return sinkhorn(torch.exp(K / eps), max_iter=max_iter)


def weighted_nce(q, k, f, tau):
    l_pos = positives(q, k)
    s = negatives(q, k, f.shape[0])
    n = s.shape[1]
    s = s + torch.log(f) * tau
    s = s.masked_fill(eye_mask(n, s.device), -10.0)
    out = torch.cat((l_pos, s.view(-1, n)), dim=1) / tau
    return Fn.cross_entropy(out, torch.zeros(out.shape[0], dtype=torch.long, device=out.device), reduction="none").mean()


def monce(q, k, B, P, all_negatives=False, tau=0.07, beta=0.1, Q=1.0, cost="hard", iters=50):
    g = groups(B, all_negatives)
    dim = q.shape[1]
    k = k.detach()
    T = ot_plan(q.view(g, -1, dim), k.view(g, -1, dim), beta, iters, cost)
    # OT() permutes T and monce.py permutes it back: the weight of (q_i, k_j) is T_ij.
    f = T * (P - 1) * Q + 1e-8
    return weighted_nce(q, k, f, tau), T


def weight_nce(q, k, B, P, all_negatives=False, tau=0.07, beta=0.1, Q=1.0, detach=False):
    """WeightNCE (MoNCE eq. 2): w_ij = softmax_{j≠i}(s_ij/β), entering like MoNCE's plan."""
    g = groups(B, all_negatives)
    k = k.detach()
    s = negatives(q, k, g)
    w = torch.softmax((s / beta).masked_fill(eye_mask(s.shape[1], s.device), -10.0 / beta), dim=2)
    if detach:
        w = w.detach()
    return weighted_nce(q, k, w * (P - 1) * Q + 1e-8, tau)


# ---------------------------------------------------------------------------
# GAN and identity
# ---------------------------------------------------------------------------

def gan_d(real, fake, mode):
    if mode == "lsgan":
        return 0.5 * (((real - 1) ** 2).mean() + (fake ** 2).mean())
    return 0.5 * (Fn.softplus(-real).mean() + Fn.softplus(fake).mean())


def gan_g(fake, mode):
    if mode == "lsgan":
        return ((fake - 1) ** 2).mean()
    return Fn.softplus(-fake).mean()


def l1_identity(x, y):
    return (x - y).abs().mean()


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

# (name, loss, options).  B: images, P: locations per image, C: channels.
def case_table(quick=False):
    P = 64 if quick else 256
    taps = [dict(B=1, C=256, seed=1), dict(B=2, C=128, seed=2), dict(B=2, C=64, seed=3, all=True)]
    cases = []
    for t, tap in enumerate(taps):
        base = dict(batch=tap["B"], patches=P, channels=tap["C"], seed=tap["seed"],
                    all_negatives=int(tap.get("all", False)))
        cases.append(("patchnce-%d" % t, dict(base, loss="patchnce")))
        cases.append(("dce-%d" % t, dict(base, loss="dce")))
        cases.append(("hdce-%d" % t, dict(base, loss="hdce", gamma=50.0, form="official")))
        cases.append(("hdce-is-%d" % t, dict(base, loss="hdce", gamma=10.0, form="importance")))
        for var in ("jsd", "kl", "l1", "l2"):
            cases.append(("src-%s-%d" % (var, t), dict(base, loss="src", variant=var)))
        cases.append(("weightnce-%d" % t, dict(base, loss="weightnce", beta=0.1, q=1.0, detach=0)))
        cases.append(("monce-hard-%d" % t, dict(base, loss="monce", beta=0.1, q=1.0, cost="hard")))
        cases.append(("monce-easy-%d" % t, dict(base, loss="monce", beta=0.5, q=2.0, cost="easy")))
    cases.append(("hdce-g200", dict(batch=1, patches=P, channels=256, seed=4, all_negatives=0,
                                    loss="hdce", gamma=200.0, form="official")))
    cases.append(("weightnce-detach", dict(batch=1, patches=P, channels=256, seed=5, all_negatives=0,
                                           loss="weightnce", beta=0.5, q=1.0, detach=1)))
    cases.append(("monce-beta1", dict(batch=1, patches=P, channels=256, seed=6, all_negatives=0,
                                      loss="monce", beta=1.0, q=1.0, cost="hard")))
    for mode in ("lsgan", "nonsat"):
        cases.append(("gan-d-" + mode, dict(loss="gan-d", mode=mode, batch=2, seed=7)))
        cases.append(("gan-g-" + mode, dict(loss="gan-g", mode=mode, batch=2, seed=8)))
    cases.append(("identity-l1", dict(loss="identity", batch=2, seed=9)))
    return cases


def unit_rows(n, c, gen):
    x = torch.randn(n, c, generator=gen, dtype=DT)
    return (x / x.norm(dim=1, keepdim=True)).float()


def compute_case(o, gen):
    """Returns tensors dict (F32 inputs, F64 references)."""
    loss = o["loss"]
    out = {}
    if loss in ("gan-d", "gan-g"):
        real = torch.randn(o["batch"], 1, 30, 30, generator=gen, dtype=DT).float()
        fake = torch.randn(o["batch"], 1, 30, 30, generator=gen, dtype=DT).float()
        r = real.to(DT).requires_grad_(True)
        f = fake.to(DT).requires_grad_(True)
        val = gan_d(r, f, o["mode"]) if loss == "gan-d" else gan_g(f, o["mode"])
        val.backward()
        out.update(real=real, fake=fake, grad_fake=f.grad)
        if loss == "gan-d":
            out["grad_real"] = r.grad
        out["value"] = val.detach().view(1)
        return out
    if loss == "identity":
        x = torch.randn(o["batch"], 3, 32, 32, generator=gen, dtype=DT).float()
        y = torch.randn(o["batch"], 3, 32, 32, generator=gen, dtype=DT).float()
        xd = x.to(DT).requires_grad_(True)
        val = l1_identity(xd, y.to(DT))
        val.backward()
        out.update(x=x, y=y, grad_x=xd.grad, value=val.detach().view(1))
        return out
    B, P, C = o["batch"], o["patches"], o["channels"]
    q32 = unit_rows(B * P, C, gen)
    k32 = unit_rows(B * P, C, gen)
    q = q32.to(DT).requires_grad_(True)
    k = k32.to(DT).requires_grad_(True)
    al = bool(o["all_negatives"])
    T = None
    if loss == "patchnce":
        val = patch_nce(q, k, B, al)
    elif loss == "dce":
        val = dce(q, k, B, al)
    elif loss == "hdce":
        val = hdce(q, k, B, al, gamma=o["gamma"], form=o["form"])
    elif loss == "src":
        val = src(q, k, B, al, o["variant"])
    elif loss == "weightnce":
        val = weight_nce(q, k, B, P, al, beta=o["beta"], Q=o["q"], detach=bool(o["detach"]))
    elif loss == "monce":
        val, T = monce(q, k, B, P, al, beta=o["beta"], Q=o["q"], cost=o["cost"])
    else:
        raise ValueError(loss)
    val.backward()
    assert k.grad is None or float(k.grad.abs().max()) == 0.0, "keys must be detached"
    out.update(q=q32, k=k32, grad_q=q.grad, value=val.detach().view(1))
    if T is not None:
        out["T"] = T.detach()
    return out


def export(opt):
    torch.set_num_threads(max(1, opt.threads))
    os.makedirs(opt.out, exist_ok=True)
    for name, o in case_table(opt.quick):
        gen = torch.Generator().manual_seed(1000 + o["seed"])
        tensors = compute_case(o, gen)
        meta = {kk: str(v) for kk, v in o.items()}
        write_safetensors(os.path.join(opt.out, name + ".safetensors"), tensors, meta)
    return 0


# ---------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------

def selftest(opt):
    torch.set_num_threads(max(1, opt.threads))
    fails = 0

    def check(cond, msg):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + msg)
        fails += 0 if cond else 1

    gen = torch.Generator().manual_seed(0)
    B, P, C, tau = 2, 16, 8, 0.07
    q = unit_rows(B * P, C, gen).to(DT).requires_grad_(True)
    k = unit_rows(B * P, C, gen).to(DT)

    # PatchNCE equals the closed form −log(e^{s_ii/τ}/(e^{s_ii/τ} + Σ_{j≠i} e^{s_ij/τ} + e^{−10/τ})).
    s = negatives(q, k, B)
    pos = torch.diagonal(s, dim1=1, dim2=2).reshape(-1)
    neg = s.masked_fill(eye_mask(P), -10.0).view(-1, P)
    closed = torch.nn.functional.softplus(torch.logsumexp(neg / tau, 1) - pos / tau).mean()
    check(abs(float(closed - patch_nce(q, k, B))) < 1e-12, "PatchNCE closed form (softplus of lse)")

    # hDCE: the official exp(v − v.detach()) form has the PatchNCE value and the gradient of mean v.
    w = hdce_weights(k, B, False, 10.0)
    off, v = hdce_official(q, k, B, False, tau, w)
    g1 = torch.autograd.grad(off, q, retain_graph=True)[0]
    g2 = torch.autograd.grad(v.mean(), q)[0]
    check(float((g1 - g2).abs().max()) < 1e-12, "hDCE official gradient = grad of mean logsumexp")
    off1, _ = hdce_official(q, k, B, False, tau, None)
    check(abs(float(off1 - patch_nce(q, k, B))) < 1e-12, "DCE official value (no weights) = PatchNCE value")
    check(abs(float(w.max(dim=2).values.min()) - 1) < 1e-15, "hDCE weights: row max 1")
    kk = negatives(k, k, B)
    m = kk.masked_fill(eye_mask(P), -2.0).max(dim=2, keepdim=True).values
    check(float((torch.exp((kk - m) / 10.0).masked_fill(eye_mask(P), 0) - w.masked_fill(eye_mask(P), 0)).abs().max()) < 1e-12,
          "hDCE weights = exp((k_i·k_j − max_j k_i·k_j)/Γ)")
    # DCE = hDCE with all weights 1; hDCE → DCE as Γ → ∞.
    check(abs(float(hdce(q, k, B, gamma=1e12) - dce(q, k, B))) < 1e-9, "hDCE(Γ→∞) = DCE")
    check(abs(float(hdce(q, k, B, gamma=1e12, form="importance") - dce(q, k, B))) < 1e-9,
          "hDCE importance form (Γ→∞) = DCE")

    # SRC: symmetric matrices, so the dim=1 softmax sums equal the row softmax sums.
    sq = negatives(q, q, B)
    sk = negatives(k, k, B)
    Qr, Pr = torch.softmax(sq, 2), torch.softmax(sk, 2)
    M = 0.5 * (Qr + Pr)
    jsd = 0.5 * (Qr * (Qr.log() - M.log()) + Pr * (Pr.log() - M.log())).sum()
    check(abs(float(jsd - src(q, k, B))) < 1e-12, "SRC JSD by rows = official dim=1 form")
    check(float(src(k.clone().requires_grad_(True), k, B)) < 1e-12, "SRC(k, k) = 0")

    # Sinkhorn: marginals uniform (rows sum to 1, columns to 1 after the last v step).
    _, T = monce(q, k, B, P, beta=0.1)
    check(float((T.sum(dim=1) - 1).abs().max()) < 1e-9, "Sinkhorn columns sum to 1")
    check(float((T.sum(dim=2) - 1).abs().max()) < 1e-3, "Sinkhorn rows sum to ~1 after 50 iterations")
    # MoNCE gradient flows through the plan: differs from the detached plan.
    ld, _ = monce(q, k, B, P, beta=0.1)
    gfull = torch.autograd.grad(ld, q)[0]
    Td = ot_plan(q.view(B, -1, C).detach(), k.view(B, -1, C), 0.1, 50, "hard")
    gdet = torch.autograd.grad(weighted_nce(q, k, Td * (P - 1) + 1e-8, tau), q)[0]
    check(float((gfull - gdet).abs().max()) > 1e-6, "MoNCE gradient goes through the Sinkhorn iterations")
    # With a uniform weight 1/(P−1) and Q = 1, WeightNCE is PatchNCE (up to the 1e-8).
    f = torch.full((B, P, P), 1.0 / (P - 1), dtype=DT) * (P - 1) + 1e-8
    check(abs(float(weighted_nce(q, k, f, tau) - patch_nce(q, k, B))) < 1e-6, "uniform weights = PatchNCE")

    # Gradients by finite differences (float64 gradcheck).
    qs = unit_rows(2 * 6, 5, gen).to(DT).requires_grad_(True)
    ks = unit_rows(2 * 6, 5, gen).to(DT)
    fns = {
        "patchnce": lambda x: patch_nce(x, ks, 2),
        "hdce": lambda x: hdce(x, ks, 2, gamma=0.5),
        "hdce-is": lambda x: hdce(x, ks, 2, gamma=0.5, form="importance"),
        "src": lambda x: src(x, ks, 2),
        "monce": lambda x: monce(x, ks, 2, 6, beta=0.5, cost="easy")[0],
        "weightnce": lambda x: weight_nce(x, ks, 2, 6, beta=0.5),
    }
    for name, fn in fns.items():
        check(torch.autograd.gradcheck(fn, (qs,), eps=1e-6, atol=1e-6), "gradcheck " + name)

    # Round trip of an exported case.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        o = dict(loss="monce", batch=1, patches=8, channels=4, seed=0, all_negatives=0, beta=0.1, q=1.0, cost="hard")
        t = compute_case(o, torch.Generator().manual_seed(3))
        write_safetensors(os.path.join(d, "c.safetensors"), t, {kk: str(v) for kk, v in o.items()})
        back, meta = read_safetensors(os.path.join(d, "c.safetensors"))
        check(back["q"].dtype == np.float32 and back["value"].dtype == np.float64 and meta["loss"] == "monce",
              "export round trip (F32 inputs, F64 references)")
    print("%d failure(s)" % fails)
    return 1 if fails else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pe = sub.add_parser("export", help="write one safetensors file per case")
    pe.add_argument("--out", required=True)
    pe.add_argument("--quick", action="store_true", help="P = 64 instead of 256")
    pe.add_argument("--threads", type=int, default=2)
    ps = sub.add_parser("selftest", help="closed forms, official-code equivalences, gradcheck")
    ps.add_argument("--threads", type=int, default=2)
    opt = ap.parse_args(argv)
    return export(opt) if opt.cmd == "export" else selftest(opt)


if __name__ == "__main__":
    sys.exit(main())
