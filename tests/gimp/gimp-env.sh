# Sourced by the GIMP scripts: a throwaway GIMP profile in $tmp (removed on
# exit) that finds the plug-in $plugin, the op bundle under $build and the
# recipes under $src, and keeps models and caches in $tmp.  GIMP 2.10 reads
# $GIMP2_DIRECTORY, GIMP 3 $GIMP3_DIRECTORY.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gimp2/gradients" "$tmp/gimp3" "$tmp/plug-ins/gegl-cut" "$tmp/data" \
  "$tmp/models" "$tmp/cache" "$tmp/config"
# GIMP runs each plug-in from a folder named like its executable.
ln -s "$plugin" "$tmp/plug-ins/gegl-cut/gegl-cut"
for profile in gimp2 gimp3; do
  cat > "$tmp/$profile/gimprc" <<EOT
(plug-in-path "\${gimp_dir}/plug-ins:\${gimp_plug_in_dir}/plug-ins:$tmp/plug-ins")
EOT
done

export GIMP2_DIRECTORY="$tmp/gimp2" GIMP3_DIRECTORY="$tmp/gimp3"
# GEGL_PATH replaces GEGL's own folder, so name both.
export GEGL_PATH="$build/operations:$gegl_plugins"
export GEGL_CUT_MODEL_PATH="$tmp/models"
export XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config"
export GEGL_CUT_RECIPE_PATH="$src/presets/recipes"

# check_log LOG N: FAIL lines for a crashed plug-in or fewer than N batch
# commands that worked; returns 1 after any.
check_log () {
  local fail=0
  if grep -qi "crashed" "$1"; then
    echo "FAIL: a plug-in crashed"
    fail=1
  fi
  if [ "$(grep -c "batch command executed successfully" "$1")" -ne "$2" ]; then
    echo "FAIL: a batch command failed"
    fail=1
  fi
  return $fail
}
