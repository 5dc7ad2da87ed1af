"""Sliced Wasserstein distance (SWD) on Laplacian-pyramid 7x7 patches.

How far the local texture statistics of one image are from another's: used
here between a translation and the style painting (lower = closer to the
style), and between the untouched input and the style (the "do nothing"
baseline the translation should beat). The method is the one of Karras et al.,
"Progressive Growing of GANs" (ICLR 2018, appendix D, and
metrics/sliced_wasserstein.py of their code), which the MoNCE paper reports;
what a single image pair needs is adapted as stated below.

Exact choices:

1. Pixels: sRGB values in [0, 1], 3 channels (the scale does not matter, see 4).
2. Laplacian pyramid of `levels` levels (default 4): G0 = image;
   G(k+1) = blur(G(k))[::2, ::2]; L(k) = G(k) - up(G(k+1)); the last level is
   the low-pass G(levels-1) itself. blur = the 5x5 binomial filter
   [1 4 6 4 1]^T [1 4 6 4 1] / 256 with mirror borders (numpy 'reflect' =
   scipy 'mirror', as in the reference code, which matches cv2.pyrDown);
   up = zero insertion then the same filter times 4 (cv2.pyrUp), cropped to
   the finer level's size so odd sizes work (the reference assumes powers of 2).
3. Descriptors: `patches` (default 8192) 7x7x3 neighbourhoods per level per
   image, centres drawn uniformly with replacement among the positions where
   the whole patch fits (the reference draws 128 per image from many images;
   one image needs them all from itself).
4. Normalization, Karras's recipe ("per-set", the default): for each level and
   each image separately, subtract the per-channel mean and divide by the
   per-channel standard deviation over all that image's descriptors at that
   level, then flatten to 147-vectors. This makes SWD blind to a global
   per-channel offset and gain per pyramid level: it measures texture and
   colour *structure*, not global colour. norm="style" instead uses the
   second image's (the style's) mean and standard deviation for both sets,
   which keeps global colour differences in the score.
5. Projection: `repeats` (4) times, `directions` (128) random directions,
   Gaussian then unit length; both descriptor sets are projected, each
   projection sorted, and the mean |difference| of the sorted values is the
   1-D Wasserstein-1 distance per direction (both sets have the same count).
   The level's SWD is the mean over directions and repeats. Projections
   and sorting run in float32 (descriptors are standardized, so float32's
   7 digits are far below the noise floor).
6. Result: per-level SWD times 1e3 (as the reference reports "SWDx1e3") and
   their mean over levels.
7. Randomness: numpy default_rng seeded with [seed, 0] for the directions,
   [seed, 1] for the first image's patches and [seed, 2] for the second's,
   so with the same seed two calls against the same style image use the same
   style patches and the same directions, and compare like with like.

Two independent samples of one image do not score 0: there is a noise floor
(see `noise_floor`), which shrinks as `patches` grows.
"""
import numpy as np

BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
PATCH = 7


def blur(img, gain=1.0):
    """Separable 5x5 binomial blur of an (H, W, C) array with mirror borders."""
    k = BINOMIAL * gain ** 0.5
    p = np.pad(img, ((2, 2), (0, 0), (0, 0)), mode="reflect")
    h = img.shape[0]
    rows = sum(k[i] * p[i:i + h] for i in range(5))
    p = np.pad(rows, ((0, 0), (2, 2), (0, 0)), mode="reflect")
    w = img.shape[1]
    return sum(k[i] * p[:, i:i + w] for i in range(5))


def pyr_down(img):
    """cv2.pyrDown: blur, keep every other row and column."""
    return blur(img)[::2, ::2]


def pyr_up(img, shape):
    """cv2.pyrUp cropped to `shape`: zero insertion, blur with gain 4."""
    up = np.zeros((img.shape[0] * 2, img.shape[1] * 2, img.shape[2]))
    up[::2, ::2] = img
    return blur(up, gain=4.0)[:shape[0], :shape[1]]


