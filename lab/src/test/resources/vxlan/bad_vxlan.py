#!/usr/bin/env python3
"""Sends malformed VXLAN datagrams at a VTEP, one of each kind, for VxlanIT.

usage: bad_vxlan.py TARGET_IP PORT VNI SOURCE_IP ALIEN_SOURCE_IP
SOURCE_IP is a configured peer's address; ALIEN_SOURCE_IP another address of the same host that
is not a peer (the "unknown sender" case).
"""
import socket
import struct
import sys

target, port, vni, source, alien = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]


def header(flags=0x08, vni_value=vni, reserved1=0, reserved2=0):
    return struct.pack("!B3sI", flags, reserved1.to_bytes(3, "big"), (vni_value << 8) | reserved2)


# a broadcast ARP request from a made-up MAC: a well-formed inner frame
inner = (b"\xff" * 6 + bytes.fromhex("02aabbccddee") + b"\x08\x06"
         + bytes.fromhex("0001080006040001") + bytes.fromhex("02aabbccddee") + bytes([10, 77, 0, 9])
         + b"\x00" * 6 + bytes([10, 77, 0, 10]))

cases = {
    "truncated": header()[:5],
    "bad-flags": header(flags=0x0C) + inner,
    "reserved-bits": header(reserved1=1) + inner,
    "unknown-vni": header(vni_value=vni + 1) + inner,
    "runt-inner": header() + inner[:10],
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((source, 0))
for name, payload in cases.items():
    s.sendto(payload, (target, port))
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind((alien, 0))
a.sendto(header() + inner, (target, port))
print("sent", ", ".join(list(cases) + ["unknown-sender"]))
