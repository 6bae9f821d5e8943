"""Benchmark of household consultations: tally of 1,000,000 ballots and bulk entry of 100,000 ballots.

    .venv/bin/python bench/consult_bench.py --backend sqlite
    .venv/bin/python bench/consult_bench.py --backend postgresql --pg postgresql://postgres@127.0.0.1:54329/postgres

Targets (issue 7): tally of 1,000,000 ballots <= 2 s; bulk entry of 100,000 ballots <= 30 s.

Setup (not timed): a fresh database, 1,000 residential groups, a voters' roll of 1,000 per group and one
ballot per voter, 1 % of them corrected (version 2, so the tally must pick the current version). The
tally is ``service.tally`` (the same call as ``tinhgon consult tally``). The bulk entry reads a CSV of
100,000 rows and enters it with ``service.import_ballots`` in one transaction (all checks included), and
once more through the command line ``tinhgon consult import-ballots`` (process start-up included).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text

from tinhgon.consult import files, service
from tinhgon.consult import tables as t
from tinhgon.domain.units import Kind, Region
from tinhgon.registry import db, repo

DAY = dt.date(2024, 5, 1)


def _setup_units(engine: Engine, groups: int) -> list[int]:
    with engine.begin() as conn:
        city = repo.add_unit(conn, code="B01", name="Thành phố Đo", kind=Kind.THANH_PHO_TW,
                             valid_from=dt.date(2019, 1, 1), province_code="01", region=Region.RED_RIVER_DELTA)
        ward = repo.add_unit(conn, code="BP01", name="Phường Đo", kind=Kind.PHUONG, parent_id=city,
                             valid_from=dt.date(2019, 1, 1), province_code="01", region=Region.RED_RIVER_DELTA)
        ids = [repo.add_unit(conn, code=f"BP01-{i:04d}", name=f"Tổ dân phố {i}", kind=Kind.TO_DAN_PHO,
                             parent_id=ward, valid_from=dt.date(2019, 1, 1), province_code="01",
                             region=Region.RED_RIVER_DELTA) for i in range(groups)]
        service.add_official(conn, "bench", scope_unit_id=ward)
    return ids


def _fill_roll(engine: Engine, cid: int, unit_ids: list[int], per_unit: int) -> None:
    """Voters V<unit>-<n>, inserted by SQL (setup, not timed)."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for uid in unit_ids:
            if pg:
                conn.execute(text(
                    "INSERT INTO roll_entry (consultation_id, unit_id, voter_code) "
                    "SELECT :cid, :uid, 'V' || :uid || '-' || g FROM generate_series(1, :n) AS g"),
                    {"cid": cid, "uid": uid, "n": per_unit})
            else:
                conn.execute(text(
                    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :n) "
                    "INSERT INTO roll_entry (consultation_id, unit_id, voter_code) "
                    "SELECT :cid, :uid, 'V' || :uid || '-' || x FROM g"), {"cid": cid, "uid": uid, "n": per_unit})
        conn.execute(text("UPDATE consultation_unit SET roll_size = :n WHERE consultation_id = :cid"),
                     {"n": per_unit, "cid": cid})


def _fill_ballots(engine: Engine, cid: int) -> int:
    """One ballot per voter (60 % agree, 25 % disagree, 15 % invalid), 1 % corrected to version 2."""
    true = "true" if engine.dialect.name == "postgresql" else "1"
    false = "false" if engine.dialect.name == "postgresql" else "0"
    with engine.begin() as conn:
        rid = conn.execute(select(t.consultation_round.c.id).where(
            t.consultation_round.c.consultation_id == cid, t.consultation_round.c.number == 1)).scalar_one()
        conn.execute(text(
            f"INSERT INTO ballot (round_id, roll_entry_id, unit_id, version, is_current, choice, entered_by, "
            f"entered_at, source) SELECT :rid, id, unit_id, 1, {true}, "
            f"CASE WHEN id % 20 < 12 THEN 'agree' WHEN id % 20 < 17 THEN 'disagree' ELSE 'invalid' END, "
            f"'bench', CURRENT_TIMESTAMP, 'sheet' FROM roll_entry WHERE consultation_id = :cid"),
            {"rid": rid, "cid": cid})
        conn.execute(text(f"UPDATE ballot SET is_current = {false} WHERE round_id = :rid AND roll_entry_id % 100 = 0"),
                     {"rid": rid})
        conn.execute(text(
            f"INSERT INTO ballot (round_id, roll_entry_id, unit_id, version, is_current, choice, reason, entered_by, "
            f"entered_at, source) SELECT :rid, roll_entry_id, unit_id, 2, {true}, 'disagree', 'bench correction', "
            f"'bench', CURRENT_TIMESTAMP, 'correction' FROM ballot WHERE round_id = :rid AND version = 1 "
            f"AND roll_entry_id % 100 = 0"), {"rid": rid})
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE ballot"))
            conn.execute(text("ANALYZE roll_entry"))
        else:
            conn.execute(text("ANALYZE"))
        return int(conn.execute(select(func.count()).select_from(t.ballot).where(t.ballot.c.is_current)).scalar_one())


