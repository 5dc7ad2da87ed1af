#!/bin/bash
# Screenshots of GIMP 3 with the plug-in and the ops under Xvfb; not a test,
# run by hand (needs gimp-3.0, Xvfb, xdotool, xwininfo and ImageMagick):
#   screenshots-gimp3.sh BUILD_ROOT SOURCE_ROOT PLUG_IN GEGL_PLUGINS_DIR OUT_DIR
# writes into OUT_DIR gimp3-filters-menu.png, gimp3-translate-filter.png,
# gimp3-translate-filter-error.png (no model installed), gimp3-train-filter.png,
# gimp3-train-dialog.png,
# gimp3-train-progress.png and gimp3-apply-dialog.png.  Menus are opened by
# clicking where GIMP 3.0.4 draws them on a 1280×1024 screen.
set -u
build=$1 src=$2 plugin=$3 gegl_plugins=$4 out=$5
. "$src/tests/gimp/gimp-env.sh"
mkdir -p "$out"
content="$src/data/samples/forest.jpg"
style="$src/data/samples/starry-night.jpg"

# Two installed models for the lists: the bundled one and a 2-step one.
cp "$src/data/models/starry-night.safetensors" "$tmp/models/"
"$build/training/gcut-train" --content "$src/data/samples/forest-small.png" \
  --style "$style" --recipe "$src/tests/training/tiny-recipe.json" --steps 2 \
  --checkpoint-every 0 -o "$tmp/models/forest-tiny.safetensors" > /dev/null

Xvfb :97 -screen 0 1280x1024x24 -nolisten tcp > /dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb; rm -rf "$tmp"' EXIT
export DISPLAY=:97
sleep 2

# wait_for TITLE: waits (up to 3 minutes) for a window whose title contains
# TITLE.
wait_for () {
  local i
  for i in $(seq 1 180); do
    xwininfo -root -tree | grep -q "\"[^\"]*$1[^\"]*\"" && return 0
    sleep 1
  done
  echo "no window \"$1\"" >&2
  return 1
}

# wait_drawn: waits until the screen is no longer black (GIMP names its
# window well before drawing it).
wait_drawn () {
  local i
  for i in $(seq 1 120); do
    [ "$(import -window root -format '%[fx:mean>0.05]' info:)" = 1 ] && return 0
    sleep 1
  done
}

snap () {
  sleep "$2"
  import -window root "$out/$1.png"
}

# gimp3 [ARGS…]: a fresh GIMP 3 on the content, in its own copy of the
# profile (GIMP ended by a kill starts the next time with its crash dialog).
gimp3 () {
  local profile="$tmp/gimp3-$RANDOM"
  cp -r "$tmp/gimp3" "$profile"
  GIMP3_DIRECTORY="$profile" gimp-3.0 --no-splash "$@" > "$profile.log" 2>&1 &
  gimp=$!
}

end_gimp3 () {
  kill "$gimp"
  wait "$gimp" 2> /dev/null
  sleep 2
}

# open_submenu: Filters → Artistic → Contrastive Translation.
open_submenu () {
  wait_for "[forest]" && wait_drawn
  sleep 10
  xdotool mousemove 426 12 click 1 sleep 1 mousemove 452 313 sleep 1 mousemove 700 313 \
    mousemove 737 563
  sleep 1
}

# open_filter Y OP: the submenu's entry at height Y, the dialog of OP.
open_filter () {
  xdotool mousemove 950 563 mousemove 1040 "$1" click 1
  wait_for "$2" && xdotool search --name "$2" windowmove 700 60
}

gimp3 "$content"
open_submenu
snap gimp3-filters-menu 1
open_filter 638 gcut:translate
snap gimp3-translate-filter 10
end_gimp3

# No model installed: the bundled one is not found, and the dialog says so.
mkdir -p "$tmp/empty"
GEGL_CUT_MODEL_PATH="$tmp/empty" XDG_DATA_HOME="$tmp/empty" gimp3 "$content"
open_submenu
open_filter 638 gcut:translate
snap gimp3-translate-filter-error 10
end_gimp3

# gcut:train's dialog: the qualities.
gimp3 "$content"
open_submenu
open_filter 663 gcut:train
snap gimp3-train-filter 5
end_gimp3

# The plug-in's dialogs, opened by a Python-Fu batch command.
run_interactive () {
  gimp3 --batch-interpreter python-fu-eval -b "
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path('$content'))
Gimp.Display.new(image)
proc = Gimp.get_pdb().lookup_procedure('$1')
config = proc.create_config()
config.set_property('run-mode', Gimp.RunMode.INTERACTIVE)
config.set_property('image', image)
config.set_core_object_array('drawables', image.get_layers())
$2
proc.run(config)"
}

run_interactive plug-in-gcut-train "
config.set_property('style-file', Gio.File.new_for_path('$style'))
config.set_property('model-name', 'starry-forest')"
wait_for "Train on a Style Image"
xdotool search --name "Train on a Style Image" windowmove 300 100
snap gimp3-train-dialog 4
# Train (its mnemonic): the training window.
xdotool windowfocus "$(xdotool search --name "Train on a Style Image" | head -1)" \
  sleep 0.5 key alt+t
wait_for "Training a Contrastive Translator"
xdotool search --name "Training a Contrastive Translator" windowmove 300 100
snap gimp3-train-progress 90
end_gimp3

run_interactive plug-in-gcut-apply "
config.set_property('model', 'forest-tiny')"
wait_for "Apply a Contrastive Translation Model"
xdotool search --name "Apply a Contrastive Translation Model" windowmove 300 100
snap gimp3-apply-dialog 4
end_gimp3
