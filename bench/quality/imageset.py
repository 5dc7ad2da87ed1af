"""The benchmark's image set: pairs.json and the files it names.

pairs.json (beside this file) lists the photos {name: {file, kind}}, the
paintings {name: {file, style}} and the pairs [{photo, painting, quick}];
files are relative to bench/quality/images. A pair is named PHOTO+PAINTING.
"""
import json
import os
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS_JSON = os.path.join(HERE, "pairs.json")

Pair = namedtuple("Pair", "name photo painting photo_path painting_path kind style quick")


def load(path=PAIRS_JSON):
    """All pairs of a pairs file, in its order."""
    with open(path) as f:
        spec = json.load(f)
    base = os.path.join(os.path.dirname(os.path.abspath(path)), "images")
    pairs = []
    for p in spec["pairs"]:
        photo, painting = spec["photos"][p["photo"]], spec["paintings"][p["painting"]]
        pairs.append(Pair("%s+%s" % (p["photo"], p["painting"]), p["photo"], p["painting"],
                          os.path.join(base, photo["file"]),
                          os.path.join(base, painting["file"]),
                          photo["kind"], painting["style"], bool(p.get("quick"))))
    return pairs


def select(pairs, quick=False, names=None):
    """The quick subset, the named pairs (in the order given), or all."""
    if names:
        by_name = {p.name: p for p in pairs}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ValueError("unknown pair %s; the pairs are: %s"
                             % (", ".join(unknown), ", ".join(by_name)))
        return [by_name[n] for n in names]
    return [p for p in pairs if p.quick] if quick else list(pairs)
