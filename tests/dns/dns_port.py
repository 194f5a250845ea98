#!/usr/bin/env python3
"""Prints a loopback port free for both TCP and UDP (a DNS server needs both), other than the
ports given as arguments (ports a test has picked already but not bound yet)."""
import socket
import sys

taken = {int(p) for p in sys.argv[1:]}
while True:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if port not in taken:
            udp.bind(("127.0.0.1", port))
            print(port)
            break
    except OSError:
        pass
    finally:
        tcp.close()
        udp.close()
