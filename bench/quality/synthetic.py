"""The synthetic task with a known ground truth (METHODS.md section 5).

"Make the style image with a known filter (a GEGL artistic filter applied to a
second photo), train on (photo A, filtered photo B), and score G(A) against the
filter applied to A." Here, exactly:

- photo A = data/samples/forest.jpg, photo B = data/samples/boats.jpg (two
  unrelated photos), both resized (Lanczos, aspect kept) so the shorter side is
  the evaluation size (default: the recipe's load_size) *before* filtering, so
  the filter acts at the scale the generator sees;
- the filter F = the gegl CLI chain FILTER (default
  "gegl:oilify radius=2 gegl:sepia": oil-paint smearing, an artistic filter
  with texture, then sepia toning, a colour change the generator must learn);
- the model is trained with content A and style F(B); G(A) is the translation
  of A;
- scored against the ground truth F(A), on sRGB values in [0, 1]:
  RMSE over all pixels and channels (the headline "synthetic error"), PSNR =
  20 log10(1 / RMSE), and SSIM on luminance (ssim.py);
- the same scores for A itself ("do nothing") are the baseline a useful model
  must beat.
"""
import math
import shutil
import subprocess

import numpy as np

from .images import load_rgb
from .ssim import ssim_luminance

DEFAULT_FILTER = "gegl:oilify radius=2 gegl:sepia"


def apply_gegl_filter(src, dst, chain=DEFAULT_FILTER, gegl="gegl"):
    """Run `gegl -i src -o dst -- CHAIN` (the known filter F)."""
    exe = shutil.which(gegl)
    if not exe:
        raise RuntimeError("the synthetic task needs the gegl command-line tool "
                           "(Debian package gegl)")
    proc = subprocess.run([exe, "-i", src, "-o", dst, "--"] + chain.split(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("gegl failed on %s: %s" % (src, proc.stderr.strip()))


def rmse(a, b):
    """Root mean square error over pixels and channels, values in [0, 1]."""
    if a.shape != b.shape:
        raise ValueError("images differ in size: %s and %s" % (a.shape, b.shape))
    return float(np.sqrt(np.mean((a - b) ** 2)))


def psnr(err):
    """PSNR in dB for an RMSE on [0, 1] values."""
    return math.inf if err == 0 else 20.0 * math.log10(1.0 / err)


def score(candidate_path, truth_path):
    """RMSE, PSNR and luminance SSIM of one image against the ground truth."""
    cand, truth = load_rgb(candidate_path), load_rgb(truth_path)
    e = rmse(cand, truth)
    return {"rmse": e, "psnr": psnr(e), "ssim": ssim_luminance(cand, truth)}
