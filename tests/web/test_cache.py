"""What the web keeps between requests is never older than the last commit, whichever process made it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.web.conftest import OLD, demo_ids, login

from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.reliability import dataversion
from tinhgon.web import cache
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts


def _version(url: str) -> int:
    with db.get_engine(url).connect() as conn:
        return dataversion.current(conn)[0]


def test_a_committed_change_raises_the_data_version_and_a_rollback_or_a_read_does_not(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    v0 = _version(demo_url)
    with engine.begin() as conn:
        conn.execute(select(s.unit_version.c.id).limit(5)).all()
    assert _version(demo_url) == v0
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(update(s.unit_version).where(s.unit_version.c.id == 1).values(households=1))
        tx.rollback()
    assert _version(demo_url) == v0
    with engine.begin() as conn:
        conn.execute(update(s.unit_version).where(s.unit_version.c.id == 1).values(households=2))
    assert _version(demo_url) == v0 + 1


def test_a_logged_read_of_personal_data_leaves_the_data_version_alone(demo_url: str) -> None:
    from tinhgon.reliability import auditlog

    v0 = _version(demo_url)
    with db.get_engine(demo_url).begin() as conn:
        auditlog.record_access(conn, "read", "person", person_ids=[1, 2])
    assert _version(demo_url) == v0


def test_reads_inside_a_writing_transaction_are_never_stored(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(update(s.unit_version).where(s.unit_version.c.id == 1).values(households=3))
        assert cache.memo(conn, ("test-uncommitted",), compute) == 1
        tx.rollback()
    with engine.connect() as conn:
        # the value computed from uncommitted rows was not kept: computed again, then kept
        assert cache.memo(conn, ("test-uncommitted",), compute) == 2
    with engine.connect() as conn:
        assert cache.memo(conn, ("test-uncommitted",), compute) == 2


def test_a_change_made_by_another_process_shows_on_the_next_page(demo_url: str) -> None:
    ensure_demo_accounts(demo_url)
    ids = demo_ids(demo_url)
    app = create_app(demo_url)
    with TestClient(app) as client:
        login(client, "quan.longbien")
        path = f"/api/v1/units/{ids.thuong_thanh}/dashboard?at={OLD.isoformat()}"
        before = client.get(path).json()
        assert client.get(path).json() == before  # the second answer comes from the process's cache
        with db.get_engine(demo_url).connect() as conn:
            group = repo.unit_at(conn, ids.tt_group1, OLD)
        assert group is not None and group.households is not None
        # another process (as the CLI or a second web worker would be) adds 1,000 households to a group
        script = textwrap.dedent(f"""
            from sqlalchemy import update
            from tinhgon.registry import db, schema as s
            with db.get_engine({demo_url!r}).begin() as conn:
                conn.execute(update(s.unit_version).where(s.unit_version.c.id == {group.version_id})
                             .values(households={group.households + 1000}))
        """)
        subprocess.run([sys.executable, "-c", script], check=True)
        after = client.get(path).json()
        assert after["households"] == before["households"] + 1000
        child = next(c for c in after["children"] if c["id"] == ids.tt_group1)
        assert child["households"] == group.households + 1000
