# shellcheck shell=bash
# "Hosts" with their own addresses: one bridge in the root namespace, one network namespace per host
# joined to it by a veth pair, each with its own hostname (UTS namespace) and sshd on port 22.
# An `unreachable` route for the lab subnet keeps a cut link from ever leaking to the default route.
# Sourced by ssh-lab.sh; names carry the lab id so several labs can coexist.

net_bridge() { echo "dbl${LAB_ID}br"; }
net_ns() { echo "dbl${LAB_ID}-$1"; }
net_veth() { echo "dbl${LAB_ID}$1"; }

# net_pick_subnet → a 10.x.y (first three octets) no route of this machine uses yet.
net_pick_subnet() {
  local i prefix
  for i in $(seq 50); do
    prefix="10.$((200 + RANDOM % 50)).$((RANDOM % 250))"
    ip -4 route show | grep -qF "$prefix." || ip -4 addr show | grep -qF "$prefix." || { echo "$prefix"; return 0; }
  done
  echo "drillbook lab: no free 10.x.y.0/24 subnet found" >&2
  return 1
}

# net_up PREFIX: the bridge with PREFIX.1 and the guard route.
net_up() {
  local prefix=$1 br
  br=$(net_bridge)
  ip link add "$br" type bridge
  ip addr add "$prefix.1/24" dev "$br"
  ip link set "$br" up
  ip route add unreachable "$prefix.0/24" metric 4000
}

# net_host_up NAME ADDRESS: namespace, veth into the bridge, lo up.
net_host_up() {
  local name=$1 address=$2 ns veth
  ns=$(net_ns "$name")
  veth=$(net_veth "$name")
  ip netns add "$ns"
  ip link add "$veth" type veth peer name "${veth}p" netns "$ns"
  ip link set "$veth" master "$(net_bridge)" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "${veth}p" name eth0
  ip -n "$ns" addr add "$address/24" dev eth0
  ip -n "$ns" link set eth0 up
}

# net_link NAME up|down: the host's interface, from inside its namespace.
net_link() {
  ip -n "$(net_ns "$1")" link set eth0 "$2"
}

# net_down PREFIX: every namespace, veth, the bridge and the route of this lab. Idempotent.
net_down() {
  local prefix=$1 ns
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^dbl${LAB_ID}-" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$(net_bridge)" 2>/dev/null || true
  [ -n "$prefix" ] && ip route del unreachable "$prefix.0/24" metric 4000 2>/dev/null || true
}
