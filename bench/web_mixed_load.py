"""Mixed load on the web app, as during a consultation: many wards reading pages, entering ballots and
editing the registry at once (issue #12). Loopback only.

    .venv/bin/python bench/web_mixed_load.py                     # SQLite demo built in a temp folder
    .venv/bin/python bench/web_mixed_load.py --postgres postgresql://postgres@127.0.0.1:54329/postgres

Setup (not measured): the Long Biên demo, its accounts, and one household consultation over the 27
residential groups of Thượng Thanh (round 1 open; ~10,000 households on the roll). The server runs as
deployed (`tinhgon serve --workers 2`) on the same 2 cores as the load generator (bench/loadgen.py:
50 keep-alive connections, open loop, latency from each request's due time).

The mix, by request number (deterministic):
  reads 80 %: the ward's page (HTML), its dashboard API call, a group's detail API call, the live tally;
  ballots 15 %: POST /api/v1/consultations/{id}/ballots, each for a different household of the roll;
  edits 5 %: PATCH /api/v1/units/{group} (households), each with the row_version its last edit returned.
Every write is checked afterwards against the database: every accepted ballot is there once, and
every group's row_version equals the number of edits accepted for it, plus one (nothing lost).
Targets: p95 ≤ 100 ms for reads, ≤ 300 ms for writes, no errors, at 200 req/s in all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
import results
from web_load import build_demo, drop_pg, pg_database, start_server

CLIENTS = 50
AT = "2025-06-30"
WARD = "00115"


class Scenario:
    """Which database, ward, date and account the load runs on: the Long Biên demo by default, or the
    Hà Nội-scale city of bench/hanoi_scale.py (--city-url)."""

    def __init__(self, at: str, ward: str, username: str, password: str, name: str) -> None:
        self.at, self.ward, self.username, self.password, self.name = at, ward, username, password, name


DEMO = Scenario(AT, WARD, "quan.longbien", "tinhgon-demo", "the Long Biên demo (125,542 households)")
CITY = Scenario("2026-01-02", "C0000", "bench.officer", "bench-officer-pw",
                "the Hà Nội-scale city of bench/hanoi_scale.py (2,500,000 households)")


def city_account(url: str) -> None:
    """An officer who enters ballots and edits, over the whole city (it has no demo accounts)."""
    env = {**os.environ, "TINHGON_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "tinhgon.cli", "users", "create", "--username", CITY.username,
                    "--role", "commune_officer", "--scope", "01", "--at", CITY.at, "--password-stdin",
                    "--replace"], input=CITY.password + "\n", text=True, env=env, check=True, capture_output=True)
READ_KINDS = ("page", "dashboard API", "group API", "tally API")
WRITE_KINDS = ("ballot", "edit")


def _tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the server's workers)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def setup_consultation(url: str, sc: Scenario = DEMO) -> int:
    """One consultation over the ward's groups, through the CLI as an official would open it."""
    from sqlalchemy import select

    from tinhgon.registry import db, repo

    with db.get_engine(url).connect() as conn:
        ward = repo.resolve_unit(conn, sc.ward, dt_date(sc.at))
        groups = [u.code for u in repo.children(conn, ward.id, dt_date(sc.at))]
    env = {**os.environ, "TINHGON_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "tinhgon.cli", "consult", "create", "--name", f"Bench: lấy ý kiến {ward.name}",
           "--date", sc.at]
    for code in groups:
        cmd += ["--unit", code]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    from tinhgon.consult import tables as ct

    with db.get_engine(url).connect() as conn:
        newest = select(ct.consultation.c.id).order_by(ct.consultation.c.id.desc()).limit(1)
        return int(conn.execute(newest).scalar_one())


