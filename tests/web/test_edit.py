"""Editing a unit: CSRF on every state-changing request, a new version from a date, and optimistic
locking: the second of two concurrent edits gets a clear conflict and nothing is lost."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import OLD, demo_ids, login

from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

AT = f"at={OLD.isoformat()}"


@pytest.fixture
def setup(demo_url: str):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(demo_url)
    app = create_app(demo_url)
    return app, demo_ids(demo_url), demo_url


def _form(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    fields.pop("at", None)
    return fields


def _versions(url: str, unit_id: int) -> list:  # type: ignore[type-arg]
    with db.get_engine(url).connect() as conn:
        return repo.unit_history(conn, unit_id)


def test_second_concurrent_edit_gets_a_conflict_and_keeps_what_was_typed(setup) -> None:  # type: ignore[no-untyped-def]
    app, ids, url = setup
    a, b = TestClient(app), TestClient(app)
    login(a, "quan.longbien")
    login(b, "phuong.thuongthanh")
    form_a = _form(a.get(f"/units/{ids.tt_group1}/edit?{AT}").text)
    form_b = _form(b.get(f"/units/{ids.tt_group1}/edit?{AT}").text)
    assert form_a["row_version"] == form_b["row_version"]

    r = a.post(f"/units/{ids.tt_group1}/edit?{AT}", data={**form_a, "name": "Tổ dân phố số 1 (A)", "households": "500"},
               follow_redirects=False)
    assert r.status_code == 303
    r = b.post(f"/units/{ids.tt_group1}/edit?{AT}", data={**form_b, "name": "Tổ dân phố số 1 (B)", "households": "777"})
    assert r.status_code == 409, re.findall(r'class="error"[^<]*>(.*?)</div>', r.text, re.S)
    assert "người khác" in r.text                      # says what happened, in Vietnamese
    assert 'value="Tổ dân phố số 1 (B)"' in r.text     # B's typing is still in the form
    assert 'value="777"' in r.text
    assert "Tổ dân phố số 1 (A)" in r.text             # and A's saved values are shown
    now = repo_unit(url, ids.tt_group1, OLD)
    assert (now.name, now.households) == ("Tổ dân phố số 1 (A)", 500)  # A's edit is kept, B wrote nothing

    # B saves again from the conflict form: deliberate, and it now goes through
    again = _form(r.text)
    r = b.post(f"/units/{ids.tt_group1}/edit?{AT}", data={**again, "name": "Tổ dân phố số 1 (B)", "households": "777"},
               follow_redirects=False)
    assert r.status_code == 303
    assert repo_unit(url, ids.tt_group1, OLD).households == 777


def repo_unit(url: str, unit_id: int, on: dt.date):  # type: ignore[no-untyped-def]
    with db.get_engine(url).connect() as conn:
        return repo.unit_at(conn, unit_id, on)


def test_edit_from_a_later_date_makes_a_new_version(setup) -> None:  # type: ignore[no-untyped-def]
    app, ids, url = setup
    c = TestClient(app)
    tok = login(c, "phuong.thuongthanh")
    before = repo_unit(url, ids.tt_group2, OLD)
    detail = c.get(f"/api/v1/units/{ids.tt_group2}?{AT}").json()
    r = c.patch(f"/api/v1/units/{ids.tt_group2}", headers={"X-CSRF-Token": tok},
                json={"version_id": detail["unit"]["version_id"], "row_version": detail["row_version"],
                      "valid_from": "2025-01-01", "households": 480})
    assert r.status_code == 200, r.text
    assert repo_unit(url, ids.tt_group2, dt.date(2024, 12, 31)).households == before.households
    assert repo_unit(url, ids.tt_group2, dt.date(2025, 1, 1)).households == 480
    spans = [(v.valid_from, v.valid_to) for v in _versions(url, ids.tt_group2)]
    assert (before.valid_from, dt.date(2025, 1, 1)) in spans and (dt.date(2025, 1, 1), dt.date(2025, 7, 1)) in spans
    # the same stale row_version again: 409, nothing written
    r = c.patch(f"/api/v1/units/{ids.tt_group2}", headers={"X-CSRF-Token": tok},
                json={"version_id": detail["unit"]["version_id"], "row_version": detail["row_version"],
                      "valid_from": "2025-03-01", "households": 1})
    assert r.status_code == 409 and "người khác" in r.json()["detail"]
    assert len(_versions(url, ids.tt_group2)) == len(spans)


def test_state_changing_requests_without_the_csrf_token_are_refused(setup) -> None:  # type: ignore[no-untyped-def]
    app, ids, url = setup
    c = TestClient(app)
    tok = login(c, "quan.longbien")
    form = _form(c.get(f"/units/{ids.tt_group1}/edit?{AT}").text)
    unchanged = repo_unit(url, ids.tt_group1, OLD)
    no_token = {k: v for k, v in form.items() if k != "csrf_token"}
    for data in (no_token, {**form, "csrf_token": "forged"}):
        r = c.post(f"/units/{ids.tt_group1}/edit?{AT}", data={**data, "households": "1"})
        assert r.status_code == 403 and "CSRF" in r.text
    body = {"version_id": unchanged.version_id, "row_version": 1, "valid_from": OLD.isoformat(), "households": 1}
    assert c.patch(f"/api/v1/units/{ids.tt_group1}", json=body).status_code == 403
    assert c.patch(f"/api/v1/units/{ids.tt_group1}", json=body, headers={"X-CSRF-Token": "x" + tok}).status_code == 403
    assert repo_unit(url, ids.tt_group1, OLD).households == unchanged.households
    # logging out is state-changing too
    assert c.post("/logout", follow_redirects=False).status_code == 403
    # and the login form carries its own token
    fresh = TestClient(app)
    r = fresh.post("/login", data={"username": "quan.longbien", "password": "tinhgon-demo"}, follow_redirects=False)
    assert r.status_code == 403


def test_roles_without_edit_rights_cannot_edit(setup) -> None:  # type: ignore[no-untyped-def]
    app, ids, url = setup
    for user in ("xem.longbien", "to.thuongthanh02"):
        c = TestClient(app)
        tok = login(c, user)
        detail = c.get(f"/api/v1/units/{ids.tt_group2}?{AT}").json()
        r = c.patch(f"/api/v1/units/{ids.tt_group2}", headers={"X-CSRF-Token": tok},
                    json={"version_id": detail["unit"]["version_id"], "row_version": detail["row_version"],
                          "valid_from": OLD.isoformat(), "households": 1})
        assert r.status_code == 403
    with db.get_engine(url).connect() as conn:
        assert conn.execute(select(s.unit_version.c.households).where(
            s.unit_version.c.id == detail["unit"]["version_id"])).scalar_one() != 1


def test_wrong_password_is_refused_without_a_session(setup) -> None:  # type: ignore[no-untyped-def]
    app, _ids, _url = setup
    c = TestClient(app)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"username": "quan.longbien", "password": "sai-mat-khau", "csrf_token": token})
    assert r.status_code == 401 and "Sai tên đăng nhập" in r.text
    assert c.get("/api/v1/auth/me").status_code == 401
