"""The scheme's map: each residential group's point coloured by the proposed group it joins, with its
Voronoi cell (clipped to the area around the points) when there are enough points to draw cells."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MapPoint:
    code: str
    label: str           # short label drawn next to the point (the group's number)
    lat: float
    lon: float
    group: str           # the proposed group's label
    merged: bool         # the proposed group joins several units


def render_map(points: Sequence[MapPoint], *, title: str, dpi: int = 150) -> bytes:
    """A PNG of the points (lon, lat scaled so distances look right at this latitude)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon as MplPolygon

    if not points:
        raise ValueError("no points to draw")
    mid_lat = sum(p.lat for p in points) / len(points)
    kx = math.cos(math.radians(mid_lat))
    xy = [(p.lon * kx, p.lat) for p in points]
    groups = sorted({p.group for p in points if p.merged})
    # distinct hues while they last; tab20's light/dark pairs only when there are more groups than hues
    cmap = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    colour = {g: cmap(i % cmap.N) for i, g in enumerate(groups)}
    grey = (0.82, 0.82, 0.82, 1.0)

    fig, ax = plt.subplots(figsize=(7.2, 7.2))
    cells = _voronoi_cells(xy)
    for p, cell in zip(points, cells, strict=True):
        if cell is None:
            continue
        fill = colour.get(p.group, grey) if p.merged else grey
        ax.add_patch(MplPolygon(cell, closed=True, facecolor=(*fill[:3], 0.45), edgecolor="white", linewidth=0.8))
    for p, (x, y) in zip(points, xy, strict=True):
        c = colour.get(p.group, (0.4, 0.4, 0.4, 1.0)) if p.merged else (0.45, 0.45, 0.45, 1.0)
        ax.plot(x, y, "o", color=c, markersize=6, markeredgecolor="black", markeredgewidth=0.4)
        if p.label:
            ax.annotate(p.label, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=6.5)
    xs = [a for a, _ in xy]
    ys = [b for _, b in xy]
    pad = 0.06 * max(max(xs) - min(xs), max(ys) - min(ys), 1e-3)
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=11)
    from matplotlib.lines import Line2D

    handles = [Line2D([0], [0], marker="s", linestyle="", markersize=8, color=colour[g], label=g) for g in groups]
    handles.append(Line2D([0], [0], marker="s", linestyle="", markersize=8, color=grey, label="giữ nguyên"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False,
              title="Tổ sau sắp xếp", title_fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def _voronoi_cells(xy: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]] | None]:
    """Each point's Voronoi cell clipped to the points' hull grown by a margin; None when not drawable."""
    if len(xy) < 3:
        return [None] * len(xy)
    from shapely.geometry import MultiPoint, Point, Polygon
    from shapely.ops import voronoi_diagram

    pts = MultiPoint(list(xy))
    hull = pts.convex_hull
    span = max(hull.bounds[2] - hull.bounds[0], hull.bounds[3] - hull.bounds[1], 1e-3)
    area = hull.buffer(0.08 * span)
    regions = voronoi_diagram(pts, envelope=area.buffer(span))
    out: list[list[tuple[float, float]] | None] = []
    polys = list(regions.geoms)
    for x, y in xy:
        pt = Point(x, y)
        cell = next((g for g in polys if g.contains(pt)), None)
        if cell is None:
            out.append(None)
            continue
        clipped = cell.intersection(area)
        if clipped.is_empty or not isinstance(clipped, Polygon):
            out.append(None)
            continue
        out.append([(float(a), float(b)) for a, b in clipped.exterior.coords])
    return out
