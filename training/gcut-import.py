#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gcut-import: a generator trained with the official CUT code, as a gegl-cut model.

    gcut-import CHECKPOINT -o MODEL.safetensors [--opt train_opt.txt] [--OPTION VALUE ...]

CHECKPOINT is what the official code (taesungp/contrastive-unpaired-translation)
saves, latest_net_G.pth or <epoch>_net_G.pth, or a .safetensors file holding
the same state dict.  The architecture comes from the run's options: the file
--opt names (the official code writes train_opt.txt beside the checkpoints,
used when --opt is not given), then the options given here under their
official names, which win; without either, the official defaults of --model.

Every key and shape of the checkpoint is checked against that architecture,
the fixed resampling filters against their values and every weight for NaN
and infinity before anything is written.  The model is written atomically,
with a "source" record of where it came from (file names, checksums, options).

A .pth file is read with torch.load(weights_only=True), which builds tensors
and plain containers only: no code from the file ever runs.  torch is needed
for .pth files only."""

import argparse
import array
import errno
import fcntl
import hashlib
import io
import json
import math
import os
import pickle
import random
import re
import string
import struct
import sys

VERSION = "@VERSION@"
FORMAT = "gegl-cut/1"
OFFICIAL_REPO = "taesungp/contrastive-unpaired-translation"
MAX_HEADER_BYTES = 100000000  # as presets/safetensors-private.h


class Failure(Exception):
    """Something about the files or options that the user has to fix."""


# ---------------------------------------------------------------------------
# The official options
# ---------------------------------------------------------------------------

# The options that decide the generator, with the official defaults
# (options/base_options.py) and SinCUT's (models/sincut_model.py).
DEFAULTS = {"model": "cut", "netG": "resnet_9blocks", "ngf": "64", "normG": "instance",
            "no_dropout": "True", "no_antialias": "False", "no_antialias_up": "False",
            "input_nc": "3", "output_nc": "3", "stylegan2_G_num_downsampling": "1",
            "load_size": "286", "crop_size": "256"}
SINCUT_DEFAULTS = {"netG": "stylegan2", "ngf": "10", "load_size": "1024", "crop_size": "64"}
BOOL_OPTIONS = ("no_dropout", "no_antialias", "no_antialias_up")


def read_options_file(path):
    """The lines `name: value [default: x]` of the official opt.txt, as strings."""
    text = read_bytes(path).decode("utf-8", "replace")
    options = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("-----"):
            continue
        m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*): ?(.*)$", line)
        if not m:
            raise Failure("%s, line %d: not an option line (name: value): %r"
                          % (path, number, line[:80]))
        name, value = m.group(1), m.group(2).split("\t[default:")[0].rstrip(" ")
        if name in options:
            raise Failure("%s, line %d: option %s appears twice" % (path, number, name))
        options[name] = value
    if not options:
        raise Failure("%s holds no options (is it the run's train_opt.txt?)" % path)
    return options


def option_int(options, name, low, high):
    value = options[name]
    try:
        n = int(value)
    except ValueError:
        raise Failure("option %s: expected an integer, got %r" % (name, value)) from None
    if not low <= n <= high:
        raise Failure("option %s: must be from %d to %d, got %d" % (name, low, high, n))
    return n


def option_bool(options, name):
    """As the official str2bool."""
    value = options[name]
    if value.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if value.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise Failure("option %s: expected True or False, got %r" % (name, value))


# ---------------------------------------------------------------------------
# The official generators' state dicts
# ---------------------------------------------------------------------------

def binomial(taps, gain):
    """One channel of a fixed resampling filter, row-major: gain·a aᵀ / (Σa)²."""
    a = {3: (1, 2, 1), 4: (1, 3, 3, 1)}[taps]
    return [gain * x * y / sum(a) ** 2 for x in a for y in a]


class Entry:
    """A state-dict tensor: a learned parameter (fixed is None), or a buffer
    whose every channel must hold the values of fixed."""

    def __init__(self, name, shape, fixed=None):
        self.name, self.shape, self.fixed = name, tuple(shape), fixed


class Architecture:
    def __init__(self, label, config, entries):
        self.label, self.config, self.entries = label, config, entries


def resnet_entries(ngf, n_blocks, antialias, antialias_up):
    """ResnetGenerator (models/networks.py) with instance norms, no dropout:
    its Sequential numbers every layer, stateless ones included."""
    entries, index = [], 0

    def conv(c_in, c_out, k, transposed=False):
        nonlocal index
        shape = (c_in, c_out, k, k) if transposed else (c_out, c_in, k, k)
        entries.extend([Entry("model.%d.weight" % index, shape),
                        Entry("model.%d.bias" % index, (c_out,))])
        index += 1

    def stateless(n):  # pads, norms, activations
        nonlocal index
        index += n

    def filt(channels, taps, gain):
        nonlocal index
        entries.append(Entry("model.%d.filt" % index, (channels, 1, taps, taps),
                             binomial(taps, gain)))
        index += 1

    stateless(1)
    conv(3, ngf, 7)
    stateless(2)
    for i in range(2):
        c = ngf << i
        conv(c, 2 * c, 3)
        stateless(2)
        if antialias:
            filt(2 * c, 3, 1.0)  # Downsample
    for _ in range(n_blocks):
        c = 4 * ngf
        for sub in (1, 5):
            entries.extend([Entry("model.%d.conv_block.%d.weight" % (index, sub), (c, c, 3, 3)),
                            Entry("model.%d.conv_block.%d.bias" % (index, sub), (c,))])
        index += 1
    for i in range(2):
        c = ngf << (2 - i)
        if antialias_up:
            filt(c, 4, 4.0)  # Upsample
            conv(c, c // 2, 3)
        else:
            conv(c, c // 2, 3, transposed=True)
        stateless(2)
    stateless(1)
    conv(ngf, 3, 7)
    return entries


def stylegan2_width(ngf, res):
    """StyleGAN2Encoder/Decoder's channels at resolution res."""
    c = int(round(16384 / res * (ngf / 32)))
    return min(512, c) if res <= 32 else c


