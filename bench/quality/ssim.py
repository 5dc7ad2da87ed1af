"""SSIM on luminance: how much of the input's structure the output keeps.

Exactly the mean SSIM of Wang, Bovik, Sheikh and Simoncelli (IEEE TIP 2004):

- both images converted to Rec. 601 luma (images.luminance) in [0, 1], so the
  dynamic range L = 1;
- local statistics with an 11x11 Gaussian window, sigma 1.5, normalized to
  sum 1, evaluated only where the window fits ('valid', as filter2 in the
  authors' ssim_index.m);
- C1 = (K1 L)^2, C2 = (K2 L)^2 with K1 = 0.01, K2 = 0.03;
- SSIM map = ((2 mu_x mu_y + C1)(2 sigma_xy + C2)) /
             ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),
  and the score is its mean.

Unlike the authors' later ssim.m there is no automatic downsampling of large
images: the benchmark already works at the model's training scale.
"""
import numpy as np

from .images import luminance

K1, K2 = 0.01, 0.03
WINDOW, SIGMA = 11, 1.5


def gaussian_window(size=WINDOW, sigma=SIGMA):
    """The 1-D normalized Gaussian; the 2-D window is its outer product."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def filter_valid(img, g):
    """Separable 'valid' correlation of a 2-D array with g (rows then columns).

    Separable because the Gaussian window is, which keeps this numpy-only code
    fast on whole photos.
    """
    n = len(g)
    h, w = img.shape
    rows = sum(g[i] * img[:, i:w - n + 1 + i] for i in range(n))
    return sum(g[i] * rows[i:h - n + 1 + i, :] for i in range(n))


def ssim_gray(x, y, data_range=1.0):
    """Mean SSIM of two grey images of equal shape."""
    if x.shape != y.shape:
        raise ValueError("SSIM needs images of the same size, got %s and %s"
                         % (x.shape, y.shape))
    if min(x.shape) < WINDOW:
        raise ValueError("SSIM needs images of at least %d pixels a side" % WINDOW)
    g = gaussian_window()
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    mx, my = filter_valid(x, g), filter_valid(y, g)
    sxx = filter_valid(x * x, g) - mx * mx
    syy = filter_valid(y * y, g) - my * my
    sxy = filter_valid(x * y, g) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


def ssim_luminance(rgb_a, rgb_b):
    """Mean SSIM between the luma of two RGB images in [0, 1]."""
    return ssim_gray(luminance(rgb_a), luminance(rgb_b))
