# SPDX-License-Identifier: GPL-3.0-or-later
"""What the gcut-import tests share: a TAP runner, running the tool, model
files and the official opt.txt, in plain Python (no torch, no numpy)."""
import array
import importlib.machinery
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tap  # noqa: E402
from tap import case  # noqa: E402,F401  (the import tests' @case)

TMP = tempfile.mkdtemp(prefix="gcut-import-")


def finish():
    tap.finish(lambda: shutil.rmtree(TMP, ignore_errors=True))


def tmp(name):
    return os.path.join(TMP, name)


def run(args, check=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=600, errors="replace", **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(args), p.returncode,
                                                      p.stdout[-2000:], p.stderr[-2000:]))
    return p


def refused(p, *parts):
    """The tool failed with one clear message holding every part."""
    assert p.returncode == 1, "exit status %d, expected 1\n%s%s" % (p.returncode, p.stdout,
                                                                   p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gcut-import: "), p.stderr
    for part in parts:
        assert part in p.stderr, "%r not in: %s" % (part, p.stderr)
    print("# refused: " + lines[0])


def load_tool(path):
    """The tool as a module (its file name has no .py)."""
    loader = importlib.machinery.SourceFileLoader("gcut_import", path)
    spec = importlib.util.spec_from_loader("gcut_import", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def read_model(path):
    """(metadata, {name: (shape, array of floats)}) of an F32 .safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", (name, e["dtype"])
        begin, end = e["data_offsets"]
        a = array.array("f")
        a.frombytes(raw[8 + n + begin:8 + n + end])
        tensors[name] = (tuple(e["shape"]), a)
    return metadata, tensors


def write_safetensors(path, tensors, metadata=None, dtype="F32"):
    """tensors: {name: (shape, raw little-endian bytes)}."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def write_opt_txt(path, options, defaults):
    """As the official BaseOptions.print_options writes train_opt.txt: every
    option sorted by name, `[default: x]` where the value differs."""
    lines = ["----------------- Options ---------------"]
    for name in sorted(options):
        value = str(options[name])
        comment = ("\t[default: %s]" % defaults[name]
                   if name in defaults and str(defaults[name]) != value else "")
        lines.append("{:>25}: {:<30}{}".format(name, value, comment))
    lines.append("----------------- End -------------------")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# A CUT run's options as the official code prints them (options/base_options.py,
# train_options.py, models/cut_model.py); the tests change the generator's.
CUT_OPTIONS = {
    "CUT_mode": "CUT", "batch_size": 1, "beta1": 0.5, "beta2": 0.999,
    "checkpoints_dir": "./checkpoints", "continue_train": False, "crop_size": 256,
    "dataroot": "./datasets/grumpifycat", "dataset_mode": "unaligned", "direction": "AtoB",
    "display_winsize": 256, "easy_label": "experiment_name", "epoch": "latest",
    "epoch_count": 1, "evaluation_freq": 5000, "flip_equivariance": False, "gan_mode": "lsgan",
    "gpu_ids": "0", "init_gain": 0.02, "init_type": "xavier", "input_nc": 3, "isTrain": True,
    "lambda_GAN": 1.0, "lambda_NCE": 1.0, "load_size": 286, "lr": 0.0002,
    "lr_decay_iters": 50, "lr_policy": "linear", "max_dataset_size": float("inf"),
    "model": "cut", "n_epochs": 200, "n_epochs_decay": 200, "n_layers_D": 3,
    "name": "grumpycat_CUT", "nce_T": 0.07, "nce_idt": True,
    "nce_includes_all_negatives_from_minibatch": False, "nce_layers": "0,4,8,12,16",
    "ndf": 64, "netD": "basic", "netF": "mlp_sample", "netF_nc": 256, "netG": "resnet_9blocks",
    "ngf": 64, "no_antialias": False, "no_antialias_up": False, "no_dropout": True,
    "no_flip": False, "no_html": False, "normD": "instance", "normG": "instance",
    "num_patches": 256, "num_threads": 4, "output_nc": 3, "phase": "train", "pool_size": 0,
    "preprocess": "resize_and_crop", "pretrained_name": None, "print_freq": 100,
    "random_scale_max": 3.0, "save_by_iter": False, "save_epoch_freq": 5,
    "save_latest_freq": 5000, "serial_batches": False, "stylegan2_G_num_downsampling": 1,
    "suffix": "", "update_html_freq": 1000, "verbose": False,
}
CUT_DEFAULTS = dict(CUT_OPTIONS, name="experiment_name", dataroot="placeholder")

# SinCUT's (models/sincut_model.py), over the CUT ones.
SINCUT_OPTIONS = dict(
    CUT_OPTIONS, model="sincut", name="etretat_SinCUT", netG="stylegan2", netD="stylegan2",
    ngf=10, ndf=8, stylegan2_G_num_downsampling=1, load_size=1024, crop_size=64,
    gan_mode="nonsaturating", num_patches=1, nce_layers="0,2,4", lambda_NCE=4.0, lr=0.002,
    beta1=0.0, beta2=0.99, preprocess="zoom_and_patch", batch_size=16, lambda_R1=1.0,
    lambda_identity=1.0, dataset_mode="singleimage", n_epochs=8, n_epochs_decay=8,
    nce_includes_all_negatives_from_minibatch=True)
SINCUT_DEFAULTS = dict(SINCUT_OPTIONS, name="experiment_name")
