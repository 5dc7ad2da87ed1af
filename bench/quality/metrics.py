"""The benchmark's scores of one translated image (benchmark.py).

Every score is computed on the images as the benchmark holds them: the photo
and the output at a 512-pixel short side, the painting as stored in
bench/quality/images (at most 512 pixels on its short side), sRGB values in
[0, 1] (images.load_rgb). All sampling is seeded, so the same three images
always give the same numbers.

- swd, swd_fine, swd_levels: style match, output against the painting. The
  sliced Wasserstein distance x1e3 of swd.py (4-level Laplacian pyramid, 8192
  7x7 patches per level and image, 4 x 128 directions, Karras's per-set
  normalization, seed 0); swd_levels lists the levels finest first, swd is
  their mean and swd_fine the mean of all but the coarsest, which is the
  low-pass image at 1/8 scale (colour layout rather than brush texture).
  Lower = closer to the painting's texture.
- ssim: content kept, output against the photo: mean SSIM of the Rec. 601
  luma (ssim.py). 1 = the photo's structure untouched.
- edge_r: content kept, output against the photo: the Pearson correlation,
  over all pixels but the 1-pixel border, of the Sobel gradient magnitudes
  (3x3 kernels) of the two lumas (edge_correlation). 1 = the same edges in
  the same places at proportional strengths; it ignores a change of contrast
  or an inversion of brightness.
- colour: palette match, output against the painting: the sliced
  Wasserstein-1 distance between CIELAB colours of 16384 pixels drawn from
  each image, along 128 directions spread over the sphere (lab_distance), in
  CIELAB units: a uniform colour shift by a vector of length d scores d.
  Lower = closer to the painting's colours.
"""
import numpy as np

from . import swd
from .images import luminance, srgb_to_lab
from .ssim import ssim_gray

SWD_ARGS = {"levels": 4, "patches": 8192, "repeats": 4, "directions": 128, "seed": 0}
COLOUR_SAMPLES = 16384
COLOUR_SEED = 0
COLOUR_DIRECTIONS = 128


def sobel_magnitude(gray):
    """|gradient| of a 2-D array by the 3x3 Sobel kernels, over the pixels
    whose whole neighbourhood lies inside (shape (H-2, W-2))."""
    g = np.asarray(gray, dtype=np.float64)
    h, w = g.shape

    def at(dy, dx):
        return g[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx]

    gx = (at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))
    gy = (at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))
    return np.hypot(gx, gy)


def edge_correlation(rgb_a, rgb_b):
    """Pearson correlation of the Sobel gradient magnitudes of two images'
    luma. An image without any edge (constant) correlates with nothing: 0."""
    if rgb_a.shape != rgb_b.shape:
        raise ValueError("edge correlation needs images of the same size, got %s and %s"
                         % (rgb_a.shape, rgb_b.shape))
    a = sobel_magnitude(luminance(rgb_a)).ravel()
    b = sobel_magnitude(luminance(rgb_b)).ravel()
    a, b = a - a.mean(), b - b.mean()
    norm = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / norm) if norm > 0 else 0.0


def sphere_directions(n=COLOUR_DIRECTIONS):
    """n unit vectors spread evenly over the sphere (a Fibonacci lattice), as
    the columns of a (3, n) array."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - z * z)
    phi = np.pi * (3.0 - np.sqrt(5.0)) * i
    return np.stack([r * np.cos(phi), r * np.sin(phi), z])


def lab_distance(lab_a, lab_b, samples=COLOUR_SAMPLES, seed=COLOUR_SEED):
    """Sliced Wasserstein-1 distance between the colours of two CIELAB images.

    `samples` pixels are drawn uniformly with replacement from each image
    (numpy default_rng seeded [seed, 3] and [seed, 4]), projected on the
    sphere_directions, and the mean 1-D Wasserstein-1 distance over those
    directions is doubled: the mean of |t . d| over directions spread evenly
    on the sphere is |t| / 2, so a uniform shift by t scores |t| (to 0.05 %
    with 128 directions)."""
    a = np.asarray(lab_a, dtype=np.float64).reshape(-1, 3)
    b = np.asarray(lab_b, dtype=np.float64).reshape(-1, 3)
    pa = a[np.random.default_rng([seed, 3]).integers(0, len(a), size=samples)]
    pb = b[np.random.default_rng([seed, 4]).integers(0, len(b), size=samples)]
    return 2.0 * swd.wasserstein_along(pa, pb, sphere_directions())


def colour_distance(rgb_a, rgb_b):
    """lab_distance of two sRGB images."""
    return lab_distance(srgb_to_lab(rgb_a), srgb_to_lab(rgb_b))


def score(output, photo, painting):
    """All scores of one output (arrays from images.load_rgb), as a dict."""
    if output.shape != photo.shape:
        raise ValueError("the output is %dx%d but the photo %dx%d"
                         % (output.shape[1], output.shape[0], photo.shape[1],
                            photo.shape[0]))
    mean, levels = swd.swd(output, painting, **SWD_ARGS)
    return {
        "swd": mean,
        "swd_fine": float(np.mean(levels[:-1])),
        "swd_levels": [float(v) for v in levels],
        "ssim": ssim_gray(luminance(photo), luminance(output)),
        "edge_r": edge_correlation(photo, output),
        "colour": colour_distance(output, painting),
    }


def floor(painting):
    """The smallest swd and colour the sample sizes can resolve: the painting
    against itself with independent draws."""
    return {"swd": swd.noise_floor(painting, **SWD_ARGS),
            "colour": colour_distance(painting, painting)}
