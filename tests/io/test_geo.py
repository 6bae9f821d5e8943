"""Geometry: reading GeoJSON and Shapefiles, adjacency on a hand-made grid of squares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tinhgon.errors import BadInput
from tinhgon.io.geo import adjacency, load_geometries, read_geometries
from tinhgon.io.problems import Problem, ValidationFailed


def square(x: float, y: float, size: float = 1.0) -> list[list[list[float]]]:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def feature(code: str | None, geometry: dict[str, Any], key: str = "code") -> dict[str, Any]:
    return {"type": "Feature", "properties": {} if code is None else {key: code}, "geometry": geometry}


def poly(coords: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coords}


def grid(n: int, step: float = 1.0, x0: float = 105.0, y0: float = 20.0) -> list[dict[str, Any]]:
    """n x n squares named by row and column: R0C0 is the south-west one."""
    return [{"type": "Feature", "properties": {"code": f"R{r}C{c}"},
             "geometry": {"type": "Polygon", "coordinates": square(x0 + c * step, y0 + r * step, step)}}
            for r in range(n) for c in range(n)]


def write(tmp_path: Path, features: list[dict[str, Any]], name: str = "g.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_grid_rook_and_queen(tmp_path: Path) -> None:
    units = load_geometries(write(tmp_path, grid(3)))
    assert [u.code for u in units] == [f"R{r}C{c}" for r in range(3) for c in range(3)]
    rook = adjacency(units, rule="rook")
    queen = adjacency(units, rule="queen")
    assert len(rook) == 12  # 2 * 3 * 2 shared edges
    assert len(queen) == 20  # plus 2 diagonals in each of the 4 inner corners
    assert ("R0C0", "R0C1") in rook and ("R0C0", "R1C0") in rook
    assert ("R0C0", "R1C1") not in rook and ("R0C0", "R1C1") in queen
    assert ("R0C0", "R0C2") not in queen
    assert all(a < b for a, b in rook)


def test_floating_point_grid_needs_snapping(tmp_path: Path) -> None:
    # 0.01-degree squares built by addition do not share exact coordinates.
    feats = [{"type": "Feature", "properties": {"code": f"U{r}{c}"},
              "geometry": {"type": "Polygon", "coordinates": square(105 + c * 0.01, 21 + r * 0.01, 0.01)}}
             for r in range(3) for c in range(3)]
    units = load_geometries(write(tmp_path, feats))
    assert len(adjacency(units)) == 12
    assert len(adjacency(units, rule="queen")) == 20


def test_representative_point_inside(tmp_path: Path) -> None:
    ring = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4], [0, 0]]  # an L shape: centroid is outside
    feats = [feature("L", poly([ring]), key="ma")]
    (u,) = load_geometries(write(tmp_path, feats))
    from shapely.geometry import Point, shape

    assert shape(json.loads(u.geometry)).contains(Point(u.lon, u.lat))


def test_bad_geometries_all_reported(tmp_path: Path) -> None:
    bowtie = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    feats = [
        feature("OK", poly(square(0, 0))),
        feature("BOW", poly(bowtie)),
        feature("PT", {"type": "Point", "coordinates": [1, 1]}),
        feature("UTM", poly(square(580000, 2330000, 100))),
        feature("OK", poly(square(5, 5))),
        feature(None, poly(square(7, 7))),
        feature("BROKEN", poly([[1, 2]])),
    ]
    with pytest.raises(ValidationFailed) as exc:
        load_geometries(write(tmp_path, feats))
    rows = [p.row for p in exc.value.problems]
    assert rows == [2, 3, 4, 5, 6, 7]
    reasons = " ".join(p.reason_en for p in exc.value.problems)
    assert "invalid geometry" in reasons and "Polygon" in reasons and "WGS84" in reasons
    assert "duplicate" in reasons and "missing unit code" in reasons


def test_not_geojson(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(BadInput, match="GeoJSON"):
        read_geometries(path)
    path.write_text('{"type": "Point", "coordinates": [0, 0]}', encoding="utf-8")
    with pytest.raises(BadInput, match="FeatureCollection"):
        read_geometries(path)
    with pytest.raises(BadInput):
        read_geometries(tmp_path / "x.kml")


def test_no_code_property(tmp_path: Path) -> None:
    feats = [feature("A", poly(square(0, 0)), key="ten")]
    res = read_geometries(write(tmp_path, feats))
    assert not res.ok and "code" in (res.problems[0].column or "")
    res = read_geometries(write(tmp_path, feats), code_property="ten")
    assert res.ok and res.units[0].code == "A"


def test_overlap_is_a_warning_and_neighbour(tmp_path: Path) -> None:
    feats = [feature("A", poly(square(0, 0, 2))), feature("B", poly(square(1, 1, 2)))]
    problems: list[Problem] = []
    assert adjacency(load_geometries(write(tmp_path, feats)), problems=problems) == [("A", "B")]
    assert problems and problems[0].severity == "warning" and "overlaps" in problems[0].reason_en


def test_shapefile(tmp_path: Path) -> None:
    shapefile = pytest.importorskip("shapefile")
    base = tmp_path / "units"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON) as w:
        w.field("MA", "C", size=20)
        for r in range(2):
            for c in range(2):
                w.poly(square(105 + c, 20 + r))
                w.record(f"S{r}{c}")
    units = load_geometries(base.with_suffix(".shp"))
    assert sorted(u.code for u in units) == ["S00", "S01", "S10", "S11"]
    assert len(adjacency(units)) == 4 and len(adjacency(units, rule="queen")) == 6
    # a projected .prj is refused with a clear message
    base.with_suffix(".prj").write_text('PROJCS["VN-2000 / UTM zone 48N",GEOGCS["VN-2000"]]')
    with pytest.raises(BadInput, match="WGS84"):
        load_geometries(base.with_suffix(".shp"))


def test_damaged_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "bad.shp"
    path.write_bytes(b"\x00" * 50)
    with pytest.raises(BadInput, match="Shapefile"):
        read_geometries(path)
