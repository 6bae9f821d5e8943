"""`tinhgon plan create`: plan the residential groups of every commune under a unit on a date, with
the standard the rule pack gives each group, and store the result as a named draft plan.

Modes: ``standard`` plans everything below the full household standard; ``must`` only removes the
groups below the must-merge line (50 % of the standard), so every group ends at or above that line;
``threshold`` uses one figure given by the user. Groups of one commune with different standards (thôn
and tổ dân phố side by side) are planned separately: a merged group never mixes standards.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import plans as plan_store
from tinhgon.registry import repo


@dataclass(slots=True)
class GroupInput:
    """One residential group as the planner sees it."""

    unit: Unit
    commune: Unit
    households: int
    threshold: int
    standard: int | None
    citation: str | None


def collect_groups(conn: Connection, scope: Unit, on: dt.date, mode: str, threshold: int | None,
                   book: Any | None = None) -> list[GroupInput]:
    """The residential groups under SCOPE on ON with the threshold each must reach."""
    if scope.level == Level.RESIDENTIAL_GROUP:
        raise BadInput("đơn vị được chọn là thôn, tổ dân phố; hãy chọn cấp xã trở lên", field="--unit")
    if scope.level == Level.COMMUNE:
        communes = [scope]
    else:
        communes = [u for u in repo.descendants(conn, scope.id, on) if u.level == Level.COMMUNE]
    groups = repo.units_at(conn, on, level=Level.RESIDENTIAL_GROUP, parent_ids=[c.id for c in communes])
    if not groups:
        raise BadInput(f"{scope.name} không có thôn, tổ dân phố nào vào ngày {on:%d/%m/%Y}", field="--unit")
    missing = [g for g in groups if g.households is None]
    if missing:
        counted = repo.household_counts_at(conn, on, [g.id for g in missing])
        for g in missing:
            g.households = counted.get(g.id, 0)
    commune_of = {c.id: c for c in communes}
    if mode == "threshold":
        if threshold is None or threshold <= 0:
            raise BadInput("ngưỡng số hộ phải là số nguyên dương", field="--threshold")
        return [GroupInput(g, commune_of[g.parent_id], int(g.households or 0), threshold, None, None)  # type: ignore[index]
                for g in groups]
    if book is None:
        from tinhgon.rules.book import RuleBook

        book = RuleBook.load_default()
    out = []
    for g in groups:
        commune = commune_of[g.parent_id]  # type: ignore[index]
        std = book.household_standard(g, on, commune=commune)
        if mode == "must":
            if std.must_merge_below is None:
                raise BadInput(f"không có quy định ngưỡng phải sáp nhập vào ngày {on:%d/%m/%Y}", field="--level")
            t = math.ceil(std.standard * float(std.must_merge_below) - 1e-9)
        else:
            t = std.standard
        out.append(GroupInput(g, commune, int(g.households or 0), t, std.standard, std.refs[0].cite()))
    return out


def create_plan(conn: Connection, *, scope_code: str, name: str, on: dt.date, mode: str = "standard",
                threshold: int | None = None, seed: int = 0, time_limit: float = 20.0,
                locked_codes: list[str] | None = None, pairs: list[tuple[str, str, str]] | None = None,
                replace: bool = False, created_by: str | None = None, book: Any | None = None,
                progress: Callable[[int], None] | None = None) -> Plan:
    """Solve and store a draft plan; returns it with its metrics."""
    from tinhgon.planner import MaxPLocalSearch, PlanningProblem

    if mode not in ("must", "standard", "threshold"):
        raise BadInput(f"mức không hợp lệ: {mode!r} (must | standard)", field="--level")
    if not name.strip():
        raise BadInput("tên phương án trống", field="--name")
    if plan_store.plan_exists(conn, name) and not replace:
        raise BadInput(f"đã có phương án tên {name!r}; chọn tên khác hoặc dùng --replace", field="--name")
    scope = repo.resolve_unit(conn, scope_code, on)
    items = collect_groups(conn, scope, on, mode, threshold, book)
    by_code = {gi.unit.code: k for k, gi in enumerate(items)}
    locked = [False] * len(items)
    for code in locked_codes or []:
        if code not in by_code:
            raise BadInput(f"mã {code!r} không phải thôn, tổ dân phố trong phạm vi", field="--lock")
        locked[by_code[code]] = True
    forbid: list[tuple[int, int]] = []
    prefer: list[tuple[int, int]] = []
    for a, b, rel in pairs or []:
        if a not in by_code or b not in by_code:
            raise BadInput(f"cặp {a}–{b}: mã không có trong phạm vi", field="--pairs")
        (forbid if rel == "forbid" else prefer).append((by_code[a], by_code[b]))

    # one sub-problem per threshold value; parents = (commune, threshold) so groups never cross either
    by_threshold: dict[int, list[int]] = defaultdict(list)
    for k, gi in enumerate(items):
        by_threshold[gi.threshold].append(k)
    adjacency = repo.adjacency_at(conn, on, [gi.unit.id for gi in items])
    index_of_unit = {gi.unit.id: k for k, gi in enumerate(items)}
    groups: list[PlanGroup] = []
    p_total = ub_total = 0
    notes: list[str] = []
    seconds = 0.0
    for t, members in sorted(by_threshold.items()):
        local = {k: i for i, k in enumerate(members)}
        edges = [(local[index_of_unit[a]], local[index_of_unit[b]]) for a, b in adjacency
                 if index_of_unit[a] in local and index_of_unit[b] in local]
        commune_ids = sorted({items[k].commune.id for k in members})
        parent_index = {cid: i for i, cid in enumerate(commune_ids)}
        problem = PlanningProblem.from_edges(
            [items[k].households for k in members], edges, threshold=t,
            parents=[parent_index[items[k].commune.id] for k in members],
            locked=[locked[k] for k in members],
            forbid=[(local[a], local[b]) for a, b in forbid if a in local and b in local],
            prefer=[(local[a], local[b]) for a, b in prefer if a in local and b in local],
            coords=[(items[k].unit.lat or 0.0, items[k].unit.lon or 0.0) for k in members],
            codes=[items[k].unit.code for k in members],
        )
        result = MaxPLocalSearch(seed=seed, time_limit=time_limit, workers=1,
                                 progress=progress).solve(problem)
        seconds += result.seconds
        p_total += result.p
        ub_total += result.upper_bound
        notes.extend(result.notes)
        labels = result.labels
        members_of: dict[int, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            members_of[lab].append(members[i])
        for lab in sorted(members_of, key=lambda x: min(items[k].unit.code for k in members_of[x])):
            ks = sorted(members_of[lab], key=lambda k: items[k].unit.code)
            commune = items[ks[0]].commune
            groups.append(PlanGroup(label="", parent_unit_id=commune.id, unit_ids=[items[k].unit.id for k in ks],
                                    threshold=t, households=sum(items[k].households for k in ks)))
    # stable, readable labels: commune code + running number
    counter: dict[int, int] = defaultdict(int)
    commune_code = {gi.commune.id: gi.commune.code for gi in items}
    for g in sorted(groups, key=lambda g: (commune_code[g.parent_unit_id], min(  # type: ignore[index]
            items[index_of_unit[u]].unit.code for u in g.unit_ids))):
        counter[g.parent_unit_id] += 1  # type: ignore[index]
        g.label = f"{commune_code[g.parent_unit_id]}-N{counter[g.parent_unit_id]:02d}"  # type: ignore[index]
    groups.sort(key=lambda g: g.label)

    below_before = sum(1 for gi in items if gi.households < gi.threshold)
    below_after = sum(1 for g in groups if g.threshold is not None and g.households < g.threshold)
    metrics: dict[str, Any] = {
        "units": len(items), "groups": len(groups), "mergers": sum(1 for g in groups if g.is_merger),
        "units_merged": sum(len(g.unit_ids) for g in groups if g.is_merger),
        "p": p_total, "upper_bound": ub_total, "gap": ub_total - p_total,
        "below_threshold_before": below_before, "below_threshold_after": below_after,
        "households": sum(gi.households for gi in items), "seconds": round(seconds, 3), "notes": notes,
        "thresholds": sorted(by_threshold), "citations": sorted({gi.citation for gi in items if gi.citation}),
    }
    plan = Plan(name=name, scope_unit_id=scope.id, at=on, groups=groups, mode=mode,
                threshold=threshold if mode == "threshold" else None,
                params={"seed": seed, "time_limit": time_limit, "locked": locked_codes or [],
                        "pairs": [list(p) for p in pairs or []]},
                metrics=metrics)
    plan_store.save_plan(conn, plan, replace=replace, created_by=created_by)
    return plan
