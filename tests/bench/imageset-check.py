#!/usr/bin/python3
"""The benchmark's image set is what bench/quality/README.md promises.

    imageset-check.py

Checks bench/quality/pairs.json and bench/quality/images:

1. at least 10 pairs, no pair twice; at least 4 photos and 4 paintings, each
   in at least one pair;
2. every file exists; photos have a 512-pixel short side, paintings at most
   512 (the scale the benchmark scores at, never upscaled);
3. images/SOURCES.md has a section for every file (its name in backquotes);
4. the quick subset has 3 to 5 pairs, no photo or painting twice;
5. the whole set stays small: under 4 MB.

Exit 0 on success, 1 on a failed check, 77 if Pillow is missing.
"""
import json
import os
import sys

from checklist import check, finish

HERE = os.path.dirname(os.path.abspath(__file__))
QUALITY = os.path.join(HERE, "..", "..", "bench", "quality")
sys.path.insert(0, os.path.join(QUALITY, ".."))

try:
    from PIL import Image
    from quality import imageset
except ImportError as e:
    print("SKIP: %s" % e)
    sys.exit(77)


def main():
    with open(imageset.PAIRS_JSON) as f:
        spec = json.load(f)
    pairs = imageset.load()
    names = [p.name for p in pairs]
    check(len(pairs) >= 10 and len(set(names)) == len(names),
          "%d pairs, all different" % len(pairs))
    for kind in ("photos", "paintings"):
        used = {getattr(p, kind[:-1]) for p in pairs}
        check(len(spec[kind]) >= 4 and used == set(spec[kind]),
              "%d %s, each in a pair" % (len(spec[kind]), kind))
    with open(os.path.join(QUALITY, "images", "SOURCES.md")) as f:
        sources = f.read()
    total = 0
    for kind, exact in (("photos", True), ("paintings", False)):
        for name, entry in spec[kind].items():
            path = os.path.join(QUALITY, "images", entry["file"])
            if not os.path.exists(path):
                check(False, "%s exists" % entry["file"])
                continue
            total += os.path.getsize(path)
            short = min(Image.open(path).size)
            check(short == 512 if exact else short <= 512,
                  "%s: short side %d" % (entry["file"], short))
            check("`%s`" % entry["file"] in sources,
                  "%s has its source in images/SOURCES.md" % entry["file"])
    quick = imageset.select(pairs, quick=True)
    check(3 <= len(quick) <= 5 and len({p.photo for p in quick}) == len(quick)
          and len({p.painting for p in quick}) == len(quick),
          "quick subset: %s" % ", ".join(p.name for p in quick))
    check(total < 4 << 20, "the images take %.1f MB" % (total / 1048576))
    finish()


if __name__ == "__main__":
    main()
