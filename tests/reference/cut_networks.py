#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch reference for the CUT networks, used to test the C engine.

Run with Debian's interpreter (torch 1.13 + numpy):

    /usr/bin/python3 tests/reference/cut_networks.py export --out DIR [options]
    /usr/bin/python3 tests/reference/cut_networks.py selftest [--threads N]
    /usr/bin/python3 tests/reference/cut_networks.py check-official --official DIR

The modules below are written from /work/shared/METHODS.md section 1 and were
checked against the official CUT code (taesungp/contrastive-unpaired-translation,
models/networks.py, commit b3ac297708dfb6f7589d04662277e53c0d579c27): same
module ordering, same state_dict keys, same initialisation (and the same
random-number consumption, so a given torch seed gives bit-identical weights).
See README.md beside this file for the list of files and tensors.
"""

import argparse
import json
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as Fn

OFFICIAL_COMMIT = "b3ac297708dfb6f7589d04662277e53c0d579c27"
NCE_LAYERS = (0, 4, 8, 12, 16)


# ---------------------------------------------------------------------------
# Fixed (non-learned) resampling filters
# ---------------------------------------------------------------------------

def binomial_filter_2d(taps):
    """Outer product of a binomial row with itself, normalised to sum 1."""
    rows = {3: [1.0, 2.0, 1.0], 4: [1.0, 3.0, 3.0, 1.0]}
    a = np.array(rows[taps])
    k = a[:, None] * a[None, :]
    return torch.tensor(k / k.sum(), dtype=torch.float32)


class Downsample(nn.Module):
    """Anti-aliased stride-2 downsampling: reflect pad 1, depthwise 3x3
    [1,2,1]^T[1,2,1]/16, stride 2.  Output size floor((H+2-3)/2)+1."""

    def __init__(self, channels):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        # persistent buffer -> appears in state_dict() as "<prefix>.filt"
        self.register_buffer("filt", binomial_filter_2d(3)[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x):
        return Fn.conv2d(self.pad(x), self.filt, stride=2, groups=x.shape[1])


class Upsample(nn.Module):
    """Anti-aliased 2x upsampling: replicate pad 1, depthwise transposed conv
    (filter 4*[1,3,3,1]^T[1,3,3,1]/64, stride 2, padding 2), then drop the
    first and last row and column.  H -> 2H exactly."""

    def __init__(self, channels):
        super().__init__()
        self.pad = nn.ReplicationPad2d(1)
        self.register_buffer("filt", (binomial_filter_2d(4) * 4.0)[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x):
        y = Fn.conv_transpose2d(self.pad(x), self.filt, stride=2, padding=2, groups=x.shape[1])
        return y[:, :, 1:-1, 1:-1]


def instance_norm(c):
    return nn.InstanceNorm2d(c, affine=False, track_running_stats=False)


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------

class ResnetBlock(nn.Module):
    """x + IN(conv3(reflpad1(ReLU(IN(conv3(reflpad1(x)))))))  -- keys conv_block.1.*, conv_block.5.*"""

    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, padding=0, bias=True),
            instance_norm(dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, padding=0, bias=True),
            instance_norm(dim),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """CUT ResnetGenerator (norm = instance, no dropout, reflect padding).

    antialias      : False <=> official --no_antialias   (downsampling)
    antialias_up   : False <=> official --no_antialias_up (upsampling)
    ReLUs are in-place exactly as in the official code: this matters for the
    encoder taps (a tap taken at a layer that is followed by ReLU(inplace) is
    overwritten by the ReLU; see README)."""

    def __init__(self, input_nc=3, output_nc=3, ngf=64, n_blocks=9, antialias=True, antialias_up=True):
        super().__init__()
        layers = [nn.ReflectionPad2d(3),
                  nn.Conv2d(input_nc, ngf, 7, padding=0, bias=True),
                  instance_norm(ngf),
                  nn.ReLU(True)]
        for i in range(2):
            cin, cout = ngf * 2 ** i, ngf * 2 ** (i + 1)
            if antialias:
                layers += [nn.Conv2d(cin, cout, 3, stride=1, padding=1, bias=True),
                           instance_norm(cout), nn.ReLU(True), Downsample(cout)]
            else:
                layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=True),
                           instance_norm(cout), nn.ReLU(True)]
        for _ in range(n_blocks):
            layers.append(ResnetBlock(ngf * 4))
        for i in range(2):
            cin = ngf * 2 ** (2 - i)
            cout = cin // 2
            if antialias_up:
                layers += [Upsample(cin),
                           nn.Conv2d(cin, cout, 3, stride=1, padding=1, bias=True),
                           instance_norm(cout), nn.ReLU(True)]
            else:
                layers += [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1, bias=True),
                           instance_norm(cout), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)

    def encode(self, x, layers=NCE_LAYERS):
        """Outputs of model[i] for i in layers (official forward(x, layers,
        encode_only=True)); stops after the last requested layer.  The
        returned tensors are the very objects produced by those layers, so a
        following in-place ReLU modifies them, as in the official code."""
        layers = list(layers)
        taps = []
        h = x
        for idx, layer in enumerate(self.model):
            h = layer(h)
            if idx in layers:
                taps.append(h)
            if idx == layers[-1]:
                break
        return taps


# ---------------------------------------------------------------------------
# Discriminator
# ---------------------------------------------------------------------------

class NLayerDiscriminator(nn.Module):
    """PatchGAN, norm = instance, LeakyReLU(0.2), kernel 4, padding 1."""

    def __init__(self, input_nc=3, ndf=64, n_layers=3, antialias=True):
        super().__init__()
        if antialias:
            seq = [nn.Conv2d(input_nc, ndf, 4, stride=1, padding=1), nn.LeakyReLU(0.2, True), Downsample(ndf)]
        else:
            seq = [nn.Conv2d(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            if antialias:
                seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1, bias=True),
                        instance_norm(ndf * mult), nn.LeakyReLU(0.2, True), Downsample(ndf * mult)]
            else:
                seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=1, bias=True),
                        instance_norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1, bias=True),
                instance_norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


# ---------------------------------------------------------------------------
# Projection heads F (PatchSampleF with use_mlp=True)
# ---------------------------------------------------------------------------

def l2_normalize(v):
    # same arithmetic as the official Normalize(2): v / (sum(v^2)^(1/2) + 1e-7)
    norm = v.pow(2).sum(1, keepdim=True).pow(0.5)
    return v.div(norm + 1e-7)


def sample_patches(feat, ids):
    """feat (B,C,H,W), ids (P,) int64 indices into h*W+w  ->  (B*P, C),
    row b*P+p = feat[b, :, ids[p] // W, ids[p] % W].

    The official code indexes feat.permute(0, 2, 3, 1).flatten(1, 2), whose
    backward hands the feature map a channels_last-strided gradient.  Debian's
    torch 1.13 computes InstanceNorm2d's CPU backward wrongly for such a
    gradient (checked against finite differences), which corrupts every
    gradient upstream of a tap that feeds an instance norm (taps 3 and 4).  This
    form takes the same values and hands back a contiguous gradient."""
    return feat.flatten(2)[:, :, ids].permute(0, 2, 1).flatten(0, 1)


class PatchSampleF(nn.Module):
    """Official PatchSampleF(use_mlp=True, nc): mlp_i = Linear(C_i,nc), ReLU,
    Linear(nc,nc).  The official module creates the MLPs lazily at its first
    forward from the tap channel counts; here they are given up front."""

    def __init__(self, in_channels, nc=256):
        super().__init__()
        self.nc = nc
        self.n = len(in_channels)
        for i, c in enumerate(in_channels):
            setattr(self, "mlp_%d" % i, nn.Sequential(nn.Linear(c, nc), nn.ReLU(), nn.Linear(nc, nc)))

    def forward(self, feats, ids, return_intermediates=False):
        outs, samps, projs = [], [], []
        for i, (f, pid) in enumerate(zip(feats, ids)):
            s = sample_patches(f, pid)
            p = getattr(self, "mlp_%d" % i)(s)
            outs.append(l2_normalize(p))
            samps.append(s)
            projs.append(p)
        if return_intermediates:
            return outs, samps, projs
        return outs


# ---------------------------------------------------------------------------
# Initialisation (official init_weights with --init_type xavier --init_gain 0.02)
# ---------------------------------------------------------------------------

def init_weights(net, gain=0.02):
    # Official: for every module whose class name contains 'Conv' or 'Linear'
    # (so Conv2d, ConvTranspose2d, Linear): xavier_normal_(weight, gain), bias 0.
    # Only leaves are touched, so pre-order modules() visits them in the same
    # order as the official net.apply() (post-order).
    for m in net.modules():
        name = m.__class__.__name__
        if hasattr(m, "weight") and ("Conv" in name or "Linear" in name):
            nn.init.xavier_normal_(m.weight.data, gain=gain)
            if getattr(m, "bias", None) is not None:
                nn.init.constant_(m.bias.data, 0.0)
    return net


def tap_channels(G, layers=NCE_LAYERS, input_nc=3):
    """Channel count of the output of G.model[i] for i in layers (the official
    code creates F's MLPs lazily from the tap shapes).  For n_blocks >= 5 this
    is input_nc, 2ngf, 4ngf, 4ngf, 4ngf with or without antialias; with fewer
    blocks the later taps fall into the decoder."""
    out, c = [], input_nc
    for idx, m in enumerate(G.model):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            c = m.out_channels
        if idx in layers:
            out.append(c)
    return out


def build_networks(opt):
    """G, D, F constructed and initialised in the official order (G, D, then
    F's MLPs at the first forward) under torch.manual_seed(opt.seed)."""
    torch.manual_seed(opt.seed)
    G = init_weights(ResnetGenerator(3, 3, opt.ngf, opt.n_blocks, not opt.no_antialias, not opt.no_antialias_up), opt.init_gain)
    D = init_weights(NLayerDiscriminator(3, opt.ndf, 3, not opt.no_antialias), opt.init_gain)
    F = init_weights(PatchSampleF(tap_channels(G), opt.netF_nc), opt.init_gain)
    return G, D, F


# ---------------------------------------------------------------------------
# Minimal safetensors writer / reader (no dependency on the pip package)
# ---------------------------------------------------------------------------

_DT_TO_ST = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64", np.dtype("<i4"): "I32"}
_ST_TO_DT = {v: k for k, v in _DT_TO_ST.items()}


def _as_le_array(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().contiguous().numpy()
    a = np.ascontiguousarray(t)
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    if a.dtype not in _DT_TO_ST:
        raise TypeError("unsupported dtype %s" % a.dtype)
    return a


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> torch.Tensor / ndarray.  Data are laid out with
    8-byte types first, then 4-byte ones, each group sorted by name, without
    holes (as the reference library does), so every tensor is aligned to its
    element size; the header is padded with spaces so data start at a
    multiple of 8."""
    arrays = {k: _as_le_array(v) for k, v in tensors.items()}
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    off = 0
    for k in order:
        n = arrays[k].nbytes
        header[k] = {"dtype": _DT_TO_ST[arrays[k].dtype], "shape": list(arrays[k].shape), "data_offsets": [off, off + n]}
        off += n
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-(8 + len(hb))) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for k in order:
            f.write(arrays[k].tobytes())
    os.replace(tmp, path)


def read_safetensors(path):
    """Returns (dict name -> numpy array, metadata dict); validates layout."""
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    if (8 + hlen) % 8:
        raise ValueError("%s: data start %d not 8-aligned" % (path, 8 + hlen))
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + hlen:]
    out = {}
    spans = []
    for k, h in header.items():
        dt = _ST_TO_DT[h["dtype"]]
        b, e = h["data_offsets"]
        n = int(np.prod(h["shape"], dtype=np.int64)) * dt.itemsize
        if e - b != n:
            raise ValueError("%s: %s size mismatch" % (path, k))
        if b % dt.itemsize:
            raise ValueError("%s: %s misaligned" % (path, k))
        out[k] = np.frombuffer(data, dtype=dt, count=n // dt.itemsize, offset=b).reshape(h["shape"]).copy()
        spans.append((b, e))
    spans.sort()
    pos = 0
    for b, e in spans:
        if b != pos:
            raise ValueError("%s: hole or overlap in data at %d" % (path, b))
        pos = e
    if pos != len(data):
        raise ValueError("%s: trailing bytes" % path)
    return out, meta


# ---------------------------------------------------------------------------
# The test case
# ---------------------------------------------------------------------------

def layer_table(G):
    return ["%d:%s" % (i, m.__class__.__name__) for i, m in enumerate(G.model)]


def compute_case(opt, G, D, F):
    """Everything that goes into case.safetensors (float32)."""
    g = torch.Generator().manual_seed(opt.seed + 1)
    B, H, W = opt.batch, opt.height, opt.width
    x = (torch.rand(B, 3, H, W, generator=g) * 2.0 - 1.0).requires_grad_(True)

    fake = G(x)
    taps = G.encode(x, NCE_LAYERS)
    ids = []
    for t in taps:
        hw = t.shape[2] * t.shape[3]
        ids.append(torch.randperm(hw, generator=g)[: min(opt.n_patches, hw)].to(torch.int64))
    feats, samps, projs = F(taps, ids, return_intermediates=True)
    d_fake = D(fake)

    r_fake = torch.randn(fake.shape, generator=g)
    r_d = torch.randn(d_fake.shape, generator=g)
    r_feat = [torch.randn(f.shape, generator=g) for f in feats]

    loss = (fake * r_fake).sum() + (d_fake * r_d).sum()
    for f, r in zip(feats, r_feat):
        loss = loss + (f * r).sum()

    names, params = [], []
    for prefix, net in (("G", G), ("D", D), ("F", F)):
        for n, p in net.named_parameters():
            names.append("grad.%s.%s" % (prefix, n))
            params.append(p)
    grads = torch.autograd.grad(loss, params + [x])

    case = {"x": x, "fake": fake, "d_fake": d_fake, "r_fake": r_fake, "r_d": r_d, "loss": loss.reshape(1)}
    for i in range(len(NCE_LAYERS)):
        case["tap%d" % i] = taps[i]
        case["ids%d" % i] = ids[i]
        case["samp%d" % i] = samps[i]
        case["proj%d" % i] = projs[i]
        case["feat%d" % i] = feats[i]
        case["r_feat%d" % i] = r_feat[i]
    for n, gr in zip(names, grads[:-1]):
        case[n] = gr
    case["grad.x"] = grads[-1]
    return {k: v.detach() for k, v in case.items()}


def params_of(net):
    return {n: p.detach() for n, p in net.named_parameters()}


def buffers_of(net):
    return {n: b.detach() for n, b in net.named_buffers()}


def setup_torch(threads):
    if threads > 0:
        torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)


def export(opt):
    setup_torch(opt.threads)
    t0 = time.time()
    os.makedirs(opt.out, exist_ok=True)
    G, D, F = build_networks(opt)
    t1 = time.time()
    case = compute_case(opt, G, D, F)
    t2 = time.time()
    meta = {"official_repo": "taesungp/contrastive-unpaired-translation", "official_commit": OFFICIAL_COMMIT,
            "seed": opt.seed}
    write_safetensors(os.path.join(opt.out, "G.safetensors"), params_of(G), meta)
    write_safetensors(os.path.join(opt.out, "D.safetensors"), params_of(D), meta)
    write_safetensors(os.path.join(opt.out, "F.safetensors"), params_of(F), meta)
    write_safetensors(os.path.join(opt.out, "case.safetensors"), case, meta)
    t3 = time.time()
    config = {
        "seed": opt.seed, "data_seed": opt.seed + 1,
        "batch": opt.batch, "height": opt.height, "width": opt.width,
        "input_nc": 3, "output_nc": 3,
        "ngf": opt.ngf, "n_blocks": opt.n_blocks, "ndf": opt.ndf, "n_layers_D": 3,
        "antialias": not opt.no_antialias, "antialias_up": not opt.no_antialias_up,
        "norm": "instance(affine=False, track_running_stats=False, eps=1e-5)",
        "init_type": "xavier_normal", "init_gain": opt.init_gain,
        "netF": "mlp_sample", "netF_nc": opt.netF_nc, "n_patches": opt.n_patches,
        "nce_layers": list(NCE_LAYERS),
        "generator_layers": layer_table(G),
        "discriminator_layers": layer_table(D),
        "G_buffers": {k: list(v.shape) for k, v in buffers_of(G).items()},
        "D_buffers": {k: list(v.shape) for k, v in buffers_of(D).items()},
        "shapes": {k: list(v.shape) for k, v in sorted(case.items()) if not k.startswith("grad.")},
        "loss": float(case["loss"][0]),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "official_repo": "taesungp/contrastive-unpaired-translation", "official_commit": OFFICIAL_COMMIT,
        "seconds": {"build": round(t1 - t0, 3), "forward_backward": round(t2 - t1, 3), "write": round(t3 - t2, 3)},
    }
    with open(os.path.join(opt.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print("wrote %s (G %d, D %d, F %d params; %d case tensors) loss=%.6g  build %.2fs fwd+bwd %.2fs write %.2fs"
          % (opt.out, len(params_of(G)), len(params_of(D)), len(params_of(F)), len(case), config["loss"],
             t1 - t0, t2 - t1, t3 - t2))
    return G, D, F, case


# ---------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------

def _check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("  ok  " + msg)


def _load_into(net, arrays):
    sd = {k: torch.from_numpy(v) for k, v in arrays.items()}
    missing, unexpected = net.load_state_dict(sd, strict=False)
    # the only keys not in the weights files must be the fixed filters
    _check(all(k.endswith(".filt") for k in missing) and not unexpected,
           "state_dict keys = file keys + fixed '.filt' buffers (%d params)" % len(sd))


def selftest(opt):
    setup_torch(opt.threads)
    t_start = time.time()

    print("(a) export / re-load round trip")
    with tempfile.TemporaryDirectory() as d:
        eopt = argparse.Namespace(out=d, seed=3, batch=2, height=36, width=40, ngf=4, n_blocks=5, ndf=4,
                                  no_antialias=False, no_antialias_up=False, n_patches=32, netF_nc=16,
                                  init_gain=0.02, threads=opt.threads)
        G, D, F, case = export(eopt)
        for name, net in (("G", G), ("D", D), ("F", F)):
            arrs, meta = read_safetensors(os.path.join(d, name + ".safetensors"))
            ref = params_of(net)
            _check(set(arrs) == set(ref) and all(np.array_equal(arrs[k], ref[k].numpy()) for k in ref),
                   "%s.safetensors round trip (%d tensors, commit %s)" % (name, len(arrs), meta.get("official_commit", "?")[:8]))
        arrs, _ = read_safetensors(os.path.join(d, "case.safetensors"))
        _check(set(arrs) == set(case) and all(np.array_equal(arrs[k], case[k].numpy()) for k in case),
               "case.safetensors round trip (%d tensors)" % len(arrs))
        _check(arrs["ids0"].dtype == np.int64 and arrs["x"].dtype == np.float32, "ids are I64, values F32")
        # fresh modules loaded from the files reproduce the case
        G2 = ResnetGenerator(3, 3, 4, 5)
        D2 = NLayerDiscriminator(3, 4, 3)
        F2 = PatchSampleF(tap_channels(G2), 16)
        _load_into(G2, read_safetensors(os.path.join(d, "G.safetensors"))[0])
        _load_into(D2, read_safetensors(os.path.join(d, "D.safetensors"))[0])
        _load_into(F2, read_safetensors(os.path.join(d, "F.safetensors"))[0])
        with torch.no_grad():
            x = torch.from_numpy(arrs["x"])
            fake = G2(x)
            taps = G2.encode(x)
            feats = F2(taps, [torch.from_numpy(arrs["ids%d" % i]) for i in range(5)])
            _check(torch.equal(fake, torch.from_numpy(arrs["fake"])), "reloaded G reproduces fake bit-exactly")
            _check(torch.equal(D2(fake), torch.from_numpy(arrs["d_fake"])), "reloaded D reproduces d_fake")
            _check(all(torch.equal(taps[i], torch.from_numpy(arrs["tap%d" % i])) for i in range(5)), "taps reproduced")
            _check(all(torch.equal(feats[i], torch.from_numpy(arrs["feat%d" % i])) for i in range(5)), "feats reproduced")
            # sampling order: row b*P+p = tap[b, :, id // W, id % W]
            t, idv, s = arrs["tap2"], arrs["ids2"], arrs["samp2"]
            P, Wt = len(idv), t.shape[3]
            manual = np.stack([t[b, :, idv[p] // Wt, idv[p] % Wt] for b in range(t.shape[0]) for p in range(P)])
            _check(np.array_equal(manual, s), "samp rows are b*P+p, location id = h*W+w")
            loss = (torch.from_numpy(arrs["fake"]) * torch.from_numpy(arrs["r_fake"])).sum() \
                + (torch.from_numpy(arrs["d_fake"]) * torch.from_numpy(arrs["r_d"])).sum()
            for i in range(5):
                loss = loss + (torch.from_numpy(arrs["feat%d" % i]) * torch.from_numpy(arrs["r_feat%d" % i])).sum()
            _check(abs(float(loss) - float(arrs["loss"][0])) <= 1e-5 * max(1.0, abs(float(loss))),
                   "loss = sum fake*r_fake + sum d_fake*r_d + sum_l feat_l*r_feat_l")

    print("(b) shapes for a 256x256 input (ngf 64, 9 blocks, ndf 64)")
    with torch.no_grad():
        torch.manual_seed(0)
        G = ResnetGenerator(3, 3, 64, 9)
        D = NLayerDiscriminator(3, 64, 3)
        x = torch.rand(1, 3, 256, 256) * 2 - 1
        taps = G.encode(x)
        want = [(3, 262, 262), (128, 256, 256), (256, 128, 128), (256, 64, 64), (256, 64, 64)]
        _check([tuple(t.shape[1:]) for t in taps] == want, "taps %s" % want)
        fake = G(x)
        _check(tuple(fake.shape) == (1, 3, 256, 256), "fake 3x256x256")
        _check(tuple(D(fake).shape) == (1, 1, 30, 30), "D output 1x30x30")
        Gn = ResnetGenerator(3, 3, 8, 9, antialias=False, antialias_up=False)
        tn = Gn.encode(torch.zeros(1, 3, 256, 256))
        _check([tuple(t.shape[1:]) for t in tn] == [(3, 262, 262), (16, 128, 128), (32, 64, 64), (32, 64, 64), (32, 64, 64)],
               "no-antialias taps (ngf 8): 3x262, 2ngf x128, 4ngf x64 x3")
        _check(tuple(Gn(torch.zeros(1, 3, 256, 256)).shape) == (1, 3, 256, 256), "no-antialias fake 3x256x256")
        _check(tuple(NLayerDiscriminator(3, 8, 3, antialias=False)(torch.zeros(1, 3, 256, 256)).shape) == (1, 1, 30, 30),
               "no-antialias D output 30x30")
        _check(len(G.model) == 32 and len(ResnetGenerator(3, 3, 8, 9, False, True).model) == 30 and len(Gn.model) == 28,
               "generator lengths 32 / 30 / 28 (aa / no_antialias / no_antialias+no_antialias_up)")
        # state-dict keys
        keys = set(G.state_dict())
        _check({"model.1.weight", "model.4.weight", "model.7.filt", "model.12.conv_block.1.weight",
                "model.20.conv_block.5.bias", "model.21.filt", "model.22.weight", "model.30.bias"} <= keys,
               "G state_dict keys follow the official indexing")
        _check(set(D.state_dict()) == {"model.0.weight", "model.0.bias", "model.2.filt", "model.3.weight", "model.3.bias",
                                       "model.6.filt", "model.7.weight", "model.7.bias", "model.10.filt",
                                       "model.11.weight", "model.11.bias", "model.14.weight", "model.14.bias"},
               "D state_dict keys")
        # Upsample == bilinear x2 (align_corners=False, edges clamped); Downsample == blur + stride 2
        z = torch.randn(2, 5, 7, 6)
        up = Upsample(5)(z)
        bil = Fn.interpolate(z, scale_factor=2, mode="bilinear", align_corners=False)
        _check(torch.allclose(up, bil, atol=1e-6), "Upsample == bilinear x2, align_corners=False (max |d| %.1e)"
               % float((up - bil).abs().max()))
        k = torch.tensor([1.0, 2.0, 1.0]) / 4
        zp = Fn.pad(z, (1, 1, 1, 1), mode="reflect")
        sep = (zp[:, :, :, 0:-2] * k[0] + zp[:, :, :, 1:-1] * k[1] + zp[:, :, :, 2:] * k[2])
        sep = (sep[:, :, 0:-2] * k[0] + sep[:, :, 1:-1] * k[1] + sep[:, :, 2:] * k[2])[:, :, ::2, ::2]
        _check(torch.allclose(Downsample(5)(z), sep, atol=1e-6), "Downsample == reflect pad 1, [1,2,1]/4 separable blur, stride 2")

    print("(c) gradcheck in float64")
    torch.manual_seed(1)
    from torch.nn.utils import stateless

    def gradcheck_net(label, net, x):
        net = net.double()
        names = [n for n, _ in net.named_parameters()]
        ps = [p.detach().clone().requires_grad_(True) for _, p in net.named_parameters()]
        x = x.double().requires_grad_(True)

        def f(x, *ps):
            return stateless.functional_call(net, dict(zip(names, ps)), (x,))
        ok = torch.autograd.gradcheck(f, (x, *ps), eps=1e-6, atol=1e-5, rtol=1e-4)
        _check(ok, "gradcheck %s w.r.t. input and %d parameter tensors (%d scalars)"
               % (label, len(ps), sum(p.numel() for p in ps)))

    for aa in (True, False):
        G = init_weights(ResnetGenerator(3, 3, 2, 1, antialias=aa, antialias_up=aa), 1.0)
        gradcheck_net("G ngf 2, 1 block, 8x8, antialias=%s: fake + 5 taps" % aa, _GWithTaps(G),
                      torch.rand(1, 3, 8, 8) * 2 - 1)
    D = init_weights(NLayerDiscriminator(3, 2, 3), 1.0)
    gradcheck_net("D ndf 2, 32x32", D, torch.rand(1, 3, 32, 32) * 2 - 1)
    Fh = init_weights(PatchSampleF([3, 6], 8), 1.0)
    gradcheck_net("F 2 heads nc 8 (sampling, MLP, L2 normalisation)", _FWithIds(Fh), torch.rand(2, 3, 3, 3) - 0.5)
    print("selftest passed in %.1fs (%d threads)" % (time.time() - t_start, torch.get_num_threads()))


class _GWithTaps(nn.Module):
    def __init__(self, G):
        super().__init__()
        self.g = G

    def forward(self, x):
        return (self.g(x),) + tuple(self.g.encode(x))


class _FWithIds(nn.Module):
    def __init__(self, F):
        super().__init__()
        self.f = F

    def forward(self, x):
        feats = [x, torch.cat([x, x.flip(3) * 2.0], 1)]
        return tuple(self.f(feats, [torch.tensor([0, 5, 7, 8]), torch.tensor([3, 1])]))


# ---------------------------------------------------------------------------
# Comparison with the official code (optional; needs a checkout of its models/)
# ---------------------------------------------------------------------------

def check_official(opt):
    """Import networks.py from a directory holding the official models/
    networks.py and stylegan_networks.py, build both implementations from the
    same seed, and compare state_dicts and outputs."""
    import importlib
    import types
    setup_torch(opt.threads)
    pkg = types.ModuleType("cut_official")
    pkg.__path__ = [opt.official]
    sys.modules["cut_official"] = pkg
    off = importlib.import_module("cut_official.networks")
    fails = 0
    for aa, aa_up in ((True, True), (False, False), (False, True)):
        o = argparse.Namespace(seed=opt.seed, ngf=opt.ngf, n_blocks=opt.n_blocks, ndf=opt.ndf, no_antialias=not aa,
                               no_antialias_up=not aa_up, netF_nc=256, init_gain=0.02)
        G, D, F = build_networks(o)
        torch.manual_seed(opt.seed)
        Go = off.define_G(3, 3, o.ngf, "resnet_%dblocks" % o.n_blocks if o.n_blocks in (4, 6, 9) else "resnet_9blocks",
                          "instance", False, "xavier", 0.02, not aa, not aa_up, [], None)
        Do = off.define_D(3, o.ndf, "basic", 3, "instance", "xavier", 0.02, not aa, [], None)
        Fo = off.define_F(3, "mlp_sample", "instance", False, "xavier", 0.02, not aa, [],
                          argparse.Namespace(netF_nc=256))
        # the official F creates + initialises its MLPs at its first forward,
        # right after G and D in CUTModel; do it now, before anything else
        # consumes the global RNG
        Fo.create_mlp([torch.zeros(1, c, 1, 1) for c in tap_channels(G)])
        x = torch.rand(2, 3, opt.height, opt.width, generator=torch.Generator().manual_seed(opt.seed + 1)) * 2 - 1
        np.random.seed(opt.seed)
        with torch.no_grad():
            taps_o = Go(x, list(NCE_LAYERS), encode_only=True)
            feats_o, ids_o = Fo(taps_o, opt.n_patches, None)
            taps = G.encode(x)
            feats = F(taps, [torch.as_tensor(i, dtype=torch.long) for i in ids_o])
            res = {
                "G keys": list(G.state_dict()) == list(Go.state_dict()),
                "D keys": list(D.state_dict()) == list(Do.state_dict()),
                "F keys": list(F.state_dict()) == list(Fo.state_dict()),
                "G weights": all(torch.equal(a, b) for a, b in zip(G.state_dict().values(), Go.state_dict().values())),
                "D weights": all(torch.equal(a, b) for a, b in zip(D.state_dict().values(), Do.state_dict().values())),
                "F weights": all(torch.equal(a, b) for a, b in zip(F.state_dict().values(), Fo.state_dict().values())),
                "fake": torch.equal(G(x), Go(x)),
                "D(fake)": torch.equal(D(G(x)), Do(Go(x))),
                "taps": all(torch.equal(a, b) for a, b in zip(taps, taps_o)),
                "feats": all(torch.equal(a, b) for a, b in zip(feats, feats_o)),
            }
        # gradients of the same scalar through both implementations
        g = torch.Generator().manual_seed(opt.seed + 2)
        xs = [x.clone().requires_grad_(True) for _ in range(2)]
        grads = []
        for (g_, d_, f_), xx in zip(((G, D, F), (Go, Do, Fo)), xs):
            g.manual_seed(opt.seed + 2)
            fk = g_(xx)
            if g_ is G:
                fe = f_(g_.encode(xx), [torch.as_tensor(i, dtype=torch.long) for i in ids_o])
            else:
                fe, _ = f_(g_(xx, list(NCE_LAYERS), encode_only=True), opt.n_patches, ids_o)
            dd = d_(fk)
            loss = (fk * torch.randn(fk.shape, generator=g)).sum() + (dd * torch.randn(dd.shape, generator=g)).sum()
            for f in fe:
                loss = loss + (f * torch.randn(f.shape, generator=g)).sum()
            ps = list(g_.parameters()) + list(d_.parameters()) + list(f_.parameters())
            grads.append(torch.autograd.grad(loss, ps + [xx]))
        res["gradients (G, D, F, x)"] = all(torch.equal(a, b) for a, b in zip(*grads))
        if not aa:
            res["no-antialias tap at layer 8 is post-ReLU (in-place ReLU at 9)"] = bool((taps_o[2] >= 0).all())
        for k, v in res.items():
            print("  %-4s antialias=%-5s antialias_up=%-5s %s" % ("ok" if v else "FAIL", aa, aa_up, k))
            fails += 0 if v else 1
    print("check-official: %s" % ("all equal" if fails == 0 else "%d FAILURES" % fails))
    return fails == 0


# ---------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--height", type=int, default=64)
        p.add_argument("--width", type=int, default=64)
        p.add_argument("--batch", type=int, default=1)
        p.add_argument("--ngf", type=int, default=64)
        p.add_argument("--n-blocks", type=int, default=9)
        p.add_argument("--ndf", type=int, default=64)
        p.add_argument("--n-patches", type=int, default=256)
        p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch default)")

    pe = sub.add_parser("export", help="write G/D/F weights and a forward/backward test case")
    common(pe)
    pe.add_argument("--out", required=True)
    pe.add_argument("--no-antialias", action="store_true",
                    help="official --no_antialias: stride-2 convs for G downsampling and in D")
    pe.add_argument("--no-antialias-up", action="store_true",
                    help="official --no_antialias_up: ConvTranspose2d for G upsampling")
    pe.add_argument("--netF-nc", type=int, default=256)
    pe.add_argument("--init-gain", type=float, default=0.02)

    ps = sub.add_parser("selftest", help="round trip, shapes, gradcheck (< 1 min on 2 cores)")
    ps.add_argument("--threads", type=int, default=0)

    pc = sub.add_parser("check-official", help="compare with the official networks.py (needs its source)")
    common(pc)
    pc.add_argument("--official", required=True, help="directory with official models/networks.py, stylegan_networks.py")

    opt = ap.parse_args(argv)
    if opt.cmd == "export":
        export(opt)
    elif opt.cmd == "selftest":
        selftest(opt)
    else:
        return 0 if check_official(opt) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
