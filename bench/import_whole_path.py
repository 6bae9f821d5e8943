"""Issue 5 target: 1,000,000 households through the whole import path (read, validate, check against the
registry, upsert, record) from CSV in ≤ 60 s and from XLSX in ≤ 180 s, peak memory ≤ 2 GiB, on SQLite and
PostgreSQL. Each run: a fresh database, the units and adjacency imported first (not timed as part of the
households figure), then `tinhgon import households FILE` timed as a whole command.

    python bench/import_whole_path.py --out bench/out/import1m [--backend sqlite|postgresql --pg-url URL]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hanoi_scale import generate, run


def to_xlsx(src: Path, dst: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Hộ gia đình")
    with src.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            ws.append(row if i == 0 else [row[0], row[1], row[2], row[3], int(row[4])])
    wb.save(dst)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("bench/out/import1m"))
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default="")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--formats", default="csv,xlsx")
    args = ap.parse_args()
    files = generate(args.out, 200, 10, args.households)
    xlsx = args.out / "households.xlsx"
    if "xlsx" in args.formats and not xlsx.exists():
        t = time.perf_counter()
        to_xlsx(files["households"], xlsx)
        print(f"xlsx written in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    rows = []
    for fmt in args.formats.split(","):
        if args.backend == "sqlite":
            dbfile = (args.out / f"import-{fmt}.db").resolve()
            for suffix in ("", "-wal", "-shm"):
                Path(str(dbfile) + suffix).unlink(missing_ok=True)
            url = f"sqlite:///{dbfile}"
        else:
            import sqlalchemy as sa

            admin = sa.create_engine(args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                                     isolation_level="AUTOCOMMIT")
            name = f"bench_import_{fmt}"
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = args.pg_url.rsplit("/", 1)[0] + "/" + name
        env = {**os.environ, "TINHGON_DATABASE_URL": url, "TINHGON_USER": "bench"}
        run("units", ["import", "units", str(files["units"]), "--at", "2026-01-01"], env)
        src = files["households"] if fmt == "csv" else xlsx
        secs, peak = run(f"households {fmt}", ["import", "households", str(src), "--at", "2026-01-01"], env)
        rows.append((fmt, secs, peak))
    print(f"\n| input ({args.backend}) | households | seconds (whole command) | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for fmt, secs, peak in rows:
        print(f"| {fmt.upper()} | {args.households:,} | {secs:.1f} | {peak / 2**20:.0f} |".replace(",", "."))


if __name__ == "__main__":
    main()
