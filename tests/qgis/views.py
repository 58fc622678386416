#!/usr/bin/python3
"""QGIS edits elements through the GIS views: tests/sh/qgis_views.sh runs this
with Debian's python3-qgis, headless (QT_QPA_PLATFORM=offscreen).

    views.py SOCKET_DIR PORT DBNAME POND_ID LON LAT DAMS

1. Each of tailings.element_point, element_line and element_polygon loads as a
   valid QgsVectorLayer of the postgres provider, of its Multi geometry type, in
   EPSG:4490, with "kind" and "kind_label" string fields and features.
2. On element_line, "kind" = 'dam' (as the provider's subset string and as a
   client-side expression) gives the DAMS dams of the database and nothing else.
3. Through element_point's edit buffer: a groundwater monitoring well is added
   (commitChanges) at LON LAT for POND_ID, then moved and renamed, then
   deleted; each commit must succeed and the layer must show each state.
   The shell script checks the change log.

Prints "ok - ..." / "not ok - ..." lines; exits 1 on any failure.
"""
import sys

from qgis.core import (
    QgsApplication,
    QgsDataSourceUri,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

FAILS = 0


def check(desc, cond, detail=""):
    global FAILS
    if cond:
        print(f"ok - {desc}")
    else:
        FAILS += 1
        print(f"not ok - {desc}" + (f": {detail}" if detail else ""))
    return cond


def layer_of(view, host, port, db):
    uri = QgsDataSourceUri()
    uri.setConnection(host, port, db, "postgres", "", QgsDataSourceUri.SslDisable)
    uri.setDataSource("tailings", view, "geom", "", "id")
    uri.setSrid("4490")
    return QgsVectorLayer(uri.uri(False), view, "postgres")


def features(layer, expression=None):
    request = QgsFeatureRequest()
    if expression is not None:
        request.setFilterExpression(expression)
    return list(layer.getFeatures(request))


def commit(layer, what):
    ok = layer.commitChanges()
    check(f"element_point: {what} commits", ok, "; ".join(layer.commitErrors()))
    return ok


def main():
    host, port, db, pond_id, lon, lat, dams = sys.argv[1:8]
    pond_id, lon, lat, dams = int(pond_id), float(lon), float(lat), int(dams)
    app = QgsApplication([], False)
    app.initQgis()

    expected = {
        "element_point": QgsWkbTypes.MultiPoint,
        "element_line": QgsWkbTypes.MultiLineString,
        "element_polygon": QgsWkbTypes.MultiPolygon,
    }
    layers = {}
    for view, wkb in expected.items():
        layer = layer_of(view, host, port, db)
        layers[view] = layer
        if not check(f"{view} is a valid layer", layer.isValid(),
                     layer.dataProvider().error().message() if layer.dataProvider() else "no provider"):
            continue
        check(f"{view}: geometry type {QgsWkbTypes.displayString(wkb)}", layer.wkbType() == wkb,
              QgsWkbTypes.displayString(layer.wkbType()))
        check(f"{view}: EPSG:4490", layer.crs().authid() == "EPSG:4490", layer.crs().authid())
        fields = layer.fields()
        for name in ("kind", "kind_label"):
            i = fields.indexOf(name)
            check(f"{view}: \"{name}\" is a string field", i >= 0 and fields.at(i).type() == QVariant.String,
                  "missing" if i < 0 else fields.at(i).typeName())
        check(f"{view}: key column id", layer.primaryKeyAttributes() == [fields.indexOf("id")],
              str(layer.primaryKeyAttributes()))
        check(f"{view} has features", layer.featureCount() > 0, str(layer.featureCount()))

    # filter by kind, on the server and in QGIS
    line = layers["element_line"]
    if line.isValid():
        got = features(line, "\"kind\" = 'dam'")
        check(f"element_line: the expression \"kind\" = 'dam' finds the {dams} dams",
              len(got) == dams and all(f["kind"] == "dam" for f in got), str(len(got)))
        line.setSubsetString("\"kind\" = 'dam'")
        got = features(line)
        check(f"element_line: the subset string \"kind\" = 'dam' finds the {dams} dams",
              len(got) == dams and all(f["kind"] == "dam" for f in got), str(len(got)))
        check("element_line: the dams' label is 坝体", all(f["kind_label"] == "坝体" for f in got))

    point = layers["element_point"]
    if not point.isValid():
        return 1
    name = "QGIS 监视井 JC-Q1"
    point.setSubsetString(f"pond_id = {pond_id}")
    before = point.featureCount()

    # add a groundwater monitoring well
    point.startEditing()
    f = QgsFeature(point.fields())
    f["pond_id"] = pond_id
    f["kind"] = "gw_monitoring_well"
    f["name"] = name
    f["source"] = "ground"
    f.setGeometry(QgsGeometry.fromMultiPointXY([QgsPointXY(lon, lat)]))
    check("element_point: addFeature", point.addFeature(f))
    commit(point, "the new well")
    point.reload()
    added = features(point, f"\"name\" = '{name}'")
    if not check("element_point: the new well is there, kind gw_monitoring_well",
                 len(added) == 1 and added[0]["kind"] == "gw_monitoring_well"
                 and added[0]["kind_label"] == "地下水监视井", str([a.attributes() for a in added])):
        return 1
    check("element_point: one more feature", point.featureCount() == before + 1,
          f"{before} -> {point.featureCount()}")
    fid = added[0].id()

    # move and rename it
    point.startEditing()
    moved = QgsGeometry.fromMultiPointXY([QgsPointXY(lon + 0.001, lat - 0.001)])
    check("element_point: changeGeometry", point.changeGeometry(fid, moved))
    check("element_point: changeAttributeValue",
          point.changeAttributeValue(fid, point.fields().indexOf("name"), name + " moved"))
    commit(point, "the move and the new name")
    point.reload()
    again = features(point, f"\"name\" = '{name} moved'")
    check("element_point: the well is moved and renamed",
          len(again) == 1 and again[0].geometry().asMultiPoint()[0].distance(QgsPointXY(lon + 0.001, lat - 0.001)) < 1e-9,
          str([a.geometry().asWkt() for a in again]))

    # delete it
    point.startEditing()
    check("element_point: deleteFeature", point.deleteFeature(again[0].id() if again else fid))
    commit(point, "the deletion")
    point.reload()
    check("element_point: the well is gone", not features(point, f"\"name\" LIKE '{name}%'"))
    check("element_point: as many features as before", point.featureCount() == before,
          f"{before} -> {point.featureCount()}")
    app.exitQgis()
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
