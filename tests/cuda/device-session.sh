#!/bin/bash
# Every GPU check and race of issues 5 and 6 in one call on the device machine:
# unpacks .device/kit.tar.xz (tests/cuda/device-kit.sh), then runs the CUDA
# parity tests, the network and training races against PyTorch on the same
# GPU, and training and translation on the GPU through gcut-train,
# gcut-translate and the gegl CLI.  Logs and pictures go to $OUT (the device
# tool's folder; /tmp/gcut-device elsewhere).  A failing step is reported and
# the next one runs.
#
#   bash tests/cuda/device-session.sh
set -u
src=$PWD
out=${OUT:-/tmp/gcut-device}
kit=$(mktemp -d)
mkdir -p "$out"
tar -C "$kit" -xJf .device/kit.tar.xz
b=$kit/build

export LD_LIBRARY_PATH=$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# cuDNN 9: the system's, else PyTorch's wheel's
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libcudnn\.so\.9'; then
  cudnn=$(python3 -c 'import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__) + "/lib")' 2>/dev/null)
  [ -n "$cudnn" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$cudnn
fi
export GCUT_CUDA_MODULE=$b/engine/cuda/libgcut-cuda.so
export GEGL_PATH=$b/operations:$kit/gegl-0.4 BABL_PATH=$kit/babl-0.1
export GEGL_CUT_MODEL_PATH=$src/data/models

step() {
  echo "== $*"
  local start=$SECONDS
  "$@"
  echo "== exit $? after $((SECONDS - start)) s"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
# Parity with the CPU backend, and the losses against PyTorch's float64
step "$b/tests/cuda/test-cuda"
step "$b/tests/training/test-losses" --backend cuda
# Races on the same GPU: networks, then training steps (issue 5: CUT at
# batch 1 against eager fp32, batch 4 against bf16 autocast + channels_last;
# issue 6: SinCUT's step and its 100k-step projection)
step python3 bench/bench-cuda.py --build "$b" --reps 20
race="python3 bench/race_training.py --build $b --device cuda --steps 20 --warmup 5"
step $race
step $race --batch 4
step $race --batch 4 --torch-amp
step $race --recipe presets/recipes/sincut.json
step $race --recipe presets/recipes/hdce-src-single.json
# The tools on the GPU
step "$b/training/gcut-train" --device cuda --content data/samples/forest.jpg \
  --style data/samples/starry-night.jpg --recipe cut --steps 200 -o "$out/cut-cuda.safetensors"
step "$b/training/gcut-translate" --device cuda "$out/cut-cuda.safetensors" \
  data/samples/forest.jpg "$out/forest-cut-cuda.png"
step "$kit/bin/gegl" data/samples/forest.jpg -o "$out/forest-gegl-cuda.png" -- \
  gcut:translate device=cuda
rm -rf "$kit"
