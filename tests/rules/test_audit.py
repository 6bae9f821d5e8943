"""The audit's figures on a hand-built ward equal an independent computation written here."""

import datetime as dt
from collections import defaultdict

import pytest
from rules_builders import commune, district, group

from tinhgon.domain.people import Person, TitleHolding
from tinhgon.domain.units import Kind, Level, Unit
from tinhgon.errors import BadInput
from tinhgon.rules.audit import audit_units

ON = dt.date(2024, 3, 1)
BASE = 1_800_000                      # base salary on ON
HN_TDP_STANDARD = 450
HOUSEHOLDS = {"A": 200, "B": 300, "C": 449, "D": 450, "E": 599, "F": 600, "G": 700}
# who holds which title in each group (person ids); to_pho is a supported role, not a quota title
GROUP_TITLES = {
    "A": {"bi_thu_chi_bo": {1}, "to_truong": {1}, "truong_ban_ctmt": {2}},
    "B": {"bi_thu_chi_bo": {3}, "to_truong": {4}, "truong_ban_ctmt": {3}},
    "C": {"to_truong": {5}, "truong_ban_ctmt": {5}},
    "D": {"bi_thu_chi_bo": {8}, "to_truong": {6, 7}},
    "E": {"to_truong": {9}, "to_pho": {10}},
    "F": {"bi_thu_chi_bo": {11}, "to_truong": {11}, "truong_ban_ctmt": {11}},
    "G": {"to_truong": {22}, "truong_ban_ctmt": {24}},
}
COMMUNE_PART_TIME = {20: ["van_thu_thu_quy", "tuyen_giao", "quan_ly_nha_van_hoa"],
                     21: ["pho_chu_tich_mttq", "pho_bi_thu_doan"], 22: ["chu_tich_hoi_nct"],
                     23: ["pho_chu_tich_hoi_ccb"]}
COMMUNE_OFFICIAL = {24: ["chu_tich_mttq"]}
QUOTA_TITLES = ("bi_thu_chi_bo", "to_truong", "truong_ban_ctmt")


@pytest.fixture()
def ward_case():
    q = district(Kind.QUAN, province="01", id=1)
    ward = commune(Kind.PHUONG, province="01", id=2, code="W", commune_class=2, parent_id=1,
                   population=20_000, area_km2=3.0)
    groups = {k: group(Kind.TO_DAN_PHO, hh, province="01", id=10 + i, code=k, parent_id=2)
              for i, (k, hh) in enumerate(HOUSEHOLDS.items())}
    gone = Unit(99, "OLD", "Tổ đã sáp nhập", Level.RESIDENTIAL_GROUP, Kind.TO_DAN_PHO, parent_id=2,
                households=50, valid_to=dt.date(2019, 11, 1))
    holdings, hid = [], 0
    for code, titles in GROUP_TITLES.items():
        for title, persons in titles.items():
            for p in persons:
                hid += 1
                holdings.append(TitleHolding(hid, p, title, groups[code].id))
    for table in (COMMUNE_PART_TIME, COMMUNE_OFFICIAL):
        for p, titles in table.items():
            for t in titles:
                hid += 1
                holdings.append(TitleHolding(hid, p, t, ward.id))
    # ended before ON: must not count
    holdings.append(TitleHolding(900, 30, "to_truong", groups["G"].id, valid_to=dt.date(2023, 1, 1)))
    holdings.append(TitleHolding(901, 31, "to_truong", gone.id))
    people = {p: Person(p, f"Người {p}", party_member=True) for p in range(1, 40)}
    return q, ward, [*groups.values(), gone], holdings, people


