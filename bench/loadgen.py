"""A small open-loop HTTP/1.1 load generator for the web benchmarks (bench/web_load.py, bench/web_mixed_load.py).

Why not httpx: on a 2-core machine the load generator shares the CPU with the server, and an httpx
client spends ~1 ms of CPU per request, a fifth of a core at 200 req/s taken from the server being
measured. This client speaks just enough HTTP/1.1 (keep-alive, Content-Length or chunked bodies) over
asyncio streams, like wrk does in C.

Open loop, as wrk2 measures: request i is due at start + i / rate whatever happened to the others, and
its latency counts from the moment it was due, not from when a connection was free to send it, so a
slow server cannot hide its queue (no "coordinated omission").
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive connection to host:port."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            status_line = await self.reader.readuntil(b"\r\n")
            status = int(status_line.split(b" ", 2)[1])
            head: dict[str, str] = {}
            while True:
                line = await self.reader.readuntil(b"\r\n")
                if line == b"\r\n":
                    break
                k, _, v = line.decode("latin-1").partition(":")
                head[k.strip().lower()] = v.strip()
            if "content-length" in head:
                data = await self.reader.readexactly(int(head["content-length"]))
            elif head.get("transfer-encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    if size == 0:
                        await self.reader.readuntil(b"\r\n")
                        break
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readexactly(2)
                data = b"".join(parts)
            else:
                data = await self.reader.read()
            if head.get("connection", "").lower() == "close":
                await self.close()
            return status, head, data
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError) as exc:
            await self.close()
            raise HttpError(str(exc)) from exc


# an operation sends one request on the connection it is given and says (kind, ok)
Operation = Callable[[Connection, int], Awaitable[tuple[str, bool]]]


@dataclass
class StepResult:
    rate: int
    requests: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    max_lag: float = 0.0

    @property
    def achieved(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self, kind: str | None = None) -> dict[str, float]:
        lat = sorted(x for k, v in self.latencies.items() if kind is None or k == kind for x in v)
        if not lat:
            return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "errors": 0}
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
        errs = sum(v for k, v in self.errors.items() if kind is None or k == kind)
        return {"n": len(lat), "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000,
                "max": lat[-1] * 1000, "errors": errs}


async def run_open_loop(host: str, port: int, clients: int, rate: int, total: int, pick: Operation) -> StepResult:
    """Send TOTAL requests at RATE per second over CLIENTS keep-alive connections; PICK(conn, i) sends
    request i. Latency of request i = its end - its due time."""
    conns = [Connection(host, port) for _ in range(clients)]
    for c in conns:
        await c.open()
    # the generator is a measuring instrument: a pause of its own garbage collector would be counted
    # as the server's latency (wrk, written in C, has none). Collected after the run instead.
    gc.disable()
    try:
        return await _run(conns, rate, total, pick)
    finally:
        gc.enable()
        gc.collect()


async def _run(conns: list[Connection], rate: int, total: int, pick: Operation) -> StepResult:
    res = StepResult(rate=rate, requests=total, seconds=0.0)
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for c in conns:
        free.put_nowait(c)
    start = time.perf_counter() + 0.1

    async def one(i: int, due: float) -> None:
        conn = await free.get()
        res.max_lag = max(res.max_lag, time.perf_counter() - due)
        try:
            kind, ok = await pick(conn, i)
        except HttpError:
            kind, ok = "error", False
        finally:
            free.put_nowait(conn)
        end = time.perf_counter()
        res.latencies.setdefault(kind, []).append(end - due)
        if not ok:
            res.errors[kind] = res.errors.get(kind, 0) + 1

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    res.seconds = time.perf_counter() - start
    for c in conns:
        await c.close()
    return res
