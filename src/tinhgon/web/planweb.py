"""The plan workspace: plans built by tinhgon.planner from registry data, hand moves with undo and redo,
pinned units, validity by ``tinhgon.planner.check_labels`` and side-by-side comparison."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from tinhgon.domain.plans import Plan, PlanGroup, PlanStatus
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import plans as plan_store
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import ConflictError
from tinhgon.web.jobs import Job
from tinhgon.web.tables import web_plan_lock, web_plan_step

DEFAULT_THRESHOLD = 450  # Hà Nội's standard for a tổ dân phố (seed article 000)


@dataclass
class Workspace:
    plan: Plan
    units: list[Unit]                 # the plan's units as of plan.at, in a fixed order
    labels: dict[int, str]            # unit id -> group label
    report: dict[str, Any]            # tinhgon.planner.check_labels report
    group_households: dict[str, int]
    group_units: dict[str, list[int]]
    locked: set[int]
    can_undo: bool
    can_redo: bool
    parent_names: dict[int, str]
    colours: dict[str, str]

    @property
    def ordered(self) -> list[tuple[str, list[Unit]]]:
        """Groups by label (numerically), each with its units by code."""
        by_id = {u.id: u for u in self.units}
        return [(lab, sorted((by_id[i] for i in ids), key=lambda u: u.code))
                for lab, ids in sorted(self.group_units.items(), key=lambda t: _label_key(t[0]))]


def groups_under(conn: Connection, unit: Unit, on: dt.date) -> list[Unit]:
    if unit.level == Level.RESIDENTIAL_GROUP:
        return [unit]
    return sorted((u for u in repo.descendants(conn, unit.id, on) if u.level == Level.RESIDENTIAL_GROUP),
                  key=lambda u: u.code)


def build_problem(conn: Connection, units: list[Unit], on: dt.date, threshold: int) -> Any:
    from tinhgon.planner import PlanningProblem

    index = {u.id: i for i, u in enumerate(units)}
    edges = [(index[a], index[b]) for a, b in repo.adjacency_at(conn, on, index)]
    parent_ids = sorted({u.parent_id or 0 for u in units})
    pidx = {p: i for i, p in enumerate(parent_ids)}
    coords = [(u.lat or 0.0, u.lon or 0.0) for u in units]
    return PlanningProblem.from_edges(
        [u.households or 0 for u in units], edges, threshold,
        parents=[pidx[u.parent_id or 0] for u in units],
        coords=coords, codes=[u.code for u in units])


def run_planner(engine: Engine, scope_unit_id: int, on: dt.date, threshold: int, name: str, username: str,
                job: Job) -> int:
    """Solve for the groups under SCOPE_UNIT_ID and store the result as a draft plan; returns its id."""
    from tinhgon.planner import MaxPLocalSearch

    with engine.connect() as conn:
        scope = repo.unit_at(conn, scope_unit_id, on)
        if scope is None:
            raise BadInput("đơn vị không có hiệu lực vào ngày đã chọn")
        units = groups_under(conn, scope, on)
        if not units:
            raise BadInput(f"{scope.name} không có thôn, tổ dân phố nào vào ngày {on:%d/%m/%Y}")
        problem = build_problem(conn, units, on, threshold)
    job.report(0.05, "Planning")
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        job.report(0.05 + 0.85 * done[0] / max(len(units), 1))

    result = MaxPLocalSearch(seed=0, time_limit=30.0, workers=1, progress=progress).solve(problem)
    job.report(0.92, "Saving the plan")
    groups: dict[int, PlanGroup] = {}
    for u, lab in zip(units, result.labels, strict=True):
        g = groups.setdefault(int(lab), PlanGroup(label=str(int(lab) + 1), parent_unit_id=u.parent_id, unit_ids=[],
                                                  threshold=threshold))
        g.unit_ids.append(u.id)
        g.households += u.households or 0
    plan = Plan(name=name, scope_unit_id=scope_unit_id, at=on, groups=list(groups.values()),
                threshold=threshold, mode="threshold", params={"threshold": threshold, "solver": result.method},
                metrics=result.summary())
    with engine.begin() as conn:
        return plan_store.save_plan(conn, plan, created_by=username)


def plan_units(conn: Connection, plan: Plan) -> list[Unit]:
    ids = [u for g in plan.groups for u in g.unit_ids]
    units = repo.units_at(conn, plan.at, unit_ids=ids) if ids else []
    return sorted(units, key=lambda u: u.code)


def locked_units(conn: Connection, plan_id: int) -> set[int]:
    return {int(r[0]) for r in conn.execute(select(web_plan_lock.c.unit_id).where(web_plan_lock.c.plan_id == plan_id))}


def _steps(conn: Connection, plan_id: int) -> list[Any]:
    return list(conn.execute(select(web_plan_step).where(web_plan_step.c.plan_id == plan_id)
                             .order_by(web_plan_step.c.seq)))


def workspace(conn: Connection, plan: Plan) -> Workspace:
    from tinhgon.planner import check_labels

    units = plan_units(conn, plan)
    labels = {u: g.label for g in plan.groups for u in g.unit_ids}
    threshold = plan.threshold or DEFAULT_THRESHOLD
    order = sorted({labels[u.id] for u in units}, key=_label_key)
    problem = build_problem(conn, units, plan.at, threshold)
    if all(lab.isdigit() for lab in order):
        report = check_labels(problem, [int(labels[u.id]) for u in units])  # messages then name our labels
    else:
        code_of = {lab: i for i, lab in enumerate(order)}
        report = check_labels(problem, [code_of[labels[u.id]] for u in units])
        for v in report.get("violations", []):
            if str(v.get("group", "")).isdigit() and int(v["group"]) < len(order):
                idx, lab = v["group"], order[int(v["group"])]
                v["group"] = lab
                v["message"] = v["message"].replace(f"nhóm {idx} ", f"nhóm {lab} ", 1)
    gh: Counter[str] = Counter()
    gu: dict[str, list[int]] = {}
    for u in units:
        gh[labels[u.id]] += u.households or 0
        gu.setdefault(labels[u.id], []).append(u.id)
    steps = _steps(conn, plan.id or 0)
    parents = {u.parent_id for u in units if u.parent_id is not None}
    parent_names = {p.id: p.name for p in repo.units_at(conn, plan.at, unit_ids=parents)} if parents else {}
    edges = repo.adjacency_at(conn, plan.at, [u.id for u in units])
    return Workspace(plan=plan, units=units, labels=labels, report=report, group_households=dict(gh),
                     group_units=gu, locked=locked_units(conn, plan.id or 0),
                     can_undo=any(not st.undone for st in steps), can_redo=any(st.undone for st in steps),
                     parent_names=parent_names, colours=group_colours(labels, edges))


PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#393b79", "#637939"]


def group_colours(labels: dict[int, str], edges: list[tuple[int, int]]) -> dict[str, str]:
    """Neighbouring groups get different colours (greedy colouring, busiest group first), so a map reads."""
    nbrs: dict[str, set[str]] = {lab: set() for lab in labels.values()}
    for a, b in edges:
        la, lb = labels.get(a), labels.get(b)
        if la is not None and lb is not None and la != lb:
            nbrs[la].add(lb)
            nbrs[lb].add(la)
    out: dict[str, str] = {}
    for lab in sorted(nbrs, key=lambda x: (-len(nbrs[x]), _label_key(x))):
        used = {out[n] for n in nbrs[lab] if n in out}
        out[lab] = next((c for c in PALETTE if c not in used), PALETTE[int(lab) % len(PALETTE)] if lab.isdigit()
                        else PALETTE[0])
    return out


def _label_key(label: str) -> tuple[int, str]:
    return (int(label), "") if label.isdigit() else (10**9, label)


def _rewrite(conn: Connection, plan: Plan, labels: dict[int, str], units: list[Unit]) -> None:
    by_id = {u.id: u for u in units}
    groups: dict[str, PlanGroup] = {}
    old = {g.label: g for g in plan.groups}
    for uid, lab in sorted(labels.items(), key=lambda t: (_label_key(t[1]), by_id[t[0]].code)):
        u = by_id[uid]
        g = groups.get(lab)
        if g is None:
            prev = old.get(lab)
            g = groups[lab] = PlanGroup(label=lab, parent_unit_id=u.parent_id, unit_ids=[],
                                        threshold=prev.threshold if prev else plan.threshold,
                                        new_name=prev.new_name if prev else None,
                                        new_code=prev.new_code if prev else None)
        g.unit_ids.append(uid)
        g.households += u.households or 0
    plan_store.replace_groups(conn, plan, list(groups.values()))


def move(conn: Connection, plan: Plan, unit_id: int, target: str, row_version: int, username: str) -> None:
    """Move one unit to group TARGET ("new": a group of its own). Refused if the plan changed meanwhile."""
    if plan.row_version != row_version:
        raise ConflictError(f"phương án {plan.name!r} vừa được người khác thay đổi; trang đã được tải lại với "
                            "bản mới nhất, hãy kiểm tra rồi làm lại")
    if plan.status != PlanStatus.DRAFT:
        raise BadInput("phương án không còn là bản nháp; không sửa được")
    units = plan_units(conn, plan)
    labels = {u: g.label for g in plan.groups for u in g.unit_ids}
    if unit_id not in labels:
        raise BadInput("đơn vị không thuộc phương án này")
    if unit_id in locked_units(conn, plan.id or 0):
        raise BadInput("đơn vị đã được khoá trong phương án; mở khoá trước khi chuyển")
    if target == "new":
        target = str(max((int(x) for x in labels.values() if x.isdigit()), default=0) + 1)
    elif target not in set(labels.values()):
        raise BadInput(f"không có nhóm {target!r} trong phương án")
    if labels[unit_id] == target:
        return
    before = dict(labels)
    labels[unit_id] = target
    _rewrite(conn, plan, labels, units)
    seq = int(conn.execute(select(func.coalesce(func.max(web_plan_step.c.seq), 0))
                           .where(web_plan_step.c.plan_id == plan.id)).scalar_one()) + 1
    # a new edit discards the steps that were undone (the usual editor behaviour)
    conn.execute(delete(web_plan_step).where(web_plan_step.c.plan_id == plan.id, web_plan_step.c.undone.is_(True)))
    conn.execute(insert(web_plan_step).values(
        plan_id=plan.id, seq=seq, before=json.dumps({str(k): v for k, v in before.items()}),
        after=json.dumps({str(k): v for k, v in labels.items()}), undone=False, username=username,
        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))


def undo(conn: Connection, plan: Plan, row_version: int) -> bool:
    return _travel(conn, plan, row_version, back=True)


def redo(conn: Connection, plan: Plan, row_version: int) -> bool:
    return _travel(conn, plan, row_version, back=False)


def _travel(conn: Connection, plan: Plan, row_version: int, *, back: bool) -> bool:
    if plan.row_version != row_version:
        raise ConflictError(f"phương án {plan.name!r} vừa được người khác thay đổi; hãy tải lại rồi làm lại")
    steps = _steps(conn, plan.id or 0)
    if back:
        todo = [st for st in steps if not st.undone]
        if not todo:
            return False
        st = todo[-1]
        labels, flag = json.loads(st.before), True
    else:
        todo = [st for st in steps if st.undone]
        if not todo:
            return False
        st = todo[0]
        labels, flag = json.loads(st.after), False
    _rewrite(conn, plan, {int(k): v for k, v in labels.items()}, plan_units(conn, plan))
    conn.execute(update(web_plan_step).where(web_plan_step.c.id == st.id).values(undone=flag))
    return True


def toggle_lock(conn: Connection, plan: Plan, unit_id: int, username: str) -> bool:
    """Pin or unpin a unit; returns whether it is now pinned."""
    if unit_id not in {u for g in plan.groups for u in g.unit_ids}:
        raise BadInput("đơn vị không thuộc phương án này")
    L = web_plan_lock
    gone = conn.execute(delete(L).where(L.c.plan_id == plan.id, L.c.unit_id == unit_id)).rowcount
    if gone:
        return False
    conn.execute(insert(L).values(plan_id=plan.id, unit_id=unit_id, username=username))
    return True


def plans_in(conn: Connection, scope_ids: set[int]) -> list[dict[str, Any]]:
    return [p for p in plan_store.list_plans(conn) if p["scope_unit_id"] in scope_ids]


def plan_scope_unit(conn: Connection, plan: Plan) -> Unit | None:
    return repo.unit_at(conn, plan.scope_unit_id, plan.at)


def plan_row(conn: Connection, plan_id: int) -> Any:
    return conn.execute(select(s.plan).where(s.plan.c.id == plan_id)).first()


@dataclass
class Comparison:
    a: Workspace
    b: Workspace
    rows: list[tuple[Unit, str | None, str | None, bool]]  # unit, group in A, in B, differs


def compare(a: Workspace, b: Workspace) -> Comparison:
    """Units side by side; a unit differs when the set of units it is grouped with differs."""
    units = {u.id: u for u in a.units} | {u.id: u for u in b.units}
    rows = []
    for uid, u in sorted(units.items(), key=lambda t: t[1].code):
        la, lb = a.labels.get(uid), b.labels.get(uid)
        ma = frozenset(a.group_units.get(la, [])) if la else frozenset()
        mb = frozenset(b.group_units.get(lb, [])) if lb else frozenset()
        rows.append((u, la, lb, ma != mb))
    return Comparison(a=a, b=b, rows=rows)