def expected_figures():
    """Independent computation of the audit's figures from the tables above and the legal constants."""
    ratios = {k: hh / HN_TDP_STANDARD for k, hh in HOUSEHOLDS.items()}
    status = {"must_merge": sorted(k for k, r in ratios.items() if r < 0.5),
              "encouraged": sorted(k for k, r in ratios.items() if 0.5 <= r < 1),
              "meets": sorted(k for k, r in ratios.items() if r >= 1)}
    bands = {"<450": sorted(k for k, h in HOUSEHOLDS.items() if h < 450),
             "450-<600": sorted(k for k, h in HOUSEHOLDS.items() if 450 <= h < 600),
             ">=600": sorted(k for k, h in HOUSEHOLDS.items() if h >= 600)}
    # ND 33/2023 Art. 34.2: a tổ dân phố of 500 households or more gets 6.0, others 4.5
    group_coef = sum(6.0 if h >= 500 else 4.5 for h in HOUSEHOLDS.values())
    group_monthly = round(group_coef * BASE)
    # ward of an urban district, class II: 12 + one per full third of 15,000 above 15,000; area below 5.5
    extra = (20_000 - 15_000) // (15_000 // 3)
    commune_monthly = round((18.0 + 1.5 * extra) * BASE)
    pairs = {"secretary_head": ("bi_thu_chi_bo", "to_truong"), "secretary_front": ("bi_thu_chi_bo", "truong_ban_ctmt"),
             "head_front": ("to_truong", "truong_ban_ctmt")}
    pair_units = {kind: sorted(k for k, t in GROUP_TITLES.items() if t.get(a, set()) & t.get(b, set()))
                  for kind, (a, b) in pairs.items()}
    vacant = sorted((k, t) for k, titles in GROUP_TITLES.items() for t in QUOTA_TITLES if t not in titles)
    duplicated = sorted((k, t) for k, titles in GROUP_TITLES.items() for t, p in titles.items()
                        if t in QUOTA_TITLES and len(p) > 1)
    multi = [p for p, ts in COMMUNE_PART_TIME.items() if len(ts) >= 2]
    group_holders = defaultdict(int)
    for titles in GROUP_TITLES.values():
        for t, persons in titles.items():
            if t in QUOTA_TITLES:
                for p in persons:
                    group_holders[p] += 1
    return {
        "status": status, "bands": bands, "group_monthly": group_monthly, "commune_monthly": commune_monthly,
        "quota": 12 + extra, "pair_units": pair_units, "vacant": vacant, "duplicated": duplicated,
        "multi_people": len(multi), "multi_titles": sum(len(COMMUNE_PART_TIME[p]) - 1 for p in multi),
        "cpt_group_people": sorted(p for p in COMMUNE_PART_TIME if group_holders[p]),
        "cpt_group_titles": sum(group_holders[p] for p in COMMUNE_PART_TIME),
        "official_group_people": sorted(p for p in COMMUNE_OFFICIAL if group_holders[p]),
        "commune_people": len(COMMUNE_PART_TIME),
    }


def run(ward_case, book, title_types, **kw):
    q, ward, units, holdings, people = ward_case
    return audit_units(ward, units, holdings, people, title_types, book, ON, ancestors=[q], **kw)


def test_audit_groups_by_status_equal_independent_computation(ward_case, book, title_types):
    exp = expected_figures()
    report = run(ward_case, book, title_types)
    for key, codes in exp["status"].items():
        assert report.status_counts[key] == len(codes)
        assert sorted(g.code for g in report.groups if g.status == key) == codes
    assert report.group_count == len(HOUSEHOLDS)  # the merged-away group is not in force


def test_audit_size_bands_equal_independent_computation(ward_case, book, title_types):
    exp = expected_figures()
    report = run(ward_case, book, title_types)
    assert {b.key: sorted(b.units) for b in report.bands} == exp["bands"]
    assert [b.label_vi for b in report.bands] == ["dưới 450 hộ", "từ 450 đến dưới 600 hộ", "từ 600 hộ trở lên"]


def test_audit_oversized_band_from_parameter(ward_case, book, title_types):
    report = run(ward_case, book, title_types, oversized=650)
    assert report.oversized == sorted(k for k, h in HOUSEHOLDS.items() if h > 650)
    assert (report.oversized_threshold, report.oversized_source) == (650, "parameter")
    assert run(ward_case, book, title_types).oversized_source is None  # no pack sets a maximum in 2024


def test_audit_custom_bands(ward_case, book, title_types):
    report = run(ward_case, book, title_types, bands=(300, 500, 650))
    assert [b.count for b in report.bands] == [
        sum(h < 300 for h in HOUSEHOLDS.values()), sum(300 <= h < 500 for h in HOUSEHOLDS.values()),
        sum(500 <= h < 650 for h in HOUSEHOLDS.values()), sum(h >= 650 for h in HOUSEHOLDS.values())]


def test_audit_rejects_unordered_bands(ward_case, book, title_types):
    with pytest.raises(BadInput):
        run(ward_case, book, title_types, bands=(600, 450))


def test_audit_titles_over_quota_and_vacant_equal_independent_computation(ward_case, book, title_types):
    exp = expected_figures()
    report = run(ward_case, book, title_types)
    assert sorted((v.unit_code, v.title_code) for v in report.vacancies) == exp["vacant"]
    group_over = [(o.unit_code, o.title_code) for o in report.over_quota if o.level == "residential_group"]
    assert sorted(group_over) == exp["duplicated"]


def test_audit_concurrent_holdings_by_kind_equal_independent_computation(ward_case, book, title_types):
    exp = expected_figures()
    report = run(ward_case, book, title_types)
    by_kind = {c.kind: c for c in report.concurrency}
    for kind, units in exp["pair_units"].items():
        assert sorted(by_kind[kind].units) == units
        assert by_kind[kind].cases == len(units)
    cpt = by_kind["commune_part_time_group_title"]
    assert (cpt.people, cpt.titles) == (len(exp["cpt_group_people"]), exp["cpt_group_titles"])
    assert by_kind["commune_official_group_title"].people == len(exp["official_group_people"])
    multi = by_kind["commune_part_time_multi"]
    assert (multi.people, multi.titles) == (exp["multi_people"], exp["multi_titles"])
    assert multi.sentence_vi() == (f"{exp['multi_people']:02d} người hoạt động không chuyên trách cấp xã kiêm "
                                   f"{exp['multi_titles']:02d} chức danh")


