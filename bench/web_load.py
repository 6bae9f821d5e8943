"""Load test of the web app on the demo: a ward's page (its children, figures, chart) and the matching API
call, on 127.0.0.1 only.

A uvicorn server (one process, as `tinhgon serve` runs it) is started on a free loopback port; 50
concurrent clients share one logged-in session and send requests on an open-loop schedule at a fixed
total rate. Each rate step is bounded in time and count. Reports p50/p95/max latency and errors per rate,
and the highest rate whose p95 stays at or under 100 ms; appends the "Web" section of bench/RESULTS.md.

    .venv/bin/python bench/web_load.py                       # SQLite demo built in a temp folder
    .venv/bin/python bench/web_load.py --postgres postgresql://postgres@127.0.0.1:54329/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
CLIENTS = 50
RATES = [25, 50, 100, 200, 400]
STEP_SECONDS = 5.0
MAX_PER_STEP = 3000
AT = "2025-06-30"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_demo(url: str) -> None:
    env = {**os.environ, "TINHGON_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "tinhgon.cli", "demo"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "tinhgon.cli", "users", "create-demo"], env=env, check=True,
                   capture_output=True)


def pg_database(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"bench_web_{os.getpid()}"
    eng = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    eng = create_engine(admin.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "TINHGON_DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "tinhgon.web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


async def run_step(base: str, cookies: httpx.Cookies, path: str, rate: int) -> dict[str, float]:
    """Open loop: request i is due at start + i / rate; 50 clients take the due requests in turn."""
    total = min(int(rate * STEP_SECONDS), MAX_PER_STEP)
    latencies: list[float] = []
    errors = 0
    lag = 0.0
    start = time.perf_counter() + 0.2
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors, lag
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            due = start + i / rate
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            else:
                lag = max(lag, now - due)
            t0 = time.perf_counter()
            try:
                r = await http.get(base + path)
                if r.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - t0)

    async with httpx.AsyncClient(cookies=cookies, limits=limits, timeout=30) as http:
        t_begin = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - t_begin
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 100
    return {"rate": rate, "requests": total, "achieved": total / elapsed, "p50": q[49] * 1000,
            "p95": q[94] * 1000, "max": latencies[-1] * 1000, "errors": errors, "lag": lag * 1000}


def measure(url: str, label: str) -> list[str]:
    proc, base = start_server(url)
    lines: list[str] = []
    try:
        r = httpx.post(f"{base}/api/v1/auth/login", json={"username": "quan.longbien", "password": "tinhgon-demo"})
        r.raise_for_status()
        cookies = r.cookies
        ward = httpx.get(f"{base}/api/v1/search", params={"q": "00115", "at": AT}, cookies=cookies).json()
        unit = ward["units"][0]["id"]
        targets = [("page", f"/units/{unit}/dashboard?at={AT}"), ("API", f"/api/v1/units/{unit}/dashboard?at={AT}")]
        for name, path in targets:
            httpx.get(base + path, cookies=cookies)  # warm caches
            best = None
            for rate in RATES:
                res = asyncio.run(run_step(base, cookies, path, rate))
                ok = res["p95"] <= 100 and res["errors"] == 0
                if ok:
                    best = rate
                lines.append(f"| {label} | {name} | {rate} | {res['requests']} | {res['achieved']:.0f} | "
                             f"{res['p50']:.1f} | {res['p95']:.1f} | {res['max']:.1f} | {res['errors']} |")
                print(lines[-1], flush=True)
                if res["p95"] > 400:  # far past the target: higher rates only queue up
                    break
            lines.append(f"| {label} | {name} | **highest rate with p95 ≤ 100 ms: "
                         f"{best if best is not None else 'below ' + str(RATES[0])} req/s** | | | | | | |")
            print(lines[-1], flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return lines


def write_results(rows: list[str]) -> None:
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    load = os.getloadavg()
    section = [
        "## Web: a ward's page and its API call under load (bench/web_load.py)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs (load average {load[0]:.1f} at the end); one uvicorn "
        f"process; {CLIENTS} concurrent clients on 127.0.0.1, one logged-in session, open-loop schedule, "
        f"{STEP_SECONDS:.0f} s per rate. Page: `/units/{{Thượng Thanh}}/dashboard?at={AT}` (27 groups: "
        "children, figures, bands chart); API: `/api/v1/units/{id}/dashboard` (same figures, JSON). "
        "Latencies in ms, from send to full answer. The figures of a unit's page are cached for 5 s per "
        "process (cleared by an edit); scope checks reuse the unit's ancestor chain for 30 s. On a machine "
        "shared with other jobs the server gets a fraction of a core, so these rates are lower bounds; "
        "the load average above says how busy the machine was.",
        "",
        "| backend | target | rate (req/s) | requests | achieved (req/s) | p50 | p95 | max | errors |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    marker = "## Web:"
    if marker in text:
        head, _, rest = text.partition(marker)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        text = head + "\n".join(section) + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(section)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sqlite", help="an existing demo database URL (default: build one in a temp folder)")
    ap.add_argument("--postgres", help="PostgreSQL admin URL: also measure on a fresh demo database there")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tinhgon-bench-web-") as tmp:
        url = args.sqlite or f"sqlite:///{tmp}/demo.db"
        if not args.sqlite:
            build_demo(url)
        rows += measure(url, "SQLite")
    if args.postgres:
        pg = pg_database(args.postgres)
        try:
            build_demo(pg)
            rows += measure(pg, "PostgreSQL")
        finally:
            drop_pg(pg)
    if not args.no_write:
        write_results(rows)


if __name__ == "__main__":
    main()
