#!/bin/bash
# Screenshots of the plug-in's windows in a real GIMP 2.10 under Xvfb; not a
# test, run by hand:
#   screenshots.sh BUILD_ROOT SOURCE_ROOT PLUG_IN GEGL_PLUGINS_DIR OUT_DIR
# writes gimp-train-dialog.png, gimp-apply-dialog.png and
# gimp-train-progress.png into OUT_DIR.
set -u
build=$1 src=$2 plugin=$3 gegl_plugins=$4 out=$5
. "$src/tests/gimp/gimp-env.sh"
mkdir -p "$out"
content="$src/data/samples/forest.jpg"
style="$src/data/samples/starry-night.jpg"

# A model for the apply dialog to list.
cat > "$tmp/tiny.json" <<'EOT'
{ "architecture": { "generator": { "ngf": 4, "n_blocks": 5 },
                    "discriminator": { "ndf": 8 }, "heads": { "nc": 16, "n_patches": 16 } },
  "schedule": { "steps": 2, "decay_start": 1 },
  "sampling": { "load_size": 40, "crop_size": 32 } }
EOT
gimp-console-2.10 -i -d -f -b "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$content\" \"$content\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-gcut-train RUN-NONINTERACTIVE image drawable -1 \"$style\" \"$tmp/tiny.json\"
                      2 \"starry-night-tiny\")
  (gimp-image-delete image))" -b "(gimp-quit 0)" > "$tmp/train.log" 2>&1

Xvfb :97 -screen 0 1280x800x24 -nolisten tcp > /dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb; rm -rf "$tmp"' EXIT
export DISPLAY=:97
sleep 2

# Defines gcut-set-train-data, which stores the plug-in's last values
# (GcutTrainValues, 8456 bytes): style_drawable -1,
# style_file, recipe, steps, model_name.
set_train_data="
(define (gcut-set-train-data style recipe steps name)
  (let ((v (make-vector 8456 0)))
    (define (put-str! off s)
      (let loop ((i 0))
        (if (< i (string-length s))
            (begin (vector-set! v (+ off i) (char->integer (string-ref s i)))
                   (loop (+ i 1))))))
    (vector-set! v 0 255) (vector-set! v 1 255) (vector-set! v 2 255) (vector-set! v 3 255)
    (put-str! 4 style)
    (put-str! 4100 recipe)
    (vector-set! v 8196 (modulo steps 256))
    (vector-set! v 8197 (quotient steps 256))
    (put-str! 8200 name)
    (gimp-procedural-db-set-data \"plug-in-gcut-train\" 8456 v)))"

open_image="(car (gimp-file-load RUN-NONINTERACTIVE \"$content\" \"$content\"))"

# shot NAME WINDOW-TITLE SECONDS SCRIPT: runs GIMP with SCRIPT, waits for the
# window, SECONDS more, captures the screen and ends that GIMP.
shot () {
  # A copy of the profile each time: GIMP takes being ended for a crash and
  # would start the next time with its crash-recovery dialog.
  cp -r "$tmp/gimp2" "$tmp/gimp2-$1"
  GIMP2_DIRECTORY="$tmp/gimp2-$1" gimp-2.10 --no-splash -b "$set_train_data $4" \
    > "$tmp/$1.log" 2>&1 &
  local pid=$! i
  for i in $(seq 1 60); do
    xwininfo -root -tree | grep -q "\"$2\"" && break
    sleep 1
  done
  sleep "$3"
  import -window root "$out/$1.png"
  kill "$pid"
  wait "$pid" 2> /dev/null
}

shot gimp-train-dialog "Train on a Style Image" 3 "
(let* ((image $open_image) (drawable (car (gimp-image-get-active-drawable image))))
  (gimp-display-new image)
  (gcut-set-train-data \"$style\" \"balanced\" 0 \"starry-forest\")
  (plug-in-gcut-train RUN-INTERACTIVE image drawable -1 \"\" \"\" 0 \"\"))"

shot gimp-apply-dialog "Apply a Contrastive Translation Model" 3 "
(let* ((image $open_image) (drawable (car (gimp-image-get-active-drawable image))))
  (gimp-display-new image)
  (plug-in-gcut-apply RUN-INTERACTIVE image drawable \"starry-night-tiny\" \"auto\" 0))"

shot gimp-train-progress "Training a Contrastive Translator" 40 "
(let* ((image $open_image) (drawable (car (gimp-image-get-active-drawable image))))
  (gimp-display-new image)
  (gcut-set-train-data \"$style\" \"balanced\" 400 \"starry-forest\")
  (plug-in-gcut-train RUN-WITH-LAST-VALS image drawable -1 \"\" \"\" 0 \"\"))"
