#!/usr/bin/python3
"""Exits 0 when every image has the pixels of the first (as RGBA 8-bit),
else prints where they differ and exits 1."""
import sys

import numpy as np
from PIL import Image


def load(path):
    return np.asarray(Image.open(path).convert("RGBA"), dtype=np.int16)


def main(paths):
    ref = load(paths[0])
    status = 0
    for path in paths[1:]:
        img = load(path)
        if img.shape != ref.shape:
            print(f"{path}: size {img.shape} differs from {paths[0]} {ref.shape}")
            status = 1
            continue
        diff = np.abs(img - ref)
        if diff.any():
            print(f"{path}: {np.count_nonzero(diff.any(axis=2))} pixels differ from "
                  f"{paths[0]}, by up to {diff.max()}")
            status = 1
        else:
            print(f"{path}: same pixels as {paths[0]}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
