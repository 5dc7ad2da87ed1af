#!/bin/sh
# Exports a case from the SinCUT PyTorch reference and checks our engine against it.
# usage: run-sincut-parity.sh PYTHON TEST_BINARY WORKDIR [options shared by both]
# Exits 77 (skipped) when PyTorch is not available.
set -e
python=$1 binary=$2 work=$3
shift 3
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "SKIP: $python cannot import torch (install python3-torch)"
  exit 77
fi
here=$(dirname "$0")
rm -rf "$work" && mkdir -p "$work"
"$python" "$here/sincut_networks.py" export --out "$work" "$@" >/dev/null
"$binary" --dir "$work" "$@"
rm -rf "$work"
