"""Storing and loading named merger plans. A plan refers to units by internal id, never by code."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tinhgon.domain.plans import Plan, PlanGroup, PlanStatus
from tinhgon.errors import BadInput
from tinhgon.registry import schema as s
from tinhgon.registry.repo import new_id


class ConflictError(BadInput):
    """Someone else changed the record since it was read (optimistic locking)."""


def plan_exists(conn: Connection, name: str) -> bool:
    return conn.execute(select(s.plan.c.id).where(s.plan.c.name == name)).first() is not None


def save_plan(conn: Connection, plan: Plan, *, replace: bool = False, created_by: str | None = None) -> int:
    """Insert a plan with its groups; a name already taken is refused unless REPLACE (drafts only)."""
    existing = conn.execute(select(s.plan.c.id, s.plan.c.status).where(s.plan.c.name == plan.name)).first()
    if existing is not None:
        if not replace:
            raise BadInput(f"đã có phương án tên {plan.name!r}; chọn tên khác hoặc dùng --replace", field="--name")
        if existing.status != PlanStatus.DRAFT.value:
            raise BadInput(f"phương án {plan.name!r} đã ở trạng thái {existing.status}; không thể ghi đè",
                           field="--name")
        conn.execute(delete(s.plan_member).where(s.plan_member.c.plan_id == existing.id))
        conn.execute(delete(s.plan_group).where(s.plan_group.c.plan_id == existing.id))
        conn.execute(delete(s.plan).where(s.plan.c.id == existing.id))
    plan_id = new_id(conn.execute(insert(s.plan).values(
        name=plan.name, scope_unit_id=plan.scope_unit_id, at_date=plan.at, status=plan.status.value,
        mode=plan.mode, threshold=plan.threshold, params=json.dumps(plan.params, ensure_ascii=False, default=str),
        metrics=json.dumps(plan.metrics, ensure_ascii=False, default=str),
        created_at=plan.created_at or dt.datetime.now(dt.UTC).replace(tzinfo=None), created_by=created_by,
        row_version=1,
    )))
    _write_groups(conn, plan_id, plan.groups)
    plan.id = plan_id
    return plan_id


def _write_groups(conn: Connection, plan_id: int, groups: list[PlanGroup]) -> None:
    if not groups:
        return
    ids = [int(r[0]) for r in conn.execute(
        insert(s.plan_group).returning(s.plan_group.c.id, sort_by_parameter_order=True),
        [{"plan_id": plan_id, "label": g.label, "parent_unit_id": g.parent_unit_id, "threshold": g.threshold,
          "households": g.households, "new_name": g.new_name, "new_code": g.new_code} for g in groups])]
    members: list[dict[str, int]] = []
    for gid, g in zip(ids, groups, strict=True):
        g.id = gid
        members.extend({"plan_id": plan_id, "group_id": gid, "unit_id": u} for u in g.unit_ids)
    for i in range(0, len(members), 5000):
        conn.execute(insert(s.plan_member), members[i:i + 5000])


def load_plan(conn: Connection, name: str) -> Plan:
    row = conn.execute(select(s.plan).where(s.plan.c.name == name)).first()
    if row is None:
        names = [r[0] for r in conn.execute(select(s.plan.c.name).order_by(s.plan.c.name).limit(10))]
        hint = f" Các phương án hiện có: {', '.join(names)}." if names else " Chưa có phương án nào."
        raise BadInput(f"không có phương án tên {name!r}.{hint}", field="--plan")
    return _plan_from_row(conn, row)


def load_plan_by_id(conn: Connection, plan_id: int) -> Plan:
    row = conn.execute(select(s.plan).where(s.plan.c.id == plan_id)).first()
    if row is None:
        raise BadInput(f"không có phương án số {plan_id}", field="plan")
    return _plan_from_row(conn, row)


def _plan_from_row(conn: Connection, row: Any) -> Plan:
    groups: dict[int, PlanGroup] = {}
    for g in conn.execute(select(s.plan_group).where(s.plan_group.c.plan_id == row.id).order_by(s.plan_group.c.id)):
        groups[g.id] = PlanGroup(label=g.label, parent_unit_id=g.parent_unit_id, unit_ids=[], threshold=g.threshold,
                                 households=g.households, new_name=g.new_name, new_code=g.new_code, id=g.id)
    for m in conn.execute(select(s.plan_member.c.group_id, s.plan_member.c.unit_id)
                          .where(s.plan_member.c.plan_id == row.id).order_by(s.plan_member.c.id)):
        groups[m.group_id].unit_ids.append(m.unit_id)
    return Plan(name=row.name, scope_unit_id=row.scope_unit_id, at=row.at_date, groups=list(groups.values()),
                status=PlanStatus(row.status), mode=row.mode, threshold=row.threshold,
                params=json.loads(row.params or "{}"), metrics=json.loads(row.metrics or "{}"),
                created_at=row.created_at, id=row.id, row_version=row.row_version)


def list_plans(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(s.plan.c.id, s.plan.c.name, s.plan.c.status, s.plan.c.at_date, s.plan.c.created_at,
                               s.plan.c.scope_unit_id).order_by(s.plan.c.created_at, s.plan.c.id))
    return [dict(r._mapping) for r in rows]


def set_status(conn: Connection, plan: Plan, status: PlanStatus) -> None:
    """Change the status, refusing when someone else changed the plan since it was loaded."""
    res = conn.execute(update(s.plan).where(s.plan.c.id == plan.id, s.plan.c.row_version == plan.row_version)
                       .values(status=status.value, row_version=plan.row_version + 1))
    if res.rowcount != 1:
        raise ConflictError(f"phương án {plan.name!r} vừa được người khác thay đổi; hãy tải lại rồi làm lại")
    plan.status = status
    plan.row_version += 1


def replace_groups(conn: Connection, plan: Plan, groups: list[PlanGroup],
                   metrics: dict[str, Any] | None = None) -> None:
    """Rewrite a draft plan's groups (hand edits), with optimistic locking on the plan row."""
    if plan.status != PlanStatus.DRAFT:
        raise BadInput(f"phương án {plan.name!r} không còn là bản nháp; không sửa được")
    values: dict[str, Any] = {"row_version": plan.row_version + 1}
    if metrics is not None:
        values["metrics"] = json.dumps(metrics, ensure_ascii=False, default=str)
    res = conn.execute(update(s.plan).where(s.plan.c.id == plan.id, s.plan.c.row_version == plan.row_version)
                       .values(**values))
    if res.rowcount != 1:
        raise ConflictError(f"phương án {plan.name!r} vừa được người khác thay đổi; hãy tải lại rồi làm lại")
    conn.execute(delete(s.plan_member).where(s.plan_member.c.plan_id == plan.id))
    conn.execute(delete(s.plan_group).where(s.plan_group.c.plan_id == plan.id))
    assert plan.id is not None
    _write_groups(conn, plan.id, groups)
    plan.groups = groups
    plan.row_version += 1
    if metrics is not None:
        plan.metrics = metrics
