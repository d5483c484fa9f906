#!/usr/bin/env bash
# Installs the Debian packages the lab needs, only when something is missing. Idempotent.
# Called by `npm run demo`, the test setup and .ci/run. Needs root on Debian/Ubuntu.
set -euo pipefail

# package  path (or glob) that proves it is installed
wanted=(
  "openssh-server /usr/sbin/sshd"
  "openssh-client /usr/bin/ssh-keygen"
  "iproute2 /usr/sbin/ip"
  "procps /usr/bin/ps"
  "sudo /usr/bin/sudo"
  "jq /usr/bin/jq"
  "openssl /usr/bin/openssl"
  "chromium /usr/bin/chromium"
  # A real terminal for the interactive manual-step tests.
  "tmux /usr/bin/tmux"
  "ceph-mon /usr/bin/ceph-mon"
  "ceph-osd /usr/bin/ceph-osd"
  "radosgw /usr/bin/radosgw"
  "postgresql /usr/lib/postgresql/*/bin/postgres"
  # Real archives and databases for the format classifier's tests.
  "bzip2 /usr/bin/bzip2"
  "xz-utils /usr/bin/xz"
  "zstd /usr/bin/zstd"
  "sqlite3 /usr/bin/sqlite3"
)

missing=()
for entry in "${wanted[@]}"; do
  read -r package probe <<<"$entry"
  # compgen -G: a probe may be a glob (PostgreSQL's versioned folder).
  compgen -G "$probe" >/dev/null || missing+=("$package")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "drillbook lab: missing system packages: ${missing[*]}" >&2
  echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "drillbook lab: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
