#!/usr/bin/python3
"""Writes Pillow's resizes of a real image for test-sampling.
Usage: sampling-reference.py IMAGE OUT.  OUT holds cases, each: five
little-endian int32 (src w, src h, dst w, dst h, filter 0 bilinear /
1 bicubic), the source RGB bytes, then Pillow's resized RGB bytes."""
import struct
import sys
from PIL import Image

BILINEAR, BICUBIC = 0, 1


def main():
    img = Image.open(sys.argv[1]).convert("RGB")
    small = img.crop((300, 200, 360, 240))  # 60×40, for upscaling
    cases = [
        (img, (286, 286), BICUBIC),  # CUT's transforms.Resize([286, 286])
        (img, (300, 200), BILINEAR),  # a SinCUT zoom
        (img, (700, 500), BICUBIC),  # mild shrink on one axis, growth on the other
        (small, (143, 97), BICUBIC),  # upscaling a small image
        (small, (64, 64), BILINEAR),
    ]
    with open(sys.argv[2], "wb") as out:
        for src, size, f in cases:
            res = src.resize(size, Image.BICUBIC if f == BICUBIC else Image.BILINEAR)
            out.write(struct.pack("<5i", src.size[0], src.size[1], size[0], size[1], f))
            out.write(src.tobytes())
            out.write(res.tobytes())


if __name__ == "__main__":
    main()
