"""The change log: every change with who, when, before and after; nothing for a rolled-back change."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from tinhgon.domain.units import Kind
from tinhgon.errors import BadInput
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.reliability.auditlog import acting_as
from tinhgon.reliability.tables import audit_log


def _log(conn):  # type: ignore[no-untyped-def]
    return [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]


def test_insert_update_delete_are_logged_with_actor_before_and_after(db_url: str) -> None:
    engine = db.get_engine()
    with acting_as("canbo.phuong", "test"), engine.begin() as conn:
        uid = repo.add_unit(conn, code="X1", name="Xã Một", kind=Kind.XA, households=100)
        conn.execute(s.unit_version.update().where(s.unit_version.c.unit_id == uid).values(households=150))
        conn.execute(s.unit_version.delete().where(s.unit_version.c.unit_id == uid))
    with engine.connect() as conn:
        log = [e for e in _log(conn) if e["table_name"] == "unit_version"]
    assert [e["action"] for e in log] == ["insert", "update", "delete"]
    assert all(e["actor"] == "canbo.phuong" and e["context"] == "test" for e in log)
    assert all(e["unit_id"] == uid for e in log)
    ins, upd, dele = log
    assert json.loads(ins["after"])["households"] == 100
    assert json.loads(upd["before"])["households"] == 100 and json.loads(upd["after"])["households"] == 150
    assert json.loads(dele["before"])["name"] == "Xã Một" and dele["after"] is None


def test_a_rolled_back_change_leaves_no_log(db_url: str) -> None:
    engine = db.get_engine()
    with pytest.raises(RuntimeError), engine.begin() as conn:
        repo.add_unit(conn, code="X2", name="Xã Hai", kind=Kind.XA)
        raise RuntimeError("failure midway")
    with engine.connect() as conn:
        assert _log(conn) == []
        assert repo.units_at(conn, dt.date.today(), code="X2") == []


def test_the_cli_logs_under_tinhgon_user(demo_url: str) -> None:
    import os

    r = subprocess.run([sys.executable, "-m", "tinhgon.cli", "plan", "create", "--unit", "00133", "--name", "P",
                        "--at", "2025-06-30"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "TINHGON_USER": "nguoi.lap.phuong.an"})
    assert r.returncode == 0, r.stderr
    with db.get_engine().connect() as conn:
        rows = [e for e in _log(conn) if e["table_name"] == "plan"]
    assert len(rows) == 1 and rows[0]["actor"] == "nguoi.lap.phuong.an"
    r = subprocess.run([sys.executable, "-m", "tinhgon.cli", "changes", "--json", "--limit", "1000"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and any(e["table_name"] == "plan_member" for e in json.loads(r.stdout))


def test_a_concurrent_edit_of_a_plan_gets_a_conflict_and_loses_nothing(demo_url: str) -> None:
    from tinhgon.domain.plans import PlanStatus
    from tinhgon.plans.service import create_plan
    from tinhgon.registry.plans import ConflictError, load_plan, set_status

    engine = db.get_engine()
    with engine.begin() as conn:
        create_plan(conn, scope_code="00133", name="C", on=dt.date(2025, 6, 30))
    with engine.connect() as conn:
        first, second = load_plan(conn, "C"), load_plan(conn, "C")
    with engine.begin() as conn:
        set_status(conn, first, PlanStatus.APPROVED)
    with pytest.raises(ConflictError), engine.begin() as conn:
        set_status(conn, second, PlanStatus.CANCELLED)
    assert issubclass(ConflictError, BadInput)
    with engine.connect() as conn:
        assert load_plan(conn, "C").status == PlanStatus.APPROVED
