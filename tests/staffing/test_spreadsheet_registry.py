"""A second registry built differently: a rural commune of TP HCM (thôn, not tổ dân phố), class III with one
extra person for its population, written to a spreadsheet by the test and read back by a small loader;
province settings (concurrent share 50 %, release support) from a pack the test writes. The report must
equal an independent computation."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from staffing_builders import load_workbook_registry, write_workbook

from tinhgon.demo.builder import WARD_PART_TIME
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.registry import db
from tinhgon.registry.plans import save_plan
from tinhgon.rules import RuleBook
from tinhgon.staffing import render, service
from tinhgon.staffing.tables import staffing_decision

AT = dt.date(2024, 1, 1)
BASE = 1_800_000
PARTY_TITLES = {"van_phong_dang_uy", "tuyen_giao", "to_chuc_kiem_tra"}
PACK = """\
pack:
  id: test-79-settings
  title: Thiết lập thử của tỉnh 79 (kiểm thử)
  scope: province
  province_code: "79"
  example: true
  document: {document: Nghị quyết thử nghiệm của HĐND tỉnh}
rules:
  - id: test-79.concurrent-pay-share
    kind: concurrent_pay_share
    share: 0.5
    tag: M
    valid_from: 2020-01-01
  - id: test-79.release-support
    kind: release_support
    months_of_allowance_per_year: 2.0
    min_months: 1
    lump_sum_base_salary: 1.0
    tag: M
    valid_from: 2020-01-01
