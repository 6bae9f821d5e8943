"""Run one peer max-p solver on one instance folder, in its own process (called by planner_vs_peers.py).

    python bench/planner_peer_run.py {spopt|geoda} INSTANCE_DIR PLAN_CSV RESULT_JSON

Writes the peer's plan as `code,group` (FORMATS.md) and a JSON with the p it reports, the seconds spent
solving (library call only) and notes. Peers are benchmark-only dependencies (bench/requirements-peers.txt):
the tinhgon package never imports them (pygeoda is GPL).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path


def read_instance(folder: Path) -> tuple[list[dict[str, str]], list[tuple[int, int]], int]:
    with open(folder / "units.csv", encoding="utf-8-sig", newline="") as fh:
        units = list(csv.DictReader(fh))
    index = {u["code"]: i for i, u in enumerate(units)}
    edges: set[tuple[int, int]] = set()
    with open(folder / "adjacency.csv", encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            a, b = index[row["a"]], index[row["b"]]
            if a != b:
                edges.add((min(a, b), max(a, b)))
    threshold = int(json.loads((folder / "meta.json").read_text())["threshold"])
    return units, sorted(edges), threshold


def neighbours(n: int, edges: list[tuple[int, int]]) -> dict[int, list[int]]:
    nb: dict[int, list[int]] = {i: [] for i in range(n)}
    for a, b in edges:
        nb[a].append(b)
        nb[b].append(a)
    return nb


def run_spopt(units: list[dict[str, str]], edges: list[tuple[int, int]], threshold: int
              ) -> tuple[list[int], float, dict[str, object]]:
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from libpysal.weights import W
    from spopt.region import MaxPHeuristic

    n = len(units)
    df = pd.DataFrame({
        "households": [int(u["households"]) for u in units],
        "lat": [float(u["lat"]) for u in units],
        "lon": [float(u["lon"]) for u in units],
    })
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]))
    w = W(neighbours(n, edges), silence_warnings=True)
    notes: dict[str, object] = {}
    labels = None
    t0 = time.perf_counter()
    for policy in ("keep", "drop"):
        np.random.seed(0)
        try:
            model = MaxPHeuristic(gdf, w, ["lat", "lon"], "households", threshold, policy=policy)
            model.solve()
            labels = [int(x) for x in model.labels_]
            notes["policy"] = policy
            break
        except Exception as exc:  # "keep" fails on maps with pieces below the threshold
            notes[f"policy_{policy}_error"] = f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - t0
    if labels is None:
        raise RuntimeError(json.dumps(notes))
    if len(labels) != n:  # "drop" returns labels for the kept areas only
        notes["labels_returned"] = len(labels)
    return labels, seconds, notes


def run_geoda(units: list[dict[str, str]], edges: list[tuple[int, int]], threshold: int
              ) -> tuple[list[int], float, dict[str, object]]:
    import pygeoda

    n = len(units)
    nb = neighbours(n, edges)
    # Custom weights through a GAL file: header "0 n", then "id k" and the neighbour ids per unit.
    with tempfile.NamedTemporaryFile("w", suffix=".gal", delete=False) as fh:
        fh.write(f"0 {n} layer id\n")
        for i in range(n):
            fh.write(f"{i} {len(nb[i])}\n{' '.join(str(j) for j in nb[i])}\n")
        gal = fh.name
    w = pygeoda.weights.read_gal(gal, [str(i) for i in range(n)])
    data = [[float(u["lat"]) for u in units], [float(u["lon"]) for u in units]]
    bound = [float(u["households"]) for u in units]
    t0 = time.perf_counter()
    res = pygeoda.maxp_greedy(w, data, bound, float(threshold), cpu_threads=2)
    seconds = time.perf_counter() - t0
    Path(gal).unlink()
    return [int(x) for x in res["Clusters"]], seconds, {"cpu_threads": 2}


def main() -> None:
    tool, folder, plan_path, result_path = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    units, edges, threshold = read_instance(folder)
    runner = {"spopt": run_spopt, "geoda": run_geoda}[tool]
    labels, seconds, notes = runner(units, edges, threshold)
    if len(labels) == len(units):
        with open(plan_path, "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["code", "group"])
            for u, g in zip(units, labels, strict=True):
                wr.writerow([u["code"], g])
    else:
        notes["plan_written"] = False
    sizes: dict[int, int] = {}
    for u, g in zip(units, labels, strict=False):
        sizes[g] = sizes.get(g, 0) + int(u["households"])
    p_reported = sum(1 for s in sizes.values() if s >= threshold)
    Path(result_path).write_text(json.dumps({"tool": tool, "seconds": seconds, "p_reported": p_reported,
                                             "groups": len(sizes), "notes": notes}))


if __name__ == "__main__":
    main()
