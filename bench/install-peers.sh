#!/usr/bin/env bash
# Installs the peers the benches compare against (Debian/Ubuntu, root), only when missing:
# parallel-ssh (package pssh) and Ansible (ansible-core provides `ansible`) for bench/ssh-fanout, rclone
# for bench/export. Not needed by tests or runs.
set -euo pipefail

wanted=(
  "pssh /usr/bin/parallel-ssh"
  "ansible-core /usr/bin/ansible"
  "rclone /usr/bin/rclone"
)

missing=()
for entry in "${wanted[@]}"; do
  read -r package probe <<<"$entry"
  [ -e "$probe" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "bench: missing peers: ${missing[*]} (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "bench: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
