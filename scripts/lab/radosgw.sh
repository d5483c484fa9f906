#!/usr/bin/env bash
# A throwaway Ceph S3 server for tests, benches and the demo (root, Debian/Ubuntu):
#   radosgw.sh up [--dir DIR] [--port N] [--memstore-bytes N] [--owner PID]  start it; prints its lab.json path
#   radosgw.sh down DIR                             stop it by pid and remove everything (idempotent)
#   radosgw.sh sweep                                remove labs whose --owner process is gone (a killed test run)
# One monitor, one memstore OSD (data in RAM) and radosgw's beast frontend, all on 127.0.0.1 with free
# ports (S3 on --port when given), cephx on, an S3 user with generated keys. Nothing is written outside DIR; /etc/ceph is never read.
# When setup fails, the end of each daemon's log is printed; DRILLBOOK_LAB_KEEP=FOLDER keeps the whole logs there.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ports.sh
. "$here/ports.sh"
# shellcheck source=sweep.sh
. "$here/sweep.sh"

die() { echo "drillbook lab: $*" >&2; exit 1; }

# The ceph CLI waits 300 s for a cluster that is not there: every call is bounded.
ceph_cli() { timeout 60 ceph --connect-timeout 30 "$@"; }

# start_daemon NAME COMMAND…: run in the foreground of its own session, pid recorded for `down`.
start_daemon() {
  local name=$1
  shift
  setsid "$@" >>"$LAB_DIR/log/$name.out" 2>&1 </dev/null &
  echo $! >"$LAB_DIR/run/$name.pid"
}

# alive PID: the process exists and is not a zombie (an init that does not reap would keep those forever).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# stop_daemon NAME: SIGKILL (memstore keeps nothing worth flushing), only if the pid is still ours.
stop_daemon() {
  local pidfile="$LAB_DIR/run/$1.pid" pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$LAB_DIR/ceph.conf"; then
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 100); do
      alive "$pid" || break
      sleep 0.05
    done
  fi
  rm -f "$pidfile"
}

lab_down() {
  local name
  for name in radosgw osd mon; do stop_daemon "$name"; done
  rm -rf -- "$LAB_DIR"
}

