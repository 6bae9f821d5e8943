"""Exact max-p on small graphs: enumerate candidate groups, then pack them by dynamic programming.

Only the *count* of groups reaching the threshold matters for p, and any group reaching the threshold
contains an inclusion-minimal connected subset that still reaches it; the other members can be handed
to neighbours later. So the best p of a small graph is the largest number of disjoint connected
subsets reaching the threshold, which this module finds with bit masks (graphs up to ~24 units).
"""

from __future__ import annotations

import random
from collections.abc import Sequence


class SearchLimit(Exception):
    """Raised when the enumeration or the packing grows past the caller's budget."""


def enumerate_candidates(
    n: int,
    w: Sequence[int],
    nb_mask: Sequence[int],
    threshold: int,
    max_size: int | None,
    forbid_mask: Sequence[int] | None,
    limit: int = 200_000,
    roots: int | None = None,
) -> list[list[tuple[int, int]]]:
    """Connected subsets that reach the threshold while all their ESU prefixes do not.

    Returns, for each unit u, the list of (mask, total) of candidates whose lowest member is u. Every
    inclusion-minimal connected subset reaching the threshold is listed (ESU enumerates each connected
    subset once, by growing from its lowest member; a minimal subset has no prefix reaching the
    threshold, so its growth is never cut). Subsets holding a forbid pair or over max_size are left out.
    """
    by_min: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    count = 0
    for r in range(n if roots is None else min(roots, n)):
        wr = w[r]
        if max_size is not None and wr > max_size:
            continue
        bit_r = 1 << r
        if wr >= threshold:
            by_min[r].append((bit_r, wr))
            count += 1
            continue
        higher = ~((bit_r << 1) - 1)
        out = by_min[r]
        stack = [(bit_r, wr, nb_mask[r] & higher, nb_mask[r] | bit_r)]
        while stack:
            sub, s, ext, closed = stack.pop()
            while ext:
                vb = ext & -ext
                ext ^= vb
                v = vb.bit_length() - 1
                s2 = s + w[v]
                if max_size is not None and s2 > max_size:
                    continue
                if forbid_mask is not None and forbid_mask[v] & sub:
                    continue
                sub2 = sub | vb
                if s2 >= threshold:
                    out.append((sub2, s2))
                    count += 1
                    if count > limit:
                        raise SearchLimit("too many candidate groups")
                    continue
                nv = nb_mask[v]
                stack.append((sub2, s2, ext | (nv & ~closed & higher), closed | nv))
    return by_min


def pack(
    n: int,
    w: Sequence[int],
    by_min: list[list[tuple[int, int]]],
    threshold: int,
    rng: random.Random | None = None,
    state_limit: int = 400_000,
) -> tuple[int, list[int]]:
    """Largest number of disjoint candidates; among those, the smallest total (more households left).

    Dynamic programming over the set of decided units, always deciding the lowest undecided unit: it
    is either left out or the lowest member of one chosen candidate. `rng` shuffles candidate order so
    that ties are broken differently between calls (local search uses this to move on plateaus).
    """
    lists = by_min
    if rng is not None:
        lists = []
        for lst in by_min:
            lst2 = list(lst)
            rng.shuffle(lst2)
            lists.append(lst2)
    useful = 0
    for lst in lists:
        for m, _ in lst:
            useful |= m
    full = (1 << n) - 1
    start = full & ~useful  # units in no candidate are decided from the start
    memo: dict[int, tuple[int, int, int]] = {}
    # memo[used] = (count, -regsum, chosen candidate mask or 0 for "skip lowest")

    def best(used: int) -> tuple[int, int]:
        hit = memo.get(used)
        if hit is not None:
            return hit[0], hit[1]
        free = full & ~used
        if not free:
            return 0, 0
        u = (free & -free).bit_length() - 1
        ub = used | (1 << u)
        c0, s0 = best(ub)  # noqa: F821 (deleted once the search is over)
        choice = 0
        for m, tot in lists[u]:
            if m & used:
                continue
            c1, s1 = best(used | m)  # noqa: F821
            c1 += 1
            s1 -= tot
            if c1 > c0 or (c1 == c0 and s1 > s0):
                c0, s0, choice = c1, s1, m
        memo[used] = (c0, s0, choice)
        if len(memo) > state_limit:
            raise SearchLimit("packing state space too large")
        return c0, s0

    try:
        count, _ = best(start)
    except SearchLimit:
        del best
        raise
    chosen: list[int] = []
    used = start
    while used != full:
        entry = memo.get(used)
        if entry is None:
            break
        m = entry[2]
        if m:
            chosen.append(m)
            used |= m
        else:
            free = full & ~used
            used |= free & -free
    # `best` refers to itself: a reference cycle that would keep the memo and the candidate lists alive
    # until a garbage collection (and `plan solve` runs with the collector off). Break it now.
    del best
    return count, chosen


def reaches(
    n: int,
    w: Sequence[int],
    by_min: list[list[tuple[int, int]]],
    threshold: int,
    target: int,
    state_limit: int = 400_000,
) -> bool:
    """Whether `target` disjoint candidates exist: the decision version of `pack`, much cheaper.

    The local search mostly asks "does this area hold one group more than now?", and the answer is
    mostly no. A depth-first search answers it with a bound `pack` cannot use (every further group
    needs `threshold` households among the undecided units) and remembers failed states.
    """
    useful = 0
    for lst in by_min:
        for m, _ in lst:
            useful |= m
    full = (1 << n) - 1
    rem0 = sum(w[i] for i in range(n) if useful >> i & 1)
    failed: dict[int, int] = {}   # decided-units mask -> most groups already chosen when it failed

    def go(used: int, c: int, rem: int) -> bool:
        if c >= target:
            return True
        if c + rem // threshold < target:
            return False
        f = failed.get(used)
        if f is not None and c <= f:
            return False
        free = full & ~used
        u = (free & -free).bit_length() - 1
        for m, tot in by_min[u]:
            if not m & used and go(used | m, c + 1, rem - tot):  # noqa: F821 (deleted at the end)
                return True
        if go(used | (1 << u), c, rem - w[u]):  # noqa: F821
            return True
        failed[used] = c
        if len(failed) > state_limit:
            raise SearchLimit("packing state space too large")
        return False

    try:
        return go(full & ~useful, 0, rem0)
    finally:
        del go  # see the end of pack


def mask_members(mask: int) -> list[int]:
    """Indices of the set bits of mask, lowest first."""
    out = []
    while mask:
        b = mask & -mask
        out.append(b.bit_length() - 1)
        mask ^= b
    return out
