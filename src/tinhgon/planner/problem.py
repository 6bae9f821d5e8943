"""The planning problem as plain lists, and its split into independent pieces.

No numpy here on purpose: on a map of a thousand units the whole `plan solve` command takes a tenth of
a second, and importing numpy alone would add half as much again; every later step walks the graph
unit by unit, where Python lists are faster than array element access anyway.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinhgon.planner.core import Piece


def _plain(values: Any) -> list[Any]:
    """A list from a list, a tuple, a numpy array or any iterable (library callers pass arrays)."""
    tolist = getattr(values, "tolist", None)
    return tolist() if tolist is not None else list(values)


def _given(values: Any) -> bool:
    return values is not None and len(values) > 0


def _pairs(values: Any) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in _plain(values)]


@dataclass
class PlanningProblem:
    """Units, adjacency and the rules of FORMATS.md, by unit index 0..n-1.

    households: households of each unit; nbrs: neighbour lists (symmetric, sorted, no self-loops or
    duplicates; build them from an edge list with `from_edges`); parents: parent id of each unit, -1 for
    none (units with the same id share a parent); locked: units that stay alone; forbid / prefer: unit
    index pairs; threshold: households a group must reach; max_size: largest total households of a
    group (None: no limit); coords: (lat, lon) of each unit or None; codes: unit codes for messages
    and output. Lists, tuples and numpy arrays are all accepted and kept as lists.
    """

    households: list[int]
    nbrs: list[list[int]]
    threshold: int
    parents: list[int] = field(default_factory=list)
    locked: list[bool] = field(default_factory=list)
    forbid: list[tuple[int, int]] = field(default_factory=list)
    prefer: list[tuple[int, int]] = field(default_factory=list)
    max_size: int | None = None
    coords: list[tuple[float, float]] | None = None
    codes: list[str] | None = None

    def __post_init__(self) -> None:
        self.households = [int(h) for h in _plain(self.households)]
        n = len(self.households)
        self.nbrs = [list(nb) for nb in _plain(self.nbrs)]
        # None or empty: no parents, nothing locked
        self.parents = [int(p) for p in _plain(self.parents)] if _given(self.parents) else [-1] * n
        self.locked = [bool(x) for x in _plain(self.locked)] if _given(self.locked) else [False] * n
        self.forbid = _pairs(self.forbid) if _given(self.forbid) else []
        self.prefer = _pairs(self.prefer) if _given(self.prefer) else []
        if self.coords is not None:
            self.coords = [(float(a), float(b)) for a, b in _plain(self.coords)]
        if len(self.nbrs) != n or len(self.parents) != n or len(self.locked) != n or (
                self.coords is not None and len(self.coords) != n):
            raise ValueError("households, nbrs, parents, locked and coords must have one entry per unit")
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if self.max_size is not None and self.max_size < self.threshold:
            raise ValueError("max_size must be at least the threshold")

    @property
    def n(self) -> int:
        return len(self.households)

    @classmethod
    def from_edges(cls, households: Sequence[int], edges: Iterable[tuple[int, int]] | Any,
                   threshold: int, **kwargs: Any) -> PlanningProblem:
        """Build from an edge list (each undirected pair once or twice; duplicates are merged)."""
        return cls(_plain(households), nbrs_from_edges(len(households), edges), threshold, **kwargs)

    def neighbours(self) -> list[list[int]]:
        return self.nbrs


def nbrs_from_edges(n: int, edges: Iterable[tuple[int, int]] | Any) -> list[list[int]]:
    """Symmetric neighbour lists without self-loops or duplicates, each sorted."""
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for a, b in _plain(edges):
        if not (0 <= a < n and 0 <= b < n):  # a negative index would silently name another unit
            raise ValueError(f"edge ({a}, {b}) names a unit outside 0..{n - 1}")
        if a != b:
            nbrs[a].append(b)
            nbrs[b].append(a)
    for u, nb in enumerate(nbrs):
        if len(nb) > 1:
            nb = sorted(set(nb))
            nbrs[u] = nb
    return nbrs


@dataclass
class PieceSpec:
    """One independent sub-problem: global unit indices (sorted) and the local Piece."""

    units: list[int]
    piece: Piece
    seed: int


def plane_coords(coords: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
    """(lat, lon) to a local plane where distances are comparable; other projections are kept."""
    if not coords:
        return None
    if all(abs(la) <= 90 and abs(lo) <= 180 for la, lo in coords):
        k = math.cos(math.radians(sum(la for la, _ in coords) / len(coords)))
        return [(lo * k, la) for la, lo in coords]
    return [(lo, la) for la, lo in coords]


def split_pieces(problem: PlanningProblem, seed: int = 0) -> tuple[list[int], list[PieceSpec]]:
    """Locked units (each its own group) and the pieces: connected components of the graph that
    keeps only edges inside one parent, between unlocked units, and not joining a forbid pair.

    The split is cached on the problem; only the seeds depend on `seed` (one per piece, derived from
    its first unit, so results do not depend on the order pieces are solved in)."""
    cached = getattr(problem, "_pieces", None)
    if cached is None:
        cached = _split(problem)
        problem._pieces = cached  # type: ignore[attr-defined]
    locked_units, pieces = cached
    specs = [PieceSpec(units, piece, (seed * 1_000_003 + units[0]) & 0x7FFFFFFF) for units, piece in pieces]
    return locked_units, specs


def _split(problem: PlanningProblem) -> tuple[list[int], list[tuple[list[int], Piece]]]:
    n = problem.n
    parents = problem.parents
    lockl = problem.locked
    forbid: dict[int, set[int]] = {}
    for a, b in problem.forbid:
        forbid.setdefault(a, set()).add(b)
        forbid.setdefault(b, set()).add(a)
    prefer: dict[int, set[int]] = {}
    for a, b in problem.prefer:
        prefer.setdefault(a, set()).add(b)
        prefer.setdefault(b, set()).add(a)
    work: list[list[int]] = []
    for u, nb in enumerate(problem.nbrs):
        if lockl[u]:
            work.append([])
            continue
        pu = parents[u]
        fu = forbid.get(u)
        work.append([v for v in nb if parents[v] == pu and not lockl[v] and (fu is None or v not in fu)])
    w = problem.households
    xyl = plane_coords(problem.coords)
    locked_units = [u for u in range(n) if lockl[u]]
    seen = list(lockl)
    pieces: list[tuple[list[int], Piece]] = []
    for s in range(n):
        if seen[s]:
            continue
        seen[s] = True
        comp = [s]
        stack = [s]
        while stack:
            u = stack.pop()
            for v in work[u]:
                if not seen[v]:
                    seen[v] = True
                    comp.append(v)
                    stack.append(v)
        if len(comp) > 1:
            comp.sort()
        loc = {u: i for i, u in enumerate(comp)}
        pf: dict[int, set[int]] = {}
        pp: dict[int, set[int]] = {}
        if forbid:
            for u in comp:
                if u in forbid:
                    x = {loc[v] for v in forbid[u] if v in loc}
                    if x:
                        pf[loc[u]] = x
        if prefer:
            for u in comp:
                if u in prefer:
                    x = {loc[v] for v in prefer[u] if v in loc}
                    if x:
                        pp[loc[u]] = x
        piece = Piece(
            w=[w[u] for u in comp],
            nbrs=[[loc[v] for v in work[u]] for u in comp],
            threshold=problem.threshold,
            max_size=problem.max_size,
            forbid=pf,
            prefer=pp,
            xy=[xyl[u] for u in comp] if xyl is not None else None,
        )
        pieces.append((comp, piece))
    return locked_units, pieces
