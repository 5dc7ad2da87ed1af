#!/bin/bash
# Item 10 of the reliability issue: SIGTERM and SIGHUP stop gcut-train like
# Ctrl-C: between steps, with the checkpoint written, the resume command
# printed and the exit status 128 + the signal; the run then resumes.
# Usage: run-stop-signals.sh GCUT_TRAIN RECIPE CONTENT STYLE
set -u
train=$1 recipe=$2 content=$3 style=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/out" "$dir/err" 2>/dev/null; exit 1; }

for signal in TERM HUP; do
  rm -f "$dir"/m.*
  "$train" --device cpu --threads 2 --content "$content" --style "$style" \
    --recipe "$recipe" --steps 100000 --checkpoint-every 0 -o "$dir/m.safetensors" \
    >"$dir/out" 2>"$dir/err" &
  pid=$!
  i=0
  until grep -q '^[0-9]*/100000' "$dir/out" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 600 ] || { kill -KILL $pid; fail "no progress line"; }
    sleep 0.1
  done
  kill -$signal $pid
  wait $pid
  rc=$?
  expected=$((128 + $(kill -l $signal)))
  [ $rc -eq $expected ] || fail "exit status $rc after SIG$signal, expected $expected"
  grep -q 'Resume with:' "$dir/err" || fail "SIG$signal: no resume command"
  [ -f "$dir/m.ckpt.safetensors" ] || fail "SIG$signal: no checkpoint"
  step=$(sed -n 's/.*cancelled at step \([0-9]*\).*/\1/p' "$dir/err")
  [ -n "$step" ] || fail "SIG$signal: no step in the message"
  "$train" --device cpu --threads 2 --content "$content" --style "$style" \
    --resume "$dir/m.ckpt.safetensors" --steps $((step + 1)) -o "$dir/m.safetensors" \
    >"$dir/out" 2>"$dir/err" || fail "SIG$signal: resume failed"
  echo "SIG$signal: stopped at step $step with a checkpoint, resumed"
done
echo ok
