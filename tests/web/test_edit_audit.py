"""An edit from the web is logged whole: every UPDATE of the unit version with the row before and after
(read here independently), the new version's INSERT; a refused edit (stale form, date outside the
version, unknown version) writes nothing, logs nothing and leaves the data version as it was."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.web.conftest import OLD, demo_ids, login
from tests.web.test_edit import _form

from tinhgon.registry import db
from tinhgon.registry import schema as s
from tinhgon.reliability import dataversion
from tinhgon.reliability.tables import audit_log
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

AT = f"at={OLD.isoformat()}"
UV = s.unit_version


@pytest.fixture
def setup(demo_url: str):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(demo_url)
    app = create_app(demo_url)
    ids = demo_ids(demo_url)
    c = TestClient(app)
    tok = login(c, "quan.longbien")
    return c, {"X-CSRF-Token": tok}, ids, db.get_engine(demo_url)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON gives it back: dates as ISO text, decimals as text."""
    def one(v: Any) -> Any:
        if isinstance(v, dt.date | dt.datetime):
            return v.isoformat()
        return str(v) if isinstance(v, Decimal) else v
    return {k: one(v) for k, v in row.items()}


def _row(conn: Connection, version_id: int) -> dict[str, Any]:
    return dict(conn.execute(select(UV).where(UV.c.id == version_id)).one()._mapping)


def _last_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())


def _entries_after(conn: Connection, last: int) -> list[dict[str, Any]]:
    q = select(audit_log).where(audit_log.c.id > last).order_by(audit_log.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


def test_an_edit_on_the_versions_own_date_logs_both_updates_with_the_rows_before_and_after(setup) -> None:  # type: ignore[no-untyped-def]
    c, h, ids, engine = setup
    d = c.get(f"/api/v1/units/{ids.tt_group1}?{AT}").json()
    vid = d["unit"]["version_id"]
    with engine.connect() as conn:
        before, last = _row(conn, vid), _last_id(conn)
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    r = c.patch(f"/api/v1/units/{ids.tt_group1}?{AT}", headers=h,
                json={"version_id": vid, "row_version": d["row_version"], "valid_from": d["unit"]["valid_from"],
                      "households": (before["households"] or 0) + 5, "name": "Tổ dân phố số 1 mới"})
    assert r.status_code == 200, r.text
    assert r.json()["row_version"] == before["row_version"] + 1
    with engine.connect() as conn:
        after, log = _row(conn, vid), _entries_after(conn, last)
    assert (after["households"], after["name"]) == ((before["households"] or 0) + 5, "Tổ dân phố số 1 mới")
    bumped = {**before, "row_version": before["row_version"] + 1}
    assert [(e["action"], e["table_name"], e["row_id"], e["unit_id"]) for e in log] == \
        [("update", "unit_version", str(vid), ids.tt_group1)] * 2
    assert [json.loads(e["before"]) for e in log] == [_plain(before), _plain(bumped)]
    assert [json.loads(e["after"]) for e in log] == [_plain(bumped), _plain(after)]
    assert all(e["actor"] and start - dt.timedelta(seconds=1) <= e["at"] for e in log)


def test_an_edit_from_a_later_date_logs_the_bump_the_closing_and_the_new_version(setup) -> None:  # type: ignore[no-untyped-def]
    c, h, ids, engine = setup
    d = c.get(f"/api/v1/units/{ids.tt_group2}?{AT}").json()
    vid = d["unit"]["version_id"]
    with engine.connect() as conn:
        before, last = _row(conn, vid), _last_id(conn)
    r = c.patch(f"/api/v1/units/{ids.tt_group2}?{AT}", headers=h,
                json={"version_id": vid, "row_version": d["row_version"], "valid_from": "2025-01-01",
                      "households": 480})
    assert r.status_code == 200, r.text
    new_vid = r.json()["unit"]["version_id"]
    assert new_vid != vid
    with engine.connect() as conn:
        closed, new, log = _row(conn, vid), _row(conn, new_vid), _entries_after(conn, last)
    bumped = {**before, "row_version": before["row_version"] + 1}
    assert closed == {**bumped, "valid_to": dt.date(2025, 1, 1)}
    assert [(e["action"], e["row_id"]) for e in log] == [("update", str(vid)), ("update", str(vid)),
                                                         ("insert", str(new_vid))]
    assert [json.loads(e["before"]) for e in log[:2]] == [_plain(before), _plain(bumped)]
    assert [json.loads(e["after"]) for e in log[:2]] == [_plain(bumped), _plain(closed)]
    assert log[2]["before"] is None
    inserted = json.loads(log[2]["after"])
    assert inserted == {k: v for k, v in _plain(new).items() if k in inserted}
    assert (inserted["households"], inserted["valid_from"], inserted["row_version"]) == (480, "2025-01-01", 1)


def test_a_refused_edit_writes_nothing_logs_nothing_and_keeps_the_data_version(setup) -> None:  # type: ignore[no-untyped-def]
    c, h, ids, engine = setup
    d = c.get(f"/api/v1/units/{ids.tt_group1}?{AT}").json()
    vid, rv, start = d["unit"]["version_id"], d["row_version"], d["unit"]["valid_from"]
    form = _form(c.get(f"/units/{ids.tt_group1}/edit?{AT}").text)
    with engine.connect() as conn:
        row, last, version = _row(conn, vid), _last_id(conn), dataversion.current(conn)

    def unchanged() -> None:
        with engine.connect() as conn:
            assert _row(conn, vid) == row
            assert _entries_after(conn, last) == []
            assert dataversion.current(conn) == version

    api = f"/api/v1/units/{ids.tt_group1}?{AT}"
    r = c.patch(api, headers=h, json={"version_id": vid, "row_version": rv + 1, "valid_from": start, "households": 1})
    assert r.status_code == 409 and "người khác" in r.json()["detail"]
    unchanged()
    r = c.patch(api, headers=h, json={"version_id": vid, "row_version": rv, "valid_from": "2001-01-01",
                                      "households": 1})
    assert r.status_code == 400 and "thời hạn của phiên bản" in r.json()["detail"]
    unchanged()
    r = c.patch(api, headers=h, json={"version_id": vid + 100_000, "row_version": rv, "valid_from": start,
                                      "households": 1})
    assert r.status_code == 400 and "không có phiên bản" in r.json()["detail"]
    unchanged()
    # the form shows the refusal as a page, and the request's transaction commits: still nothing
    page = f"/units/{ids.tt_group1}/edit?{AT}"
    r = c.post(page, data={**form, "row_version": str(rv + 1), "households": "1"})
    assert r.status_code == 409 and "người khác" in r.text
    unchanged()
    r = c.post(page, data={**form, "valid_from": "01/01/2001", "households": "1"})
    assert r.status_code == 400 and "thời hạn của phiên bản" in r.text
    unchanged()
    # the form as it was read goes through: the only change, logged, and the registry's counter moves
    day = dt.date.fromisoformat(start).strftime("%d/%m/%Y")
    r = c.post(page, data={**form, "valid_from": day, "households": "2"}, follow_redirects=False)
    assert r.status_code == 303
    with engine.connect() as conn:
        assert _row(conn, vid)["households"] == 2
        assert len(_entries_after(conn, last)) == 2
        assert dataversion.current(conn)[0] == version[0] + 1
