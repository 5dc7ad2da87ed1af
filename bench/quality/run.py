#!/usr/bin/python3
"""Train, translate and score: one quality table per recipe.

    /usr/bin/python3 bench/quality/run.py [--build build] [--steps N] \
        [--size S] [--threads 2] [--no-synthetic] cut-cpu [more recipes...]

For each recipe (a name in presets/recipes or a JSON file):

1. style transfer: content (forest.jpg) and style (starry-night.jpg) resized so
   the shorter side is S (default: the recipe's load_size, the scale the
   generator trains at); gcut-train on them; gcut-translate of the content;
   then SWD(output, style) against SWD(input, style) (swd.py; lower is closer
   to the style), SSIM of luminance (output, input) (ssim.py; content kept),
   and the NCE_X loss averaged over the first and the last 10 % of the steps
   (from the checkpoint's loss history);
2. the synthetic task (synthetic.py): train on (A, F(B)) and score G(A)
   against F(A), with A itself as the "do nothing" baseline.

Training runs with OMP_WAIT_POLICY=passive (spinning OpenMP threads crawl on a
shared machine). Timings printed are wall-clock and depend on the load.
"""
import argparse
import json
import os
import sys
import tempfile

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from quality import images, safetensors, swd, synthetic  # noqa: E402
from quality.ssim import ssim_luminance  # noqa: E402
from quality.tools import SOURCE_ROOT, recipe_path, run_logged, tool  # noqa: E402

SAMPLES = os.path.join(SOURCE_ROOT, "data", "samples")


def recipe_load_size(path, content):
    """The default evaluation scale: the recipe's sampling.load_size, or for
    the single-image recipes (zoomed crops of the image as it is) the
    content's own short side."""
    with open(path) as f:
        sampling = json.load(f)["sampling"]
    if sampling.get("mode") == "zoom_crops":
        return min(images.Image.open(content).size)
    return int(sampling.get("load_size", 286))