def bench(url: str, ballots: int, bulk: int, groups: int = 1000) -> dict[str, object]:
    engine = db.get_engine(url)
    per_unit = ballots // groups
    unit_ids = _setup_units(engine, groups)
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=unit_ids, on=DAY, name="Đo 1 triệu phiếu", roll_kind="voters")
    t0 = time.perf_counter()
    _fill_roll(engine, cid, unit_ids, per_unit)
    current = _fill_ballots(engine, cid)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE ballot"))
    setup = time.perf_counter() - t0
    runs, cpu = [], []
    for _ in range(5):
        t1, c1 = time.perf_counter(), time.process_time()
        with engine.connect() as conn:
            tl = service.tally(conn, cid)
        runs.append(time.perf_counter() - t1)
        cpu.append(time.process_time() - c1)   # this process only: SQLite's work, not PostgreSQL's
    assert tl.cast == current == per_unit * groups, (tl.cast, current)
    # independent check of the figures: a plain SQL count of the current versions
    with engine.connect() as conn:
        agree = conn.execute(select(func.count()).select_from(t.ballot).where(
            t.ballot.c.is_current, t.ballot.c.choice == "agree")).scalar_one()
    assert tl.agree == agree

    # bulk entry: a new consultation over the first bulk/per_unit groups, a CSV of BULK rows
    bulk_units = unit_ids[: max(1, bulk // per_unit)]
    with engine.begin() as conn:
        cid2 = service.create_consultation(conn, unit_ids=bulk_units, on=DAY, name="Đo nhập 100.000 phiếu",
                                           roll_kind="voters")
        cid3 = service.create_consultation(conn, unit_ids=bulk_units, on=DAY, name="Đo nhập qua CLI",
                                           roll_kind="voters")
    _fill_roll(engine, cid2, bulk_units, per_unit)
    _fill_roll(engine, cid3, bulk_units, per_unit)
    tmp = Path(tempfile.mkdtemp(prefix="consult-bench-"))
    sheet = tmp / "phieu.csv"
    with engine.connect() as conn:
        codes = [r[0] for r in conn.execute(select(t.roll_entry.c.voter_code).where(
            t.roll_entry.c.consultation_id == cid2).order_by(t.roll_entry.c.id))]
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Mã hộ", "Ý kiến"])
        for i, code in enumerate(codes):
            kind = 0 if i % 10 < 7 else (1 if i % 10 < 9 else 2)
            w.writerow([code, ("Đồng ý", "Không đồng ý", "Không hợp lệ")[kind]])
    t2 = time.perf_counter()
    rows = files.read_ballot_sheet(sheet)
    with engine.begin() as conn:
        res = service.import_ballots(conn, cid2, service.get_official(conn, "bench"), rows, file=str(sheet))
    bulk_s = time.perf_counter() - t2
    assert res.entered == len(codes)
    t3 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([str(Path(sys.executable).parent / "tinhgon"), "consult", "import-ballots", "-c", str(cid3),
                           str(sheet), "--as", "bench"], env={**os.environ, "TINHGON_DATABASE_URL": url},
                          capture_output=True, text=True)
    cli_s = time.perf_counter() - t3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0, proc.stderr
    db.dispose_all()
    return {"backend": engine.dialect.name, "ballots": current, "setup_s": round(setup, 1),
            "tally_best_s": round(min(runs), 3), "tally_median_s": round(statistics.median(runs), 3),
            "tally_cpu_best_s": round(min(cpu), 3),
            "bulk_rows": res.entered, "bulk_service_s": round(bulk_s, 2), "bulk_cli_s": round(cli_s, 2),
            "bulk_cli_cpu_s": round(cli_cpu, 2), "load_avg": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg", default=os.environ.get("TINHGON_TEST_POSTGRES_URL",
                                                   "postgresql://postgres@127.0.0.1:54329/postgres"))
    ap.add_argument("--ballots", type=int, default=1_000_000)
    ap.add_argument("--bulk", type=int, default=100_000)
    args = ap.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        path = Path(tempfile.mkdtemp(prefix="consult-bench-")) / "bench.db"
        results.append(bench(f"sqlite:///{path}", args.ballots, args.bulk))
        path.unlink(missing_ok=True)
    if args.backend in ("postgresql", "both"):
        name = f"consult_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results.append(bench(f"{args.pg.rsplit('/', 1)[0]}/{name}", args.ballots, args.bulk))
        finally:
            db.dispose_all()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    for r in results:
        print(r)


if __name__ == "__main__":
    main()
