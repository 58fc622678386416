"""Latency of the change stream, against a direct LISTEN client in the same run.

    events.py HTTP_PORT DSN CLIENTS EDITS

Opens CLIENTS server-sent-event streams on the tile server's /events and one
LISTEN connection of its own on tailings_changes (the reference: what any
client of the database sees), then makes EDITS committed edits, one at a time.
For each edit it takes the time from just before the UPDATE to the
notification on the LISTEN connection, and to the change event on every
stream (the first and the last stream to get it).  Prints the medians and the
ratio of the server's last stream to the direct LISTEN.
"""
import select
import socket
import statistics
import sys
import time

import psycopg2
import psycopg2.extensions


def open_stream(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    buf = b""
    while b"event: hello" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("the stream closed before hello")
        buf += chunk
    if not buf.startswith(b"HTTP/1.1 200"):
        raise SystemExit("the stream did not answer 200: %r" % buf[:80])
    s.setblocking(False)
    return s


def main():
    port, dsn, nclients, nedits = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    streams = [open_stream(port) for _ in range(nclients)]
    listener = psycopg2.connect(dsn)
    listener.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    listener.cursor().execute("LISTEN tailings_changes")
    editor = psycopg2.connect(dsn)
    editor.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    cur = editor.cursor()
    cur.execute("SELECT id FROM tailings.element WHERE pond_id = 8 AND name = '地下水监视井 JC2'")
    element = cur.fetchone()[0]
    direct, first, last = [], [], []
    for i in range(nedits):
        dx = 0.0001 if i % 2 == 0 else -0.0001
        pending = {s.fileno(): s for s in streams}
        got_listen = None
        t0 = time.perf_counter()
        cur.execute("UPDATE tailings.element SET geom = ST_Translate(geom, %s, 0) WHERE id = %s", (dx, element))
        firsts = None
        while pending or got_listen is None:
            r, _, _ = select.select(list(pending.values()) + [listener], [], [], 10)
            if not r:
                raise SystemExit("edit %d: no event within 10 s (%d streams waiting)" % (i, len(pending)))
            now = time.perf_counter()
            for s in r:
                if s is listener:
                    listener.poll()
                    if listener.notifies:
                        listener.notifies.clear()
                        got_listen = now - t0
                    continue
                data = s.recv(65536)
                if not data:
                    raise SystemExit("a stream closed")
                if b"event: change" in data:
                    del pending[s.fileno()]
                    firsts = firsts if firsts is not None else now - t0
                    if not pending:
                        last.append(now - t0)
        direct.append(got_listen)
        first.append(firsts)
    ms = lambda xs: statistics.median(xs) * 1000
    print("edits %d, streams %d" % (nedits, nclients))
    print("direct LISTEN        median %.2f ms" % ms(direct))
    print("/events first stream median %.2f ms" % ms(first))
    print("/events last stream  median %.2f ms   (p95 %.2f ms)" %
          (ms(last), sorted(last)[int(0.95 * (len(last) - 1))] * 1000))
    print("ratio last stream / direct LISTEN: %.2f" % (statistics.median(last) / statistics.median(direct)))


main()
