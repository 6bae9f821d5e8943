"""Carrying out a merger plan on the demo registry: apply, undo, failure midway, lineage, import, names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from typer.testing import CliRunner

from tinhgon.cli import app
from tinhgon.domain.lineage import LegalBasis
from tinhgon.domain.plans import Plan, PlanGroup, PlanStatus
from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.execute import service
from tinhgon.execute.tables import merge_application, merge_pending_title
from tinhgon.registry import db, plans, repo
from tinhgon.registry import schema as s

ON = dt.date(2026, 1, 1)
EFF = dt.date(2026, 3, 1)
EFF2 = dt.date(2026, 6, 1)
BASIS = LegalBasis("15/NQ-HĐND", dt.date(2026, 2, 10), "HĐND phường Bồ Đề")
WARD = "00118"  # Phường Bồ Đề from 2025-07-01

REGISTRY_TABLES = ("unit", "unit_version", "household_residence", "title_holding", "adjacency", "lineage_event",
                   "lineage_link", "plan_group", "plan_member", "merge_pending_title")


def dump(conn: Connection, *, with_plan_version: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for name in REGISTRY_TABLES:
        t = s.metadata.tables[name]
        out[name] = sorted(tuple(r) for r in conn.execute(select(t)))
    cols = [c for c in s.plan.c if with_plan_version or c.name != "row_version"]
    out["plan"] = sorted(tuple(r) for r in conn.execute(select(*cols)))
    return out


def pairs_plan(conn: Connection, name: str, on: dt.date, n_mergers: int = 3,
               unit_ids: list[int] | None = None) -> Plan:
    """A plan over the ward's groups: N mergers of adjacent pairs, every other group alone."""
    ward = repo.resolve_unit(conn, WARD, on, Level.COMMUNE)
    kids = repo.children(conn, ward.id, on)
    ids = [u.id for u in kids] if unit_ids is None else unit_ids
    used: set[int] = set()
    groups: list[PlanGroup] = []
    for a, b in sorted(repo.adjacency_at(conn, on, ids)):
        if len(groups) == n_mergers:
            break
        if a in used or b in used:
            continue
        used |= {a, b}
        groups.append(PlanGroup(label=f"M{len(groups) + 1}", parent_unit_id=ward.id, unit_ids=[a, b]))
    for u in kids:
        if u.id not in used:
            groups.append(PlanGroup(label=f"S-{u.code}", parent_unit_id=ward.id, unit_ids=[u.id]))
    plan = Plan(name=name, scope_unit_id=ward.id, at=on, groups=groups)
    plans.save_plan(conn, plan)
    return service.approve(conn, name)


