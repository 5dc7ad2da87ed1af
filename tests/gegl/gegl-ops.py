#!/usr/bin/python3
"""The gcut:* operations through the real gegl CLI and XML graphs (TAP).

    gegl-ops.py BUILD_DIR SOURCE_DIR GEGL_PLUGINS_DIR OP_LABELS

GEGL finds the bundle through GEGL_PATH=BUILD/operations:GEGL_PLUGINS_DIR; models and recipes
are made in a temporary folder.  Needs numpy and PIL (Debian's python3)."""
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

BUILD, SOURCE, GEGL_PLUGINS, OP_LABELS = sys.argv[1:5]
sys.path.insert(0, os.path.join(SOURCE, "tests"))
from png_bomb import write_png_bomb  # noqa: E402
from tap import case, finish  # noqa: E402
SAMPLES = os.path.join(SOURCE, "data", "samples")
TINY_RECIPE = os.path.join(SOURCE, "tests", "training", "tiny-recipe.json")
TINY_SINCUT_RECIPE = os.path.join(SOURCE, "tests", "training", "tiny-sincut-recipe.json")
TMP = tempfile.mkdtemp(prefix="gcut-gegl-")
ENV = dict(os.environ, GEGL_PATH=os.path.join(BUILD, "operations") + ":" + GEGL_PLUGINS,
           GEGL_CUT_MODEL_PATH=TMP, OMP_WAIT_POLICY="passive",
           GEGL_CUT_LOCALEDIR=os.path.join(BUILD, "po"), LANGUAGE="", LC_ALL="C.UTF-8")


def run(args, env=None, check=True, preexec_fn=None, timeout=600):
    p = subprocess.run(args, env=env or ENV, capture_output=True, text=True, timeout=timeout,
                       errors="replace", preexec_fn=preexec_fn)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return p


def gegl(*args, **kw):
    return run(["gegl", *args], **kw)


def xml(graph, out):
    """Runs an XML graph (outermost node last, as GEGL's XML lists them)."""
    return gegl("-x", f"<gegl>{graph}</gegl>", "-o", out)


def tmp(name):
    return os.path.join(TMP, name)


def load(path):
    if path.endswith(".npy"):
        return np.load(path).astype(np.float64)
    return np.asarray(Image.open(path)).astype(np.float64)


def make_model(name="tiny", recipe=TINY_RECIPE, steps=3):
    path = tmp(name + ".safetensors")
    run([os.path.join(BUILD, "training", "gcut-train"), "--content",
         os.path.join(SAMPLES, "forest-small.png"), "--style",
         os.path.join(SAMPLES, "starry-night.jpg"), "--recipe", recipe,
         "--steps", str(steps), "--threads", "2", "-o", path])
    return path


def fine_tune(base, name):
    """A model fine-tuned from the installed model `base` (by name)."""
    path = tmp(name + ".safetensors")
    run([os.path.join(BUILD, "training", "gcut-train"), "--content",
         os.path.join(SAMPLES, "forest-small.png"), "--style",
         os.path.join(SAMPLES, "starry-night.jpg"), "--recipe", TINY_RECIPE,
         "--init", base, "--steps", "3", "--threads", "2", "-o", path])
    return path


