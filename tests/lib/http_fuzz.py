#!/usr/bin/env python3
"""Random and malformed HTTP requests against tailings-tileserver, over raw
sockets (python3 stdlib only).

  http_fuzz.py PORT [--seed N] [--count N] [--workers N] [--log FILE] [--tokens FILE]

The cases come from one seeded generator, so a seed always makes the same
requests: random paths (unicode, %-escapes, %00, long segments, "..", huge and
negative numbers, empty segments, query strings), malformed request lines, bad
HTTP versions, huge, malformed and many headers, bodies, slow partial requests
closed early, pipelined requests and garbage bytes; and the server's limits:
Host headers it does not answer for (400), ambiguous message lengths
(duplicated Content-Length, Transfer-Encoding beside Content-Length, a length
that is not a number: 400), request heads that stall past the header deadline
(408 or closed; run the server with --header-timeout-s 2).  They run on a few
threads, one connection each; every 250 cases /health must answer 200.

With --tokens FILE (a server with --auth token; the file's lines are live
tokens, the first an enterprise's that may draw pond 8), two more kinds: the
Authorization header (live tokens, the same mangled, other schemes, garbage,
two headers; on well-formed paths of routes run as a role: a token that is
not live must get 401, a live one must not), and JSON bodies to the write API
(drawings, mangled drawings, deep, huge, not UTF-8, NUL bytes, truncated, other
content types): any status a client can cause, never 500.

A violation, which makes the exit status 1:
  - a status of 500 or more (the database is up: no 503 either), except 501
    for a request whose method is not one of HTTP's (RFC 9110 15.6.2: the
    server's HTTP layer answers those itself)
  - an answer that is not HTTP/1.x
  - a JSON error body that is not {"error": "...", "status": <the status>}
  - another status than the one a limit case must get (400 for a bad Host or
    an ambiguous length; 408 or nothing for a stalled head)
  - no answer at all to a well-formed request
  - /health not 200 between batches, or at the end
Printed besides: statuses by kind, HEAD answers that carried a body.
"""
import argparse
import datetime
import json
import random
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

LAYERS = ["all", "ponds", "site", "dust", "seepage", "leachate", "groundwater", "stormwater",
          "water_return", "emergency", "receptor"]
