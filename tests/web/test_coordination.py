"""Coordination rules, delegations and workload in the web app and the API, on both backends: the figures are
those of the command line's JSON (tinhgon.coordination.report), the forms write through the services, refused
input writes nothing, viewers read without names and cannot write."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.conftest import login

from tinhgon.coordination import delegation, example, report, service
from tinhgon.coordination import tables as ct
from tinhgon.coordination.governance import seed_hanoi_pilot
from tinhgon.coordination.model import Party, PartyKind
from tinhgon.coordination.workload import workload
from tinhgon.domain.units import Level
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

REPORT_DAY = dt.date(2017, 2, 1)            # article 004: version 2 adopted 06/01/2017, re-signed 16/01/2017
START, END = dt.date(2021, 7, 15), dt.date(2022, 7, 15)   # a delegation in Gia Thụy (article 001)
ACT = "chung_thuc_ban_sao"


@dataclass
class World:
    url: str
    app: object
    ngoc_lam: int
    gia_thuy: int
    thuong_thanh: int

    def client(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(self.app)  # type: ignore[arg-type]
        return c, login(c, username)


@pytest.fixture
def world(demo_url: str) -> Iterator[World]:
    ensure_demo_accounts(demo_url)
    with db.get_engine(demo_url).begin() as conn:
        seed_hanoi_pilot(conn)
        example.build_article_004(conn, resign=27)   # 29 groups sign in 2014, 27 re-sign in January 2017
        ids = (repo.resolve_unit(conn, "00133", REPORT_DAY).id, repo.resolve_unit(conn, "00130", START).id,
               repo.resolve_unit(conn, "00115", START).id)
    yield World(demo_url, create_app(demo_url), *ids)
    db.dispose_all()


def _count(url: str, table: object) -> int:
    with db.get_engine(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_rules_page_and_api_give_the_command_lines_figures(world: World) -> None:
    """Ngọc Lâm on 01/02/2017: 29 groups signed, 27 re-signed version 2, 2 did not; 29 evaluated for 2016."""
    with db.get_engine(world.url).connect() as conn:
        ward = repo.unit_at(conn, world.ngoc_lam, REPORT_DAY)
        assert ward is not None
        cli = report.rule_report_dict(service.rule_report(conn, example.RULE_CODE, ward, REPORT_DAY, 2016))
    c, _tok = world.client("quan.longbien")
    api = c.get(f"/api/v1/units/{world.ngoc_lam}/coordination", params={"at": "2017-02-01", "year": 2016})
    assert api.status_code == 200, api.text
    (rule,) = [r for r in api.json()["rules"] if r["rule"]["code"] == example.RULE_CODE]
    assert (rule["units"], rule["signed"], rule["signed_current_version"], rule["evaluated"]) == \
        (cli["units"], cli["signed"], cli["signed_current_version"], cli["evaluated"]) == (29, 29, 27, 29)
    assert rule["not_resigned_after_revision"] == cli["not_resigned_after_revision"] and \
        len(cli["not_resigned_after_revision"]) == 2
    assert rule["ratings"] == cli["ratings"] and rule["average_score_share"] == cli["average_score_share"]
    assert rule["current_version"] == 2 and [v["version"] for v in rule["rule"]["versions"]] == [1, 2]
    assert rule["evaluations_by_year"] == {"2015": 29, "2016": 29}
    by_code = {row["unit"]["code"]: row for row in rule["rows"]}
    for cli_row in cli["rows"]:
        row = by_code[cli_row["code"]]
        assert (row["version"], row["last_signed_on"], row["evaluation"]["rating"]) == \
            (cli_row["version"], cli_row["last_signed_on"].isoformat(), cli_row["rating"])
        assert [p["name"] for p in row["signatories"]] == cli_row["signatories"]  # an officer sees the names
    page = c.get(f"/units/{world.ngoc_lam}/coordination", params={"at": "01/02/2017", "year": 2016})
    assert page.status_code == 200
    assert re.search(rf'id="resign-{example.RULE_CODE}">2<', page.text)
    assert page.text.count("Cần ký kết lại") == 2 and "16/01/2017" in page.text and "20/09/2014" in page.text
    # before the revision the same group shows version 1 in force; in English the page speaks English
    early = c.get(f"/api/v1/units/{world.ngoc_lam}/coordination", params={"at": "2016-10-01"}).json()
    assert early["rules"][0]["current_version"] == 1 and early["rules"][0]["not_resigned_after_revision"] == []
    home = c.get("/coordination?at=2017-02-01", follow_redirects=False)   # the navigation's entry
    assert home.status_code == 303 and home.headers["location"].endswith("/coordination?at=2017-02-01")
    assert "Quận Long Biên" in c.get(home.headers["location"]).text
    c.get("/lang/en")
    english = c.get(f"/units/{world.ngoc_lam}/coordination?at=2017-02-01").text
    assert "Coordination rules" in english and "To be signed again" in english and "Cần ký" not in english
    # a viewer reads the same figures without the names
    v, _ = world.client("xem.longbien")
    seen = v.get(f"/api/v1/units/{world.ngoc_lam}/coordination", params={"at": "2017-02-01", "year": 2016}).json()
    assert seen["rules"][0]["signed"] == 29
    assert all(p["name"] is None for row in seen["rules"][0]["rows"] for p in row["signatories"])
    names = {n for row in cli["rows"] for n in row["signatories"]}
    vpage = v.get(f"/units/{world.ngoc_lam}/coordination?at=2017-02-01").text
    assert names and not any(n in vpage for n in names) and "Ghi nhận ký kết" not in vpage


def test_signing_re_signing_and_evaluating_through_the_forms_and_the_api(world: World) -> None:
    with db.get_engine(world.url).begin() as conn:
        service.create_rule(conn, code="QC-TT", name="Quy chế phối hợp tổ trưởng - trưởng ban CTMT (Thượng Thanh)",
                            party_a=Party(PartyKind.TITLE, "to_truong"), party_b=Party(PartyKind.TITLE,
                                                                                        "truong_ban_ctmt"),
                            unit_level=Level.RESIDENTIAL_GROUP, adopted_on=dt.date(2025, 1, 2),
                            duties=["Thực hiện quy chế dân chủ ở cơ sở", "Hòa giải ở cơ sở"])
        groups = sorted(repo.children(conn, world.thuong_thanh, dt.date(2025, 3, 1)), key=lambda u: u.code)
        ready = [g for g in groups if {"to_truong", "truong_ban_ctmt"} <= {
            h.title_code for h in repo.holdings_at(conn, dt.date(2025, 3, 1), unit_ids=[g.id])}]
    assert ready, "the demo's groups hold both signing titles"
    c, tok = world.client("phuong.thuongthanh")
    h = {"X-CSRF-Token": tok}
    before = _count(world.url, ct.coord_signing)
    r = c.post(f"/units/{world.thuong_thanh}/coordination/sign?at=2025-03-01", follow_redirects=False,
               data={"csrf_token": tok, "rule": "QC-TT", "signed_on": "01/03/2025", "skip_vacant": "yes"})
    assert r.status_code == 303, r.text[-500:]
    signed = _count(world.url, ct.coord_signing) - before
    assert signed == len(ready)
    assert f"signed={signed}" in r.headers["location"]
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and 'id="coord-done"' in page.text
    # signing the same version again is refused with the service's message, and nothing is written
    again = c.post(f"/units/{world.thuong_thanh}/coordination/sign?at=2025-03-01",
                   data={"csrf_token": tok, "rule": "QC-TT", "signed_on": "02/03/2025", "skip_vacant": "yes"})
    assert again.status_code == 400 and "đã ký phiên bản 1" in again.text
    assert _count(world.url, ct.coord_signing) - before == signed
    # a revision, then one group re-signs through the API: the others are listed as not re-signed
    with db.get_engine(world.url).begin() as conn:
        service.revise_rule(conn, "QC-TT", adopted_on=dt.date(2025, 4, 1), duties=["Nội dung sửa đổi"])
    first = ready[0]
    r = c.post(f"/api/v1/units/{first.id}/coordination/signings", headers=h,
               json={"rule": "QC-TT", "signed_on": "2025-04-15"})
    assert r.status_code == 201, r.text
    assert [(x["unit"]["id"], x["version"]) for x in r.json()["signed"]] == [(first.id, 2)]
    st = c.get(f"/api/v1/units/{world.thuong_thanh}/coordination", params={"at": "2025-04-20"}).json()
    (rule,) = [x for x in st["rules"] if x["rule"]["code"] == "QC-TT"]
    assert rule["signed_current_version"] == 1 and len(rule["not_resigned_after_revision"]) == len(ready) - 1
    # the yearly evaluation of that group: 34/40 = 85 % gives "tot" (tinhgon's default scale)
    r = c.post(f"/api/v1/units/{first.id}/coordination/evaluations", headers={"X-CSRF-Token": tok},
               json={"rule": "QC-TT", "year": 2025, "evaluated_on": "2025-06-20",
                     "scores": [{"criterion": "Dân chủ", "score": 18, "max_score": 20},
                                {"criterion": "Hòa giải", "score": 16, "max_score": 20}]})
    assert r.status_code == 201 and r.json()["rating"] == "tot" and r.json()["total"] == 34
    r = c.post(f"/units/{ready[-1].id}/coordination/evaluate?at=2025-06-20", follow_redirects=False,
               data={"csrf_token": tok, "rule": "QC-TT", "year": "2025", "evaluated_on": "20/06/2025",
                     "scores": "Dân chủ=19/20\nHòa giải=19/20|tốt"})
    assert r.status_code == 303 and "evaluated=xuat_sac" in r.headers["location"]
    bad = c.post(f"/units/{ready[-1].id}/coordination/evaluate?at=2025-06-20",
                 data={"csrf_token": tok, "rule": "QC-TT", "year": "2025", "evaluated_on": "21/06/2025",
                       "scores": "Dân chủ=21/20"})
    assert bad.status_code == 400 and "không hợp lệ" in bad.text
    assert _count(world.url, ct.coord_evaluation) == 29 * 2 + 2
    # a viewer and a missing token are refused; an account outside the ward too
    v, vtok = world.client("xem.longbien")
    assert v.post(f"/api/v1/units/{first.id}/coordination/signings", headers={"X-CSRF-Token": vtok},
                  json={"rule": "QC-TT", "signed_on": "2025-04-16"}).status_code == 403
    assert c.post(f"/api/v1/units/{first.id}/coordination/signings",
                  json={"rule": "QC-TT", "signed_on": "2025-04-16"}).status_code == 403
    outside = c.post(f"/api/v1/units/{world.ngoc_lam}/coordination/signings?at=2017-02-01", headers=h,
                     json={"rule": example.RULE_CODE, "signed_on": "2017-02-01"})
    assert outside.status_code == 403 and "phạm vi" in outside.json()["detail"]   # Ngọc Lâm: another ward
    assert _count(world.url, ct.coord_signing) - before == signed + 1


def test_delegations_active_expiring_revoked_lapsed_and_who_may(world: World) -> None:
    c, tok = world.client("quan.longbien")
    h = {"X-CSRF-Token": tok}
    # refused: this act cannot be delegated (nothing written)
    r = c.post(f"/units/{world.gia_thuy}/delegations?at=2021-07-15",
               data={"csrf_token": tok, "acts": "chung_thuc_hop_dong", "valid_from": "15/07/2021",
                     "to_title": "tu_phap_ho_tich"})
    assert r.status_code == 400 and "không được ủy quyền" in r.text
    assert _count(world.url, ct.delegation) == 0
    # the chairman delegates certifying copies to the justice officer, 15/07/2021 to 14/07/2022
    r = c.post(f"/units/{world.gia_thuy}/delegations?at=2021-07-15", follow_redirects=False,
               data={"csrf_token": tok, "acts": [ACT, "chung_thuc_chu_ky"], "valid_from": "15/07/2021",
                     "last_day": "14/07/2022", "to_title": "tu_phap_ho_tich", "doc_number": "15/QĐ-UBND",
                     "doc_date": "10/07/2021", "issuer": "UBND phường Gia Thụy"})
    assert r.status_code == 303, r.text[-500:]
    did = int(re.search(r"granted=(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    with db.get_engine(world.url).connect() as conn:
        ward = repo.unit_at(conn, world.gia_thuy, START)
        assert ward is not None
        officer = next(x.person_id for x in repo.holdings_at(conn, START, [ward.id])
                       if x.title_code == "tu_phap_ho_tich")
        expected = delegation.who_may(conn, ward, ACT, dt.date(2022, 7, 1))
    url = f"/api/v1/units/{world.gia_thuy}/delegations"
    soon = c.get(url, params={"at": "2022-07-01"}).json()
    (d,) = soon["delegations"]
    assert d["id"] == did and d["status"] == "active" and d["expiring"] and d["days_left"] == 13
    assert d["last_day"] == "2022-07-14" and soon["counts"] == {"active": 1}
    who = c.get(f"/api/v1/units/{world.gia_thuy}/who-may", params={"act": ACT, "at": "2022-07-01"}).json()
    assert [(p["person_id"], p["basis"], p["expiring"]) for p in who["performers"]] == \
        [(p.person_id, p.basis, p.expiring) for p in expected.performers]
    assert (officer, "delegation") in {(p["person_id"], p["basis"]) for p in who["performers"]}
    page = c.get(f"/units/{world.gia_thuy}/delegations?at=01/07/2022")
    assert page.status_code == 200 and "SẮP HẾT HẠN" in page.text and "14/07/2022" in page.text
    after = c.get(url, params={"at": "2022-07-15"}).json()["delegations"][0]
    assert after["status"] == "expired" and not after["expiring"]
    # revoked from 01/02/2022 through the API: kept in the history with its planned end
    r = c.post(f"{url}/{did}/revocation", headers=h, json={"on": "2022-02-01", "doc_number": "05/QĐ-UBND",
                                                          "reason": "Sắp xếp lại công việc"})
    assert r.status_code == 200 and r.json()["revoked_on"] == "2022-02-01"
    assert r.json()["planned_last_day"] == "2022-07-14"
    assert c.get(url, params={"at": "2022-03-01"}).json()["delegations"][0]["status"] == "revoked"
    twice = c.post(f"/units/{world.gia_thuy}/delegations/{did}/revoke?at=2022-03-01",
                   data={"csrf_token": tok, "on": "01/03/2022"})
    assert twice.status_code == 400 and "đã bị thu hồi" in twice.text
    assert c.post(f"{url}/999999/revocation", headers=h, json={"on": "2022-02-01"}).status_code == 404
    # a new delegation without end; then the chairman leaves the title: it lapses, shown with the reason
    r = c.post(url, headers=h, json={"acts": [ACT], "valid_from": "2022-02-01", "to_title": "tu_phap_ho_tich",
                                     "doc_number": "02/QĐ-UBND"})
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    change = dt.date(2022, 5, 1)
    with db.get_engine(world.url).begin() as conn:
        H = s.title_holding
        old = conn.execute(select(H).where(H.c.unit_id == world.gia_thuy, H.c.title_code == "chu_tich_ubnd",
                                           H.c.valid_from <= change, (H.c.valid_to.is_(None)) | (H.c.valid_to > change))
                           ).one()
        conn.execute(H.update().where(H.c.id == old.id).values(valid_to=change))
    rows = c.get(url, params={"at": "2022-06-01"}).json()
    lapsed = next(x for x in rows["delegations"] if x["id"] == r.json()["id"])
    assert lapsed["status"] == "lapsed" and lapsed["lapsed_on"] == "2022-05-01"
    who = c.get(f"/api/v1/units/{world.gia_thuy}/who-may", params={"act": ACT, "at": "2022-06-01"}).json()
    assert [x["delegation_id"] for x in who["lapsed"]] == [lapsed["id"]]
    assert "bad" in c.get(f"/units/{world.gia_thuy}/delegations?at=2022-06-01").text
    # the viewer reads the history without names and cannot grant
    v, vtok = world.client("xem.longbien")
    seen = v.get(url, params={"at": "2022-06-01"}).json()["delegations"]
    assert len(seen) == 2 and all(x["grantor_name"] is None and x["grantee_name"] is None for x in seen)
    assert v.post(url, headers={"X-CSRF-Token": vtok}, json={"acts": [ACT], "valid_from": "2022-06-01",
                                                             "to_title": "tu_phap_ho_tich"}).status_code == 403
    assert _count(world.url, ct.delegation) == 2


def test_workload_flags_equal_the_services_and_hide_names_from_a_viewer(world: World) -> None:
    c, tok = world.client("quan.longbien")
    r = c.post(f"/api/v1/units/{world.gia_thuy}/delegations", headers={"X-CSRF-Token": tok},
               json={"acts": [ACT], "valid_from": "2021-07-15", "to_title": "tu_phap_ho_tich"})
    assert r.status_code == 201
    day = dt.date(2022, 1, 1)
    with db.get_engine(world.url).connect() as conn:
        ward = repo.unit_at(conn, world.gia_thuy, day)
        assert ward is not None
        cli = report.workload_dict(workload(conn, ward, day))
    api = c.get(f"/api/v1/units/{world.gia_thuy}/workload", params={"at": "2022-01-01", "all": True}).json()
    assert (api["people"], api["holdings"], api["multi_title"], api["civil_servants_many_jobs"]) == \
        (cli["people"], cli["holdings"], cli["multi_title"], cli["civil_servants_many_jobs"])
    assert [(x["person_id"], x["jobs"], x["flags"]) for x in api["rows"]] == \
        [(x["person_id"], x["jobs"], x["flags"]) for x in cli["rows"]]
    assert cli["civil_servants_many_jobs"] >= 1   # the justice officer with a delegation (article 001)
    flagged = [x for x in cli["rows"] if x["flags"]]
    page = c.get(f"/units/{world.gia_thuy}/workload?at=01/01/2022")
    assert page.status_code == 200 and all(x["name"] in page.text for x in flagged)
    assert re.search(rf'id="many-jobs">{cli["civil_servants_many_jobs"]}<', page.text)
    v, _ = world.client("xem.longbien")
    seen = v.get(f"/api/v1/units/{world.gia_thuy}/workload", params={"at": "2022-01-01"}).json()
    assert len(seen["rows"]) == len(flagged) and all(x["name"] is None for x in seen["rows"])
    vpage = v.get(f"/units/{world.gia_thuy}/workload?at=01/01/2022").text
    assert not any(x["name"] in vpage for x in flagged)
    assert c.get(f"/api/v1/units/{world.gia_thuy}/workload", params={"min_titles": 1}).status_code == 422
