"""Every page and API endpoint × role × inside / outside the account's scope: 200 inside (where the role
allows), 403 outside, and nothing of the refused unit in the answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.web.conftest import OLD, DemoIds

from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

AT = f"at={OLD.isoformat()}"

# (name, path with {u}, needs personal data, needs edit rights)
ENDPOINTS = [
    ("dashboard", "/units/{u}/dashboard?" + AT, False, False),
    ("detail", "/units/{u}?" + AT, False, False),
    ("people", "/units/{u}/people?" + AT, True, False),
    ("audit", "/units/{u}/audit?" + AT, False, False),
    ("edit_form", "/units/{u}/edit?" + AT, False, True),
    ("tree_children", "/tree/{u}/children?" + AT, False, False),
    ("api_dashboard", "/api/v1/units/{u}/dashboard?" + AT, False, False),
    ("api_detail", "/api/v1/units/{u}?" + AT, False, False),
    ("api_people", "/api/v1/units/{u}/people?" + AT, True, False),
    ("api_audit", "/api/v1/units/{u}/audit?" + AT, False, False),
    ("api_cells", "/api/v1/units/{u}/cells?" + AT, False, False),
    ("api_tree", "/api/v1/tree?parent={u}&" + AT, False, False),
]

# account -> (unit inside its scope, unit outside it), as DemoIds attribute names
ACCOUNTS = {
    "tinh.hanoi": ("thuong_thanh", "haiphong_ward"),
    "quan.longbien": ("thuong_thanh", "phuc_xa"),
    "phuong.thuongthanh": ("thuong_thanh", "ngoc_lam"),
    "to.thuongthanh02": ("tt_group2", "tt_group1"),
    "xem.longbien": ("thuong_thanh", "phuc_xa"),
}
PERSONAL = {"tinh.hanoi", "quan.longbien", "phuong.thuongthanh", "to.thuongthanh02"}
EDITORS = {"tinh.hanoi", "quan.longbien", "phuong.thuongthanh"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("username", list(ACCOUNTS))
@pytest.mark.parametrize("where", ["inside", "outside"])
def test_scope_and_role_decide_access(clients, ids: DemoIds, endpoint, username: str, where: str) -> None:
    name, path, personal, edit = endpoint
    client, _tok = clients[username]
    inside, outside = (getattr(ids, a) for a in ACCOUNTS[username])
    unit = inside if where == "inside" else outside
    r = client.get(path.format(u=unit))
    if where == "outside":
        assert r.status_code == 403, (name, username, r.text[:300])
        assert ids.names[outside] not in r.text  # the refused unit's name never leaks
        assert "phạm vi" in r.text  # a Vietnamese explanation
        return
    allowed = (not personal or username in PERSONAL) and (not edit or username in EDITORS)
    assert r.status_code == (200 if allowed else 403), (name, username, r.text[:300])


def test_unauthenticated_pages_redirect_to_login_and_api_says_401(web_app, ids: DemoIds) -> None:
    from fastapi.testclient import TestClient

    with TestClient(web_app) as c:
        r = c.get(f"/units/{ids.thuong_thanh}/dashboard?{AT}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert c.get(f"/api/v1/units/{ids.thuong_thanh}?{AT}").status_code == 401


def _holder_names(url: str, unit_id: int) -> list[str]:
    with db.get_engine(url).connect() as conn:
        hs = repo.holdings_at(conn, OLD, [unit_id])
        rows = conn.execute(select(s.person.c.full_name).where(s.person.c.id.in_([h.person_id for h in hs])))
        return [r[0] for r in rows]


def test_viewer_sees_titles_but_no_names(clients, ids: DemoIds, web_db: str) -> None:
    names = _holder_names(web_db, ids.tt_group1)
    assert names
    viewer, _ = clients["xem.longbien"]
    page = viewer.get(f"/units/{ids.tt_group1}?{AT}")
    api = viewer.get(f"/api/v1/units/{ids.tt_group1}?{AT}")
    assert page.status_code == 200 and api.status_code == 200
    for n in names:
        assert n not in page.text and n not in api.text
    assert all(h["person_name"] is None for h in api.json()["holdings"])
    officer, _ = clients["phuong.thuongthanh"]
    assert all(n in officer.get(f"/units/{ids.tt_group1}?{AT}").text for n in names)


def test_search_never_returns_units_outside_the_scope(clients, ids: DemoIds) -> None:
    client, _ = clients["phuong.thuongthanh"]
    assert client.get(f"/api/v1/search?q=Ngoc+Lam&{AT}").json()["units"] == []
    assert "Ngọc Lâm" not in client.get(f"/search?q=Ngoc+Lam&{AT}").text
    found = client.get(f"/api/v1/search?q=thuong+thanh&{AT}").json()["units"]
    assert ids.thuong_thanh in [u["id"] for u in found]


def test_district_scope_after_the_reform_covers_only_what_came_of_the_district(clients, ids: DemoIds) -> None:
    """Long Biên's groups stay in scope after 2025-07-01; a new ward that also took in another district's
    territory (Xã Bát Tràng took parts of Thạch Bàn and Cự Khối) does not."""
    client, _ = clients["quan.longbien"]
    assert client.get(f"/api/v1/units/{ids.tt_group1}?at=2025-07-01").status_code == 200
    roots = client.get("/api/v1/tree?at=2025-07-01").json()["units"]
    names = {u["name"] for u in roots}
    assert "Xã Bát Tràng" not in names
    assert any(u["level"] == "residential_group" or u["level"] == "commune" for u in roots)


def test_plan_endpoints_follow_the_scope(clients, ids: DemoIds) -> None:
    client, _ = clients["tinh.hanoi"]
    assert client.get("/plans?" + AT).status_code == 200
    assert client.get("/api/v1/plans").status_code == 200
    assert client.get("/api/v1/plans/999999").status_code == 404
