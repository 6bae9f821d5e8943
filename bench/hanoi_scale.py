"""Hà Nội-scale benchmark: generate a city (500 communes, 5,000 residential groups, 2,500,000 households),
then run the whole path through the command line as an official would: import units, adjacency and
households, audit the city, plan every commune, write the review report. Each stage is timed, with the
peak memory of its process tree.

    python bench/hanoi_scale.py --out bench/out/hanoi --backend sqlite [--households 2500000]
    python bench/hanoi_scale.py --out bench/out/hanoi --backend postgresql --pg-url postgresql://...

Writes a markdown table to stdout (and --results FILE appends it under a heading).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Ngọc", "Minh", "Thu", "Hữu", "Thanh"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Sơn", "Tâm"]


def generate(out: Path, communes: int, groups_per: int, households: int, seed: int = 7) -> dict[str, Path]:
    """CSV files in the import forms. Groups of a commune sit on a small grid; sizes are lognormal."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_groups = communes * groups_per
    raw = [rng.lognormvariate(0, 0.45) for _ in range(n_groups)]
    scale = households / sum(raw)
    sizes = [max(30, int(x * scale)) for x in raw]
    sizes[-1] += households - sum(sizes)
    side = math.ceil(math.sqrt(communes))
    gside = math.ceil(math.sqrt(groups_per))
    units = out / "units.csv"
    adjacency = out / "adjacency.csv"
    hh = out / "households.csv"
    with units.open("w", encoding="utf-8", newline="") as fu, adjacency.open("w", encoding="utf-8", newline="") as fa:
        wu, wa = csv.writer(fu), csv.writer(fa)
        wu.writerow(["code", "name", "kind", "parent_code", "households", "lat", "lon"])
        wa.writerow(["a", "b"])
        wu.writerow(["01", "Thành phố Hà Nội (mô phỏng)", "thanh_pho_tw", "", 0, 21.03, 105.85])
        g = 0
        for c in range(communes):
            cx, cy = c % side, c // side
            code = f"C{c:04d}"
            kind = "phuong" if c % 3 else "xa"
            wu.writerow([code, f"{'Phường' if kind == 'phuong' else 'Xã'} Mô Phỏng {c + 1}", kind, "01", 0,
                         20.6 + cy * 0.02, 105.3 + cx * 0.02])
            for k in range(groups_per):
                gx, gy = k % gside, k // gside
                gcode = f"{code}-{k + 1:02d}"
                wu.writerow([gcode, f"Tổ dân phố số {k + 1}", "to_dan_pho", code, sizes[g],
                             20.6 + cy * 0.02 + gy * 0.004, 105.3 + cx * 0.02 + gx * 0.004])
                if gx > 0:
                    wa.writerow([gcode, f"{code}-{k:02d}"])
                if gy > 0:
                    wa.writerow([gcode, f"{code}-{k + 1 - gside:02d}"])
                g += 1
    with hh.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "unit_code", "head_name", "address", "members"])
        g = 0
        for c in range(communes):
            for k in range(groups_per):
                gcode = f"C{c:04d}-{k + 1:02d}"
                for j in range(sizes[g]):
                    w.writerow([f"{gcode}-{j:05d}", gcode,
                                f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                                f"Số {j + 1}, tổ {k + 1}", 1 + (j * 7 + k) % 6])
                g += 1
    return {"units": units, "adjacency": adjacency, "households": hh}


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        return sum(x.memory_info().rss for x in [p, *p.children(recursive=True)])
    except psutil.Error:
        return 0


def run(label: str, args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run one tinhgon command; returns (seconds, peak RSS of its process tree in bytes)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tinhgon.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    done.set()
    th.join()
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed ({proc.returncode}): {err.strip()[:2000]}")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    print(f"  {label}: {secs:.1f} s, peak {peak / 2**20:.0f} MiB — {last}", file=sys.stderr)
    return secs, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench/out/hanoi"))
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("TINHGON_BENCH_POSTGRES_URL", ""))
    ap.add_argument("--communes", type=int, default=500)
    ap.add_argument("--groups-per-commune", type=int, default=10)
    ap.add_argument("--households", type=int, default=2_500_000)
    ap.add_argument("--stages", default="import,audit,plan,report")
    args = ap.parse_args()

    t = time.perf_counter()
    files = generate(args.out, args.communes, args.groups_per_commune, args.households)
    print(f"generated in {time.perf_counter() - t:.1f} s: {files}", file=sys.stderr)
    if args.backend == "sqlite":
        dbfile = (args.out / "hanoi.db").resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(str(dbfile) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{dbfile}"
    else:
        if not args.pg_url:
            raise SystemExit("--pg-url (an empty database) is required for postgresql")
        url = args.pg_url
    env = {**os.environ, "TINHGON_DATABASE_URL": url, "TINHGON_USER": "bench"}
    rows: list[tuple[str, float, int]] = []
    stages = args.stages.split(",")
    if "import" in stages:
        rows.append(("import units (5.501 dòng)", *run("import units", ["import", "units", str(files["units"]),
                                                                        "--at", "2026-01-01"], env)))
        rows.append(("import adjacency", *run("import adjacency", ["import", "adjacency", str(files["adjacency"]),
                                                                    "--at", "2026-01-01"], env)))
        rows.append((f"import households ({args.households:,} dòng)".replace(",", "."),
                     *run("import households", ["import", "households", str(files["households"]),
                                                "--at", "2026-01-01"], env)))
    if "audit" in stages:
        rows.append(("audit the city (json)", *run("audit", ["audit", "--unit", "01", "--at", "2026-01-02",
                                                               "--format", "json", "--output",
                                                               str(args.out / "audit.json")], env)))
    if "plan" in stages:
        rows.append(("plan every commune (standard 450)", *run("plan", ["plan", "create", "--unit", "01", "--name",
                                                                         "hn-scale", "--at", "2026-01-02",
                                                                         "--time-limit", "60"], env)))
    if "report" in stages:
        rows.append(("review report (PDF)", *run("report", ["report", "review", "--unit", "01", "--from",
                                                             "2026-01-01", "--to", "2026-01-02", "--output",
                                                             str(args.out / "bao-cao.pdf")], env)))
    print(f"\n| stage ({args.backend}) | seconds | peak memory (MiB) |\n|---|---:|---:|")
    for label, secs, peak in rows:
        print(f"| {label} | {secs:.1f} | {peak / 2**20:.0f} |")


if __name__ == "__main__":
    main()
