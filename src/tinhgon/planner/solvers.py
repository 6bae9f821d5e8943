"""Solver classes (spopt style: configure, then `solve(problem)`) and the result object."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tinhgon.planner.core import PieceResult, SolverParams, solve_piece
from tinhgon.planner.problem import PieceSpec, PlanningProblem, split_pieces

Progress = Callable[[int], None]  # called with the number of units just finished


@dataclass
class PlanResult:
    """A plan and what is known about its quality.

    labels: group id (0..groups-1, numbered by first unit) of every unit;
    p: groups reaching the threshold; groups: number of groups;
    upper_bound: proven upper bound on p (gap = upper_bound - p; proven_optimal when gap == 0);
    seconds: wall time of `solve`; group_households / group_units: per-group totals;
    below_threshold_components: unit indices of each piece that cannot reach the threshold (one group
    each, or split only by forbid pairs); stranded_groups: groups below the threshold that no neighbour
    can take (forbid pairs / max_size); touched_big: units at or above the threshold that had to take
    small neighbours; timed_out: the time limit cut the search (the plan is valid but may be weaker).
    """

    labels: list[int]
    p: int
    groups: int
    upper_bound: int
    gap: int
    proven_optimal: bool
    seconds: float
    group_households: list[int]
    group_units: list[int]
    below_threshold_components: list[list[int]] = field(default_factory=list)
    stranded_groups: int = 0
    touched_big: int = 0
    timed_out: bool = False
    method: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method, "p": self.p, "groups": self.groups, "upper_bound": self.upper_bound,
            "gap": self.gap, "proven_optimal": self.proven_optimal, "seconds": round(self.seconds, 3),
            "below_threshold_components": len(self.below_threshold_components),
            "stranded_groups": self.stranded_groups, "touched_big_units": self.touched_big,
            "timed_out": self.timed_out, "notes": self.notes,
        }


def _solve_batch(batch: list[tuple[int, Any, int]], params: SolverParams, deadline: float
                 ) -> list[tuple[int, PieceResult]]:
    """Worker entry point: solve pieces (index, Piece, seed); `deadline` is a time.time() stamp."""
    mono_deadline = time.monotonic() + (deadline - time.time())
    return [(k, solve_piece(piece, seed, params, mono_deadline)) for k, piece, seed in batch]


def _batches(specs: list[PieceSpec], idx: list[int], parts: int) -> list[list[int]]:
    """Spread pieces over `parts` batches of similar unit count (largest first, into the lightest)."""
    order = sorted(idx, key=lambda k: (-len(specs[k].units), k))
    loads = [0] * parts
    out: list[list[int]] = [[] for _ in range(parts)]
    for k in order:
        j = min(range(parts), key=lambda x: (loads[x], x))
        out[j].append(k)
        loads[j] += len(specs[k].units) ** 1.3  # large pieces cost more per unit (local search)
    return [b for b in out if b]


class _Base:
    method = "base"
    pool_min_units = 3000  # below this, a process pool costs more than it saves

    def __init__(self, seed: int = 0, time_limit: float = 60.0, workers: int | None = None,
                 dask_address: str | None = None, progress: Progress | None = None,
                 params: SolverParams | None = None) -> None:
        self.seed = seed
        self.time_limit = time_limit
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.dask_address = dask_address
        self.progress = progress
        self.params = params or self.default_params()

    def default_params(self) -> SolverParams:
        return SolverParams()

    def solve(self, problem: PlanningProblem) -> PlanResult:
        t0 = time.time()
        self._t0 = t0
        deadline = t0 + self.time_limit
        locked_units, specs = split_pieces(problem, self.seed)
        results: list[PieceResult | None] = [None] * len(specs)
        trivial = [k for k, s in enumerate(specs) if len(s.units) == 1]
        heavy = [k for k, s in enumerate(specs) if len(s.units) > 1]
        for k in trivial:
            results[k] = solve_piece(specs[k].piece, specs[k].seed, self.params)
        if self.progress and trivial:
            self.progress(len(trivial))
        heavy_units = sum(len(specs[k].units) for k in heavy)
        if self.dask_address is not None and heavy:
            self._run_dask(specs, heavy, results, deadline)
        elif self.workers > 1 and heavy_units >= self.pool_min_units and len(heavy) > 1:
            self._run_pool(specs, heavy, results, deadline)
        else:
            for k, r in _solve_batch([(k, specs[k].piece, specs[k].seed) for k in heavy], self.params,
                                     deadline):
                results[k] = r
                if self.progress:
                    self.progress(len(specs[k].units))
        done = [r for r in results if r is not None]
        assert len(done) == len(specs)
        res = self._assemble(problem, locked_units, specs, done, t0)
        return self._improve(problem, specs, done, res, deadline)

    def _improve(self, problem: PlanningProblem, specs: list[PieceSpec], results: list[PieceResult],
                 res: PlanResult, deadline: float) -> PlanResult:
        return res

    def _run_pool(self, specs: list[PieceSpec], heavy: list[int], results: list[PieceResult | None],
                  deadline: float) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        parts = min(len(heavy), self.workers * 4)
        batches = _batches(specs, heavy, parts)
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as ex:
            futs = {ex.submit(_solve_batch, [(k, specs[k].piece, specs[k].seed) for k in b], self.params,
                              deadline): b for b in batches}
            for fut in as_completed(futs):
                for k, r in fut.result():
                    results[k] = r
                if self.progress:
                    self.progress(sum(len(specs[k].units) for k in futs[fut]))

    def _run_dask(self, specs: list[PieceSpec], heavy: list[int], results: list[PieceResult | None],
                  deadline: float) -> None:
        try:
            from distributed import Client, as_completed
        except ImportError as exc:  # optional extra
            from tinhgon.errors import Failure

            raise Failure("--dask cần gói dask[distributed] (pip install 'tinhgon[dask]')") from exc
        with Client(self.dask_address) as client:
            nworkers = max(len(client.scheduler_info().get("workers", {})), 1)
            batches = _batches(specs, heavy, min(len(heavy), nworkers * 4))
            futs = client.map(_solve_batch, [[(k, specs[k].piece, specs[k].seed) for k in b] for b in batches],
                              params=self.params, deadline=deadline, pure=False)
            owner = {f.key: b for f, b in zip(futs, batches, strict=True)}
            for fut in as_completed(futs):
                for k, r in fut.result():
                    results[k] = r
                if self.progress:
                    self.progress(sum(len(specs[k].units) for k in owner[fut.key]))

    def _assemble(self, problem: PlanningProblem, locked_units: list[int], specs: list[PieceSpec],
                  results: list[PieceResult], t0: float) -> PlanResult:
        n = problem.n
        w = problem.households
        T = problem.threshold
        raw = [-1] * n
        next_id = 0
        p = ub = stranded = touched = 0
        proven = True
        timed_out = False
        below: list[list[int]] = []
        for u in locked_units:
            raw[u] = next_id
            next_id += 1
            if w[u] >= T:
                p += 1
                ub += 1
        for spec, r in zip(specs, results, strict=True):
            for u, lab in zip(spec.units, r.labels, strict=True):
                raw[u] = lab + next_id
            next_id += max(r.labels) + 1
            p += r.p
            ub += r.upper_bound
            stranded += r.stranded
            touched += r.touched_big
            proven = proven and r.proven
            timed_out = timed_out or r.timed_out
            if r.below_threshold:
                below.append(spec.units)
        # renumber groups by first unit so labels do not depend on piece order
        rank: dict[int, int] = {}
        labels = [rank.setdefault(g, len(rank)) for g in raw]
        groups = len(rank)
        gh = [0] * groups
        gu = [0] * groups
        for u, g in enumerate(labels):
            gh[g] += w[u]
            gu[g] += 1
        ub = max(ub, p)
        return PlanResult(labels=labels, p=p, groups=groups, upper_bound=ub, gap=ub - p,
                          proven_optimal=p == ub, seconds=time.time() - t0, group_households=gh,
                          group_units=gu, below_threshold_components=below, stranded_groups=stranded,
                          touched_big=touched, timed_out=timed_out, method=self.method)


class MaxPGreedy(_Base):
    """Region growing only (no exact packing, no local search): fastest, weakest."""

    method = "greedy"

    def default_params(self) -> SolverParams:
        return SolverParams(exact_units=0, max_passes=0, polish_passes=1)


class MaxPLocalSearch(_Base):
    """The default: exact packing of small clusters, region growing + local search on large ones."""

    method = "local-search"


class MaxPExact(MaxPLocalSearch):
    """MaxPLocalSearch, then OR-Tools CP-SAT on every piece with a gap, warm-started from it."""

    method = "exact"

    def _improve(self, problem: PlanningProblem, specs: list[PieceSpec], results: list[PieceResult],
                 res: PlanResult, deadline: float) -> PlanResult:
        from tinhgon.planner.exact import improve_pieces

        todo = [k for k, r in enumerate(results) if not r.proven and not r.below_threshold]
        if not todo:
            return res
        new_results, notes = improve_pieces(specs, results, todo, deadline, self.params, self.seed)
        locked_units = [u for u in range(problem.n) if problem.locked[u]]
        out = self._assemble(problem, locked_units, specs, new_results, self._t0)
        return replace(out, notes=res.notes + notes)
