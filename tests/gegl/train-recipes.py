#!/usr/bin/python3
"""Every shipped recipe through gcut:train, as a user would pick it by name in
a gegl graph (TAP, one line per recipe).

    train-recipes.py BUILD_DIR SOURCE_DIR GEGL_PLUGINS_DIR

One step each on a small photo, so the full-size recipes (cut, monce, sincut,
…) fit in CI time: the step builds and runs every network and loss the recipe
names, and the op then keeps the result, saves it and translates with it.  The
saved model must give the op's own picture through gcut:translate."""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

BUILD, SOURCE, GEGL_PLUGINS = sys.argv[1:4]
RECIPES = os.path.join(SOURCE, "presets", "recipes")
SAMPLES = os.path.join(SOURCE, "data", "samples")
PHOTO = os.path.join(SAMPLES, "forest-small.png")
TMP = tempfile.mkdtemp(prefix="gcut-recipes-")
ENV = dict(os.environ, GEGL_PATH=os.path.join(BUILD, "operations") + ":" + GEGL_PLUGINS,
           GEGL_CUT_RECIPE_PATH=RECIPES, OMP_WAIT_POLICY="passive", LC_ALL="C.UTF-8",
           GEGL_CUT_MODEL_PATH=os.path.join(SOURCE, "data", "models"))


def gegl(*args):
    p = subprocess.run(["gegl", *args], env=ENV, capture_output=True, text=True,
                       timeout=600, errors="replace")
    if p.returncode != 0 or "gcut:" in p.stderr:
        raise AssertionError(f"gegl exited {p.returncode}: {p.stderr[-2000:]}")


def trains(name):
    model, out, applied = (os.path.join(TMP, name + ext)
                           for ext in (".safetensors", ".png", "-applied.png"))
    style = os.path.join(SAMPLES, "starry-night.jpg")
    gegl("-x", f'<gegl><node operation="gcut:train" run="true" recipe="{name}" steps="1" '
         f'model="{model}"><node operation="gegl:load" path="{style}"/></node>'
         f'<node operation="gegl:load" path="{PHOTO}"/></gegl>', "-o", out)
    gegl(PHOTO, "-o", applied, "--", "gcut:translate", f"model={model}")
    a, b, src = (np.asarray(Image.open(p)).astype(np.float64) for p in (out, applied, PHOTO))
    assert np.abs(a[..., :3] - src[..., :3]).mean() > 1, "the output is the photo"
    assert np.abs(a - b).max() <= 1, f"the saved model differs by {np.abs(a - b).max()}"
    base = json.load(open(os.path.join(RECIPES, name + ".json"))).get("init")
    if base:  # a recipe that names a base fine-tunes from it, and says so
        with open(model, "rb") as f:
            meta = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))["__metadata__"]
        assert json.loads(meta.get("base", "{}")).get("name") == base, f"no record of {base}"


names = sorted(f[:-5] for f in os.listdir(RECIPES) if f.endswith(".json"))
print(f"1..{len(names)}")
for i, name in enumerate(names, 1):
    try:
        trains(name)
        print(f"ok {i} {name}", flush=True)
    except Exception as e:  # every recipe is tried and reported
        print(f"not ok {i} {name}", flush=True)
        for line in str(e).splitlines():
            print(f"# {line}", flush=True)
