"""Unit boundaries from GeoJSON or a Shapefile, and adjacency from shared boundaries.

Coordinates must be WGS84 longitude/latitude (what GeoJSON requires; a Shapefile in a projected
system such as VN-2000 / UTM is refused with a message). Libraries: shapely (BSD-3) and pyshp (MIT),
the latter only for Shapefiles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tinhgon.errors import BadInput
from tinhgon.io.problems import Problem, ValidationFailed, short
from tinhgon.io.text import match_key, nfc

CODE_PROPERTIES = ("code", "ma", "ma_dv", "ma_don_vi", "unit_code", "id")
MAX_GEOJSON_BYTES = 512 * 1024**2
Rule = Literal["rook", "queen"]


@dataclass(slots=True, frozen=True)
class GeoUnit:
    code: str
    geometry: str          # GeoJSON geometry (Polygon or MultiPolygon), for Unit.geometry
    lat: float             # a point inside the polygon (point on surface), for Unit.lat/lon
    lon: float
    row: int               # 1-based feature / record number in the source, for messages


@dataclass(slots=True)
class GeoResult:
    file: str
    units: list[GeoUnit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def raise_for_problems(self) -> None:
        if not self.ok:
            raise ValidationFailed(self.problems)


def _problem(file: str, row: int | None, column: str | None, value: Any, vi: str, en: str,
             severity: Literal["error", "warning"] = "error") -> Problem:
    return Problem(file=file, sheet=None, row=row, column=column, value=short(value), reason_vi=vi,
                   reason_en=en, severity=severity)


def read_geometries(path: str | Path, *, code_property: str | None = None) -> GeoResult:
    """Read polygons with a code property. Bad features become problems (all of them, at once)."""
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if suffix in (".shp", ".zip", ".dbf"):
        features = _shapefile_features(path, name)
    elif suffix in (".geojson", ".json"):
        features = _geojson_features(path, name)
    else:
        raise BadInput("hình học phải là tệp .geojson, .json hoặc .shp / geometry must be .geojson, "
                       ".json or .shp", file=name)
    return _to_units(features, name, code_property)


def load_geometries(path: str | Path, *, code_property: str | None = None) -> list[GeoUnit]:
    """read_geometries, refusing the whole file (ValidationFailed, exit 2) on any error."""
    result = read_geometries(path, code_property=code_property)
    result.raise_for_problems()
    return result.units


def _geojson_features(path: Path, name: str) -> list[tuple[dict[str, Any], Any]]:
    try:
        size = path.stat().st_size
        if size > MAX_GEOJSON_BYTES:
            raise BadInput(f"tệp GeoJSON quá lớn ({size} byte) / GeoJSON file too large", file=name)
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except BadInput:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadInput(f"không đọc được GeoJSON: {exc} / cannot read GeoJSON", file=name) from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        raw = data.get("features")
    elif isinstance(data, dict) and data.get("type") == "Feature":
        raw = [data]
    else:
        raise BadInput("GeoJSON phải là FeatureCollection hoặc Feature / GeoJSON must be a "
                       "FeatureCollection or a Feature", file=name)
    if not isinstance(raw, list) or not raw:
        raise BadInput("GeoJSON không có đối tượng nào / GeoJSON has no features", file=name)
    out: list[tuple[dict[str, Any], Any]] = []
    for f in raw:
        if not isinstance(f, dict):
            out.append(({}, None))
            continue
        props = dict(f.get("properties") or {})
        if "id" in f and "id" not in props:
            props["id"] = f["id"]
        out.append((props, f.get("geometry")))
    return out


def _shapefile_features(path: Path, name: str) -> list[tuple[dict[str, Any], Any]]:
    try:
        import shapefile  # pyshp (MIT)
    except ImportError:
        raise BadInput("cần gói pyshp để đọc Shapefile / reading a Shapefile needs the pyshp package",
                       file=name) from None
    prj = path.with_suffix(".prj")
    if prj.exists():
        text = prj.read_text(errors="replace").upper()
        if text.startswith("PROJCS") or "PROJCS[" in text:
            raise BadInput("Shapefile dùng hệ toạ độ phẳng (ví dụ VN-2000/UTM): hãy chuyển sang WGS84 "
                           "kinh độ/vĩ độ (EPSG:4326) / projected coordinates: reproject to WGS84 "
                           "(EPSG:4326)", file=name)
    try:
        with shapefile.Reader(str(path), encoding="utf-8", encodingErrors="replace") as sf:
            fields = [f[0] for f in sf.fields[1:]]
            out = []
            for sr in sf.iterShapeRecords():
                props = dict(zip(fields, list(sr.record), strict=False))
                geom = sr.shape.__geo_interface__ if sr.shape.shapeType != 0 else None
                out.append((props, geom))
            return out
    except Exception as exc:  # pyshp raises ShapefileException, struct.error, OSError...
        raise BadInput(f"không đọc được Shapefile: {exc} / cannot read the Shapefile", file=name) from None


def _find_code_property(features: Sequence[tuple[dict[str, Any], Any]], wanted: str | None) -> str | None:
    keys: dict[str, str] = {}
    for props, _ in features[:50]:
        for k in props:
            keys.setdefault(match_key(str(k)), str(k))
    if wanted is not None:
        return keys.get(match_key(wanted))
    for cand in CODE_PROPERTIES:
        if match_key(cand) in keys:
            return keys[match_key(cand)]
    return None


def _to_units(features: list[tuple[dict[str, Any], Any]], name: str, code_property: str | None) -> GeoResult:
    import shapely
    from shapely.geometry import mapping, shape

    result = GeoResult(file=name)
    prop = _find_code_property(features, code_property)
    if prop is None:
        wanted = code_property or " / ".join(CODE_PROPERTIES)
        result.problems.append(_problem(name, None, wanted, None,
                                        f"không có thuộc tính mã đơn vị ({wanted})",
                                        f"no unit code property ({wanted})"))
        return result
    seen: dict[str, int] = {}
    for row, (props, geom) in enumerate(features, start=1):
        raw_code = props.get(prop)
        code = nfc(str(raw_code).strip()) if raw_code not in (None, "") else ""
        if isinstance(raw_code, float) and raw_code.is_integer():
            code = str(int(raw_code))
        if not code:
            result.problems.append(_problem(name, row, prop, None, "thiếu mã đơn vị", "missing unit code"))
            continue
        if code in seen:
            result.problems.append(_problem(name, row, prop, code, f"mã bị trùng với đối tượng {seen[code]}",
                                            f"duplicate code (feature {seen[code]})"))
            continue
        seen[code] = row
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            kind = geom.get("type") if isinstance(geom, dict) else None
            result.problems.append(_problem(name, row, "geometry", kind,
                                            "hình học phải là Polygon hoặc MultiPolygon",
                                            "geometry must be a Polygon or MultiPolygon"))
            continue
        try:
            g = shape(geom)
        except Exception as exc:  # malformed coordinates: shapely raises several types
            result.problems.append(_problem(name, row, "geometry", code, f"hình học hỏng: {exc}",
                                            f"malformed geometry: {exc}"))
            continue
        if g.is_empty:
            result.problems.append(_problem(name, row, "geometry", code, "hình học rỗng", "empty geometry"))
            continue
        minx, miny, maxx, maxy = g.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            result.problems.append(_problem(
                name, row, "geometry", code, "toạ độ không phải kinh độ/vĩ độ WGS84 (ngoài khoảng cho phép)",
                "coordinates are not WGS84 longitude/latitude (out of range)"))
            continue
        if not g.is_valid:
            reason = shapely.is_valid_reason(g)
            result.problems.append(_problem(name, row, "geometry", code,
                                            f"hình học không hợp lệ: {reason}",
                                            f"invalid geometry: {reason}"))
            continue
        p = g.point_on_surface()
        result.units.append(GeoUnit(code=code, geometry=json.dumps(mapping(g)), lat=p.y, lon=p.x, row=row))
    return result


def adjacency(units: Iterable[GeoUnit], *, rule: Rule = "rook", min_shared: float = 1e-9,
              grid_size: float | None = 1e-7, file: str = "",
              problems: list[Problem] | None = None) -> list[tuple[str, str]]:
    """Pairs of units whose boundaries meet, each pair once as (a, b) with a < b.

    rook: they share an edge of length > ``min_shared`` (degrees; the default 1e-9 is about 0.1 mm
    and ignores floating-point noise at corners); queen: any contact, a corner is enough.
    ``grid_size`` (degrees; the default 1e-7 is about 1 cm; None to keep coordinates as they are)
    snaps vertices to a grid first, closing the slivers and near-misses digitised borders often have.
    Overlapping polygons are reported as warnings in ``problems`` and count as neighbours.
    """
    import numpy as np
    import shapely
    from shapely.geometry import shape

    units = list(units)
    if len(units) < 2:
        return []
    geoms = np.array([shape(json.loads(u.geometry)) for u in units], dtype=object)
    if grid_size:
        geoms = shapely.set_precision(geoms, grid_size)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    a, b = geoms[left], geoms[right]
    # Overlaps below a millionth of the smaller area are digitising noise, not real overlaps.
    overlap = shapely.area(shapely.intersection(a, b))
    overlap = np.where(overlap > 1e-6 * np.minimum(shapely.area(a), shapely.area(b)), overlap, 0.0)
    if rule == "rook":
        shared = shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b)))
        hit = (shared > min_shared) | (overlap > 0)
    else:
        hit = np.ones(len(left), dtype=bool)
    pairs: list[tuple[str, str]] = []
    for i, j, ov, h in zip(left.tolist(), right.tolist(), overlap.tolist(), hit.tolist(), strict=True):
        if not h:
            continue
        ca, cb = units[i].code, units[j].code
        if ov > 0 and problems is not None:
            problems.append(_problem(file, units[j].row, "geometry", cb,
                                     f"chồng lấn với đơn vị {ca}", f"overlaps unit {ca}", severity="warning"))
        pairs.append((ca, cb) if ca < cb else (cb, ca))
    pairs.sort()
    return pairs
