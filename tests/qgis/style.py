#!/usr/bin/python3
"""QGIS reads the server's style: tests/sh/qgis_style.sh runs this with Debian's
python3-qgis, headless (QT_QPA_PLATFORM=offscreen).

    style.py BASE_URL OUT_DIR POND_ID...

1. QgsMapBoxGlStyleConverter converts /style.json (with the server's sprite):
   no warning for any layer of the tiles' source (ponds and elements).  Every
   warning is printed.
2. For each pond: a QgsVectorTileLayer of the server's tiles with the converted
   renderer and labeling is drawn around the pond (z15) into OUT_DIR/pond-ID.png
   (every layer, to look at), and the pond layer alone into
   OUT_DIR/pond-ID-ponds.png, whose pixels must show the pond's status fill
   (the status colour at the style's opacity over white) and its completeness
   band's outline colour, both as include/tailings/symbology.h defines them.

Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
"""
import json
import math
import os
import re
import sys
import urllib.request

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsDataSourceUri,
    QgsMapBoxGlStyleConversionContext,
    QgsMapBoxGlStyleConverter,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage, QPainter

FAILS = 0


def ok(cond, what):
    global FAILS
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        FAILS += 1
    return cond


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def hex_rgb(s):
    s = s.lstrip("#")
    return tuple(int(s[i:i + 2], 16) for i in (0, 2, 4))


def count_near(img, rgb, tol):
    """pixels of img within tol of rgb on every channel"""
    n = 0
    for y in range(img.height()):
        for x in range(img.width()):
            c = img.pixel(x, y)
            if (abs(((c >> 16) & 255) - rgb[0]) <= tol and abs(((c >> 8) & 255) - rgb[1]) <= tol
                    and abs((c & 255) - rgb[2]) <= tol):
                n += 1
    return n


def symbology():
    """the bands and status colours of include/tailings/symbology.h, the expected colours"""
    h = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../include/tailings/symbology.h"),
             encoding="utf-8").read()
    band_list = h[h.index("#define TL_BAND_LIST"):h.index("typedef struct TlBand")]
    status_list = h[h.index("#define TL_STATUS_LIST"):]
    bands = [{"code": c, "floor": float(f), "colour": col}
             for c, f, col in re.findall(r'X\((\w+), ([\d.]+), "(#[0-9a-fA-F]{6})"', band_list)]
    statuses = {c: {"code": c, "colour": col} for c, col in re.findall(r'X\((\w+), "(#[0-9a-fA-F]{6})"', status_list)}
    return bands, statuses


def band_of(score, bands):
    """the band of a score: bands best first, each from its floor"""
    for b in bands:
        if score >= b["floor"]:
            return b
    return bands[-1]


def main():
    base, out_dir, pond_ids = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    os.makedirs(out_dir, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()

    style = json.loads(get(base + "/style.json"))
    sprite_png = get(base + "/sprite.png")
    sprite_json = json.loads(get(base + "/sprite.json"))
    ctx = QgsMapBoxGlStyleConversionContext()
    ctx.setSprites(QImage.fromData(sprite_png), sprite_json)
    conv = QgsMapBoxGlStyleConverter()
    conv.convert(style, ctx)
    ok(conv.errorMessage() == "", "the style converts (%s)" % (conv.errorMessage() or "no error"))

    ours = {l["id"] for l in style["layers"] if l.get("source") == "tailings"}
    warnings = list(conv.warnings())
    mine = [w for w in warnings if w.split(":", 1)[0] in ours]
    print("# %d converter warnings, %d of them for pond and element layers" % (len(warnings), len(mine)))
    for w in warnings:
        print("#   " + w)
    ok(len(mine) == 0, "no converter warning for the %d pond and element layers (%d)" % (len(ours), len(mine)))

    renderer, labeling = conv.renderer(), conv.labeling()
    ok(renderer is not None and len(renderer.styles()) > 0, "a vector tile renderer")
    if renderer is None:
        return
    pond_styles = [s for s in renderer.styles() if s.layerName() == "ponds"]

    uri = QgsDataSourceUri()
    uri.setParam("type", "xyz")
    uri.setParam("url", base + "/tiles/all/{z}/{x}/{y}.mvt")
    uri.setParam("zmin", "0")
    uri.setParam("zmax", "22")
    layer = QgsVectorTileLayer(bytes(uri.encodedUri()).decode(), "tailings")
    ok(layer.isValid(), "a QgsVectorTileLayer of the server's tiles")

    ponds = {p["id"]: p for p in json.loads(get(base + "/api/ponds"))}
    bands, statuses = symbology()
    meta = style.get("metadata", {}).get("tailings:bands", [])
    ok([(b["code"], b["floor"], b["colour"]) for b in meta] == [(b["code"], b["floor"], b["colour"]) for b in bands],
       "metadata tailings:bands are the %d bands of symbology.h" % len(bands))
    fill = next(l for l in style["layers"] if l["id"] == "ponds-fill")
    opacity = fill["paint"].get("fill-opacity", 1)

    for pid in pond_ids:
        p = ponds[pid]
        # Web Mercator metres of the pond's point, and a view about z15 wide (800 px)
        mx = p["lon"] * 20037508.342789244 / 180
        my = math.log(math.tan((90 + p["lat"]) * math.pi / 360)) * 6378137.0
        half = 800 * (2 * 20037508.342789244 / (256 * 2 ** 15)) / 2
        settings = QgsMapSettings()
        settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
        settings.setOutputSize(QSize(800, 800))
        settings.setExtent(QgsRectangle(mx - half, my - half, mx + half, my + half))
        settings.setBackgroundColor(QColor(255, 255, 255))
        settings.setLayers([layer])

        for name, styles, lab in (("", renderer.styles(), labeling), ("-ponds", pond_styles, None)):
            r = renderer.clone()
            r.setStyles(styles)
            layer.setRenderer(r)
            layer.setLabeling(lab.clone() if lab else None)
            img = QImage(QSize(800, 800), QImage.Format_ARGB32)
            img.fill(QColor(255, 255, 255))
            painter = QPainter(img)
            job = QgsMapRendererCustomPainterJob(settings, painter)
            job.renderSynchronously()
            painter.end()
            path = os.path.join(out_dir, "pond-%d%s.png" % (pid, name))
            img.save(path)
        print("# pond %d %s: %s, score %s; images in %s" % (pid, p["name"], p["status"], p["score"], out_dir))

        # the pond layer alone: its status fill over white, its band's outline
        status_rgb = hex_rgb(statuses[p["status"]]["colour"])
        want_fill = tuple(round(c * opacity + 255 * (1 - opacity)) for c in status_rgb)
        band = band_of(p["score"], bands)
        n_fill = count_near(img, want_fill, 6)
        n_band = count_near(img, hex_rgb(band["colour"]), 12)
        grey = count_near(img, tuple(round(0x99 * opacity + 255 * (1 - opacity)) for _ in range(3)), 4)
        ok(n_fill > 2000, "pond %d: its status fill (%s at %.2f: %s) covers %d px (grey fallback %d px)"
           % (pid, p["status"], opacity, "#%02x%02x%02x" % want_fill, n_fill, grey))
        ok(n_band > 200, "pond %d: its band's outline (%s %s) draws %d px" % (pid, band["code"], band["colour"], n_band))

    print("%d failed" % FAILS)
    app.exitQgis()


if __name__ == "__main__":
    main()
    sys.exit(1 if FAILS else 0)