def header(path):
    """A safetensors file's JSON header, and where its data starts."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)), 8 + n


def metadata(path):
    return header(path)[0].get("__metadata__", {})


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


MODEL = make_model()
SINCUT_MODEL = make_model("tiny-sincut", TINY_SINCUT_RECIPE, 2)
BASE = make_model("tiny-base")
TUNED = fine_tune("tiny-base", "tuned")
FOREST = os.path.join(SAMPLES, "forest-small.png")


@case
def ops_exist():
    gegl("--exists", "gcut:translate", "gcut:train", "gcut:similarity")
    assert gegl("--exists", "gcut:no-such-op", check=False).returncode != 0


@case
def translate_matches_gcut_translate():
    """The op and the command-line tool run the same generator."""
    gegl(FOREST, "-o", tmp("op.png"), "--", "gcut:translate", f"model={MODEL}")
    run([os.path.join(BUILD, "training", "gcut-translate"), MODEL, FOREST, tmp("tool.png")])
    a, b, src = load(tmp("op.png")), load(tmp("tool.png")), load(FOREST)
    assert a.shape[:2] == src.shape[:2], (a.shape, src.shape)
    assert np.abs(a[..., :3] - b[..., :3]).max() <= 1, np.abs(a - b).max()
    assert np.abs(a[..., :3] - src[..., :3]).mean() > 2, "the output is the input"


@case
def translate_bare_name_from_model_path():
    gegl(FOREST, "-o", tmp("named.png"), "--", "gcut:translate", "model=tiny")
    assert np.array_equal(load(tmp("named.png")), load(tmp("op.png")))


@case
def tiled_agrees_with_one_pass():
    """Whole-image instance-norm statistics: tiles change nothing (≤ 1e-3)."""
    big = tmp("big.png")
    gegl(os.path.join(SAMPLES, "forest.jpg"), "-o", big, "--", "gegl:scale-size-keep-aspect",
         "x=300", "sampler=linear")
    outs = {}
    for tile in (0, 64):
        outs[tile] = tmp(f"tile{tile}.npy")
        gegl(big, "-o", outs[tile], "--", "gcut:translate", f"model={MODEL}",
             f"tile-size={tile}")
    a, b = load(outs[0]), load(outs[64])
    assert a.shape[0] > 128 and a.shape[1] > 128, a.shape
    diff = np.abs(a - b).max()
    print(f"# tiled (64) vs one pass on {a.shape[1]}x{a.shape[0]}: max |diff| {diff:.2e}")
    assert diff <= 1e-3, diff


@case
def sincut_tiled_agrees_with_one_pass():
    """A SinCUT (StyleGAN2-lite) model: no instance norm, tiles with the
    network's receptive radius as halo and noise seeded by position."""
    model = SINCUT_MODEL
    src = tmp("sincut-in.png")
    gegl(os.path.join(SAMPLES, "forest.jpg"), "-o", src, "--", "gegl:crop", "width=203",
         "height=141")
    outs = {}
    for tile, seed in ((0, 0), (24, 0), (0, 1)):
        outs[tile, seed] = tmp(f"sincut-tile{tile}-seed{seed}.npy")
        p = gegl(src, "-o", outs[tile, seed], "--", "gcut:translate", f"model={model}",
                 f"tile-size={tile}", f"seed={seed}")
        assert "gcut:translate" not in p.stderr, p.stderr
    a, b, c, x = (load(outs[0, 0]), load(outs[24, 0]), load(outs[0, 1]),
                  np.asarray(Image.open(src)).astype(np.float64) / 255)
    assert a.shape[:2] == x.shape[:2] == (141, 203), (a.shape, x.shape)
    assert np.isfinite(a).all() and np.isfinite(b).all()
    assert np.abs(a[..., :3] - x[..., :3]).mean() > 0.01, "the output is the input"
    diff = np.abs(a - b).max()
    print(f"# SinCUT tiled (24) vs one pass on {a.shape[1]}x{a.shape[0]}: max |diff| {diff:.2e}")
    assert diff <= 1e-4, diff
    assert np.abs(a - c).max() > 1e-4, "the seed does not reach the noise"


@case
def alpha_carried_through():
    src = np.asarray(Image.open(FOREST).convert("RGB"))
    alpha = np.tile(np.linspace(0, 255, src.shape[1]).astype(np.uint8), (src.shape[0], 1))
    Image.fromarray(np.dstack([src, alpha]), "RGBA").save(tmp("alpha.png"))
    gegl(tmp("alpha.png"), "-o", tmp("alpha-out.png"), "--", "gcut:translate",
         f"model={MODEL}")
    out = load(tmp("alpha-out.png"))
    assert out.shape[2] == 4 and np.array_equal(out[..., 3], alpha), "alpha changed"


def passes_through(image, expect_in_stderr, model=None, extra=()):
    out = tmp("passthrough.png")
    p = gegl(image, "-o", out, "--", "gcut:translate", f"model={model or MODEL}", *extra)
    assert expect_in_stderr in p.stderr, f"stderr lacks {expect_in_stderr!r}: {p.stderr!r}"
    a, b = load(out), load(image)
    assert np.array_equal(a[..., :3], b[..., :3]), "input not passed through"


@case
def missing_model_passes_through_with_reason():
    passes_through(FOREST, "no-such-model", model="no-such-model")