def train_and_translate(args, recipe, content, style, stem):
    """gcut-train on (content, style), then gcut-translate content.

    Returns (translated image path, checkpoint path, training seconds)."""
    cmd = [tool(args.build, "gcut-train"), "--device", "cpu", "--threads", str(args.threads),
           "--content", content, "--style", style, "--recipe", recipe,
           "--checkpoint-every", "0", "-o", stem + ".safetensors"]
    if args.steps:
        cmd += ["--steps", str(args.steps)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    seconds = run_logged(cmd, stem + ".train.log").wall_s
    out = stem + ".out.png"
    run_logged([tool(args.build, "gcut-translate"), "--threads", str(args.threads),
                stem + ".safetensors", content, out], stem + ".translate.log")
    return out, stem + ".ckpt.safetensors", seconds


def style_transfer_rows(args, recipe, size, work):
    """Train on the style pair and score: SWD, SSIM, NCE."""
    content = os.path.join(work, "content.png")
    style = os.path.join(work, "style.png")
    images.resize_short_side(args.content, content, size)
    images.resize_short_side(args.style, style, size)
    out, ckpt, seconds = train_and_translate(args, recipe, content, style,
                                             os.path.join(work, "transfer"))
    x, y, s = images.load_rgb(content), images.load_rgb(out), images.load_rgb(style)
    kw = {"patches": args.patches, "seed": args.seed or 0}
    history = safetensors.loss_history(ckpt)
    nce0, nce1 = safetensors.early_late(history["NCE_X"])
    rows = [
        ("steps trained", "%d (%.0f s wall)" % (len(history["NCE_X"]), seconds)),
        ("NCE_X first/last 10 %", "%.3f -> %.3f" % (nce0, nce1)),
        ("SWD x1e3 output -> style", "%.1f" % swd.swd(y, s, **kw)[0]),
        ("SWD x1e3 input  -> style", "%.1f" % swd.swd(x, s, **kw)[0]),
        ("SWD x1e3 style  -> style (floor)", "%.1f" % swd.noise_floor(s, **kw)),
        ("SWD x1e3 (style norm) out / in", "%.1f / %.1f" % (
            swd.swd(y, s, norm="style", **kw)[0], swd.swd(x, s, norm="style", **kw)[0])),
        ("SSIM luma output vs input", "%.3f" % ssim_luminance(x, y)),
    ]
    return rows


def synthetic_rows(args, recipe, size, work):
    """The synthetic task: train on (A, F(B)), score G(A) against F(A)."""
    a = os.path.join(work, "A.png")
    b = os.path.join(work, "B.png")
    fa = os.path.join(work, "F-A.png")
    fb = os.path.join(work, "F-B.png")
    images.resize_short_side(args.photo_a, a, size)
    images.resize_short_side(args.photo_b, b, size)
    synthetic.apply_gegl_filter(a, fa, args.filter)
    synthetic.apply_gegl_filter(b, fb, args.filter)
    ga, _, seconds = train_and_translate(args, recipe, a, fb, os.path.join(work, "synthetic"))
    model = synthetic.score(ga, fa)
    base = synthetic.score(a, fa)
    return [
        ("synthetic: training", "%.0f s wall" % seconds),
        ("synthetic RMSE G(A) vs F(A)", "%.4f (PSNR %.2f dB)" % (model["rmse"], model["psnr"])),
        ("synthetic RMSE A vs F(A) (baseline)", "%.4f (PSNR %.2f dB)" % (base["rmse"], base["psnr"])),
        ("synthetic SSIM luma G(A) / A vs F(A)", "%.3f / %.3f" % (model["ssim"], base["ssim"])),
    ]


def print_table(title, rows):
    """A two-column Markdown table, ready to paste into notes."""
    width = max(len(k) for k, _ in rows)
    print("\n### %s\n" % title)
    print("| %-*s | value |" % (width, "metric"))
    print("|%s|-------|" % ("-" * (width + 2)))
    for k, v in rows:
        print("| %-*s | %s |" % (width, k, v))
    sys.stdout.flush()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("recipes", nargs="+", help="recipe names or JSON files")
    p.add_argument("--build", default=os.path.join(SOURCE_ROOT, "build"),
                   help="meson build directory (default: build)")
    p.add_argument("--steps", type=int, default=0,
                   help="train this many steps instead of the recipe's")
    p.add_argument("--seed", type=int, default=None, help="training seed override")
    p.add_argument("--size", type=int, default=0,
                   help="evaluation short side (default: the recipe's load_size, or the "
                   "content's own for single-image recipes)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--patches", type=int, default=8192,
                   help="SWD patches per pyramid level")
    p.add_argument("--content", default=os.path.join(SAMPLES, "forest.jpg"))
    p.add_argument("--style", default=os.path.join(SAMPLES, "starry-night.jpg"))
    p.add_argument("--photo-a", default=os.path.join(SAMPLES, "forest.jpg"))
    p.add_argument("--photo-b", default=os.path.join(SAMPLES, "boats.jpg"))
    p.add_argument("--filter", default=synthetic.DEFAULT_FILTER,
                   help="gegl op chain of the synthetic task")
    p.add_argument("--no-synthetic", action="store_true")
    p.add_argument("--workdir", help="keep models and images here (default: temporary)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for name in args.recipes:
        recipe = recipe_path(name)
        size = args.size or recipe_load_size(recipe, args.content)
        work = os.path.join(args.workdir, os.path.basename(recipe)[:-5]) if args.workdir \
            else tempfile.mkdtemp(prefix="gcut-quality-")
        os.makedirs(work, exist_ok=True)
        rows = style_transfer_rows(args, recipe, size, work)
        if not args.no_synthetic:
            rows += synthetic_rows(args, recipe, size, work)
        steps = "recipe steps" if not args.steps else "--steps %d" % args.steps
        print_table("%s (%s, evaluated at short side %d)" % (name, steps, size), rows)
        print("\n(files in %s)" % work)


if __name__ == "__main__":
    main()
