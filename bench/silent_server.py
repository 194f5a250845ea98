#!/usr/bin/env python3
"""Hanging SMTP servers for bench/run: listens on PORT at each address of 127.20.0.0/16 that
bench/run names (127.20.A.B, A = i // 250, B = i % 250 + 1, for i < COUNT) and never accepts
or speaks. The kernel completes each TCP handshake and queues the connection, so a prober
connects and then waits for a greeting that never comes, until its own deadline.

Usage: silent_server.py COUNT PORT
Prints "ready" once every socket listens, then sleeps until killed. Costs no CPU while
probes hang. Linux routes all of 127.0.0.0/8 to lo, so these binds need no address setup.
"""
import signal
import socket
import sys


def main():
    count, port = int(sys.argv[1]), int(sys.argv[2])
    sockets = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((f'127.20.{i // 250}.{i % 250 + 1}', port))
        s.listen(4096)
        sockets.append(s)
    print('ready', flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == '__main__':
    main()
