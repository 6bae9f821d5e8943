"""Planner instances beyond ../shared/bench/planner, derived from public data (issue #4 measures the
planner on instances "like these that are not in the folder"):

- voronoi_100k_single: voronoi_100k_wards without its wards (no `parent_code`): one problem of 100,000
  units, the large case without parents;
- mexico_states: Mexico's 32 states (libpysal's example data, BSD-3-Clause; Queen contiguity of the
  shapefile's polygons, lat/lon = their centroids), size 1 per state, threshold 4: at least four states
  per region, where 8 regions are possible (8 × 4 = 32) and spopt's MaxPHeuristic finds 7.

    .venv/bin/python bench/planner_instances.py --out bench/out/extra
    .venv/bin/python bench/planner_vs_peers.py --instances bench/out/extra --section planner-extra

Needs the benchmark dependencies (bench/requirements-peers.txt: libpysal, geopandas).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "planner"


def voronoi_single(out: Path) -> None:
    src = SHARED / "voronoi_100k_wards"
    out.mkdir(parents=True, exist_ok=True)
    with open(src / "units.csv", encoding="utf-8-sig", newline="") as fi, \
            open(out / "units.csv", "w", encoding="utf-8", newline="") as fo:
        rows = csv.DictReader(fi)
        keep = [c for c in rows.fieldnames or [] if c != "parent_code"]
        w = csv.writer(fo)
        w.writerow(keep)
        for r in rows:
            w.writerow([r[c] for c in keep])
    shutil.copy(src / "adjacency.csv", out / "adjacency.csv")
    meta = json.loads((src / "meta.json").read_text())
    meta.update(name="voronoi_100k_single", parents="none: one problem",
                source=meta["source"] + "; parent_code removed (bench/planner_instances.py)")
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def mexico(out: Path) -> None:
    import geopandas as gpd
    from libpysal.examples import get_path
    from libpysal.weights import Queen

    shapes = gpd.read_file(get_path("mexicojoin.shp"))
    assert len(shapes) == 32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(shapes, use_index=False)  # as spopt's own MaxP example builds it
    cent = shapes.geometry.centroid
    out.mkdir(parents=True, exist_ok=True)
    code = [str(c) for c in shapes["CODE"]]
    with open(out / "units.csv", "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["code", "name", "households", "lat", "lon"])
        for i in range(32):
            wr.writerow([code[i], shapes.iloc[i]["NAME"], 1, f"{cent.iloc[i].y:.5f}", f"{cent.iloc[i].x:.5f}"])
    with open(out / "adjacency.csv", "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["a", "b"])
        for a in range(32):
            for b in w.neighbors[a]:
                if a < b:
                    wr.writerow([code[a], code[b]])
    meta = {"name": "mexico_states", "n_units": 32, "threshold": 4, "size_meaning": "states (1 each)",
            "source": "libpysal example 'mexico' (BSD-3-Clause): mexicojoin.shp, Queen contiguity, "
                      "polygon centroids", "optimum": 8}
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "extra")
    args = ap.parse_args()
    voronoi_single(args.out / "voronoi_100k_single")
    mexico(args.out / "mexico_states")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
