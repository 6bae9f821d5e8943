"""Staffing decisions and a merger: the commune's own titles set by `merge apply` (undone exactly), and
titles that awaited a decision settled later (`tinhgon staffing decide`): who, when, which decision."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select
from typer.testing import CliRunner

from tinhgon.cli import app
from tinhgon.domain.lineage import LegalBasis
from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.execute import service
from tinhgon.execute.tables import merge_pending_title
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.staffing import service as staffing
from tinhgon.staffing.tables import staffing_decision

from .test_merge import BASIS, EFF, ON, WARD, dump, pairs_plan

H = s.title_holding
LATER = LegalBasis("27/QĐ-UBND", dt.date(2026, 3, 20), "UBND phường Bồ Đề", None)


def _decide(conn: Connection, plan_id: int, *, scope: str, title: str, person: int | None, label: str | None = None,
            commune: int | None = None, concurrent: bool = False) -> None:
    conn.execute(insert(staffing_decision).values(
        plan_id=plan_id, scope=scope, group_label=label, commune_unit_id=commune, title_code=title,
        person_id=person, concurrent=concurrent, reason_code="same_title", reason="theo đề xuất", pinned=False))


def _people(conn: Connection, n: int) -> list[int]:
    return [int(x) for x in conn.execute(select(s.person.c.id).order_by(s.person.c.id).limit(n)).scalars()]


def _hold(conn: Connection, person: int, title: str, unit: int, since: dt.date, *, concurrent: bool = False) -> int:
    return int(conn.execute(insert(H).values(person_id=person, title_code=title, unit_id=unit, concurrent=concurrent,
                                             valid_from=since, valid_to=None, decision="1/QĐ-UBND")
                            .returning(H.c.id)).scalar_one())


def test_apply_sets_the_communes_decided_titles_and_undo_puts_them_back(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    since = dt.date(2025, 9, 1)
    with engine.begin() as conn:
        plan = pairs_plan(conn, "p1", ON, n_mergers=1)
        assert plan.id is not None
        ward = repo.resolve_unit(conn, WARD, ON, Level.COMMUNE).id
        p1, p2, p3, p4 = _people(conn, 4)
        kept = _hold(conn, p1, "tuyen_giao", ward, since)
        given_away = _hold(conn, p2, "van_thu_thu_quy", ward, since)
        left_vacant = _hold(conn, p3, "quan_ly_nha_van_hoa", ward, since)
        untouched = _hold(conn, p4, "chu_tich_hoi_nct", ward, since)     # no decision covers this title
        # p1 keeps hers and takes p2's as a concurrent title; p3's title stays vacant; p2 gets another one
        _decide(conn, plan.id, scope="commune", commune=ward, title="tuyen_giao", person=p1)
        _decide(conn, plan.id, scope="commune", commune=ward, title="van_thu_thu_quy", person=p1, concurrent=True)
        _decide(conn, plan.id, scope="commune", commune=ward, title="quan_ly_nha_van_hoa", person=None)
        _decide(conn, plan.id, scope="commune", commune=ward, title="pho_bi_thu_doan", person=p2)
    with engine.connect() as conn:
        before = dump(conn, with_plan_version=False)
    with engine.begin() as conn:
        summary = service.apply_plan(conn, "p1", EFF, BASIS)
    assert (summary.commune_holdings_closed, summary.commune_holdings_added) == (2, 2)
    with engine.connect() as conn:
        now = {(h.person_id, h.title_code, h.concurrent) for h in repo.holdings_at(conn, EFF, [ward])}
        assert now == {(p1, "tuyen_giao", False), (p1, "van_thu_thu_quy", True), (p2, "pho_bi_thu_doan", False),
                       (p4, "chu_tich_hoi_nct", False)}
        ends = dict(conn.execute(select(H.c.id, H.c.valid_to).where(
            H.c.id.in_([kept, given_away, left_vacant, untouched]))).all())
        assert ends == {kept: None, given_away: EFF, left_vacant: EFF, untouched: None}   # the same rows kept
        new = conn.execute(select(H.c.valid_from, H.c.decision).where(
            H.c.unit_id == ward, H.c.valid_from == EFF)).all()
        assert [tuple(r) for r in new] == [(EFF, "15/NQ-HĐND")] * 2
        assert repo.integrity_problems(conn) == []
    with engine.begin() as conn:
        service.undo_application(conn, "p1")
    with engine.connect() as conn:
        assert dump(conn, with_plan_version=False) == before


def test_a_commune_title_starting_on_the_effective_date_is_refused(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        plan = pairs_plan(conn, "p1", ON, n_mergers=1)
        assert plan.id is not None
        ward = repo.resolve_unit(conn, WARD, ON, Level.COMMUNE).id
        (p1,) = _people(conn, 1)
        _hold(conn, p1, "tuyen_giao", ward, EFF)
        _decide(conn, plan.id, scope="commune", commune=ward, title="tuyen_giao", person=None)
    with pytest.raises(BadInput, match="chức danh cấp xã"), engine.begin() as conn:
        service.apply_plan(conn, "p1", EFF, BASIS)


def _pending(conn: Connection) -> list[Any]:
    return list(conn.execute(select(merge_pending_title).order_by(merge_pending_title.c.id)).all())


def test_titles_awaiting_a_decision_are_settled_later_and_undo_reverses_everything(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.connect() as conn:
        before = dump(conn, with_plan_version=False)
    with engine.begin() as conn:
        plan = pairs_plan(conn, "p1", ON, n_mergers=2)
        assert plan.id is not None
        applied = service.apply_plan(conn, "p1", EFF, BASIS)     # no staffing decision yet
    with engine.connect() as conn:
        after_apply = dump(conn, with_plan_version=False)
        pending = _pending(conn)
        first = repo.resolve_unit(conn, applied.new_units[0]["code"], EFF).id
        mine = [p for p in pending if p.new_unit_id == first]
        others = [p for p in pending if p.new_unit_id != first]
        assert mine and others and not any(p.resolved for p in pending)
    # the decision, for the first new group only: its first awaiting person heads it, nobody else is kept
    chosen = mine[0].person_id
    with engine.begin() as conn:
        _decide(conn, plan.id, scope="group", label=applied.new_units[0]["label"], title="to_truong", person=chosen)
        _decide(conn, plan.id, scope="group", label=applied.new_units[0]["label"], title="bi_thu_chi_bo",
                person=None)
        start = EFF + dt.timedelta(days=20)
        done = staffing.decide(conn, "p1", LATER, by="cán bộ nội vụ", start=start)
    assert (done.resolved, done.kept, done.released, done.holdings_added) == (len(mine), 1, len(mine) - 1, 1)
    assert done.still_pending == len(others)
    with engine.connect() as conn:
        rows = {p.id: p for p in _pending(conn)}
        holding = conn.execute(select(H).where(H.c.unit_id == first, H.c.valid_from == start)).one()
        assert (holding.person_id, holding.title_code, holding.decision) == (chosen, "to_truong", "27/QĐ-UBND")
        for p in mine:
            r = rows[p.id]
            assert r.resolved and r.resolved_by == "cán bộ nội vụ" and r.resolved_at is not None
            assert (r.resolved_decision, r.resolved_decision_date) == ("27/QĐ-UBND", dt.date(2026, 3, 20))
            if p.person_id == chosen:
                assert (r.resolution, r.resolved_holding_id) == ("kept", holding.id)
            else:
                assert (r.resolution, r.resolved_holding_id) == ("released", None)
        assert not any(rows[p.id].resolved for p in others)
        # the merger's status shows what is still awaiting a decision
        info = service.application_info(conn, "p1")["applications"][0]
        assert sum(not p["resolved"] for p in info["pending"]) == len(others)
        assert repo.integrity_problems(conn) == []
    res = CliRunner().invoke(app, ["merge", "status", "--plan", "p1"])
    assert res.exit_code == 0, res.output
    assert f"còn {len(others)} / {len(pending)}" in res.output and "27/QĐ-UBND" in res.output
    # nothing left that the stored decisions settle: refused, nothing written
    with pytest.raises(BadInput, match="không có gì để thực hiện"), engine.begin() as conn:
        staffing.decide(conn, "p1", LATER, by="x")
    # undo of the merger reverses the settlement as well: the registry as before the merger
    with engine.begin() as conn:
        service.undo_application(conn, "p1")
    with engine.connect() as conn:
        now = dump(conn, with_plan_version=False)
    assert {k: v for k, v in now.items() if k not in ("plan", "plan_group", "plan_member")} == \
        {k: v for k, v in before.items() if k not in ("plan", "plan_group", "plan_member")}
    assert after_apply != before


def _merged_with_a_decision(conn: Connection) -> None:
    """One pair merged without a decision, then a decision for the new group's head: ready to settle."""
    plan = pairs_plan(conn, "p1", ON, n_mergers=1)
    assert plan.id is not None
    applied = service.apply_plan(conn, "p1", EFF, BASIS)
    person = _pending(conn)[0].person_id
    _decide(conn, plan.id, scope="group", label=applied.new_units[0]["label"], title="to_truong", person=person)