def laplacian_pyramid(img, levels):
    """Band-pass levels L0..L(n-2) and the low-pass residual, finest first."""
    gauss = [np.asarray(img, dtype=np.float64)]
    for _ in range(levels - 1):
        if min(gauss[-1].shape[:2]) < 2 * PATCH:
            raise ValueError("image too small for %d pyramid levels of %dx%d patches"
                             % (levels, PATCH, PATCH))
        gauss.append(pyr_down(gauss[-1]))
    lap = [g - pyr_up(n, g.shape) for g, n in zip(gauss[:-1], gauss[1:])]
    return lap + [gauss[-1]]


def random_patches(level, count, rng):
    """`count` random 7x7 neighbourhoods of an (H, W, C) level, as
    (count, C, 7, 7) like the reference code (channel-major flattening)."""
    h, w, _ = level.shape
    r = PATCH // 2
    if h < PATCH or w < PATCH:
        raise ValueError("pyramid level %dx%d is smaller than a %dx%d patch"
                         % (w, h, PATCH, PATCH))
    ys = rng.integers(r, h - r, size=count)
    xs = rng.integers(r, w - r, size=count)
    off = np.arange(-r, r + 1)
    yy = ys[:, None, None] + off[None, :, None]
    xx = xs[:, None, None] + off[None, None, :]
    return level[yy, xx].transpose(0, 3, 1, 2)


def normalize(desc, stats_from=None):
    """Per-channel standardization (Karras's finalize_descriptors), flattened.

    stats_from: descriptors whose mean and standard deviation to use (the
    style's, for norm="style"); None uses desc's own (per-set)."""
    ref = desc if stats_from is None else stats_from
    mean = ref.mean(axis=(0, 2, 3), keepdims=True)
    std = ref.std(axis=(0, 2, 3), keepdims=True)
    std = np.where(std > 0, std, 1.0)
    return ((desc - mean) / std).reshape(desc.shape[0], -1)


def wasserstein_along(a, b, dirs):
    """Mean over the columns of `dirs` (unit directions) of the 1-D
    Wasserstein-1 distance between the projections of two equally sized
    point sets (rows of a and b)."""
    a, b = a.astype(np.float32), b.astype(np.float32)  # twice as fast, ample
    dirs = dirs.astype(np.float32)
    # Sort along contiguous rows: sorting down the columns of a C-ordered
    # array is several times slower.
    pa = np.sort(np.ascontiguousarray((a @ dirs).T), axis=1)
    pb = np.sort(np.ascontiguousarray((b @ dirs).T), axis=1)
    return float(np.mean(np.abs(pa - pb), dtype=np.float64))


def sliced_wasserstein(a, b, repeats, directions, rng):
    """Mean over random unit directions of the 1-D Wasserstein-1 distance
    between the projections of two equally sized descriptor sets."""
    results = []
    for _ in range(repeats):
        dirs = rng.standard_normal((a.shape[1], directions))
        dirs /= np.sqrt(np.sum(dirs * dirs, axis=0, keepdims=True))
        results.append(wasserstein_along(a, b, dirs))
    return float(np.mean(results))


def swd(img, ref, levels=4, patches=8192, repeats=4, directions=128, seed=0,
        norm="per-set"):
    """SWD x 1e3 between two (H, W, 3) images in [0, 1].

    Returns (mean over levels, [per level, finest first]). `ref` is the style
    image; norm="style" standardizes both sets with its statistics.
    """
    if norm not in ("per-set", "style"):
        raise ValueError("norm must be 'per-set' or 'style'")
    rng_dirs = np.random.default_rng([seed, 0])
    rng_a = np.random.default_rng([seed, 1])
    rng_b = np.random.default_rng([seed, 2])
    per_level = []
    for la, lb in zip(laplacian_pyramid(img, levels), laplacian_pyramid(ref, levels)):
        da = random_patches(la, patches, rng_a)
        db = random_patches(lb, patches, rng_b)
        if norm == "style":
            da, db = normalize(da, db), normalize(db)
        else:
            da, db = normalize(da), normalize(db)
        per_level.append(1e3 * sliced_wasserstein(da, db, repeats, directions, rng_dirs))
    return float(np.mean(per_level)), per_level


def noise_floor(img, **kwargs):
    """SWD of an image against itself with independent patch draws: the
    smallest score the sample size can resolve."""
    return swd(img, img, **kwargs)[0]
