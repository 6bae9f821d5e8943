"""The planning problem as arrays, and its split into independent pieces."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tinhgon.planner.core import Piece


@dataclass
class PlanningProblem:
    """Units, adjacency (CSR, symmetric, no self-loops) and the rules of FORMATS.md.

    households: int64[n]; indptr: int64[n+1] and indices: int32[m] (CSR neighbour lists);
    parents: int32[n], -1 for no parent (units with the same id share a parent);
    locked: bool[n]; forbid / prefer: int32[k, 2] unit index pairs; threshold: households a group must
    reach; max_size: largest total households of a group (None: no limit); coords: float64[n, 2]
    (lat, lon) or None; codes: unit codes for messages and output.
    """

    households: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    threshold: int
    parents: np.ndarray | None = None
    locked: np.ndarray | None = None
    forbid: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int32))
    prefer: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int32))
    max_size: int | None = None
    coords: np.ndarray | None = None
    codes: list[str] | None = None

    def __post_init__(self) -> None:
        n = len(self.households)
        self.households = np.asarray(self.households, dtype=np.int64)
        if self.parents is None:
            self.parents = np.full(n, -1, dtype=np.int32)
        if self.locked is None:
            self.locked = np.zeros(n, dtype=bool)
        self.forbid = np.asarray(self.forbid, dtype=np.int32).reshape(-1, 2)
        self.prefer = np.asarray(self.prefer, dtype=np.int32).reshape(-1, 2)
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if self.max_size is not None and self.max_size < self.threshold:
            raise ValueError("max_size must be at least the threshold")

    @property
    def n(self) -> int:
        return len(self.households)

    @classmethod
    def from_edges(cls, households: Sequence[int], edges: Sequence[tuple[int, int]] | np.ndarray,
                   threshold: int, **kwargs: object) -> PlanningProblem:
        """Build from an edge list (each undirected pair once or twice; duplicates are merged)."""
        n = len(households)
        indptr, indices = csr_from_edges(n, np.asarray(edges, dtype=np.int64).reshape(-1, 2))
        return cls(np.asarray(households, dtype=np.int64), indptr, indices, threshold, **kwargs)  # type: ignore[arg-type]

    def neighbours(self) -> list[list[int]]:
        ip = self.indptr.tolist()
        ix = self.indices.tolist()
        return [ix[ip[i]:ip[i + 1]] for i in range(self.n)]


def csr_from_edges(n: int, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR without self-loops or duplicate entries, neighbours sorted."""
    if len(edges) == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    a = np.concatenate([edges[:, 0], edges[:, 1]])
    b = np.concatenate([edges[:, 1], edges[:, 0]])
    keep = a != b
    a, b = a[keep], b[keep]
    key = np.sort(a * n + b)
    if len(key) > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    a, b = key // n, key % n
    counts = np.bincount(a, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, b.astype(np.int32)


@dataclass
class PieceSpec:
    """One independent sub-problem: global unit indices (sorted) and the local Piece."""

    units: list[int]
    piece: Piece
    seed: int


def plane_coords(coords: np.ndarray | None) -> np.ndarray | None:
    """(lat, lon) to a local plane where distances are comparable; other projections are kept."""
    if coords is None:
        return None
    lat, lon = coords[:, 0], coords[:, 1]
    if np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180):
        k = math.cos(math.radians(float(np.mean(lat))))
        return np.column_stack([lon * k, lat])
    return np.column_stack([coords[:, 1], coords[:, 0]])


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
    locked = problem.locked
    assert parents is not None and locked is not None
    indptr, indices = problem.indptr, problem.indices.astype(np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    keep = (parents[rows] == parents[indices]) & ~locked[rows] & ~locked[indices]
    forbid: dict[int, set[int]] = {}
    if len(problem.forbid):
        fa = problem.forbid[:, 0].astype(np.int64)
        fb = problem.forbid[:, 1].astype(np.int64)
        keys = np.concatenate([fa * n + fb, fb * n + fa])
        keep &= ~np.isin(rows * n + indices, keys)
        for a, b in problem.forbid.tolist():
            forbid.setdefault(a, set()).add(b)
            forbid.setdefault(b, set()).add(a)
    prefer: dict[int, set[int]] = {}
    for a, b in problem.prefer.tolist():
        prefer.setdefault(a, set()).add(b)
        prefer.setdefault(b, set()).add(a)
    kept = indices[keep].tolist()
    kptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=kptr[1:])
    kp = kptr.tolist()
    work = [kept[kp[u]:kp[u + 1]] for u in range(n)]
    w = problem.households.tolist()
    xy = plane_coords(problem.coords)
    xyl = xy.tolist() if xy is not None else None
    lockl = locked.tolist()
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
            xy=[(xyl[u][0], xyl[u][1]) for u in comp] if xyl is not None else None,
        )
        pieces.append((comp, piece))
    return locked_units, pieces
