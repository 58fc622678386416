#!/usr/bin/env python3
"""Decoder of MapLibre glyph ranges (the protocol buffer "glyphs" message of
the Mapbox GL glyph format), python3 stdlib only, written from the format's
field numbers and independent of the server's encoder.

  glyphs_pbf.py FILE                 a line per glyph: id char width height left top advance inside
  glyphs_pbf.py FILE --show CHAR     the glyph's distance field as text (# inside, + halo, . outside)

Exits 1 when the file is not a valid glyph range: unknown wire types, fields
out of their message, a bitmap whose size is not (width+6)*(height+6), a
range string that is not START-END, glyph ids outside it, ids repeated.
"""
import sys

BORDER = 3
EDGE = 192


class Bad(Exception):
    pass


def varint(b, i):
    v = shift = 0
    while True:
        if i >= len(b):
            raise Bad("truncated varint")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i
        if shift > 63:
            raise Bad("varint too long")


def fields(b):
    """(number, wire type, value) of each field of a message"""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise Bad("field number 0")
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            if i + n > len(b):
                raise Bad("truncated bytes")
            v, i = b[i:i + n], i + n
        else:
            raise Bad("unexpected wire type %d" % wt)
        yield num, wt, v


def zigzag(v):
    return (v >> 1) ^ -(v & 1)


def decode(data):
    """[{name, range, glyphs: {id: {...}}}]"""
    stacks = []
    for num, wt, v in fields(data):
        if num != 1 or wt != 2:
            raise Bad("glyphs: unexpected field %d" % num)
        st = {"name": None, "range": None, "glyphs": {}}
        for n2, w2, v2 in fields(v):
            if n2 == 1 and w2 == 2:
                st["name"] = v2.decode("utf-8")
            elif n2 == 2 and w2 == 2:
                st["range"] = v2.decode("ascii")
            elif n2 == 3 and w2 == 2:
                g = {"bitmap": b""}
                for n3, w3, v3 in fields(v2):
                    key = {1: "id", 2: "bitmap", 3: "width", 4: "height", 5: "left", 6: "top", 7: "advance"}.get(n3)
                    if key is None or (w3 == 2) != (key == "bitmap"):
                        raise Bad("glyph: unexpected field %d" % n3)
                    g[key] = zigzag(v3) if key in ("left", "top") else v3
                for key in ("id", "width", "height", "left", "top", "advance"):
                    if key not in g:
                        raise Bad("glyph: required field %s missing" % key)
                if g["bitmap"] and len(g["bitmap"]) != (g["width"] + 2 * BORDER) * (g["height"] + 2 * BORDER):
                    raise Bad("glyph %d: bitmap of %d bytes for %dx%d" % (g["id"], len(g["bitmap"]), g["width"], g["height"]))
                if g["id"] in st["glyphs"]:
                    raise Bad("glyph %d twice" % g["id"])
                g["inside"] = sum(1 for p in g["bitmap"] if p >= EDGE)
                st["glyphs"][g["id"]] = g
            else:
                raise Bad("fontstack: unexpected field %d" % n2)
        if st["name"] is None or st["range"] is None:
            raise Bad("fontstack: name or range missing")
        try:
            a, b = (int(x) for x in st["range"].split("-"))
        except ValueError:
            raise Bad("range %r is not START-END" % st["range"])
        for gid in st["glyphs"]:
            if not a <= gid <= b:
                raise Bad("glyph %d outside the range %s" % (gid, st["range"]))
        stacks.append(st)
    return stacks


def show(g):
    w = g["width"] + 2 * BORDER
    rows = []
    for y in range(g["height"] + 2 * BORDER):
        row = g["bitmap"][y * w:(y + 1) * w]
        rows.append("".join("#" if p >= EDGE else "+" if p >= 128 else "." for p in row))
    return "\n".join(rows)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        stacks = decode(data)
    except Bad as e:
        print("invalid glyph range: %s" % e)
        return 1
    if len(sys.argv) == 4 and sys.argv[2] == "--show":
        for st in stacks:
            g = st["glyphs"].get(ord(sys.argv[3]))
            if g:
                print(show(g))
        return 0
    for st in stacks:
        print("stack %s range %s glyphs %d" % (st["name"], st["range"], len(st["glyphs"])))
        for gid in sorted(st["glyphs"]):
            g = st["glyphs"][gid]
            ch = chr(gid) if not 0xD800 <= gid <= 0xDFFF and chr(gid).isprintable() and chr(gid).strip() else "?"
            print("%d %s %d %d %d %d %d %d" % (gid, ch, g["width"], g["height"], g["left"], g["top"], g["advance"], g["inside"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
