#!/bin/bash
# The GIMP 3 plug-in and the ops as GIMP 3 filters, through gimp-console-3.0
# in batch mode:
#   gimp3-plugin-test.sh BUILD_ROOT SOURCE_ROOT PLUG_IN GEGL_PLUGINS_DIR
# Python-Fu (gimp3-batch.py): plug-in-gcut-train (its layer and model),
# plug-in-gcut-apply, bad inputs as PDB errors that change nothing, and each
# op through Gimp.DrawableFilter; Script-Fu: both procedures with named
# arguments.  Every picture is compared with the gegl tool's, within 1/255.
set -u
build=$1 src=$2 plugin=$3 gegl_plugins=$4

[ -n "$plugin" ] || {
  echo "SKIP: the GIMP 3 plug-in is not built (libgimp-3.0-dev was not found)"
  exit 77
}

console=$(command -v gimp-console-3.0) || {
  echo "SKIP: gimp-console-3.0 is not installed"
  exit 77
}

. "$src/tests/gimp/gimp-env.sh"

content="$src/data/samples/forest-small.png"
style="$src/data/samples/starry-night.jpg"
recipe="$src/tests/training/tiny-recipe.json"
model="$tmp/data/gegl-cut/models/tiny.safetensors"
export GCUT_TMP="$tmp" GCUT_CONTENT="$content" GCUT_STYLE="$style" GCUT_RECIPE="$recipe"
# The same threads in GIMP and in the gegl tool: the same training.
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive

# Without --quit a failed batch command leaves GIMP waiting.
gimp3 () {
  timeout 250 "$console" -i --quit "$@" >> "$tmp/log" 2>&1
  local status=$?
  [ $status -eq 0 ] || echo "FAIL: gimp-console-3.0 exited with $status"
  return $status
}

fail=0
gimp3 --batch-interpreter python-fu-eval \
  -b "exec(open('$src/tests/gimp/gimp3-batch.py').read())" || fail=1

# Script-Fu names the arguments; a failing call is caught (catch gives the
# handler's value for an error) so that the script goes on.
gimp3 --batch-interpreter plug-in-script-fu-eval -b "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$content\")))
       (layer (vector-ref (car (gimp-image-get-layers image)) 0))
       (trained (plug-in-gcut-train #:run-mode RUN-NONINTERACTIVE #:image image
                                    #:drawables (vector layer) #:style-file \"$style\"
                                    #:recipe \"$recipe\" #:steps 2
                                    #:model-name \"script-fu\")))
  (gimp-file-save RUN-NONINTERACTIVE image \"$tmp/sf-trained.png\" -1)
  (plug-in-gcut-apply #:run-mode RUN-NONINTERACTIVE #:image image
                      #:drawables (vector layer) #:model \"$model\" #:device \"cpu\")
  (gimp-image-remove-layer image (vector-ref (car (gimp-image-get-layers image)) 0))
  (gimp-file-save RUN-NONINTERACTIVE image \"$tmp/sf-applied.png\" -1)
  (if (catch #f (plug-in-gcut-apply #:run-mode RUN-NONINTERACTIVE #:image image
                                    #:drawables (vector layer) #:model \"sf-missing\") #t)
      (error \"plug-in-gcut-apply succeeded with a missing model\"))
  (gimp-image-delete image))" || fail=1

cat "$tmp/log"
if grep -q "^FAIL" "$tmp/log"; then
  fail=1
fi
check_log "$tmp/log" 2 || fail=1
if ! grep -q "sf-missing" "$tmp/log"; then
  echo "FAIL: Script-Fu's missing model was not reported"
  fail=1
fi
for f in "$model" "$tmp/data/gegl-cut/models/script-fu.safetensors"; do
  [ -f "$f" ] || { echo "FAIL: $f was not written"; fail=1; }
done
[ $fail -eq 0 ] || exit 1

# GIMP's drawables are 8-bit: the references are rounded to 8 bits in the
# graph.  Within 1/255: babl picks its conversion paths by timing them, so on
# a busy machine two processes may round a value differently.
u8="format=R'G'B'A u8"
gegl "$content" -o "$tmp/ref-translate.png" -- gcut:translate "model=$model" device=cpu \
  convert-format "$u8" \
  && gegl "$content" -o "$tmp/ref-similarity.png" -- gcut:similarity "model=$model" \
    convert-format "$u8" \
  && gegl "$content" -o "$tmp/ref-train.png" -- gcut:train run=true "recipe=$recipe" \
    steps=2 device=cpu aux=[ gegl:load "path=$style" ] convert-format "$u8" || {
  echo "FAIL: the gegl tool could not make the references"
  exit 1
}
compare () {
  /usr/bin/python3 "$src/tests/gimp/compare-images.py" --tolerance 1 "$@" || fail=1
}
compare "$tmp/ref-translate.png" "$tmp/trained.png" "$tmp/applied.png" "$tmp/sf-trained.png" \
  "$tmp/filter-translate.png" "$tmp/sf-applied.png"
compare "$tmp/ref-similarity.png" "$tmp/filter-similarity.png"
compare "$tmp/ref-train.png" "$tmp/filter-train.png"
compare "$content" "$tmp/unchanged.png"
exit $fail