def stylegan2_entries(ngf, n_blocks, n_down, size):
    """StyleGAN2Generator (models/stylegan_networks.py) without styles."""
    entries = []

    def add(prefix, *items):
        entries.extend(Entry(prefix + name, shape, fixed) for name, shape, fixed in items)

    def conv_layer(prefix, c_in, c_out, k, down=False, bias=True):
        blur = [("0.kernel", (4, 4), binomial(4, 1.0))] if down else []
        at = len(blur)
        items = blur + [("%d.weight" % at, (c_out, c_in, k, k), None)]
        if bias:
            items.append(("%d.bias" % (at + 1), (1, c_out, 1, 1), None))
        add(prefix, *items)

    def res_block(prefix, c_in, c_out, down):
        conv_layer(prefix + "conv1.", c_in, c_in, 3)
        conv_layer(prefix + "conv2.", c_in, c_out, 3, down)
        if down:
            conv_layer(prefix + "skip.", c_in, c_out, 1, down, bias=False)

    res = size
    conv_layer("encoder.convs.1.", 3, stylegan2_width(ngf, res), 1)
    index = 2
    for _ in range(n_down):
        res_block("encoder.convs.%d." % index, stylegan2_width(ngf, res),
                  stylegan2_width(ngf, res // 2), True)
        res, index = res // 2, index + 1
    for _ in range(n_blocks // 2):
        c = stylegan2_width(ngf, res)
        res_block("encoder.convs.%d." % index, c, c, False)
        index += 1
    index = 0
    for _ in range(n_blocks // 2):
        c = stylegan2_width(ngf, res)
        res_block("decoder.convs.%d." % index, c, c, False)
        index += 1
    for _ in range(n_down):
        c_in, c_out = stylegan2_width(ngf, res), stylegan2_width(ngf, 2 * res)
        add("decoder.convs.%d." % index, ("conv.weight", (1, c_out, c_in, 3, 3), None),
            ("conv.blur.kernel", (4, 4), binomial(4, 4.0)), ("noise.weight", (1,), None),
            ("activate.bias", (1, c_out, 1, 1), None))
        res, index = 2 * res, index + 1
    conv_layer("decoder.convs.%d." % index, stylegan2_width(ngf, res), 3, 1)
    return entries


RESNETS = {"resnet_9blocks": 9, "resnet_6blocks": 6}
STYLEGAN2S = {"stylegan2": 6}  # SinCUT's; it injects noise
GEGL_CUT_SIZE = 64  # the training resolution our StyleGAN2-lite widths follow


def architecture(options):
    """The generator the options describe, or a Failure naming the option that
    asks for something gegl-cut does not build."""
    net = options["netG"]
    for name in ("input_nc", "output_nc"):
        if option_int(options, name, 1, 1 << 20) != 3:
            raise Failure("option %s %s: gegl-cut's generators take and give RGB "
                          "images (3 channels)" % (name, options[name]))
    ngf = option_int(options, "ngf", 1, 512)
    if net in RESNETS:
        if options["normG"] != "instance":
            raise Failure("option normG %s: gegl-cut builds the ResNet generator with "
                          "instance norms only (normG instance)" % options["normG"])
        if not option_bool(options, "no_dropout"):
            raise Failure("option no_dropout False: a generator with dropout layers is not "
                          "one gegl-cut builds (the official default is True)")
        antialias = not option_bool(options, "no_antialias")
        antialias_up = not option_bool(options, "no_antialias_up")
        n_blocks = RESNETS[net]
        config = {"kind": "resnet", "ngf": ngf, "n_blocks": n_blocks, "antialias": antialias,
                  "antialias_up": antialias_up, "n_downsampling": 2}
        label = "%s (ResNet, ngf %d, %s downsampling, %s upsampling)" % (
            net, ngf, "antialiased" if antialias else "strided",
            "antialiased" if antialias_up else "transposed-convolution")
        return Architecture(label, config, resnet_entries(ngf, n_blocks, antialias,
                                                          antialias_up))
    if net in STYLEGAN2S:
        n_blocks = STYLEGAN2S[net]
        n_down = option_int(options, "stylegan2_G_num_downsampling", 0, 1 << 20)
        if not 1 <= n_down <= 4 or n_down + n_blocks // 2 < 3:
            raise Failure("option stylegan2_G_num_downsampling %d: gegl-cut builds the "
                          "StyleGAN2 generator with 1 to 4 downsamplings" % n_down)
        smaller = min(option_int(options, "load_size", 1, 1 << 20),
                      option_int(options, "crop_size", 1, 1 << 20))
        res = 2 ** int(round(math.log2(smaller)))
        if res != GEGL_CUT_SIZE:
            raise Failure("options load_size %s, crop_size %s: the StyleGAN2 generator's "
                          "widths follow the training resolution, min(load_size, crop_size) "
                          "rounded to a power of two, %d here; gegl-cut builds them for %d "
                          "(SinCUT's crop_size)" % (options["load_size"], options["crop_size"],
                                                    res, GEGL_CUT_SIZE))
        config = {"kind": "stylegan2-lite", "ngf": ngf, "n_blocks": n_blocks,
                  "antialias": True, "antialias_up": True, "n_downsampling": n_down}
        label = "%s (SinCUT's StyleGAN2, ngf %d, %d downsampling%s)" % (
            net, ngf, n_down, "" if n_down == 1 else "s")
        return Architecture(label, config, stylegan2_entries(ngf, n_blocks, n_down,
                                                             GEGL_CUT_SIZE))
    raise Failure("option netG %s: gegl-cut builds the generators %s" % (
        net, ", ".join(list(RESNETS) + ["stylegan2 (SinCUT)"])))


# ---------------------------------------------------------------------------
# Reading checkpoints
# ---------------------------------------------------------------------------

class Tensor:
    """A checkpoint's tensor as float32 values in C order (values may be None
    for a tensor refused by its dtype, reported when it is matched)."""

    def __init__(self, shape, values, dtype):
        self.shape, self.values, self.dtype = tuple(shape), values, dtype


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise Failure("cannot read %s: %s" % (path, e.strerror or e)) from None


def floats_le(raw, code):
    """Native floats from little-endian bytes (array codes 'f', 'd')."""
    a = array.array(code)
    a.frombytes(raw)
    if sys.byteorder != "little":
        a.byteswap()
    return a if code == "f" else array.array("f", a)


def halves_to_floats(raw, bfloat):
    n = len(raw) // 2
    if bfloat:  # the high half of a float32
        bits = array.array("I", (h << 16 for h in struct.unpack("<%dH" % n, raw)))
        return array.array("f", bits.tobytes())
    return array.array("f", struct.unpack("<%de" % n, raw))


SAFETENSORS_FLOATS = {"F32": 4, "F64": 8, "F16": 2, "BF16": 2}
SAFETENSORS_OTHERS = {"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1, "U16": 2,
                      "U32": 4, "U64": 8}


def parse_safetensors(raw, path):
    """Tensors and metadata of a .safetensors file, checked like our reader:
    every entry's dtype, shape and offsets within the file, no overlaps."""
    def bad(why):
        return Failure("%s is not a valid .safetensors file: %s" % (path, why))

    if len(raw) < 8:
        raise bad("shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(raw):
        raise bad("header length %d beyond the file's %d bytes" % (n, len(raw)))

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise bad("a name appears twice in the header")
        return dict(pairs)

    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise bad("header is not JSON (%s)" % e) from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("__metadata__ is not an object of strings")
    data = memoryview(raw)[8 + n:]
    tensors, spans = {}, []
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            size = SAFETENSORS_FLOATS.get(dtype) or SAFETENSORS_OTHERS[dtype]
            valid = (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)
                     and type(begin) is int and type(end) is int
                     and 0 <= begin <= end <= len(data)
                     and end - begin == math.prod(shape) * size)
        except (KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise bad("tensor %s: bad dtype, shape or data_offsets" % name)
        spans.append((begin, end, name))
        chunk = bytes(data[begin:end])
        values = None
        if dtype in ("F32", "F64"):
            values = floats_le(chunk, "f" if dtype == "F32" else "d")
        elif dtype in ("F16", "BF16"):
            values = halves_to_floats(chunk, dtype == "BF16")
        tensors[name] = Tensor(shape, values, dtype)
    spans.sort()
    for (_, end, a), (begin, _, b) in zip(spans, spans[1:]):
        if begin < end:
            raise bad("tensors %s and %s overlap" % (a, b))
    return tensors, metadata


def unpickling_refusal(e):
    """The line of torch's weights_only refusal that names what was refused:
    torch 1.13 puts it after "WeightsUnpickler error:", torch 2.6 on a line
    of its own ("Trying to load unsupported GLOBAL posix.mkdir …") after a
    paragraph about the changed default."""
    lines = [line.strip() for line in str(e).split("WeightsUnpickler error:")[-1].splitlines()]
    named = [line for line in lines if "GLOBAL" in line]
    return (named or [line for line in lines if line] or [""])[0]


def load_pth(raw, path):
    """The state dict of a torch.save file, tensors only: weights_only=True
    refuses any other class without building it."""
    try:
        import torch
    except ImportError:
        raise Failure("%s is a PyTorch file: reading it needs PyTorch (Debian: "
                      "python3-torch), or convert it to .safetensors elsewhere" % path) from None
    try:
        state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except TypeError:
        raise Failure("this PyTorch (%s) cannot load weights without running code from the "
                      "file (torch.load weights_only); use PyTorch 1.13 or later"
                      % torch.__version__) from None
    except pickle.UnpicklingError as e:  # what weights_only refuses
        raise Failure("refusing %s: it is not a checkpoint of tensors only (%s); gcut-import "
                      "never runs code from a file" % (path, unpickling_refusal(e))) from None
    except Exception as e:  # a damaged file: RuntimeError, EOFError, …
        raise Failure("cannot read %s as a PyTorch checkpoint: %s"
                      % (path, str(e).strip().split("\n")[0] or type(e).__name__)) from None
    if not isinstance(state, dict):
        raise Failure("%s holds a %s, not a state dict (a generator's state_dict() saved by "
                      "torch.save)" % (path, type(state).__name__))
    tensors = {}
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            raise Failure("%s: key %s holds a Python %s, not a tensor"
                          % (path, name, type(t).__name__))
        if t.layout != torch.strided:
            raise Failure("%s: key %s holds a %s tensor, not a dense one"
                          % (path, name, str(t.layout).replace("torch.", "")))
        values = None
        if t.is_floating_point():
            values = array.array("f", t.detach().to(torch.float32).contiguous().numpy().tobytes())
        tensors[str(name)] = Tensor(t.shape, values, str(t.dtype).replace("torch.", ""))
    return tensors


def load_checkpoint(path):
    """(tensors by name, SHA-256 of the bytes read, their count)."""
    raw = read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    # torch.save writes a zip file, or (before PyTorch 1.6) a pickle.
    if raw[8:9] != b"{" and (raw[:4] == b"PK\x03\x04" or raw[:1] == b"\x80"):
        tensors = load_pth(raw, path)
    else:
        tensors, metadata = parse_safetensors(raw, path)
        if metadata.get("format", "").startswith("gegl-cut/"):
            raise Failure("%s is already a gegl-cut model" % path)
    return tensors, digest, len(raw)


# ---------------------------------------------------------------------------
# Matching a checkpoint to the architecture
# ---------------------------------------------------------------------------

def kind_of(names):
    if any(n.startswith("model.") for n in names):
        return "a ResNet generator (netG resnet_*)"
    if any(n.startswith(("encoder.", "decoder.")) for n in names):
        return "a StyleGAN2 generator (netG stylegan2, SinCUT)"
    return None


def listed(names, limit=5):
    more = len(names) - limit
    return ", ".join(names[:limit]) + (" and %d more" % more if more > 0 else "")


def match(tensors, arch, path):
    """Our model's tensors ("G." + the official name) from the checkpoint's,
    after checking every key, shape, dtype, fixed filter and weight."""
    expected = {e.name: e for e in arch.entries}
    missing = [e.name for e in arch.entries if e.name not in tensors]
    unknown = sorted(n for n in tensors if n not in expected)
    if missing or unknown:
        parts = (["missing key%s %s" % ("s" if len(missing) > 1 else "", listed(missing))]
                 if missing else [])
        parts += (["unknown key%s %s" % ("s" if len(unknown) > 1 else "", listed(unknown))]
                  if unknown else [])
        guess = kind_of(list(tensors))
        hint = (" The file looks like %s: are the options those of its run (--opt "
                "train_opt.txt)?" % guess if guess else "")
        raise Failure("%s does not match %s: %s.%s" % (path, arch.label, "; ".join(parts), hint))
    out = {}
    for e in arch.entries:
        t = tensors[e.name]
        if t.shape != e.shape:
            raise Failure("%s: key %s has shape %s, %s has %s" % (
                path, e.name, list(t.shape), arch.label, list(e.shape)))
        if t.values is None:
            raise Failure("%s: key %s holds %s values, not floating point"
                          % (path, e.name, t.dtype))
        if not math.isfinite(sum(t.values)):  # exact: float32 sums never overflow a double
            at = next(i for i, v in enumerate(t.values) if not math.isfinite(v))
            raise Failure("%s: key %s holds %s at element %d: the weights are broken (did the "
                          "training diverge?)" % (path, e.name, t.values[at], at))
        if e.fixed is not None:
            per = len(e.fixed)
            if any(abs(v - e.fixed[i % per]) > 1e-6 for i, v in enumerate(t.values)):
                raise Failure("%s: key %s does not hold the fixed filter of the official "
                              "layer, so this is not a network gegl-cut builds"
                              % (path, e.name))
            continue  # our engine makes the filters itself
        # The modulated convolution's (1, out, in, k, k) weight is (out, in, k, k) here.
        out["G." + e.name] = (e.shape[1:] if len(e.shape) == 5 else e.shape, t.values)
    return out


def strip_data_parallel(tensors):
    """nn.DataParallel's state_dict() puts "module." before every key."""
    if tensors and all(n.startswith("module.") for n in tensors):
        return {n[len("module."):]: t for n, t in tensors.items()}, "module."
    return tensors, None


# ---------------------------------------------------------------------------
# Writing the model
# ---------------------------------------------------------------------------

def model_bytes(tensors, metadata):
    """A .safetensors file as presets/safetensors-write.c lays it out: tensors
    by name (all F32), header padded with spaces to a multiple of 8."""
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        raw = values.tobytes() if sys.byteorder == "little" else _swapped(values)
        header[name] = {"dtype": "F32", "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text] + chunks)


def _swapped(values):
    a = array.array("f", values)
    a.byteswap()
    return a.tobytes()


def check_target(out, inputs):
    """Refuses to write over an input, or over anything but a gegl-cut model
    (as gcp_safetensors_may_replace)."""
    for path in inputs:
        if path and os.path.exists(out) and os.path.samefile(out, path):
            raise Failure("refusing to write the model to %s: it is the input %s" % (out, path))
    try:
        os.lstat(out)
    except FileNotFoundError:
        return
    except OSError as e:
        raise Failure("cannot examine %s: %s" % (out, e.strerror)) from None
    why = None
    if not os.path.isfile(out):
        why = "it is not a regular file"
    else:
        try:
            with open(out, "rb") as f:
                head = f.read(8)
                n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
                if not 0 < n <= MAX_HEADER_BYTES:
                    raise ValueError
                header = json.loads(f.read(n).decode("utf-8"))
            found = header.get("__metadata__", {}).get("format")
            if not isinstance(found, str) or found.split("/")[0] != FORMAT.split("/")[0]:
                why = "its format is %r" % found if found else "its metadata names no format"
        except (OSError, ValueError, AttributeError, struct.error):
            why = "it is not a .safetensors file"
    if why:
        raise Failure("refusing to replace %s, which is not a %s model (%s); choose another "
                      "name or remove it first" % (out, FORMAT, why))


def write_atomically(path, data):
    """Writes a temporary file ".NAME.gcut-XXXXXX" beside path (mode 0666 less
    the umask), locked as presets/atomic-file.c does so that cleaners tell a
    live writer from a dead one's leftovers, flushes it to disk and renames it
    over path.  On any failure path is left as it was and the temporary file
    is removed."""
    folder, base = os.path.split(os.path.abspath(path))
    for _ in range(8):
        suffix = "".join(random.SystemRandom().choice(string.ascii_letters + string.digits)
                         for _ in range(6))
        tmp = os.path.join(folder, ".%s.gcut-%s" % (base, suffix))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as e:
            raise Failure("cannot create a temporary file next to %s: %s"
                          % (path, e.strerror)) from None
        # A cleaner holding the lock is about to remove the file, or has.
        # Where the file system has no locks, cleaners leave it alone.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lost = os.fstat(fd).st_nlink == 0
        except OSError as e:
            lost = e.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
        if not lost:
            break
        os.close(fd)
    else:
        raise Failure("cannot create a temporary file next to %s" % path)
    lock = os.dup(fd)  # keeps the lock from the close to the rename
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        full = e.errno in (errno.ENOSPC, errno.EDQUOT)
        raise Failure("%s while writing %s: %s" % ("disk full" if full else "error", path,
                                                   e.strerror)) from None
    finally:
        os.close(lock)


# ---------------------------------------------------------------------------
# The tool
# ---------------------------------------------------------------------------

def display_name(path):
    return os.fsencode(os.path.basename(path)).decode("utf-8", "replace")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="gcut-import", description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    ap.add_argument("checkpoint", help="latest_net_G.pth, or a .safetensors state dict")
    ap.add_argument("-o", "--output", required=True, help="the model file to write")
    ap.add_argument("--opt", help="the run's options (default: train_opt.txt beside the "
                                  "checkpoint, when there is one)")
    ap.add_argument("--version", action="version", version="gcut-import " + VERSION)
    official = ap.add_argument_group(
        "official options", "as in the official code; they override the options file")
    for name in DEFAULTS:
        default = "default %s" % DEFAULTS[name]
        if name in SINCUT_DEFAULTS:
            default += ", %s with --model sincut" % SINCUT_DEFAULTS[name]
        if name == "no_dropout":  # as the official str2bool option
            official.add_argument("--" + name, nargs="?", const="True", metavar="BOOL",
                                  help=default)
        elif name in BOOL_OPTIONS:  # as the official store_true options
            official.add_argument("--" + name, action="store_const", const="True")
        else:
            official.add_argument("--" + name, metavar="VALUE", help=default)
    return ap.parse_args(argv)


def gather_options(args):
    """Official defaults, then the options file, then the command line."""
    opt_path = args.opt
    if opt_path is None:
        beside = os.path.join(os.path.dirname(args.checkpoint), "train_opt.txt")
        opt_path = beside if os.path.isfile(beside) else None
    from_file = read_options_file(opt_path) if opt_path else {}
    given = {n: getattr(args, n) for n in DEFAULTS if getattr(args, n) is not None}
    model = given.get("model", from_file.get("model", DEFAULTS["model"]))
    options = dict(DEFAULTS, **(SINCUT_DEFAULTS if model == "sincut" else {}))
    options.update(from_file)
    options.update(given)
    return options, opt_path, sorted(given)


def run(args):
    options, opt_path, given = gather_options(args)
    arch = architecture(options)
    if opt_path:
        print("Options: %s" % opt_path)
    check_target(args.output, [args.checkpoint, opt_path])
    tensors, digest, size = load_checkpoint(args.checkpoint)
    tensors, prefix = strip_data_parallel(tensors)
    ours = match(tensors, arch, args.checkpoint)
    source = {
        "tool": "gcut-import " + VERSION,
        "official_code": OFFICIAL_REPO,
        "checkpoint": {"file": display_name(args.checkpoint), "sha256": digest, "bytes": size},
        "options_file": ({"file": display_name(opt_path),
                          "sha256": hashlib.sha256(read_bytes(opt_path)).hexdigest()}
                         if opt_path else None),
        "options": options,
        "options_given": given,
    }
    if prefix:
        source["removed_prefix"] = prefix
    metadata = {"format": FORMAT, "source": json.dumps(source, sort_keys=True),
                "architecture": json.dumps(arch.config)}
    print("Checked %s (sha256 %s…): %s" % (args.checkpoint, digest[:16], arch.label))
    write_atomically(args.output, model_bytes(ours, metadata))
    n_params = sum(len(values) for _, values in ours.values())
    print("Wrote %s: %d tensors, %d parameters" % (args.output, len(ours), n_params))


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except Failure as e:
        print("gcut-import: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
