#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs COMMAND... in a network namespace of its own that looks like a host
# with one network card and a default route through it: `wan0`
# (198.18.1.1/24), whose far end `wan1` has no address and answers nothing.
# Whatever this host sends to any address that is not its own leaves
# through wan0 and arrives at wan1, where a test can capture it. The
# gateway's MAC is a permanent neighbour entry and IPv6 is off on the pair,
# so the kernel itself sends nothing there (no ARP, no ND, no MLD).
# Nothing is connected to wan1: no packet leaves the machine.
set -euo pipefail
if [[ "${1:-}" != "--inner" ]]; then
  UNSHARE=(unshare -n)
  [[ $(id -u) -ne 0 ]] && UNSHARE=(unshare -r -n)
  exec "${UNSHARE[@]}" -- "$0" --inner "$@"
fi
shift
ip link set lo up
ip link add wan0 type veth peer name wan1
for i in wan0 wan1; do sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"; done
ip addr add 198.18.1.1/24 dev wan0
ip link set wan1 up
ip link set wan0 up
mac=$(ip -o link show wan1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip neigh replace 198.18.1.2 lladdr "$mac" dev wan0 nud permanent
ip route add default via 198.18.1.2 dev wan0
export WEBRTCLIVE_WAN=wan1 WEBRTCLIVE_WAN_GATEWAY=198.18.1.2
exec "$@"
