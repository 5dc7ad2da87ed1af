#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gcut-import on checkpoints saved as the official PyTorch code saves them (TAP).

    import-official.py BUILD_DIR SOURCE_DIR GEGL_PLUGINS_DIR

The PyTorch reference generators (tests/reference/, checked against the official
code: same state_dict() keys, buffers included) are saved with
torch.save(G.state_dict()), beside a train_opt.txt in the official format;
gcut-import converts them, and the model translates a picture through `gegl …
gcut:translate` and through gcut-translate as PyTorch's forward does, within
1e-4 on the generator's [-1, 1] scale.  The outputs are compared in float:
both tools write .npy (GEGL's linear-light float), which is turned back into
the sRGB-encoded values the generator wrote (babl's conversion and ours agree
to 1e-7).  Hostile checkpoints must be refused with the key or option named;
a pickle that would run code must never run it.

Skipped where /usr/bin/python3 has no torch."""
import hashlib
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from import_common import (CUT_DEFAULTS, CUT_OPTIONS, SINCUT_DEFAULTS, SINCUT_OPTIONS,  # noqa
                           case, finish, read_model, refused, run, tmp, write_opt_txt)

try:
    import numpy as np
    import torch
    from PIL import Image
except ImportError as e:
    print("1..0 # SKIP %s cannot import %s (install python3-torch)" % (sys.executable, e.name))
    sys.exit(0)

BUILD, SOURCE, GEGL_PLUGINS = sys.argv[1:4]
sys.path.insert(0, os.path.join(SOURCE, "tests", "reference"))
import cut_networks  # noqa: E402
import sincut_networks  # noqa: E402

TOOL = os.path.join(BUILD, "training", "gcut-import")
TRANSLATE = os.path.join(BUILD, "training", "gcut-translate")
ENV = dict(os.environ, GEGL_PATH=os.path.join(BUILD, "operations") + ":" + GEGL_PLUGINS,
           OMP_WAIT_POLICY="passive")
TOLERANCE = 1e-4  # float32 through ~40 layers lands near 1e-5 (measured, see notes)
NOISE_SEED = 5
torch.set_num_threads(2)


def picture(h, w):
    """An 8-bit RGB picture with both flat areas and noise."""
    rng = np.random.default_rng(1)
    img = np.kron(rng.random((h // 8, w // 8, 3)) * 255, np.ones((8, 8, 1)))
    img = np.clip(img + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
    path = tmp("picture-%dx%d.png" % (w, h))
    Image.fromarray(img).save(path)
    x = torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None] * 2 - 1
    return path, x


PICTURE, X = picture(48, 64)


def from_npy(path):
    """The generator's output, [-1, 1], from a .npy of GEGL's linear RGB float."""
    v = np.load(path).astype(np.float64)
    srgb = np.where(v <= 0.0031308, v * 12.92, 1.055 * np.maximum(v, 0) ** (1 / 2.4) - 0.055)
    return 2 * srgb - 1


def splitmix(z):
    mask = (1 << 64) - 1
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & mask
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & mask
    return z ^ (z >> 31)


def engine_noise(seed, index, h, w):
    """gcut_stylegan2_generator_noise_fill (engine/nets/stylegan2-noise.c) of a
    whole image: Box–Muller on two SplitMix64 outputs per position."""
    golden, mask = 0x9e3779b97f4a7c15, (1 << 64) - 1
    key = splitmix((splitmix(seed) + (index + 1) * golden) & mask)
    out = np.empty((h, w), np.float32)
    for r in range(h):
        for c in range(w):
            n = r << 32 | c
            a = splitmix((key + (2 * n + 1) * golden) & mask)
            b = splitmix((key + (2 * n + 2) * golden) & mask)
            u, v = ((a >> 11) + 1) * 2.0 ** -53, (b >> 11) * 2.0 ** -53
            out[r, c] = math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)
    return torch.from_numpy(out)[None, None]


def resnet(ngf, n_blocks, antialias, antialias_up):
    """A reference CUT generator with weights far from their initial values
    (xavier gain 0.5), so that every layer shapes the output."""
    torch.manual_seed(0)
    G = cut_networks.ResnetGenerator(ngf=ngf, n_blocks=n_blocks, antialias=antialias,
                                     antialias_up=antialias_up)
    cut_networks.init_weights(G, 0.5)
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.1)
        return G, G(X)


def sincut():
    torch.manual_seed(0)
    G = sincut_networks.Generator(10, 64, 1, 6)
    sincut_networks.perturb(G, torch.Generator().manual_seed(3))  # biases, noise strengths
    shapes = G.noise_shapes(X.shape)
    noise = [engine_noise(NOISE_SEED, i, *s[2:]) for i, s in enumerate(shapes)]
    with torch.no_grad():
        y = G(X, noise)[0]
        # The noise shows: the comparison checks that it is the engine's.
        quiet = G(X, [torch.zeros(s) for s in shapes])[0]
    assert (y - quiet).abs().max() > 0.05, (y - quiet).abs().max()
    return G, y


def save_run(name, G, options, defaults):
    """checkpoints/NAME/ as the official code leaves it: latest_net_G.pth
    (torch.save of state_dict()) and train_opt.txt."""
    folder = tmp(name)
    os.makedirs(folder)
    torch.save(G.state_dict(), os.path.join(folder, "latest_net_G.pth"))
    if options is not None:
        write_opt_txt(os.path.join(folder, "train_opt.txt"), options, defaults)
    return os.path.join(folder, "latest_net_G.pth")


def import_run(pth, *args, output=None):
    output = output or pth.replace("latest_net_G.pth", "model.safetensors")
    p = run([TOOL, pth, "-o", output, *args])
    print("# " + p.stdout.strip().replace("\n", "\n# "))
    return output


def check_translations(model, expect, label):
    """gegl's gcut:translate and gcut-translate against PyTorch's forward."""
    want = np.clip(expect[0].permute(1, 2, 0).numpy().astype(np.float64), -1, 1)
    interior = (np.abs(want) < 0.999).mean()
    assert interior > 0.5 and want.std() > 0.1, (interior, want.std())  # not clamped away
    out = tmp(label + ".gegl.npy")
    run(["gegl", PICTURE, "-o", out, "--", "gcut:translate", "model=" + model,
         "seed=%d" % NOISE_SEED], env=ENV)
    gegl_diff = np.abs(from_npy(out) - want).max()
    out = tmp(label + ".tool.npy")
    run([TRANSLATE, "--noise-seed", str(NOISE_SEED), "--threads", "2", model, PICTURE, out])
    tool_diff = np.abs(from_npy(out) - want).max()
    print("# %s: max |gegl - torch| %.2e, max |gcut-translate - torch| %.2e"
          % (label, gegl_diff, tool_diff))
    assert gegl_diff <= TOLERANCE and tool_diff <= TOLERANCE, (gegl_diff, tool_diff)


def source_of(model):
    return json.loads(read_model(model)[0]["source"])


@case
def cut_antialias_with_train_opt_beside():
    """The official default (antialias on), train_opt.txt found beside the .pth."""
    G, y = resnet(16, 9, True, True)
    pth = save_run("cut-aa", G, dict(CUT_OPTIONS, ngf=16), CUT_DEFAULTS)
    model = import_run(pth)
    check_translations(model, y, "cut-antialias")
    src = source_of(model)
    with open(pth, "rb") as f:
        assert src["checkpoint"]["sha256"] == hashlib.sha256(f.read()).hexdigest(), src
    assert src["checkpoint"]["file"] == "latest_net_G.pth", src
    assert src["options_file"]["file"] == "train_opt.txt", src
    assert src["options"]["ngf"] == "16" and src["options"]["name"] == "grumpycat_CUT", src
    meta = read_model(model)[0]
    assert json.loads(meta["architecture"]) == {
        "kind": "resnet", "ngf": 16, "n_blocks": 9, "antialias": True, "antialias_up": True,
        "n_downsampling": 2}, meta["architecture"]


@case
def cut_antialias_off_with_opt_flag():
    """--no_antialias --no_antialias_up: strided and transposed convolutions."""
    G, y = resnet(16, 9, False, False)
    pth = save_run("cut-noaa", G, None, None)
    opt = tmp("noaa_opt.txt")
    write_opt_txt(opt, dict(CUT_OPTIONS, ngf=16, no_antialias=True, no_antialias_up=True),
                  CUT_DEFAULTS)
    check_translations(import_run(pth, "--opt", opt), y, "cut-no-antialias")


@case
def resnet_6blocks_from_flags_alone():
    """Another width and depth, antialiased upsampling only, no options file."""
    G, y = resnet(8, 6, False, True)
    pth = save_run("cut-6", G, None, None)
    model = import_run(pth, "--netG", "resnet_6blocks", "--ngf", "8", "--no_antialias")
    check_translations(model, y, "resnet-6blocks")
    src = source_of(model)
    assert src["options_file"] is None, src
    assert src["options_given"] == ["netG", "ngf", "no_antialias"], src


@case
def sincut_stylegan2():
    """SinCUT's StyleGAN2 generator, its noise the engine's for the seed."""
    G, y = sincut()
    pth = save_run("sincut", G, SINCUT_OPTIONS, SINCUT_DEFAULTS)
    model = import_run(pth)
    check_translations(model, y, "sincut")
    assert json.loads(read_model(model)[0]["architecture"])["kind"] == "stylegan2-lite"


@case
def data_parallel_prefix_and_safetensors_give_the_same_tensors():
    G, _ = resnet(8, 6, True, True)
    first = import_run(save_run("plain", G, None, None), "--netG", "resnet_6blocks", "--ngf", "8")
    wrapped = torch.nn.DataParallel(G).state_dict()  # "module." before every key
    pth = tmp("module_net_G.pth")
    torch.save(wrapped, pth)
    second = import_run(pth, "--netG", "resnet_6blocks", "--ngf", "8",
                        output=tmp("module.safetensors"))
    assert source_of(second)["removed_prefix"] == "module."
    assert read_model(first)[1] == read_model(second)[1]


@case
def pickled_code_is_never_run():
    """A checkpoint whose pickle would create a folder when unpickled."""
    marker = tmp("pwned")

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (marker,))

    state = dict(resnet(4, 6, True, True)[0].state_dict())
    state["model.1.weight"] = Payload()
    pth = tmp("payload_net_G.pth")
    torch.save(state, pth)
    # The payload is live: unpickling without weights_only runs it.
    torch.load(pth, weights_only=False)
    assert os.path.isdir(marker), "the payload did not run: the test proves nothing"
    os.rmdir(marker)
    p = run([TOOL, pth, "--netG", "resnet_6blocks", "--ngf", "4", "-o", tmp("payload.st")],
            check=False)
    refused(p, "refusing", "payload_net_G.pth", "not a checkpoint of tensors only", "mkdir")
    assert not os.path.exists(marker), "the payload ran"
    assert not os.path.exists(tmp("payload.st"))


@case
def a_damaged_checkpoint_is_named():
    with open(save_run("damaged", resnet(4, 6, True, True)[0], None, None), "r+b") as f:
        f.truncate(5000)
    p = run([TOOL, tmp("damaged/latest_net_G.pth"), "-o", tmp("damaged.st")], check=False)
    refused(p, "cannot read", "latest_net_G.pth as a PyTorch checkpoint")


@case
def a_value_that_is_not_a_tensor_is_named():
    state = dict(resnet(4, 6, True, True)[0].state_dict(), epoch=200)
    torch.save(state, tmp("epoch_net_G.pth"))
    p = run([TOOL, tmp("epoch_net_G.pth"), "--netG", "resnet_6blocks", "--ngf", "4", "-o",
             tmp("epoch.st")], check=False)
    refused(p, "key epoch holds a Python int, not a tensor")


def broken(label, change, *parts, options=("--netG", "resnet_6blocks")):
    """A reference state dict changed by change(state) must be refused, naming parts."""
    state = dict(resnet(4, 6, True, True)[0].state_dict())
    change(state)
    pth = tmp(label + "_net_G.pth")
    torch.save(state, pth)
    out = tmp(label + ".safetensors")
    p = run([TOOL, pth, *options, "--ngf", "4", "-o", out], check=False)
    refused(p, *parts)
    assert not os.path.exists(out)


@case
def unknown_key_is_named():
    broken("unknown", lambda s: s.update({"model.99.weight": torch.zeros(3)}),
           "unknown key model.99.weight")


@case
def missing_key_is_named():
    broken("missing", lambda s: s.pop("model.4.bias"), "missing key model.4.bias")


@case
def missing_filter_buffer_is_named():
    broken("nofilt", lambda s: s.pop("model.7.filt"), "missing key model.7.filt")


@case
def wrong_shape_is_named():
    broken("shape", lambda s: s.update({"model.8.weight": torch.zeros(16, 8, 5, 5)}),
           "key model.8.weight has shape [16, 8, 5, 5]", "has [16, 8, 3, 3]")


@case
def another_filter_is_named():
    broken("filter", lambda s: s["model.22.filt"].mul_(2), "key model.22.filt",
           "fixed filter")


@case
def nan_weight_is_named():
    broken("nan", lambda s: s["model.27.weight"].view(-1)[5].fill_(float("nan")),
           "key model.27.weight holds nan at element 5")


@case
def integer_tensor_is_named():
    broken("int", lambda s: s.update({"model.4.bias": torch.zeros(8, dtype=torch.int64)}),
           "key model.4.bias holds int64 values")


@case
def options_of_another_run_give_a_hint():
    """A ResNet checkpoint imported as SinCUT's generator."""
    broken("hint", lambda s: None, "missing keys encoder.convs.1.0.weight",
           "unknown keys model.1.bias", "looks like a ResNet generator",
           options=("--model", "sincut"))


@case
def half_precision_checkpoint_imports():
    G, _ = resnet(4, 6, True, True)
    torch.save({k: v.half() for k, v in G.state_dict().items()}, tmp("half_net_G.pth"))
    model = import_run(tmp("half_net_G.pth"), "--netG", "resnet_6blocks", "--ngf", "4",
                       output=tmp("half.safetensors"))
    want = G.state_dict()["model.1.weight"].half().float().flatten().tolist()
    assert list(read_model(model)[1]["G.model.1.weight"][1]) == want


finish()
