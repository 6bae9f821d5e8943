"""How many SQL statements (round trips) the busiest requests of a consultation send (issue #12): a
ballot entered, a residential group edited, a group's detail read, on the demo data and both backends.
The bounds are the counts measured once the reductions were made: a change that adds a query to one
of these paths fails here and has to say why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import OLD, demo_ids, login
from tests.web.statement_count import counting, forget_cached

from tinhgon.registry import db, repo
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

cs = pytest.importorskip("tinhgon.consult.service", reason="the consultation service is not installed yet")
AT = f"at={OLD.isoformat()}"


@pytest.fixture
def site(demo_url: str) -> Any:
    """The demo, a consultation over Thượng Thanh's groups (as bench/web_mixed_load.py opens it) and the
    district officer who reads, enters ballots and edits there."""
    from tinhgon.consult import tables as ct

    ensure_demo_accounts(demo_url)
    ids = demo_ids(demo_url)
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        groups = [u.id for u in repo.children(conn, ids.thuong_thanh, OLD)]
        cid = cs.create_consultation(conn, unit_ids=groups, on=OLD, name="Lấy ý kiến Thượng Thanh")
        codes = [r[0] for r in conn.execute(select(ct.roll_entry.c.voter_code)
                                            .where(ct.roll_entry.c.consultation_id == cid)
                                            .order_by(ct.roll_entry.c.id))]
    app = create_app(demo_url)
    client = TestClient(app)
    token = login(client, "quan.longbien")
    return engine, client, {"X-CSRF-Token": token}, ids, cid, codes


def _ballot(client: TestClient, headers: dict[str, str], cid: int, code: str) -> None:
    r = client.post(f"/api/v1/consultations/{cid}/ballots", headers=headers,
                    json={"household": code, "choice": "agree"})
    assert r.status_code == 201, r.text


def _edit_body(client: TestClient, unit_id: int, day: dt.date | None = None) -> dict[str, Any]:
    """What bench/web_mixed_load.py sends: one more household, from the version's own first day (or DAY),
    with the row_version just read."""
    d = client.get(f"/api/v1/units/{unit_id}?{AT}").json()
    return {"version_id": d["unit"]["version_id"], "row_version": d["row_version"],
            "valid_from": (day or dt.date.fromisoformat(d["unit"]["valid_from"])).isoformat(),
            "households": (d["unit"]["households"] or 0) + 1}


def _patch(client: TestClient, headers: dict[str, str], unit_id: int, body: dict[str, Any]) -> None:
    r = client.patch(f"/api/v1/units/{unit_id}?{AT}", headers=headers, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["unit"]["households"] == body["households"]


# Measured before the reductions (both backends alike): ballot 24 (28 with nothing cached), group edit 27
# (33; a new version 29), group detail API 18 with nothing cached and 1 once cached, its page 19 and 2.


def test_ballot_entry_runs_at_most_12_statements(site) -> None:  # type: ignore[no-untyped-def]
    engine, client, h, _ids, cid, codes = site
    _ballot(client, h, cid, codes[0])  # what every entry after the first finds cached
    with counting(engine) as seen:
        _ballot(client, h, cid, codes[1])
    assert len(seen) <= 12, seen.show()
    forget_cached()
    with counting(engine) as seen:
        _ballot(client, h, cid, codes[2])
    assert len(seen) <= 16, seen.show()


def test_group_edit_runs_at_most_14_statements(site) -> None:  # type: ignore[no-untyped-def]
    engine, client, h, ids, _cid, _codes = site
    for group in (ids.nl_group1, ids.tt_group2):
        body = _edit_body(client, group)
        with counting(engine) as seen:
            _patch(client, h, group, body)
        assert len(seen) <= 14, seen.show()
    body = _edit_body(client, ids.nl_group1)
    forget_cached()
    with counting(engine) as seen:
        _patch(client, h, ids.nl_group1, body)
    assert len(seen) <= 18, seen.show()
    body = _edit_body(client, ids.nl_group1, OLD)  # from a later day: a new version
    with counting(engine) as seen:
        _patch(client, h, ids.nl_group1, body)
    assert len(seen) <= 16, seen.show()


# The group's title holders are named to an officer, and every such showing is logged (one INSERT into the
# audit log, cached answer or not): hence one statement more than the reads alone.
def test_group_detail_api_runs_at_most_12_statements_and_2_once_cached(site) -> None:  # type: ignore[no-untyped-def]
    engine, client, _h, ids, _cid, _codes = site
    forget_cached()
    path = f"/api/v1/units/{ids.tt_group1}?{AT}"
    with counting(engine) as cold:
        r = client.get(path)
    assert r.status_code == 200 and len(r.json()["ancestors"]) == 3
    assert any(h["person_name"] for h in r.json()["holdings"])
    with counting(engine) as warm:
        assert client.get(path).json() == r.json()
    assert len(cold) <= 13, cold.show()
    assert len(warm) <= 3, warm.show()
    assert warm[-1].startswith("INSERT INTO audit_log"), warm.show()


def test_group_detail_page_runs_at_most_13_statements_and_3_once_cached(site) -> None:  # type: ignore[no-untyped-def]
    engine, client, _h, ids, _cid, _codes = site
    forget_cached()
    path = f"/units/{ids.tt_group1}?{AT}"
    with counting(engine) as cold:
        r = client.get(path)
    assert r.status_code == 200 and ids.names[ids.tt_group1] in r.text
    with counting(engine) as warm:
        assert client.get(path).status_code == 200
    assert len(cold) <= 13, cold.show()
    assert len(warm) <= 3, warm.show()
