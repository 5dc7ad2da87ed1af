"""Image loading, resizing and colour conversion shared by the metrics.

Every metric works on float64 arrays of shape (H, W, 3) with values in [0, 1]
(sRGB-encoded, like the files and like the networks' data), so that results do
not depend on whether a file was 8- or 16-bit.
"""
import numpy as np
from PIL import Image


def load_rgb(path):
    """Load an image file as float64 (H, W, 3) in [0, 1].

    16-bit PNGs (what the gegl CLI writes) are read at full precision; alpha
    is dropped because none of the metrics looks at it.
    """
    im = Image.open(path)
    if im.mode in ("I;16", "I;16B", "I"):
        a = np.asarray(im, dtype=np.float64) / 65535.0
        return np.repeat(a[:, :, None], 3, axis=2)
    if im.mode not in ("RGB", "RGBA") and not im.mode.startswith("RGB"):
        im = im.convert("RGB")
    a = np.asarray(im)
    if a.dtype == np.uint16 or a.max(initial=0) > 255:
        a = a.astype(np.float64) / 65535.0
    else:
        a = a.astype(np.float64) / 255.0
    return a[:, :, :3]


def save_rgb(path, rgb):
    """Write a float (H, W, 3) image in [0, 1] as an 8-bit file."""
    a = np.clip(np.rint(np.asarray(rgb) * 255.0), 0, 255).astype(np.uint8)
    Image.fromarray(a, "RGB").save(path)


def resize_short_side(src, dst, short_side):
    """Resize an image file so its shorter side is `short_side` (Lanczos,
    aspect kept) and write it to `dst` as 8-bit RGB PNG.

    The benchmark evaluates at the scale the model is trained at (the recipe's
    load_size), so the 7x7 patches of the metrics see textures at the size the
    generator learned them.
    """
    im = Image.open(src).convert("RGB")
    w, h = im.size
    s = short_side / min(w, h)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    im.resize(size, Image.LANCZOS).save(dst)
    return size


def luminance(rgb):
    """Rec. 601 luma Y = 0.299 R + 0.587 G + 0.114 B of sRGB-encoded values.

    The weights of Matlab's rgb2gray, which Wang et al.'s SSIM code uses; the
    SSIM constants assume this gamma-encoded scale, not linear light.
    """
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


# sRGB primaries to CIE XYZ, D65 white (IEC 61966-2-1), and that white.
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65_WHITE = SRGB_TO_XYZ.sum(axis=1)


def srgb_to_lab(rgb):
    """CIELAB (L* 0..100) of sRGB-encoded values in [0, 1], D65 white.

    The sRGB transfer curve is undone (linear segment below 0.04045), the
    linear values go to XYZ with the sRGB matrix, and L*a*b* follow the CIE
    1976 formulas (cube root above (6/29)^3, linear below)."""
    c = np.asarray(rgb, dtype=np.float64)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    t = (linear @ SRGB_TO_XYZ.T) / D65_WHITE
    d = 6.0 / 29.0
    f = np.where(t > d ** 3, np.cbrt(t), t / (3 * d * d) + 4.0 / 29.0)
    return np.stack([116.0 * f[..., 1] - 16.0,
                     500.0 * (f[..., 0] - f[..., 1]),
                     200.0 * (f[..., 1] - f[..., 2])], axis=-1)
