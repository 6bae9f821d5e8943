"""Helpers for planner tests: random instances, CSV files and an in-process CLI runner."""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Instance:
    """A random planning instance in plain Python, convertible to files or a PlanningProblem."""

    households: list[int]
    edges: list[tuple[int, int]]
    threshold: int
    parents: list[int] = field(default_factory=list)
    locked: list[bool] = field(default_factory=list)
    forbid: list[tuple[int, int]] = field(default_factory=list)
    prefer: list[tuple[int, int]] = field(default_factory=list)
    max_size: int | None = None
    coords: list[tuple[float, float]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.households)

    def codes(self) -> list[str]:
        return [f"U{i:03d}" for i in range(self.n)]

    def problem(self):  # type: ignore[no-untyped-def]
        from tinhgon.planner import PlanningProblem

        return PlanningProblem.from_edges(
            self.households, self.edges, self.threshold, parents=self.parents or [-1] * self.n,
            locked=self.locked or [False] * self.n, forbid=self.forbid, prefer=self.prefer,
            max_size=self.max_size, coords=self.coords or None, codes=self.codes())

    def write(self, folder: Path) -> dict[str, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        codes = self.codes()
        paths = {"units": folder / "units.csv", "adjacency": folder / "adjacency.csv"}
        with open(paths["units"], "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(["code", "name", "parent_code", "households", "lat", "lon", "locked"])
            for i in range(self.n):
                par = f"P{self.parents[i]}" if self.parents and self.parents[i] >= 0 else ""
                lat, lon = self.coords[i] if self.coords else ("", "")
                lk = "1" if self.locked and self.locked[i] else "0"
                wr.writerow([codes[i], f"Tổ {i}", par, self.households[i], lat, lon, lk])
        with open(paths["adjacency"], "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(["a", "b"])
            for a, b in self.edges:
                wr.writerow([codes[a], codes[b]])
        if self.forbid or self.prefer:
            paths["pairs"] = folder / "pairs.csv"
            with open(paths["pairs"], "w", newline="", encoding="utf-8") as fh:
                wr = csv.writer(fh)
                wr.writerow(["a", "b", "relation"])
                for a, b in self.forbid:
                    wr.writerow([codes[a], codes[b], "forbid"])
                for a, b in self.prefer:
                    wr.writerow([codes[a], codes[b], "prefer"])
        return paths


def random_instance(rng: random.Random, n: int, *, parents: int = 1, locked: float = 0.0,
                    forbid: int = 0, prefer: int = 0, max_size: bool = False, threshold: int = 600,
                    mean: float = 380.0, extra_edges: float = 1.0) -> Instance:
    """Points in the unit square joined to near neighbours (a planar-like map), lognormal sizes."""
    pts = [(rng.random(), rng.random()) for _ in range(n)]
    edges: set[tuple[int, int]] = set()
    for i in range(n):
        d = sorted(range(n), key=lambda j: (pts[i][0] - pts[j][0]) ** 2 + (pts[i][1] - pts[j][1]) ** 2)
        k = 1 + int(rng.random() * (2 + extra_edges * 2))
        for j in d[1:k + 1]:
            edges.add((min(i, j), max(i, j)))
    hh = [max(0, int(rng.lognormvariate(0, 0.6) * mean)) for _ in range(n)]
    par = [min(int(pts[i][0] * parents), parents - 1) for i in range(n)] if parents > 1 else []
    lk = [rng.random() < locked for _ in range(n)] if locked else []
    pairs = set()
    for _ in range(forbid + prefer):
        a, b = rng.sample(range(n), 2) if n > 1 else (0, 0)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    plist = sorted(pairs)
    fb = plist[:forbid]
    pf = plist[forbid:]
    ms = None
    if max_size:
        ms = max(max(hh), threshold) + int(rng.random() * threshold * 2)
    return Instance(hh, sorted(edges), threshold, par, lk, fb, pf, ms,
                    [(10 + y, 105 + x) for x, y in pts])


@pytest.fixture(params=["entry", "typer"])
def run_cli(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
            monkeypatch: pytest.MonkeyPatch):
    """Run `tinhgon ARGS` in process; returns (exit code, stdout, stderr). Both ways in are tried: the
    console script's fast path (tinhgon.entry:main) and the Typer application (tinhgon.cli:main)."""
    if request.param == "entry":
        from tinhgon.entry import main
    else:
        from tinhgon.cli import main

    def run(*args: str | Path) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["tinhgon", *map(str, args)])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run