def test_apply_then_undo_leaves_the_registry_exactly_as_it_was(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        pairs_plan(conn, "p1", ON)
    with engine.connect() as conn:
        before = dump(conn, with_plan_version=False)
    with engine.begin() as conn:
        summary = service.apply_plan(conn, "p1", EFF, BASIS)
    assert summary.mergers == 3 and summary.units_created == 3 and summary.units_closed == 6
    with engine.connect() as conn:
        assert dump(conn, with_plan_version=False) != before
        assert plans.load_plan(conn, "p1").status == PlanStatus.APPLIED
        assert repo.integrity_problems(conn) == []
    with engine.begin() as conn:
        service.undo_application(conn, "p1")
    with engine.connect() as conn:
        after = dump(conn, with_plan_version=False)
        assert plans.load_plan(conn, "p1").status == PlanStatus.APPROVED
        status = conn.execute(select(merge_application.c.status)).scalar_one()
    assert after == before
    assert status == "undone"


def test_a_failure_midway_changes_nothing(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        pairs_plan(conn, "p1", ON)
    with engine.connect() as conn:
        before = dump(conn)
        apps_before = conn.execute(select(func.count()).select_from(merge_application)).scalar_one()

    def boom(step: str) -> None:
        if step == "households":  # units, lineage, adjacency and households are written by now
            raise RuntimeError("injected failure")

    monkeypatch.setattr(service, "_checkpoint", boom)
    with pytest.raises(RuntimeError, match="injected"), engine.begin() as conn:
        service.apply_plan(conn, "p1", EFF, BASIS)
    with engine.connect() as conn:
        assert dump(conn) == before
        assert conn.execute(select(func.count()).select_from(merge_application)).scalar_one() == apps_before


def test_households_holdings_and_adjacency_follow_the_merger(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        plan = pairs_plan(conn, "p1", ON, n_mergers=2)
        merged = [g for g in plan.groups if g.is_merger]
        old_ids = [u for g in merged for u in g.unit_ids]
        day = EFF - dt.timedelta(days=1)
        # independent figures, before
        hh_before = {u: n for u, n in repo.household_counts_at(conn, day, old_ids).items()}
        holdings_before = repo.holdings_at(conn, day, old_ids)
        neighbours_before: dict[int, set[int]] = {u: set() for u in old_ids}
        for a, b in conn.execute(select(s.adjacency.c.a_id, s.adjacency.c.b_id)
                                 .where(repo.in_force_clause(s.adjacency, day))):
            if a in neighbours_before:
                neighbours_before[a].add(b)
            if b in neighbours_before:
                neighbours_before[b].add(a)
        summary = service.apply_plan(conn, "p1", EFF, BASIS)
    assert summary.households_moved == sum(hh_before.values())
    with engine.connect() as conn:
        for g in merged:
            new = next(u for u in summary.new_units if u["label"] == g.label)
            unit = repo.resolve_unit(conn, new["code"], EFF, Level.RESIDENTIAL_GROUP)
            assert repo.household_counts_at(conn, EFF, [unit.id]) == {unit.id: sum(hh_before[u] for u in g.unit_ids)}
            assert repo.household_counts_at(conn, EFF, g.unit_ids) == {}
            assert repo.household_counts_at(conn, day, g.unit_ids) == {u: hh_before[u] for u in g.unit_ids}
            # the new group keeps the largest member's name (keep-largest) and its address says so
            largest = max(g.unit_ids, key=lambda u: (hh_before[u], -u))
            assert unit.name == repo.unit_at(conn, largest, day).name  # type: ignore[union-attr]
            rows = repo.households_at(conn, EFF, [unit.id])
            assert all(unit.name in (h.address or "") and "Phường Bồ Đề" in (h.address or "") for h in rows)
            assert unit.parent_id == g.parent_unit_id
            # adjacency of the new group: the old ones' neighbours, mapped, without the merged members
            expected = set()
            new_of = {u: unit.id for u in g.unit_ids}
            for other in merged:
                if other is not g:
                    o_unit = repo.resolve_unit(conn, next(x["code"] for x in summary.new_units
                                                          if x["label"] == other.label), EFF)
                    new_of.update({u: o_unit.id for u in other.unit_ids})
            for u in g.unit_ids:
                expected |= {new_of.get(n, n) for n in neighbours_before[u]}
            expected.discard(unit.id)
            got = {b if a == unit.id else a for a, b in conn.execute(
                select(s.adjacency.c.a_id, s.adjacency.c.b_id).where(
                    repo.in_force_clause(s.adjacency, EFF),
                    (s.adjacency.c.a_id == unit.id) | (s.adjacency.c.b_id == unit.id)))}
            assert got == expected
        # no staffing decision: every holding of a merged group ends and awaits one (none dropped)
        assert repo.holdings_at(conn, EFF, old_ids) == []
        pending = conn.execute(select(merge_pending_title.c.holding_id)).scalars().all()
        assert sorted(pending) == sorted(h.id for h in holdings_before)
        ev = conn.execute(select(s.lineage_event).where(s.lineage_event.c.effective_date == EFF)).all()
        assert {e.doc_number for e in ev} == {"15/NQ-HĐND"} and {e.kind for e in ev} == {"merge"}
        assert repo.integrity_problems(conn) == []


def test_staffing_decisions_put_people_in_the_new_group(demo_url: str) -> None:
    from tinhgon.staffing.tables import staffing_decision

    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        plan = pairs_plan(conn, "p1", ON, n_mergers=1)
        g = plan.mergers[0]
        heads = repo.holdings_at(conn, ON, g.unit_ids)
        chosen = next(h for h in heads if h.title_code == "to_truong")
        conn.execute(staffing_decision.insert().values(
            plan_id=plan.id, scope="group", group_label=g.label, commune_unit_id=None, title_code="to_truong",
            person_id=chosen.person_id, concurrent=False, reason_code="same_title", reason="tiếp tục", pinned=False))
        summary = service.apply_plan(conn, "p1", EFF, BASIS)
    assert summary.holdings_moved == 1
    assert summary.holdings_awaiting_decision == 0
    with engine.connect() as conn:
        new = repo.resolve_unit(conn, summary.new_units[0]["code"], EFF)
        now = repo.holdings_at(conn, EFF, [new.id])
        assert [(h.person_id, h.title_code, h.decision) for h in now] == [(chosen.person_id, "to_truong",
                                                                           "15/NQ-HĐND")]


def test_lineage_both_ways_across_two_successive_mergers(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        plan1 = pairs_plan(conn, "p1", ON, n_mergers=1)
        a, b = plan1.mergers[0].unit_ids
        s1 = service.apply_plan(conn, "p1", EFF, BASIS)
        n1 = repo.resolve_unit(conn, s1.new_units[0]["code"], EFF)
        # second merger: the new group with one of its neighbours
        neighbour = next(y if x == n1.id else x for x, y in sorted(repo.adjacency_at(
            conn, EFF, [u.id for u in repo.children(conn, n1.parent_id, EFF)])) if n1.id in (x, y))  # type: ignore[arg-type]
        ward = repo.unit_at(conn, n1.parent_id, EFF)  # type: ignore[arg-type]
        assert ward is not None
        plan2 = Plan(name="p2", scope_unit_id=ward.id, at=EFF,
                     groups=[PlanGroup(label="M", parent_unit_id=ward.id, unit_ids=[n1.id, neighbour])])
        plans.save_plan(conn, plan2)
        service.approve(conn, "p2")
        s2 = service.apply_plan(conn, "p2", EFF2, LegalBasis("20/NQ-HĐND", EFF2, "HĐND phường"))
        n2 = repo.resolve_unit(conn, s2.new_units[0]["code"], EFF2)
    with engine.connect() as conn:
        became_a = {uid: day for uid, day, _ in service.became(conn, a)}
        assert became_a == {n1.id: EFF, n2.id: EFF2}
        made = {uid: step for uid, _day, step in service.made_of(conn, n2.id)}
        assert set(made) == {n1.id, neighbour, a, b}
        assert made[n1.id] == 1 and made[a] == 2
    # the first merger cannot be undone while the second builds on it; the second can
    with engine.begin() as conn, pytest.raises(BadInput, match="hoàn tác thay đổi sau trước"):
        service.undo_application(conn, "p1")
    with engine.begin() as conn:
        service.undo_application(conn, "p2")
    with engine.begin() as conn, pytest.raises(BadInput, match="'p2' dùng các tổ mới"):
        service.undo_application(conn, "p1")
    with engine.begin() as conn:
        conn.execute(s.plan.delete().where(s.plan.c.name == "p2"))
        service.undo_application(conn, "p1")
    with engine.connect() as conn:
        assert service.became(conn, a) == []


def test_finalised_merger_cannot_be_undone(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        pairs_plan(conn, "p1", ON, n_mergers=1)
        service.apply_plan(conn, "p1", EFF, BASIS)
        service.finalise(conn, "p1")
    with engine.begin() as conn, pytest.raises(BadInput, match="chốt"):
        service.undo_application(conn, "p1")


def test_a_plan_must_be_approved_before_it_is_applied(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        ward = repo.resolve_unit(conn, WARD, ON, Level.COMMUNE)
        kids = repo.children(conn, ward.id, ON)
        plans.save_plan(conn, Plan(name="nháp", scope_unit_id=ward.id, at=ON,
                                   groups=[PlanGroup("A", ward.id, [kids[0].id, kids[1].id])]))
    with engine.begin() as conn, pytest.raises(BadInput, match="cần duyệt"):
        service.apply_plan(conn, "nháp", EFF, BASIS)


def test_renumber_names_every_group_of_the_ward_in_order(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        plan = pairs_plan(conn, "p1", ON, n_mergers=2)
        names = service.propose_names(conn, plan, ON, "renumber")
        assert sorted(names.values(), key=lambda n: int(n.rsplit(" ", 1)[1])) == \
            [f"Tổ dân phố số {i}" for i in range(1, len(plan.groups) + 1)]
        service.set_names(conn, plan, names)
        summary = service.apply_plan(conn, "p1", EFF, BASIS)
        assert summary.renamed == len(plan.groups) - 2
        ward = repo.resolve_unit(conn, WARD, EFF, Level.COMMUNE)
        got = sorted(u.name for u in repo.children(conn, ward.id, EFF))
    assert got == sorted(names.values())


def _csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("old_code,new_code,new_name\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows),
                    encoding="utf-8")
    return path


def test_import_a_resolution_rename_apply_and_list_address_changes(demo_url: str, tmp_path: Path) -> None:
    engine = db.get_engine(demo_url)
    with engine.connect() as conn:
        ward = repo.resolve_unit(conn, WARD, ON, Level.COMMUNE)
        kids = {u.id: u for u in repo.children(conn, ward.id, ON)}
        a, b = sorted(repo.adjacency_at(conn, ON, list(kids)))[0]
        hh = repo.household_counts_at(conn, ON, [a, b])
    src = _csv(tmp_path / "nq.csv", [(kids[a].code, "BD-01", ""), (kids[b].code, "BD-01", "")])
    runner = CliRunner()
    res = runner.invoke(app, ["merge", "import", "--file", str(src), "--name", "nq15", "--effective", "2026-03-01",
                              "--naming", "keep-largest"])
    assert res.exit_code == 0, res.output
    with engine.connect() as conn:
        plan = plans.load_plan(conn, "nq15")
        assert [(g.label, sorted(g.unit_ids), g.new_code) for g in plan.groups] == [("BD-01", sorted([a, b]), "BD-01")]
        largest = max((a, b), key=lambda u: (hh.get(u, 0), -u))
        assert plan.groups[0].new_name == kids[largest].name
    res = runner.invoke(app, ["merge", "rename", "--plan", "nq15", "--group", "BD-01",
                              "--name", "Tổ dân phố  Hòa Bình"])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["merge", "approve", "--plan", "nq15"]).exit_code == 0
    res = runner.invoke(app, ["merge", "apply", "--plan", "nq15", "--effective", "01/03/2026", "--decision",
                              "15/NQ-HĐND", "--decision-date", "2026-02-10", "--issuer", "HĐND phường Bồ Đề"])
    assert res.exit_code == 0, res.output
    with engine.connect() as conn:
        unit = repo.resolve_unit(conn, "BD-01", EFF, Level.RESIDENTIAL_GROUP)
        assert unit.name == "Tổ dân phố Hòa Bình"
    out = tmp_path / "doi-dia-chi.xlsx"
    res = runner.invoke(app, ["merge", "address-changes", "--plan", "nq15", "--output", str(out)])
    assert res.exit_code == 0, res.output
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", kids[a].code, kids[b].code] or \
        sorted(wb.sheetnames[1:]) == sorted([kids[a].code, kids[b].code])
    for uid in (a, b):
        ws = wb[kids[uid].code]
        assert [c.value for c in ws[2]] == ["STT", "Mã hộ", "Địa chỉ cũ", "Tổ dân phố cũ", "Địa chỉ mới",
                                            "Tổ dân phố mới", "Ngày hiệu lực", "Quyết định"]
        assert ws.max_row == 2 + hh[uid]
        row = [c.value for c in ws[3]]
        assert "Tổ dân phố Hòa Bình" in row[4] and row[5] == "Tổ dân phố Hòa Bình" and row[6] == "01/03/2026"
    # the old address, converted after the merger, names the new group
    res = runner.invoke(app, ["address", "convert", str(ws[3][2].value), "--to", "2026-03-02", "--json"])
    assert res.exit_code == 0, res.output
    assert '"new_address": ' in res.output and "Tổ dân phố Hòa Bình" in res.output


def test_import_refuses_unknown_codes_mixed_wards_and_groups_that_do_not_touch(demo_url: str,
                                                                               tmp_path: Path) -> None:
    engine = db.get_engine(demo_url)
    with engine.connect() as conn:
        ward = repo.resolve_unit(conn, WARD, ON, Level.COMMUNE)
        kids = repo.children(conn, ward.id, ON)
        ids = [u.id for u in kids]
        adj = set(repo.adjacency_at(conn, ON, ids))
        far = next((x, y) for x in ids for y in ids if x < y and (x, y) not in adj
                   and not any(x in p and y in p for p in adj))
        assert ward.parent_id is not None
        other_ward = next(w for w in repo.units_at(conn, ON, level=Level.COMMUNE, parent_ids=[ward.parent_id])
                          if w.id != ward.id and repo.children(conn, w.id, ON))
        other = repo.children(conn, other_ward.id, ON)[0]
    code = {u.id: u.code for u in kids}
    cases = [
        ([("KHONG-CO", "X", "")], "không có thôn/tổ dân phố"),
        ([(kids[0].code, "X", ""), (other.code, "X", "")], "nhiều đơn vị cấp xã"),
        ([(code[far[0]], "X", ""), (code[far[1]], "X", "")], "không liền kề"),
    ]
    for rows, message in cases:
        with engine.begin() as conn, pytest.raises(BadInput, match=message):
            service.import_plan(conn, [service.ImportRow(i + 2, *r) for i, r in enumerate(rows)], name="x",
                                effective=EFF, file="nq.csv")


def test_dry_run_shows_the_figures_and_writes_nothing(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        pairs_plan(conn, "p1", ON, n_mergers=2)
    with engine.connect() as conn:
        before = dump(conn)
    res = CliRunner().invoke(app, ["merge", "apply", "--plan", "p1", "--effective", "2026-03-01", "--decision",
                                   "15/NQ-HĐND", "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    import json

    data = json.loads(res.output)
    assert data["dry_run"] is True and data["mergers"] == 2 and data["units_closed"] == 4
    with engine.connect() as conn:
        assert dump(conn) == before
