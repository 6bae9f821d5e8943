"""The registry's command line: stats by date, and bad input ending in one message and exit 2/3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "tinhgon.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=300)


def test_units_stats_json_across_the_reform(seeded_url: str) -> None:
    before = run("units", "stats", "--at", "2025-06-30", "--json")
    after = run("units", "stats", "--at", "01/07/2025", "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == {"province": 63, "district": 696, "commune": 10035, "residential_group": 0}
    assert json.loads(after.stdout) == {"province": 34, "district": 0, "commune": 3321, "residential_group": 0}


def test_unknown_code_is_refused_with_exit_2_and_one_message(seeded_url: str) -> None:
    r = run("units", "show", "--unit", "99999", "--at", "2025-06-30")
    assert r.returncode == 2
    assert "99999" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_code_valid_at_another_date_says_when(seeded_url: str) -> None:
    import sqlite3

    from tinhgon.registry import vn_data

    con = sqlite3.connect(vn_data.data_dir() / "dataset.db")
    gone = con.execute("SELECT wardCode FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode NOT IN "
                       "(SELECT wardCode FROM admin_units) ORDER BY wardCode LIMIT 1").fetchone()[0]
    con.close()
    r = run("units", "show", "--unit", gone, "--at", "2026-01-01")  # a code the reform retired
    assert r.returncode == 2
    assert "30/06/2025" in r.stderr


def test_impossible_date_is_refused(seeded_url: str) -> None:
    for bad in ("2025-02-30", "31/04/2025", "tomorrow"):
        r = run("units", "stats", "--at", bad)
        assert r.returncode == 2, bad
        assert "Traceback" not in r.stderr and bad in r.stderr


def test_wrong_database_url_is_refused_without_traceback(tmp_path: Path) -> None:
    r = run("units", "stats", env={"TINHGON_DATABASE_URL": "mysql+nope://x"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run("units", "stats", env={"TINHGON_DATABASE_URL": "not a url"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run("units", "stats", env={"TINHGON_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run("units", "stats", env={"TINHGON_DATABASE_URL": "postgresql://u:p@127.0.0.1:1/none"})
    assert r.returncode == 3 and "Traceback" not in r.stderr and "p@" not in r.stderr  # password hidden


def test_default_database_is_tinhgon_db_in_the_working_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TINHGON_DATABASE_URL"}
    r = subprocess.run([sys.executable, "-m", "tinhgon.cli", "units", "stats", "--json"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "tinhgon.db").exists()


def test_unknown_option_is_a_usage_error_with_exit_2() -> None:
    r = run("units", "stats", "--no-such-option")
    assert r.returncode == 2 and "Traceback" not in r.stderr
