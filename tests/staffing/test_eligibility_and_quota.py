"""Vacancies that say why, commune quotas, the end of commune part-time workers, age limits and bad pins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from staffing_builders import Registry, add_person, hanoi_ward, hold

from tinhgon.demo.builder import WARD_PART_TIME
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.errors import BadInput
from tinhgon.registry import db
from tinhgon.registry.plans import save_plan
from tinhgon.staffing import render, service
from tinhgon.staffing.model import Reason, Scope

AT = dt.date(2024, 9, 1)
PARTY_TITLES = {"van_phong_dang_uy", "tuyen_giao", "to_chuc_kiem_tra"}


def two_groups_no_party(url: str, *, commune_class: int | None = 3, commune_workers: int = 12) -> Registry:
    """Two groups merging; nobody there is a party member. The ward has 12 part-time titles, one person each."""
    reg = Registry()
    with db.get_engine(url).begin() as conn:
        hanoi_ward(conn, reg, commune_class=commune_class, groups={"A": 200, "B": 210})
        for g in ("A", "B"):
            add_person(conn, reg, f"{g}-head", f"Trưởng {g}", unit=g, birth=dt.date(1950, 5, 1))
            add_person(conn, reg, f"{g}-front", f"Mặt trận {g}", unit=g)
            hold(conn, reg, f"{g}-head", "to_truong", g)
            hold(conn, reg, f"{g}-front", "truong_ban_ctmt", g)
        for i, title in enumerate(WARD_PART_TIME[:commune_workers]):
            code = f"W{i:02d}"
            add_person(conn, reg, code, f"Cán bộ phường {i}", unit="A" if i % 2 else "B", party=title in PARTY_TITLES)
            hold(conn, reg, code, title, "P01", since=dt.date(2016, 3, 1))
        save_plan(conn, Plan(name="hai tổ", scope_unit_id=reg.units["P01"], at=AT, groups=[
            PlanGroup(label="AB", parent_unit_id=reg.units["P01"], unit_ids=[reg.units["A"], reg.units["B"]])]))
    return reg


def test_group_with_no_eligible_person_leaves_the_title_vacant_and_says_so(db_url: str) -> None:
    two_groups_no_party(db_url)
    with db.get_engine(db_url).begin() as conn:
        prop = service.propose(conn, "hai tổ")
        rep = service.build_report(conn, "hai tổ")
    sec = [d for d in prop.decisions if d.scope == Scope.GROUP and d.title_code == "bi_thu_chi_bo"]
    assert len(sec) == 1 and sec[0].vacant
    assert sec[0].reason_code == Reason.VACANT_NO_ELIGIBLE
    assert "không phải đảng viên" in sec[0].reason
    others = [d for d in prop.decisions if d.scope == Scope.GROUP and d.title_code != "bi_thu_chi_bo"]
    assert all(not d.vacant for d in others)
    text = render.to_text(rep)
    assert "Bí thư chi bộ: (để trống) - để trống: không có người đủ điều kiện" in text


def test_commune_titles_stay_within_the_quota(db_url: str) -> None:
    reg = two_groups_no_party(db_url, commune_class=3)   # Nghị định 33/2023: class III, at most 10 people
    with db.get_engine(db_url).begin() as conn:
        prop = service.propose(conn, "hai tổ")
        rep = service.build_report(conn, "hai tổ")
    commune = [d for d in prop.decisions if d.scope == Scope.COMMUNE]
    assert len(commune) == 12 and all(not d.vacant for d in commune)
    people = {d.person_id for d in commune}
    assert len(people) == 10
    per_person: dict[int, int] = {}
    for d in commune:
        assert d.person_id is not None
        per_person[d.person_id] = per_person.get(d.person_id, 0) + 1
    assert max(per_person.values()) == 2
    # the concurrent title is the second one of the person; party titles only to party members
    party = {reg.people[f"W{i:02d}"] for i, t in enumerate(WARD_PART_TIME) if t in PARTY_TITLES}
    assert all(d.person_id in party for d in commune if d.title_code in PARTY_TITLES)
    assert sum(d.concurrent for d in commune) == 2
    assert rep.effect.commune_workers_before == 12
    assert rep.effect.commune_workers_after == 10
    assert rep.effect.commune_workers_reduced == 2
    row = rep.commune_rows[0]
    assert (row["quota"], row["workers_before"], row["workers_after"]) == (10, 12, 10)
    # the commune fund is a lump per class: 15,0 × base, the same before and after
    assert rep.effect.commune_fund_before == rep.effect.commune_fund_after == 15 * 2_340_000


def test_commune_quota_unknown_keeps_at_most_the_people_there_and_says_so(db_url: str) -> None:
    two_groups_no_party(db_url, commune_class=None, commune_workers=5)
    with db.get_engine(db_url).begin() as conn:
        prop = service.propose(conn, "hai tổ")
        assert any("--commune-class" in n for n in prop.notes)
        commune = [d for d in prop.decisions if d.scope == Scope.COMMUNE]
        assert len({d.person_id for d in commune}) <= 5
        prop2 = service.propose(conn, "hai tổ", commune_classes={"P01": 3})
        assert not any("--commune-class" in n for n in prop2.notes)


def test_commune_part_is_empty_once_commune_part_time_workers_end(db_url: str) -> None:
    two_groups_no_party(db_url)
    with db.get_engine(db_url).begin() as conn:
        prop = service.propose(conn, "hai tổ", effective=dt.date(2025, 8, 1))
        rep = service.build_report(conn, "hai tổ")
    assert [d for d in prop.decisions if d.scope == Scope.COMMUNE] == []
    assert any("không còn bố trí người hoạt động không chuyên trách cấp xã" in n for n in prop.notes)
    ended = [x for x in rep.surplus if x.reason.startswith("chấm dứt")]
    assert len(ended) == 12
    assert rep.effect.commune_workers_after == 0
    assert rep.effect.commune_fund_before == rep.effect.commune_fund_after == 0
    assert "phần này để trống" in render.to_text(rep)


def test_age_limit_makes_a_person_ineligible(db_url: str) -> None:
    two_groups_no_party(db_url)
    with db.get_engine(db_url).begin() as conn:
        prop = service.propose(conn, "hai tổ", age_limits={"to_truong": 70})
    head = next(d for d in prop.decisions if d.scope == Scope.GROUP and d.title_code == "to_truong")
    # both heads were born in 1950 (74 on the effective date): the fronts may head the group instead
    assert head.person_id is not None
    with db.get_engine(db_url).begin() as conn:
        reg_ids = service.load_context(conn, service.load_plan(conn, "hai tổ"), AT,
                                       service.RuleBook.load_default(), age_limits={"to_truong": 70})
        heads = {pid for pid, p in reg_ids.people.items() if p.birth_date == dt.date(1950, 5, 1)}
    assert head.person_id not in heads
    assert head.reason_code == Reason.OTHER_TITLE


def test_conflicting_or_unknown_pins_are_refused(db_url: str) -> None:
    two_groups_no_party(db_url)
    with db.get_engine(db_url).begin() as conn:
        with pytest.raises(BadInput, match="không có người mã"):
            service.propose(conn, "hai tổ", pins=["AB:to_truong:NOBODY"])
        with pytest.raises(BadInput, match="không phải nhãn tổ"):
            service.propose(conn, "hai tổ", pins=["ZZ:to_truong:A-head"])
        with pytest.raises(BadInput, match="mâu thuẫn"):
            # one person pinned to three titles at once
            service.propose(conn, "hai tổ", pins=["P01:tuyen_giao:W01", "P01:to_chuc_kiem_tra:W01",
                                                   "P01:van_phong_dang_uy:W01"])


AGE_PACK = """pack:
  id: test-age-ha-noi
  title: Giới hạn tuổi tổ trưởng (thử)
  scope: province
  province_code: "01"
  document: {document: Quyết định thử về tuổi của UBND thành phố Hà Nội}
