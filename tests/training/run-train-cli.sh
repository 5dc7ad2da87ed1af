#!/bin/sh
# gcut-train and gcut-translate end to end: a run of the tiny recipe stopped
# with SIGINT (exit 130, checkpoint written, resume command printed), resumed
# to the end, then the model applied with gcut-translate; and a generator
# too large for memory refused with a message.
# Usage: run-train-cli.sh GCUT_TRAIN GCUT_TRANSLATE RECIPE CONTENT STYLE
set -u
train=$1 translate=$2 recipe=$3 content=$4 style=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/out" "$dir/err" 2>/dev/null; exit 1; }

"$train" --device cpu --threads 2 --content "$content" --style "$style" \
  --recipe "$recipe" --steps 100000 --checkpoint-every 0 -o "$dir/m.safetensors" \
  >"$dir/out" 2>"$dir/err" &
pid=$!
# Wait until it trains, then interrupt it.
i=0
until grep -q '^[0-9]*/100000' "$dir/out" 2>/dev/null; do
  i=$((i + 1)); [ $i -le 600 ] || { kill $pid; fail "no progress line"; }
  sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "exit status $rc after SIGINT, expected 130"
grep -q 'Resume with:' "$dir/err" || fail "no resume command"
[ -f "$dir/m.ckpt.safetensors" ] || fail "no checkpoint"
step=$(sed -n 's/.*cancelled at step \([0-9]*\).*/\1/p' "$dir/err")
[ -n "$step" ] || fail "no step in the message"
echo "interrupted at step $step"

"$train" --device cpu --threads 2 --content "$content" --style "$style" \
  --resume "$dir/m.ckpt.safetensors" --steps $((step + 3)) -o "$dir/m.safetensors" \
  >"$dir/out" 2>"$dir/err" || fail "resume failed"
grep -q "^$((step + 3))/$((step + 3))" "$dir/out" || fail "resume did not reach step $((step + 3))"
[ -f "$dir/m.safetensors" ] && [ -f "$dir/m.losses.png" ] || fail "no model or loss curve"

"$translate" --threads 2 "$dir/m.safetensors" "$content" "$dir/t.png" \
  >"$dir/out" 2>"$dir/err" || fail "gcut-translate failed"
[ -s "$dir/t.png" ] || fail "no translated image"

# A generator too large for memory (2.4 billion parameters against a 4 GB
# address space) is an error, not an abort.
(ulimit -v 4000000
 "$translate" --untrained --ngf 512 --n-blocks 32 --threads 1 "$content" "$dir/big.png") \
  >"$dir/out" 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'not enough memory' "$dir/err" || fail "huge generator: exit $rc"
echo "ok"