def dt_date(text: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(text)


def voter_codes(url: str, cid: int) -> list[str]:
    from sqlalchemy import select

    from tinhgon.consult import tables as ct
    from tinhgon.registry import db

    with db.get_engine(url).connect() as conn:
        q = select(ct.roll_entry.c.voter_code).where(ct.roll_entry.c.consultation_id == cid) \
            .order_by(ct.roll_entry.c.id)
        return [r[0] for r in conn.execute(q)]


def check_writes(url: str, cid: int, ballots_ok: set[str], edits_ok: dict[int, int],
                 start_versions: dict[int, int]) -> list[str]:
    """Every accepted write is in the database, once; returns the problems found (none expected)."""
    from sqlalchemy import func, select

    from tinhgon.consult import tables as ct
    from tinhgon.registry import db
    from tinhgon.registry import schema as s

    problems: list[str] = []
    with db.get_engine(url).connect() as conn:
        B, R = ct.ballot, ct.roll_entry
        q = select(R.c.voter_code, func.count()).select_from(B.join(R, B.c.roll_entry_id == R.c.id)) \
            .where(R.c.consultation_id == cid, B.c.is_current.is_(True)).group_by(R.c.voter_code)
        stored: dict[str, int] = {str(code): int(n) for code, n in conn.execute(q).all()}
        if set(stored) != ballots_ok:
            problems.append(f"ballots: {len(ballots_ok)} accepted, {len(stored)} stored")
        if any(n != 1 for n in stored.values()):
            problems.append("ballots: a household has more than one current ballot")
        for vid, n in edits_ok.items():
            rv = conn.execute(select(s.unit_version.c.row_version).where(s.unit_version.c.id == vid)).scalar_one()
            if rv != start_versions[vid] + n:
                problems.append(f"edits: version {vid} has row_version {rv}, expected {start_versions[vid] + n}")
    return problems


def measure(url: str, label: str, workers: int, rates: list[int], seconds: float,
            sc: Scenario = DEMO) -> list[dict[str, Any]]:
    AT = sc.at
    cid = setup_consultation(url, sc)
    codes = voter_codes(url, cid)
    proc, base = start_server(url, workers)
    port = int(base.rsplit(":", 1)[1])
    out: list[dict[str, Any]] = []
    try:
        r = httpx.post(f"{base}/api/v1/auth/login", json={"username": sc.username, "password": sc.password})
        r.raise_for_status()
        csrf = r.json()["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in r.cookies.items())
        ward = httpx.get(f"{base}/api/v1/search", params={"q": sc.ward, "at": AT}, cookies=r.cookies).json()
        ward_id = ward["units"][0]["id"]
        dash = httpx.get(f"{base}/api/v1/units/{ward_id}/dashboard", params={"at": AT}, cookies=r.cookies).json()
        # groups of the other wards under the same parent are edited; the consulted ward's groups are read
        parent = httpx.get(f"{base}/api/v1/units/{dash['unit']['parent_id']}/dashboard", params={"at": AT},
                           cookies=r.cookies).json()
        edit_groups: list[dict[str, Any]] = []
        for w in [c for c in parent["children"] if c["id"] != ward_id][:30]:
            wd = httpx.get(f"{base}/api/v1/units/{w['id']}/dashboard", params={"at": AT}, cookies=r.cookies).json()
            edit_groups += [c for c in wd["children"] if c["level"] == "residential_group"]
        read_groups = [c["id"] for c in dash["children"]]
        state: dict[int, dict[str, Any]] = {}
        for g in edit_groups:
            d = httpx.get(f"{base}/api/v1/units/{g['id']}", params={"at": AT}, cookies=r.cookies).json()
            state[g["id"]] = {"version_id": d["unit"]["version_id"], "row_version": d["row_version"],
                              "valid_from": d["unit"]["valid_from"] or "2019-10-05",
                              "households": d["unit"]["households"] or 0}
        start_versions = {st["version_id"]: st["row_version"] for st in state.values()}
        group_ids = list(state)
        headers = {"Cookie": cookie}
        wheaders = {"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"}
        ballots_ok: set[str] = set()
        edits_ok: dict[int, int] = {}
        counters = {"ballot": 0, "edit": 0}
        reads = [f"/units/{ward_id}/dashboard?at={AT}", f"/api/v1/units/{ward_id}/dashboard?at={AT}",
                 "group", f"/api/v1/consultations/{cid}/tally"]

        async def op(conn: loadgen.Connection, i: int) -> tuple[str, bool]:
            slot = i % 20
            if slot < 16:  # reads: 80 %
                k = slot % 4
                path = reads[k] if k != 2 else f"/api/v1/units/{read_groups[i % len(read_groups)]}?at={AT}"
                status, _h, _b = await conn.request("GET", path, headers)
                return READ_KINDS[k], status == 200
            if slot < 19:  # ballots: 15 %
                n = counters["ballot"]
                counters["ballot"] += 1
                code = codes[n]
                body = json.dumps({"household": code, "choice": "agree" if n % 5 else "disagree"}).encode()
                status, _h, _b = await conn.request("POST", f"/api/v1/consultations/{cid}/ballots", wheaders, body)
                if status == 201:
                    ballots_ok.add(code)
                return "ballot", status == 201
            n = counters["edit"]  # edits: 5 %
            counters["edit"] += 1
            gid = group_ids[n % len(group_ids)]
            st = state[gid]
            st["households"] += 1
            body = json.dumps({"version_id": st["version_id"], "row_version": st["row_version"],
                               "valid_from": st["valid_from"], "households": st["households"]}).encode()
            status, _h, data = await conn.request("PATCH", f"/api/v1/units/{gid}?at={AT}", wheaders, body)
            if status == 200:
                edits_ok[st["version_id"]] = edits_ok.get(st["version_id"], 0) + 1
                got = json.loads(data)
                if got["unit"]["version_id"] != st["version_id"]:
                    # the edit started a new version (the old one had no start date, so "from valid_from"
                    # split it): later edits go to the new version, checked from its own row_version
                    st["version_id"], st["valid_from"] = got["unit"]["version_id"], got["unit"]["valid_from"]
                    start_versions[st["version_id"]] = got["row_version"]
                st["row_version"] = got["row_version"]
            return "edit", status == 200

        for rate in rates:
            total = int(rate * seconds)
            if counters["ballot"] + total * 3 // 20 + 10 > len(codes):
                raise SystemExit(f"the roll has {len(codes)} households: too few for {total} more requests")
            cpu0 = _tree_cpu(proc.pid)
            self_cpu0 = time.process_time()
            res = asyncio.run(loadgen.run_open_loop("127.0.0.1", port, CLIENTS, rate, total, op))
            server_cpu = _tree_cpu(proc.pid) - cpu0
            client_cpu = time.process_time() - self_cpu0
            row: dict[str, Any] = {"backend": label, "rate": rate, "requests": total, "achieved": res.achieved,
                                   "kinds": {k: res.summary(k) for k in (*READ_KINDS, *WRITE_KINDS, "error")
                                             if k in res.latencies}}
            reads_lat = {k: v for k, v in res.latencies.items() if k in READ_KINDS}
            writes_lat = {k: v for k, v in res.latencies.items() if k in WRITE_KINDS}
            row["reads"] = loadgen.StepResult(rate, total, res.seconds, reads_lat,
                                              {k: v for k, v in res.errors.items() if k in READ_KINDS}).summary()
            row["writes"] = loadgen.StepResult(rate, total, res.seconds, writes_lat,
                                               {k: v for k, v in res.errors.items() if k in WRITE_KINDS}).summary()
            row["errors"] = sum(res.errors.values())
            row["server_cpu_ms_per_request"] = server_cpu / total * 1000
            row["client_cpu_ms_per_request"] = client_cpu / total * 1000
            out.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    problems = check_writes(url, cid, ballots_ok, edits_ok, start_versions)
    for row in out:
        row["check"] = "; ".join(problems) or (f"all {len(ballots_ok)} ballots and {sum(edits_ok.values())} "
                                              "edits found in the database")
    print(out[-1]["check"] if out else "", flush=True)
    return out


def write_results(rows: list[dict[str, Any]], workers: int, seconds: float, cmd: str) -> None:
    load = os.getloadavg()
    lines = [
        "## Web: mixed reads, ballot entry and edits under load (bench/web_mixed_load.py)",
        "",
        f"Command: `{cmd}`  ",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, {os.cpu_count()} cores "
        f"(load average {load[0]:.1f} at the end); server `tinhgon serve --workers {workers}` on the same cores "
        f"as the load generator (bench/loadgen.py, {CLIENTS} keep-alive connections, open loop, latency from "
        f"each request's due time); {seconds:.0f} s per rate. Mix: reads 80 % (the ward's page, its dashboard "
        "API, a group's detail API, the live tally of a consultation over the ward's 27 groups), ballots 15 % "
        "(each for a different household), edits 5 % (a group's households, with optimistic locking). "
        "Targets: p95 ≤ 100 ms reads, ≤ 300 ms writes, no errors. Latencies in ms.",
        "",
        "| database | rate (req/s) | achieved | reads p50 | reads p95 | reads max | writes p50 | writes p95 | "
        "writes max | errors | target met | writes checked in the database |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---|",
    ]
    for r in rows:
        rd, wr = r["reads"], r["writes"]
        ok = rd["p95"] <= 100 and wr["p95"] <= 300 and r["errors"] == 0
        lines.append(f"| {r['backend']} | {r['rate']} | {r['achieved']:.0f} | {rd['p50']:.1f} | {rd['p95']:.1f} | "
                     f"{rd['max']:.0f} | {wr['p50']:.1f} | {wr['p95']:.1f} | {wr['max']:.0f} | {r['errors']} | "
                     f"{'yes' if ok else 'no'} | {r['check']} |")
    lines += ["", "Per kind (p50 / p95 / max ms, errors):", "",
              "| database | rate | " + " | ".join((*READ_KINDS, *WRITE_KINDS)) + " |",
              "|---|---:|" + "---|" * (len(READ_KINDS) + len(WRITE_KINDS))]
    for r in rows:
        cells = []
        for k in (*READ_KINDS, *WRITE_KINDS):
            s = r["kinds"].get(k)
            cells.append(f"{s['p50']:.1f} / {s['p95']:.1f} / {s['max']:.0f}, {s['errors']}" if s else "–")
        lines.append(f"| {r['backend']} | {r['rate']} | " + " | ".join(cells) + " |")
    lines.append("")
    results.replace_section("## Web: mixed", lines, before="## Address conversion")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", help="PostgreSQL admin URL: also measure on a fresh demo database there")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rates", default="100,200", help="total request rates to run, comma-separated")
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds per rate")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--city", action="append", default=[],
                    help="URL of a database built by bench/hanoi_scale.py: also measure there (it gets a "
                         "consultation, an account and edits)")
    ap.add_argument("--skip-demo", action="store_true",
                    help="skip the SQLite demo (measure only --postgres and --city)")
    args = ap.parse_args()
    rates = [int(x) for x in args.rates.split(",")]
    rows: list[dict[str, Any]] = []
    if not args.skip_demo:
        with tempfile.TemporaryDirectory(prefix="tinhgon-bench-mixed-") as tmp:
            url = f"sqlite:///{tmp}/demo.db"
            build_demo(url)
            rows += measure(url, "SQLite, demo", args.workers, rates, args.seconds)
    for city in args.city:
        city_account(city)
        backend = "PostgreSQL" if city.startswith("postgresql") else "SQLite"
        rows += measure(city, f"{backend}, Hà Nội-scale city", args.workers, rates, args.seconds, CITY)
    if args.postgres:
        pg = pg_database(args.postgres)
        try:
            build_demo(pg)
            rows += measure(pg, "PostgreSQL, demo", args.workers, rates, args.seconds)
        finally:
            from tinhgon.registry import db

            db.dispose_all()
            drop_pg(pg)
    if not args.no_write:
        cmd = "python bench/web_mixed_load.py" + (" --postgres URL" if args.postgres else "") + \
            "".join(" --city URL" for _ in args.city) + (" --skip-demo" if args.skip_demo else "") + \
            (f" --rates {args.rates}" if args.rates != "100,200" else "")
        write_results(rows, args.workers, args.seconds, cmd)


if __name__ == "__main__":
    main()
