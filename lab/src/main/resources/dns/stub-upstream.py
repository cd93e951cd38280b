#!/usr/bin/env python3
"""A tiny authoritative DNS server: the upstream that jvs forwards to in the tests and the demo.

Usage: stub-upstream.py ADDRESS [PORT]   (ADDRESS of either family)
Serves UDP and TCP. Names under "example." are its zone: "ext.example" has A 198.51.100.7,
"many.example" has 80 A records (too large for 512-byte UDP), every other name is NXDOMAIN
with the zone's SOA (negative TTL 30). Prints one line per query it receives.
"""
import socket
import socketserver
import struct
import sys
import threading


def parse_question(data):
    pos, labels = 12, []
    while True:
        n = data[pos]
        if n == 0:
            pos += 1
            break
        labels.append(data[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    qtype, qclass = struct.unpack("!HH", data[pos:pos + 4])
    return ".".join(labels).lower(), qtype, data[12:pos + 4]


def wire(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def answer(data):
    (qid, flags) = struct.unpack("!HH", data[:4])
    name, qtype, question = parse_question(data)
    print(f"query {name} type {qtype}", flush=True)
    records = []
    rcode = 0
    if name == "ext.example" and qtype == 1:
        records = [bytes([198, 51, 100, 7])]
    elif name == "many.example" and qtype == 1:
        records = [bytes([198, 51, 101, i]) for i in range(80)]
    elif name not in ("ext.example", "many.example"):
        rcode = 3
    head = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(records),
                       0 if records else 1, 0)
    body = question
    for rdata in records:
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, len(rdata)) + rdata
    if not records:
        soa = wire("ns.example") + wire("admin.example") + struct.pack("!IIIII", 1, 7200, 900, 1209600, 30)
        body += wire("example") + struct.pack("!HHIH", 6, 1, 3600, len(soa)) + soa
    return head + body


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = answer(data)
        if len(reply) > 512:  # no EDNS handling here: truncate like a classic server
            name_end = 12 + len(parse_question(data)[2])
            reply = reply[:2] + struct.pack("!H", struct.unpack("!H", reply[2:4])[0] | 0x0200) \
                + struct.pack("!HHHH", 1, 0, 0, 0) + reply[12:name_end]
        sock.sendto(reply, self.client_address)


class Tcp(socketserver.BaseRequestHandler):
    def handle(self):
        size = struct.unpack("!H", self.request.recv(2))[0]
        data = b""
        while len(data) < size:
            data += self.request.recv(size - len(data))
        reply = answer(data)
        self.request.sendall(struct.pack("!H", len(reply)) + reply)


def main():
    address = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 53
    socketserver.ThreadingUDPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    if ":" in address:  # an IPv6 upstream
        socketserver.ThreadingUDPServer.address_family = socket.AF_INET6
        socketserver.ThreadingTCPServer.address_family = socket.AF_INET6
    udp = socketserver.ThreadingUDPServer((address, port), Udp)
    tcp = socketserver.ThreadingTCPServer((address, port), Tcp)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    print("ready", flush=True)
    udp.serve_forever()


if __name__ == "__main__":
    main()
