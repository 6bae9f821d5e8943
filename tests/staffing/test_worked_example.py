"""A worked example checked by hand: three groups merge into one, nine people hold nine titles.

| person | title before          | party | lives in        | note                                   |
|--------|-----------------------|-------|-----------------|----------------------------------------|
| S1     | bí thư chi bộ, tổ 1   | no    | tổ 1            | the non-party member: cannot be bí thư |
| H1     | tổ trưởng, tổ 1       | no    | tổ 1            |                                        |
| F1     | trưởng ban CTMT, tổ 1 | no    | tổ 1            |                                        |
| S2     | bí thư chi bộ, tổ 2   | yes   | tổ 4 (outside)  | lives outside the new group            |
| H2     | tổ trưởng, tổ 2       | yes   | tổ 2            |                                        |
| F2     | trưởng ban CTMT, tổ 2 | no    | tổ 2            | pinned as trưởng ban CTMT              |
| S3     | bí thư chi bộ, tổ 3   | yes   | tổ 3            |                                        |
| H3     | tổ trưởng, tổ 3       | no    | tổ 3            |                                        |
| F3     | trưởng ban CTMT, tổ 3 | no    | tổ 3            |                                        |

By hand: the only eligible incumbent secretary is S3 (S1 is no party member, S2 lives outside). The rule
pack encourages the secretary to head the group too, and S3 lives there: S3 is also tổ trưởng, held
concurrently. H2 is a party member and could form the same pair from the other side (head also
secretary), but the incumbent secretary comes first: moving into the secretary's title costs more.
Trưởng ban CTMT goes to an incumbent; without a pin the smallest person id wins (F1), with the pin F2.
Everyone else (seven people) is released. Households 150 + 200 + 180 = 530 ≥ 500: the new tổ dân phố
gets 6,0 × base salary instead of 3 × 4,5.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select
from staffing_builders import Registry, add_person, hanoi_ward, hold
from typer.testing import CliRunner

from tinhgon.cli import app
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.errors import BadInput
from tinhgon.registry import db
from tinhgon.registry.plans import save_plan
from tinhgon.staffing import service
from tinhgon.staffing.model import Reason, Scope
from tinhgon.staffing.tables import staffing_pin

AT = dt.date(2024, 9, 1)
BASE = 2_340_000


def build(url: str) -> Registry:
    reg = Registry()
    with db.get_engine(url).begin() as conn:
        hanoi_ward(conn, reg, groups={"G1": 150, "G2": 200, "G3": 180, "G4": 400})
        people = [("S1", "G1", False), ("H1", "G1", False), ("F1", "G1", False),
                  ("S2", "G4", True), ("H2", "G2", True), ("F2", "G2", False),
                  ("S3", "G3", True), ("H3", "G3", False), ("F3", "G3", False)]
        for code, home, party in people:
            add_person(conn, reg, code, f"Người {code}", unit=home, party=party)
        since = {"S1": dt.date(2015, 1, 1), "H1": dt.date(2023, 1, 1)}
        for i, g in enumerate(("G1", "G2", "G3"), 1):
            for title, who in (("bi_thu_chi_bo", f"S{i}"), ("to_truong", f"H{i}"), ("truong_ban_ctmt", f"F{i}")):
                hold(conn, reg, who, title, g, since=since.get(who, dt.date(2019, 10, 5)))
        save_plan(conn, Plan(name="ví dụ", scope_unit_id=reg.units["P01"], at=AT, groups=[
            PlanGroup(label="M1", parent_unit_id=reg.units["P01"],
                      unit_ids=[reg.units["G1"], reg.units["G2"], reg.units["G3"]], households=530,
                      new_name="Tổ dân phố số 1 mới"),
            PlanGroup(label="M2", parent_unit_id=reg.units["P01"], unit_ids=[reg.units["G4"]], households=400),
        ]))
    return reg


def assignment(decisions: list, reg: Registry, label: str) -> dict[str, tuple[str | None, bool]]:
    code_of = {v: k for k, v in reg.people.items()}
    return {d.title_code: (code_of.get(d.person_id), d.concurrent) for d in decisions
            if d.scope == Scope.GROUP and d.group_label == label}


def test_worked_example_assigns_by_hand(db_url: str) -> None:
    reg = build(db_url)
    with db.get_engine(db_url).begin() as conn:
        service.propose(conn, "ví dụ")
        plan_id = service.load_plan(conn, "ví dụ").id
        assert plan_id is not None
        first = service.decisions_for_plan(conn, plan_id)
    assert assignment(first, reg, "M1") == {
        "bi_thu_chi_bo": ("S3", False),
        "to_truong": ("S3", True),
        "truong_ban_ctmt": ("F1", False),
    }
    # G4 alone: its titles have no holder and no one to take them
    m2 = [d for d in first if d.group_label == "M2"]
    assert all(d.vacant and d.reason_code == Reason.VACANT_NO_ELIGIBLE for d in m2)
    reasons = {d.title_code: d.reason_code for d in first if d.group_label == "M1"}
    assert reasons == {"bi_thu_chi_bo": Reason.SAME_TITLE, "to_truong": Reason.CONCURRENT_ENCOURAGED,
                       "truong_ban_ctmt": Reason.SAME_TITLE}

    # an official pins F2; the pin is stored and kept when solving again without it
    with db.get_engine(db_url).begin() as conn:
        service.propose(conn, "ví dụ", pins=["M1:truong_ban_ctmt:F2"])
    with db.get_engine(db_url).begin() as conn:
        service.propose(conn, "ví dụ")
        again = service.decisions_for_plan(conn, plan_id)
        pins = conn.execute(select(staffing_pin.c.title_code, staffing_pin.c.person_id)).all()
    assert [(t, p) for t, p in pins] == [("truong_ban_ctmt", reg.people["F2"])]
    assert assignment(again, reg, "M1") == {
        "bi_thu_chi_bo": ("S3", False),
        "to_truong": ("S3", True),
        "truong_ban_ctmt": ("F2", False),
    }
    pinned = [d for d in again if d.pinned]
    assert [(d.title_code, d.reason_code) for d in pinned] == [("truong_ban_ctmt", Reason.PINNED)]


def test_worked_example_report_figures_by_hand(db_url: str) -> None:
    build(db_url)
    with db.get_engine(db_url).begin() as conn:
        service.propose(conn, "ví dụ", pins=["M1:truong_ban_ctmt:F2"])
        rep = service.build_report(conn, "ví dụ")
    e = rep.effect
    # G4 stays alone: 4 units before, 2 groups after; 9 workers before, 2 after (S3 with two titles, F2)
    assert (e.groups_before, e.groups_after, e.groups_reduced) == (4, 2, 2)
    assert (e.group_workers_before, e.group_workers_after, e.group_workers_reduced) == (9, 2, 7)
    assert (e.commune_workers_before, e.commune_workers_after) == (0, 0)
    assert e.base_salary == BASE
    before = 3 * 4.5 * BASE + 4.5 * BASE          # G1..G3 below 500 households, G4 too
    after = 6.0 * BASE + 4.5 * BASE               # the merged group has 530 households
    assert e.group_fund_before == before == 42_120_000
    assert e.group_fund_after == after == 24_570_000
    assert e.monthly_saving == 17_550_000
    assert e.yearly_saving == 12 * 17_550_000

    released = {x.person_code for x in rep.surplus}
    assert released == {"S1", "H1", "F1", "S2", "H2", "H3", "F3"}
    # release support (Hà Nội default pack): max(3, 1 × years) months of the old per-title allowance
    per_title = Decimal("4.5") * BASE / 3               # 3.510.000 ₫
    expected_support = 0
    for x in rep.surplus:
        start = dt.date(2015, 1, 1) if x.person_code == "S1" else (
            dt.date(2023, 1, 1) if x.person_code == "H1" else dt.date(2019, 10, 5))
        years = round((AT - start).days / 365.25, 2)
        assert x.years_of_service == years
        months = max(Decimal(3), Decimal(str(years)))
        amount = int((months * per_title).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert x.support == amount
        expected_support += amount
    assert e.support_total == expected_support
    assert e.first_year_net == 12 * 17_550_000 - expected_support
    assert e.payback_months == math.ceil(expected_support / 17_550_000)
    # concurrent pay: S3's second title at 30 % of the new per-title allowance, inside the fund
    new_title = Decimal("6.0") * BASE / 3
    assert e.paid_after == int(new_title + Decimal("0.3") * new_title + new_title)
    assert e.paid_before == int(9 * per_title)


def test_pin_of_an_ineligible_person_is_refused(db_url: str) -> None:
    build(db_url)
    with db.get_engine(db_url).begin() as conn, pytest.raises(BadInput, match="không phải đảng viên"):
        service.propose(conn, "ví dụ", pins=["M1:bi_thu_chi_bo:S1"])
    with db.get_engine(db_url).begin() as conn, pytest.raises(BadInput, match="không cư trú"):
        service.propose(conn, "ví dụ", pins=["M1:to_truong:S2"])


def test_cli_propose_and_report_in_vietnamese(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    build(db_url)
    runner = CliRunner()
    res = runner.invoke(app, ["staffing", "propose", "--plan", "ví dụ", "--pin", "M1:truong_ban_ctmt:F2"])
    assert res.exit_code == 0, res.output
    assert "Để trống M2 / bi_thu_chi_bo" in res.output
    res = runner.invoke(app, ["staffing", "report", "--plan", "ví dụ"])
    assert res.exit_code == 0, res.output
    assert "giảm 2 tổ dân phố, 7 người hoạt động không chuyên trách ở tổ dân phố" in res.output
    assert "42.120.000 ₫ / 24.570.000 ₫" in res.output
    assert "Người S3 (S3) [kiêm nhiệm]" in res.output
    res = runner.invoke(app, ["staffing", "report", "--plan", "ví dụ", "--format", "json"])
    data = json.loads(res.output)
    assert data["budget"]["monthly_saving"] == 17_550_000
    assert data["figures"]["group_workers_reduced"] == 7
    out = tmp_path / "bao-cao.xlsx"
    res = runner.invoke(app, ["staffing", "report", "--plan", "ví dụ", "--format", "xlsx", "--output", str(out)])
    assert res.exit_code == 0, res.output
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert wb.sheetnames[:3] == ["Tổng hợp", "Bố trí chức danh", "Người thôi làm việc"]
    assert [c.value for c in wb["Bố trí chức danh"][1]][:3] == ["Cấp", "Tổ / đơn vị", "Chức danh"]
    assert wb["Người thôi làm việc"].max_row == 1 + 7


def test_unpin_returns_to_the_unpinned_choice_and_report_needs_a_proposal(db_url: str) -> None:
    reg = build(db_url)
    runner = CliRunner()
    res = runner.invoke(app, ["staffing", "report", "--plan", "ví dụ"])
    # the CLI's main() turns BadInput into exit code 2 with this message
    assert isinstance(res.exception, BadInput) and res.exception.exit_code == 2
    assert "chưa có đề xuất" in str(res.exception)
    with db.get_engine(db_url).begin() as conn:
        service.propose(conn, "ví dụ", pins=["M1:truong_ban_ctmt:F2"])
        with pytest.raises(BadInput, match="không có ghim"):
            service.propose(conn, "ví dụ", unpin=["M1:to_truong"])
    with db.get_engine(db_url).begin() as conn:
        prop = service.propose(conn, "ví dụ", unpin=["M1:truong_ban_ctmt"])
        assert conn.execute(select(staffing_pin.c.id)).all() == []
    assert assignment(prop.decisions, reg, "M1")["truong_ban_ctmt"] == ("F1", False)
