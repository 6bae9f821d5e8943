"""Every page and API endpoint × role × inside / outside the account's scope: 200 inside (where the role
allows), 403 outside, and nothing of the refused unit in the answer."""

from __future__ import annotations

from typing import Any

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
    ("coordination", "/units/{u}/coordination?" + AT, False, False),
    ("delegations", "/units/{u}/delegations?" + AT, False, False),
    ("workload", "/units/{u}/workload?" + AT, False, False),
    ("api_coordination", "/api/v1/units/{u}/coordination?" + AT, False, False),
    ("api_delegations", "/api/v1/units/{u}/delegations?" + AT, False, False),
    ("api_workload", "/api/v1/units/{u}/workload?" + AT, False, False),
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


# state-changing coordination calls: (name, "form" | "json", path with {u}, body). Each is refused input for an
# account allowed to make it (400, or 404 for a delegation that does not exist), so the matrix writes nothing:
# outside the scope 403 for every role, inside 403 for roles that may not write.
DAY = OLD.strftime("%d/%m/%Y")
WRITES = [
    ("sign_form", "form", "/units/{u}/coordination/sign?" + AT, {"rule": "KHONG-CO", "signed_on": DAY}),
    ("evaluate_form", "form", "/units/{u}/coordination/evaluate?" + AT,
     {"rule": "KHONG-CO", "year": "2025", "evaluated_on": DAY}),
    ("grant_form", "form", "/units/{u}/delegations?" + AT, {"acts": "khong_co", "valid_from": DAY}),
    ("revoke_form", "form", "/units/{u}/delegations/999999/revoke?" + AT, {"on": DAY}),
    ("api_sign", "json", "/api/v1/units/{u}/coordination/signings", {"rule": "KHONG-CO", "signed_on": OLD.isoformat()}),
    ("api_evaluate", "json", "/api/v1/units/{u}/coordination/evaluations",
     {"rule": "KHONG-CO", "year": 2025, "evaluated_on": OLD.isoformat()}),
    ("api_grant", "json", "/api/v1/units/{u}/delegations", {"acts": ["khong_co"], "valid_from": OLD.isoformat()}),
    ("api_revoke", "json", "/api/v1/units/{u}/delegations/999999/revocation", {"on": OLD.isoformat()}),
]


def _send(client: Any, token: str, kind: str, path: str, body: dict[str, Any]) -> Any:
    if kind == "form":
        return client.post(path, data={**body, "csrf_token": token})
    return client.post(path, json=body, headers={"X-CSRF-Token": token})


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("username", list(ACCOUNTS))
@pytest.mark.parametrize("where", ["inside", "outside"])
def test_coordination_writes_follow_scope_then_role(clients, ids: DemoIds, write, username: str, where: str) -> None:
    name, kind, path, body = write
    client, token = clients[username]
    inside, outside = (getattr(ids, a) for a in ACCOUNTS[username])
    r = _send(client, token, kind, path.format(u=inside if where == "inside" else outside), body)
    if where == "outside":
        assert r.status_code == 403, (name, username, r.text[:300])
        assert ids.names[outside] not in r.text and "phạm vi" in r.text
    elif username in EDITORS:
        assert r.status_code == (404 if "revo" in name else 400), (name, username, r.text[:300])
    else:
        assert r.status_code == 403, (name, username, r.text[:300])


# --- merger dossiers: a dossier is checked on its commune and its start date --------------------------------

