"""Exact max-p with OR-Tools CP-SAT, as a set packing over candidate groups (imported lazily).

For each piece whose heuristic plan has a gap, every cluster of small units is modelled as: one boolean
per candidate group (connected, reaching the threshold, all ESU prefixes below it: this includes every
inclusion-minimal group, see packing.py), at most one chosen candidate per unit, maximise the number
chosen. The heuristic's groups are added as candidates and given as a hint (warm start). The model is
exact for p; groups are completed afterwards exactly as in the heuristic (left-out units join).
"""

from __future__ import annotations

import heapq
import time

from tinhgon.planner.core import (
    Piece,
    PieceResult,
    SolverParams,
    _components,
    cluster_bound,
    solve_piece,
)
from tinhgon.planner.packing import SearchLimit, enumerate_candidates, mask_members
from tinhgon.planner.problem import PieceSpec

CANDIDATE_LIMIT = 400_000  # per piece; beyond this the model is not built and the heuristic stays


def _ball(piece: Piece, r: int, allowed: set[int]) -> list[int]:
    """Units > r reachable from r through units > r by paths whose weight before the last unit is
    below the threshold: the only units a candidate rooted at r can contain."""
    w, T = piece.w, piece.threshold
    dist = {r: w[r]}
    heap = [(w[r], r)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, 1 << 62) or d >= T:
            continue
        for v in piece.nbrs[u]:
            if v > r and v in allowed:
                nd = d + w[v]
                if nd < dist.get(v, 1 << 62):
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
    return sorted(dist)


def cluster_candidates(piece: Piece, cluster: list[int], limit: int) -> list[list[int]]:
    """All candidate groups of one cluster (lists of piece-local units)."""
    allowed = set(cluster)
    out: list[list[int]] = []
    for r in sorted(cluster):
        ball = _ball(piece, r, allowed)
        loc = {u: i for i, u in enumerate(ball)}
        nb_mask = []
        for u in ball:
            m = 0
            for v in piece.nbrs[u]:
                j = loc.get(v)
                if j is not None:
                    m |= 1 << j
            nb_mask.append(m)
        fmask = None
        if piece.forbid:
            fmask = []
            for u in ball:
                m = 0
                for v in piece.forbid.get(u, ()):
                    j = loc.get(v)
                    if j is not None:
                        m |= 1 << j
                fmask.append(m)
        # the root is local 0 (lowest index), so enumerating from root 0 only is enough
        by_min = enumerate_candidates(len(ball), [piece.w[u] for u in ball], nb_mask, piece.threshold,
                                      piece.max_size, fmask, limit - len(out), roots=1)
        for m, _tot in by_min[0]:
            out.append([ball[i] for i in mask_members(m)])
        if len(out) > limit:
            raise SearchLimit("too many candidates")
    return out


def improve_pieces(specs: list[PieceSpec], results: list[PieceResult], todo: list[int], deadline: float,
                   params: SolverParams, seed: int) -> tuple[list[PieceResult], list[str]]:
    """Run CP-SAT on the pieces in `todo` (largest gap first) until the deadline."""
    from ortools.sat.python import cp_model

    notes: list[str] = []
    out = list(results)
    order = sorted(todo, key=lambda k: -(results[k].upper_bound - results[k].p))
    for k in order:
        remaining = deadline - time.time()
        if remaining <= 0.05:
            notes.append("CP-SAT: hết thời gian trước khi xét hết các cụm")
            break
        piece = specs[k].piece
        res = results[k]
        w, T = piece.w, piece.threshold
        n = len(w)
        big = [x >= T for x in w]
        smalls = [u for u in range(n) if not big[u]]
        clusters = [c for c in _components(smalls, piece.nbrs, [not b for b in big])
                    if sum(w[u] for u in c) >= T]
        try:
            cands: list[list[int]] = []
            for cl in clusters:
                cands.extend(cluster_candidates(piece, cl, CANDIDATE_LIMIT - len(cands)))
        except SearchLimit:
            notes.append(f"CP-SAT: bỏ qua một cụm {n} đơn vị (quá nhiều nhóm ứng viên)")
            continue
        keys = {tuple(sorted(c)): i for i, c in enumerate(cands)}
        hint: set[int] = set()
        for reg in res.regions:
            key = tuple(sorted(reg))
            if key not in keys:
                keys[key] = len(cands)
                cands.append(list(key))
            hint.add(keys[key])
        model = cp_model.CpModel()
        x = [model.new_bool_var(f"c{i}") for i in range(len(cands))]
        cover: dict[int, list[int]] = {}
        for i, c in enumerate(cands):
            for u in c:
                cover.setdefault(u, []).append(i)
        for lst in cover.values():
            if len(lst) > 1:
                model.add_at_most_one(x[i] for i in lst)
        model.maximize(sum(x))
        bound_heur = sum(cluster_bound(cl, w, piece.nbrs, T) for cl in clusters)
        model.add(sum(x) <= bound_heur)
        for i in range(len(cands)):
            model.add_hint(x[i], i in hint)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(remaining, 0.05)
        solver.parameters.num_workers = 2
        solver.parameters.random_seed = seed
        status = solver.solve(model)
        nbig = sum(big)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = [cands[i] for i in range(len(cands)) if solver.value(x[i])]
            ub_piece = nbig + int(solver.best_objective_bound + 1e-6)
            if status == cp_model.OPTIMAL:
                ub_piece = nbig + len(chosen)
            ub_piece = min(ub_piece, res.upper_bound)
            regions = chosen if len(chosen) > len(res.regions) else res.regions
            out[k] = solve_piece(piece, specs[k].seed, params, fixed=(regions, ub_piece))
            if status == cp_model.OPTIMAL:
                out[k].proven = out[k].p >= ub_piece
        else:
            notes.append(f"CP-SAT: không tìm được lời giải cho một cụm {n} đơn vị trong thời gian cho phép")
    return out, notes
