# shellcheck shell=bash
# free_port → a TCP port nothing listens on at the moment (127.0.0.1 side). Sourced by the lab scripts.
# A small race remains between the check and the bind; callers fail loudly if they lose it.
free_port() {
  local port try
  for try in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]; then
      echo "$port"
      return 0
    fi
  done
  echo "drillbook lab: no free TCP port found" >&2
  return 1
}
