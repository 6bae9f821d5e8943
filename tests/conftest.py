"""Database fixtures for every backend.

Each test gets its own database, copied from a template made once per worker: an empty migrated one,
one with the national seed, one with the demo. PostgreSQL runs when TINHGON_TEST_POSTGRES_URL names a
server (an admin URL, e.g. postgresql://postgres@127.0.0.1:54329/postgres); without it PostgreSQL tests
are skipped with a clear message, unless TINHGON_REQUIRE_POSTGRES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tinhgon.registry import db

PG_ADMIN_URL = os.environ.get("TINHGON_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("TINHGON_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _pg_available() -> str | None:
    """None when usable, else why not."""
    if not PG_ADMIN_URL:
        return "TINHGON_TEST_POSTGRES_URL is not set (start one with scripts/start-postgres.sh)"
    try:
        eng = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}"
    return None


_PG_PROBLEM: str | bool | None = False


def pg_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_available()
    return _PG_PROBLEM  # type: ignore[return-value]


def _admin():  # type: ignore[no-untyped-def]
    return create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                         isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


class Templates:
    """Per-worker template databases, built lazily, copied per test."""

    def __init__(self, root: Path, worker: str) -> None:
        self.root = root
        self.worker = worker
        self.built: dict[tuple[str, str], str] = {}
        self.pg_dbs: list[str] = []

    def template(self, backend: str, flavour: str, build: Callable[[str], None]) -> str:
        key = (backend, flavour)
        if key not in self.built:
            if backend == "sqlite":
                path = self.root / f"template-{flavour}.db"
                url = f"sqlite:///{path}"
                build(url)
                db.dispose_all()
                self.built[key] = str(path)
            else:
                name = f"tpl_{flavour}_{self.worker}_{uuid.uuid4().hex[:6]}"
                eng = _admin()
                with eng.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                eng.dispose()
                self.pg_dbs.append(name)
                build(_pg_url(name))
                db.dispose_all()
                self.built[key] = name
        return self.built[key]

    def copy(self, backend: str, flavour: str, build: Callable[[str], None]) -> str:
        src = self.template(backend, flavour, build)
        if backend == "sqlite":
            dst = self.root / f"t-{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(src, dst)
            return f"sqlite:///{dst}"
        name = f"t_{self.worker}_{uuid.uuid4().hex[:10]}"
        eng = _admin()
        with eng.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{src}"'))
        eng.dispose()
        self.pg_dbs.append(name)
        return _pg_url(name)

    def drop(self, url: str) -> None:
        if url.startswith("postgresql"):
            name = url.rsplit("/", 1)[1]
            eng = _admin()
            with eng.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            eng.dispose()
            if name in self.pg_dbs:
                self.pg_dbs.remove(name)

    def close(self) -> None:
        if self.pg_dbs and not pg_problem():
            eng = _admin()
            with eng.connect() as conn:
                for name in self.pg_dbs:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            eng.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("dbs"), worker_id.replace("-", "_"))
    yield t
    db.dispose_all()
    t.close()


def _build_empty(url: str) -> None:
    db.get_engine(url)


def _build_seeded(url: str) -> None:
    from tinhgon.registry import seed

    with db.get_engine(url).begin() as conn:
        seed.seed_vietnam(conn)


def _build_demo(url: str) -> None:
    from tinhgon.demo.builder import build_demo

    with db.get_engine(url).begin() as conn:
        build_demo(conn)


FLAVOURS: dict[str, Callable[[str], None]] = {"empty": _build_empty, "seeded": _build_seeded, "demo": _build_demo}


def _skip_or_fail_pg() -> None:
    problem = pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here (TINHGON_REQUIRE_POSTGRES=1): {problem}")
        pytest.skip(f"PostgreSQL not available: {problem}")


def _fresh(request: pytest.FixtureRequest, templates: Templates, flavour: str) -> Iterator[str]:
    backend = request.param
    if backend == "postgresql":
        _skip_or_fail_pg()
    url = templates.copy(backend, flavour, FLAVOURS[flavour])
    old = os.environ.get("TINHGON_DATABASE_URL")
    os.environ["TINHGON_DATABASE_URL"] = url
    try:
        yield url
    finally:
        if old is None:
            os.environ.pop("TINHGON_DATABASE_URL", None)
        else:
            os.environ["TINHGON_DATABASE_URL"] = old
        db.dispose_all()
        templates.drop(url)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, templates: Templates) -> Iterator[str]:
    """A fresh, empty, migrated database on each backend; also set as TINHGON_DATABASE_URL."""
    yield from _fresh(request, templates, "empty")


@pytest.fixture(params=BACKENDS)
def seeded_url(request: pytest.FixtureRequest, templates: Templates) -> Iterator[str]:
    """A fresh database holding the national seed, on each backend."""
    yield from _fresh(request, templates, "seeded")


@pytest.fixture(params=BACKENDS)
def demo_url(request: pytest.FixtureRequest, templates: Templates) -> Iterator[str]:
    """A fresh copy of the demo database, on each backend."""
    yield from _fresh(request, templates, "demo")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print how many tests ran on each backend (CI reads it)."""
    counts: dict[str, int] = {"sqlite": 0, "postgresql": 0}
    for key in ("passed", "failed", "error"):
        for rep in terminalreporter.stats.get(key, []):
            if getattr(rep, "when", "call") != "call":
                continue
            for backend in counts:
                if f"[{backend}" in rep.nodeid or f"-{backend}]" in rep.nodeid or f"-{backend}-" in rep.nodeid:
                    counts[backend] += 1
    terminalreporter.write_line(
        f"tests run per backend: sqlite={counts['sqlite']} postgresql={counts['postgresql']}")