@case
def corrupt_model_passes_through_with_reason():
    with open(MODEL, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2:] = b"\xff" * (len(data) - len(data) // 2)
    with open(tmp("corrupt.safetensors"), "wb") as f:
        f.write(data[: len(data) * 3 // 4])
    passes_through(FOREST, "corrupt.safetensors", model=tmp("corrupt.safetensors"))


@case
def cuda_without_gpu_says_so():
    p = run(["nvidia-smi"], check=False) if os.path.exists("/usr/bin/nvidia-smi") else None
    if p is not None and p.returncode == 0:
        return  # a GPU is here: nothing to refuse
    passes_through(FOREST, "CUDA", extra=("device=cuda",))


@case
def odd_sizes_gray_16bit_and_nan():
    rng = np.random.default_rng(1)
    Image.fromarray(np.uint8([[[200, 10, 30]]])).save(tmp("1x1.png"))
    Image.fromarray(rng.integers(0, 255, (3, 57), dtype=np.uint8), "L").save(tmp("gray.png"))
    Image.fromarray(rng.integers(0, 65535, (37, 41), dtype=np.uint16)).save(tmp("gray16.png"))
    nan = rng.random((40, 48), dtype=np.float32)
    nan[5:9, 7:30] = np.nan
    Image.fromarray(nan, "F").save(tmp("nan.tif"))
    gegl(FOREST, "-o", tmp("rgb16.png"), "--", "gegl:nop")  # png-save writes 16 bits
    for name in ("1x1.png", "gray.png", "gray16.png", "nan.tif", "rgb16.png"):
        out = tmp(name + ".npy")
        p = gegl(tmp(name), "-o", out, "--", "gcut:translate", f"model={MODEL}")
        a, src = load(out), np.asarray(Image.open(tmp(name)))
        assert a.shape[:2] == src.shape[:2], (name, a.shape, src.shape)
        assert np.isfinite(a).all(), f"{name}: non-finite output"
        assert "gcut:translate" not in p.stderr, f"{name}: {p.stderr}"


@case
def huge_image_refused_clearly():
    out = tmp("huge.png")
    p = gegl("-o", out, "--", "gegl:color", "value=red", "gegl:crop", "width=50000",
             "height=50000", "gcut:translate", f"model={MODEL}", "gegl:crop", "width=4",
             "height=4", check=False)
    assert "too large" in p.stderr, p.stderr[-500:]


def to_srgb(linear):
    """The R'G'B' the ops work in, from the linear RGB that npy-save writes."""
    v = np.maximum(linear, 0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)


def strength(model, s, name, check_stderr=True):
    """The op's output at strength s, as npy (linear RGB, float32)."""
    out = tmp(name + ".npy")
    p = gegl(FOREST, "-o", out, "--", "gcut:translate", f"model={model}", f"strength={s}")
    if check_stderr:
        assert "gcut:translate" not in p.stderr, p.stderr
    return load(out), p.stderr


def blended(model, s):
    """in + s·(G(in) − in) in R'G'B', as the pixel blend makes it."""
    full, _ = strength(model, 1, "full")
    src = load(FOREST)[..., :3] / 255
    return src + s * (to_srgb(full) - src)


# Float rounding of the blend and of the conversions to linear RGB and back.
BLEND_TOLERANCE = 1e-5


@case
def fine_tuned_model_records_its_base():
    base = metadata(TUNED).get("base")
    assert base is not None, metadata(TUNED).keys()
    assert json.loads(base) == {"name": "tiny-base", "sha256": sha256(BASE)}, base
    assert "base" not in metadata(MODEL)


@case
def strength_zero_is_the_input():
    # The input as the op sees it, R'G'B'A float, written the same way.
    gegl(FOREST, "-o", tmp("in.npy"), "--", "gegl:convert-format", "format=R'G'B'A float")
    for model in (TUNED, MODEL):
        a, _ = strength(model, 0, "s0")
        assert np.array_equal(a, load(tmp("in.npy"))), "strength 0 changed the input"
    # The tool reads pixels by its own formula (training/pixels.c), which
    # may differ from babl's conversion in the last bit (Debian 13's babl).
    run([os.path.join(BUILD, "training", "gcut-translate"), "--strength", "0", TUNED, FOREST,
         tmp("s0-tool.npy")])
    tool = load(tmp("s0-tool.npy"))
    assert np.abs(tool - load(tmp("in.npy"))).max() <= 1e-6, "the tool changed it"


@case
def strength_interpolates_with_the_base():
    """Half way between the base's weights and the model's: the op and the tool
    agree, and it is not the pixel blend."""
    a, _ = strength(TUNED, 0.5, "s05")
    run([os.path.join(BUILD, "training", "gcut-translate"), "--strength", "0.5", TUNED, FOREST,
         tmp("s05-tool.npy")])
    b = load(tmp("s05-tool.npy"))
    assert np.abs(a - b).max() <= 1e-5, np.abs(a - b).max()
    full, _ = strength(TUNED, 1, "s1")
    default, _ = strength(TUNED, 1, "s1")
    assert np.array_equal(full, default)
    assert np.abs(to_srgb(a) - blended(TUNED, 0.5)).max() > 0.01, "pixels were blended"
    assert np.abs(a - full).max() > 0.01, "strength 0.5 gave the model's own output"


@case
def strength_blends_pixels_without_a_base():
    a, stderr = strength(MODEL, 0.25, "s025")
    diff = np.abs(to_srgb(a) - blended(MODEL, 0.25)).max()
    assert diff <= BLEND_TOLERANCE, diff
    assert "gcut:translate" not in stderr, stderr


def blends_with_note(model, note):
    a, stderr = strength(model, 0.5, "note", check_stderr=False)
    assert "blending pixels" in stderr and note in stderr, stderr
    diff = np.abs(to_srgb(a) - blended(model, 0.5)).max()
    assert diff <= BLEND_TOLERANCE, diff
    tool = run([os.path.join(BUILD, "training", "gcut-translate"), "--strength", "0.5", model,
                FOREST, tmp("note-tool.npy")])
    assert "blending pixels" in tool.stderr and note in tool.stderr, tool.stderr


@case
def strength_base_missing_blends_with_note():
    gone = make_model("gone-base")
    model = fine_tune("gone-base", "orphan")
    os.remove(gone)
    blends_with_note(model, "gone-base")


@case
def strength_base_changed_blends_with_note():
    changed = make_model("changed-base")
    model = fine_tune("changed-base", "changeling")
    with open(MODEL, "rb") as f, open(changed, "wb") as g:
        g.write(f.read())
    blends_with_note(model, "not the recorded base")


@case
def strength_through_xml_graph():
    out = tmp("s-xml.npy")
    xml(f'<node operation="gcut:translate" model="{TUNED}" strength="0.5"/>'
        f'<node operation="gegl:load" path="{FOREST}"/>', out)
    a, _ = strength(TUNED, 0.5, "s05")
    assert np.array_equal(load(out), a)


def palette_recipe():
    """The tiny recipe, recording the style's palette."""
    with open(TINY_RECIPE) as f:
        recipe = json.load(f)
    recipe["palette"] = True
    with open(tmp("palette-recipe.json"), "w") as f:
        json.dump(recipe, f)
    return tmp("palette-recipe.json")


PALETTE_MODEL = make_model("tiny-palette", palette_recipe(), 2)


def tensor(path, name):
    entries, start = header(path)
    t = entries[name]
    with open(path, "rb") as f:
        f.seek(start + t["data_offsets"][0])
        data = f.read(t["data_offsets"][1] - t["data_offsets"][0])
    return np.frombuffer(data, dtype="<f4").reshape(t["shape"])


def ycc(rgb):
    """BT.601 full-range Y'CbCr of R'G'B' in [0, 1] (gct-palette.h)."""
    y = rgb @ np.array([0.299, 0.587, 0.114])
    return np.stack([y, (rgb[..., 2] - y) / 1.772, (rgb[..., 0] - y) / 1.402], -1)


@case
def palette_is_the_paintings_quantiles():
    """Recorded by a palette recipe only: numpy's quantiles of the painting's
    Y'CbCr (the trainer reads it whole, decoded by GEGL: PIL's JPEG decoder
    differs at the extremes), to the histogram's 1/4096 bins."""
    assert "palette" not in header(MODEL)[0]
    levels = tensor(PALETTE_MODEL, "palette")
    gegl(os.path.join(SAMPLES, "starry-night.jpg"), "-o", tmp("painting.png"))
    painting = load(tmp("painting.png"))[..., :3] / 255
    want = np.quantile(ycc(painting).reshape(-1, 3), np.linspace(0, 1, 256), axis=0).T
    assert levels.shape == (3, 256)
    assert np.abs(levels - want).max() <= 1 / 4096, np.abs(levels - want).max()


@case
def palette_moves_output_to_the_painting():
    """palette=1 (the default) gives the output the painting's tones: its
    luma's quantiles are the palette's; palette=0 is the network's own
    output; the op and gcut-translate agree at both; at strength 0 the
    photo itself is recoloured."""
    tool = os.path.join(BUILD, "training", "gcut-translate")
    outs = {}
    for amount in (0, 1):
        gegl(FOREST, "-o", tmp(f"pal{amount}.png"), "--", "gcut:translate",
             f"model={PALETTE_MODEL}", f"palette={amount}")
        run([tool, "--palette", str(amount), PALETTE_MODEL, FOREST, tmp(f"pal{amount}-tool.png")])
        outs[amount] = load(tmp(f"pal{amount}.png"))[..., :3]
        assert np.abs(outs[amount] - load(tmp(f"pal{amount}-tool.png"))[..., :3]).max() <= 1
    gegl(FOREST, "-o", tmp("pal-default.png"), "--", "gcut:translate", f"model={PALETTE_MODEL}")
    assert np.array_equal(load(tmp("pal-default.png"))[..., :3], outs[1])
    # A model without a palette: palette changes nothing.
    gegl(FOREST, "-o", tmp("nopal.png"), "--", "gcut:translate", f"model={MODEL}", "palette=1")
    assert np.array_equal(load(tmp("nopal.png")), load(tmp("op.png")))
    levels = tensor(PALETTE_MODEL, "palette")
    ranks = np.linspace(0.05, 0.95, 19)
    got = np.quantile(ycc(outs[1] / 255)[..., 0], ranks)
    before = np.quantile(ycc(outs[0] / 255)[..., 0], ranks)
    want = np.interp(ranks, np.linspace(0, 1, 256), levels[0])
    assert np.abs(got - want).max() < 0.02, (got, want)
    assert np.abs(before - want).max() > 0.05, "the network already had the tones"
    gegl(FOREST, "-o", tmp("pal-s0.png"), "--", "gcut:translate", f"model={PALETTE_MODEL}",
         "strength=0")
    run([tool, "--strength", "0", PALETTE_MODEL, FOREST, tmp("pal-s0-tool.png")])
    s0 = load(tmp("pal-s0.png"))[..., :3]
    assert np.abs(s0 - load(tmp("pal-s0-tool.png"))[..., :3]).max() <= 1
    assert np.abs(s0 - load(FOREST)[..., :3]).mean() > 5, "strength 0 did not recolour"


@case
def palette_out_of_range_refused():
    p = run([os.path.join(BUILD, "training", "gcut-translate"), "--palette", "1.5",
             PALETTE_MODEL, FOREST, tmp("bad.png")], check=False)
    assert p.returncode == 2 and "--palette" in p.stderr, p.stderr


def train_graph(run_on, model_out, content=FOREST):
    return (f'<node operation="gcut:train" run="{str(run_on).lower()}" recipe="{TINY_RECIPE}" '
            f'steps="2" model="{model_out}">'
            f'<node operation="gegl:load" path="{os.path.join(SAMPLES, "starry-night.jpg")}"/>'
            f'</node><node operation="gegl:load" path="{content}"/>')


@case
def fifo_and_directory_refused_at_once():
    """A FIFO would block the op (and GIMP) until a writer came; a directory
    failed as "mmap() failed".  The timeout only turns a hang into a failure."""
    fifo, folder = tmp("model-fifo.safetensors"), tmp("recipe-dir")
    os.mkfifo(fifo)
    os.mkdir(folder)
    p = run(["gegl", FOREST, "-o", tmp("fifo.png"), "--", "gcut:translate", f"model={fifo}"],
            timeout=60)
    assert "FIFO" in p.stderr and "not a regular file" in p.stderr, p.stderr
    p = run([os.path.join(BUILD, "training", "gcut-translate"), fifo, FOREST,
             tmp("fifo-cli.png")], check=False, timeout=60)
    assert p.returncode != 0 and "FIFO" in p.stderr, p.stderr
    p = xml(train_graph(True, tmp("dir.safetensors")).replace(TINY_RECIPE, folder),
            tmp("train-dir.png"))
    assert "directory" in p.stderr and "not a regular file" in p.stderr, p.stderr


@case
def train_off_passes_through():
    xml(train_graph(False, tmp("never.safetensors")), tmp("train-off.png"))
    assert np.array_equal(load(tmp("train-off.png"))[..., :3], load(FOREST)[..., :3])
    assert not os.path.exists(tmp("never.safetensors")), "trained while off"


@case
def train_on_writes_model_and_translates():
    model = tmp("trained-by-op.safetensors")
    xml(train_graph(True, model), tmp("train-on.png"))
    assert os.path.getsize(model) > 0
    out = load(tmp("train-on.png"))
    assert np.abs(out[..., :3] - load(FOREST)[..., :3]).mean() > 2, "not translated"
    # The model it wrote gives the same picture through gcut:translate.
    gegl(FOREST, "-o", tmp("train-on-apply.png"), "--", "gcut:translate", f"model={model}")
    assert np.abs(load(tmp("train-on-apply.png")) - out).max() <= 1
    # With a palette recipe too: gcut:train shows what gcut:translate will.
    model = tmp("trained-palette.safetensors")
    xml(train_graph(True, model).replace(TINY_RECIPE, palette_recipe()), tmp("train-pal.png"))
    gegl(FOREST, "-o", tmp("train-pal-apply.png"), "--", "gcut:translate", f"model={model}")
    assert np.abs(load(tmp("train-pal-apply.png")) - load(tmp("train-pal.png"))).max() <= 1
    gegl(FOREST, "-o", tmp("train-pal-p0.png"), "--", "gcut:translate", f"model={model}",
         "palette=0")
    assert np.abs(load(tmp("train-pal-p0.png")) - load(tmp("train-pal.png"))).mean() > 2


@case
def train_init_fine_tunes_the_base():
    """init names the base; the model written records it."""
    model = tmp("trained-from-base.safetensors")
    xml(train_graph(True, model).replace('steps="2"', 'steps="2" init="tiny-base"'),
        tmp("train-init.png"))
    base = json.loads(metadata(model)["base"])
    assert base == {"name": "tiny-base", "sha256": sha256(BASE)}, base
    # "none" over a recipe that names a base: random weights, no record.
    with open(TINY_RECIPE) as f:
        recipe = json.load(f)
    recipe["init"] = "tiny-base"
    with open(tmp("init-recipe.json"), "w") as f:
        json.dump(recipe, f)
    plain = tmp("trained-none.safetensors")
    xml(train_graph(True, plain).replace(TINY_RECIPE, tmp("init-recipe.json"))
        .replace('steps="2"', 'steps="2" init="none"'), tmp("train-none.png"))
    assert "base" not in metadata(plain)
    by_recipe = tmp("trained-by-recipe.safetensors")
    xml(train_graph(True, by_recipe).replace(TINY_RECIPE, tmp("init-recipe.json")),
        tmp("train-by-recipe.png"))
    assert json.loads(metadata(by_recipe)["base"])["name"] == "tiny-base"


@case
def train_on_one_pixel_content():
    """Smaller than the crop: the recipe's resize brings it up to the crop size."""
    Image.fromarray(np.uint8([[[1, 2, 3]]])).save(tmp("tiny.png"))
    xml(train_graph(True, tmp("tiny-model.safetensors"), content=tmp("tiny.png")),
        tmp("train-tiny.npy"))
    out = load(tmp("train-tiny.npy"))
    assert out.shape[:2] == (1, 1) and np.isfinite(out).all(), out
    assert os.path.getsize(tmp("tiny-model.safetensors")) > 0


def address_space(gib):
    return lambda: resource.setrlimit(resource.RLIMIT_AS,
                                      (gib << 30, resource.RLIM_INFINITY))


@case
def train_bomb_style_in_bounded_memory():
    """A 95 KB PNG of 9000² pixels as the style: read in strips, in 1 GiB of
    address space (reading it whole takes 1.3 GB as R'G'B'A float)."""
    write_png_bomb(tmp("bomb.png"), 9000)
    model = tmp("bomb-style.safetensors")
    graph = train_graph(True, model).replace(os.path.join(SAMPLES, "starry-night.jpg"),
                                             tmp("bomb.png"))
    p = run(["gegl", "-x", f"<gegl>{graph}</gegl>", "-o", tmp("train-bomb.png")],
            preexec_fn=address_space(1))
    assert os.path.exists(model), p.stderr[-1000:]


@case
def train_huge_style_refused_before_rendering():
    """A style image over the size limit is refused as the input is, and is
    never rendered (50000² pixels of R'G'B'A float would be 40 GB)."""
    model = tmp("huge-style.safetensors")
    graph = (f'<node operation="gcut:train" run="true" recipe="{TINY_RECIPE}" steps="1" '
             f'model="{model}"><node operation="gegl:crop" width="50000" height="50000"/>'
             f'<node operation="gegl:color" value="red"/></node>'
             f'<node operation="gegl:load" path="{FOREST}"/>')
    p = run(["gegl", "-x", f"<gegl>{graph}</gegl>", "-o", tmp("train-huge.png")],
            preexec_fn=address_space(1), timeout=120)
    # The gegl CLI never sets its locale: "×" comes out as "?".
    assert "style image (aux input) is too large: 50000" in p.stderr, p.stderr[-500:]
    assert not os.path.exists(model)
    assert np.array_equal(load(tmp("train-huge.png"))[..., :3], load(FOREST)[..., :3])


@case
def train_bad_recipe_names_the_key():
    with open(TINY_RECIPE) as f:
        text = f.read().replace('"crop_size": 32', '"crop_size": -5')
    with open(tmp("bad-recipe.json"), "w") as f:
        f.write(text)
    p = xml(train_graph(True, tmp("bad.safetensors")).replace(TINY_RECIPE,
                                                              tmp("bad-recipe.json")),
            tmp("train-bad.png"))
    assert "crop_size" in p.stderr, p.stderr
    assert np.array_equal(load(tmp("train-bad.png"))[..., :3], load(FOREST)[..., :3])
    assert not os.path.exists(tmp("bad.safetensors"))


@case
def similarity_peaks_at_query():
    """For a CUT and a SinCUT model (whose three encoder taps the layer range
    spreads over), at the deepest layer and a middle one."""
    for model, layer in ((MODEL, 4), (SINCUT_MODEL, 4), (SINCUT_MODEL, 1)):
        out = tmp("sim.png")
        p = gegl(FOREST, "-o", out, "--", "gcut:similarity", f"model={model}", "x=0.3",
                 "y=0.6", f"layer={layer}", "visibility=0")
        assert "gcut:similarity" not in p.stderr, p.stderr
        a = load(out)[..., :3].mean(axis=2)
        h, w = a.shape
        qy, qx = int(0.6 * h), int(0.3 * w)
        near = a[qy - 2:qy + 3, qx - 2:qx + 3].mean()
        assert near > a.mean() + 10, (model, layer, near, a.mean())


def german_locale():
    """LOCPATH with a de_DE.UTF-8 locale: the compiled C.UTF-8 (glibc's, always
    there) under that name, for systems that have generated no other locale.
    Under C.UTF-8 itself glibc 2.37 and later ignore LANGUAGE, as under C."""
    for compiled in ("/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"):
        if os.path.isdir(compiled):
            locpath = tmp("locales")
            os.makedirs(locpath, exist_ok=True)
            os.symlink(compiled, os.path.join(locpath, "de_DE.UTF-8"))
            return locpath
    raise AssertionError("no compiled C.UTF-8 locale in /usr/lib/locale")


@case
def labels_translated():
    """Titles and property labels follow the user's language: the locale's
    (de_DE.UTF-8), or LANGUAGE's over it (fr), as GIMP sets it from its
    preferences."""
    ops = ("gcut:translate", "gcut:train", "gcut:similarity")
    locpath = german_locale()
    for lang, words in (("", ("Kontrastive Übertragung", "Modell", "Rezept", "Gerät",
                              "Stärke", "Ausgehen von")),
                        ("fr", ("Traduction contrastive", "Modèle", "Recette", "Intensité",
                                "Partir de"))):
        env = dict(ENV, LOCPATH=locpath, LANGUAGE=lang, LC_ALL="de_DE.UTF-8")
        text = run([OP_LABELS, *ops], env=env).stdout
        for w in words:
            assert w in text, f"LANGUAGE={lang!r}: {w!r} not in\n{text}"
    english = run([OP_LABELS, *ops]).stdout
    assert "Contrastive Translation" in english and "Modell" not in english


finish(lambda: shutil.rmtree(TMP, ignore_errors=True))
