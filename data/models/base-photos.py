#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rebuild the 36 photographs the base model base-photo.safetensors was trained on.

usage: /usr/bin/python3 data/models/base-photos.py OUT [--debs DIR]

Each photo comes from a Debian 12 package (listed below with its version and
license of record; data/models/SOURCES.md has the authors), fetched with
`apt-get download` (or taken from DIR), unpacked with `dpkg-deb -x` and scaled
to a 512-pixel short side (Lanczos, never up), written as PNG: the same bytes
on every machine.  None is a benchmark image, and none comes from the packages
kept for independent evaluation (gcompris-qt-data, texlive-*, lomiri-wallpapers).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

from PIL import Image

PACKAGES = {  # package: (version, license of record)
    "lifeograph": ("2.0.3-1", "GPL-3+"),
    "mate-backgrounds": ("1.26.0-1", "GPL-2+"),
    "palapeli-data": ("4:22.12.3-1", "GPL-2+"),
    "plasma-workspace-wallpapers": ("4:5.27.5-2", "GPL-2+"),
    "python3-skimage": ("0.19.3-8", "BSD-3-Clause"),
}
LIFEOGRAPH = "usr/share/net.sourceforge.Lifeograph/backgrounds/%s.jpg"
MATE = "usr/share/backgrounds/mate/nature/%s.jpg"
PALAPELI = "usr/share/palapeli/collection/%s.jpg"
PLASMA = "usr/share/wallpapers/%s/contents/images/*.jpg"  # the largest
SKIMAGE = "usr/lib/python3/dist-packages/skimage/data/%s"
PHOTOS = (
    [("lifeograph-" + n.lower(), "lifeograph", LIFEOGRAPH % n)
     for n in ("fog", "horizon", "pier", "sands", "snow", "trams")]
    + [("mate-" + n.lower(), "mate-backgrounds", MATE % n)
       for n in ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow",
                 "LadyBird", "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower")]
    + [("palapeli-" + n, "palapeli-data", PALAPELI % n)
       for n in ("castle-maintenon", "cincinnati-bridge", "european-honey-bee",
                 "panther-chameleon-female")]
    + [("plasma-" + n.lower(), "plasma-workspace-wallpapers", PLASMA % n)
       for n in ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "FallenLeaf",
                 "Grey", "Kite", "OneStandsOut", "Path", "summer_1am")]
    + [("skimage-" + n.split(".")[0], "python3-skimage", SKIMAGE % n)
       for n in ("chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg")]
)
SHORT_SIDE = 512


def unpack(package, debs, root):
    version = PACKAGES[package][0]
    pattern = "%s_%s_*.deb" % (package, version.replace(":", "%3a"))
    found = glob.glob(os.path.join(debs, pattern))
    if not found:
        subprocess.run(["apt-get", "download", "%s=%s" % (package, version)], cwd=debs,
                       check=True)
        found = glob.glob(os.path.join(debs, pattern))
    subprocess.run(["dpkg-deb", "-x", found[0], os.path.join(root, package)], check=True)


def largest(paths):
    def pixels(p):
        with Image.open(p) as im:
            return im.width * im.height
    return max(sorted(paths), key=pixels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--debs", help="a folder with the .deb files (else apt-get download)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        debs = os.path.abspath(args.debs) if args.debs else tmp
        for package in PACKAGES:
            unpack(package, debs, tmp)
        for name, package, path in PHOTOS:
            paths = glob.glob(os.path.join(tmp, package, path))
            if not paths:
                sys.exit("%s: %s not found in %s" % (name, path, package))
            with Image.open(largest(paths)) as im:
                im = im.convert("RGB")
                scale = SHORT_SIDE / min(im.size)
                if scale < 1:
                    size = (round(im.width * scale), round(im.height * scale))
                    im = im.resize(size, Image.LANCZOS)
                im.save(os.path.join(args.out, name + ".png"))
    print("%d photos in %s" % (len(PHOTOS), args.out))


if __name__ == "__main__":
    main()
