"""The plan workspace: the planner runs in the background, moves are checked by tinhgon.planner with
live figures, undo and redo, pinned units, stale edits refused, plans compared, scope enforced."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import OLD, demo_ids, login

from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

pytest.importorskip("tinhgon.planner", reason="the planner (tinhgon.planner) is not installed yet")


def _wait(client: TestClient, job_id: str) -> dict:  # type: ignore[type-arg]
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("the planner job did not finish in 60 s")


@pytest.fixture
def ws(demo_url: str):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(demo_url)
    app = create_app(demo_url)
    ids = demo_ids(demo_url)
    c = TestClient(app)
    tok = login(c, "phuong.thuongthanh")
    h = {"X-CSRF-Token": tok}
    r = c.post(f"/api/v1/plans?at={OLD.isoformat()}", json={"unit_id": ids.thuong_thanh, "threshold": 450}, headers=h)
    assert r.status_code == 202, r.text
    job = _wait(c, r.json()["id"])
    assert job["status"] == "done", job
    return app, ids, c, h, job["plan_id"]


def test_planner_job_gives_a_valid_plan_whose_groups_add_up(ws) -> None:  # type: ignore[no-untyped-def]
    _app, ids, c, _h, pid = ws
    plan = c.get(f"/api/v1/plans/{pid}").json()
    assert plan["valid"] is True
    dash = c.get(f"/api/v1/units/{ids.thuong_thanh}/dashboard?at={OLD.isoformat()}").json()
    assert sum(g["households"] for g in plan["groups"]) == dash["households"]
    assert plan["groups_reaching_threshold"] == sum(1 for g in plan["groups"] if g["households"] >= 450)
    page = c.get(f"/plans/{pid}")
    assert page.status_code == 200 and "Phương án hợp lệ" in page.text


def test_move_updates_validity_and_can_be_undone_and_redone(ws) -> None:  # type: ignore[no-untyped-def]
    _app, _ids, c, h, pid = ws
    plan = c.get(f"/api/v1/plans/{pid}").json()
    src = next(g for g in plan["groups"] if len(g["unit_ids"]) > 1)
    unit = src["unit_ids"][0]
    r = c.post(f"/api/v1/plans/{pid}/moves", headers=h,
               json={"unit_id": unit, "target": "new", "row_version": plan["row_version"]})
    assert r.status_code == 200, r.text
    moved = r.json()
    new_group = next(g for g in moved["groups"] if g["unit_ids"] == [unit])
    assert len(moved["groups"]) == len(plan["groups"]) + 1 and moved["can_undo"]
    assert new_group["households"] < 450 or moved["valid"]  # validity comes from the checker
    # a stale row_version is refused and changes nothing
    r = c.post(f"/api/v1/plans/{pid}/moves", headers=h,
               json={"unit_id": unit, "target": src["label"], "row_version": plan["row_version"]})
    assert r.status_code == 409
    assert c.get(f"/api/v1/plans/{pid}").json()["groups"] == moved["groups"]
    undone = c.post(f"/api/v1/plans/{pid}/undo", headers=h, json={"row_version": moved["row_version"]}).json()
    assert undone["groups"] == plan["groups"] and undone["can_redo"] and undone["valid"] == plan["valid"]
    redone = c.post(f"/api/v1/plans/{pid}/redo", headers=h, json={"row_version": undone["row_version"]}).json()
    assert redone["groups"] == moved["groups"] and not redone["can_redo"]


def test_htmx_move_returns_the_workspace_with_figures(ws) -> None:  # type: ignore[no-untyped-def]
    _app, _ids, c, h, pid = ws
    plan = c.get(f"/api/v1/plans/{pid}").json()
    a, b = plan["groups"][0], plan["groups"][1]
    r = c.post(f"/plans/{pid}/move", headers={**h, "HX-Request": "true"},
               data={"unit_id": a["unit_ids"][0], "target": b["label"], "row_version": plan["row_version"]})
    assert r.status_code == 200 and r.headers.get("HX-Trigger") == "plan-changed"
    assert 'id="validity"' in r.text and 'id="fig-p"' in r.text


def test_a_pinned_unit_cannot_be_moved(ws) -> None:  # type: ignore[no-untyped-def]
    _app, _ids, c, h, pid = ws
    plan = c.get(f"/api/v1/plans/{pid}").json()
    unit = plan["groups"][0]["unit_ids"][0]
    pinned = c.post(f"/api/v1/plans/{pid}/locks", headers=h, json={"unit_id": unit}).json()
    assert unit in pinned["locked_unit_ids"]
    r = c.post(f"/api/v1/plans/{pid}/moves", headers=h,
               json={"unit_id": unit, "target": "new", "row_version": pinned["row_version"]})
    assert r.status_code == 400 and "khoá" in r.json()["detail"]
    unpinned = c.post(f"/api/v1/plans/{pid}/locks", headers=h, json={"unit_id": unit}).json()
    assert unit not in unpinned["locked_unit_ids"]


def test_compare_lists_units_grouped_differently(ws) -> None:  # type: ignore[no-untyped-def]
    _app, ids, c, h, pid = ws
    r = c.post(f"/api/v1/plans?at={OLD.isoformat()}", json={"unit_id": ids.thuong_thanh, "threshold": 600}, headers=h)
    other = _wait(c, r.json()["id"])["plan_id"]
    cmp = c.get(f"/api/v1/plans-compare?a={pid}&b={other}").json()
    a = {u: g["label"] for g in cmp["a"]["groups"] for u in g["unit_ids"]}
    b = {u: g["label"] for g in cmp["b"]["groups"] for u in g["unit_ids"]}
    mates_a = {u: frozenset(x for x in a if a[x] == a[u]) for u in a}
    mates_b = {u: frozenset(x for x in b if b[x] == b[u]) for u in b}
    assert {row["unit_id"] for row in cmp["rows"] if row["differs"]} == {u for u in a if mates_a[u] != mates_b[u]}
    assert c.get(f"/plans/compare?a={pid}&b={other}").status_code == 200


def test_plans_outside_the_scope_and_moves_by_viewers_are_refused(ws) -> None:  # type: ignore[no-untyped-def]
    app, ids, _c, _h, pid = ws
    outsider = TestClient(app)
    tok = login(outsider, "tinh.hanoi")
    assert outsider.get(f"/api/v1/plans/{pid}").status_code == 200  # the province sees the ward's plan
    viewer = TestClient(app)
    vtok = login(viewer, "xem.longbien")
    plan = viewer.get(f"/api/v1/plans/{pid}").json()
    r = viewer.post(f"/api/v1/plans/{pid}/moves", headers={"X-CSRF-Token": vtok},
                    json={"unit_id": plan["groups"][0]["unit_ids"][0], "target": "new",
                          "row_version": plan["row_version"]})
    assert r.status_code == 403
    other_ward = TestClient(app)
    ensure_ward_officer(app, ids)
    login(other_ward, "test.ngoclam")
    assert other_ward.get(f"/api/v1/plans/{pid}").status_code == 403
    assert other_ward.get(f"/plans/{pid}").status_code == 403
    assert "Thượng Thanh" not in other_ward.get("/plans?at=2025-06-30").text
    assert tok


def ensure_ward_officer(app, ids) -> None:  # type: ignore[no-untyped-def]
    from tinhgon.web import auth

    with app.state.engine.begin() as conn:
        auth.create_user(conn, "test.ngoclam", "tinhgon-demo", "commune_officer", ids.ngoc_lam, OLD, replace=True)
