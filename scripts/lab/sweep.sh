# shellcheck shell=bash
# sweep_owned GLOB: remove labs (folders matching GLOB, each with an `owner` file) whose --owner process is
# gone, i.e. labs left by runs killed before their teardown. Calls the sourcing script's lab_down with
# LAB_DIR set. Sourced by the lab scripts.
sweep_owned() {
  local owner_file owner
  for owner_file in $1/owner; do
    [ -f "$owner_file" ] || continue
    owner=$(cat "$owner_file")
    kill -0 "$owner" 2>/dev/null && continue
    echo "drillbook lab: removing $(dirname "$owner_file") (owner $owner is gone)" >&2
    ( LAB_DIR=$(dirname "$owner_file"); lab_down )
  done
}
