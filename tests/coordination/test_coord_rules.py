"""Coordination rules: versions, signings per unit with signatories from the title holdings of the
signing day, yearly evaluations, re-signing after a revision, and the evaluation report (article 004)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from coord_helpers import run_cli
from sqlalchemy import Connection, and_, select

from tinhgon.coordination import example, report, service
from tinhgon.coordination import tables as t
from tinhgon.coordination.model import Party, PartyKind, Rating, Score
from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

REPORT_DAY = dt.date(2017, 2, 1)


def _ward(conn: Connection) -> object:
    return repo.resolve_unit(conn, example.WARD_CODE, REPORT_DAY)


def test_signings_per_unit_take_the_signatories_holding_the_titles_on_the_signing_day(conn: Connection) -> None:
    example.build_article_004(conn)
    rule = service.get_rule(conn, example.RULE_CODE)
    first = [x for x in service.signings_of(conn, rule) if x.version_no == 1]
    assert len(first) == 29 and {x.signed_on for x in first} == {example.SIGNED_V1}
    assert len({x.unit_id for x in first}) == 29
    H = s.title_holding
    for sg in first:
        expected = {(r.title_code, r.person_id) for r in conn.execute(select(H.c.title_code, H.c.person_id).where(
            H.c.unit_id == sg.unit_id, H.c.title_code.in_(["to_truong", "truong_ban_ctmt"]),
            H.c.valid_from <= sg.signed_on, H.c.valid_to > sg.signed_on))}
        assert {(p.title_code, p.person_id) for p in sg.signatories} == expected
        assert {p.party for p in sg.signatories} == {"a", "b"}


def test_evaluations_are_recorded_per_unit_and_year(conn: Connection) -> None:
    example.build_article_004(conn)
    rule = service.get_rule(conn, example.RULE_CODE)
    evs = service.evaluations_of(conn, rule)
    assert Counter(e.year for e in evs) == {2015: 29, 2016: 29}
    assert all(len(e.scores) == len(example.CRITERIA) and e.version_no == 1 for e in evs)
    unit = repo.unit_at(conn, evs[0].unit_id, REPORT_DAY)
    assert unit is not None
    with pytest.raises(BadInput, match="đã được đánh giá"):
        service.evaluate(conn, rule.code, unit, year=2016, evaluated_on=dt.date(2016, 12, 1),
                         scores=[Score("x", 5, 10)])


def test_resigning_after_a_revision_records_the_new_version_and_keeps_the_old(conn: Connection) -> None:
    example.build_article_004(conn, resign=27)
    rule = service.get_rule(conn, example.RULE_CODE)
    assert [v.version_no for v in rule.versions] == [1, 2]
    assert rule.versions[0].duties == example.DUTIES_V1 and rule.versions[0].superseded_on == example.ADOPTED_V2
    assert rule.version_on(dt.date(2016, 12, 31)).version_no == 1  # type: ignore[union-attr]
    assert rule.version_on(example.ADOPTED_V2).version_no == 2  # type: ignore[union-attr]
    sg = service.signings_of(conn, rule)
    assert Counter(x.version_no for x in sg) == {1: 29, 2: 27}
    # group 7 elected a new head in 2016: the re-signing is by the new head, the 2014 signing stays
    ward = _ward(conn)
    g7 = next(u for u in service.scope_units(conn, ward, Level.RESIDENTIAL_GROUP, REPORT_DAY)
              if u.name == "Tổ dân phố số 7")
    heads = {x.version_no: next(p.person_id for p in x.signatories if p.party == "a")
             for x in sg if x.unit_id == g7.id}
    assert heads[1] != heads[2]
    with pytest.raises(BadInput, match="đã ký phiên bản 2"):
        service.sign(conn, rule.code, [g7], dt.date(2017, 2, 1))


def test_a_revision_must_be_adopted_after_the_previous_version(conn: Connection) -> None:
    example.build_article_004(conn)
    with pytest.raises(BadInput, match="phải sau"):
        service.revise_rule(conn, example.RULE_CODE, adopted_on=dt.date(2016, 1, 1), duties=["x"])
    assert len(service.get_rule(conn, example.RULE_CODE).versions) == 2


def test_an_evaluation_needs_a_signing_first(conn: Connection) -> None:
    ward = repo.resolve_unit(conn, "00130", dt.date(2020, 1, 1))
    service.create_rule(conn, code="R1", name="Quy chế thử", party_a=Party(PartyKind.TITLE, "to_truong"),
                        party_b=Party(PartyKind.TITLE, "truong_ban_ctmt"), unit_level=Level.RESIDENTIAL_GROUP,
                        adopted_on=dt.date(2020, 1, 1), duties=["Phối hợp"])
    group = service.scope_units(conn, ward, Level.RESIDENTIAL_GROUP, dt.date(2020, 6, 1))[0]
    with pytest.raises(BadInput, match="chưa ký"):
        service.evaluate(conn, "R1", group, year=2020, evaluated_on=dt.date(2020, 12, 1), scores=[Score("a", 9, 10)])
    service.sign(conn, "R1", [group], dt.date(2020, 6, 1))
    ev = service.evaluate(conn, "R1", group, year=2020, evaluated_on=dt.date(2020, 12, 1),
                          scores=[Score("a", 9, 10), Score("b", 8, 10)])
    assert ev.rating is Rating.TOT and ev.total == 17


def test_the_evaluation_reports_counts_equal_an_independent_computation(conn: Connection) -> None:
    example.build_article_004(conn, resign=26)
    ward = _ward(conn)
    r = service.rule_report(conn, example.RULE_CODE, ward, REPORT_DAY, 2016)

    # independent: straight from the tables
    R, V, SG, E = t.coord_rule, t.coord_rule_version, t.coord_signing, t.coord_evaluation
    rid = conn.execute(select(R.c.id).where(R.c.code == example.RULE_CODE)).scalar_one()
    uv = s.unit_version
    groups = {int(x[0]) for x in conn.execute(select(uv.c.unit_id).where(
        uv.c.parent_id == ward.id, uv.c.level == "residential_group", uv.c.valid_from <= REPORT_DAY,  # type: ignore[attr-defined]
        (uv.c.valid_to.is_(None)) | (uv.c.valid_to > REPORT_DAY)))}
    signed = conn.execute(select(SG.c.unit_id, V.c.version_no).join(V, V.c.id == SG.c.version_id)
                          .where(SG.c.rule_id == rid, SG.c.signed_on <= REPORT_DAY)).all()
    signed_units = {u for u, _ in signed if u in groups}
    latest = max(v for _, v in signed)
    on_latest = {u for u, v in signed if v == latest and u in groups}
    ratings = Counter(x[0] for x in conn.execute(select(E.c.rating).where(
        and_(E.c.rule_id == rid, E.c.year == 2016, E.c.unit_id.in_(groups)))))

    assert len(r.units) == len(groups) == 29
    assert len(r.signed) == len(signed_units) == 29
    assert len(r.on_current) == len(on_latest) == 26
    assert {u.unit.id for u in r.not_resigned} == signed_units - on_latest
    assert {k.value: v for k, v in r.rating_counts().items() if v} == dict(ratings)
    assert len(r.evaluated) == sum(ratings.values()) == 29

    text = report.rule_report_text(r)
    assert "29 tổ dân phố đã ký kết quy chế" in text
    assert "3 tổ dân phố chưa ký kết lại sau khi sửa đổi: Tổ dân phố số 27, Tổ dân phố số 28, Tổ dân phố số 29" \
        in text
    for rating, n in ratings.items():
        assert f"+ {Rating(rating).label_vi}: {n} (" in text
    data = report.rule_report_dict(r)
    assert data["signed"] == 29 and data["signed_current_version"] == 26
    assert sum(data["ratings"].values()) == 29


def test_the_report_xlsx_has_the_same_figures(conn: Connection, tmp_path: object) -> None:
    from pathlib import Path

    from openpyxl import load_workbook

    example.build_article_004(conn, resign=27)
    r = service.rule_report(conn, example.RULE_CODE, _ward(conn), REPORT_DAY, 2016)
    path = Path(str(tmp_path)) / "bao-cao.xlsx"
    report.write_rule_report_xlsx(r, path)
    wb = load_workbook(path)
    rows = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
    assert rows["Tổng số tổ dân phố"] == 29 and rows["Đã ký kết quy chế"] == 29
    assert rows["Chưa ký kết lại sau khi sửa đổi"] == 2
    counts = r.rating_counts()
    for k in Rating:
        assert rows[f"Xếp loại {k.label_vi}"] == counts[k]
    assert wb["Đơn vị"].max_row == 4 + 29


def test_cli_example_and_report(demo_url: str, tmp_path: object) -> None:
    r = run_cli("coordination", "example", "article-004", "--resign", "28")
    assert r.returncode == 0, r.stderr
    out = run_cli("coordination", "report", "--rule", example.RULE_CODE, "--unit", "00133", "--at", "01/02/2017",
                  "--year", "2016", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["units"] == 29 and data["signed"] == 29 and len(data["not_resigned_after_revision"]) == 1
    bad = run_cli("coordination", "report", "--rule", "KHONG-CO", "--unit", "00133", "--at", "2017-02-01")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    ev = run_cli("coordination", "evaluate", "--rule", example.RULE_CODE, "--unit", "00133-01", "--year", "2017",
                 "--on", "20/12/2017", "--score", "Hòa giải ở cơ sở=9/10|Tốt", "--score", "Nhà văn hóa=7/10")
    assert ev.returncode == 0, ev.stderr
    assert "Tốt" in ev.stdout  # 16/20 = 80 %
    wrong = run_cli("coordination", "evaluate", "--rule", example.RULE_CODE, "--unit", "00133-02", "--year", "2017",
                    "--on", "20/12/2017", "--score", "Hòa giải=11/10")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
