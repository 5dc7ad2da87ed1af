#!/bin/bash
# Item 8 of the reliability issue: every file is written atomically with
# checked writes and the user's umask.  A write that fails half-way (the
# process's file size limit, SIGXFSZ ignored: a full disk without root) must
# fail with a message, keep the old file byte for byte and leave no temporary
# file; outputs get 0666 less the umask, images included.
# Usage: run-save-safety.sh GCUT_TRAIN GCUT_TRANSLATE RECIPE CONTENT STYLE
set -u
train=$1 translate=$2 recipe=$3 content=$4 style=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/out" "$dir/err" 2>/dev/null; exit 1; }
mode () { stat -c %a "$1"; }
tiny_translate () { "$translate" --untrained --ngf 4 --n-blocks 1 --threads 2 "$@"; }

# An image, then the same path again under a file size limit below its size.
umask 022
tiny_translate "$content" "$dir/t.png" >"$dir/out" 2>"$dir/err" \
  || fail "gcut-translate failed"
[ "$(mode "$dir/t.png")" = 644 ] || fail "t.png has mode $(mode "$dir/t.png") under umask 022"
cp "$dir/t.png" "$dir/before"
size=$(stat -c %s "$dir/t.png")
(
  trap '' XFSZ
  ulimit -f $((size / 2048)) # 1024-byte blocks: a quarter of the image
  tiny_translate --seed 7 "$content" "$dir/t.png" >"$dir/out" 2>"$dir/err"
)
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc for a write cut short, expected 1"
grep -q 'error writing .*t.png.*File too large' "$dir/err" || fail "no write error reported"
grep -q '^Wrote' "$dir/out" && fail "claims to have written the image"
cmp -s "$dir/before" "$dir/t.png" || fail "the old image was not kept"
[ "$(ls -A "$dir" | sort | tr '\n' ' ')" = "before err out t.png " ] \
  || fail "files left behind: $(ls -A "$dir")"
echo "image: a write cut short keeps the old file"

# Models, checkpoints, loss curves and snapshots under another umask.
mkdir "$dir/run"
(
  umask 027
  "$train" --device cpu --threads 2 --content "$content" --style "$style" \
    --recipe "$recipe" --steps 2 --snapshot-every 1 -o "$dir/run/m.safetensors" \
    >"$dir/out" 2>"$dir/err"
) || fail "gcut-train failed"
for f in m.safetensors m.ckpt.safetensors m.losses.png m.step-000001.png; do
  [ "$(mode "$dir/run/$f")" = 640 ] || fail "$f has mode $(mode "$dir/run/$f") under umask 027"
done
echo "modes: 0666 less the umask"

# The model written again under a limit below its size.
cp "$dir/run/m.safetensors" "$dir/before"
size=$(stat -c %s "$dir/run/m.safetensors")
(
  trap '' XFSZ
  ulimit -f $((size / 2048))
  "$train" --device cpu --threads 2 --content "$content" --style "$style" \
    --recipe "$recipe" --steps 2 --seed 9 -o "$dir/run/m.safetensors" \
    >"$dir/out" 2>"$dir/err"
)
rc=$?
[ $rc -eq 1 ] || fail "gcut-train: exit status $rc for a model write cut short, expected 1"
grep -q 'error writing .*m.safetensors.*File too large' "$dir/err" \
  || fail "gcut-train: no write error reported"
cmp -s "$dir/before" "$dir/run/m.safetensors" || fail "the old model was not kept"
ls -A "$dir/run" | grep -q gcut- && fail "temporary files left: $(ls -A "$dir/run")"
echo "model: a write cut short keeps the old file"
echo ok
