#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gcut-import without PyTorch: state dicts in .safetensors files, the
official options, and how it writes (TAP).

    import-checks.py BUILD_DIR PICTURE

Every architecture the tool knows becomes a state dict of random weights with
the official names, which the tool converts with torch and numpy made
unimportable, and which gcut-translate (the C reader, checking every tensor
against the engine's network) must then load and run.  Options the tool does
not build, broken files and unsafe outputs must be refused with the option,
key or file named; a failed write keeps the old file and leaves nothing."""
import array
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from import_common import (CUT_DEFAULTS, CUT_OPTIONS, SINCUT_DEFAULTS, SINCUT_OPTIONS,  # noqa
                           case, finish, load_tool, read_model, refused, run, tmp,
                           write_opt_txt, write_safetensors)

BUILD, PICTURE = sys.argv[1:3]
TOOL = os.path.join(BUILD, "training", "gcut-import")
TRANSLATE = os.path.join(BUILD, "training", "gcut-translate")
tool = load_tool(TOOL)
# The tool run by a Python that cannot import torch or numpy.
WITHOUT_TORCH = [sys.executable, "-c",
                 "import runpy, sys; sys.modules['torch'] = sys.modules['numpy'] = None; "
                 "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                 TOOL]


def f32(values):
    a = array.array("f", values)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def state_dict(entries, seed=1):
    """Random weights (N(0, 0.2)) and the fixed filters, official names and shapes."""
    rng = random.Random(seed)
    out = {}
    for e in entries:
        n = 1
        for d in e.shape:
            n *= d
        values = ([e.fixed[i % len(e.fixed)] for i in range(n)] if e.fixed
                  else [rng.gauss(0, 0.2) for _ in range(n)])
        out[e.name] = (e.shape, f32(values))
    return out


def importer(*args, torch_free=True, **kw):
    return run((WITHOUT_TORCH if torch_free else [TOOL]) + list(args), **kw)


def small_state(path="small.safetensors"):
    """A resnet_6blocks, ngf 4 state dict; its path."""
    write_safetensors(tmp(path), state_dict(tool.resnet_entries(4, 6, True, True)))
    return tmp(path)


def add_tensor(path, name, dtype, shape, data):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header, body = json.loads(raw[8:8 + n]), raw[8 + n:]
    header[name] = {"dtype": dtype, "shape": shape,
                    "data_offsets": [len(body), len(body) + len(data)]}
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body + data)


def snapshot(path):
    if os.path.isdir(path):
        return sorted(os.listdir(path))
    with open(path, "rb") as f:
        return f.read()


SMALL = ("--netG", "resnet_6blocks", "--ngf", "4")
ARCHITECTURES = [  # flags, and what the model file must record
    (("--ngf", "4"), dict(kind="resnet", ngf=4, n_blocks=9, antialias=True, antialias_up=True)),
    (("--ngf", "4", "--no_antialias", "--no_antialias_up"),
     dict(kind="resnet", ngf=4, n_blocks=9, antialias=False, antialias_up=False)),
    (("--netG", "resnet_6blocks", "--ngf", "8", "--no_antialias"),
     dict(kind="resnet", ngf=8, n_blocks=6, antialias=False, antialias_up=True)),
    (("--netG", "resnet_6blocks", "--ngf", "4", "--no_antialias_up"),
     dict(kind="resnet", ngf=4, n_blocks=6, antialias=True, antialias_up=False)),
    (("--model", "sincut", "--ngf", "4"), dict(kind="stylegan2-lite", ngf=4, n_blocks=6,
                                               n_downsampling=1)),
    (("--model", "sincut", "--ngf", "6", "--stylegan2_G_num_downsampling", "2"),
     dict(kind="stylegan2-lite", ngf=6, n_blocks=6, n_downsampling=2)),
]


@case
def every_architecture_loads_in_the_engine():
    for i, (flags, config) in enumerate(ARCHITECTURES):
        args = tool.parse_args([tmp("none.pth"), "-o", "none"] + list(flags))
        arch = tool.architecture(tool.gather_options(args)[0])
        state = state_dict(arch.entries, seed=i)
        checkpoint, model = tmp("arch%d.safetensors" % i), tmp("arch%d.model" % i)
        write_safetensors(checkpoint, state)
        importer(checkpoint, "-o", model, *flags)
        meta, tensors = read_model(model)
        recorded = json.loads(meta["architecture"])
        assert {k: recorded[k] for k in config} == config, (recorded, config)
        for e in arch.entries:  # the weights, as they were; the filters left out
            if e.fixed:
                assert "G." + e.name not in tensors, e.name
            else:
                shape, values = tensors["G." + e.name]
                assert shape == (e.shape[1:] if len(e.shape) == 5 else e.shape), e.name
                assert f32(values) == state[e.name][1], e.name
        run([TRANSLATE, "--threads", "2", model, PICTURE, tmp("arch%d.png" % i)])
        print("# %s: %d tensors, loaded and run by gcut-translate" % (" ".join(flags),
                                                                      len(tensors)))


@case
def pth_without_torch_says_what_it_needs():
    with open(tmp("net_G.pth"), "wb") as f:
        f.write(b"PK\x03\x04" + bytes(60))
    refused(importer(tmp("net_G.pth"), "-o", tmp("o.st"), check=False),
            "is a PyTorch file: reading it needs PyTorch")


@case
def half_and_bfloat16_state_dicts():
    entries = tool.resnet_entries(4, 6, True, True)
    state = state_dict(entries)
    for dtype in ("F16", "BF16"):
        halves = {}
        for name, (shape, raw) in state.items():
            values = array.array("f")
            values.frombytes(raw)
            if dtype == "F16":
                data = struct.pack("<%de" % len(values), *values)
            else:  # truncated to the high half
                data = struct.pack("<%dH" % len(values),
                                   *(v >> 16 for v in struct.unpack("<%dI" % len(values), raw)))
            halves[name] = (shape, data)
        path = tmp("state-%s.safetensors" % dtype)
        write_safetensors(path, halves, dtype=dtype)
        importer(path, "-o", tmp("%s.model" % dtype), *SMALL)
        got = read_model(tmp("%s.model" % dtype))[1]["G.model.1.weight"][1]
        raw = state["model.1.weight"][1]
        want = array.array("f")
        want.frombytes(raw)
        if dtype == "F16":
            want = struct.unpack("<%de" % len(want), struct.pack("<%de" % len(want), *want))
        else:
            ints = struct.unpack("<%dI" % len(want), raw)
            want = struct.unpack("<%df" % len(want), struct.pack(
                "<%dI" % len(want), *(i & 0xffff0000 for i in ints)))
        assert list(got) == list(want), dtype


def options_refused(options, defaults, *parts, flags=()):
    opt = tmp("opt.txt")
    write_opt_txt(opt, options, defaults)
    p = importer(small_state(), "-o", tmp("refused.model"), "--opt", opt, *flags, check=False)
    refused(p, *parts)
    assert not os.path.exists(tmp("refused.model"))


@case
def unsupported_netG_is_named():
    for net in ("unet_256", "smallstylegan2", "resnet_cat"):
        options_refused(dict(CUT_OPTIONS, netG=net), CUT_DEFAULTS, "option netG " + net,
                        "resnet_9blocks, resnet_6blocks, stylegan2")


@case
def unsupported_options_are_named():
    options_refused(dict(CUT_OPTIONS, normG="batch"), CUT_DEFAULTS, "option normG batch")
    options_refused(dict(CUT_OPTIONS, no_dropout=False), CUT_DEFAULTS,
                    "option no_dropout False")
    options_refused(dict(CUT_OPTIONS, output_nc=1), CUT_DEFAULTS, "option output_nc 1")
    options_refused(dict(CUT_OPTIONS, ngf="sixty"), CUT_DEFAULTS,
                    "option ngf: expected an integer, got 'sixty'")
    options_refused(dict(CUT_OPTIONS, ngf=0), CUT_DEFAULTS, "option ngf: must be from 1 to 512")
    options_refused(dict(SINCUT_OPTIONS, crop_size=128), SINCUT_DEFAULTS,
                    "options load_size 1024, crop_size 128", "128 here")
    options_refused(dict(SINCUT_OPTIONS, stylegan2_G_num_downsampling=5), SINCUT_DEFAULTS,
                    "option stylegan2_G_num_downsampling 5")
    options_refused(dict(CUT_OPTIONS), CUT_DEFAULTS, "option no_dropout: expected True or "
                    "False, got 'maybe'", flags=("--no_dropout", "maybe"))


@case
def command_line_overrides_the_options_file():
    opt = tmp("flags_opt.txt")
    write_opt_txt(opt, dict(CUT_OPTIONS, ngf=64, netG="unet_256"), CUT_DEFAULTS)
    importer(small_state(), "-o", tmp("flags.model"), "--opt", opt, *SMALL)
    src = json.loads(read_model(tmp("flags.model"))[0]["source"])
    assert src["options"]["netG"] == "resnet_6blocks" and src["options"]["ngf"] == "4", src
    assert src["options"]["name"] == "grumpycat_CUT", src


@case
def broken_options_files_are_named():
    for text, part in (("----------------- Options ---------------\n  ngf 64\n", "line 2"),
                       ("  ngf: 64\n  ngf: 16\n", "line 2: option ngf appears twice"),
                       ("", "holds no options")):
        with open(tmp("bad_opt.txt"), "w") as f:
            f.write(text)
        p = importer(small_state(), "-o", tmp("o.model"), "--opt", tmp("bad_opt.txt"),
                     check=False)
        refused(p, "bad_opt.txt", part)
    refused(importer(small_state(), "-o", tmp("o.model"), "--opt", tmp("no_such_opt.txt"),
                     check=False), "cannot read", "no_such_opt.txt")


@case
def broken_state_dicts_are_named():
    state = state_dict(tool.resnet_entries(4, 6, True, True))
    good = tmp("good.safetensors")
    write_safetensors(good, state)
    with open(good, "rb") as f:
        raw = f.read()
    cases = {
        "truncated": (raw[:len(raw) // 2], "bad dtype, shape or data_offsets"),
        "short": (raw[:5], "shorter than its 8-byte header length"),
        "huge header": (struct.pack("<Q", 1 << 40) + raw[8:], "header length"),
    }
    for label, (data, part) in cases.items():
        path = tmp(label.replace(" ", "-") + ".safetensors")
        with open(path, "wb") as f:
            f.write(data)
        refused(importer(path, "-o", tmp("o.model"), *SMALL, check=False),
                "not a valid .safetensors file", part)
    # Two tensors over the same bytes.
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header["model.1.bias"]["data_offsets"] = header["model.4.bias"]["data_offsets"][:]
    header["model.1.bias"]["shape"] = header["model.4.bias"]["shape"]
    text = json.dumps(header).encode()
    with open(tmp("overlap.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
    refused(importer(tmp("overlap.safetensors"), "-o", tmp("o.model"), *SMALL, check=False),
            "overlap")
    # An integer tensor.
    write_safetensors(tmp("ints.safetensors"), {k: v for k, v in state.items()
                                               if k != "model.4.bias"})
    add_tensor(tmp("ints.safetensors"), "model.4.bias", "I64", [8], bytes(64))
    refused(importer(tmp("ints.safetensors"), "-o", tmp("o.model"), *SMALL, check=False),
            "key model.4.bias holds I64 values")


@case
def a_gegl_cut_model_is_not_imported_again():
    importer(small_state(), "-o", tmp("ours.model"), *SMALL)
    refused(importer(tmp("ours.model"), "-o", tmp("again.model"), *SMALL, check=False),
            "is already a gegl-cut model")


@case
def never_writes_over_an_input_or_a_foreign_file():
    state = small_state("input.safetensors")
    opt = tmp("keep_opt.txt")
    write_opt_txt(opt, dict(CUT_OPTIONS, netG="resnet_6blocks", ngf=4), CUT_DEFAULTS)
    photo = tmp("photo.png")
    with open(PICTURE, "rb") as f, open(photo, "wb") as g:
        g.write(f.read())
    os.mkdir(tmp("folder"))
    for target, parts in ((state, ("it is the input",)), (opt, ("it is the input",)),
                          (photo, ("refusing to replace", "not a gegl-cut/1 model",
                                   "not a .safetensors file")),
                          (tmp("folder"), ("refusing to replace", "not a regular file"))):
        before = snapshot(target)
        refused(importer(state, "-o", target, "--opt", opt, check=False), *parts)
        assert snapshot(target) == before, target
    # A model there is replaced.
    importer(state, "-o", tmp("replace.model"), *SMALL)
    importer(state, "-o", tmp("replace.model"), "--opt", opt)


@case
def writes_with_the_umask_and_leaves_nothing_on_failure():
    state = small_state()
    for umask, mode in (("022", 0o644), ("077", 0o600)):
        out = tmp("umask%s.model" % umask)
        run(["bash", "-c", 'umask %s && exec "$@"' % umask, "-"] + WITHOUT_TORCH +
            [state, "-o", out] + list(SMALL))
        got = os.stat(out).st_mode & 0o777
        assert got == mode, "umask %s gave %o" % (umask, got)
    # The write cut short by the file size limit: the old model stays.
    folder = tmp("limited")
    os.mkdir(folder)
    out = os.path.join(folder, "m.model")
    write_safetensors(out, {"G.x": ((1,), f32([1]))}, {"format": "gegl-cut/1"})
    before = snapshot(out)
    p = run(["bash", "-c", 'trap "" XFSZ; ulimit -f 16 && exec "$@"', "-"] + WITHOUT_TORCH +
            [state, "-o", out] + list(SMALL), check=False)
    refused(p, "error while writing", "m.model", "File too large")
    assert snapshot(out) == before, "the old model was not kept"
    assert os.listdir(folder) == ["m.model"], os.listdir(folder)


finish()