def test_audit_budget_equals_independent_computation(ward_case, book, title_types):
    exp = expected_figures()
    report = run(ward_case, book, title_types)
    assert report.budget.base_salary == BASE
    assert report.budget.group_monthly == exp["group_monthly"]
    assert report.budget.commune_monthly == exp["commune_monthly"]
    assert report.budget.monthly == exp["group_monthly"] + exp["commune_monthly"]
    assert report.budget.annual == 12 * (exp["group_monthly"] + exp["commune_monthly"])


def test_audit_commune_row(ward_case, book, title_types):
    exp = expected_figures()
    (row,) = run(ward_case, book, title_types).communes
    assert (row.quota, row.people, row.groups) == (exp["quota"], exp["commune_people"], len(HOUSEHOLDS))
    assert row.has_council is False  # Hà Nội urban-government pilot, ward of an urban district


def test_audit_basis_lists_each_rule_once_with_tags(ward_case, book, title_types):
    report = run(ward_case, book, title_types)
    ids = [r.rule_id for r in report.basis]
    assert len(ids) == len(set(ids))
    assert {"ha-noi.hh.tdp", "tt05-2022.merge-bands", "nd33-2023.group-fund", "base-salary.2023",
            "nd33-2023.commune-quota", "nd33-2023.commune-fund", "ha-noi.urban-government"} <= set(ids)


def test_audit_after_2025_08_01_flags_remaining_commune_part_time_workers(ward_case, book, title_types):
    q, ward, units, holdings, people = ward_case
    report = audit_units(ward, units, holdings, people, title_types, book, dt.date(2025, 9, 1), ancestors=[q])
    assert report.budget.commune_monthly == 0
    (row,) = report.communes
    assert row.ended
    assert any(o.level == "commune" and o.allowed == 0 for o in report.over_quota)


def test_audit_reports_unknown_titles_people_and_party_membership(ward_case, book, title_types):
    q, ward, units, holdings, people = ward_case
    people = dict(people)
    people[1] = Person(1, "Người 1", party_member=False)
    extra = [TitleHolding(950, 1, "khong_co", ward.id), TitleHolding(951, 777, "chu_tich_hoi_chu_thap_do", ward.id)]
    report = audit_units(ward, units, holdings + extra, people, title_types, book, ON, ancestors=[q])
    text = " | ".join(report.problems)
    assert "'khong_co'" in text and "777" in text and "cần đảng viên" in text


def test_seed_like_ward_gives_the_review_report_sentences(book, title_types):
    """Thượng Thanh (seed 000): 4 groups ≥ 600, 5 with 450-600, 5 with secretary = Front head, 7 ward
    part-time workers holding 9 titles concurrently."""
    from tinhgon.rules.render import render_text

    ward = commune(Kind.PHUONG, province="01", id=500, commune_class=1)
    sizes = [650, 700, 800, 620, 450, 500, 550, 580, 599, 300]
    groups = [group(Kind.TO_DAN_PHO, h, province="01", id=600 + i, code=f"TDP{i + 1}", parent_id=500)
              for i, h in enumerate(sizes)]
    holdings, hid = [], 0
    for i, g in enumerate(groups[:5]):
        holdings += [TitleHolding(hid := hid + 1, 100 + i, "bi_thu_chi_bo", g.id),
                     TitleHolding(hid := hid + 1, 100 + i, "truong_ban_ctmt", g.id)]
    cpt = ["van_phong_dang_uy", "tuyen_giao", "to_chuc_kiem_tra", "pho_chu_tich_mttq", "pho_bi_thu_doan",
           "pho_chu_tich_hoi_phu_nu", "pho_chu_tich_hoi_ccb", "chu_tich_hoi_nct", "chu_tich_hoi_chu_thap_do",
           "van_thu_thu_quy", "quan_ly_nha_van_hoa", "pho_chi_huy_truong_quan_su"]
    # 5 people with 2 titles and 2 people with 3 titles: 7 people, 9 titles beyond their first
    loads = [2, 2, 2, 2, 2, 3, 3]
    k = 0
    for p, n in enumerate(loads):
        for _ in range(n):
            holdings.append(TitleHolding(hid := hid + 1, 200 + p, cpt[k % len(cpt)], ward.id))
            k += 1
    people = {p: Person(p, "x", party_member=True) for p in list(range(100, 110)) + list(range(200, 210))}
    report = audit_units(ward, groups, holdings, people, title_types, book, dt.date(2020, 12, 29))
    text = render_text(report)
    assert "04 thôn, tổ dân phố có quy mô từ 600 hộ trở lên" in text
    assert "05 thôn, tổ dân phố có quy mô từ 450 đến dưới 600 hộ" in text
    assert "05 thôn, tổ dân phố có bí thư chi bộ kiêm trưởng ban công tác Mặt trận" in text
    assert "07 người hoạt động không chuyên trách cấp xã kiêm 09 chức danh" in text
