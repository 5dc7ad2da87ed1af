#!/usr/bin/python3
"""The benchmark's scores (bench/quality/metrics.py) measure what they say.

    metrics-check.py PHOTO PAINTING

Exact properties, each of which a plausible slip breaks:

1. srgb_to_lab gives the published CIELAB values of sRGB white, red, blue
   and mid grey (to 0.02);
2. sobel_magnitude of a ramp rising by 1 per column is 8 everywhere (the
   kernel's weights 1, 2, 1 on both sides of a 2-pixel difference);
3. edge_correlation is 1 for the image itself, its negative and a contrast
   change, 0 for a constant image, negative for edges moved off each other,
   and refuses images of different sizes;
4. lab_distance of a flat colour against the same colour shifted by a vector
   of length 5 is 5 (within 0.2 %: the 128 directions' spread costs 0.03 %);
5. score: the photo against itself has SSIM 1 and edge correlation 1,
   swd_fine is the mean of the levels without the coarsest, and a second
   call gives the same numbers (seeded sampling); floor is below the photo's
   distances to the painting.

Exit 0 on success, 1 on a failed check, 77 (meson's "skip") if numpy or
Pillow is missing.
"""
import os
import sys

from checklist import check, finish

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

try:
    import numpy as np
    from quality import images, metrics
except ImportError as e:
    print("SKIP: %s" % e)
    sys.exit(77)


def close(a, b, tol):
    return abs(a - b) <= tol


def lab_reference():
    # Published values (sRGB, D65), e.g. Lindbloom's colour calculator.
    cases = {(1, 1, 1): (100, 0, 0), (1, 0, 0): (53.24, 80.09, 67.20),
             (0, 0, 1): (32.30, 79.19, -107.86), (0.5, 0.5, 0.5): (53.39, 0, 0)}
    for rgb, lab in cases.items():
        got = images.srgb_to_lab(np.array(rgb, dtype=float))
        check(all(close(g, w, 0.02) for g, w in zip(got, lab)),
              "srgb_to_lab%s = %s (CIE: %s)" % (rgb, np.round(got, 4).tolist(), lab))


def sobel():
    ramp = np.tile(np.arange(12, dtype=float), (9, 1))
    mag = metrics.sobel_magnitude(ramp)
    check(mag.shape == (7, 10) and np.allclose(mag, 8.0),
          "Sobel magnitude of a unit ramp is 8 on the 7x10 interior")


def edges(photo):
    r = metrics.edge_correlation
    check(close(r(photo, photo), 1, 1e-9), "edge r of the photo with itself is 1")
    check(close(r(photo, 1 - photo), 1, 1e-9), "edge r with its negative is 1")
    check(close(r(photo, 0.5 * photo + 0.2), 1, 1e-9), "edge r with less contrast is 1")
    check(r(photo, np.full_like(photo, 0.3)) == 0.0, "edge r with a flat image is 0")
    a = np.zeros((32, 32, 3))
    b = np.zeros((32, 32, 3))
    a[:, 10:] = 1
    b[:, 20:] = 1
    check(r(a, b) < 0, "edge r of two step edges 10 pixels apart is negative (%.3f)"
          % r(a, b))
    try:
        r(photo, photo[:-1])
        check(False, "edge r refuses images of different sizes")
    except ValueError:
        check(True, "edge r refuses images of different sizes")


def colour():
    lab = np.full((16, 16, 3), (50.0, 10.0, -20.0))
    d = metrics.lab_distance(lab, lab + np.array([3.0, 4.0, 0.0]))
    check(close(d, 5.0, 0.01), "a flat colour shifted by |t| = 5 scores %.4f" % d)
    check(metrics.lab_distance(lab, lab) == 0.0, "a flat colour against itself scores 0")


def scores(photo, painting):
    first = metrics.score(photo, photo, painting)
    check(close(first["ssim"], 1, 1e-9) and close(first["edge_r"], 1, 1e-9),
          "the photo against itself: SSIM %.6f, edge r %.6f" % (first["ssim"],
                                                                first["edge_r"]))
    levels = first["swd_levels"]
    check(len(levels) == 4 and close(first["swd_fine"], np.mean(levels[:3]), 1e-9)
          and close(first["swd"], np.mean(levels), 1e-9),
          "swd is the mean of the 4 levels, swd_fine of the finer 3")
    check(metrics.score(photo, photo, painting) == first, "a second call gives the "
          "same numbers")
    floor = metrics.floor(painting)
    check(floor["swd"] < first["swd"] and floor["colour"] < first["colour"],
          "the painting's floor (SWD %.1f, colour %.2f) is below the photo's distance "
          "(SWD %.1f, colour %.2f)" % (floor["swd"], floor["colour"], first["swd"],
                                       first["colour"]))


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    photo, painting = images.load_rgb(argv[1]), images.load_rgb(argv[2])
    lab_reference()
    sobel()
    edges(photo)
    colour()
    scores(photo, painting)
    finish()


if __name__ == "__main__":
    main(sys.argv)