# wait_for WHAT SECONDS COMMAND…: poll until COMMAND succeeds.
wait_for() {
  local what=$1 limit=$2 i
  shift 2
  for i in $(seq $((limit * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$what not ready after ${limit}s; logs in $LAB_DIR/log"
}

# On any failure during `up`: show the end of the daemons' logs, then remove everything.
setup_failed() {
  local log
  echo "drillbook lab: S3 setup failed, removing it" >&2
  for log in "$LAB_DIR"/log/*.log; do
    [ -s "$log" ] && { echo "--- $(basename "$log")" >&2; tail -n 5 "$log" >&2; }
  done
  [ -n "${DRILLBOOK_LAB_KEEP:-}" ] && cp -r "$LAB_DIR/log" "$DRILLBOOK_LAB_KEEP"
  lab_down
}

# Labs left by runs killed before their teardown (their --owner process is gone): removed.
sweep() {
  sweep_owned '/tmp/drillbook-s3.*'
}

lab_up() {
  local dir='' s3_port='' owner='' memstore_bytes=$((4 * 1024 * 1024 * 1024))
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --port) s3_port=$2; shift 2 ;;
      --owner) owner=$2; shift 2 ;;
      --memstore-bytes) memstore_bytes=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || die "the S3 lab needs root (Ceph daemons)"
  if [ -n "$s3_port" ] && [ -n "$(ss -Htln "sport = :$s3_port" 2>/dev/null)" ]; then die "port $s3_port is already in use"; fi
  "$here/install-packages.sh"
  sweep

  if [ -n "$dir" ]; then mkdir -p "$dir"; LAB_DIR=$(cd "$dir" && pwd); else LAB_DIR=$(mktemp -d /tmp/drillbook-s3.XXXXXX); fi
  trap setup_failed EXIT
  mkdir -p "$LAB_DIR"/{run,log,mon,osd/ceph-0,rgw}
  [ -z "$owner" ] || echo "$owner" >"$LAB_DIR/owner"
  export CEPH_CONF="$LAB_DIR/ceph.conf"

  local fsid mon_port rgw_port access_key secret_key
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=${s3_port:-$(free_port)}
  access_key=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')
  secret_key=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')

  cat >"$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $LAB_DIR/\$name.keyring
run dir = $LAB_DIR/run
admin socket = $LAB_DIR/run/\$name.asok
log file = $LAB_DIR/log/\$name.log
mon data = $LAB_DIR/mon/\$cluster-\$id
osd data = $LAB_DIR/osd/\$cluster-\$id
# One OSD: no replication, few placement groups, no autoscaler, no warnings about it.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd crush initial weight = 1
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
# Commit map changes at once instead of batching them for a second: pool creation is 10× faster.
paxos propose interval = 0.01
paxos min wait = 0.01
osd objectstore = memstore
memstore device bytes = $memstore_bytes
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $LAB_DIR/rgw
rgw enable usage log = false
CONF

  {
    ceph-authtool --create-keyring "$LAB_DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *'
    ceph-authtool --create-keyring "$LAB_DIR/client.admin.keyring" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
    ceph-authtool "$LAB_DIR/mon.keyring" --import-keyring "$LAB_DIR/client.admin.keyring"
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$LAB_DIR/monmap"
  } >/dev/null
  ceph-mon --mkfs -i a --monmap "$LAB_DIR/monmap" --keyring "$LAB_DIR/mon.keyring" >/dev/null
  start_daemon mon ceph-mon -f -i a -c "$CEPH_CONF"
  wait_for "the Ceph monitor" 30 ceph_cli mon stat

  local osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph_cli osd new "$osd_uuid" >/dev/null
  ceph_cli auth get-or-create osd.0 mon 'allow profile osd' osd 'allow *' mgr 'allow profile osd' -o "$LAB_DIR/osd.0.keyring"
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" -c "$CEPH_CONF" >/dev/null 2>&1
  start_daemon osd ceph-osd -f -i 0 -c "$CEPH_CONF"
  wait_for "the Ceph OSD" 60 sh -c 'ceph --connect-timeout 5 osd dump 2>/dev/null | grep -q "^osd.0 up"'

  # radosgw makes these pools on first use, one at a time; made here, the first bucket is not slow.
  # One CLI process reading commands from stdin: each `ceph` start costs ~0.3 s of Python.
  local pool
  for pool in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    printf 'osd pool create %s 8 8\nosd pool application enable %s rgw\n' "$pool" "$pool"
  done | ceph_cli >/dev/null 2>&1

  ceph_cli auth get-or-create client.rgw.lab mon 'allow rw' osd 'allow rwx' -o "$LAB_DIR/client.rgw.lab.keyring"
  start_daemon radosgw radosgw -f -n client.rgw.lab -c "$CEPH_CONF"
  timeout 60 radosgw-admin user create --uid lab --display-name 'drillbook lab' \
    --access-key "$access_key" --secret-key "$secret_key" >/dev/null
  wait_for "radosgw" 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$rgw_port"

  printf '%s' "$secret_key" >"$LAB_DIR/secret-key"
  chmod 600 "$LAB_DIR/secret-key"
  cat >"$LAB_DIR/lab.json" <<JSON
{
  "dir": "$LAB_DIR",
  "endpoint": "http://127.0.0.1:$rgw_port",
  "port": $rgw_port,
  "region": "us-east-1",
  "accessKeyId": "$access_key",
  "secretAccessKey": "$secret_key",
  "pidFiles": ["$LAB_DIR/run/mon.pid", "$LAB_DIR/run/osd.pid", "$LAB_DIR/run/radosgw.pid"]
}
JSON
  chmod 600 "$LAB_DIR/lab.json"
  trap - EXIT
  echo "$LAB_DIR/lab.json"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
  up) lab_up "$@" ;;
  down)
    [ -d "${1:-}" ] || exit 0
    LAB_DIR=$(cd "$1" && pwd)
    [ -f "$LAB_DIR/ceph.conf" ] || die "$LAB_DIR is not an S3 lab folder (no ceph.conf)"
    lab_down
    ;;
  sweep) sweep ;;
  *) die "usage: radosgw.sh up [--dir DIR] [--port N] [--memstore-bytes N] [--owner PID] | down DIR | sweep" ;;
esac
