"""A real SIGKILL in the middle of `tinhgon merge apply` leaves every table as it was; the merger then runs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from tests.execute.test_merge import ON, pairs_plan

from tinhgon.registry import db
from tinhgon.registry import schema as s

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

APPLY = ["merge", "apply", "--plan", "big", "--effective", "2026-03-01", "--decision", "1/NQ-HĐND",
         "--issuer", "HĐND phường Bồ Đề"]


def every_table(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: the whole database as the application sees it."""
    with db.get_engine(url).connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in s.metadata.sorted_tables}


def _writer_holds_lock(url: str) -> bool:
    """True once another process has written inside an open transaction (and not yet committed)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        # a write transaction holds SQLite's write lock: a second writer is refused at once
        con = sqlite3.connect(str(u.database), timeout=0)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            con.close()
    eng = create_engine(u.set(drivername="postgresql+psycopg"))
    try:
        with eng.connect() as conn:
            q = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")
            return bool(conn.execute(q).scalar())
    finally:
        eng.dispose()


def test_killing_a_merger_midway_leaves_every_table_as_it_was(demo_url: str) -> None:
    with db.get_engine(demo_url).begin() as conn:
        plan = pairs_plan(conn, "big", ON, n_mergers=200)  # every adjacent pair of Bồ Đề: ~30,000 households
    assert sum(1 for g in plan.groups if len(g.unit_ids) > 1) >= 30
    before = every_table(demo_url)
    db.dispose_all()
    env = {**os.environ, "TINHGON_DATABASE_URL": demo_url}
    proc = subprocess.Popen([sys.executable, "-m", "tinhgon.cli", *APPLY], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not _writer_holds_lock(demo_url):
            assert proc.poll() is None, "the merger finished before it could be caught writing"
            assert time.monotonic() < deadline, "the merger never started writing"
            time.sleep(0.02)
        time.sleep(0.5)  # well inside the transaction: households are being moved
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert every_table(demo_url) == before
    # the database is sound and the same merger now goes through
    r = subprocess.run([sys.executable, "-m", "tinhgon.cli", *APPLY], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    after = every_table(demo_url)
    assert after["lineage_event"] != before["lineage_event"]
    assert len(after["unit"]) > len(before["unit"])