"""


Holding = tuple[str, str, str, bool, dt.date, dt.date | None]   # person, title, unit, concurrent, from, to


def make_data(seed: int) -> tuple[dict[str, list[list[Any]]], list[Holding]]:
    rng = random.Random(seed)
    units: list[list[Any]] = [
        ["79", "Thành phố Hồ Chí Minh", "thanh_pho_tw", None, None, None, None, None, "79"],
        ["H79", "Huyện Thử", "huyen", "79", None, None, None, None, "79"],
        ["X79", "Xã Thử", "xa", "H79", None, 3, 12000, 20.0, "79"],
    ]
    people: list[list[Any]] = []
    holds: list[Holding] = []
    for i in range(10):
        code = f"TH{i:02d}"
        units.append([code, f"Thôn {i + 1}", "thon", "X79", rng.randint(150, 420), None, None, None, "79"])
        s, h, f = f"{code}-S", f"{code}-H", f"{code}-F"
        people.append([s, f"Bí thư {code}", dt.date(1960 + i, 3, 1), "" if i == 4 else "x", code])
        people.append([h, f"Trưởng {code}", dt.date(1965, 6, 1), "x" if i % 3 == 0 else "", code])
        people.append([f, f"Mặt trận {code}", dt.date(1970, 1, 1), "", code])
        start = dt.date(rng.randint(2010, 2022), rng.randint(1, 12), 1)
        holds.append((s, "bi_thu_chi_bo", code, False, start, None))
        if i % 4 == 1:   # the secretary already heads the thôn; the head is then only a deputy
            holds.append((s, "to_truong", code, True, start, None))
            holds.append((h, "to_pho", code, False, start, None))
        else:
            holds.append((h, "to_truong", code, False, dt.date(2018, 5, 1), None))
        holds.append((f, "truong_ban_ctmt", code, False, dt.date(2021, 2, 1), None))
        if i % 2 == 0:   # an earlier, overlapping spell: years of service count each day once
            holds.append((f, "to_pho", code, False, dt.date(2016, 1, 1), dt.date(2021, 6, 1)))
    for j, title in enumerate(WARD_PART_TIME):
        code = f"XA{j:02d}"
        people.append([code, f"Cán bộ xã {j}", dt.date(1975, 1, 1), "x" if title in PARTY_TITLES else "",
                       f"TH{j % 10:02d}"])
        holds.append((code, title, "X79", False, dt.date(2012 + j % 8, 7, 1), None))
    rows = [[p, t, u, "x" if c else "", a, b] for p, t, u, c, a, b in holds]
    return {"Đơn vị": units, "Người": people, "Chức danh": rows}, holds


def half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_spreadsheet_registry_report_equals_an_independent_computation(db_url: str, tmp_path: Path) -> None:
    data, holds = make_data(79)
    book_path = tmp_path / "so-dang-ky.xlsx"
    write_workbook(book_path, data)
    pack = tmp_path / "79-thu.yaml"
    pack.write_text(PACK, encoding="utf-8")
    book = RuleBook.load_default([pack], use_env=False)
    groups = [["TH00", "TH01"], ["TH02", "TH03"], ["TH04", "TH05"], ["TH06", "TH07", "TH08"], ["TH09"]]
    with db.get_engine(db_url).begin() as conn:
        reg = load_workbook_registry(conn, book_path)
        save_plan(conn, Plan(name="xã thử", scope_unit_id=reg.units["X79"], at=AT, groups=[
            PlanGroup(label=f"N{k + 1}", parent_unit_id=reg.units["X79"], unit_ids=[reg.units[c] for c in g])
            for k, g in enumerate(groups)]))
        service.propose(conn, "xã thử", book=book)
        rep = service.build_report(conn, "xã thử", book=book)
        plan = service.load_plan(conn, "xã thử")
        D = staffing_decision
        decided = conn.execute(select(D.c.scope, D.c.group_label, D.c.person_id, D.c.concurrent)
                               .where(D.c.plan_id == plan.id)).all()
    code_of = {v: k for k, v in reg.people.items()}
    hh = {r[0]: r[4] for r in data["Đơn vị"] if r[2] == "thon"}

    def coef(n: int) -> Decimal:       # thôn: 6,0 from 350 households, else 4,5 (Nghị định 33/2023)
        return Decimal("6.0") if n >= 350 else Decimal("4.5")

    fund_old = {c: half_up(coef(n) * BASE) for c, n in hh.items()}
    fund_new = {f"N{k + 1}": half_up(coef(sum(hh[c] for c in g)) * BASE) for k, g in enumerate(groups)}
    quota = 10 + (12000 - 8000) * 2 // 8000            # class III + one per full half of the standard above it
    commune_fund = half_up((Decimal(15) + Decimal("1.5") * (quota - 10)) * BASE)
    per_commune = Decimal(commune_fund) / quota

    group_titles = {"bi_thu_chi_bo", "to_truong", "truong_ban_ctmt"}
    current = [h for h in holds if h[5] is None]
    before_group = {p for p, t, _u, _c, _a, _b in current if t in group_titles}
    before_commune = {p for p, t, _u, _c, _a, _b in current if t in WARD_PART_TIME}
    after_group = {code_of[p] for scope, _g, p, _c in decided if scope == "group" and p is not None}
    after_commune = {code_of[p] for scope, _g, p, _c in decided if scope == "commune" and p is not None}
    e = rep.effect
    assert e.base_salary == BASE
    assert (e.groups_before, e.groups_after) == (10, 5)
    assert e.group_workers_reduced == len(before_group) - len(after_group)
    assert e.commune_workers_reduced == len(before_commune) - len(after_commune) >= 1
    assert len(after_commune) <= quota == rep.commune_rows[0]["quota"]
    assert e.group_fund_before == sum(fund_old.values())
    assert e.group_fund_after == sum(fund_new.values())
    assert e.commune_fund_before == e.commune_fund_after == commune_fund
    saving = sum(fund_old.values()) - sum(fund_new.values())
    assert e.monthly_saving == saving

    # allowances paid inside the funds, the second title at the province's 50 %
    share = Decimal("0.5")
    paid_after = Decimal(0)
    for scope, g, p, conc in decided:
        if p is None:
            continue
        amount = Decimal(fund_new[g]) / 3 if scope == "group" else per_commune
        paid_after += amount * (share if conc else 1)
    assert e.paid_after == half_up(paid_after)
    assert e.concurrent_share == 0.5

    # release support: max(1, 2 × years) months of the old allowance + 1 × base salary
    released = (before_group | before_commune) - (after_group | after_commune)
    assert {x.person_code for x in rep.surplus} == released
    days: dict[str, set[int]] = defaultdict(set)
    for p, _t, _u, _c, a, b in holds:
        days[p].update(range(a.toordinal(), min(b or AT, AT).toordinal()))
    total = 0
    for x in rep.surplus:
        p = x.person_code
        assert p is not None
        years = round(len(days[p]) / 365.25, 2)
        assert x.years_of_service == years
        paid_titles = group_titles | set(WARD_PART_TIME)
        allowance = max(Decimal(fund_old[u]) / 3 if t in group_titles else per_commune
                        for q, t, u, _c, _a, b in holds if q == p and b is None and t in paid_titles)
        months = max(Decimal(1), Decimal(2) * Decimal(str(years)))
        amount = half_up(months * half_up(allowance)) + BASE
        assert x.support == amount
        total += amount
    assert e.support_total == total
    assert e.payback_months == math.ceil(total / saving)
    assert e.payback_date is not None and e.payback_date.year == AT.year + (AT.month - 1 + e.payback_months) // 12
    text = render.to_text(rep)
    assert "Mức hưởng khi kiêm nhiệm (tỉnh quy định): 50 % phụ cấp chức danh kiêm nhiệm" in text
    assert "Nghị quyết thử nghiệm của HĐND tỉnh" in text