rules:
  - id: test-age.ha-noi.to-truong
    kind: title_age_limit
    titles: [to_truong]
    max_age: 70
    tag: M
    valid_from: 2020-01-01
"""


def test_an_age_limit_set_by_a_rule_pack_is_applied_and_cited(db_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tuoi.yaml").write_text(AGE_PACK, encoding="utf-8")
    monkeypatch.setenv("TINHGON_RULE_PACKS", str(tmp_path))
    two_groups_no_party(db_url)
    with db.get_engine(db_url).begin() as conn:
        book = service.RuleBook.load_default()
        ctx = service.load_context(conn, service.load_plan(conn, "hai tổ"), AT, book)
        assert ctx.age_limits == {"to_truong": 70}
        assert "test-age.ha-noi.to-truong" in ctx.refs
        heads = {pid for pid, p in ctx.people.items() if p.birth_date == dt.date(1950, 5, 1)}
        prop = service.propose(conn, "hai tổ", book=book)
        head = next(d for d in prop.decisions if d.scope == Scope.GROUP and d.title_code == "to_truong")
        assert head.person_id is not None and head.person_id not in heads   # both heads are 74
        text = render.to_text(service.build_report(conn, "hai tổ"))
        assert "Quyết định thử về tuổi của UBND thành phố Hà Nội" in text
        # the official's --max-age wins over the pack for that title, and the pack's rule is then not cited
        prop = service.propose(conn, "hai tổ", book=book, age_limits={"to_truong": 80})
        head = next(d for d in prop.decisions if d.scope == Scope.GROUP and d.title_code == "to_truong")
        assert head.person_id in heads
        ctx = service.load_context(conn, service.load_plan(conn, "hai tổ"), AT, book, age_limits={"to_truong": 80})
        assert ctx.age_limits == {"to_truong": 80} and "test-age.ha-noi.to-truong" not in ctx.refs
