#!/bin/sh
# gcut-train's --init and image sets end to end: a base found by name and
# fine-tuned; --init none over a recipe that names a base; a folder of photos
# with a file that is not an image (noted, skipped); the reconstruction recipe
# base-photo.json on --style alone; a base of another architecture refused
# with the keys that differ; the qualities' base found from the build tree.
# Usage: run-init-cli.sh GCUT_TRAIN RECIPE CONTENT STYLE BASE_PHOTO_RECIPE
set -u
train=$1 recipe=$2 content=$3 style=$4 base_photo=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; cat "$dir/out" "$dir/err" 2>/dev/null; exit 1; }
t () { "$train" --device cpu --threads 2 --steps 2 --checkpoint-every 0 "$@" \
         >"$dir/out" 2>"$dir/err"; }

export GEGL_CUT_MODEL_PATH="$dir/models"
mkdir -p "$dir/models" "$dir/photos"
t --content "$content" --style "$style" --recipe "$recipe" \
  -o "$dir/models/my-base.safetensors" || fail "training the base"

t --content "$content" --style "$style" --recipe "$recipe" --init my-base \
  -o "$dir/tuned.safetensors" || fail "fine-tuning by name"
grep -q '^Fine-tuning from the base model my-base (SHA-256 ' "$dir/out" \
  || fail "no fine-tuning line"
grep -q '"base"' "$dir/tuned.safetensors" || fail "no base record in the model"

sed 's/"seed": 7,/"seed": 7, "init": "my-base",/' "$recipe" >"$dir/init.json"
grep -q '"init"' "$dir/init.json" || fail "could not make a recipe with init"
t --content "$content" --style "$style" --recipe "$dir/init.json" \
  -o "$dir/by-recipe.safetensors" || fail "init from the recipe"
grep -q '^Fine-tuning from the base model my-base' "$dir/out" || fail "recipe init ignored"
t --content "$content" --style "$style" --recipe "$dir/init.json" --init none \
  -o "$dir/none.safetensors" || fail "--init none"
! grep -q 'Fine-tuning' "$dir/out" || fail "--init none fine-tuned"
! grep -q '"base"' "$dir/none.safetensors" || fail "--init none recorded a base"

cp "$content" "$dir/photos/b.png"
cp "$content" "$dir/photos/a.png"
echo "a note" >"$dir/photos/notes.txt"
t --content "$dir/photos" --style "$style" --recipe "$recipe" \
  -o "$dir/set.safetensors" || fail "a folder of photos"
grep -q "^Skipping $dir/photos/notes.txt: not an image" "$dir/out" || fail "no skip note"
grep -q '^Training on 2 images (content)' "$dir/out" || fail "not 2 images"
grep -q 'images\\":2' "$dir/set.safetensors" || fail "the set is not recorded"

t --style "$dir/photos" --style "$style" --recipe "$base_photo" \
  -o "$dir/photo-base.safetensors" || fail "base-photo on --style alone"
grep -q '^Training on none (content) and 3 images (style)' "$dir/out" \
  || fail "base-photo: the sides"
grep -q ' L1_idt [0-9.e-]* G [0-9.e-]* |' "$dir/out" || fail "base-photo: other losses"

# The GIMP qualities' recipes name the shipped base: found from the build
# tree, before installing, with no search path set.
(unset GEGL_CUT_MODEL_PATH GEGL_CUT_RECIPE_PATH
 export XDG_DATA_HOME="$dir/none" XDG_DATA_DIRS="$dir/none"
 t --content "$content" --style "$style" --recipe quick -o "$dir/quick.safetensors") \
  || fail "quick from the build tree"
grep -q '^Fine-tuning from the base model base-photo (SHA-256 ' "$dir/out" \
  || fail "quick did not start from base-photo"

sed 's/"ngf": 8,/"ngf": 16,/' "$recipe" >"$dir/wide.json"
t --content "$content" --style "$style" --recipe "$dir/wide.json" --init my-base \
  -o "$dir/wide.safetensors" && fail "a base of another architecture was taken"
grep -q 'ngf 16 (the recipe) / 8 (the base)' "$dir/err" || fail "the keys are not named"
echo "ok"
