"""Solve one independent piece of a planning problem (one parent's connected component).

Everything here is plain Python on lists: pieces are small (a ward) or, when large, walked unit by unit,
where Python lists beat numpy element access. The steps, for a piece whose total reaches the threshold:

1. units at or above the threshold ("big") stay alone: merging them never raises p;
2. the remaining "small" units fall into clusters (connected components among small units); a group
   reaching the threshold without a big unit lies inside one cluster, so p = #big + sum over clusters
   of the largest number of disjoint connected subsets reaching the threshold (a *packing*);
3. small clusters are packed exactly (packing.py); large ones are packed by region growing, trimming
   and a local search that re-packs small areas exactly (large-neighbourhood search);
4. units left out of the packing join a neighbouring group (small groups first, then as few big units
   as possible), then boundary moves make groups compact and honour `prefer` pairs.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tinhgon.planner.packing import SearchLimit, enumerate_candidates, mask_members, pack, reaches


@dataclass
class SolverParams:
    """Knobs of the heuristic; the defaults aim at strong plans within seconds."""

    exact_units: int = 20        # clusters up to this many units are packed exactly
    area_units: int = 16         # size of the areas re-packed exactly by the local search
    restarts: int = 4            # constructions tried before the local search (best kept)
    start_units: int = 1500      # independent starts per large cluster: start_units // cluster size
    max_starts: int = 20
    max_passes: int = 10         # local-search passes over the left-out units
    stall_passes: int = 3        # stop after this many passes without a new group
    corridors: int = 3           # augmenting areas tried from each left-out unit
    corridor_units: int = 20     # largest augmenting area
    drift: bool = True           # accept equal re-packings (moves left-out units around)
    polish_passes: int = 2       # compactness passes (boundary moves)
    candidate_limit: int = 60_000
    state_limit: int = 200_000


@dataclass
class Piece:
    """One independent sub-problem with local indices 0..n-1."""

    w: list[int]
    nbrs: list[list[int]]
    threshold: int
    max_size: int | None = None
    forbid: dict[int, set[int]] = field(default_factory=dict)
    prefer: dict[int, set[int]] = field(default_factory=dict)
    xy: list[tuple[float, float]] | None = None


@dataclass
class PieceResult:
    """Groups of a piece: labels[i] is a local group id; p counts groups reaching the threshold."""

    labels: list[int]
    p: int
    upper_bound: int
    proven: bool
    below_threshold: bool   # the whole piece cannot reach the threshold
    stranded: int           # groups below the threshold that no neighbour can take
    touched_big: int        # big units that had to take small neighbours
    timed_out: bool = False
    regions: list[list[int]] = field(default_factory=list)  # the packing (groups of small units)


def _components(nodes: list[int], nbrs: list[list[int]], allowed: list[bool]) -> list[list[int]]:
    seen: set[int] = set()
    comps = []
    for s in nodes:
        if s in seen:
            continue
        seen.add(s)
        comp = [s]
        dq = [s]
        while dq:
            u = dq.pop()
            for v in nbrs[u]:
                if allowed[v] and v not in seen:
                    seen.add(v)
                    comp.append(v)
                    dq.append(v)
        comps.append(comp)
    return comps


def min_group_total(u: int, w: list[int], nbrs: list[list[int]], inside: set[int], threshold: int,
                    budget: int = 4000) -> int:
    """Smallest total of a connected group inside `inside` that contains u and reaches the threshold,
    or the threshold itself (a safe lower bound) when the search needs more than `budget` steps."""
    got = min_group_cost(u, w, w, nbrs, inside, threshold, budget)
    return threshold if got is None else int(got)


def min_group_cost(u: int, w: list[int], cost: Sequence[float] | Mapping[int, float], nbrs: list[list[int]],
                   inside: set[int], threshold: int, budget: int = 4000) -> float | None:
    """Smallest total COST of a connected group inside `inside` that holds u and reaches the threshold,
    or None when the search needs more than `budget` steps: branch and bound over the connected sets
    containing u (ESU rooted at u).

    Only a local ball can matter, the units reachable from u through paths whose weight before the last
    unit is below the threshold: any other unit can be dropped from a group without raising its cost
    (costs are >= 0)."""
    T = threshold
    dist = {u: w[u]}
    heap = [(w[u], u)]
    while heap:
        d, x = heapq.heappop(heap)
        if d > dist[x] or d >= T:
            continue
        for v in nbrs[x]:
            if v in inside:
                nd = d + w[v]
                if nd < dist.get(v, 1 << 62):
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
    ball = sorted(dist, key=lambda x: (x != u, x))
    loc = {x: i for i, x in enumerate(ball)}
    lw = [w[x] for x in ball]
    lc = [cost[x] for x in ball]
    nb = []
    for x in ball:
        m = 0
        for v in nbrs[x]:
            j = loc.get(v)
            if j is not None:
                m |= 1 << j
        nb.append(m)
    best = float("inf")
    steps = 0
    stack = [(lw[0], lc[0], nb[0] & ~1, nb[0] | 1)]
    while stack:
        s, c, ext, closed = stack.pop()
        while ext:
            steps += 1
            if steps > budget:
                return None
            vb = ext & -ext
            ext ^= vb
            v = vb.bit_length() - 1
            c2 = c + lc[v]
            if c2 >= best:
                continue
            s2 = s + lw[v]
            if s2 >= T:
                best = c2
                continue
            stack.append((s2, c2, ext | (nb[v] & ~closed), closed | nb[v]))
    return best if best < float("inf") else None


def dual_bound(units: list[int], w: list[int], nbrs: list[list[int]], threshold: int) -> int:
    """p <= sum of y over units, for any y >= 0 under which every group reaching the threshold costs at
    least 1 (the dual of the packing LP: each group of a packing takes at least 1 of the sum).

    Start from y = w / m, m = smallest total of a group holding u that reaches the threshold: a group R
    costs sum(w / m) >= sum(w / sum R) = 1, as sum R >= m for each member. That start is loose where
    every group holding u overshoots (costs more than 1): y[u] can drop by the excess and every group
    still costs at least 1. One pass over the units, largest y first."""
    inside = set(units)
    y: dict[int, float] = {}
    for u in units:
        y[u] = w[u] / min_group_total(u, w, nbrs, inside, threshold) if w[u] else 0.0
    for u in sorted(units, key=lambda x: (-y[x], x)):
        if y[u] <= 0.0:
            continue
        least = min_group_cost(u, w, y, nbrs, inside, threshold)
        if least is not None and least > 1.0:
            # a hair less than the excess, so rounding never takes a group below 1
            y[u] = max(0.0, y[u] - (least - 1.0) * (1.0 - 1e-9))
    return int(sum(y.values()) + 1e-7)


def cluster_bound(units: list[int], w: list[int], nbrs: list[list[int]], threshold: int) -> int:
    """Upper bound on the packing of one cluster: the smaller of leaf_bound and dual_bound."""
    return min(leaf_bound(units, w, nbrs, threshold), dual_bound(units, w, nbrs, threshold))


def leaf_bound(units: list[int], w: list[int], nbrs: list[list[int]], threshold: int) -> int:
    """Upper bound on the packing of one cluster of small units (all below the threshold).

    floor(total / threshold), refined: a unit with a single neighbour can only be in a group with that
    neighbour, so it is merged into it (this cannot lower the best packing); a merged node reaching the
    threshold counts one group and is removed, which may split the cluster; repeat to a fixed point.
    """
    inside = set(units)
    adj: dict[int, set[int]] = {u: {v for v in nbrs[u] if v in inside} for u in units}
    wt = {u: w[u] for u in units}
    count = 0
    leaves = [u for u in units if len(adj[u]) <= 1]
    while leaves:
        u = leaves.pop()
        if u not in adj or len(adj[u]) != 1:
            continue
        (v,) = adj[u]
        adj[v].discard(u)
        del adj[u]
        wt[v] += wt.pop(u)
        if wt[v] >= threshold:
            count += 1
            for x in adj.pop(v):
                adj[x].discard(v)
                if len(adj[x]) <= 1:
                    leaves.append(x)
            del wt[v]
        elif len(adj[v]) <= 1:
            leaves.append(v)
    seen: set[int] = set()
    for s in adj:
        if s in seen:
            continue
        seen.add(s)
        tot = 0
        stack = [s]
        while stack:
            u = stack.pop()
            tot += wt[u]
            for x in adj[u]:
                if x not in seen:
                    seen.add(x)
                    stack.append(x)
        count += tot // threshold
    return count


class _Packer:
    """Packing of one large cluster: region growing, trimming, then exact re-packing of small areas."""

    def __init__(self, piece: Piece, units: list[int], rng: random.Random, params: SolverParams,
                 deadline: float) -> None:
        self.piece = piece
        self.units = units
        self.rng = rng
        self.params = params
        self.deadline = deadline
        self.w = piece.w
        self.T = piece.threshold
        self.M = piece.max_size
        n = len(piece.w)
        self.in_cluster = [False] * n
        for u in units:
            self.in_cluster[u] = True
        self.cnbrs = {u: [v for v in piece.nbrs[u] if self.in_cluster[v]] for u in units}
        self.reg: dict[int, int] = dict.fromkeys(units, -1)   # -1: left out of the packing
        self.members: dict[int, list[int]] = {}
        self.rsum: dict[int, int] = {}
        self.next_id = 0
        self.timed_out = False
        # most areas of a pass were already re-packed in an earlier one: their best count depends on
        # the set of units only, so a repeat that cannot gain is skipped without running the DP
        self.best_count: dict[frozenset[int], int] = {}

    # -- helpers ---------------------------------------------------------------------------
    def _forbidden(self, u: int, group: list[int] | set[int]) -> bool:
        fb = self.piece.forbid.get(u)
        if not fb:
            return False
        return any(x in fb for x in group)

    def _new_region(self, members: list[int]) -> None:
        rid = self.next_id
        self.next_id += 1
        self.members[rid] = members
        self.rsum[rid] = sum(self.w[u] for u in members)
        for u in members:
            self.reg[u] = rid

    def _drop_region(self, rid: int) -> None:
        for u in self.members.pop(rid):
            self.reg[u] = -1
        del self.rsum[rid]

    # -- construction -----------------------------------------------------------------------
    def reset(self) -> None:
        self.reg = dict.fromkeys(self.units, -1)
        self.members = {}
        self.rsum = {}

    def construct(self, noise: float = 0.0, lookahead: bool = False) -> None:
        """Grow regions one at a time from the free unit with the fewest free neighbours.

        A region takes the neighbour that completes it with the least overshoot, or, while no
        neighbour completes it, the one after which the best completion overshoots least (one step of
        look-ahead): households spent above the threshold are what limits p. `noise` perturbs the
        choices for restarts.
        """
        self.reset()
        w, T, M = self.w, self.T, self.M
        reg = self.reg
        cn = self.cnbrs
        rng = self.rng
        free_deg = {u: len(cn[u]) for u in self.units}
        dead: set[int] = set()
        heap = [(free_deg[u], rng.random(), u) for u in self.units]
        heapq.heapify(heap)
        forbid = self.piece.forbid
        scale = noise * T

        def take(u: int) -> None:
            for v in cn[u]:
                if reg[v] == -1 and v not in dead:
                    free_deg[v] -= 1
                    heapq.heappush(heap, (free_deg[v], rng.random(), v))

        while heap:
            fd, _, s = heapq.heappop(heap)
            if reg[s] != -1 or s in dead or fd != free_deg[s]:
                continue
            members = [s]
            inreg = {s}
            total = w[s]
            frontier: set[int] = {v for v in cn[s] if reg[v] == -1 and v not in dead}
            ok = True
            while total < T:
                best = None
                best_key: tuple[float, float, float] | None = None
                for v in frontier:
                    wv = w[v]
                    t2 = total + wv
                    if M is not None and t2 > M:
                        continue
                    if forbid and self._forbidden(v, inreg):
                        continue
                    if t2 >= T:
                        over = t2 - T
                        key = (over + (rng.random() * scale if scale else 0.0), 0.0, float(free_deg[v]))
                    elif not lookahead:
                        # fill the gap fast, prefer units with few other options
                        key = (float(T), -wv + 0.06 * free_deg[v] * T + (rng.random() * scale if scale else 0.0),
                               0.0)
                    else:
                        # look one step ahead: the best completion once v is in
                        over2 = None
                        for x in frontier:
                            if x != v and t2 + w[x] >= T and (over2 is None or t2 + w[x] - T < over2):
                                over2 = t2 + w[x] - T
                        for x in cn[v]:
                            if (reg[x] == -1 and x not in dead and x not in inreg and x not in frontier
                                    and t2 + w[x] >= T and (over2 is None or t2 + w[x] - T < over2)):
                                over2 = t2 + w[x] - T
                        if over2 is None:
                            key = (float(T), float(T - t2), float(free_deg[v]))
                        else:
                            key = (over2 + (rng.random() * scale if scale else 0.0), 1.0, float(free_deg[v]))
                    if best_key is None or key < best_key:
                        best_key, best = key, v
                if best is None:
                    ok = False
                    break
                frontier.discard(best)
                members.append(best)
                inreg.add(best)
                total += w[best]
                for x in cn[best]:
                    if reg[x] == -1 and x not in dead and x not in inreg:
                        frontier.add(x)
            if ok:
                self._new_region(members)
                for u in members:
                    take(u)
            else:
                # the free area reachable from s cannot reach the threshold (or constraints block it)
                for u in members:
                    dead.add(u)
                    take(u)

    def snapshot(self) -> tuple[dict[int, int], dict[int, list[int]], dict[int, int]]:
        return dict(self.reg), {k: list(v) for k, v in self.members.items()}, dict(self.rsum)

    def restore(self, snap: tuple[dict[int, int], dict[int, list[int]], dict[int, int]]) -> None:
        self.reg, self.members, self.rsum = snap

    def best_construction(self, restarts: int, bound: int) -> None:
        """Several constructions (the first without noise); keep the one with most regions, then the
        most households left over (more room for the local search)."""
        best = None
        best_key = None
        for k in range(max(restarts, 1)):
            self.construct(0.0 if k < 2 else 0.15, lookahead=k % 2 == 1)
            self.trim()
            key = (len(self.members), -sum(self.rsum.values()))
            if best_key is None or key > best_key:
                best_key, best = key, self.snapshot()
            if len(self.members) >= bound or time.monotonic() > self.deadline:
                break
        assert best is not None
        self.restore(best)

    # -- trimming ---------------------------------------------------------------------------
    def _connected_without(self, members: list[int], drop: int) -> bool:
        rest = [u for u in members if u != drop]
        if not rest:
            return False
        allowed = set(rest)
        seen = {rest[0]}
        stack = [rest[0]]
        while stack:
            u = stack.pop()
            for v in self.cnbrs[u]:
                if v in allowed and v not in seen:
                    seen.add(v)
                    stack.append(v)
        return len(seen) == len(rest)

    def trim(self) -> None:
        """Make every region minimal: units not needed to reach the threshold go back to the pool."""
        w, T = self.w, self.T
        for rid in list(self.members):
            members = self.members[rid]
            changed = True
            while changed and len(members) > 1:
                changed = False
                slack = self.rsum[rid] - T
                for u in sorted(members, key=lambda x: -w[x]):
                    if w[u] <= slack and self._connected_without(members, u):
                        members.remove(u)
                        self.reg[u] = -1
                        self.rsum[rid] -= w[u]
                        changed = True
                        break

    # -- local search -----------------------------------------------------------------------
    def _area(self, start: int, cap: int) -> tuple[list[int], list[int]]:
        """Units around `start`, whole regions only, at most `cap` units (BFS by hops)."""
        area: list[int] = [start]
        inarea = {start}
        regions: list[int] = []
        seen_reg: set[int] = set()
        dq = deque([start])
        while dq and len(area) < cap:
            u = dq.popleft()
            nb = self.cnbrs[u]
            for v in nb:
                if v in inarea:
                    continue
                r = self.reg[v]
                if r == -1:
                    if len(area) >= cap:
                        break
                    area.append(v)
                    inarea.add(v)
                    dq.append(v)
                elif r not in seen_reg:
                    mem = self.members[r]
                    seen_reg.add(r)
                    if len(area) + len(mem) > cap:
                        continue
                    regions.append(r)
                    for x in mem:
                        area.append(x)
                        inarea.add(x)
                        dq.append(x)
        return area, regions

    def _repack(self, area: list[int], regions: list[int], plateau: bool) -> int:
        """Re-pack `area` exactly; apply when it holds more groups (or as many, for plateau moves)."""
        w, T = self.w, self.T
        k = len(regions)
        total = sum(w[u] for u in area)
        if total < (k + 1) * T and not plateau:
            return 0
        key = frozenset(area)
        known = self.best_count.get(key)
        if known is not None and (known < k or (known == k and not plateau)):
            return 0
        loc = {u: i for i, u in enumerate(area)}
        n = len(area)
        nb_mask = [0] * n
        for i, u in enumerate(area):
            m = 0
            for v in self.cnbrs[u]:
                j = loc.get(v)
                if j is not None:
                    m |= 1 << j
            nb_mask[i] = m
        fmask = None
        if self.piece.forbid:
            fmask = [0] * n
            for i, u in enumerate(area):
                for v in self.piece.forbid.get(u, ()):
                    j = loc.get(v)
                    if j is not None:
                        fmask[i] |= 1 << j
        lw = [w[u] for u in area]
        try:
            by_min = enumerate_candidates(n, lw, nb_mask, T, self.M, fmask, self.params.candidate_limit)
            if not plateau and not reaches(n, lw, by_min, T, k + 1, self.params.state_limit):
                self.best_count[key] = k  # the k regions already here are a best packing
                return 0
            cnt, chosen = pack(n, lw, by_min, T, self.rng, self.params.state_limit)
        except SearchLimit:
            self.best_count[key] = -1
            return 0
        self.best_count[key] = cnt
        old_sum = sum(self.rsum[r] for r in regions)
        new_sum = sum(sum(lw[i] for i in mask_members(m)) for m in chosen)
        if cnt < k or (cnt == k and (not plateau or new_sum > old_sum or (new_sum == old_sum and self.params.drift))):
            return 0
        for r in regions:
            self._drop_region(r)
        for m in chosen:
            self._new_region([area[i] for i in mask_members(m)])
        return cnt - k

    def _corridors(self, start: int, count: int, cap: int) -> list[tuple[list[int], list[int]]]:
        """Areas joining the left-out pocket of `start` to the nearest other pockets through the
        regions in between (an augmenting path: households left out at both ends plus the overshoot
        of the regions on the way may add up to one more group)."""
        reg = self.reg
        cn = self.cnbrs
        pocket = [start]
        inpocket = {start}
        stack = [start]
        while stack:
            u = stack.pop()
            for v in cn[u]:
                if reg[v] == -1 and v not in inpocket:
                    inpocket.add(v)
                    pocket.append(v)
                    stack.append(v)
        if len(pocket) >= cap:
            return []
        parent: dict[int, int] = dict.fromkeys(pocket, -1)
        dq = deque(pocket)
        found: list[int] = []
        while dq and len(found) < count:
            u = dq.popleft()
            for v in cn[u]:
                if v in parent:
                    continue
                parent[v] = u
                if reg[v] == -1:
                    found.append(v)
                    if len(found) >= count:
                        break
                    continue  # do not walk through other pockets
                dq.append(v)
            if len(parent) > 40 * cap:
                break
        out = []
        for end in found:
            regions: list[int] = []
            x = parent[end]
            while x != -1 and x not in inpocket:
                r = reg[x]
                if r != -1 and r not in regions:
                    regions.append(r)
                x = parent[x]
            other = [end]
            seen = {end}
            st = [end]
            while st:
                u = st.pop()
                for v in cn[u]:
                    if reg[v] == -1 and v not in seen:
                        seen.add(v)
                        other.append(v)
                        st.append(v)
            area = pocket + other
            for r in regions:
                area.extend(self.members[r])
            if len(area) <= cap:
                out.append((area, regions))
        return out

    def local_search(self, bound: int) -> None:
        params = self.params
        stall = 0
        for _pass in range(params.max_passes):
            if len(self.members) >= bound:
                return
            gained = 0
            left = [u for u in self.units if self.reg[u] == -1]
            self.rng.shuffle(left)
            for i, u in enumerate(left):
                if self.reg[u] != -1:
                    continue
                if (i & 31) == 0 and time.monotonic() > self.deadline:
                    self.timed_out = True
                    return
                area, regions = self._area(u, params.area_units)
                g = self._repack(area, regions, plateau=stall > 0)
                if not g and params.corridors and self.reg[u] == -1:
                    for area, regions in self._corridors(u, params.corridors, params.corridor_units):
                        g = self._repack(area, regions, plateau=False)
                        if g:
                            break
                gained += g
                if len(self.members) >= bound:
                    return
            if gained == 0:
                stall += 1
                if stall >= params.stall_passes:
                    return
            else:
                stall = 0

    def regions(self) -> list[list[int]]:
        return list(self.members.values())


def _pack_exact(piece: Piece, units: list[int], params: SolverParams, rng: random.Random
                ) -> list[list[int]] | None:
    """Exact packing of a small cluster, or None when it exceeds the search budget."""
    loc = {u: i for i, u in enumerate(units)}
    n = len(units)
    nb_mask = [0] * n
    for i, u in enumerate(units):
        for v in piece.nbrs[u]:
            j = loc.get(v)
            if j is not None:
                nb_mask[i] |= 1 << j
    fmask = None
    if piece.forbid:
        fmask = [0] * n
        for i, u in enumerate(units):
            for v in piece.forbid.get(u, ()):
                j = loc.get(v)
                if j is not None:
                    fmask[i] |= 1 << j
    lw = [piece.w[u] for u in units]
    try:
        by_min = enumerate_candidates(n, lw, nb_mask, piece.threshold, piece.max_size, fmask,
                                      params.candidate_limit)
        _, chosen = pack(n, lw, by_min, piece.threshold, None, params.state_limit * 4)
    except SearchLimit:
        return None
    return [[units[i] for i in mask_members(m)] for m in chosen]


class _Assembler:
    """Turns the packing into a full partition: left-out units join groups, then compactness moves."""

    def __init__(self, piece: Piece) -> None:
        self.piece = piece
        n = len(piece.w)
        self.label = [-1] * n
        self.gmembers: dict[int, list[int]] = {}
        self.gsum: dict[int, int] = {}
        self.has_big: dict[int, bool] = {}
        self.next = 0

    def add_group(self, members: list[int], big: bool) -> int:
        g = self.next
        self.next += 1
        self.gmembers[g] = list(members)
        self.gsum[g] = sum(self.piece.w[u] for u in members)
        self.has_big[g] = big
        for u in members:
            self.label[u] = g
        return g

    def can_join(self, u: int, g: int) -> bool:
        p = self.piece
        if p.max_size is not None and self.gsum[g] + p.w[u] > p.max_size:
            return False
        fb = p.forbid.get(u)
        return not (fb and any(self.label[x] == g for x in fb))

    def join(self, u: int, g: int) -> None:
        self.label[u] = g
        self.gmembers[g].append(u)
        self.gsum[g] += self.piece.w[u]

    def _centroid(self, g: int) -> tuple[float, float]:
        xy = self.piece.xy
        assert xy is not None
        mem = self.gmembers[g]
        return (sum(xy[u][0] for u in mem) / len(mem), sum(xy[u][1] for u in mem) / len(mem))

    def _score(self, u: int, g: int) -> float:
        """Lower is better: distance to the group's centre, minus a bonus for prefer partners."""
        s = 0.0
        xy = self.piece.xy
        if xy is not None:
            cx, cy = self._centroid(g)
            s = (xy[u][0] - cx) ** 2 + (xy[u][1] - cy) ** 2
        pf = self.piece.prefer.get(u)
        if pf:
            s -= 1e12 * sum(1 for x in pf if self.label[x] == g)
        return s

    def grow(self, left: set[int], sources: set[int] | None) -> None:
        """Multi-source growth: repeatedly hand each left-out unit to the best adjacent group."""
        nbrs = self.piece.nbrs
        changed = True
        while changed and left:
            changed = False
            for u in sorted(left):
                best = None
                best_s = 0.0
                for v in nbrs[u]:
                    g = self.label[v]
                    if g < 0 or (sources is not None and g not in sources):
                        continue
                    if not self.can_join(u, g):
                        continue
                    s = self._score(u, g)
                    if best is None or s < best_s:
                        best, best_s = g, s
                if best is not None:
                    self.join(u, best)
                    left.discard(u)
                    changed = True

    def cover_with_big(self, left: set[int]) -> None:
        """Pieces only next to big units: hand them to as few big units as possible (greedy cover)."""
        nbrs = self.piece.nbrs
        lab = self.label
        pieces = _components(sorted(left), nbrs, [u in left for u in range(len(lab))])
        touches: list[set[int]] = []
        for pc in pieces:
            gs = {lab[v] for u in pc for v in nbrs[u] if lab[v] >= 0 and self.has_big[lab[v]]}
            touches.append(gs)
        todo = set(range(len(pieces)))
        touched = {g for g in self.gmembers if self.has_big[g] and len(self.gmembers[g]) > 1}
        while todo:
            count: dict[int, int] = {}
            for i in todo:
                for g in touches[i]:
                    count[g] = count.get(g, 0) + 1
            if not count:
                break
            g = max(count, key=lambda x: (x in touched, count[x], -x))
            touched.add(g)
            for i in sorted(todo):
                if g in touches[i]:
                    todo.discard(i)
                    rest = set(pieces[i])
                    self.grow(rest, {g})
                    left -= set(pieces[i]) - rest

    def polish(self, passes: int) -> None:
        """Boundary moves between groups that keep both at or above the threshold.

        A move is made when it frees a big unit of its small companions, or makes the groups more
        compact / honours a prefer pair. p never changes.
        """
        piece = self.piece
        if piece.xy is None and not piece.prefer:
            passes = min(passes, 1)
        T = piece.threshold
        w = piece.w
        nbrs = piece.nbrs
        for _ in range(passes):
            moved = 0
            for u in range(len(w)):
                a = self.label[u]
                if a < 0 or len(self.gmembers[a]) == 1:
                    continue
                big_a = self.has_big[a]
                if big_a and w[u] >= T:
                    continue  # the big unit itself stays
                if self.gsum[a] - w[u] < T and self.gsum[a] >= T:
                    continue
                if self.gsum[a] < T:
                    continue  # groups below the threshold are whole pieces; leave them
                cands = {self.label[v] for v in nbrs[u]} - {a, -1}
                if not cands:
                    continue
                cur = self._score_without(u, a)
                best = None
                best_gain = 0.0
                for b in sorted(cands):
                    if self.has_big[b] and (not big_a or len(self.gmembers[b]) == 1):
                        continue  # never touch another big unit to gain compactness
                    if self.gsum[b] < T or not self.can_join(u, b):
                        continue
                    gain = cur - self._score(u, b)
                    if big_a and not self.has_big[b]:
                        gain += 1e18  # freeing a big unit comes first
                    if gain > best_gain + 1e-12:
                        best, best_gain = b, gain
                if best is None:
                    continue
                if not self._removable(u, a):
                    continue
                self.gmembers[a].remove(u)
                self.gsum[a] -= w[u]
                self.join(u, best)
                moved += 1
            if not moved:
                return

    def merge_below(self) -> int:
        """Merge every group still below the threshold into a neighbouring group that can take it
        whole; returns how many groups stay below (stranded)."""
        piece = self.piece
        T = piece.threshold
        stranded = 0
        for g in sorted(self.gmembers):
            if g not in self.gmembers or self.gsum[g] >= T:
                continue
            mem = self.gmembers[g]
            target = None
            for u in mem:
                for v in piece.nbrs[u]:
                    h = self.label[v]
                    if h == g or h < 0:
                        continue
                    if piece.max_size is not None and self.gsum[h] + self.gsum[g] > piece.max_size:
                        continue
                    hm = set(self.gmembers[h])
                    if any(piece.forbid.get(x, set()) & hm for x in mem):
                        continue
                    target = h
                    break
                if target is not None:
                    break
            if target is None:
                stranded += 1
                continue
            for u in mem:
                self.join(u, target)
            self.has_big[target] = self.has_big[target] or self.has_big[g]
            del self.gmembers[g], self.gsum[g], self.has_big[g]
        return stranded

    def _score_without(self, u: int, g: int) -> float:
        s = 0.0
        xy = self.piece.xy
        mem = self.gmembers[g]
        if xy is not None and len(mem) > 1:
            k = len(mem) - 1
            cx = (sum(xy[x][0] for x in mem) - xy[u][0]) / k
            cy = (sum(xy[x][1] for x in mem) - xy[u][1]) / k
            s = (xy[u][0] - cx) ** 2 + (xy[u][1] - cy) ** 2
        pf = self.piece.prefer.get(u)
        if pf:
            s -= 1e12 * sum(1 for x in pf if self.label[x] == g and x != u)
        return s

    def _removable(self, u: int, g: int) -> bool:
        rest = [x for x in self.gmembers[g] if x != u]
        allowed = set(rest)
        seen = {rest[0]}
        stack = [rest[0]]
        nbrs = self.piece.nbrs
        while stack:
            x = stack.pop()
            for v in nbrs[x]:
                if v in allowed and v not in seen:
                    seen.add(v)
                    stack.append(v)
        return len(seen) == len(rest)


