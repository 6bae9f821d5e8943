"""Small real maps whose optimum is proven: the default solve must reach it.

Mexico's 32 states (libpysal's example data, BSD-3-Clause; contiguity from its GAL file): with at least
four states per region, spopt's MaxPHeuristic finds 7 regions where 8 are possible (issue #4).
"""

from __future__ import annotations

import csv
import warnings

import libpysal  # a dev dependency: these maps are always tested
import pytest

from tinhgon.planner import MaxPExact, MaxPLocalSearch, PlanningProblem, check_labels


def _mexico() -> tuple[list[tuple[int, int]], dict[str, list[int]]]:
    """Contiguity and per-capita GDP by state. The GAL file's ids are row numbers of mexico.csv (0 is
    Aguascalientes, next to Jalisco and Zacatecas), not of the shapefile."""
    from libpysal.examples import get_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gal = libpysal.io.open(get_path("mexico.gal")).read()
    with open(get_path("mexico.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(k) for k in gal.id_order) == list(range(len(rows))) == list(range(32))
    assert rows[0]["State"] == "Aguascalientes"
    assert sorted(rows[int(b)]["State"] for b in gal.neighbors["0"]) == ["Jalisco", "Zacatecas"]
    edges = [(int(a), int(b)) for a in gal.id_order for b in gal.neighbors[a]]
    return edges, {c: [int(float(r[c])) for r in rows] for c in ("pcgdp1990", "pcgdp2000")}


def test_mexico_four_states_per_region_gives_eight_regions_proven() -> None:
    edges, _ = _mexico()
    problem = PlanningProblem.from_edges([1] * 32, edges, threshold=4)
    res = MaxPLocalSearch(seed=0, workers=1).solve(problem)
    assert check_labels(problem, res.labels)["valid"]
    assert res.p == 8 and res.upper_bound == 8 and res.proven_optimal


@pytest.mark.parametrize(("column", "threshold"), [
    ("count", 3), ("count", 5), ("count", 6), ("count", 7),
    ("pcgdp1990", 60_000), ("pcgdp2000", 60_000), ("pcgdp2000", 100_000), ("pcgdp2000", 150_000),
])
def test_default_solve_reaches_the_proven_optimum_on_mexico(column: str, threshold: int) -> None:
    edges, table = _mexico()
    sizes = [1] * 32 if column == "count" else table[column]
    problem = PlanningProblem.from_edges(sizes, edges, threshold=threshold)
    exact = MaxPExact(seed=0, workers=1, time_limit=60).solve(problem)
    assert exact.proven_optimal, "CP-SAT did not prove the optimum within its time limit"
    res = MaxPLocalSearch(seed=0, workers=1).solve(problem)
    assert check_labels(problem, res.labels)["valid"]
    assert res.p == exact.p
