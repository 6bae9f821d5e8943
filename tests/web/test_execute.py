"""Carrying out a merger through the web: preview writes nothing, the confirmation is required, the
confirmed application changes the registry, and only plan editors inside the scope may do it."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import demo_ids, login
from tests.web.test_plans import _wait

from tinhgon.registry import db, repo
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

pytest.importorskip("tinhgon.execute.service", reason="the merger service (tinhgon.execute) is not installed yet")
pytest.importorskip("tinhgon.planner", reason="the planner is not installed yet")

PLAN_DAY = dt.date(2026, 1, 1)
FORM = {"effective": "01/02/2026", "decision": "12/NQ-HĐND", "decision_date": "15/01/2026",
        "issuer": "HĐND phường Bồ Đề", "naming": "keep-largest"}


def _groups(url: str, ward_id: int, on: dt.date) -> int:
    with db.get_engine(url).connect() as conn:
        return len(repo.children(conn, ward_id, on))


def test_preview_then_confirmed_merger_changes_the_registry(demo_url: str) -> None:
    ensure_demo_accounts(demo_url)
    app = create_app(demo_url)
    demo_ids(demo_url)
    c = TestClient(app)
    tok = login(c, "phuong.bode")
    h = {"X-CSRF-Token": tok}
    ward = c.get("/api/v1/search", params={"q": "00118", "at": PLAN_DAY.isoformat()}).json()["units"][0]
    r = c.post(f"/api/v1/plans?at={PLAN_DAY.isoformat()}", json={"unit_id": ward["id"], "threshold": 450}, headers=h)
    pid = _wait(c, r.json()["id"])["plan_id"]
    plan = c.get(f"/api/v1/plans/{pid}").json()
    merged_groups = sum(1 for g in plan["groups"] if len(g["unit_ids"]) > 1)
    before = _groups(demo_url, ward["id"], dt.date(2026, 2, 1))

    r = c.post(f"/plans/{pid}/execute", data={**FORM, "step": "preview"}, headers=h)
    assert r.status_code == 200 and 'id="preview"' in r.text and 'id="confirm"' in r.text
    assert _groups(demo_url, ward["id"], dt.date(2026, 2, 1)) == before  # the preview wrote nothing
    assert c.get(f"/api/v1/plans/{pid}").json()["status"] == "draft"

    r = c.post(f"/plans/{pid}/execute", data={**FORM, "step": "apply"}, headers=h)
    assert r.status_code == 400 and "xác nhận" in r.text  # not without the tick
    r = c.post(f"/plans/{pid}/execute", data={**FORM, "step": "apply", "confirm": "yes"}, headers=h)
    assert r.status_code == 200 and 'id="execute-done"' in r.text, r.text[-800:]
    after = _groups(demo_url, ward["id"], dt.date(2026, 2, 1))
    units_merged = sum(len(g["unit_ids"]) for g in plan["groups"] if len(g["unit_ids"]) > 1)
    assert after == before - units_merged + merged_groups
    assert _groups(demo_url, ward["id"], dt.date(2026, 1, 31)) == before  # history before the date kept
    assert c.get(f"/api/v1/plans/{pid}").json()["status"] == "applied"
    # the merged groups' titles wait for a staffing decision: the page lists them, as merge status does
    from sqlalchemy import func, select

    from tinhgon.execute.tables import merge_pending_title

    with db.get_engine(demo_url).connect() as conn:
        pending = conn.execute(select(func.count()).select_from(merge_pending_title)).scalar()
    page = c.get(f"/plans/{pid}/execute").text
    assert pending and f"Chức danh chờ quyết định nhân sự: {pending} / {pending}" in page


def test_viewers_csrf_and_outsiders_cannot_carry_out(demo_url: str) -> None:
    ensure_demo_accounts(demo_url)
    app = create_app(demo_url)
    c = TestClient(app)
    tok = login(c, "phuong.bode")
    ward = c.get("/api/v1/search", params={"q": "00118", "at": PLAN_DAY.isoformat()}).json()["units"][0]
    r = c.post(f"/api/v1/plans?at={PLAN_DAY.isoformat()}", json={"unit_id": ward["id"], "threshold": 450},
               headers={"X-CSRF-Token": tok})
    pid = _wait(c, r.json()["id"])["plan_id"]
    assert c.post(f"/plans/{pid}/execute", data={**FORM, "step": "apply", "confirm": "yes"}).status_code == 403
    viewer = TestClient(app)
    vtok = login(viewer, "xem.longbien")
    assert viewer.post(f"/plans/{pid}/execute", headers={"X-CSRF-Token": vtok},
                       data={**FORM, "step": "apply", "confirm": "yes"}).status_code == 403
    other = TestClient(app)
    otok = login(other, "phuong.thuongthanh")  # a legacy ward: Bồ Đề (new) is not under it
    assert other.get(f"/plans/{pid}/execute").status_code == 403
    assert other.post(f"/plans/{pid}/execute", headers={"X-CSRF-Token": otok},
                      data={**FORM, "step": "apply", "confirm": "yes"}).status_code == 403
    assert c.get(f"/api/v1/plans/{pid}").json()["status"] == "draft"
