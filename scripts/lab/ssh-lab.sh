#!/usr/bin/env bash
# A throwaway SSH lab for tests, benches and the demo (root, Debian/Ubuntu):
#   ssh-lab.sh up [--hosts N] [--dir DIR] [--owner PID]
#                                           start it; prints the path of its lab.json (connection facts)
#   ssh-lab.sh down DIR                     stop and remove everything it made (idempotent)
#   ssh-lab.sh sweep                        remove labs whose owner process is gone (a killed test run)
#   ssh-lab.sh cut DIR HOST | heal DIR HOST take a namespace host's link down / up
# It makes: a dedicated login user, client keys, one sshd on 127.0.0.1 (free port), N namespace hosts
# on a private 10.x.y.0/24 bridge each with its own sshd and hostname, known_hosts files and an ssh
# client config with aliases. It only ever listens on loopback and the lab bridge.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sshd.sh
. "$here/sshd.sh"
# shellcheck source=netns.sh
. "$here/netns.sh"

die() { echo "drillbook lab: $*" >&2; exit 1; }

load_state() {
  LAB_DIR=$(cd "$1" && pwd) || die "no lab at $1"
  [ -f "$LAB_DIR/lab.env" ] || die "$LAB_DIR is not a lab folder (no lab.env)"
  # shellcheck source=/dev/null
  . "$LAB_DIR/lab.env"
}

# lab.env: what `down` needs to undo it all, written before each step that creates something.
write_state() {
  printf 'LAB_ID=%s\nLAB_USER=%s\nLAB_PREFIX=%s\nLAB_OWNER=%s\n' "$LAB_ID" "$LAB_USER" "$LAB_PREFIX" "${LAB_OWNER:-}" >"$LAB_DIR/lab.env"
}

