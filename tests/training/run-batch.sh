#!/bin/bash
# gcut-translate's batch form (platform issue, item 5): a folder with a
# corrupt file (the batch goes on, lists it, exits 1), an output that exists
# (skipped), an input inside OUTDIR (never written over), -j 2 giving the same
# bytes as -j 1, shards that partition the inputs, then the README's GNU
# parallel and Slurm examples as written there.
# Usage: run-batch.sh GCUT_TRANSLATE MODEL CONTENT README
set -u
translate=$(readlink -f "$1") model=$(readlink -f "$2") content=$(readlink -f "$3")
readme=$(readlink -f "$4")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/stdout" "$dir/stderr" 2>/dev/null; exit 1; }
tiny () { "$translate" --untrained --ngf 4 --n-blocks 1 --threads 1 "$@" >stdout 2>stderr; }
sum () { awk '{ s += $1 } END { print s }' "$1"; }
outputs () { (cd "$1" && ls -A | sort | tr '\n' ' '); }
cd "$dir" || exit 1

mkdir photos photos/sub out
for x in a b c d e f; do cp "$content" photos/$x.png; done
gegl "$content" -o photos/g.jpg || fail "gegl could not write a JPEG"
printf 'not a PNG at all' > photos/bad.png
echo "notes" > photos/notes.txt
cp "$content" photos/.hidden.png
cp "$content" photos/sub/s.png
echo "sentinel" > out/b.png

# A folder, a quoted pattern naming a file of it again, a missing file.
tiny -o out photos/ 'photos/*.jpg' missing.png
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc with failures, expected 1"
[ "$(outputs out)" = "a.png b.png c.png d.png e.png f.png g.png " ] \
  || fail "outputs: $(outputs out)"
[ "$(cat out/b.png)" = sentinel ] || fail "an existing output was not skipped"
grep -q "^skipped photos/b.png: out/b.png exists" stdout || fail "no skipped line"
grep -q "^6 translated, 1 skipped (output exists), 2 failed" stdout || fail "no summary"
sed -n '/^Failed:/,$p' stderr > failed
grep -q "^  photos/bad.png: GEGL could not read" failed || fail "bad.png not listed"
grep -q "^  missing.png: No such file" failed || fail "missing.png not listed"
echo "folder: 6 translated, 1 skipped, the corrupt and the missing file listed"

# An input inside OUTDIR is never written over, even with --overwrite.
cp out/a.png a.before
tiny --overwrite -o out out/a.png photos/c.png
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc for an input inside OUTDIR, expected 1"
grep -q "refusing to write out/a.png, which is the input out/a.png" stderr \
  || fail "no refusal for out/a.png"
cmp -s a.before out/a.png || fail "out/a.png, an input, was written over"
grep -q "^translated photos/c.png" stdout || fail "the other input was not translated"
# --overwrite redoes an existing output: the same pixels give the same bytes.
tiny --overwrite -o out photos/b.png || fail "--overwrite failed"
cmp -s out/a.png out/b.png || fail "--overwrite did not translate b.png again"
echo "inputs inside OUTDIR untouched; --overwrite redoes outputs"

# -j 2 gives the bytes of -j 1.
tiny -j 1 -o j1 photos/
tiny -j 2 -o j2 photos/
[ "$(outputs j1)" = "$(outputs j2)" ] || fail "-j 2 wrote $(outputs j2), -j 1 $(outputs j1)"
for f in j1/*; do cmp -s "$f" "j2/${f#j1/}" || fail "$f differs with -j 2"; done
echo "-j 2: the same bytes as -j 1"

# Shards partition the inputs: their sizes add up to the 8 images, and
# together they write the outputs of -j 1.
: > counts
for k in 1 2 3; do
  tiny --shard $k/3 -o shards photos/
  sed -n "s|^\([0-9]*\) images* (shard $k of 3) to shards\$|\1|p" stdout >> counts
done
[ "$(sum counts)" -eq 8 ] || fail "the shards hold $(sum counts) images, not 8"
[ "$(outputs shards)" = "$(outputs j1)" ] || fail "shards wrote $(outputs shards)"
echo "--shard K/3: the three parts hold the 8 inputs, each once"

# Usage errors: two inputs of the same stem, an unknown format, a bad shard.
cp "$content" photos/sub/a.png
tiny -o clash photos/a.png photos/sub/a.png
[ $? -eq 2 ] && grep -q "would both be translated to clash/a.png" stderr \
  || fail "two inputs of one stem were not refused"
tiny -o x --format xyz photos/a.png
[ $? -eq 2 ] || fail "an unknown format was not refused"
tiny -o x --shard 4/3 photos/a.png
[ $? -eq 2 ] || fail "--shard 4/3 was not refused"
rm photos/sub/a.png

# The progress bar, on a terminal.
if command -v script > /dev/null; then
  script -qec "$translate --untrained --ngf 4 --n-blocks 1 --threads 1 -o tty photos/a.png photos/c.png" \
    /dev/null > tty.log
  grep -q '\[####################\] 2/2  2 translated, 0 skipped, 0 failed' tty.log \
    || fail "no progress bar on a terminal: $(cat tty.log)"
  echo "terminal: a progress bar"
fi

# The README's examples, on the trained model; gcut-translate from PATH.
mkdir work work/photos
for x in a c g; do cp photos/$x.* work/photos/; done
ln -s "$model" work/model.safetensors
export PATH="$(dirname "$translate"):$PATH"
expected="a.png c.png g.png "
if command -v parallel > /dev/null; then
  cmd=$(awk '/^parallel /{p=1} p{print} p&&!/\\$/{exit}' "$readme")
  case $cmd in *"--sshlogin host1,host2,host3"*) ;; *) fail "no parallel example in the README" ;; esac
  (cd work && bash -c "${cmd/--sshlogin host1,host2,host3/--sshlogin :}") >stdout 2>stderr \
    || fail "the README's GNU parallel example failed"
  [ "$(outputs work/out)" = "$expected" ] || fail "GNU parallel wrote $(outputs work/out)"
  echo "README: the GNU parallel example"
else
  echo "# GNU parallel is not installed: its example was not run"
fi
awk '/^#!\/bin\/bash$/{p=1} p&&/^```/{exit} p{print}' "$readme" > work/translate.sbatch
grep -q SLURM_ARRAY_TASK_ID work/translate.sbatch || fail "no Slurm example in the README"
rm -rf work/out
for id in 1 2 3 4 5 6 7 8; do
  (cd work && SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=8 SLURM_CPUS_PER_TASK=1 \
    bash translate.sbatch) >stdout 2>stderr || fail "array task $id failed"
  sed -n "s|^\([0-9]*\) images* (shard $id of 8) to out\$|\1|p" stdout >> slurm-counts
done
[ "$(sum slurm-counts)" -eq 3 ] || fail "the array's shards hold $(sum slurm-counts) images, not 3"
[ "$(outputs work/out)" = "$expected" ] || fail "the array wrote $(outputs work/out)"
echo "README: the Slurm array example"
echo ok
