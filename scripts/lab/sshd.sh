# shellcheck shell=bash
# One throwaway OpenSSH server: its own config, host key, pid file and log under the lab folder.
# Sourced by ssh-lab.sh. Never touches /etc/ssh.

# sshd_config NAME LISTEN_ADDRESS PORT → path of the config written for that instance.
sshd_config() {
  local name=$1 address=$2 port=$3
  local cfg="$LAB_DIR/sshd/$name.conf"
  mkdir -p "$LAB_DIR/sshd" "$LAB_DIR/hostkeys" "$LAB_DIR/run" "$LAB_DIR/logs"
  [ -f "$LAB_DIR/hostkeys/$name" ] || ssh-keygen -q -t ed25519 -N '' -C "drillbook-lab-$name" -f "$LAB_DIR/hostkeys/$name"
  cat >"$cfg" <<CFG
Port $port
ListenAddress $address
HostKey $LAB_DIR/hostkeys/$name
PidFile $LAB_DIR/run/$name.pid
AuthorizedKeysFile $LAB_DIR/authorized/%u
AllowUsers $LAB_USER root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 200
MaxSessions 100
AllowTcpForwarding yes
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
  echo "$cfg"
}

# sshd_fingerprint NAME → SHA256:… of that instance's host key.
sshd_fingerprint() {
  ssh-keygen -lf "$LAB_DIR/hostkeys/$1.pub" | awk '{ print $2 }'
}

# sshd_start NAME CFG [COMMAND PREFIX…]: start the daemon (it forks once listening); fails when it cannot bind.
sshd_start() {
  local name=$1 cfg=$2
  shift 2
  mkdir -p /run/sshd && chmod 755 /run/sshd
  rm -f "$LAB_DIR/run/$name.pid"
  "$@" /usr/sbin/sshd -f "$cfg" -E "$LAB_DIR/logs/$name.log" || return 1
  local i
  for i in $(seq 50); do
    [ -s "$LAB_DIR/run/$name.pid" ] && return 0
    sleep 0.05
  done
  echo "drillbook lab: sshd $name wrote no pid file; see $LAB_DIR/logs/$name.log" >&2
  return 1
}

# sshd_stop NAME: stop the instance by its pid, only if that pid is still our sshd.
sshd_stop() {
  local pidfile="$LAB_DIR/run/$1.pid" pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$LAB_DIR/sshd/"; then
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
