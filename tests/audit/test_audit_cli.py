"""`tinhgon audit` on the registry: figures from the data, every format, bad input refused."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tinhgon.domain.units import Level
from tinhgon.registry import db, repo

AT = "2020-12-29"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinhgon.cli", "audit", *args], capture_output=True, text=True,
                          timeout=300)


def test_audit_json_counts_equal_an_independent_count_of_the_registry(demo_url: str) -> None:
    r = run("--unit", "00115", "--at", AT, "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    on = dt.date(2020, 12, 29)
    with db.get_engine().connect() as conn:
        ward = repo.resolve_unit(conn, "00115", on)
        groups = [u for u in repo.children(conn, ward.id, on) if u.level == Level.RESIDENTIAL_GROUP]
        holdings = repo.holdings_at(conn, on, [g.id for g in groups])
    sizes = [g.households or 0 for g in groups]
    expected_bands = [sum(1 for x in sizes if x < 450), sum(1 for x in sizes if 450 <= x < 600),
                      sum(1 for x in sizes if x >= 600)]
    assert data["summary"]["groups"] == len(groups)
    assert [b["count"] for b in data["summary"]["bands"]] == expected_bands
    # secretary also head, counted by hand from the holdings
    titles_of: dict[tuple[int, int], set[str]] = {}
    for h in holdings:
        titles_of.setdefault((h.unit_id, h.person_id), set()).add(h.title_code)
    sec_head = sum(1 for t in titles_of.values() if {"bi_thu_chi_bo", "to_truong"} <= t)
    kinds = {c["kind"]: c["cases"] for c in data["concurrency"]}
    assert kinds["secretary_head"] == sec_head > 0


def test_audit_xlsx_keeps_vietnamese_text(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "ra-soat.xlsx"
    r = run("--unit", "004", "--at", AT, "--format", "xlsx", "--output", str(out))
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    cells = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Tổ dân phố" in cells or "tổ dân phố" in cells
    assert "Phường Thượng Thanh" in cells


def test_audit_xlsx_opens_in_libreoffice_with_vietnamese_intact(demo_url: str, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        import os

        if os.environ.get("TINHGON_REQUIRE_OFFICE") == "1":
            pytest.fail("LibreOffice is required here (scripts/install-debian-deps.sh installs it)")
        pytest.skip("LibreOffice not installed (scripts/install-debian-deps.sh installs it)")
    out = tmp_path / "ra-soat.xlsx"
    assert run("--unit", "004", "--at", AT, "--format", "xlsx", "--output", str(out)).returncode == 0
    profile = tmp_path / "lo-profile"
    conv = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                           "--outdir", str(tmp_path), str(out)], capture_output=True, text=True, timeout=240)
    assert conv.returncode == 0, conv.stderr
    csvs = list(tmp_path.glob("ra-soat*.csv"))
    assert csvs, conv.stdout + conv.stderr
    text = "\n".join(p.read_text(encoding="utf-8") for p in csvs)
    assert "Phường Thượng Thanh" in text


@pytest.mark.parametrize("args,needle", [
    (["--unit", "99999", "--at", AT], "99999"),
    (["--unit", "004", "--at", "2020-13-01"], "2020-13-01"),
    (["--unit", "004", "--at", AT, "--format", "pdf"], "--format"),
    (["--unit", "004", "--at", AT, "--format", "xlsx"], "--output"),
    (["--unit", "004", "--at", AT, "--bands", "600,x"], "--bands"),
])
def test_audit_bad_input_exits_2(demo_url: str, args: list[str], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
