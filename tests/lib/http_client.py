#!/usr/bin/env python3
"""Raw-socket HTTP helpers for the HTTP suites (python3 stdlib only).

  http_client.py raw PORT [TIMEOUT]
      send stdin, byte for byte, to 127.0.0.1:PORT; print what comes back
      until the server closes the connection or TIMEOUT seconds pass
  http_client.py burst PORT N PATH [HEADER...]
      connect N sockets first, then send "GET PATH" on all of them at once and
      read every answer; print one line per request: STATUS BODY_MD5 BODY_LEN
      ETAG, in the order the requests were sent
"""
import hashlib
import select
import socket
import sys
import time


def read_all(sock, timeout):
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            chunks.append(b)
    except socket.timeout:
        pass
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def raw(port, timeout):
    data = sys.stdin.buffer.read()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = read_all(s, timeout)
    s.close()
    sys.stdout.buffer.write(out)


def parse(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, b"", ""
    etag = ""
    clen = None
    chunked = False
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        k = k.strip().lower()
        v = v.strip()
        if k == b"etag":
            etag = v.decode("latin-1")
        elif k == b"content-length":
            clen = int(v)
        elif k == b"transfer-encoding" and v.lower() == b"chunked":
            chunked = True
    if chunked:
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out += rest[:size]
            rest = rest[size + 2:]
        body = out
    elif clen is not None:
        body = body[:clen]
    return status, body, etag


def burst(port, n, path, headers):
    extra = "".join(h + "\r\n" for h in headers)
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n"
           % (path, port, extra)).encode()
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
    for s in socks:
        s.sendall(req)
    bufs = {s: [] for s in socks}
    open_ = set(socks)
    deadline = time.time() + 30
    while open_ and time.time() < deadline:
        r, _, _ = select.select(list(open_), [], [], 1.0)
        for s in r:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                b = b""
            if b:
                bufs[s].append(b)
            else:
                open_.discard(s)
    for s in socks:
        status, body, etag = parse(b"".join(bufs[s]))
        print(status, hashlib.md5(body).hexdigest(), len(body), etag)
        s.close()


def main():
    cmd = sys.argv[1]
    port = int(sys.argv[2])
    if cmd == "raw":
        raw(port, float(sys.argv[3]) if len(sys.argv) > 3 else 5.0)
    elif cmd == "burst":
        burst(port, int(sys.argv[3]), sys.argv[4], sys.argv[5:])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
