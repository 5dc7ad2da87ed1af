#!/usr/bin/python3
"""gcut-train on a decompression bomb: a 95 KB PNG that decodes to 9000×9000
pixels, trained on with an address space of 1 GiB, as content of a
resize_crop recipe and as style of a zoom_crops one.  Reading it whole would
take 1.3 GB as R'G'B'A float; the trainer reads it in strips and keeps what
the recipe needs.

    train-large-image.py GCUT_TRAIN RESIZE_RECIPE ZOOM_RECIPE CONTENT STYLE"""
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from png_bomb import write_png_bomb  # noqa: E402

train, resize_recipe, zoom_recipe, content, style = sys.argv[1:6]
SIDE = 9000
LIMIT = 1 << 30


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, resource.RLIM_INFINITY))


def training_record(model):
    with open(model, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(json.loads(f.read(n))["__metadata__"]["training"])


failed = False
with tempfile.TemporaryDirectory() as tmp:
    big = os.path.join(tmp, "bomb.png")
    write_png_bomb(big, SIDE)
    print(f"# {big}: {os.path.getsize(big)} bytes, {SIDE}×{SIDE} pixels")
    for name, recipe, c, s, side in (("resize_crop", resize_recipe, big, style, "content"),
                                     ("zoom_crops", zoom_recipe, content, big, "style")):
        model = os.path.join(tmp, name + ".safetensors")
        p = subprocess.run([train, "--device", "cpu", "--threads", "2", "--content", c,
                            "--style", s, "--recipe", recipe, "--steps", "1",
                            "--checkpoint-every", "0", "-o", model],
                           preexec_fn=limit, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            print(f"FAIL: {name}: exit status {p.returncode}\n{p.stderr[-2000:]}")
            failed = True
            continue
        record = training_record(model)[side]
        if (record["width"], record["height"]) != (SIDE, SIDE):
            print(f"FAIL: {name}: the record says {record}")
            failed = True
            continue
        print(f"ok: {name}, the bomb as {side}")
sys.exit(1 if failed else 0)
