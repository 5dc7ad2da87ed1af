#!/usr/bin/python3
"""Same inputs, settings, seed and thread count give the same bytes, under load (TAP).

    repeat-under-load.py BUILD_DIR SOURCE_DIR GEGL_PLUGINS_DIR [GIMP_CONSOLE GIMP_PLUG_IN]

While busy loops keep every core loaded, 20 repeats each run at once
  * gcut-train: the tiny recipe for 2 steps, and a resume of a 1-step
    checkpoint to step 2: model and checkpoint tensors and metadata must not
    change (only the wall-clock seconds may);
  * gcut-translate and the gegl CLI's gcut:translate on a 16-bit image, to
    16-bit PNG: the same bytes every time, and in both front doors (also for
    an 8-bit image, once).  Not to .npy: GEGL's npy-save writes linear light,
    through babl conversions that differ in the last bit.
Every repeat starts with an empty babl cache, so babl times its conversions
afresh under the load (it keeps whichever was fastest, and its candidates
round differently).  With GIMP, one gimp-console session applies the model
through the plug-in 10 times to each image; its 8 and 16-bit layers must be
the gegl CLI's 16-bit values (translations lie on the 16-bit grid) at those
depths.
"""
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tap  # noqa: E402
from tap import case  # noqa: E402

REPEATS = 20
THREADS = "3"  # more threads than a 2-core CI machine has: the most scheduling noise

BUILD, SOURCE, GEGL_PLUGINS = sys.argv[1:4]
GIMP = sys.argv[4:6] if len(sys.argv) >= 6 else None
SAMPLES = os.path.join(SOURCE, "data", "samples")
RECIPE = os.path.join(SOURCE, "tests", "training", "tiny-recipe.json")
TRAIN = os.path.join(BUILD, "training", "gcut-train")
TRANSLATE = os.path.join(BUILD, "training", "gcut-translate")
TMP = tempfile.mkdtemp(prefix="gcut-repro-")
# babl keeps its timings in XDG_CACHE_HOME: never the user's.
ENV = dict(os.environ, GEGL_PATH=os.path.join(BUILD, "operations") + ":" + GEGL_PLUGINS,
           OMP_NUM_THREADS=THREADS, OMP_WAIT_POLICY="passive",
           XDG_CACHE_HOME=os.path.join(TMP, "cache"))


def tmp(*names):
    return os.path.join(TMP, *names)


def run(args, env=None):
    p = subprocess.run(args, env=env or ENV, capture_output=True, text=True, timeout=300,
                       errors="replace")
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return p


def start(args, env):
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, errors="replace")


def finish(procs):
    for p in procs:
        err = p.communicate(timeout=300)[1]
        if p.returncode != 0:
            raise AssertionError(f"{' '.join(p.args)} exited {p.returncode}:\n{err[-2000:]}")


def train_args(out, *args):
    return [TRAIN, "--content", os.path.join(SAMPLES, "forest-small.png"), "--style",
            os.path.join(SAMPLES, "starry-night.jpg"), "--threads", THREADS, "-o", out, *args]


def busy_loops():
    """One busy process per core, killed by stop() (also on SIGTERM)."""
    return [subprocess.Popen(["sh", "-c", "while :; do :; done"])
            for _ in range(os.cpu_count() or 2)]


def stop(load):
    for p in load:
        p.kill()
        p.wait()


def on_term(signum, frame):
    shutil.rmtree(TMP, ignore_errors=True)
    raise SystemExit(f"signal {signum}")


signal.signal(signal.SIGTERM, on_term)


