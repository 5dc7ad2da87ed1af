#!/bin/sh
# Records a few steps of our trainer and replays them in a PyTorch reference
# trainer (tests/reference/cut_trainer.py or sincut_trainer.py), which compares
# losses, gradients, parameters and Adam states.
# usage: run-trainer-parity.sh PYTHON TEST_BINARY WORKDIR RECIPE CONTENT STYLE STEPS REFERENCE
# REFERENCE: the script's name in tests/reference, without .py.
# Exits 77 (skipped) when PyTorch is not available.
set -e
python=$1 binary=$2 work=$3 recipe=$4 content=$5 style=$6 steps=$7 reference=$8
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "SKIP: $python cannot import torch (install python3-torch)"
  exit 77
fi
here=$(dirname "$0")
rm -rf "$work" && mkdir -p "$work"
"$binary" --recipe "$recipe" --content "$content" --style "$style" --steps "$steps" \
  --threads 2 --out "$work"
"$python" "$here/../reference/$reference.py" compare --recipe "$recipe" --dir "$work" \
  --threads 2
rm -rf "$work"
