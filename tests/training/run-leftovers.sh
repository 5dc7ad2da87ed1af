#!/bin/bash
# Item 10 of the reliability issue: temporary files that a killed run left
# are removed by the next run on that path, and nothing else is: only the
# exact names our writers use for that run's outputs, only stale ones.
#   .NAME.gcut-XXXXXX     (this version; live writers hold a lock on it)
#   NAME.XXXXXX           (earlier model writer: empty or a model's header)
#   .STEM.XXXXXX.EXT      (earlier image writer's placeholder: empty)
#   .goutputstream-XXXXXX (GIO's, under GEGL: empty or an image's first bytes)
# The earlier writers took no lock: theirs must also be 10 minutes old.
# Usage: run-leftovers.sh GCUT_TRAIN GCUT_TRANSLATE RECIPE CONTENT STYLE MODEL
set -u
train=$(readlink -f "$1") translate=$(readlink -f "$2") recipe=$(readlink -f "$3")
content=$(readlink -f "$4") style=$(readlink -f "$5") model=$(readlink -f "$6")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/out" "$dir/err" 2>/dev/null; exit 1; }
cd "$dir" || exit 1
old () { touch -d '1 hour ago' "$@"; }

# Stale, for the outputs of gcut-train -o m.safetensors:
: > .m.safetensors.gcut-Ab12Cd
: > .m.ckpt.safetensors.gcut-zzzzzz
head -c 200 "$model" > m.ckpt.safetensors.Q1w2E3
: > m.safetensors.abcdef
: > .m.losses.X9y8Z7.png
: > .m.step-000100.a1B2c3.png
head -c 16 "$content" > .goutputstream-Kq3mP0
old m.ckpt.safetensors.Q1w2E3 m.safetensors.abcdef .m.losses.X9y8Z7.png \
  .m.step-000100.a1B2c3.png .goutputstream-Kq3mP0
stale=".m.safetensors.gcut-Ab12Cd .m.ckpt.safetensors.gcut-zzzzzz m.ckpt.safetensors.Q1w2E3
       m.safetensors.abcdef .m.losses.X9y8Z7.png .m.step-000100.a1B2c3.png
       .goutputstream-Kq3mP0"

# Kept: a live writer's file (locked), earlier names touched recently, other
# contents, other outputs' names, near misses.
: > .m.safetensors.gcut-L1v3W2
exec 8<.m.safetensors.gcut-L1v3W2 # this shell holds the lock, as a live writer
flock -n 8 || fail "cannot lock a file here"
head -c 200 "$model" > m.ckpt.safetensors.R4t5Y6
echo "my notes" > m.safetensors.backup
cp "$content" .m.losses.backup.png
echo "not an image" > .goutputstream-Zx8Cv7
: > .other.safetensors.gcut-Ab12Cd
: > .m.safetensors.gcut-Ab12C
: > .m.safetensors.gcut-Ab12Cd.png
: > m.step-000100.png.gcut-Ab12Cd
old m.safetensors.backup .m.losses.backup.png .goutputstream-Zx8Cv7 \
  .other.safetensors.gcut-Ab12Cd .m.safetensors.gcut-Ab12C .m.safetensors.gcut-Ab12Cd.png \
  m.step-000100.png.gcut-Ab12Cd
kept=".m.safetensors.gcut-L1v3W2 m.ckpt.safetensors.R4t5Y6 m.safetensors.backup
      .m.losses.backup.png .goutputstream-Zx8Cv7 .other.safetensors.gcut-Ab12Cd
      .m.safetensors.gcut-Ab12C .m.safetensors.gcut-Ab12Cd.png m.step-000100.png.gcut-Ab12Cd"

"$train" --device cpu --threads 2 --content "$content" --style "$style" \
  --recipe "$recipe" --steps 1 -o m.safetensors >out 2>err || fail "gcut-train failed"
for f in $stale; do [ ! -e "$f" ] || fail "gcut-train left $f"; done
for f in $kept; do [ -e "$f" ] || fail "gcut-train removed $f"; done
grep -q "Removed 7 temporary files" out || fail "gcut-train did not say what it removed"
echo "gcut-train: removed the 7 stale files, kept the 9 others"

# gcut-translate, both forms.
: > .t.png.gcut-Ab12Cd
"$translate" --untrained --ngf 4 --n-blocks 1 --threads 2 "$content" t.png >out 2>err \
  || fail "gcut-translate failed"
[ ! -e .t.png.gcut-Ab12Cd ] || fail "gcut-translate left .t.png.gcut-Ab12Cd"
mkdir batch
: > batch/.photo.png.gcut-Ab12Cd
: > batch/.photo.png.gcut-L1v3W2
exec 9<batch/.photo.png.gcut-L1v3W2
flock -n 9 || fail "cannot lock a file here"
cp "$content" photo.png
"$translate" --untrained --ngf 4 --n-blocks 1 --threads 2 -o batch photo.png >out 2>err \
  || fail "gcut-translate -o failed"
[ ! -e batch/.photo.png.gcut-Ab12Cd ] || fail "gcut-translate -o left a stale file"
[ -e batch/.photo.png.gcut-L1v3W2 ] || fail "gcut-translate -o removed a live writer's file"
echo "gcut-translate: removed stale files, kept a live one"
echo ok
