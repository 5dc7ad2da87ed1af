#!/usr/bin/python3
"""Colour transfers of the photo to the painting, scored like the benchmark's methods.

    /usr/bin/python3 bench/quality/colour_baselines.py [--quick | --pairs P,P]

No training and no network: how far recolouring alone goes on the benchmark's
measures, the baseline that showed the palette (training/gct-palette.h) was
worth building. Prints a markdown table of means over the pairs:

- reinhard: the mean and spread of Y', Cb and Cr moved to the painting's;
- hist-rgb: the histogram of R', G' and B' each matched to the painting's;
- hist-ycc: the histogram of Y', Cb and Cr each matched (what the palette does,
  with exact ranks instead of its 4096 bins and 256 levels);
- hist-pca: the histograms along the painting's principal colour axes;
- sliced-ot: sliced optimal transport of the RGB pixels (30 random rotations,
  seed 0).
"""
import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from quality import images, imageset, metrics  # noqa: E402

YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                [0.5, -0.418688, -0.081312]])


def match_histograms(src, ref):
    """Each channel of src (H×W×C) given ref's values at the same rank."""
    out = np.empty_like(src)
    for c in range(src.shape[2]):
        values = src[..., c].ravel()
        order = np.argsort(values, kind="stable")
        ranks = np.linspace(0, 1, values.size)
        target = np.sort(ref[..., c].ravel())
        matched = np.empty_like(values)
        matched[order] = np.interp(ranks, np.linspace(0, 1, target.size), target)
        out[..., c] = matched.reshape(src.shape[:2])
    return out


def in_basis(basis, transfer):
    """transfer applied to the photo and painting expressed in an orthogonal
    or invertible basis (rows), back to RGB, clipped."""
    inverse = np.linalg.inv(basis)

    def run(photo, painting):
        return np.clip(transfer(photo @ basis.T, painting @ basis.T) @ inverse.T, 0, 1)
    return run


def reinhard(a, b):
    return (a - a.mean((0, 1))) / (a.std((0, 1)) + 1e-6) * b.std((0, 1)) + b.mean((0, 1))


def hist_pca(photo, painting):
    pixels = painting.reshape(-1, 3)
    _, _, axes = np.linalg.svd(pixels - pixels.mean(0), full_matrices=False)
    return in_basis(axes, match_histograms)(photo, painting)


def sliced_ot(photo, painting, iterations=30):
    rng = np.random.default_rng(0)
    x, y = photo.reshape(-1, 3).copy(), painting.reshape(-1, 3)
    ranks = np.linspace(0, 1, len(x))
    for _ in range(iterations):
        rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        xp, yp = x @ rotation, y @ rotation
        for c in range(3):
            order = np.argsort(xp[:, c], kind="stable")
            target = np.interp(ranks, np.linspace(0, 1, len(yp)), np.sort(yp[:, c]))
            xp[order, c] = target
        x = xp @ rotation.T
    return np.clip(x.reshape(photo.shape), 0, 1)


METHODS = {
    "reinhard": in_basis(YCC, reinhard),
    "hist-rgb": lambda p, s: np.clip(match_histograms(p, s), 0, 1),
    "hist-ycc": in_basis(YCC, match_histograms),
    "hist-pca": hist_pca,
    "sliced-ot": sliced_ot,
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="the 4 pairs marked quick")
    p.add_argument("--pairs", help="comma-separated PHOTO+PAINTING names")
    args = p.parse_args(argv)
    pairs = imageset.select(imageset.load(), args.quick,
                            args.pairs.split(",") if args.pairs else None)
    scores = {m: [] for m in METHODS}
    for pair in pairs:
        photo, painting = images.load_rgb(pair.photo_path), images.load_rgb(pair.painting_path)
        for name, transfer in METHODS.items():
            scores[name].append(metrics.score(transfer(photo, painting), photo, painting))
        print("scored %s" % pair.name, file=sys.stderr, flush=True)
    keys = ("swd", "swd_fine", "ssim", "edge_r", "colour")
    print("| colour transfer (%d pairs) | SWD | SWD fine | SSIM | edge r | colour |" % len(pairs))
    print("|---|---:|---:|---:|---:|---:|")
    for name, rows in scores.items():
        means = [statistics.mean(r[k] for r in rows) for k in keys]
        print("| %s | %.1f | %.1f | %.3f | %.3f | %.1f |" % (name, *means))


if __name__ == "__main__":
    main()
