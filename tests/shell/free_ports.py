#!/usr/bin/env python3
"""free_ports.py [--dns] [--ipv6] N: prints N distinct loopback ports (one line, spaces between),
each free now and claimed for the test that asked, so that tests run side by side never pick the
same port in the moment between choosing it and their daemon (Postfix, Dovecot, nsd, Prometheus)
binding it. Without the claim two tests could be handed one port by the kernel in turn, and two
nsd on one UDP port (SO_REUSEADDR) answer each other's queries.

A claim is the directory CLAIMS/PORT holding the owner's pid: $PORT_OWNER (a test script sets it
to its own $$, since this runs in a subshell), else the parent process. A claim whose owner is
gone is free again. --dns: free for UDP too (a DNS server binds both). --ipv6: free on [::1] too
(exit 3 when the host has no ::1).

free_ports.py --port-53-address: prints the first 127.0.53.N whose port 53 is free for UDP and
TCP, claimed the same way (a resolver for tools that read /etc/resolv.conf, which names no port).
"""
import errno
import os
import socket
import sys

CLAIMS = os.path.join(os.environ.get("TMPDIR", "/tmp"), "starttls_exporter-ports")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim(port, owner):
    """True when PORT (a number, or "ADDRESS:PORT") is now ours: a new claim, or one whose
    owner is gone."""
    path = os.path.join(CLAIMS, str(port))
    for _ in range(2):
        try:
            os.mkdir(path)
        except FileExistsError:
            try:
                with open(os.path.join(path, "pid")) as f:
                    holder = int(f.read().strip() or 0)
            except (OSError, ValueError):
                return False  # being written by another claimer: not ours
            if holder and alive(holder):
                return False
            try:  # the owner is gone: take it over (rename is atomic; a loser finds it gone)
                stale = path + ".stale." + str(os.getpid())
                os.rename(path, stale)
                os.remove(os.path.join(stale, "pid"))
                os.rmdir(stale)
            except OSError:
                return False
            continue
        with open(os.path.join(path, "pid"), "w") as f:
            f.write(str(owner))
        return True
    return False


def bindable(port, dns, ipv6):
    extra = []
    if dns:
        extra.append((socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"))
    if ipv6:
        extra.append((socket.AF_INET6, socket.SOCK_STREAM, "::1"))
    for family, kind, address in extra:
        s = socket.socket(family, kind)
        try:
            s.bind((address, port))
        except OSError as e:
            if ipv6 and family == socket.AF_INET6 and e.errno == errno.EADDRNOTAVAIL:
                sys.exit(3)
            return False
        finally:
            s.close()
    return True


def port_53_address(owner):
    for n in range(1, 255):
        address = f"127.0.53.{n}"
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((address, 53))
                s.close()
        except OSError:
            continue
        if claim(address + ":53", owner):
            return address
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if args == ["--port-53-address"]:
        os.makedirs(CLAIMS, exist_ok=True)
        print(port_53_address(int(os.environ.get("PORT_OWNER") or os.getppid())))
        return
    dns = "--dns" in args
    ipv6 = "--ipv6" in args
    count = int([a for a in args if not a.startswith("--")][0])
    owner = int(os.environ.get("PORT_OWNER") or os.getppid())
    os.makedirs(CLAIMS, exist_ok=True)
    held, ports = [], []
    while len(ports) < count:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))  # held until the end: the kernel hands out distinct ports
        held.append(s)
        port = s.getsockname()[1]
        if bindable(port, dns, ipv6) and claim(port, owner):
            ports.append(port)
    print(*ports)


if __name__ == "__main__":
    main()
