"""On the demo (Long Biên): invariants over random plans, and the report against an independent computation."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, select

from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Level
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import save_plan
from tinhgon.registry.repo import in_force_clause
from tinhgon.staffing import service
from tinhgon.staffing.model import Scope
from tinhgon.staffing.tables import staffing_decision

AT = dt.date(2024, 9, 1)    # Nghị định 33/2023 and the 2.340.000 ₫ base salary; ward part-time titles still held
BASE = 2_340_000
QUOTA = {1: 14, 2: 12, 3: 10}                     # Nghị định 33/2023, no extras (demo wards lack population)
COMMUNE_COEF = {1: Decimal(21), 2: Decimal(18), 3: Decimal(15)}


def random_plan(conn: Connection, seed: int) -> tuple[str, dict[str, int]]:
    rng = random.Random(seed)
    district = repo.resolve_unit(conn, "004", AT, Level.DISTRICT)
    groups: list[PlanGroup] = []
    classes: dict[str, int] = {}
    for ward in repo.children(conn, district.id, AT):
        classes[ward.code] = rng.choice([1, 2, 3])
        kids = repo.children(conn, ward.id, AT)
        i = 0
        while i < len(kids):
            n = rng.randint(1, 4)
            chunk = kids[i:i + n]
            groups.append(PlanGroup(label=f"{ward.code}-{len(groups) + 1:03d}", parent_unit_id=ward.id,
                                    unit_ids=[k.id for k in chunk], households=sum(k.households or 0 for k in chunk)))
            i += n
    name = f"ngẫu nhiên {seed}"
    save_plan(conn, Plan(name=name, scope_unit_id=district.id, at=AT, groups=groups))
    return name, classes


def test_random_plans_keep_quota_one_group_per_person_and_eligibility(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    for seed in (1, 2, 3):
        with engine.begin() as conn:
            name, classes = random_plan(conn, seed)
            prop = service.propose(conn, name, commune_classes=classes, age_limits={"to_truong": 80})
            plan = service.load_plan(conn, name)
            P, R, UV = s.person, s.household_residence, s.unit_version
            party = {r[0]: bool(r[1]) for r in conn.execute(select(P.c.id, P.c.party_member))}
            birth = {r[0]: r[1] for r in conn.execute(select(P.c.id, P.c.birth_date))}
            needs_party = {r[0] for r in conn.execute(select(s.title_type.c.code)
                                                      .where(s.title_type.c.requires_party_member))}
            home = {r[0]: r[1] for r in conn.execute(
                select(P.c.id, R.c.unit_id).join(R, R.c.household_id == P.c.household_id)
                .where(in_force_clause(R, AT)))}
            ward_code = {r[0]: r[1] for r in conn.execute(
                select(UV.c.unit_id, UV.c.code).where(UV.c.level == "commune", in_force_clause(UV, AT)))}
        units_of = {g.label: set(g.unit_ids) for g in plan.groups}
        seen_slots: set[tuple[str, str]] = set()
        groups_of: dict[int, set[str]] = defaultdict(set)
        titles_in_scope: dict[tuple[int, str], int] = defaultdict(int)
        commune_people: dict[int, set[int]] = defaultdict(set)
        for d in prop.decisions:
            slot = (d.scope_key, d.title_code)
            assert slot not in seen_slots, f"two holders for {slot}"
            seen_slots.add(slot)
            if d.person_id is None:
                assert d.reason.startswith("để trống")
                continue
            titles_in_scope[(d.person_id, d.scope_key)] += 1
            if d.title_code in needs_party:
                assert party[d.person_id], f"{slot}: not a party member"
            if d.scope == Scope.GROUP:
                assert d.group_label is not None
                groups_of[d.person_id].add(d.group_label)
                assert home.get(d.person_id) in units_of[d.group_label], f"{slot}: lives outside the group"
                if d.title_code == "to_truong":
                    b = birth[d.person_id]
                    assert b is None or (AT.year - b.year - ((AT.month, AT.day) < (b.month, b.day))) <= 80
            else:
                assert d.commune_unit_id is not None
                commune_people[d.commune_unit_id].add(d.person_id)
        assert all(len(g) == 1 for g in groups_of.values()), "someone holds titles in two groups"
        assert max(titles_in_scope.values()) <= 2
        for cid, people in commune_people.items():
            assert len(people) <= QUOTA[classes[ward_code[cid]]]
        # every group titled where anyone could be: the three titles of each group are decided
        assert len([d for d in prop.decisions if d.scope == Scope.GROUP]) == 3 * len(plan.groups)


def _years(spans: list[tuple[dt.date, dt.date | None]], on: dt.date) -> float:
    days: set[int] = set()
    for a, b in spans:
        end = min(b or on, on)
        days.update(range(a.toordinal(), end.toordinal()))
    return round(len(days) / 365.25, 2)


def _half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_demo_report_equals_an_independent_computation(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        name, classes = random_plan(conn, 7)
        service.propose(conn, name, commune_classes=classes)
        rep = service.build_report(conn, name)
        plan = service.load_plan(conn, name)
        members = [u for g in plan.groups for u in g.unit_ids]
        UV, H, T, D = s.unit_version, s.title_holding, s.title_type, staffing_decision
        hh = {r[0]: r[1] for r in conn.execute(select(UV.c.unit_id, UV.c.households)
                                               .where(UV.c.level == "residential_group", in_force_clause(UV, AT)))}
        wards = {r[0]: r[1] for r in conn.execute(select(UV.c.unit_id, UV.c.code)
                                                  .where(UV.c.level == "commune", in_force_clause(UV, AT)))}
        held = conn.execute(select(H.c.person_id, H.c.unit_id, T.c.grp, H.c.concurrent)
                            .join(T, T.c.code == H.c.title_code).where(in_force_clause(H, AT))).all()
        history = conn.execute(select(H.c.person_id, H.c.valid_from, H.c.valid_to)).all()
        decided = conn.execute(select(D.c.scope, D.c.person_id)
                               .where(D.c.plan_id == plan.id, D.c.person_id.is_not(None))).all()
    member_set = set(members)
    plan_wards = {g.parent_unit_id for g in plan.groups}

    def coef(households: int) -> Decimal:  # tổ dân phố: 6,0 from 500 households, else 4,5
        return Decimal("6.0") if households >= 500 else Decimal("4.5")

    fund_old = {u: _half_up(coef(hh[u]) * BASE) for u in members}
    fund_new = [_half_up(coef(sum(hh[u] for u in g.unit_ids)) * BASE) for g in plan.groups]
    ward_fund = {w: _half_up(COMMUNE_COEF[classes[wards[w]]] * BASE) for w in plan_wards}
    before_group = {p for p, u, grp, _c in held if grp == "group_part_time" and u in member_set}
    before_ward = {p for p, u, grp, _c in held if grp == "commune_part_time" and u in plan_wards}
    after_group = {p for scope, p in decided if scope == "group"}
    after_ward = {p for scope, p in decided if scope == "commune"}
    e = rep.effect
    assert e.groups_reduced == len(members) - len(plan.groups)
    assert e.group_workers_reduced == len(before_group) - len(after_group)
    assert e.commune_workers_reduced == len(before_ward) - len(after_ward)
    assert e.group_fund_before == sum(fund_old.values())
    assert e.group_fund_after == sum(fund_new)
    assert e.commune_fund_before == e.commune_fund_after == sum(ward_fund.values())
    saving = sum(fund_old.values()) - sum(fund_new)
    assert e.monthly_saving == saving and e.yearly_saving == 12 * saving

    # release support: Hà Nội's default, max(3 months, 1 month per year of service) of the old allowance
    released = (before_group | before_ward) - (after_group | after_ward)
    assert {x.person_id for x in rep.surplus} == released
    spans: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for p, a, b in history:
        if p in released and a is not None and a < AT:
            spans[p].append((a, b))
    allowance: dict[int, Decimal] = defaultdict(Decimal)
    for p, u, grp, _c in held:
        if p not in released:
            continue
        if grp == "group_part_time" and u in member_set:
            allowance[p] = max(allowance[p], Decimal(fund_old[u]) / 3)
        elif grp == "commune_part_time" and u in plan_wards:
            allowance[p] = max(allowance[p], Decimal(ward_fund[u]) / QUOTA[classes[wards[u]]])
    support = 0
    for p in released:
        years = _years(spans[p], AT)
        support += _half_up(max(Decimal(3), Decimal(str(years))) * _half_up(allowance[p]))
    assert e.support_total == support
    assert e.payback_months == math.ceil(support / saving)
    # the figures of article 003's kind are positive on a real merger of the demo
    assert e.groups_reduced > 0 and e.group_workers_reduced > 0