def test_a_failure_while_settling_changes_nothing(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        _merged_with_a_decision(conn)
    with engine.connect() as conn:
        before = dump(conn)
        record = conn.execute(select(s.metadata.tables["merge_application"].c.record)).scalar_one()

    def boom(step: str) -> None:
        if step == "settle_commune":
            raise RuntimeError("injected failure")

    monkeypatch.setattr(service, "_checkpoint", boom)
    with pytest.raises(RuntimeError, match="injected"), engine.begin() as conn:
        staffing.decide(conn, "p1", LATER, by="x")
    with engine.connect() as conn:
        assert dump(conn) == before
        assert conn.execute(select(s.metadata.tables["merge_application"].c.record)).scalar_one() == record


def test_decide_before_the_merger_or_before_its_date_is_refused(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        pairs_plan(conn, "p1", ON, n_mergers=1)
    with pytest.raises(BadInput, match="chưa được thực hiện"), engine.begin() as conn:
        staffing.decide(conn, "p1", LATER, by="x")
    with engine.begin() as conn:
        service.apply_plan(conn, "p1", EFF, BASIS)
    with pytest.raises(BadInput, match="trước ngày hiệu lực"), engine.begin() as conn:
        staffing.decide(conn, "p1", LATER, by="x", start=EFF - dt.timedelta(days=1))
    with pytest.raises(BadInput, match="chưa có quyết định bố trí"), engine.begin() as conn:
        staffing.decide(conn, "p1", LATER, by="x")


def test_cli_decide_reports_in_vietnamese_and_as_json(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        _merged_with_a_decision(conn)
    monkeypatch.setenv("TINHGON_USER", "nguoi-thu")
    res = CliRunner().invoke(app, ["staffing", "decide", "--plan", "p1", "--decision", "27/QĐ-UBND",
                                   "--decision-date", "20/03/2026", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["kept"] == 1 and data["still_pending"] == 0 and data["start"] == EFF.isoformat()
    with engine.connect() as conn:
        assert {p.resolved_by for p in _pending(conn)} == {"nguoi-thu"}
    res = CliRunner().invoke(app, ["staffing", "decide", "--plan", "p1", "--decision", "  "])
    assert isinstance(res.exception, BadInput)


def test_summary_is_a_plain_record() -> None:
    # the settlement is JSON-friendly (the CLI prints it)
    done = service.Settlement(plan="p", start=EFF, decision="1")
    assert json.loads(json.dumps(dataclasses.asdict(done), default=str))["start"] == EFF.isoformat()


def test_propose_after_the_merger_then_decide_settles_every_awaiting_title(demo_url: str) -> None:
    """The whole flow: merge first, propose on the day before it, decide: nothing awaits any more."""
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        pairs_plan(conn, "p1", ON, n_mergers=2)
        applied = service.apply_plan(conn, "p1", EFF, BASIS)
        assert applied.holdings_awaiting_decision > 0
        prop = staffing.propose(conn, "p1", effective=EFF - dt.timedelta(days=1),
                                commune_classes={WARD: 1}, age_limits={"to_truong": 80})
        done = staffing.decide(conn, "p1", LATER, by="x")
        assert done.resolved == applied.holdings_awaiting_decision and done.still_pending == 0
        holders = {(d.person_id, d.title_code) for d in prop.decisions
                   if d.scope.value == "group" and d.person_id is not None
                   and d.group_label in {u["label"] for u in applied.new_units}}
        new_ids = [repo.resolve_unit(conn, u["code"], EFF).id for u in applied.new_units]
        assert {(h.person_id, h.title_code) for h in repo.holdings_at(conn, EFF, new_ids)} == holders
        kept = {p.person_id for p in _pending(conn) if p.resolution == "kept"}
        assert kept == {p for p, _ in holders} & {p.person_id for p in _pending(conn)}
        assert repo.integrity_problems(conn) == []
