#!/usr/bin/env python3
"""Denial-of-service clients against tailings-tileserver (python3 stdlib only),
for tests/sh/http_limits.sh.  Every loop is bounded in count and time.

  http_attack.py slowloris PORT N SECONDS OUT
      N connections that send a request head one byte every second and never
      finish it; a connection the server closes is opened again after 0.5 s.
      Runs SECONDS, then writes to OUT a JSON object: opened, closed (by the
      server), got_408, open_at_end.
  http_attack.py trickle PORT SECONDS
      one connection trickling a request head, a byte every 0.3 s: prints
      "closed <seconds> <first status line or ->" when the server closes it,
      or "open <seconds>" when it was still open after SECONDS
  http_attack.py hold PORT N READY GO OUT [PATH]
      N connections that send a whole GET (of PATH, default /health, keep-alive)
      and read nothing more after the answer's first bytes; READY is written once
      all are connected and sent; then, once the file GO exists (at most 120 s),
      each is read to its end (at most 30 s in all); OUT gets: statuses (the first
      status line of each), eof (connections the server closed), open
  http_attack.py nonreaders PORT N READY GO OUT
      N clients of /events with a 4 KiB receive buffer that read nothing; READY
      is written once all have sent their request; once GO exists (at most
      300 s), each is read to its end (at most 60 s in all); OUT gets eof (the
      server closed it) and open
"""
import json
import os
import selectors
import socket
import sys
import time


def connect_nb(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return s


HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000 + b"\r\n\r\n"


def slowloris(port, n, seconds, out):
    sel = selectors.DefaultSelector()
    conns = {}   # socket -> bytes sent
    stats = {"opened": 0, "closed": 0, "got_408": 0}
    reopen = []  # times at which to open one again

    def open_one():
        s = connect_nb(port)
        conns[s] = 0
        sel.register(s, selectors.EVENT_READ)
        stats["opened"] += 1

    def close_one(s, data=b""):
        if data.startswith(b"HTTP/1.1 408"):
            stats["got_408"] += 1
        stats["closed"] += 1
        sel.unregister(s)
        del conns[s]
        s.close()
        reopen.append(time.monotonic() + 0.5)

    for _ in range(n):
        open_one()
    end = time.monotonic() + seconds
    next_tick = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_tick:
            next_tick = now + 1.0
            for s in list(conns):
                i = conns[s]
                if i >= len(HEAD) - 4:
                    continue
                try:
                    s.send(HEAD[i:i + 1])
                    conns[s] = i + 1
                except BlockingIOError:
                    pass
                except OSError:
                    close_one(s)
        while reopen and reopen[0] <= now and len(conns) < n:
            reopen.pop(0)
            open_one()
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
                close_one(s)
                continue
            close_one(s, data)
    stats["open_at_end"] = len(conns)
    for s in list(conns):
        s.close()
    with open(out, "w") as f:
        json.dump(stats, f)


def trickle(port, seconds):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(0.3)
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < seconds:
        try:
            data = s.recv(4096)
            line = data.split(b"\r\n", 1)[0].decode("latin-1") if data else "-"
            print("closed %.1f %s" % (time.monotonic() - t0, line))
            return
        except socket.timeout:
            pass
        except OSError:
            print("closed %.1f -" % (time.monotonic() - t0))
            return
        try:
            if i < len(HEAD) - 4:
                s.send(HEAD[i:i + 1])
                i += 1
        except OSError:
            print("closed %.1f -" % (time.monotonic() - t0))
            return
    print("open %.1f" % (time.monotonic() - t0))


def wait_file(path, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end and not os.path.exists(path):
        time.sleep(0.1)


def read_to_end(socks, limit):
    """read every socket until the server closes it, at most limit seconds; the closed ones"""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    left = len(socks)
    end = time.monotonic() + limit
    while left and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                closed += 1
                left -= 1
                sel.unregister(s)
    return closed


def hold(port, n, ready, go, out, path):
    socks, statuses = [], []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        socks.append(s)
    for s in socks:
        try:
            statuses.append(s.recv(200).split(b"\r\n", 1)[0].decode("latin-1") or "-")
        except OSError:
            statuses.append("-")
    open(ready, "w").close()
    wait_file(go, 120)
    for s in socks:
        s.shutdown(socket.SHUT_WR)
    closed = read_to_end(socks, 30)
    with open(out, "w") as f:
        json.dump({"statuses": statuses, "eof": closed, "open": n - closed}, f)


def nonreaders(port, n, ready, go, out):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        socks.append(s)
    open(ready, "w").close()
    wait_file(go, 300)
    closed = read_to_end(socks, 60)
    with open(out, "w") as f:
        json.dump({"eof": closed, "open": n - closed}, f)


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "slowloris":
        slowloris(port, int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    elif cmd == "trickle":
        trickle(port, float(sys.argv[3]))
    elif cmd == "hold":
        hold(port, int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6],
             sys.argv[7] if len(sys.argv) > 7 else "/health")
    elif cmd == "nonreaders":
        nonreaders(port, int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
