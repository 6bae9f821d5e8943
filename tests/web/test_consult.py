"""Consultation through the web: opened from a plan, ballots entered by a group officer (only for the
households of their group), the live tally counted independently, CSRF and scope enforced."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.web.conftest import OLD, demo_ids, login
from tests.web.test_plans import _wait

from tinhgon.registry import db
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

pytest.importorskip("tinhgon.consult.service", reason="the consultation service is not installed yet")
pytest.importorskip("tinhgon.planner", reason="the planner is not installed yet")


@pytest.fixture
def consult(demo_url: str):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(demo_url)
    app = create_app(demo_url)
    ids = demo_ids(demo_url)
    boss = TestClient(app)
    tok = login(boss, "phuong.thuongthanh")
    h = {"X-CSRF-Token": tok}
    r = boss.post(f"/api/v1/plans?at={OLD.isoformat()}", json={"unit_id": ids.thuong_thanh, "threshold": 450},
                  headers=h)
    pid = _wait(boss, r.json()["id"])["plan_id"]
    r = boss.post(f"/api/v1/plans/{pid}/consultation", headers=h)
    assert r.status_code == 201, r.text
    return app, ids, demo_url, boss, h, r.json()


def _household_codes(url: str, cid: int, unit_id: int) -> list[str]:
    with db.get_engine(url).connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT voter_code FROM roll_entry WHERE consultation_id = :c AND unit_id = :u ORDER BY voter_code"),
            {"c": cid, "u": unit_id})]


def test_group_officer_enters_ballots_and_the_tally_counts_them(consult) -> None:  # type: ignore[no-untyped-def]
    app, ids, url, boss, _h, tally = consult
    cid = tally["consultation_id"]
    merged = {u["unit_id"] for u in tally["units"]}
    if ids.tt_group2 not in merged:
        pytest.skip("the plan leaves Tổ dân phố số 2 alone; nothing to consult there")
    officer = TestClient(app)
    tok = login(officer, "to.thuongthanh02")
    codes = _household_codes(url, cid, ids.tt_group2)
    choices = ["agree"] * 5 + ["disagree"] * 2 + ["invalid"]
    for code, choice in zip(codes, choices, strict=False):
        r = officer.post(f"/api/v1/consultations/{cid}/ballots", headers={"X-CSRF-Token": tok},
                         json={"household": code, "choice": choice})
        assert r.status_code == 201, r.text
    # one household, one ballot
    again = officer.post(f"/api/v1/consultations/{cid}/ballots", headers={"X-CSRF-Token": tok},
                         json={"household": codes[0], "choice": "disagree"})
    assert again.status_code == 400
    mine = officer.get(f"/api/v1/consultations/{cid}/tally").json()
    assert [u["unit_id"] for u in mine["units"]] == [ids.tt_group2]  # only their group is listed
    row = mine["units"][0]
    assert (row["agree"], row["disagree"], row["invalid"], row["roll"]) == (5, 2, 1, len(codes))
    assert abs(row["agree_share"] - 5 / len(codes)) < 1e-9
    page = officer.get(f"/consult/{cid}")
    assert page.status_code == 200 and 'id="ballot-form"' in page.text
    # the ward officer sees every unit of the consultation with the same figures for group 1
    full = boss.get(f"/api/v1/consultations/{cid}/tally").json()
    assert len(full["units"]) == len(merged) and not full["units_outside_scope_hidden"]
    assert next(u for u in full["units"] if u["unit_id"] == ids.tt_group2)["agree"] == 5


def test_ballots_outside_the_group_and_without_csrf_are_refused(consult) -> None:  # type: ignore[no-untyped-def]
    app, ids, url, _boss, _h, tally = consult
    cid = tally["consultation_id"]
    others = [u["unit_id"] for u in tally["units"] if u["unit_id"] != ids.tt_group2]
    officer = TestClient(app)
    tok = login(officer, "to.thuongthanh02")
    if others:
        code = _household_codes(url, cid, others[0])[0]
        r = officer.post(f"/api/v1/consultations/{cid}/ballots", headers={"X-CSRF-Token": tok},
                         json={"household": code, "choice": "agree"})
        assert r.status_code in (400, 403)
    r = officer.post(f"/consult/{cid}/ballots", data={"household": "x", "choice": "agree"})
    assert r.status_code == 403 and "CSRF" in r.text
    viewer = TestClient(app)
    vtok = login(viewer, "xem.longbien")
    r = viewer.post(f"/api/v1/consultations/{cid}/ballots", headers={"X-CSRF-Token": vtok},
                    json={"household": "x", "choice": "agree"})
    assert r.status_code == 403
    outsider = TestClient(app)
    with app.state.engine.begin() as conn:
        from tinhgon.web import auth

        auth.create_user(conn, "test.phucxa", "tinhgon-demo", "commune_officer", ids.phuc_xa, OLD, replace=True)
    login(outsider, "test.phucxa")
    assert outsider.get(f"/api/v1/consultations/{cid}/tally").status_code == 403
    assert outsider.get(f"/consult/{cid}").status_code == 403