# Labs left by runs that were killed before their teardown: the owner pid recorded at `up` is gone.
lab_sweep() {
  local env owner
  for env in /tmp/drillbook-lab.*/lab.env; do
    [ -f "$env" ] || continue
    owner=$(sed -n 's/^LAB_OWNER=//p' "$env")
    [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null || continue
    echo "drillbook lab: removing $(dirname "$env") (owner $owner is gone)" >&2
    (load_state "$(dirname "$env")" && lab_down)
  done
}

lab_down() {
  local name user_home
  for pidfile in "$LAB_DIR"/run/*.pid; do
    [ -e "$pidfile" ] || continue
    name=$(basename "$pidfile" .pid)
    sshd_stop "$name"
  done
  if [ -n "${LAB_USER:-}" ] && id "$LAB_USER" >/dev/null 2>&1; then
    # Whatever the tests left running as the lab user, by pid.
    pgrep -u "$LAB_USER" | xargs -r kill -KILL 2>/dev/null || true
    user_home=$(getent passwd "$LAB_USER" | cut -d: -f6)
    [ "$user_home" = "$LAB_DIR/home" ] && userdel -f "$LAB_USER" 2>/dev/null || true
  fi
  net_down "${LAB_PREFIX:-}"
  # cgroups root steps made for themselves on this machine: only empty ones go (rmdir refuses the rest).
  for cg in /sys/fs/cgroup/drillbook-* /sys/fs/cgroup/unified/drillbook-*; do
    [ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
  done
  rm -rf -- "$LAB_DIR"
}

lab_up() {
  local hosts=3 dir='' owner=''
  while [ $# -gt 0 ]; do
    case $1 in
      --hosts) hosts=$2; shift 2 ;;
      --dir) dir=$2; shift 2 ;;
      --owner) owner=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces, a login user, sshd)"
  "$here/install-packages.sh"

  if [ -n "$dir" ]; then mkdir -p "$dir"; LAB_DIR=$(cd "$dir" && pwd); else LAB_DIR=$(mktemp -d /tmp/drillbook-lab.XXXXXX); fi
  chmod 755 "$LAB_DIR"
  LAB_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  LAB_USER="dbl$LAB_ID"
  LAB_PREFIX=''
  LAB_OWNER=$owner
  write_state
  trap 'echo "drillbook lab: setup failed, removing it" >&2; lab_down' ERR

  useradd -M -d "$LAB_DIR/home" -s /bin/sh -c 'drillbook lab' "$LAB_USER"
  usermod -p '*' "$LAB_USER" # unlocked for key login (UsePAM no)
  mkdir -p "$LAB_DIR/home" "$LAB_DIR/keys" "$LAB_DIR/authorized"
  chown "$LAB_USER:" "$LAB_DIR/home"

  local passphrase
  passphrase=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  ssh-keygen -q -t ed25519 -N '' -C drillbook-lab-client -f "$LAB_DIR/keys/client"
  ssh-keygen -q -t ed25519 -N "$passphrase" -C drillbook-lab-client-encrypted -f "$LAB_DIR/keys/client_encrypted"
  printf '%s' "$passphrase" >"$LAB_DIR/keys/passphrase"
  chmod 600 "$LAB_DIR/keys/passphrase"
  cat "$LAB_DIR/keys/client.pub" "$LAB_DIR/keys/client_encrypted.pub" >"$LAB_DIR/authorized/$LAB_USER"
  cp "$LAB_DIR/keys/client.pub" "$LAB_DIR/authorized/root"
  chmod 644 "$LAB_DIR/authorized/"*
  chmod 755 "$LAB_DIR/authorized"

  # Loopback sshd on a free port: sshd exits non-zero when it cannot bind, so try until one is free.
  local port='' try cfg
  for try in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    cfg=$(sshd_config loopback 127.0.0.1 "$port")
    if sshd_start loopback "$cfg" 2>/dev/null; then break; fi
    port=''
  done
  [ -n "$port" ] || die "no free port for the loopback sshd"

  if [ "$hosts" -gt 0 ]; then
    LAB_PREFIX=$(net_pick_subnet)
    write_state
    net_up "$LAB_PREFIX"
  fi
  local i name address hosts_json='' known="$LAB_DIR/known_hosts" config="$LAB_DIR/ssh_config"
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$LAB_DIR/hostkeys/loopback.pub")" >"$known"
  cat >"$config" <<CFG
# Aliases of the lab: lab-1 … lab-N are the loopback sshd, h1 … hN the namespace hosts.
Host lab-*
  HostName 127.0.0.1
  Port $port
Host *
  User $LAB_USER
  IdentityFile $LAB_DIR/keys/client
  IdentitiesOnly yes
  UserKnownHostsFile $known
  StrictHostKeyChecking yes
  BatchMode yes
CFG
  for i in $(seq 1 "$hosts"); do
    name="h$i"
    address="$LAB_PREFIX.$((10 + i))"
    net_host_up "$name" "$address"
    cfg=$(sshd_config "$name" "$address" 22)
    sshd_start "$name" "$cfg" ip netns exec "$(net_ns "$name")" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name"
    printf '%s %s\n' "$address" "$(cut -d' ' -f1,2 "$LAB_DIR/hostkeys/$name.pub")" >>"$known"
    printf 'Host %s\n  HostName %s\n' "$name" "$address" | cat - "$config" >"$config.new" && mv "$config.new" "$config"
    hosts_json+="${hosts_json:+,}
    {\"name\": \"$name\", \"address\": \"$address\", \"port\": 22, \"netns\": \"$(net_ns "$name")\", \"hostKey\": \"$(sshd_fingerprint "$name")\", \"pidFile\": \"$LAB_DIR/run/$name.pid\", \"log\": \"$LAB_DIR/logs/$name.log\"}"
  done
  cp "$known" "$known.hashed"
  ssh-keygen -q -H -f "$known.hashed" >/dev/null 2>&1
  rm -f "$known.hashed.old"

  cat >"$LAB_DIR/lab.json" <<JSON
{
  "dir": "$LAB_DIR",
  "id": "$LAB_ID",
  "user": "$LAB_USER",
  "home": "$LAB_DIR/home",
  "clientKey": "$LAB_DIR/keys/client",
  "encryptedClientKey": "$LAB_DIR/keys/client_encrypted",
  "passphraseFile": "$LAB_DIR/keys/passphrase",
  "knownHosts": "$known",
  "hashedKnownHosts": "$known.hashed",
  "sshConfig": "$config",
  "subnet": "${LAB_PREFIX:+$LAB_PREFIX.0/24}",
  "loopback": {"address": "127.0.0.1", "port": $port, "hostKey": "$(sshd_fingerprint loopback)", "pidFile": "$LAB_DIR/run/loopback.pid", "log": "$LAB_DIR/logs/loopback.log"},
  "hosts": [$hosts_json
  ]
}
JSON
  trap - ERR
  echo "$LAB_DIR/lab.json"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
  up) lab_up "$@" ;;
  down) [ -d "${1:-}" ] || exit 0; load_state "$1"; lab_down ;;
  sweep) lab_sweep ;;
  cut) load_state "$1"; net_link "$2" down ;;
  heal) load_state "$1"; net_link "$2" up ;;
  *) die "usage: ssh-lab.sh up [--hosts N] [--dir DIR] [--owner PID] | down DIR | sweep | cut DIR HOST | heal DIR HOST" ;;
esac
