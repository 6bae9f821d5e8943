"""Shapes for the maps: a unit's own geometry when the registry has one, else a Voronoi cell around its
point, clipped to the hull of the points (buffered), computed once per set of units and cached."""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from typing import Any

from tinhgon.domain.units import Unit

_CACHE: OrderedDict[tuple[tuple[int, float, float], ...], dict[int, Any]] = OrderedDict()
_LOCK = threading.Lock()


def _key(units: list[Unit]) -> tuple[tuple[int, float, float], ...]:
    return tuple(sorted((u.id, u.lat or 0.0, u.lon or 0.0) for u in units))


def cells(units: list[Unit]) -> dict[int, Any]:
    """GeoJSON geometry (dict) per unit id; units without a point or geometry are left out."""
    key = _key(units)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    out = _compute(units)
    with _LOCK:
        _CACHE[key] = out
        while len(_CACHE) > 64:
            _CACHE.popitem(last=False)
    return out


def _compute(units: list[Unit]) -> dict[int, Any]:
    import shapely
    from shapely.geometry import MultiPoint, Point, mapping, shape

    out: dict[int, Any] = {}
    pts: list[tuple[int, float, float]] = []
    for u in units:
        if u.geometry:
            try:
                out[u.id] = mapping(shape(json.loads(u.geometry)))
                continue
            except (ValueError, TypeError, KeyError, AttributeError):
                pass  # unreadable geometry: fall back to the point
        if u.lat is not None and u.lon is not None:
            pts.append((u.id, u.lat, u.lon))
    if not pts:
        return out
    # work in a locally equal-area plane (x = lon * cos(lat)) so cells are not stretched
    lat0 = sum(p[1] for p in pts) / len(pts)
    k = math.cos(math.radians(lat0))
    xy = [(lon * k, lat) for _id, lat, lon in pts]
    mp = MultiPoint(xy)
    spacing = _typical_spacing(xy)
    hull = mp.convex_hull.buffer(spacing * 0.6)
    if len(pts) == 1:
        cells_xy = [Point(xy[0]).buffer(spacing * 0.6)]
    else:
        polys = shapely.voronoi_polygons(mp, extend_to=hull, ordered=True)
        cells_xy = [g.intersection(hull) for g in polys.geoms]
    for (uid, _lat, _lon), cell in zip(pts, cells_xy, strict=True):
        geo = shapely.transform(cell, lambda a: a / [k, 1.0])
        out[uid] = mapping(geo.simplify(spacing * 0.002))
    return out


def _typical_spacing(xy: list[tuple[float, float]]) -> float:
    if len(xy) < 2:
        return 0.003
    import numpy as np
    from scipy.spatial import cKDTree

    arr = np.asarray(xy)
    d, _ = cKDTree(arr).query(arr, k=2)
    return float(np.median(d[:, 1])) or 0.003


def feature_collection(units: list[Unit], props: dict[int, dict[str, Any]]) -> dict[str, Any]:
    shapes = cells(units)
    feats = []
    for u in units:
        g = shapes.get(u.id)
        if g is None:
            continue
        feats.append({"type": "Feature", "geometry": _jsonable(g), "properties": {"id": u.id, "code": u.code,
                      "name": u.name, "households": u.households, **props.get(u.id, {})}})
    return {"type": "FeatureCollection", "features": feats}


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj
