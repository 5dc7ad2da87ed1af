#!/usr/bin/python3
"""compare-images.py [--tolerance N] REF IMAGE...
Exits 0 when every image has the pixels of REF (as RGBA 8-bit) within N
(default 0) in every channel, else prints where they differ and exits 1."""
import sys

import numpy as np
from PIL import Image


def load(path):
    return np.asarray(Image.open(path).convert("RGBA"), dtype=np.int16)


def main(args):
    tolerance = 0
    if args[0] == "--tolerance":
        tolerance, args = int(args[1]), args[2:]
    paths = args
    ref = load(paths[0])
    status = 0
    for path in paths[1:]:
        img = load(path)
        if img.shape != ref.shape:
            print(f"{path}: size {img.shape} differs from {paths[0]} {ref.shape}")
            status = 1
            continue
        diff = np.abs(img - ref)
        if (diff > tolerance).any():
            print(f"{path}: {np.count_nonzero(diff.any(axis=2))} pixels differ from "
                  f"{paths[0]}, by up to {diff.max()}")
            status = 1
        else:
            print(f"{path}: same pixels as {paths[0]} (differences up to {diff.max()})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
