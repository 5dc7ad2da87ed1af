#!/bin/sh
# Exports a case from a PyTorch reference (cut_networks.py, sincut_networks.py)
# and checks our engine against it.
# usage: run-parity.sh PYTHON REFERENCE TEST_BINARY WORKDIR [options shared by both]
# Exits 77 (skipped) when PyTorch is not available.
set -e
python=$1 reference=$2 binary=$3 work=$4
shift 4
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "SKIP: $python cannot import torch (install python3-torch)"
  exit 77
fi
here=$(dirname "$0")
rm -rf "$work" && mkdir -p "$work"
"$python" "$here/$reference" export --out "$work" "$@" >/dev/null
"$binary" --dir "$work" "$@"
rm -rf "$work"
