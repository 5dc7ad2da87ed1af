#!/bin/bash
# Item 9 of the reliability issue: no output of gcut-train or gcut-translate
# may be one of the inputs (compared by device and inode: ./ paths, symbolic
# and hard links), and gcut-train refuses to replace a file that is not a
# model.  Each refusal happens before any work, exits 2, names the file and
# leaves every file as it was.
# Usage: run-output-guard.sh GCUT_TRAIN GCUT_TRANSLATE RECIPE CONTENT STYLE MODEL
set -u
train=$(readlink -f "$1") translate=$(readlink -f "$2") recipe=$(readlink -f "$3")
content=$(readlink -f "$4") style=$(readlink -f "$5") model=$(readlink -f "$6")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/out" "$dir/err" 2>/dev/null; exit 1; }
cd "$dir" || exit 1
cp "$content" photo.png
cp "$style" style.jpg
cp "$model" model.safetensors
echo "my notes" > notes.txt
ln -s photo.png link.png
ln photo.png hard.png
sums () { md5sum photo.png style.jpg model.safetensors notes.txt; }
sums > sums.before

# refused CONTENT STYLE MESSAGE-PATTERN -- GCUT-TRAIN-ARGS…
refused () {
  local what=$1 pattern=$2
  shift 2
  "$train" --device cpu --threads 2 --recipe "$recipe" --steps 1 "$@" >out 2>err
  local rc=$?
  [ $rc -eq 2 ] || fail "$what: exit status $rc, expected 2"
  grep -q -- "$pattern" err || fail "$what: the message does not say “$pattern”"
  sums | cmp -s - sums.before || fail "$what: an input changed"
  echo "refused: $what"
}
refused "model over the content" "write the model to photo.png: it is the input photo.png" \
  -c photo.png -s style.jpg -o photo.png
refused "model over the content by ./" "it is the input photo.png" \
  -c photo.png -s style.jpg -o ./photo.png
refused "model over the content by a symbolic link" "it is the input photo.png" \
  -c photo.png -s style.jpg -o link.png
refused "model over the content by a hard link" "it is the input photo.png" \
  -c photo.png -s style.jpg -o hard.png
refused "model over the style" "it is the input style.jpg" \
  -c photo.png -s style.jpg -o style.jpg
refused "model over a file that is not a model" "replace “notes.txt”, which is not a gegl-cut/1 file" \
  -c photo.png -s style.jpg -o notes.txt
refused "checkpoint over the style" "write the checkpoint to style.jpg: it is the input" \
  -c photo.png -s style.jpg -o m.safetensors --checkpoint style.jpg
refused "checkpoint over a file that is not a model" "replace “notes.txt”" \
  -c photo.png -s style.jpg -o m.safetensors --checkpoint notes.txt
refused "checkpoint where the model goes" "the model goes there" \
  -c photo.png -s style.jpg -o m.safetensors --checkpoint ./m.safetensors
cp photo.png m.losses.png
refused "loss curve over the content" "write the loss curve to m.losses.png: it is the input" \
  -c m.losses.png -s style.jpg -o m.safetensors
rm m.losses.png
[ ! -e m.safetensors ] && [ ! -e m.ckpt.safetensors ] || fail "a refused run wrote files"

# A snapshot's name is known only at its step: that snapshot is not written,
# the run goes on.
cp photo.png m.step-000001.png
"$train" --device cpu --threads 2 --recipe "$recipe" --steps 2 --snapshot-every 1 \
  -c m.step-000001.png -s style.jpg -o m.safetensors >out 2>err \
  || fail "a snapshot over the content stopped the run"
grep -q "snapshot at step 1: not written over the input m.step-000001.png" err \
  || fail "no message for the snapshot over the content"
cmp -s photo.png m.step-000001.png || fail "the snapshot was written over the content"
[ -e m.step-000002.png ] || fail "the next snapshot was not written"
rm m.*
echo "refused: a snapshot over the content"

# What is allowed: replacing a model, and resuming into the checkpoint.
"$train" --device cpu --threads 2 --recipe "$recipe" --steps 1 -c photo.png -s style.jpg \
  -o model.safetensors >out 2>err || fail "replacing a model was refused"
cp model.safetensors sums.before.model
"$train" --device cpu --threads 2 --steps 2 -c photo.png -s style.jpg \
  --resume model.ckpt.safetensors -o model.safetensors >out 2>err \
  || fail "resuming into the same checkpoint was refused"
sums > sums.before
refused "model over the checkpoint it resumes" "it is the input model.ckpt.safetensors" \
  -c photo.png -s style.jpg --resume model.ckpt.safetensors -o model.ckpt.safetensors

# gcut-translate MODEL IN OUT.
for out in photo.png ./link.png hard.png model.safetensors; do
  "$translate" --threads 2 model.safetensors photo.png "$out" >out 2>err
  rc=$?
  [ $rc -eq 2 ] || fail "gcut-translate … $out: exit status $rc, expected 2"
  grep -q "refusing to write $out: it is the input" err \
    || fail "gcut-translate … $out: no refusal message"
  sums | cmp -s - sums.before || fail "gcut-translate … $out: an input changed"
  echo "refused: gcut-translate onto $out"
done
echo ok