def _split_by_constraints(piece: Piece, units: list[int], asm: _Assembler) -> None:
    """Groups for units that cannot reach the threshold anyway: as few groups as constraints allow."""
    left = set(units)
    nbrs = piece.nbrs
    while left:
        s = min(left)
        left.discard(s)
        g = asm.add_group([s], False)
        dq = deque([s])
        while dq:
            u = dq.popleft()
            for v in nbrs[u]:
                if v in left and asm.can_join(v, g):
                    asm.join(v, g)
                    left.discard(v)
                    dq.append(v)


def solve_piece(piece: Piece, seed: int, params: SolverParams | None = None,
                deadline: float | None = None,
                fixed: tuple[list[list[int]], int] | None = None) -> PieceResult:
    """Plan one piece (connected, one parent, no locked unit). Deterministic for a given seed.

    `fixed` = (packing regions, upper bound) skips the packing step (used after CP-SAT).
    """
    params = params or SolverParams()
    deadline = deadline if deadline is not None else time.monotonic() + 3600.0
    w, T = piece.w, piece.threshold
    n = len(w)
    rng = random.Random(seed)
    asm = _Assembler(piece)
    total = sum(w)
    if total < T:
        # the whole piece cannot reach the threshold: it stays one group (split only by forbid pairs)
        _split_by_constraints(piece, list(range(n)), asm)
        stranded = len(asm.gmembers)
        return PieceResult(asm.label, 0, 0, True, True, stranded if stranded > 1 else 0, 0)
    big = [w[u] >= T for u in range(n)]
    small_ok = [not b for b in big]
    bigs = [u for u in range(n) if big[u]]
    for u in bigs:
        asm.add_group([u], True)
    smalls = [u for u in range(n) if not big[u]]
    clusters = _components(smalls, piece.nbrs, small_ok)
    ub = len(bigs)
    proven = True
    timed_out = False
    if fixed is not None:
        clusters = []
        for r in fixed[0]:
            asm.add_group(r, False)
        ub = max(fixed[1], len(bigs) + len(fixed[0]))
        proven = False
    for cl in clusters:
        ctot = sum(w[u] for u in cl)
        if ctot < T:
            continue
        regions: list[list[int]] | None = None
        if len(cl) <= params.exact_units:
            # a quick construction that reaches total // threshold is optimal; else search exactly
            quick = _Packer(piece, cl, rng, params, deadline)
            quick.construct()
            done = len(quick.members) >= ctot // T
            regions = quick.regions() if done else _pack_exact(piece, cl, params, rng)
            if regions is not None:
                ub += len(regions)
        if regions is None:
            cb = cluster_bound(cl, w, piece.nbrs, T)
            # independent starts (construction + local search); small clusters get more of them
            starts = max(1, min(params.max_starts, params.start_units // len(cl)))
            best_key = None
            for k in range(starts):
                packer = _Packer(piece, cl, random.Random(seed * 7919 + k), params, deadline)
                packer.best_construction(params.restarts, cb)
                if len(packer.members) < cb:
                    packer.local_search(cb)
                timed_out = timed_out or packer.timed_out
                key = (len(packer.members), -sum(packer.rsum.values()))
                if best_key is None or key > best_key:
                    best_key, regions = key, packer.regions()
                if key[0] >= cb or time.monotonic() > deadline:
                    break
            assert regions is not None
            ub += cb
            if len(regions) < cb:
                proven = False
        for r in regions:
            asm.add_group(r, False)
    p = len(asm.gmembers)
    packing = [list(asm.gmembers[g]) for g in asm.gmembers if not asm.has_big[g]]
    left = {u for u in range(n) if asm.label[u] < 0}
    if left:
        small_groups = {g for g in asm.gmembers if not asm.has_big[g]}
        asm.grow(left, small_groups)
    if left:
        asm.cover_with_big(left)
    if left:
        asm.grow(left, None)
    if left:
        _split_by_constraints(piece, sorted(left), asm)
    asm.polish(params.polish_passes)
    stranded = asm.merge_below()
    touched = sum(1 for g, m in asm.gmembers.items() if asm.has_big[g] and len(m) > 1)
    # left-out units that no region could take may still reach the threshold together
    p = sum(1 for g in asm.gmembers if asm.gsum[g] >= T)
    # relabel 0..k-1 in order of first member, so labels do not depend on construction order
    order: dict[int, int] = {}
    labels = []
    for u in range(n):
        g = asm.label[u]
        if g not in order:
            order[g] = len(order)
        labels.append(order[g])
    return PieceResult(labels, p, ub, proven and p >= ub, False, stranded, touched, timed_out, packing)


def piece_upper_bound(piece: Piece, exact_units: int | None = None, params: SolverParams | None = None) -> int:
    """Upper bound on p for one piece: #big + per cluster of small units its exact packing (small
    clusters) or the refined bound of cluster_bound (large ones)."""
    params = params or SolverParams()
    if exact_units is None:
        exact_units = params.exact_units
    w, T = piece.w, piece.threshold
    n = len(w)
    if sum(w) < T:
        return 0
    big = [x >= T for x in w]
    ub = sum(big)
    smalls = [u for u in range(n) if not big[u]]
    for cl in _components(smalls, piece.nbrs, [not b for b in big]):
        if sum(w[u] for u in cl) < T:
            continue
        regions = _pack_exact(piece, cl, params, random.Random(0)) if len(cl) <= exact_units else None
        ub += len(regions) if regions is not None else cluster_bound(cl, w, piece.nbrs, T)
    return ub
