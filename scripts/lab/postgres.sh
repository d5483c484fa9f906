#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, benches and the demo (root, Debian/Ubuntu):
#   postgres.sh up [--dir DIR] [--owner PID] [--replica-of LAB_JSON]  start it; prints the path of its lab.json
#                                (port, password, binaries); a replica streams from the lab server LAB_JSON describes
#   postgres.sh down DIR         stop it by pid and remove everything (idempotent)
#   postgres.sh crash DIR        kill the server at once (SIGKILL of the postmaster: a crash, for failover drills)
#   postgres.sh sweep            remove labs whose --owner process is gone (a killed test run)
# Its own data and socket folders under DIR, its own port on 127.0.0.1, run as the postgres user.
# Never pg_createcluster/pg_ctlcluster: they write under /etc.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ports.sh
. "$here/ports.sh"
# shellcheck source=sweep.sh
. "$here/sweep.sh"

die() { echo "drillbook lab: $*" >&2; exit 1; }

# alive PID: exists and is not a zombie (an init that does not reap would keep those forever).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# The postmaster's pid, from the first line of its pid file, only while it is this lab's server.
postmaster_pid() {
  local pid
  [ -s "$LAB_DIR/data/postmaster.pid" ] || return 1
  pid=$(head -n 1 "$LAB_DIR/data/postmaster.pid")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$LAB_DIR/data" && echo "$pid"
}

lab_down() {
  local pid i
  if pid=$(postmaster_pid); then
    # SIGQUIT: immediate shutdown (the data is thrown away); SIGKILL if it lingers.
    kill -QUIT "$pid" 2>/dev/null || true
    for i in $(seq 100); do
      alive "$pid" || break
      sleep 0.05
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
    # Its children (backends) go with it; wait for the ones still running as this lab's server.
    for i in $(seq 100); do
      pgrep -f -- "$LAB_DIR/data" >/dev/null || pgrep -u postgres -P "$pid" >/dev/null || break
      sleep 0.05
    done
  fi
  rm -rf -- "$LAB_DIR"
}

setup_failed() {
  echo "drillbook lab: PostgreSQL setup failed, removing it" >&2
  [ -s "$LAB_DIR/log/postgres.log" ] && tail -n 20 "$LAB_DIR/log/postgres.log" >&2
  lab_down
}

# Labs left by runs killed before their teardown (their --owner process is gone): removed.
sweep() {
  sweep_owned '/tmp/drillbook-pg.*'
}

lab_up() {
  local dir='' owner='' primary=''
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --owner) owner=$2; shift 2 ;;
      --replica-of) primary=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || die "the PostgreSQL lab needs root (it runs the server as the postgres user)"
  "$here/install-packages.sh"
  sweep
  local bin
  bin=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || die "no PostgreSQL server under /usr/lib/postgresql"
  bin=$(dirname "$bin")

  if [ -n "$dir" ]; then mkdir -p "$dir"; LAB_DIR=$(cd "$dir" && pwd); else LAB_DIR=$(mktemp -d /tmp/drillbook-pg.XXXXXX); fi
  trap setup_failed EXIT
  chmod 755 "$LAB_DIR"
  mkdir -p "$LAB_DIR"/{data,run,log}
  chown postgres: "$LAB_DIR"/{data,run,log}
  chmod 700 "$LAB_DIR/data"
  [ -z "$owner" ] || echo "$owner" >"$LAB_DIR/owner"

  local port password
  port=$(free_port)
  if [ -n "$primary" ]; then
    # A streaming replica: a base backup of the primary with its standby settings (-R); same users.
    local primary_port
    password=$(jq -r .password "$primary")
    primary_port=$(jq -r .port "$primary")
    install -m 600 -o postgres /dev/null "$LAB_DIR/run/pgpass"
    printf '127.0.0.1:%s:*:postgres:%s\n' "$primary_port" "$password" >"$LAB_DIR/run/pgpass"
    runuser -u postgres -- "$bin/pg_basebackup" -d "host=127.0.0.1 port=$primary_port user=postgres passfile=$LAB_DIR/run/pgpass" \
      -D "$LAB_DIR/data" -R -X stream -c fast --no-sync >"$LAB_DIR/log/basebackup.log" 2>&1
  else
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    # The password reaches initdb through a file only postgres can read, removed right after.
    install -m 600 -o postgres /dev/null "$LAB_DIR/run/pwfile"
    printf '%s\n' "$password" >"$LAB_DIR/run/pwfile"
    runuser -u postgres -- "$bin/initdb" -D "$LAB_DIR/data" -U postgres --pwfile="$LAB_DIR/run/pwfile" \
      --auth-local=peer --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$LAB_DIR/log/initdb.log" 2>&1
    rm -f "$LAB_DIR/run/pwfile"
  fi
  # Appended last, so a replica's settings win over those copied from its primary.
  cat >>"$LAB_DIR/data/postgresql.conf" <<CONF
# drillbook lab
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$LAB_DIR/run'
max_connections = 50
shared_buffers = 32MB
fsync = off
full_page_writes = off
CONF
  runuser -u postgres -- "$bin/pg_ctl" -D "$LAB_DIR/data" -l "$LAB_DIR/log/postgres.log" -w -t 60 start >/dev/null
  postmaster_pid >/dev/null || die "PostgreSQL did not start; see $LAB_DIR/log/postgres.log"

  cat >"$LAB_DIR/lab.json" <<JSON
{
  "dir": "$LAB_DIR",
  "host": "127.0.0.1",
  "port": $port,
  "user": "postgres",
  "password": "$password",
  "socketDir": "$LAB_DIR/run",
  "binDir": "$bin",
  "log": "$LAB_DIR/log/postgres.log",
  "role": "$([ -n "$primary" ] && echo replica || echo primary)"
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
    [ -d "$LAB_DIR/data" ] || [ -f "$LAB_DIR/lab.json" ] || die "$LAB_DIR is not a PostgreSQL lab folder"
    lab_down
    ;;
  sweep) sweep ;;
  crash)
    LAB_DIR=$(cd "${1:?lab folder}" && pwd)
    if pid=$(postmaster_pid); then kill -KILL "$pid"; fi
    ;;
  *) die "usage: postgres.sh up [--dir DIR] [--owner PID] [--replica-of LAB_JSON] | down DIR | crash DIR | sweep" ;;
esac
