#!/usr/bin/env python3
"""Sends malformed DNS queries, then one good query, to SERVER:53 over UDP.

Usage: malformed-queries.py SERVER NAME
Prints "good-answer RCODE ANCOUNT" for the good query's answer (or "no-answer"), and one line
per malformed query saying whether it was answered and with which rcode.
"""
import socket
import struct
import sys

server, name = sys.argv[1], sys.argv[2]


def header(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def qname(text):
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


q = qname(name) + struct.pack("!HH", 1, 1)
cases = {
    "short-header": b"\x12\x34\x01",
    "pointer-loop": header(2) + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "label-loop": header(3) + b"\x01a\xc0\x0c" + struct.pack("!HH", 1, 1),
    "long-label": header(4) + bytes([64]) + b"a" * 64 + b"\0" + struct.pack("!HH", 1, 1),
    "long-name": header(5) + (bytes([63]) + b"a" * 63) * 5 + b"\0" + struct.pack("!HH", 1, 1),
    "counts-too-large": header(6, ar=65535) + q,
    "truncated-name": header(7) + b"\x05ab",
    "qdcount-2": header(8, qd=2) + q,
    "response": header(9, flags=0x8100) + q,
    "opcode-status": header(10, flags=0x1100) + q,
    "class-chaos": header(11) + qname(name) + struct.pack("!HH", 1, 3),
}
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.5)
for label, data in cases.items():
    sock.sendto(data, (server, 53))
    try:
        reply = sock.recv(4096)
        print(f"{label} answered rcode {reply[3] & 0xF}")
    except socket.timeout:
        print(f"{label} dropped")
sock.settimeout(3)
sock.sendto(header(99) + q, (server, 53))
try:
    reply = sock.recv(4096)
    ancount = struct.unpack("!H", reply[6:8])[0]
    print(f"good-answer {reply[3] & 0xF} {ancount}")
except socket.timeout:
    print("no-answer")
