# Run inside GIMP 3's Python-Fu by gimp3-plugin-test.sh (exec'd by
# python-fu-eval, where Gimp and Gegl are imported): the plug-in's procedures
# through the PDB, and each gcut op as a GIMP filter (Gimp.DrawableFilter).
# Writes PNGs into $GCUT_TMP for the shell script to compare with the gegl
# tool, and FAIL lines for what goes wrong here.
import os

from gi.repository import Gio, Gimp, Gegl
from PIL import Image

tmp = os.environ["GCUT_TMP"]
content = os.environ["GCUT_CONTENT"]
style = os.environ["GCUT_STYLE"]
recipe = os.environ["GCUT_RECIPE"]
pdb = Gimp.get_pdb()
failures = []


def fail(what):
    failures.append(what)
    print("FAIL:", what)


def load(path):
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(path))
    return image, image.get_layers()[0]


def save(drawable, name):
    """The drawable's pixels as an 8-bit RGBA PNG."""
    buffer = drawable.get_buffer()
    rect = buffer.get_extent()
    data = buffer.get(rect, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.NONE)
    Image.frombytes("RGBA", (rect.width, rect.height), bytes(data)).save(
        os.path.join(tmp, name))


def run(name, image, drawable, **args):
    """Runs a plug-in procedure; returns (status, values after the status)."""
    proc = pdb.lookup_procedure(name)
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [drawable])
    for key, value in args.items():
        key = key.replace("_", "-")
        if key == "style-file":
            value = Gio.File.new_for_path(value)
        config.set_property(key, value)
    result = proc.run(config)
    return result.index(0), [result.index(i) for i in range(1, result.length())]


def expect_error(what, status, values):
    if status == Gimp.PDBStatusType.SUCCESS:
        fail(f"{what} succeeded")
    elif not values or what not in str(values[0]):
        fail(f"{what}: the error does not name it: {values}")
    else:
        print(f"expected error: {values[0]}")


# Training adds the translation as a layer and returns it with the model.
image, layer = load(content)
status, values = run("plug-in-gcut-train", image, layer, style_file=style, recipe=recipe,
                     steps=2, model_name="tiny")
model = os.path.join(os.environ["XDG_DATA_HOME"], "gegl-cut", "models", "tiny.safetensors")
if status != Gimp.PDBStatusType.SUCCESS:
    fail(f"plug-in-gcut-train: {status} {values}")
else:
    if values[0] != model:
        fail(f"plug-in-gcut-train returned {values[0]}, not {model}")
    if values[1].get_name() == layer.get_name() or image.get_layers()[0] != values[1]:
        fail("the trained layer is not the new top layer")
    save(values[1], "trained.png")
    # The style from a layer of another image, with a quality's recipe named.
    style_image, style_layer = load(style)
    status, values = run("plug-in-gcut-train", image, layer, style_layer=style_layer,
                         quality="quick", recipe=recipe, steps=1, model_name="from-layer")
    if status != Gimp.PDBStatusType.SUCCESS:
        fail(f"plug-in-gcut-train with a style layer: {status} {values}")

# Applying the model repaints the drawable.
status, values = run("plug-in-gcut-apply", image, layer, model=model, device="cpu")
if status != Gimp.PDBStatusType.SUCCESS:
    fail(f"plug-in-gcut-apply: {status} {values}")
save(layer, "applied.png")

# Bad inputs are PDB errors that name what is wrong, and change nothing.
image, layer = load(content)
expect_error("does-not-exist", *run("plug-in-gcut-apply", image, layer,
                                    model="does-not-exist"))
# GIMP checks that a file argument exists: the error names the argument.
expect_error("style-file", *run("plug-in-gcut-train", image, layer,
                                style_file=os.path.join(tmp, "no-such-style.jpg"),
                                recipe=recipe, steps=1, model_name="x"))
expect_error("no-such-recipe", *run("plug-in-gcut-train", image, layer, style_file=style,
                                    recipe="no-such-recipe", steps=1, model_name="x"))
expect_error("../escape", *run("plug-in-gcut-train", image, layer, style_file=style,
                               recipe=recipe, steps=1, model_name="../escape"))
expect_error("style", *run("plug-in-gcut-train", image, layer, recipe=recipe, steps=1,
                           model_name="x"))
# A model name taken by a file that is not a model: refused, the file kept.
taken = os.path.join(os.environ["XDG_DATA_HOME"], "gegl-cut", "models", "taken.safetensors")
os.makedirs(os.path.dirname(taken), exist_ok=True)
with open(taken, "w") as f:
    f.write("not a model")
expect_error("taken.safetensors", *run("plug-in-gcut-train", image, layer, style_file=style,
                                       recipe=recipe, steps=1, model_name="taken"))
with open(taken) as f:
    if f.read() != "not a model":
        fail("taken.safetensors, not a model, was replaced")
save(layer, "unchanged.png")


def apply_filter(op, name, aux=None, **props):
    """op as a GIMP filter on a fresh copy of the content, saved as name:
    appended (non-destructive) and merged; GIMP 3.0 applies a filter with an
    aux input (gcut:train's style) only destructively."""
    image, layer = load(content)
    f = Gimp.DrawableFilter.new(layer, op, None)
    config = f.get_config()
    for key, value in props.items():
        config.set_property(key.replace("_", "-"), value)
    if aux is None:
        f.update()
        layer.append_filter(f)
        layer.merge_filters()
    else:
        aux_image, aux_layer = load(aux)
        f.set_aux_input("aux", aux_layer)
        f.update()
        layer.merge_filter(f)
    save(layer, name)


if os.path.exists(model):
    apply_filter("gcut:translate", "filter-translate.png", model=model, device="cpu")
    apply_filter("gcut:similarity", "filter-similarity.png", model=model)
apply_filter("gcut:train", "filter-train.png", aux=style, run=True, recipe=recipe,
             steps=2, device="cpu")

print("gimp3-batch: %d failures" % len(failures))
