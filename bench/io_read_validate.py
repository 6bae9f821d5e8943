"""Benchmark: read + validate N households from CSV and from XLSX (the issue's target: 1,000,000
rows in well under 60 s from CSV and 180 s from XLSX on 2 cores, peak memory <= 2 GiB).

    PYTHONPATH=src .venv/bin/python bench/io_read_validate.py [--rows 1000000] [--out bench/out]

Each reader runs in its own process pinned to 2 CPUs, so its peak RSS (ru_maxrss) is its own.
Generated files are kept in --out (git-ignored) and reused when they already have the right size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Quang", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phương", "Quý", "Yến", "Ánh"]
STREETS = ["Bồ Đề", "Ngọc Lâm", "Gia Thụy", "Thượng Thanh", "Nguyễn Văn Cừ", "Long Biên"]
HEADER = ["code", "unit_code", "head_name", "address", "members", "valid_from"]


def _rows(n: int, seed: int = 7):
    rnd = random.Random(seed)
    for i in range(n):
        name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
        addr = f"Số {rnd.randint(1, 200)} ngõ {rnd.randint(1, 90)} phố {rnd.choice(STREETS)}"
        day = f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(1990, 2024)}"
        yield [f"HO{i:07d}", f"TDP-{i // 450:04d}", name, addr, rnd.randint(1, 9), day]


def generate_csv(path: Path, n: int) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(_rows(n))


def generate_xlsx(path: Path, n: int) -> None:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    # A sheet holds at most 1,048,576 rows: the header plus 1,000,000 fits in one.
    ws = wb.create_sheet("Hộ gia đình")
    ws.append(HEADER)
    for row in _rows(n):
        d, m, y = (int(x) for x in row[5].split("/"))
        ws.append([*row[:5], dt.date(y, m, d)])
    wb.save(path)


def measure(path: Path) -> dict[str, float | int | str]:
    """Child process: read + validate, report time and peak RSS."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, cpus)
    from tinhgon.io.schemas import load

    t0 = time.perf_counter()
    batch = load("households", path)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time does not depend on what else the machine runs; wall time does.
    return {"file": path.name, "rows": len(batch.records), "seconds": round(seconds, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "problems": len(batch.problems),
            "load_avg_1min": round(os.getloadavg()[0], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--only", choices=["csv", "xlsx"])
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for fmt, gen in (("csv", generate_csv), ("xlsx", generate_xlsx)):
        if args.only and fmt != args.only:
            continue
        path = args.out / f"households_{args.rows}.{fmt}"
        if not path.exists():
            t0 = time.perf_counter()
            gen(path, args.rows)
            print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True,
                             text=True, check=False, env={**os.environ})
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(out.returncode)
        result = json.loads(out.stdout)
        result["size_mib"] = round(path.stat().st_size / 2**20, 1)
        results.append(result)
        print(json.dumps(result))
    print(json.dumps({"cpus": os.cpu_count(), "python": sys.version.split()[0], "results": results}))


if __name__ == "__main__":
    main()