UNICODE = ["尾矿库", "龙佰", "ü", "é", "😀", "\u202e", "\ufeff", "Ω", "ß", "\u0000", "\uffff", "𝔘"]
KNOWN_METHODS = {b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT", b"PATCH"}
METHODS_OK = ["GET"] * 12 + ["HEAD"] * 2 + ["OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE"]


class Case:
    __slots__ = ("index", "kind", "chunks", "pause", "close_early", "must_answer", "timeout",
                 "head", "expect")

    def __init__(self, index, kind, chunks, pause=0.0, close_early=False, must_answer=False,
                 timeout=3.0, head=False, expect=None):
        self.index = index
        self.kind = kind
        self.chunks = chunks
        self.pause = pause
        self.close_early = close_early
        self.must_answer = must_answer
        self.timeout = timeout
        self.head = head
        self.expect = expect    # the statuses allowed, when only some are


class Gen:
    def __init__(self, seed, tokens=()):
        self.r = random.Random(seed)
        self.tokens = list(tokens)

    # --- pieces ------------------------------------------------------------
    def number(self):
        r = self.r
        return r.choice([
            str(r.randint(0, 30)), str(r.randint(0, 1 << 22)), str(r.randint(-5, -1)),
            "99999999999999999999", "18446744073709551616", "2147483648", "4294967296",
            "0" * r.randint(1, 30) + "1", "1e3", "0x10", "1.5", "+1", " 1", "", "NaN", "-0",
            str(r.randint(0, 9)) * r.randint(10, 400),
        ])

    def escape(self):
        r = self.r
        return r.choice(["%00", "%2F", "%2f", "%2e", "%2E%2E", "%5C", "%20", "%25", "%G1", "%",
                         "%e5%b0%be", "%ff", "%c0%af", "%0d%0a", "%7f", "%3F", "%23",
                         "%%", "%1", "%" + "%02X" % r.randint(0, 255)])

    def segment(self):
        r = self.r
        k = r.randint(0, 11)
        if k == 0:
            return self.number()
        if k == 1:
            return r.choice(UNICODE)
        if k == 2:
            return "".join(self.escape() for _ in range(r.randint(1, 6)))
        if k == 3:
            return r.choice(["..", ".", "", "...", "./..", "..;", ".%2e"])
        if k == 4:
            return "a" * r.randint(100, 2500)
        if k == 5:
            return r.choice(LAYERS) + "," + r.choice(LAYERS + ["", "bogus", "ALL"])
        if k == 6:
            return "".join(r.choice("abcxyz0123456789-_~!$&'()*+,;=:@") for _ in range(r.randint(1, 20)))
        if k == 7:
            return r.choice(["tiles", "api", "ponds", "fonts", "style.json", "health", "metrics",
                             "sprite.png", "index.html", "completeness", "all.json"])
        if k == 8:
            return self.number() + r.choice([".mvt", ".pbf", ".json", ".png", "", ".mvt.mvt", "."])
        if k == 9:
            return "".join(chr(r.randint(0x21, 0x7e)) for _ in range(r.randint(1, 12)))
        if k == 10:
            return "".join(chr(r.randint(0x80, 0x2fff)) for _ in range(r.randint(1, 6)))
        return r.choice(LAYERS)

    def query(self):
        r = self.r
        k = r.randint(0, 9)
        if k <= 3:
            return ""
        if k == 4:
            return "?at=" + r.choice([
                "2025-03-01", "2025-03-01T08:00:00Z", "2025-03-01T08:00:00%2B08:00",
                "2025-03-01T08:00:00+08:00", "2025-13-45", "0000-00-00", "9999-12-31T23:59:59Z",
                "2025-03-01T24:00:00Z", "yesterday", "", "%00", "2025-03-01T08:00:00.%s" % ("9" * r.randint(1, 60)),
                "-2025-03-01", "2025-02-30", "1900-01-01T00:00:00-12:00", "2025-03-01 08:00",
                "2025-03-01T08:00:00+99:99", "2025-03-01T08:00:00%20%2B08"])
        if k == 5:
            return "?" + "&".join("%s=%s" % (self.segment()[:50], self.segment()[:50]) for _ in range(r.randint(1, 8)))
        if k == 6:
            return "?"
        if k == 7 and r.random() < 0.5:   # the hazard board's filters
            return "?" + "&".join("%s=%s" % (r.choice(["status", "overdue", "county", "campaign", "severity", "pond",
                                                       "format", "lang"]),
                                             r.choice(["open,rectifying", "open%2Cclosed", "1", "0", "5104", "x",
                                                       "%E6%B1%9B", "%E6", "%00", "+", "csv", "geojson", "major",
                                                       self.segment()[:40], self.number()]))
                                  for _ in range(r.randint(1, 5)))
        if k == 7:
            return "?at=2025-03-01&at=" + self.number()
        if k == 8:
            return "?" + "x" * r.randint(100, 3000)
        return "#" + self.segment()

    def path(self):
        r = self.r
        k = r.randint(0, 9)
        if k <= 3:
            z = r.choice([self.number(), str(r.randint(0, 22))])
            x = r.choice([self.number(), str(r.randint(0, 3)), str(r.randint(12800, 12850))])
            y = r.choice([self.number(), str(r.randint(0, 3)), str(r.randint(6930, 6950))])
            layers = r.choice([r.choice(LAYERS), self.segment(), ",".join(r.sample(LAYERS, r.randint(1, 4)))])
            ext = r.choice([".mvt", ".pbf", ".mvt", "", ".json", ".png", ".mvt/", "%2Emvt"])
            parts = ["tiles", layers, z, x, y + ext]
            if r.random() < 0.2:
                parts.insert(r.randint(1, len(parts)), self.segment())
            if r.random() < 0.1:
                del parts[r.randint(1, len(parts) - 1)]
            return "/" + "/".join(parts)
        if k == 4:
            return "/tiles/" + self.segment() + r.choice([".json", "", ".JSON"])
        if k == 5:
            if r.random() < 0.25:
                return "/api/inspections/" + r.choice([self.number(), self.segment(), "1", str(r.randint(0, 5))]) + \
                    r.choice(["", "/", "/visits", "/visits/" + r.choice([self.number(), self.segment(), "190"]),
                              "/" + self.segment()])
            return "/api/ponds/" + r.choice([self.number(), self.segment(), "8", str(r.randint(1, 45))]) + \
                r.choice(["", "/completeness", "/", "/" + self.segment(), "/checklist", "/inspections", "/samples",
                          "/monitoring", "/file", "/hazards", "/ledger",
                          "/ledger/" + r.choice(["2024", self.number(), self.segment()]), "/documents"])
        if k == 6 and r.random() < 0.3:
            return "/api/" + r.choice(["hazards", "documents"]) + r.choice(["", "/", "/" + self.number(), "/" + self.segment()]) + \
                r.choice(["", "/checks", "/checks/" + self.number(), "/checks/" + self.segment(), "/" + self.segment()])
        if k == 6:
            return "/fonts/" + self.segment() + "/" + self.number() + "-" + self.number() + r.choice([".pbf", ""])
        if k == 7:
            return r.choice(["/style.json", "/sprite.json", "/sprite@2x.png", "/health", "/metrics", "/",
                             "/index.html", "/api/ponds", "//", "/tiles", "/api", "/sprite@3x.png"])
        return "/" + "/".join(self.segment() for _ in range(r.randint(0, 8)))

    @staticmethod
    def clean_target(p):
        """make a path safe for a request line: no blanks, CR, LF or NUL"""
        b = p.encode("utf-8", "surrogatepass")
        out = bytearray()
        for c in b:
            if c in b" \t\r\n\x00\x0b\x0c":
                out += b"%%%02X" % c
            else:
                out.append(c)
        return bytes(out)

    def headers(self, host=True):
        r = self.r
        h = []
        if host:
            h.append(b"Host: 127.0.0.1")
        for _ in range(r.randint(0, 3)):
            h.append(r.choice([
                b"Accept-Encoding: gzip", b"Accept-Encoding: gzip;q=0", b"Accept-Encoding: br, deflate",
                b"If-None-Match: *", b'If-None-Match: "abc"', b"If-None-Match: " + b"x" * r.randint(1, 500),
                b"User-Agent: fuzz", b"Accept: */*", b"X-Forwarded-Proto: https", b"Origin: https://x.example",
                b"Accept-Language: zh-CN", b"Accept-Encoding: " + b"gzip," * r.randint(1, 200),
            ]))
        return h

    # --- cases -------------------------------------------------------------
    def case(self, i):
        r = self.r
        auth = 12 if self.tokens else 0
        kind = r.choices(["path", "reqline", "version", "headers", "body", "slow", "garbage", "pipeline",
                          "badhost", "length", "stall", "auth", "json"],
                         weights=[40, 10, 6, 14, 6, 6, 10, 8, 4, 4, 0.4, auth, auth])[0]
        return getattr(self, "case_" + kind)(i)

    # --- the Authorization header and JSON bodies (--tokens) ------------------
    ROLE_PATHS = ["/api/whoami", "/api/ponds", "/api/ponds/8", "/api/ponds/9", "/api/ponds/8/geojson?for=drawing",
                  "/tiles/all/14/12824/6942.mvt", "/tiles/all/10/801/433.mvt", "/tiles/ponds.json",
                  "/api/submissions", "/api/submissions?status=submitted", "/api/submissions/1", "/api/history",
                  "/api/ponds/8/checklist", "/api/ponds/8/inspections", "/api/inspections/1", "/api/inspections/2",
                  "/api/ponds/8/samples?parameter=Mn", "/api/ponds/8/samples?element_id=193", "/api/ponds/8/monitoring",
                  "/api/ponds/8/file", "/api/ponds/8/file?lang=en", "/api/ponds/9/file", "/api/ponds/8/hazards",
                  "/api/hazards", "/api/hazards?status=open,rectifying&overdue=1", "/api/hazards?format=csv",
                  "/api/hazards?format=geojson&county=5104", "/api/hazards/1", "/api/hazards/1/checks",
                  "/api/hazards/1/checks/1", "/api/ponds/8/ledger", "/api/ponds/8/ledger/2024",
                  "/api/ponds/8/documents", "/api/documents/1"]

    # the fields of the write API's JSON objects (hazards, checks, the ledger, papers) and some that are none
    FIELDS = ["element_id", "lon", "lat", "description", "severity", "category", "campaign", "deadline", "found_on",
              "found_by", "found_level", "status", "rectification", "rectified_on", "passed", "note", "checked_on",
              "level", "checked_by", "produced_t", "stored_t", "stock_t", "kind", "number", "issued_on",
              "valid_until", "issuer", "attrs", "bogus", "st\\u0061tus", ""]
    VALUES = [None, True, False, 0, -5, 101.79, 26.47, 1e308, "open", "rectifying", "rectified", "closed", "major",
              "general", "2025-03-01", "2099-12-31", "2025-13-45", "county", "city", "groundwater", "emergency_plan",
              "隐患描述", "", "\u0000", {}, [], {"reviewed_on": "2025-01-01"}]

    def mangle(self, t):
        r = self.r
        k = r.randint(0, 7)
        if k == 0:
            return t[:r.randint(0, len(t) - 1)]
        if k == 1:
            return t + r.choice(["a", "=", "==", "-", "_", "0"])
        if k == 2:
            j = r.randint(0, len(t) - 1)
            return t[:j] + r.choice([c for c in "ABCabc019-_" if c != t[j]]) + t[j + 1:]
        if k == 3:
            return t.upper() if t != t.upper() else t.lower()
        if k == 4:
            return t[::-1]
        if k == 5:
            return t[1:] + t[0]
        if k == 6:
            return "tl_" + t
        return t.replace("tl_", "")

    def authorization(self):
        """(header lines, what the token is: "live", "dead" or "malformed")"""
        r = self.r
        live = r.choice(self.tokens)
        k = r.randint(0, 14)
        if k <= 3:
            return [b"Authorization: Bearer " + live.encode()], "live"
        if k == 4:
            return [b"Authorization: " + r.choice([b"bearer ", b"BEARER ", b"Bearer   "]) + live.encode()], "live"
        if k <= 7:
            return [b"Authorization: Bearer " + self.mangle(live).encode()], "dead"
        if k == 8:
            return [b"Authorization: Bearer " + live.encode(), b"Authorization: Bearer " + live.encode()], "malformed"
        if k == 9:
            return [b"Authorization: " + r.choice([b"Basic YWxhZGRpbjpvcGVuc2VzYW1l", b"Bearer", b"Bearer ",
                                                   b"Token " + live.encode(), b"Bearer" + live.encode(), b"",
                                                   b"Negotiate abc", b"Bearer \t" + live.encode()])], "malformed"
        if k == 10:
            return [b"Authorization: Bearer " + bytes(r.randint(0x21, 0x7e) for _ in range(r.randint(1, 600)))], "junk"
        if k == 11:
            return [b"Authorization: Bearer " + "".join(r.choice(UNICODE[:9]) for _ in range(r.randint(1, 8))).encode()], "malformed"
        if k == 12:
            return [b"Authorization: Bearer " + bytes(r.randint(0x80, 0xff) for _ in range(r.randint(1, 60)))], "malformed"
        if k == 13:
            return [b"Authorization: Bearer " + b"a" * r.randint(400, 7000)], "junk"
        if r.random() < 0.3:
            # libevent hands a header to the server up to a NUL: the live token before it
            return [b"Authorization: Bearer " + live.encode() + b"\x00" + self.mangle(live).encode()], "cut"
        return [b"Authorization: Bearer " + live.encode() + r.choice([b" x", b",", b";", b" y"])], "junk"

    def case_auth(self, i):
        r = self.r
        lines, what = self.authorization()
        method = r.choice(["GET", "GET", "GET", "HEAD"])
        data = self.request(method, self.clean_target(r.choice(self.ROLE_PATHS)), [b"Host: 127.0.0.1"] + lines)
        # a live token reaches its route; a mangled one is 401; junk is 401 (or libevent's 400 for
        # a header it cannot read)
        expect = {200, 204, 304, 404} if what == "live" else {401} if what == "dead" else {400, 401}
        if what == "cut":
            expect = {200, 204, 304, 404, 400, 401}
        if len(data) > 7000:
            expect = None   # beyond libevent's header limit: its own 400
        return Case(i, "auth", [data], must_answer=expect is not None, timeout=3.0, head=method == "HEAD",
                    expect=expect)

    def json_value(self, depth=0):
        r = self.r
        k = r.randint(0, 9 if depth < 6 else 5)
        if k == 0:
            return None
        if k == 1:
            return r.choice([True, False])
        if k == 2:
            return r.choice([0, -1, 1e308, -1e308, 2 ** 70, 3.14, 1e-320, 99999999999999999999])
        if k == 3:
            return r.choice(UNICODE) * r.randint(0, 4) + r.choice(["", "JC2", "沉淀池", "\u0000", "a" * 300])
        if k == 4:
            return r.choice(["groundwater_well", "pond_boundary", "dam", "no_kind", "地下水监测井", "", "2025-03-01",
                             "2025-13-45", "satellite", "ground", "-0", "1e999"])
        if k == 5:
            return [r.uniform(-200, 200), r.uniform(-100, 100)]
        if k <= 7:
            return [self.json_value(depth + 1) for _ in range(r.randint(0, 4))]
        return {r.choice(["kind", "name", "id", "source", "attrs", "accuracy_m", "surveyed_on", "verified_on",
                          "pond_id", "kind_label", "type", "coordinates", "x", "深度", "state", "visited_at", "lon",
                          "lat", "element_id", "value", "finished_on"]): self.json_value(depth + 1)
                for _ in range(r.randint(0, 5))}

    RECORD_FIELDS = {"visit": ["state", "visited_at", "lon", "lat", "note"],
                     "inspection": ["finished_on", "started_on", "campaign", "inspector"],
                     "sample": ["element_id", "sampled_on", "parameter", "value", "unit"]}

    def record(self, kind):
        """a visit, an inspection (or its change) or a sample: each field mostly there and right"""
        r = self.r
        def pick(good, bad):
            return r.choice(good) if r.random() < 0.8 else r.choice(bad + [self.json_value(4)])
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        times = [now.isoformat(timespec="seconds"), now.strftime("%Y-%m-%d %H:%MZ"), None]
        day = (datetime.date(2024, 1, 1) + datetime.timedelta(days=r.randint(0, 700))).isoformat()
        fields = {
            "state": pick(["normal", "abnormal", "out_of_service", "not_found"], ["broken", "", None, 1]),
            "visited_at": pick(times, ["2025-02-30T08:00:00+08:00", "2025-03-01T24:00:00Z", "yesterday",
                                       "2025-03-01T08:00:00", "9999-12-31T23:59:59+99:00", "2020-01-01T00:00:00Z"]),
            "lon": pick([101.79, 101.8 + r.random() / 100], [181, -1e308, "101.79", 5e-324, True]),
            "lat": pick([26.47, 26.46 + r.random() / 100], [91, 1e308, "26.47", []]),
            "note": pick(["排水沟堵塞", None, "a" * 500], [5, {}]),
            "finished_on": pick([now.date().isoformat(), None], ["2025-02-29", "2025-13-01", "1899-12-31", 20250301]),
            "started_on": pick([now.date().isoformat()], [None, "2025/03/01", "", "2025-03-01"]),
            "campaign": pick(["2025年汛前检查", None], ["", " ", 7]),
            "inspector": pick(["王工、李工"], [None, "", 3]),
            "element_id": pick([193, 192, 195], [0, -1, 1.5, 2 ** 70, "193", 999999, 190]),
            "sampled_on": pick([day], ["2025-02-29", "", None, "2099-01-01"]),
            "parameter": pick(["manganese", "Mn", "锰", "pH", "iron", "unobtainium"], ["", " ", 3, None]),
            "value": pick([0.05, 80, 7.2, 0, r.random()], [-1, "0.1", 1e308, None, -0.0]),
            "unit": pick(["mg/L", "µg/L", "μg/L", None], ["%", "", 1, "无量纲"]),
        }
        keys = [k for k in self.RECORD_FIELDS[kind] if r.random() < 0.85]
        doc = {k: fields[k] for k in keys}
        if r.random() < 0.1:
            doc[r.choice(["photo", "level", "id", "pond_id", "state"])] = self.json_value(4)
        return doc

    def drawing(self):
        r = self.r
        feats = []
        for _ in range(r.randint(0, 6)):
            gtype = r.choice(["Point", "LineString", "Polygon", "MultiPoint", "GeometryCollection", "Nope", None])
            lon, lat = r.choice([(101.79, 26.47), (0, 0), (181, 91), (101.7 + r.random() / 10, 26.4 + r.random() / 10)])
            coords = {"Point": [lon, lat], "LineString": [[lon, lat], [lon + 0.001, lat]],
                      "Polygon": [[[lon, lat], [lon + 0.001, lat], [lon, lat + 0.001], [lon, lat]]],
                      "MultiPoint": [[lon, lat]]}.get(gtype, self.json_value())
            props = {"kind": r.choice(["groundwater_well", "pond_boundary", "dam", "drain_pipe", "bogus", 5, None,
                                       "地下水监测井"]),
                     "name": self.json_value(3)}
            for key in r.sample(["id", "source", "attrs", "accuracy_m", "surveyed_on", "verified_on", "pond_id",
                                 "well_depth_m"], r.randint(0, 4)):
                props[key] = self.json_value(3)
            feat = {"type": r.choice(["Feature", "Feature", "Feature", "feature", None]),
                    "geometry": None if gtype is None else {"type": gtype, "coordinates": coords},
                    "properties": r.choice([props, props, props, None, [], "x"])}
            feats.append(feat)
        doc = {"type": r.choice(["FeatureCollection", "FeatureCollection", "Feature", None]), "features": feats}
        if r.random() < 0.2:
            doc["crs"] = r.choice([{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
                                   {"type": "name", "properties": {"name": "EPSG:3857"}}, "x"])
        return doc

    def fields_body(self):
        r = self.r
        doc = {}
        for key in r.sample(self.FIELDS, r.randint(0, 5)):
            doc[key] = r.choice(self.VALUES) if r.random() < 0.8 else self.json_value(2)
        return json.dumps(doc, ensure_ascii=r.random() < 0.5).encode()

    def json_body(self):
        r = self.r
        k = r.randint(0, 11)
        if k <= 3:
            return json.dumps(self.drawing(), ensure_ascii=r.random() < 0.5).encode()
        if k == 4:
            return json.dumps(self.json_value()).encode()
        if k == 5:
            n = r.randint(10, 20000)
            return b"[" * n + b"]" * n
        if k == 6:
            return json.dumps(self.drawing()).encode()[:r.randint(0, 200)]
        if k == 7:
            return json.dumps({"note": self.json_value()}, ensure_ascii=False).encode()
        if k == 8:
            return b'{"type": "FeatureCollection", "features": []}' + r.choice([b"\x00", b"\xff\xfe", b" garbage", b"}"])
        if k == 9:
            return bytes(r.randint(0, 255) for _ in range(r.randint(1, 300)))
        if k == 10:
            return b'{"note": "' + "请补充".encode() * r.randint(1, 3000) + b'"}'
        return b""

    def case_json(self, i):
        r = self.r
        token = self.tokens[0] if r.random() < 0.7 else r.choice(self.tokens)
        method = "POST"
        record = False
        pick = r.random()
        path = r.choice(["/api/ponds/8/submissions", "/api/ponds/8/submissions", "/api/ponds/9/submissions",
                         "/api/ponds/%d/submissions" % r.randint(0, 50),
                         "/api/submissions/%d/%s" % (r.randint(0, 40), r.choice(["submit", "withdraw", "approve",
                                                                                 "reject", "frob"]))])
        if pick < 0.35:
            # inspections (http_fuzz.sh records inspection 1 of pond 8 at county level) and samples:
            # the county's token for the one, the enterprise's for the other, mostly
            method, path, who, kind = r.choice([
                ("PUT", "/api/inspections/1/visits/%d" % r.choice([190, 193, 200, 300, 999999, 0]), 1, "visit"),
                ("PUT", "/api/inspections/1/visits/%d" % r.randint(178, 219), 1, "visit"),
                ("PUT", "/api/inspections/%d/visits/193" % r.randint(0, 3), 1, "visit"),
                ("PATCH", "/api/inspections/%d" % r.choice([1, 1, 2, 999999]), 1, "inspection"),
                ("POST", "/api/ponds/%d/inspections" % r.choice([8, 9, 16, 99999]), 1, "inspection"),
                ("POST", "/api/ponds/%d/samples" % r.choice([8, 8, 9, 16]), 0, "sample"),
                ("POST", "/api/ponds/8/samples", 0, "sample")])
            token = self.tokens[who] if r.random() < 0.8 else r.choice(self.tokens)
            record = r.random() < 0.8
        elif pick < 0.7:   # the hazards, their checks, the ledger and the papers
            n = r.choice([1, 2, 3, r.randint(0, 60), 99999999])
            method, path = r.choice([("POST", "/api/ponds/%d/hazards" % r.choice([8, 9, n])),
                                     ("PATCH", "/api/hazards/%d" % n), ("POST", "/api/hazards/%d/checks" % n),
                                     ("PUT", "/api/ponds/%d/ledger/%d" % (r.choice([8, n]), r.choice([2024, 1949, 2999, n]))),
                                     ("POST", "/api/ponds/%d/documents" % r.choice([8, n])),
                                     ("PATCH", "/api/documents/%d" % n), ("DELETE", "/api/documents/%d" % n)])
        ctype = r.choice([b"application/json", b"application/json", b"application/geo+json",
                          b"application/json; charset=utf-8", b"text/plain", b"application/x-www-form-urlencoded",
                          b"APPLICATION/JSON", None])
        if record:
            ctype = b"application/json" if r.random() < 0.9 else ctype
            body = json.dumps(self.record(kind), ensure_ascii=r.random() < 0.5).encode()
        else:
            body = self.fields_body() if method != "POST" or "submissions" not in path and r.random() < 0.7 else self.json_body()
        h = [b"Host: 127.0.0.1", b"Authorization: Bearer " + token.encode(), b"Content-Length: %d" % len(body)]
        if ctype is not None:
            h.append(b"Content-Type: " + ctype)
        data = self.request(method, self.clean_target(path), h, body)
        return Case(i, "json", [data], must_answer=True, timeout=5.0,
                    expect={200, 201, 204, 400, 403, 404, 405, 409, 413, 415, 422})

    def request(self, method, target, headers, body=b"", close=True):
        lines = [method.encode() + b" " + target + b" HTTP/1.1"] + headers
        if close:
            lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def case_path(self, i):
        r = self.r
        method = r.choice(METHODS_OK)
        target = self.clean_target(self.path() + self.query())
        data = self.request(method, target, self.headers())
        # a request line beyond libevent's 8 KB header limit need not be answered
        return Case(i, "path", [data], must_answer=len(data) < 7000, head=method == "HEAD")

    def case_reqline(self, i):
        r = self.r
        t = self.clean_target(self.path())
        line = r.choice([
            b"GET", b"GET " + t, b"GET " + t + b" HTTP/1.1 extra", b"  GET " + t + b" HTTP/1.1",
            b"GET  " + t + b"  HTTP/1.1", b"get " + t + b" HTTP/1.1", b"G\x00T " + t + b" HTTP/1.1",
            b"GET\t" + t + b"\tHTTP/1.1", b"GET http://127.0.0.1/health HTTP/1.1",
            b"GET http://[::1 HTTP/1.1", b"GET * HTTP/1.1", b"GET health HTTP/1.1", b"CONNECT 127.0.0.1:80 HTTP/1.1",
            b"TRACE / HTTP/1.1", b"BREW /pot HTTP/1.1", b"X" * r.randint(100, 9000) + b" / HTTP/1.1",
            b"GET /" + bytes(r.randint(0x80, 0xff) for _ in range(r.randint(1, 40))) + b" HTTP/1.1",
            b"GET /\x01\x02\x7f HTTP/1.1", b"", b"\r\nGET / HTTP/1.1", b"GET /health?a=\x00 HTTP/1.1",
            b"GET //../../etc/passwd HTTP/1.1", b"GET /health HTTP/1.1\r\n\r\nGET",
            b"OPTIONS * HTTP/1.1", b"HEAD " + t + b" HTTP/1.1",
        ])
        eol = r.choice([b"\r\n", b"\n", b"\r\n", b"\r"])
        data = line + eol + b"Host: 127.0.0.1" + eol + b"Connection: close" + eol + eol
        return Case(i, "reqline", [data], timeout=0.5)

    def case_version(self, i):
        r = self.r
        v = r.choice([b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.2", b"HTTP/9.9", b"HTTP/1", b"HTTP/", b"HTTPS/1.1",
                      b"http/1.1", b"HTTP/1.1.1", b"HTTP/-1.1", b"HTTP/999999999999.1", b"HTTP/1.0", b"HTTP/1.x",
                      b"HTTP/\xff", b"FTP/1.1", b"HTTP/01.01", b"HTTP/1.10",
                      bytes(r.randint(0x21, 0x7e) for _ in range(r.randint(1, 12)))])
        t = self.clean_target(r.choice(["/health", "/tiles/all/3/1/1.mvt", "/api/ponds/8", "/style.json"]))
        data = b"GET " + t + b" " + v + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        return Case(i, "version", [data], timeout=1.0)

    def case_headers(self, i):
        r = self.r
        t = self.clean_target(r.choice(["/health", "/tiles/all/3/1/1.mvt", "/api/ponds/8", "/style.json",
                                        "/tiles/all/14/12824/6942.mvt", "/tiles/all.json"]))
        k = r.randint(0, 12)
        h = [b"Host: 127.0.0.1"]
        if k == 0:
            h.append(b"X-Big: " + b"a" * r.randint(8000, 20000))
        elif k == 1:
            h += [b"X-H%d: %s" % (j, b"v" * r.randint(1, 40)) for j in range(r.randint(100, 1000))]
        elif k == 2:
            h.append(r.choice([b"NoColonHere", b": empty name", b"Bad Name: x", b"Host : x", b" folded: x",
                               b"X-A: a\r\n continued", b"\tX-B: tab", b"X-C:\x00nul", b"X-D: \xff\xfe",
                               b"X-E: a\rb", b"X-F: a\nb"]))
        elif k == 3:
            h = [b"Host: a", b"Host: b"]
        elif k == 4:
            h = []
        elif k == 5:
            h = [b"Host: " + b"h" * r.randint(200, 7000)]
        elif k == 6:
            h = [b"Host: " + r.choice([b'evil"><x', b"[::1]:80", b"a b", b"\x00", b"%00", b"example.org:99999999",
                                       "尾矿.example".encode(), b"a" * 199, b"a" * 201])]
        elif k == 7:
            h.append(b"Content-Length: " + r.choice([b"-1", b"abc", b"99999999999999999999", b"1, 2", b"", b" 0"]))
        elif k == 8:
            h += [b"Content-Length: 1", b"Content-Length: 2"]
        elif k == 9:
            h += [b"Transfer-Encoding: chunked"]
        elif k == 10:
            h += [b"Expect: 100-continue"]
        elif k == 11:
            h += [b"If-None-Match: " + b'"x", ' * r.randint(1, 1500)]
        else:
            h += self.headers(host=False)
        method = r.choice([b"GET", b"GET", b"HEAD", b"POST"])
        body = b""
        if k == 9:
            body = r.choice([b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"fffffffffffffffff\r\n",
                             b"-1\r\n\r\n", b"0\r\n\r\n"])
        data = method + b" " + t + b" HTTP/1.1\r\n" + b"\r\n".join(h + [b"Connection: close"]) + b"\r\n\r\n" + body
        return Case(i, "headers", [data], timeout=1.0, head=method == b"HEAD")

    def case_body(self, i):
        r = self.r
        n = r.choice([0, 1, 100, 65536, 65537, 200000])
        declared = r.choice([n, n, n + 10, max(0, n - 1)])
        method = r.choice([b"POST", b"PUT", b"PATCH", b"GET", b"DELETE"])
        t = self.clean_target(r.choice(["/health", "/api/ponds", "/tiles/all/3/1/1.mvt", "/nothing"]))
        data = (method + b" " + t + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % declared
                + bytes(r.randint(0, 255) for _ in range(min(n, 4096))) + b"b" * max(0, n - 4096))
        # a short body leaves the server waiting: read briefly, then close
        return Case(i, "body", [data], timeout=1.0 if declared <= n else 0.3)

    def case_slow(self, i):
        r = self.r
        full = self.request(r.choice(["GET", "HEAD"]), self.clean_target(self.path()), self.headers())
        cut = r.randint(1, max(1, len(full) - 1))
        part = full[:cut]
        pieces = []
        while part:
            k = r.randint(1, max(1, len(part) // 2))
            pieces.append(part[:k])
            part = part[k:]
        return Case(i, "slow", pieces[:6], pause=r.choice([0.0, 0.01, 0.05]), close_early=True, timeout=0.2)

    def case_badhost(self, i):
        r = self.r
        t = self.clean_target(r.choice(["/health", "/tiles/all/3/1/1.mvt", "/api/ponds/8", "/style.json",
                                        "/tiles/all.json", "/", "/metrics", "/events"]))
        host = r.choice([b"evil.example", b"attacker.example:80", b"127.0.0.1.nip.io", b"localhost.evil.example",
                         b"127.0.0.1:1", b"example.org:" + str(r.randint(1, 65535)).encode(), b"127.0.0.1:99999",
                         b"10.0.0.1", b"[::2]", b"127.0.0.1:", b"a" * r.randint(1, 250)])
        data = self.request(r.choice(["GET", "HEAD"]), t, [b"Host: " + host])
        return Case(i, "badhost", [data], must_answer=True, head=data.startswith(b"HEAD"), expect={400})

    def case_length(self, i):
        r = self.r
        t = self.clean_target(r.choice(["/health", "/tiles/all/3/1/1.mvt", "/api/ponds", "/style.json"]))
        h = r.choice([
            [b"Content-Length: 0", b"Content-Length: 5"],
            [b"Content-Length: 3", b"Content-Length: 3"],
            [b"Content-Length: 4", b"Transfer-Encoding: chunked"],
            [b"Transfer-Encoding: chunked", b"Content-Length: 0"],
            [b"Transfer-Encoding: gzip, chunked"],
            [b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"],
            [b"Content-Length: 1x"], [b"Content-Length: -1"], [b"Content-Length: 0x10"], [b"Content-Length: 3, 3"],
            [b"Content-Length: +3"],
        ])
        body = r.choice([b"", b"abc", b"0\r\n\r\n", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"])
        method = r.choice(["GET", "HEAD", "POST"])
        data = self.request(method, t, [b"Host: 127.0.0.1"] + h, body)
        # libevent answers some of them itself (400, 411, 413 or 501)
        # (a body shorter than the first length leaves the server waiting: no answer needed)
        return Case(i, "length", [data], head=method == "HEAD", timeout=1.0, expect={400, 411, 413, 501})

    def case_stall(self, i):
        r = self.r
        full = self.request("GET", self.clean_target(r.choice(["/health", "/api/ponds/8"])), self.headers())
        cut = r.randint(1, len(full) - 5)
        # the head stops, longer than the header deadline: 408 (or closed when nothing arrived)
        return Case(i, "stall", [full[:cut]], timeout=4.0, expect={408})

    def case_garbage(self, i):
        r = self.r
        n = r.choice([1, 2, 10, 100, 1000, 4096, 20000])
        b = bytes(r.randint(0, 255) for _ in range(min(n, 4096))) * (1 + n // 4096)
        b = b[:n]
        if r.random() < 0.3:
            b = bytes.fromhex("16030100a5010000a10303") + b   # a TLS ClientHello
        if r.random() < 0.5:
            b += b"\r\n\r\n"
        return Case(i, "garbage", [b], timeout=0.3)

    def case_pipeline(self, i):
        r = self.r
        n = r.randint(2, 5)
        reqs = []
        heads = False
        for j in range(n):
            m = r.choice(["GET", "GET", "GET", "HEAD", "OPTIONS"])
            heads = heads or m == "HEAD"
            t = self.clean_target(r.choice([self.path(), "/health", "/tiles/all/3/1/1.mvt", "/api/ponds/8"]))
            reqs.append(self.request(m, t, self.headers(), close=j == n - 1))
        return Case(i, "pipeline", [b"".join(reqs)], timeout=3.0, head=heads)


# ---------------------------------------------------------------------------
def request_methods(request):
    """the methods of the requests in a (pipelined) request text, in order"""
    return [m.group(1) for m in re.finditer(rb"(?:^|\r\n\r\n)([A-Za-z]+) ", request)]


def parse_responses(data, head, methods=()):
    """[(status, headers dict, body)], leftover problem or None.  The answer to
    a HEAD request has no body, whatever its Content-Length says."""
    out = []
    while data:
        if not data.startswith(b"HTTP/"):
            return out, "not an HTTP answer: %r" % data[:80]
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out, "headers not terminated: %r" % data[:200]
        head_lines = data[:end].split(b"\r\n")
        try:
            status = int(head_lines[0].split(b" ")[1])
        except (IndexError, ValueError):
            return out, "bad status line %r" % head_lines[0]
        hdrs = {}
        for line in head_lines[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        rest = data[end + 4:]
        if len(out) < len(methods) and methods[len(out)] == b"HEAD":
            body, data = b"", rest
            # libevent's own error pages (e.g. 400 for oversized headers) carry their
            # HTML body even for HEAD, then close: that tail is not a next answer
            if data and not data.startswith(b"HTTP/") and hdrs.get("connection", "").lower() == "close":
                data = b""
        elif "content-length" in hdrs:
            try:
                n = int(hdrs["content-length"])
            except ValueError:
                return out, "bad Content-Length %r" % hdrs["content-length"]
            body, data = rest[:n], rest[n:]
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            body, data = b"", rest
            while True:
                le = data.find(b"\r\n")
                if le < 0:
                    return out, "bad chunk"
                size = int(data[:le].split(b";")[0], 16)
                body += data[le + 2:le + 2 + size]
                data = data[le + 2 + size + 2:]
                if size == 0:
                    break
        elif status in (204, 304) or 100 <= status < 200:
            body, data = b"", rest
        else:
            # no length: the body runs to the close (or a HEAD answer with a body after it)
            body, data = rest, b""
        out.append((status, hdrs, body))
    return out, None


def run_case(port, c):
    t0 = time.time()
    c2, got, err = run_case1(port, c)
    return c2, got, err, time.time() - t0


def run_case1(port, c):
    got = b""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as e:
        return c, None, "connect failed: %s" % e
    try:
        s.settimeout(c.timeout)
        for k, chunk in enumerate(c.chunks):
            s.sendall(chunk)
            if c.pause and k < len(c.chunks) - 1:
                time.sleep(c.pause)
        if c.close_early:
            try:
                got = s.recv(65536)
            except (socket.timeout, OSError):
                pass
            return c, got, None
        deadline = time.time() + c.timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            got += b
    except (BrokenPipeError, ConnectionResetError):
        pass
    except OSError as e:
        return c, got, "socket error %s" % e
    finally:
        try:
            s.close()
        except OSError:
            pass
    return c, got, None


def health(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.settimeout(5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        return int(data.split(b" ")[1])
    except (OSError, ValueError, IndexError):
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--seed", type=int, default=20250301)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--log", help="one line per case: index kind statuses")
    ap.add_argument("--tokens", help="live tokens, one a line (a server with --auth token): the auth and json kinds")
    a = ap.parse_args()

    tokens = [t.strip() for t in open(a.tokens)] if a.tokens else []
    gen = Gen(a.seed, [t for t in tokens if t])
    cases = [gen.case(i) for i in range(a.count)]
    stats = {}
    statuses = {}
    violations = []
    head_bodies = []
    lock = threading.Lock()
    log = open(a.log, "w") if a.log else None
    t0 = time.time()

    versions = {}

    def violation(c, cls, msg):
        violations.append((cls, "case %d (%s): %s; request %r" % (c.index, c.kind, msg, b"".join(c.chunks)[:240])))

    def judge(c, got, err, secs):
        with lock:
            st = stats.setdefault(c.kind, {"cases": 0, "answered": 0, "silent": 0, "secs": 0.0})
            st["cases"] += 1
            st["secs"] += secs
            if err:
                violation(c, "socket", err)
                return
            if not got:
                st["silent"] += 1
                if c.must_answer:
                    violation(c, "no answer", "no answer to a well-formed request")
                if log:
                    log.write("%d %s -\n" % (c.index, c.kind))
                return
            st["answered"] += 1
            resps, problem = parse_responses(got, c.head, request_methods(b"".join(c.chunks)))
            if problem and not c.close_early:
                violation(c, "not HTTP", problem)
            for m in re.finditer(rb"(?:^|\r\n\r\n)(HTTP/[^ \r\n]*) \d\d\d", got):
                if m.group(1) not in (b"HTTP/1.1", b"HTTP/1.0"):
                    versions[m.group(1)] = versions.get(m.group(1), 0) + 1
            codes = []
            if c.expect and resps and resps[0][0] not in c.expect:
                violation(c, "limit status", "status %d, want %s" % (resps[0][0], sorted(c.expect)))
            for status, hdrs, body in resps:
                codes.append(status)
                statuses.setdefault(c.kind, {}).setdefault(status, 0)
                statuses[c.kind][status] += 1
                method = b"".join(c.chunks).split(b" ", 1)[0]
                if status >= 500 and not (status == 501 and method not in KNOWN_METHODS):
                    violation(c, "status %d" % status, "status %d: %r" % (status, body[:120]))
                ctype = hdrs.get("content-type", "")
                if status >= 400 and ctype.startswith("application/json") and body and not (c.head and c.kind != "pipeline"):
                    try:
                        j = json.loads(body)
                        if not (isinstance(j, dict) and isinstance(j.get("error"), str) and j.get("status") == status):
                            violation(c, "bad JSON error", "error body %r for status %d" % (body[:200], status))
                    except ValueError as e:
                        if not c.head:
                            violation(c, "bad JSON error", "error body not JSON (%s): %r" % (str(e)[:60], body[:200]))
            if c.head and c.kind != "pipeline" and resps and resps[0][2] and resps[0][0] not in (204, 304):
                head_bodies.append(c.index)
            if log:
                log.write("%d %s %s\n" % (c.index, c.kind, ",".join(map(str, codes))))

    batch = 250
    with ThreadPoolExecutor(max_workers=a.workers) as pool:
        for start in range(0, len(cases), batch):
            for c, got, err, secs in pool.map(lambda c: run_case(a.port, c), cases[start:start + batch]):
                judge(c, got, err, secs)
            h = health(a.port)
            if h != 200:
                violations.append(("health", "after cases %d-%d: /health answered %s" % (start, start + batch - 1, h or "nothing")))
                break
    final = health(a.port)
    if final != 200:
        violations.append(("health", "at the end: /health answered %s" % (final or "nothing")))

    print("fuzz: seed %d, %d cases in %.1f s, %d workers" % (a.seed, len(cases), time.time() - t0, a.workers))
    for kind in sorted(stats):
        st = stats[kind]
        codes = " ".join("%s:%d" % (k, v) for k, v in sorted(statuses.get(kind, {}).items()))
        print("  %-9s %5d cases, %5d answered, %4d silent, %5.1f s; statuses %s"
              % (kind, st["cases"], st["answered"], st["silent"], st["secs"], codes))
    total = sum(sum(v.values()) for v in statuses.values())
    print("  %d responses; /health at the end: %s" % (total, final))
    if head_bodies:
        print("  note: %d HEAD answers carried a body (cases %s%s)"
              % (len(head_bodies), ",".join(map(str, head_bodies[:10])), "..." if len(head_bodies) > 10 else ""))
    if versions:
        print("  note: status lines not HTTP/1.x: %s" % ", ".join("%s %d" % (k.decode("latin-1"), v) for k, v in sorted(versions.items())))
    if violations:
        classes = {}
        for cls, msg in violations:
            classes.setdefault(cls, []).append(msg)
        print("%d violations:" % len(violations))
        for cls in sorted(classes):
            print("  %s: %d, for example" % (cls, len(classes[cls])))
            for msg in classes[cls][:4]:
                print("    " + msg)
        return 1
    print("no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
