#!/usr/bin/env python3
"""Sends raw Ethernet frames, given in hex, out of an interface (AF_PACKET), as a misbehaving
container would. Usage: send-frames.py IFNAME HEX [HEX ...]"""
import socket
import sys

iface = sys.argv[1]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for frame in sys.argv[2:]:
    s.send(bytes.fromhex(frame))
