#!/bin/sh
# Exports R1 cases from the PyTorch reference (tests/reference/r1_reference.py)
# and checks training/r1.c against them.
# usage: run-r1-parity.sh PYTHON TEST_BINARY WORKDIR
# Exits 77 (skipped) when PyTorch is not available.
set -e
python=$1 binary=$2 work=$3
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "SKIP: $python cannot import torch (install python3-torch)"
  exit 77
fi
ref=$(dirname "$0")/../reference/r1_reference.py
rm -rf "$work" && mkdir -p "$work"
# The trainer's initialization (gain 0.02), and larger weights with γ 10.
"$python" "$ref" --out "$work/b1-ndf8" --batch 1 --ndf 8 --size 64 --threads 2
"$python" "$ref" --out "$work/b2-ndf16" --batch 2 --ndf 16 --size 64 --seed 1 \
  --init-gain 0.5 --gamma 10 --threads 2
"$python" "$ref" --out "$work/b2-ndf8-no-antialias" --batch 2 --ndf 8 --size 64 \
  --seed 2 --no-antialias --threads 2
"$binary" --dir "$work" -p /r1/parity
rm -rf "$work"
