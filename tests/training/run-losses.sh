#!/bin/sh
# Exports the loss cases from the PyTorch reference and checks ours against them.
# usage: run-losses.sh PYTHON TEST_BINARY WORKDIR
# Exits 77 (skipped) when PyTorch is not available.
set -e
python=$1 binary=$2 work=$3
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "SKIP: $python cannot import torch (install python3-torch)"
  exit 77
fi
here=$(dirname "$0")
rm -rf "$work" && mkdir -p "$work"
"$python" "$here/../reference/losses.py" export --out "$work" >/dev/null
"$binary" --dir "$work" -p /losses/parity
rm -rf "$work"