@pytest.fixture(scope="module")
def dossiers(web_db: str, ids: DemoIds) -> dict[str, int]:
    """A dossier in Thượng Thanh, Ngọc Lâm (Long Biên), Phúc Xá (Ba Đình) and a ward of Hải Phòng, opened on OLD
    for a plan merging two residential groups (Phúc Xá and the Hải Phòng ward get two small groups first)."""
    import datetime as dt

    from tinhgon.domain.plans import Plan, PlanGroup
    from tinhgon.domain.units import Kind
    from tinhgon.dossier import service
    from tinhgon.registry.plans import save_plan

    out: dict[str, int] = {}
    with db.get_engine(web_db).begin() as conn:
        for key, ward_id in (("tt", ids.thuong_thanh), ("nl", ids.ngoc_lam), ("px", ids.phuc_xa),
                             ("hp", ids.haiphong_ward)):
            ward = repo.unit_at(conn, ward_id, OLD)
            assert ward is not None
            groups = sorted(repo.children(conn, ward_id, OLD), key=lambda u: u.code)[:2]
            if len(groups) < 2:
                for n in (91, 92):
                    repo.add_unit(conn, code=f"{ward.code}-{n}", name=f"Tổ dân phố số {n}", kind=Kind.TO_DAN_PHO,
                                  parent_id=ward_id, valid_from=dt.date(2020, 1, 1), households=100,
                                  province_code=ward.province_code, lat=ward.lat, lon=ward.lon)
                groups = sorted(repo.children(conn, ward_id, OLD), key=lambda u: u.code)[:2]
            name = f"matrix-{key}"
            save_plan(conn, Plan(name=name, scope_unit_id=ward_id, at=OLD, groups=[
                PlanGroup(label="N1", parent_unit_id=ward_id, unit_ids=[g.id for g in groups],
                          households=sum(g.households or 0 for g in groups))]))
            (out[key],) = service.create_dossiers(conn, name, start=OLD, created_by="matrix")
    return out


# account -> (its dossier inside, one outside); the group officer's scope is one group: no commune's dossier
DOSSIER_SCOPE = {"tinh.hanoi": ("tt", "hp"), "quan.longbien": ("tt", "px"), "phuong.thuongthanh": ("tt", "nl"),
                 "to.thuongthanh02": ("tt", "nl"), "xem.longbien": ("tt", "px")}
NAMES = {"tt": "thuong_thanh", "nl": "ngoc_lam", "px": "phuc_xa", "hp": "haiphong_ward"}
DOSSIER_CALLS = [
    ("page", "get", "/dossiers/{d}?" + AT, None),
    ("api", "get", "/api/v1/dossiers/{d}?" + AT, None),
    ("paper", "get", "/dossiers/{d}/documents/du-thao-nghi-quyet.docx?" + AT, None),
    ("advance_form", "form", "/dossiers/{d}/advance?" + AT, {"step": "khong-co", "done_on": DAY}),
    ("api_advance", "json", "/api/v1/dossiers/{d}/advance?" + AT, {"step": "khong-co", "date": OLD.isoformat()}),
]


@pytest.mark.parametrize("call", DOSSIER_CALLS, ids=[c[0] for c in DOSSIER_CALLS])
@pytest.mark.parametrize("username", list(DOSSIER_SCOPE))
@pytest.mark.parametrize("where", ["inside", "outside"])
def test_dossier_pages_and_endpoints_follow_scope_then_role(clients, ids: DemoIds, dossiers: dict[str, int], call,
                                                            username: str, where: str) -> None:
    name, kind, path, body = call
    client, token = clients[username]
    key = DOSSIER_SCOPE[username][0 if where == "inside" else 1]
    url = path.format(d=dossiers[key])
    r = client.get(url) if kind == "get" else _send(client, token, kind, url, body)
    reaches = where == "inside" and username != "to.thuongthanh02"
    if not reaches:
        assert r.status_code == 403, (name, username, r.text[:300])
        assert ids.names[getattr(ids, NAMES[key])] not in r.text and "phạm vi" in r.text
    elif kind == "get":
        assert r.status_code == 200, (name, username, r.text[:300])
    else:
        assert r.status_code == (400 if username in EDITORS else 403), (name, username, r.text[:300])
    listed = {d["id"] for d in client.get("/api/v1/dossiers?" + AT).json()}
    assert (dossiers[key] in listed) == reaches
