#!/usr/bin/python3
"""The gcut:* operations through the real gegl CLI and XML graphs (TAP).

    gegl-ops.py BUILD_DIR SOURCE_DIR GEGL_PLUGINS_DIR OP_LABELS

GEGL finds the bundle through GEGL_PATH=BUILD/operations:GEGL_PLUGINS_DIR; models and recipes
are made in a temporary folder.  Needs numpy and PIL (Debian's python3)."""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

BUILD, SOURCE, GEGL_PLUGINS, OP_LABELS = sys.argv[1:5]
SAMPLES = os.path.join(SOURCE, "data", "samples")
TINY_RECIPE = os.path.join(SOURCE, "tests", "training", "tiny-recipe.json")
TINY_SINCUT_RECIPE = os.path.join(SOURCE, "tests", "training", "tiny-sincut-recipe.json")
TMP = tempfile.mkdtemp(prefix="gcut-gegl-")
ENV = dict(os.environ, GEGL_PATH=os.path.join(BUILD, "operations") + ":" + GEGL_PLUGINS,
           GEGL_CUT_MODEL_PATH=TMP, OMP_WAIT_POLICY="passive",
           GEGL_CUT_LOCALEDIR=os.path.join(BUILD, "po"), LANGUAGE="", LC_ALL="C.UTF-8")
results = []


def run(args, env=None, check=True):
    p = subprocess.run(args, env=env or ENV, capture_output=True, text=True, timeout=600,
                       errors="replace")
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


def case(fn):
    try:
        fn()
        results.append((True, fn.__name__, ""))
    except Exception as e:  # every failure is reported, the others still run
        results.append((False, fn.__name__, str(e)))
    return fn


def make_model(name="tiny", recipe=TINY_RECIPE, steps=3):
    path = tmp(name + ".safetensors")
    run([os.path.join(BUILD, "training", "gcut-train"), "--content",
         os.path.join(SAMPLES, "forest-small.png"), "--style",
         os.path.join(SAMPLES, "starry-night.jpg"), "--recipe", recipe,
         "--steps", str(steps), "--threads", "2", "-o", path])
    return path


MODEL = make_model()
SINCUT_MODEL = make_model("tiny-sincut", TINY_SINCUT_RECIPE, 2)
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


def train_graph(run_on, model_out, content=FOREST):
    return (f'<node operation="gcut:train" run="{str(run_on).lower()}" recipe="{TINY_RECIPE}" '
            f'steps="2" model="{model_out}">'
            f'<node operation="gegl:load" path="{os.path.join(SAMPLES, "starry-night.jpg")}"/>'
            f'</node><node operation="gegl:load" path="{content}"/>')


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


@case
def train_on_one_pixel_content():
    """Smaller than the crop: the recipe's resize brings it up to the crop size."""
    Image.fromarray(np.uint8([[[1, 2, 3]]])).save(tmp("tiny.png"))
    xml(train_graph(True, tmp("tiny-model.safetensors"), content=tmp("tiny.png")),
        tmp("train-tiny.npy"))
    out = load(tmp("train-tiny.npy"))
    assert out.shape[:2] == (1, 1) and np.isfinite(out).all(), out
    assert os.path.getsize(tmp("tiny-model.safetensors")) > 0


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
    for lang, words in (("", ("Kontrastive Übertragung", "Modell", "Rezept", "Gerät")),
                        ("fr", ("Traduction contrastive", "Modèle", "Recette"))):
        env = dict(ENV, LOCPATH=locpath, LANGUAGE=lang, LC_ALL="de_DE.UTF-8")
        text = run([OP_LABELS, *ops], env=env).stdout
        for w in words:
            assert w in text, f"LANGUAGE={lang!r}: {w!r} not in\n{text}"
    english = run([OP_LABELS, *ops]).stdout
    assert "Contrastive Translation" in english and "Modell" not in english


print(f"1..{len(results)}")
for i, (ok, name, why) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} {name}")
    for line in why.splitlines():
        print(f"# {line}")
sys.exit(0)
