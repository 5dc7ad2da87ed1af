#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch reference for SinCUT's StyleGAN2-style networks, used to test the C engine.

Run with Debian's interpreter (torch 1.13 + numpy):

    /usr/bin/python3 tests/reference/sincut_networks.py export --out DIR [options]
    /usr/bin/python3 tests/reference/sincut_networks.py check-official --official FILE

The modules are written from the description of the official networks
(taesungp/contrastive-unpaired-translation, models/stylegan_networks.py,
StyleGAN2Generator and StyleGAN2Discriminator as the sincut options build
them: netG/netD "stylegan2", ngf 10, ndf 8, stylegan2_G_num_downsampling 1,
n_blocks 6, crop 64, nce_layers 0,2,4; commit
b3ac297708dfb6f7589d04662277e53c0d579c27).  They keep the official module tree,
so state_dict keys (buffers included) and the order of random draws at
construction are the same: for a torch seed, the weights are bit-identical.
Only what SinCUT uses is here: no style vectors (StyledConv without
modulation), upsampling modulated convs only, the non-patch discriminator.
`check-official` compares against the official file itself.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as Fn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cut_networks import setup_torch, write_safetensors  # noqa: E402

OFFICIAL_REPO = "taesungp/contrastive-unpaired-translation"
OFFICIAL_COMMIT = "b3ac297708dfb6f7589d04662277e53c0d579c27"
NCE_LAYERS = (0, 2, 4)
SQRT2 = math.sqrt(2.0)


def g_channels(ngf, res):
    """StyleGAN2Encoder/Decoder widths: round(512·ngf/res), at most 512 up to 32²
    (Python's round, half to even)."""
    c = int(round(16384 / res * (ngf / 32)))
    return min(512, c) if res <= 32 else c


def d_channels(ndf, res):
    """StyleGAN2Discriminator widths: int(256·ndf/res), at most 384 up to 32²."""
    c = int(16384 / res * (ndf / 64))
    return min(384, c) if res <= 32 else c


def blur_kernel(gain=1.0):
    k = torch.tensor([1.0, 3.0, 3.0, 1.0])
    k = k[None, :] * k[:, None]
    return k / k.sum() * gain


class Blur(nn.Module):
    """upfirdn2d without resampling: zero padding (pad0, pad1) on each axis,
    then the 4×4 [1,3,3,1] filter on every channel."""

    def __init__(self, pad, gain=1.0):
        super().__init__()
        self.register_buffer("kernel", blur_kernel(gain))
        self.pad = pad

    def forward(self, x):
        c = x.shape[1]
        p0, p1 = self.pad
        x = Fn.pad(x, [p0, p1, p0, p1])
        # a true convolution; the filter is symmetric, the flip keeps it general
        w = torch.flip(self.kernel, [0, 1]).expand(c, 1, 4, 4)
        return Fn.conv2d(x, w, groups=c)


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return Fn.leaky_relu(x + self.bias, 0.2) * SQRT2


class ScaledLeakyReLU(nn.Module):
    def forward(self, x):
        return Fn.leaky_relu(x, 0.2) * SQRT2


class EqualConv2d(nn.Module):
    """Weights drawn N(0, 1), scaled by 1/√fan_in at every use."""

    def __init__(self, c_in, c_out, k, stride=1, padding=0, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.scale = 1.0 / math.sqrt(c_in * k * k)
        self.stride, self.padding = stride, padding
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None

    def forward(self, x):
        return Fn.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


class EqualLinear(nn.Module):
    def __init__(self, d_in, d_out, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in))
        self.bias = nn.Parameter(torch.zeros(d_out))
        self.scale = 1.0 / math.sqrt(d_in)
        self.activation = activation

    def forward(self, x):
        if self.activation:
            return Fn.leaky_relu(Fn.linear(x, self.weight * self.scale) + self.bias, 0.2) * SQRT2
        return Fn.linear(x, self.weight * self.scale, self.bias)


