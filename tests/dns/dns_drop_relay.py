#!/usr/bin/env python3
"""A UDP DNS relay for the resolver test and bench/run's domain scenarios: it passes queries
on to nsd and answers, except those for names under DROP_SUFFIX, which it never answers (a DNS
server that is gone, as the exporter's resolver sees it). Loopback only.

Usage: dns_proxy.py LISTEN_PORT UPSTREAM_PORT DROP_SUFFIX   (prints "ready" when listening)
"""
import select
import socket
import sys


def qname(packet):
    """The question's name, lower case, dotted; None when the packet is not a plain query."""
    labels, at = [], 12
    while at < len(packet):
        length = packet[at]
        if length == 0:
            return '.'.join(labels).lower()
        if length & 0xC0:
            return None
        labels.append(packet[at + 1:at + 1 + length].decode('ascii', 'replace'))
        at += 1 + length
    return None


def main():
    listen_port, upstream_port, drop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].lower()
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(('127.0.0.1', listen_port))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(('127.0.0.1', 0))
    upstream = ('127.0.0.1', upstream_port)
    waiting = {}  # (query id, name) -> client address
    print('ready', flush=True)
    while True:
        readable, _, _ = select.select([front, back], [], [])
        if front in readable:
            packet, client = front.recvfrom(65535)
            name = qname(packet)
            if name is not None and (name == drop or name.endswith('.' + drop)):
                continue
            waiting[(packet[:2], name)] = client
            back.sendto(packet, upstream)
        if back in readable:
            packet, _ = back.recvfrom(65535)
            client = waiting.pop((packet[:2], qname(packet)), None)
            if client:
                front.sendto(packet, client)


if __name__ == '__main__':
    main()
