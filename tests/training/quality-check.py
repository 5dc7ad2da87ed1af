#!/usr/bin/python3
"""Training actually learns: a short CUT run on one photo and one painting.

    quality-check.py GCUT_TRAIN GCUT_TRANSLATE RECIPE CONTENT STYLE [--steps N]

Trains RECIPE (quality-recipe.json: 300 steps of a CPU-tiny CUT) on CONTENT
(forest-small.png) and STYLE (starry-night.jpg, first resized so its shorter
side matches the content's, the scale the output is compared at), then checks:

1. the contrastive loss falls: the mean NCE_X of the last 50 steps is below
   0.8 x the mean of the first 50 (from the checkpoint's "trainer.losses");
2. the translation moved towards the style: SWD(output, style) <
   SWD(input, style), with bench/quality/swd.py (Laplacian pyramid, 4 levels,
   4096 7x7 patches per level, Karras's per-set normalization, seed 0).

Both checks can fail: --steps 1 (an essentially untrained generator) fails
both, which is how the test was shown to bite. Exit 0 on success, 1 on a
failed check, 77 (meson's "skip") if numpy or Pillow is missing.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

try:
    from quality import images, safetensors, swd
except ImportError as e:  # numpy / Pillow missing: not this test's concern
    print("SKIP: %s" % e)
    sys.exit(77)

WINDOW = 50           # steps averaged at each end of the NCE curve
NCE_DROP = 0.8        # the late mean must be below this fraction of the early one
SWD_ARGS = {"levels": 4, "patches": 4096, "seed": 0}


def run(cmd, what):
    """Run a tool with passive OpenMP waiting; fail the test with its output."""
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env)
    if p.returncode != 0:
        print(p.stdout)
        fail("%s exited with %d" % (what, p.returncode))


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check_nce_falls(ckpt):
    """Check 1; returns the early and late means for the log."""
    nce = safetensors.loss_history(ckpt)["NCE_X"]
    n = min(WINDOW, len(nce) // 2)
    early = nce[:n].mean() if n else float("nan")
    late = nce[-n:].mean() if n else float("nan")
    print("NCE_X over %d steps: first %d mean %.3f, last %d mean %.3f"
          % (len(nce), n, early, n, late))
    if not (n and late < NCE_DROP * early):
        fail("the contrastive loss did not fall below %.1f x its early mean" % NCE_DROP)


def check_swd_drops(content, output, style):
    """Check 2."""
    s = images.load_rgb(style)
    d_in = swd.swd(images.load_rgb(content), s, **SWD_ARGS)[0]
    d_out = swd.swd(images.load_rgb(output), s, **SWD_ARGS)[0]
    print("SWD x1e3 to the style: input %.1f, output %.1f" % (d_in, d_out))
    if not d_out < d_in:
        fail("the output is no closer to the style than the input (SWD)")


def main(argv):
    if len(argv) not in (6, 8) or (len(argv) == 8 and argv[6] != "--steps"):
        sys.exit(__doc__)
    train, translate, recipe, content, style = argv[1:6]
    steps = argv[7] if len(argv) == 8 else None
    with tempfile.TemporaryDirectory() as d:
        short = min(images.load_rgb(content).shape[:2])
        style_small = os.path.join(d, "style.png")
        images.resize_short_side(style, style_small, short)
        cmd = [train, "--device", "cpu", "--threads", "2", "--content", content,
               "--style", style_small, "--recipe", recipe, "--checkpoint-every", "0",
               "-o", os.path.join(d, "m.safetensors")]
        run(cmd + (["--steps", steps] if steps else []), "gcut-train")
        out = os.path.join(d, "out.png")
        run([translate, "--threads", "2", os.path.join(d, "m.safetensors"), content, out],
            "gcut-translate")
        failures = 0
        for check in (lambda: check_nce_falls(os.path.join(d, "m.ckpt.safetensors")),
                      lambda: check_swd_drops(content, out, style_small)):
            try:
                check()
            except SystemExit:
                failures += 1
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main(sys.argv)
