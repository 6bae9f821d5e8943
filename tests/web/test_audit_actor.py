"""Who is named in the audit log for what happens through the web app: the logged-in account, for its
changes and for every time it is shown people's personal data (Nghị định 13/2023/NĐ-CP); never the server's
operating-system user, and never carried over to the next use of a pooled connection."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.conftest import OLD, demo_ids, login

from tinhgon.registry import db
from tinhgon.reliability import auditlog
from tinhgon.reliability.tables import audit_log
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

AT = f"at={OLD.isoformat()}"


@pytest.fixture
def web(demo_url: str):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(demo_url)
    return create_app(demo_url), demo_ids(demo_url), db.get_engine(demo_url)


def _last(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())


def _after(engine: Any, last: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        q = select(audit_log).where(audit_log.c.id > last).order_by(audit_log.c.id)
        return [dict(r._mapping) for r in conn.execute(q)]


def _edit_group(c: TestClient, ids: Any, engine: Any, fields: dict[str, Any]) -> tuple[dict[str, Any], int, Any]:
    """As quan.longbien, PATCH group 1 with FIELDS on the version just read; returns (the detail read before,
    the last audit-log id before the PATCH, the response)."""
    h = {"X-CSRF-Token": login(c, "quan.longbien")}
    d = c.get(f"/api/v1/units/{ids.tt_group1}?{AT}").json()
    last = _last(engine)
    r = c.patch(f"/api/v1/units/{ids.tt_group1}?{AT}", headers=h,
                json={"version_id": d["unit"]["version_id"], "row_version": d["row_version"],
                      "valid_from": d["unit"]["valid_from"], **fields})
    return d, last, r


def test_a_web_edit_is_logged_under_the_logged_in_account(web) -> None:  # type: ignore[no-untyped-def]
    app, ids, engine = web
    c = TestClient(app)
    _d, last, r = _edit_group(c, ids, engine, {"households": 321})
    assert r.status_code == 200, r.text
    changes = [e for e in _after(engine, last) if e["action"] != "read"]
    assert changes and {e["actor"] for e in changes} == {"quan.longbien"}
    # the pooled connection does not keep the account: outside a request the usual actor applies
    with engine.connect() as conn:
        assert auditlog.ACTOR_KEY not in conn.info
        assert auditlog.actor_of(conn) == auditlog.current_actor() != "quan.longbien"


def test_showing_people_logs_one_read_per_person_for_the_account(web) -> None:  # type: ignore[no-untyped-def]
    app, ids, engine = web
    c = TestClient(app)
    login(c, "quan.longbien")
    last = _last(engine)
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    r = c.get(f"/api/v1/units/{ids.tt_group1}/people?{AT}")
    assert r.status_code == 200, r.text
    body = r.json()
    shown = {p["id"] for p in body["title_holders"] + body["household_heads"]}
    assert shown, "the demo group has people to show"
    log = _after(engine, last)
    assert {e["person_id"] for e in log} == shown and len(log) == len(shown)
    assert all(e["action"] == "read" and e["actor"] == "quan.longbien" and e["unit_id"] == ids.tt_group1
               and e["table_name"] == "person" and e["at"] >= start for e in log)
    assert all(e["before"] is None and e["after"] is None for e in log), "the data itself is never logged"


def test_a_cached_unit_answer_with_names_is_logged_every_time(web) -> None:  # type: ignore[no-untyped-def]
    app, ids, engine = web
    c = TestClient(app)
    login(c, "quan.longbien")
    first = c.get(f"/api/v1/units/{ids.thuong_thanh}?{AT}").json()
    named = {h["person_id"] for h in first["holdings"] if h["person_name"]}
    assert named
    last = _last(engine)
    again = c.get(f"/api/v1/units/{ids.thuong_thanh}?{AT}").json()
    assert again == first
    log = _after(engine, last)
    assert {e["person_id"] for e in log} == named and {e["actor"] for e in log} == {"quan.longbien"}


def test_a_viewer_sees_no_names_and_nothing_is_logged(web) -> None:  # type: ignore[no-untyped-def]
    app, ids, engine = web
    c = TestClient(app)
    login(c, "xem.longbien")
    last = _last(engine)
    assert c.get(f"/api/v1/units/{ids.tt_group1}/people?{AT}").status_code == 403
    d = c.get(f"/api/v1/units/{ids.thuong_thanh}?{AT}").json()
    assert d["holdings"] and all(h["person_name"] is None for h in d["holdings"])
    assert c.get(f"/units/{ids.thuong_thanh}?{AT}").status_code == 200
    assert _after(engine, last) == []


def test_the_unit_page_logs_the_title_holders_it_names(web) -> None:  # type: ignore[no-untyped-def]
    app, ids, engine = web
    c = TestClient(app)
    login(c, "phuong.thuongthanh")
    holders = {h["person_id"] for h in c.get(f"/api/v1/units/{ids.thuong_thanh}?{AT}").json()["holdings"]}
    last = _last(engine)
    assert c.get(f"/units/{ids.thuong_thanh}?{AT}").status_code == 200
    log = _after(engine, last)
    assert {e["person_id"] for e in log} == holders
    assert {e["actor"] for e in log} == {"phuong.thuongthanh"}


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": "  "}, {"area_km2": -1.5}])
def test_an_edit_with_nothing_valid_to_change_is_refused_and_writes_nothing(web, body) -> None:  # type: ignore[no-untyped-def]
    app, ids, engine = web
    c = TestClient(app)
    d, last, r = _edit_group(c, ids, engine, body)
    assert r.status_code == 400, r.text
    assert r.json()["detail"]
    assert [e for e in _after(engine, last) if e["action"] != "read"] == []
    assert c.get(f"/api/v1/units/{ids.tt_group1}?{AT}").json()["row_version"] == d["row_version"]
