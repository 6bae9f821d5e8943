"""Fixtures of the web tests: one demo database per module and backend (the read-only matrix shares it),
the demo accounts, and logged-in clients."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from tests.conftest import BACKENDS, FLAVOURS, Templates, _skip_or_fail_pg

from tinhgon.registry import db, repo
from tinhgon.web.app import create_app
from tinhgon.web.cli import DEMO_PASSWORD, ensure_demo_accounts

OLD = dt.date(2025, 6, 30)   # the legacy wards and Long Biên district are in force
NEW = dt.date(2025, 7, 1)    # the new wards


@dataclass
class DemoIds:
    hanoi: int
    longbien: int
    thuong_thanh: int          # legacy ward 00115
    ngoc_lam: int              # legacy ward 00133, Long Biên, outside Thượng Thanh
    phuc_xa: int               # a ward of Ba Đình: Hà Nội, outside Long Biên
    haiphong_ward: int         # a ward of Hải Phòng: outside Hà Nội
    tt_group1: int             # 00115-01
    tt_group2: int             # 00115-02
    nl_group1: int             # 00133-01
    names: dict[int, str]


def demo_ids(url: str) -> DemoIds:
    with db.get_engine(url).connect() as conn:
        def u(code: str, day: dt.date = OLD) -> int:
            return repo.resolve_unit(conn, code, day).id

        hp = repo.resolve_unit(conn, "31", OLD)
        hp_ward = next(c for d in repo.children(conn, hp.id, OLD) for c in repo.children(conn, d.id, OLD))
        ids = DemoIds(hanoi=u("01"), longbien=u("004"), thuong_thanh=u("00115"), ngoc_lam=u("00133"),
                      phuc_xa=u("00001"), haiphong_ward=hp_ward.id, tt_group1=u("00115-01"),
                      tt_group2=u("00115-02"), nl_group1=u("00133-01"), names={})
        for uid in (ids.thuong_thanh, ids.ngoc_lam, ids.phuc_xa, ids.haiphong_ward, ids.tt_group1,
                    ids.tt_group2, ids.nl_group1):
            ids.names[uid] = repo.unit_at(conn, uid, OLD).name  # type: ignore[union-attr]
    return ids


@pytest.fixture(scope="module", params=BACKENDS)
def web_db(request: pytest.FixtureRequest, templates: Templates) -> Iterator[str]:
    """A demo database with the demo accounts, shared by the tests of one module (they must not write
    anything another test reads; writing tests use ``demo_url`` instead)."""
    if request.param == "postgresql":
        _skip_or_fail_pg()
    url = templates.copy(request.param, "demo", FLAVOURS["demo"])
    ensure_demo_accounts(url)
    try:
        yield url
    finally:
        db.dispose_all()
        templates.drop(url)


@pytest.fixture(scope="module")
def web_app(web_db: str):  # type: ignore[no-untyped-def]
    return create_app(web_db)


@pytest.fixture(scope="module")
def ids(web_db: str) -> DemoIds:
    return demo_ids(web_db)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Log in through the form (with its CSRF token); returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.get("/api/v1/auth/me").json()["csrf_token"]  # type: ignore[no-any-return]




@pytest.fixture(scope="module")
def clients(web_app) -> Iterator[dict[str, tuple[TestClient, str]]]:  # type: ignore[no-untyped-def]
    """One logged-in client per demo account: {username: (client, csrf token)}, logged in on first use."""
    from tinhgon.web.cli import DEMO_ACCOUNTS

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, key: str) -> tuple[TestClient, str]:
            c = TestClient(web_app)
            value = (c, login(c, key))
            self[key] = value
            return value

    lazy = Lazy()
    assert {a[0] for a in DEMO_ACCOUNTS} >= {"tinh.hanoi", "quan.longbien", "phuong.thuongthanh",
                                             "to.thuongthanh02", "xem.longbien"}
    yield lazy
    for c, _tok in lazy.values():
        c.close()
