"""Engines and schema: SQLite by default, PostgreSQL for multi-user deployments.

``TINHGON_DATABASE_URL`` chooses the database; the default is an embedded ``tinhgon.db`` in the
working folder. The schema is brought to the newest Alembic revision on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from tinhgon.errors import BadInput, Failure

DEFAULT_URL = "sqlite:///tinhgon.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("TINHGON_DATABASE_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


# a web worker runs up to 8 requests at once (tinhgon.web.app.REQUEST_THREADS) and ends transactions
# beside them: room for both without waiting; a CLI command uses one or two connections
POOL = {"pool_size": 10, "max_overflow": 20}


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL, refusing a malformed one with a clear message (exit 2)."""
    raw = database_url(url)
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise BadInput(f"địa chỉ cơ sở dữ liệu không hợp lệ: {raw!r} ({exc})",
                       field="TINHGON_DATABASE_URL") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not Path(db).parent.exists():
            raise BadInput(f"thư mục của tệp cơ sở dữ liệu không tồn tại: {Path(db).parent}",
                           field="TINHGON_DATABASE_URL")
        engine = create_engine(parsed, connect_args={"timeout": 30}, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":  # prefer psycopg 3 over the psycopg2 default
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_pre_ping=True, **POOL)
        except ModuleNotFoundError as exc:
            raise Failure(f"thiếu trình điều khiển PostgreSQL ({exc.name}); cài: pip install 'tinhgon[postgres]'")\
                from exc
    raise BadInput(f"hệ quản trị cơ sở dữ liệu không được hỗ trợ: {backend!r} (dùng sqlite hoặc postgresql)",
                   field="TINHGON_DATABASE_URL")


def _alembic_config(connection: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "heads")  # each domain may add its own branch
    except OperationalError as exc:
        raise Failure(f"không kết nối được cơ sở dữ liệu {engine.url.render_as_string(hide_password=True)}: "
                      f"{exc.orig}") from exc
    except DBAPIError as exc:
        raise Failure(f"lỗi cơ sở dữ liệu: {exc.orig}") from exc


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = MigrationContext.configure(conn).get_current_heads()
        head = ScriptDirectory(str(MIGRATIONS)).get_heads()
        return set(current) == set(head)


_ENGINES: dict[str, Engine] = {}


def get_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """The process-wide engine for the URL, with the schema brought up to date once."""
    raw = database_url(url)
    engine = _ENGINES.get(raw)
    if engine is None:
        engine = make_engine(raw)
        if migrate:
            upgrade(engine)
        from tinhgon.reliability import auditlog

        auditlog.install(engine)  # every change through this engine lands in audit_log
        from tinhgon.reliability import dataversion

        dataversion.install(engine)  # and raises the data version the web caches key on
        _ENGINES[raw] = engine
    return engine


def dispose_all() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing unit of work: commit on success, roll back on any error."""
    with engine.begin() as conn:
        yield conn
