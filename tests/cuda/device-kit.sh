#!/bin/sh
# Packs a build for the device machine, which has a GPU, CUDA, cuDNN and
# PyTorch but none of our Debian libraries: BUILD's programs and modules, the
# shared libraries they need as ldd finds them here (CUDA's own excepted),
# GEGL's core, PNG and JPEG plug-ins, babl's extensions and the gegl CLI, as
# .device/kit.tar.xz (git-ignored; xz keeps it within what a device call may
# carry).  Carry .device there and run tests/cuda/device-session.sh.
#
#   sh tests/cuda/device-kit.sh [BUILD]
set -eu
build=${1:-build}
gegl_dir=$(pkg-config --variable=pluginsdir gegl-0.4)
babl_dir=$(pkg-config --variable=libdir babl)/babl-0.1
kit=$(mktemp -d)
trap 'rm -rf "$kit"' EXIT

# The build's outputs without its object files.
mkdir -p "$kit/build" "$kit/lib" "$kit/gegl-0.4" "$kit/bin"
tar -C "$build" --exclude='*.p' --exclude='meson-*' -cf - . | tar -C "$kit/build" -xf -
for op in gegl-core gegl-common gegl-generated png-load png-save jpg-load jpg-save; do
  cp "$gegl_dir/$op"*.so "$kit/gegl-0.4/"
done
cp -r "$babl_dir" "$kit/babl-0.1"
cp "$(command -v gegl)" "$kit/bin/"

# Every library an ELF file of the kit needs, but glibc's and CUDA's.
find "$kit" -type f \( -name '*.so*' -o -perm -u+x \) -exec sh -c \
  'file -b "$1" | grep -q ELF && ldd "$1" 2>/dev/null' sh {} \; |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
  grep -v -e '/libc\.so' -e '/libm\.so' -e '/libpthread\.so' -e '/libdl\.so' \
    -e '/librt\.so' -e '/ld-linux' -e '/usr/local/cuda' -e '/libcud' -e '/libcublas' |
  while read -r lib; do cp -L "$lib" "$kit/lib/"; done

mkdir -p .device
tar -C "$kit" -cJf .device/kit.tar.xz .
echo "$(du -h .device/kit.tar.xz | cut -f1) in .device/kit.tar.xz"
