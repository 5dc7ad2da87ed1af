#!/usr/bin/python3
"""Writes a .safetensors file with nothing but struct and json.

An independent writer for the C reader to read back: unlike ours it does not
pad the header (so the data starts misaligned), puts tensors in its own order
with a 3-byte tensor first (so the next ones are misaligned too), orders the
keys of each entry differently, uses json.dumps' spaces, and escapes non-ASCII
names as \\uXXXX, surrogate pairs included.

Usage: write-reference.py OUTPUT
"""
import json
import struct
import sys

TENSORS = [
    ("bytes", "U8", [3], struct.pack("<3B", 1, 2, 255)),
    ("weight", "F32", [2, 3], struct.pack("<6f", *[i * 0.5 - 1 for i in range(6)])),
    ("steps", "I64", [2], struct.pack("<2q", -5, 1 << 40)),
    ("half", "F16", [2], struct.pack("<2e", 1.5, -2.0)),
    ("scale", "F64", [], struct.pack("<d", 0.125)),
    ("mask", "BOOL", [2, 2], bytes([1, 0, 0, 1])),
    ("empty", "F32", [0, 4], b""),
    ("ids", "I32", [3], struct.pack("<3i", -1, 0, 7)),
    ("\u00e9-\u540d\u524d-\U0001f3a8", "I16", [1], struct.pack("<h", -300)),
]


def main(path):
    header = {
        "__metadata__": {"format": "gegl-cut/1", "note": "written by write-reference.py"}
    }
    data = b""
    for name, dtype, shape, raw in TENSORS:
        header[name] = {
            "shape": shape,
            "data_offsets": [len(data), len(data) + len(raw)],
            "dtype": dtype,
        }
        data += raw
    text = json.dumps(header).encode("ascii")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
