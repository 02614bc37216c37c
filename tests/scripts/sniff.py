#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Captures every frame arriving at INTERFACE (an AF_PACKET socket, as
# tcpdump would) and prints one JSON line per frame: protocol, addresses,
# ports. Prints {"ready": true} once capturing. Runs until killed.
import json, socket, struct, sys

ETH_P_ALL = 0x0003
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.bind((sys.argv[1], 0))
print(json.dumps({"ready": True}), flush=True)
while True:
    frame, addr = s.recvfrom(65535)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    ethertype = struct.unpack("!H", frame[12:14])[0]
    out = {"ethertype": hex(ethertype), "length": len(frame)}
    payload = frame[14:]
    if ethertype == 0x0800 and len(payload) >= 20:
        ihl = (payload[0] & 0x0F) * 4
        proto = payload[9]
        out.update(proto={6: "tcp", 17: "udp", 1: "icmp", 2: "igmp"}.get(proto, str(proto)),
                   src=socket.inet_ntoa(payload[12:16]), dst=socket.inet_ntoa(payload[16:20]))
        if proto in (6, 17) and len(payload) >= ihl + 4:
            out["sport"], out["dport"] = struct.unpack("!HH", payload[ihl:ihl + 4])
    elif ethertype == 0x86DD and len(payload) >= 40:
        out.update(proto=str(payload[6]), src=socket.inet_ntop(socket.AF_INET6, payload[8:24]),
                   dst=socket.inet_ntop(socket.AF_INET6, payload[24:40]))
    elif ethertype == 0x0806:
        out["proto"] = "arp"
    print(json.dumps(out), flush=True)