class ConvLayer(nn.Sequential):
    """[Blur] → EqualConv2d → activation.  Downsampling blurs then strides."""

    def __init__(self, c_in, c_out, k, downsample=False, bias=True, activate=True):
        layers = []
        if downsample:
            p = 2 + (k - 1)
            layers.append(Blur(((p + 1) // 2, p // 2)))
            stride, padding = 2, 0
        else:
            stride, padding = 1, k // 2
        layers.append(EqualConv2d(c_in, c_out, k, stride, padding, bias=bias and not activate))
        if activate:
            layers.append(FusedLeakyReLU(c_out) if bias else ScaledLeakyReLU())
        super().__init__(*layers)


class ResBlock(nn.Module):
    def __init__(self, c_in, c_out, downsample=True):
        super().__init__()
        self.conv1 = ConvLayer(c_in, c_in, 3)
        self.conv2 = ConvLayer(c_in, c_out, 3, downsample=downsample)
        if c_in != c_out or downsample:
            self.skip = ConvLayer(c_in, c_out, 1, downsample=downsample, bias=False, activate=False)
        else:
            self.skip = nn.Identity()

    def forward(self, x):
        return (self.conv2(self.conv1(x)) + self.skip(x)) / SQRT2


class ModulatedConv2d(nn.Module):
    """The style-less, demodulated, 2× upsampling conv of the decoder: weight
    (1, out, in, k, k) scaled by 1/√fan_in, each output filter divided by its
    norm (+1e-8 inside the root), a stride-2 transposed conv, then the blur ×4."""

    def __init__(self, c_in, c_out, k):
        super().__init__()
        p = 2 - (k - 1)
        self.blur = Blur(((p + 1) // 2 + 1, p // 2 + 1), gain=4.0)
        self.scale = 1.0 / math.sqrt(c_in * k * k)
        self.weight = nn.Parameter(torch.randn(1, c_out, c_in, k, k))

    def forward(self, x):
        w = self.scale * self.weight[0]
        w = w * torch.rsqrt(w.pow(2).sum([1, 2, 3]) + 1e-8).view(-1, 1, 1, 1)
        return self.blur(Fn.conv_transpose2d(x, w.transpose(0, 1), stride=2))


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise):
        return x + self.weight * noise


class StyledConv(nn.Module):
    def __init__(self, c_in, c_out, k):
        super().__init__()
        self.conv = ModulatedConv2d(c_in, c_out, k)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(c_out)

    def forward(self, x, noise):
        return self.activate(self.noise(self.conv(x), noise))


class Encoder(nn.Module):
    def __init__(self, ngf, size, n_down, n_blocks):
        super().__init__()
        res = size
        convs = [nn.Identity(), ConvLayer(3, g_channels(ngf, res), 1)]
        for _ in range(n_down):
            convs.append(ResBlock(g_channels(ngf, res), g_channels(ngf, res // 2)))
            res //= 2
        for _ in range(n_blocks // 2):
            convs.append(ResBlock(g_channels(ngf, res), g_channels(ngf, res), downsample=False))
        self.convs = nn.Sequential(*convs)

    def forward(self, x, layers=()):
        feats = []
        for i, layer in enumerate(self.convs):
            x = layer(x)
            if i in layers:
                feats.append(x)
        return x, feats


class Decoder(nn.Module):
    def __init__(self, ngf, size, n_down, n_blocks):
        super().__init__()
        res = size // 2 ** n_down
        convs = [ResBlock(g_channels(ngf, res), g_channels(ngf, res), downsample=False)
                 for _ in range(n_blocks // 2)]
        for _ in range(n_down):
            convs.append(StyledConv(g_channels(ngf, res), g_channels(ngf, res * 2), 3))
            res *= 2
        convs.append(ConvLayer(g_channels(ngf, res), 3, 1))
        self.convs = nn.Sequential(*convs)

    def forward(self, x, noise):
        noise = list(noise)
        for layer in self.convs:
            x = layer(x, noise.pop(0)) if isinstance(layer, StyledConv) else layer(x)
        return x


class Generator(nn.Module):
    """StyleGAN2Generator: output = the last ConvLayer's scaled LeakyReLU, no tanh."""

    def __init__(self, ngf=10, size=64, n_down=1, n_blocks=6):
        super().__init__()
        self.encoder = Encoder(ngf, size, n_down, n_blocks)
        self.decoder = Decoder(ngf, size, n_down, n_blocks)

    def noise_shapes(self, x_shape):
        """(N, 1, H, W) of the noise of each StyledConv, in order."""
        n, _, h, w = x_shape
        shapes = []
        for layer in self.encoder.convs:
            if isinstance(layer, ResBlock) and not isinstance(layer.skip, nn.Identity):
                h, w = (h - 2) // 2 + 1, (w - 2) // 2 + 1
        for layer in self.decoder.convs:
            if isinstance(layer, StyledConv):
                h, w = 2 * h, 2 * w
                shapes.append((n, 1, h, w))
        return shapes

    def forward(self, x, noise, layers=(), encode_only=False):
        feat, feats = self.encoder(x, layers)
        if encode_only:
            return feats
        return self.decoder(feat, noise), feats


class Discriminator(nn.Module):
    """StyleGAN2Discriminator for netD "stylegan2": ResBlocks from size² down to
    4², a 3×3 ConvLayer, then two EqualLinears on the flattened 4×4 map."""

    def __init__(self, ndf=8, size=64):
        super().__init__()
        log_size = int(math.log2(size))
        c_in = d_channels(ndf, size)
        convs = [ConvLayer(3, c_in, 1)]
        for i in range(log_size, 2, -1):
            c_out = d_channels(ndf, 2 ** (i - 1))
            convs.append(ResBlock(c_in, c_out))
            c_in = c_out
        self.convs = nn.Sequential(*convs)
        c4 = d_channels(ndf, 4)
        self.final_conv = ConvLayer(c_in, c4, 3)
        self.final_linear = nn.Sequential(EqualLinear(c4 * 16, c4, activation=True), EqualLinear(c4, 1))

    def forward(self, x):
        out = self.final_conv(self.convs(x))
        return self.final_linear(out.reshape(out.shape[0], -1))


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------

def params_for_c(net):
    """The C engine keeps tensors of at most 4 dimensions: the modulated
    conv's (1, out, in, k, k) weight is exchanged as (out, in, k, k)."""
    return {n: (p.detach()[0] if p.dim() == 5 else p.detach()) for n, p in net.named_parameters()}


def grads_for_c(net):
    return {n: (p.grad[0] if p.dim() == 5 else p.grad) for n, p in net.named_parameters()}


def perturb(net, gen):
    """Official init leaves biases and noise strengths at 0, which would hide
    their gradients' paths: give every parameter random values."""
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("bias") or name.endswith("noise.weight"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))


def build(opt):
    torch.manual_seed(opt.seed)
    G = Generator(opt.ngf, opt.size, opt.n_downsampling, opt.n_blocks)
    D = Discriminator(opt.ndf, opt.size)
    gen = torch.Generator().manual_seed(opt.seed + 1)
    perturb(G, gen)
    perturb(D, gen)
    return G, D


def compute_case(opt, G, D):
    """L = Σ fake·r_fake + Σ_l Σ tap_l·r_tap_l + Σ D(d_in)·r_d, with d_in the
    fake, or a separate image y when --d-height/--d-width are given."""
    gen = torch.Generator().manual_seed(opt.seed + 2)
    x = (torch.rand(opt.batch, 3, opt.height, opt.width, generator=gen) * 2 - 1).requires_grad_()
    noise = [torch.randn(s, generator=gen) for s in G.noise_shapes(x.shape)]
    fake, taps = G(x, noise, NCE_LAYERS)
    case = {"x": x.detach()}
    for i, n in enumerate(noise):
        case["noise%d" % i] = n
    y = None
    if opt.d_height:
        y = (torch.rand(opt.batch, 3, opt.d_height, opt.d_width, generator=gen) * 2 - 1).requires_grad_()
        case["y"] = y.detach()
    logits = D(fake if y is None else y)
    loss = 0
    for name, t in [("fake", fake), ("d_logits", logits)] + [("tap%d" % i, t) for i, t in enumerate(taps)]:
        r = torch.randn(t.shape, generator=gen)
        case[name] = t.detach()
        case["r_" + name] = r
        loss = loss + (t * r).sum()
    loss.backward()
    for tag, net in (("G", G), ("D", D)):
        for n, g in grads_for_c(net).items():
            case["grad.%s.%s" % (tag, n)] = g
    case["grad.x"] = x.grad
    if y is not None:
        case["grad.y"] = y.grad
    case["loss"] = loss.detach().reshape(1)
    return case


def export(opt):
    setup_torch(opt.threads)
    t0 = time.time()
    os.makedirs(opt.out, exist_ok=True)
    G, D = build(opt)
    case = compute_case(opt, G, D)
    meta = {"official_repo": OFFICIAL_REPO, "official_commit": OFFICIAL_COMMIT, "seed": opt.seed}
    write_safetensors(os.path.join(opt.out, "G.safetensors"), params_for_c(G), meta)
    write_safetensors(os.path.join(opt.out, "D.safetensors"), params_for_c(D), meta)
    write_safetensors(os.path.join(opt.out, "case.safetensors"), case, meta)
    config = {
        "seed": opt.seed, "batch": opt.batch, "height": opt.height, "width": opt.width,
        "d_height": opt.d_height, "d_width": opt.d_width,
        "ngf": opt.ngf, "ndf": opt.ndf, "size": opt.size, "n_downsampling": opt.n_downsampling,
        "n_blocks": opt.n_blocks, "nce_layers": list(NCE_LAYERS),
        "G_params": {k: list(v.shape) for k, v in params_for_c(G).items()},
        "D_params": {k: list(v.shape) for k, v in params_for_c(D).items()},
        "G_buffers": {k: list(v.shape) for k, v in G.named_buffers()},
        "D_buffers": {k: list(v.shape) for k, v in D.named_buffers()},
        "shapes": {k: list(v.shape) for k, v in sorted(case.items()) if not k.startswith("grad.")},
        "loss": float(case["loss"][0]),
        "torch_version": torch.__version__,
        "official_repo": OFFICIAL_REPO, "official_commit": OFFICIAL_COMMIT,
        "seconds": round(time.time() - t0, 3),
    }
    with open(os.path.join(opt.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print("wrote %s (G %d, D %d params) loss=%.6g in %.2fs"
          % (opt.out, len(config["G_params"]), len(config["D_params"]), config["loss"], config["seconds"]))


# ---------------------------------------------------------------------------
# Comparison with the official file
# ---------------------------------------------------------------------------

def check_official(opt):
    """Loads the official stylegan_networks.py (a path), builds both
    implementations from the same seed with the sincut options, and compares
    state_dicts (keys, shapes, values: bit-identical), outputs, taps and every
    gradient under the same loss with the same noise."""
    import importlib.util
    setup_torch(opt.threads)
    spec = importlib.util.spec_from_file_location("official_stylegan", opt.official)
    off = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(off)
    # The official style-less ModulatedConv2d makes its unit style with
    # torch.ones(...).cuda(); on a CPU-only machine let .cuda() be the identity.
    torch.Tensor.cuda = lambda self, *a, **k: self
    o = argparse.Namespace(load_size=1024, crop_size=opt.size, stylegan2_G_num_downsampling=opt.n_downsampling,
                           netG="stylegan2", netD="stylegan2", D_patch_size=None)
    fails = 0

    def check(cond, msg):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + msg)
        fails += not cond

    torch.manual_seed(opt.seed)
    Go = off.StyleGAN2Generator(3, 3, opt.ngf, n_blocks=opt.n_blocks, opt=o)
    Do = off.StyleGAN2Discriminator(3, opt.ndf, 3, opt=o)
    torch.manual_seed(opt.seed)
    G = Generator(opt.ngf, opt.size, opt.n_downsampling, opt.n_blocks)
    D = Discriminator(opt.ndf, opt.size)
    for tag, a, b in (("G", Go, G), ("D", Do, D)):
        sa, sb = a.state_dict(), b.state_dict()
        check(list(sa) == list(sb), "%s state_dict keys in the same order (%d)" % (tag, len(sa)))
        check(all(sa[k].shape == sb[k].shape and torch.equal(sa[k], sb[k]) for k in sa if k in sb),
              "%s initial tensors bit-identical for torch seed %d" % (tag, opt.seed))
        gen = torch.Generator().manual_seed(opt.seed + 1)
        perturb(a, gen)
        b.load_state_dict(a.state_dict())

    for h, w in ((opt.size, opt.size), (45, 37)):
        x = torch.rand(2, 3, h, w, generator=torch.Generator().manual_seed(opt.seed + 2)) * 2 - 1
        xo, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
        # The official NoiseInjection draws its noise with normal_() at each
        # StyledConv, nothing else consumes the RNG: the same seed gives the
        # same noise to ours.
        torch.manual_seed(opt.seed + 3)
        fake_o, taps_o = Go(xo, list(NCE_LAYERS))
        torch.manual_seed(opt.seed + 3)
        noise = [torch.empty(s).normal_() for s in G.noise_shapes(x.shape)]
        fake_r, taps_r = G(xr, noise, NCE_LAYERS)
        check(torch.equal(fake_o, fake_r), "G output %dx%d bit-identical %s" % (h, w, tuple(fake_r.shape)))
        check(len(taps_o) == 3 and all(torch.equal(a, b) for a, b in zip(taps_o, taps_r)),
              "taps %s bit-identical: %s" % (NCE_LAYERS, [tuple(t.shape) for t in taps_r]))
        enc_o = Go(x, list(NCE_LAYERS), encode_only=True)
        check(all(torch.equal(a, b) for a, b in zip(enc_o, G(x, None, NCE_LAYERS, encode_only=True))),
              "encode_only taps bit-identical")
        gen = torch.Generator().manual_seed(opt.seed + 4)
        loss_o = loss_r = 0
        for a, b in zip([fake_o] + taps_o, [fake_r] + taps_r):
            r = torch.randn(a.shape, generator=gen)
            loss_o, loss_r = loss_o + (a * r).sum(), loss_r + (b * r).sum()
        if (h, w) == (opt.size, opt.size):
            d_o, d_r = Do(fake_o), D(fake_r)
            check(torch.equal(d_o, d_r), "D logits bit-identical %s" % (tuple(d_r.shape),))
            r = torch.randn(d_o.shape, generator=gen)
            loss_o, loss_r = loss_o + (d_o * r).sum(), loss_r + (d_r * r).sum()
        for net in (Go, Do, G, D):
            net.zero_grad()
        loss_o.backward()
        loss_r.backward()
        pa = dict(Go.named_parameters()) | {"D." + k: v for k, v in Do.named_parameters()}
        pb = dict(G.named_parameters()) | {"D." + k: v for k, v in D.named_parameters()}
        keys = [k for k in pa if pa[k].grad is not None]
        differ = {k: float((pa[k].grad - pb[k].grad).abs().max() / pa[k].grad.abs().max().clamp(min=1e-30))
                  for k in keys if not torch.equal(pa[k].grad, pb[k].grad)}
        worst = max(differ.values(), default=0.0)
        check(len(keys) == len(pb) and worst < 1e-5,
              "%d parameter gradients: %d bit-identical, the rest within %.2g of their largest entry %s"
              % (len(keys), len(keys) - len(differ), worst, sorted(differ)))
        check(torch.equal(xo.grad, xr.grad), "input gradient bit-identical")
    def run_d(net, y):
        try:
            return net(y)
        except RuntimeError:
            return None

    for hd, wd in ((65, 66), (63, 64)):
        y = torch.rand(1, 3, hd, wd)
        a, b = run_d(Do, y), run_d(D, y)
        check((a is None and b is None) or (a is not None and b is not None and torch.equal(a, b)),
              "D on %dx%d: %s by both" % (hd, wd, "refused" if a is None else "bit-identical logits"))
    print("%d failures" % fails)
    return 1 if fails else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["export", "check-official"])
    ap.add_argument("--out")
    ap.add_argument("--official", help="path of the official models/stylegan_networks.py")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--height", type=int, default=64)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--d-height", type=int, default=0, help="D on a separate image of this size (0: on G's output)")
    ap.add_argument("--d-width", type=int, default=0)
    ap.add_argument("--ngf", type=int, default=10)
    ap.add_argument("--ndf", type=int, default=8)
    ap.add_argument("--size", type=int, default=64, help="the official min(load_size, crop_size)")
    ap.add_argument("--n-downsampling", type=int, default=1)
    ap.add_argument("--n-blocks", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0)
    opt, _ = ap.parse_known_args(argv)
    if opt.command == "export":
        if not opt.out:
            ap.error("export needs --out")
        export(opt)
        return 0
    if not opt.official:
        ap.error("check-official needs --official")
    return check_official(opt)


if __name__ == "__main__":
    sys.exit(main())
