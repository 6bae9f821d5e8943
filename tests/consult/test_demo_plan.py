"""A consultation on the Long Biên demo: a stored plan, the roll from the registry, a full sheet of ballots."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from tinhgon.consult import service
from tinhgon.consult.model import Decision
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Level
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import save_plan

DAY = dt.date(2024, 5, 1)


def test_demo_plan_consultation_rolls_every_household_head_and_tallies_like_an_independent_count(
        demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        ward = repo.resolve_unit(conn, "00115", DAY, Level.COMMUNE)
        groups = repo.children(conn, ward.id, DAY)[:5]
        plan = Plan(name="PA-demo", scope_unit_id=ward.id, at=DAY, groups=[
            PlanGroup(label="A", parent_unit_id=ward.id, unit_ids=[groups[0].id, groups[1].id]),
            PlanGroup(label="B", parent_unit_id=ward.id, unit_ids=[groups[2].id, groups[3].id]),
            PlanGroup(label="C", parent_unit_id=ward.id, unit_ids=[groups[4].id])])
        save_plan(conn, plan)
        service.add_official(conn, "thuongthanh", scope_unit_id=ward.id)
        cid = service.create_from_plan(conn, "PA-demo")
        counts = repo.household_counts_at(conn, DAY, [g.id for g in groups[:4]])
        heads = {r.code: r.full_name for r in conn.execute(
            select(s.household.c.code, s.person.c.full_name).join(s.person, s.person.c.household_id == s.household.c.id)
            .where(s.person.c.is_head))}
        entries = service.roll_entries(conn, cid)
    assert {e.unit_id for e in entries} == {g.id for g in groups[:4]}          # group C merges nothing
    assert Counter(e.unit_id for e in entries) == Counter(counts)
    assert all(e.display_name == heads[e.voter_code] for e in entries)
    # a sheet for every household but every 9th; group order decides the pattern, so one group fails
    rows, expected = [], Counter()
    for i, e in enumerate(entries):
        if i % 9 == 8:
            continue
        choice = "disagree" if (e.unit_id == groups[1].id and i % 2) else ("invalid" if i % 17 == 3 else "agree")
        rows.append((len(rows) + 2, e.voter_code, choice, None))
        expected[(e.unit_id, choice)] += 1
    with engine.begin() as conn:
        service.import_ballots(conn, cid, service.get_official(conn, "thuongthanh"), rows, file="phieu.xlsx")
        tl = service.close_round(conn, cid, by="thuongthanh")
    for u in tl.units:
        assert (u.roll, u.agree, u.disagree, u.invalid) == (
            counts[u.unit_id], expected[(u.unit_id, "agree")], expected[(u.unit_id, "disagree")],
            expected[(u.unit_id, "invalid")])
        assert (u.decision == Decision.APPROVED) == (expected[(u.unit_id, "agree")] * 2 > counts[u.unit_id])
    assert {u.group_label for u in tl.units} == {"A", "B"}
