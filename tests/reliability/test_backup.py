"""Backup and restore on each backend, compared table by table; and a killed write changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from tinhgon.registry import db
from tinhgon.registry import schema as s
from tinhgon.reliability import dataversion


def _dump() -> dict[str, list[tuple[object, ...]]]:
    """Every table but the data version, which a restore moves past both its old and its restored value."""
    out = {}
    with db.get_engine().connect() as conn:
        for table in s.metadata.sorted_tables:
            if table.name == "data_version":
                continue
            cols = list(table.c)
            out[table.name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*table.primary_key.columns))]
    return out


def _cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinhgon.cli", *args], capture_output=True, text=True,
                          timeout=600, **kw)  # type: ignore[call-overload]


def test_backup_then_restore_gives_back_every_table(demo_url: str, tmp_path: Path) -> None:
    before = _dump()
    out = tmp_path / "backup.bin"
    r = _cli("backup", "--output", str(out))
    assert r.returncode == 0, r.stderr
    # change things after the backup: a plan and an opinion
    assert _cli("plan", "create", "--unit", "00133", "--name", "after-backup", "--at", "2025-06-30").returncode == 0
    assert _dump() != before
    db.dispose_all()
    assert _cli("restore", str(out)).returncode == 2  # needs --yes
    with db.get_engine().connect() as conn:
        versions_before_restore = dataversion.current(conn)
    db.dispose_all()
    r = _cli("restore", str(out), "--yes")
    assert r.returncode == 0, r.stderr
    db.dispose_all()
    assert _dump() == before
    # the data version moves on: a web server's caches never take the restored data for what they hold
    with db.get_engine().connect() as conn:
        after = dataversion.current(conn)
    assert all(a > b for a, b in zip(after, versions_before_restore, strict=True))


def test_restore_refuses_a_file_that_is_not_a_backup(demo_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00garbage" * 100)
    before = _dump()
    r = _cli("restore", str(bad), "--yes")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    db.dispose_all()
    assert _dump() == before


def test_killing_a_long_write_leaves_the_database_as_it_was(db_url: str) -> None:
    """A real SIGKILL in the middle of the national seed (one transaction): nothing of it remains."""
    env = {**os.environ, "TINHGON_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "tinhgon.cli", "seed", "vietnam"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait until it has started writing (it prints a line per stage to stderr), then kill it
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "vietnamadminunits" in line
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    db.dispose_all()
    with db.get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.unit)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(s.data_source)).scalar() == 0
    # and the database still works: the whole seed then succeeds
    r = _cli("seed", "vietnam", env=env)
    assert r.returncode == 0, r.stderr