def model_digest(path):
    """SHA-256 of a .safetensors file's tensors and metadata, less the seconds."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    if "training" in meta:
        record = json.loads(meta["training"])
        record.pop("seconds", None)
        meta["training"] = json.dumps(record, sort_keys=True)
    h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(header):
        if name == "trainer.seconds":
            continue
        begin, end = header[name]["data_offsets"]
        h.update(json.dumps([name, header[name]["dtype"], header[name]["shape"]]).encode())
        h.update(data[8 + n + begin:8 + n + end])
    return h.hexdigest()


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def png_pixels(path):
    """The samples of a non-interlaced 8 or 16-bit RGB(A) PNG (rows, columns,
    channels), and the bit depth."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = ihdr
    channels = {2: 3, 6: 4}[color]
    assert interlace == 0 and depth in (8, 16), f"{path}: unsupported PNG"
    bpp = channels * depth // 8
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows = []
    prev = [0] * stride
    for y in range(h):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        cur = [0] * stride
        for x in range(stride):
            a = cur[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if kind == 0:
                p = 0
            elif kind == 1:
                p = a
            elif kind == 2:
                p = b
            elif kind == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else b if pb <= pc else c
            cur[x] = (line[x] + p) & 255
        rows.append(cur)
        prev = cur
    out = np.array(rows, np.int64)
    if depth == 16:
        out = out[:, 0::2] * 256 + out[:, 1::2]
    return out.reshape(h, w, channels), depth


def same(name, digests):
    """Every repeat's digest must be the first one's."""
    odd = [i for i, d in enumerate(digests) if d != digests[0]]
    assert not odd, f"{name}: repeats {odd} of {len(digests)} differ from repeat 0"


# ---- inputs, made once -------------------------------------------------------

FOREST = os.path.join(SAMPLES, "forest-small.png")
FOREST16 = tmp("forest-16bit.png")
MODEL = tmp("model.safetensors")
CKPT = tmp("model.ckpt.safetensors")
IMAGES = (("8", FOREST), ("16", FOREST16))
# A 16-bit image (the gegl CLI's PNGs are) with every low byte in use: babl's
# u16 → float conversions disagree on such values.
run(["gegl", FOREST, "-o", FOREST16, "--", "gegl:gaussian-blur", "std-dev-x=0.7",
     "std-dev-y=0.7"])
finish([start(train_args(MODEL, "--recipe", RECIPE, "--steps", "1",
                         "--checkpoint-every", "0"), ENV)])

# ---- the repeats, under load -------------------------------------------------

def translations(env, out, bits, image):
    return [start([TRANSLATE, "--threads", THREADS, MODEL, image,
                   os.path.join(out, f"translate-{bits}.png")], env),
            start(["gegl", image, "-o", os.path.join(out, f"gegl-{bits}.png"), "--",
                   "gcut:translate", "model=" + MODEL], env)]


digests = {}
load = busy_loops()
begin = time.monotonic()
try:
    for i in range(REPEATS):
        env = dict(ENV, XDG_CACHE_HOME=tmp(f"cache-{i}"))
        out = tmp(f"r{i}")
        os.mkdir(out)
        procs = [start(train_args(os.path.join(out, "fresh.safetensors"), "--recipe", RECIPE,
                                  "--steps", "2", "--checkpoint-every", "0"), env),
                 start(train_args(os.path.join(out, "resumed.safetensors"), "--resume", CKPT,
                                  "--steps", "2"), env)]
        procs += translations(env, out, "16", FOREST16)
        if i == 0:
            procs += translations(env, out, "8", FOREST)
        finish(procs)
        for name in sorted(os.listdir(out)):
            path = os.path.join(out, name)
            digest = model_digest(path) if name.endswith(".safetensors") else file_digest(path)
            digests.setdefault(name, []).append(digest)
finally:
    stop(load)
print(f"# {REPEATS} repeats in {time.monotonic() - begin:.0f} s")


@case
def training_repeats():
    for kind in ("fresh", "fresh.ckpt", "resumed", "resumed.ckpt"):
        same(kind, digests[kind + ".safetensors"])


@case
def translation_repeats():
    for door in ("translate", "gegl"):
        same(door, digests[door + "-16.png"])


@case
def translation_front_doors():
    for bits, _ in IMAGES:
        assert digests[f"translate-{bits}.png"][0] == digests[f"gegl-{bits}.png"][0], \
            f"{bits}-bit input: gcut-translate and the gegl CLI differ"


# ---- GIMP 2.10: one session, 20 applies per image ----------------------------

def gimp_session():
    """Runs the plug-in REPEATS / 2 times per image; returns the PNGs it saved."""
    console, plugin = GIMP
    saved = {bits: [tmp(f"gimp-{bits}-{i}.png") for i in range(REPEATS // 2)]
             for bits in ("8", "16")}
    steps = []
    for bits, image in IMAGES:
        for path in saved[bits]:
            steps.append(
                f'(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "{image}" "{image}")))'
                f'       (drawable (car (gimp-image-get-active-drawable image))))'
                f'  (plug-in-gcut-apply RUN-NONINTERACTIVE image drawable "{MODEL}" "cpu" 0)'
                f'  (file-png-save-defaults RUN-NONINTERACTIVE image drawable "{path}" "{path}")'
                f'  (gimp-image-delete image))')
    script = ("plugin=$1 build=$2 src=$3 gegl_plugins=$4; shift 4; "
              '. "$src/tests/gimp/gimp-env.sh"; "$@"')
    p = subprocess.run(
        ["bash", "-c", script, "gimp", plugin, BUILD, SOURCE, GEGL_PLUGINS, "timeout", "900",
         console, "-i", "-d", "-f", "--batch-interpreter", "plug-in-script-fu-eval",
         "-b", "(begin " + " ".join(steps) + ")", "-b", "(gimp-quit 0)"],
        env=ENV, capture_output=True, text=True, errors="replace", timeout=960)
    missing = [s for paths in saved.values() for s in paths if not os.path.exists(s)]
    assert p.returncode == 0 and not missing, \
        f"gimp-console exited {p.returncode}, {len(missing)} images missing:\n{p.stdout[-2000:]}"
    return saved


@case
def gimp_plug_in():
    if not GIMP:
        print("# no gimp-console: the plug-in is not checked")
        return
    load = busy_loops()
    begin = time.monotonic()
    try:
        saved = gimp_session()
    finally:
        stop(load)
    print(f"# the GIMP session in {time.monotonic() - begin:.0f} s")
    for bits, _ in IMAGES:
        # The gegl CLI's 16-bit values k, or round(k·255/65535) = round(k/257)
        # for 8 bits, never a tie.
        k = png_pixels(os.path.join(tmp("r0"), f"gegl-{bits}.png"))[0][..., :3]
        want = k if bits == "16" else (2 * k + 257) // 514
        odd = [i for i, path in enumerate(saved[bits])
               if not np.array_equal(png_pixels(path)[0][..., :3], want)]
        assert not odd, f"{bits}-bit image: the plug-in's layers {odd} differ from the gegl CLI's"


tap.finish(lambda: shutil.rmtree(TMP, ignore_errors=True))
