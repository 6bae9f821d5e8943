"""Validity of a plan, exactly as FORMATS.md defines it, with one entry per violation.

Below-threshold groups are accepted only where reaching the threshold is impossible:
* a locked unit (always its own group);
* a piece (connected component inside one parent, after locked units and edges joining a forbid pair
  are taken out) whose total is below the threshold: it must stay one group, unless it holds a forbid
  pair, which then forces a split;
* a group no neighbouring group can take: every merge with an adjacent group of the same parent would
  join a forbid pair, exceed --max-size or swallow a locked unit ("stranded"; only possible with
  forbid pairs or --max-size).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinhgon.planner.core import piece_upper_bound
from tinhgon.planner.problem import PieceSpec, PlanningProblem, split_pieces

MAX_LISTED = 1000  # violations listed in full; counts are always complete


def _violation(kind: str, message: str, group: str | None = None, units: Sequence[str] = ()) -> dict[str, Any]:
    v: dict[str, Any] = {"kind": kind, "message": message}
    if group is not None:
        v["group"] = group
    if units:
        v["units"] = list(units[:10])
    return v


def upper_bound(problem: PlanningProblem, pieces: tuple[list[int], list[PieceSpec]] | None = None) -> int:
    """Upper bound on p: locked units at or above the threshold, plus the bound of every piece."""
    locked_units, specs = pieces if pieces is not None else split_pieces(problem)
    w = problem.households
    T = problem.threshold
    ub = sum(1 for u in locked_units if w[u] >= T)
    for spec in specs:
        ub += piece_upper_bound(spec.piece)
    return ub


def check_plan(problem: PlanningProblem, rows: Sequence[tuple[int, str, str]],
               ub: int | None = None) -> dict[str, Any]:
    """Check a plan given as (line, code, group) rows. Returns the report of `plan check`."""
    n = problem.n
    codes = problem.codes or [str(i) for i in range(n)]
    index = {c: i for i, c in enumerate(codes)}
    violations: list[dict[str, Any]] = []
    group_of: list[str | None] = [None] * n
    for line, code, group in rows:
        i = index.get(code)
        if i is None:
            violations.append(_violation("unknown_unit", f"dòng {line}: mã {code!r} không có trong danh sách "
                                         "đơn vị", group, [code]))
            continue
        if group_of[i] is not None:
            violations.append(_violation("duplicate_unit", f"dòng {line}: đơn vị {code} xuất hiện hơn một lần",
                                         group, [code]))
            continue
        if group == "":
            violations.append(_violation("missing_unit", f"dòng {line}: đơn vị {code} không có nhóm",
                                         None, [code]))
            continue
        group_of[i] = group
    missing = [codes[i] for i in range(n) if group_of[i] is None]
    if missing:
        violations.append(_violation("missing_unit", f"{len(missing)} đơn vị không có trong phương án "
                                     f"(ví dụ {missing[0]})", None, missing))
    pieces = split_pieces(problem)
    report = _check_groups(problem, group_of, codes, violations, pieces[1])
    report["upper_bound"] = upper_bound(problem, pieces) if ub is None else ub
    report["gap"] = max(report["upper_bound"] - report["p"], 0)
    return report


def check_labels(problem: PlanningProblem, labels: Sequence[int], ub: int | None = None) -> dict[str, Any]:
    """Check a plan given as one group label per unit (library use)."""
    codes = problem.codes or [str(i) for i in range(problem.n)]
    return check_plan(problem, [(i + 2, codes[i], str(g)) for i, g in enumerate(labels)], ub)


def _check_groups(problem: PlanningProblem, group_of: list[str | None], codes: list[str],
                  violations: list[dict[str, Any]], specs: list[PieceSpec]) -> dict[str, Any]:
    n = problem.n
    T = problem.threshold
    M = problem.max_size
    w = problem.households
    parents = problem.parents
    locked = problem.locked
    nbrs = problem.nbrs
    members: dict[str, list[int]] = {}
    for i, g in enumerate(group_of):
        if g is not None:
            members.setdefault(g, []).append(i)
    gsum = {g: sum(w[u] for u in m) for g, m in members.items()}
    bad_group: set[str] = set()

    for g, mem in members.items():
        names = [codes[u] for u in mem]
        if len({parents[u] for u in mem}) > 1:
            violations.append(_violation("crosses_parent", f"nhóm {g} gồm đơn vị của nhiều đơn vị cấp trên",
                                         g, names))
            bad_group.add(g)
        if len(mem) > 1 and any(locked[u] for u in mem):
            lk = [codes[u] for u in mem if locked[u]]
            violations.append(_violation("locked_not_alone", f"nhóm {g}: đơn vị khoá {lk[0]} không đứng riêng",
                                         g, lk))
            bad_group.add(g)
        if M is not None and gsum[g] > M and len(mem) > 1:
            violations.append(_violation("over_max_size", f"nhóm {g} có {gsum[g]} hộ, vượt mức tối đa {M}",
                                         g, names))
            bad_group.add(g)
        inside = set(mem)
        seen = {mem[0]}
        stack = [mem[0]]
        while stack:
            u = stack.pop()
            for v in nbrs[u]:
                if v in inside and v not in seen:
                    seen.add(v)
                    stack.append(v)
        if len(seen) != len(mem):
            violations.append(_violation("not_connected", f"nhóm {g} không liền kề (tách thành nhiều mảnh)",
                                         g, names))
            bad_group.add(g)
    for a, b in problem.forbid:
        ga, gb = group_of[a], group_of[b]
        if ga is not None and ga == gb:
            violations.append(_violation("forbid_pair", f"nhóm {ga} gộp cặp bị cấm {codes[a]}–{codes[b]}",
                                         ga, [codes[a], codes[b]]))
            bad_group.add(ga)

    # pieces: which below-threshold groups are allowed
    piece_of = [-1] * n
    piece_total: list[int] = []
    piece_forbid: list[bool] = []
    for k, spec in enumerate(specs):
        for u in spec.units:
            piece_of[u] = k
        piece_total.append(sum(spec.piece.w))
        piece_forbid.append(bool(spec.piece.forbid))
    groups_in_piece: dict[int, set[str]] = {}
    for g, mem in members.items():
        for u in mem:
            if piece_of[u] >= 0:
                groups_in_piece.setdefault(piece_of[u], set()).add(g)
    forbid_nb: dict[int, set[int]] = {}
    for a, b in problem.forbid:
        forbid_nb.setdefault(a, set()).add(b)
        forbid_nb.setdefault(b, set()).add(a)

    below = 0
    below_pieces = 0
    stranded = 0
    p = 0
    for g, mem in members.items():
        if gsum[g] >= T:
            p += 1
            continue
        below += 1
        if g in bad_group:
            continue
        if len(mem) == 1 and locked[mem[0]]:
            continue
        k = piece_of[mem[0]]
        if piece_total[k] < T:
            below_pieces += 1
            if len(groups_in_piece.get(k, ())) > 1 and not piece_forbid[k]:
                violations.append(_violation(
                    "below_threshold", f"nhóm {g} dưới ngưỡng {T}: cụm không thể đạt ngưỡng phải giữ "
                    "thành một nhóm", g, [codes[u] for u in mem]))
            continue
        if _mergeable(g, mem, members, gsum, group_of, nbrs, parents, locked, forbid_nb, M, w):
            violations.append(_violation(
                "below_threshold", f"nhóm {g} chỉ có {gsum[g]} hộ, dưới ngưỡng {T}, trong khi có thể đạt ngưỡng",
                g, [codes[u] for u in mem]))
        else:
            stranded += 1
    touched = sum(1 for mem in members.values() if len(mem) > 1 and any(w[u] >= T for u in mem))
    counts: dict[str, int] = {}
    for viol in violations:
        counts[viol["kind"]] = counts.get(viol["kind"], 0) + 1
    return {
        "valid": not violations,
        "p": p,
        "groups": len(members),
        "units": n,
        "households": int(sum(w)),
        "threshold": T,
        "max_size": M,
        "below_threshold_groups": below,
        "below_threshold_components": below_pieces,
        "stranded_groups": stranded,
        "touched_big_units": touched,
        "violation_counts": counts,
        "violations": violations[:MAX_LISTED],
    }


def _mergeable(g: str, mem: list[int], members: dict[str, list[int]], gsum: dict[str, int],
               group_of: list[str | None], nbrs: list[list[int]], parents: list[int], locked: list[bool],
               forbid_nb: dict[int, set[int]], M: int | None, w: list[int]) -> bool:
    """Could group g merge with an adjacent group of the same parent without breaking a rule?"""
    par = parents[mem[0]]
    seen: set[str] = set()
    for u in mem:
        for v in nbrs[u]:
            h = group_of[v]
            if h is None or h == g or h in seen or parents[v] != par:
                continue
            seen.add(h)
            hm = members[h]
            if any(locked[x] for x in hm):
                continue
            if M is not None and gsum[g] + gsum[h] > M:
                continue
            hs = set(hm)
            if any(forbid_nb.get(x, set()) & hs for x in mem):
                continue
            return True
    return False
