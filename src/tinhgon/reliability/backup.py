"""Backup and restore: SQLite through its online backup API (consistent while others write),
PostgreSQL through pg_dump / pg_restore in custom format."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tinhgon.errors import BadInput, Failure
from tinhgon.registry import db
from tinhgon.reliability import dataversion
from tinhgon.reliability.tables import data_version


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BadInput("không sao lưu được cơ sở dữ liệu trong bộ nhớ", field="TINHGON_DATABASE_URL")
    return Path(database)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return args, env


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def backup(output: Path, url: str | None = None) -> str:
    """Write a backup of the database to OUTPUT; returns its SHA-256."""
    raw = db.database_url(url)
    backend = make_url(raw).get_backend_name()
    if not output.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {output.parent}", field="--output")
    tmp = output.with_name(output.name + ".partial")
    if backend == "sqlite":
        src_path = _sqlite_path(raw)
        if not src_path.exists():
            raise BadInput(f"không có tệp cơ sở dữ liệu {src_path}", field="TINHGON_DATABASE_URL")
        src = sqlite3.connect(str(src_path))
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)  # page-by-page copy that sees one consistent snapshot
        finally:
            dst.close()
            src.close()
    elif backend == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise Failure("không tìm thấy pg_dump (cài postgresql-client)")
        args, env = _pg_args(raw)
        name = make_url(raw).database or "postgres"
        r = subprocess.run([pg_dump, *args, "-Fc", "--no-owner", "-f", str(tmp), name], capture_output=True,
                           text=True, env=env)
        if r.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise Failure(f"pg_dump thất bại: {r.stderr.strip()}")
    else:  # pragma: no cover - make_engine refuses other backends first
        raise BadInput(f"không hỗ trợ {backend}", field="TINHGON_DATABASE_URL")
    os.replace(tmp, output)  # a backup file is either whole or absent
    return file_sha256(output)


def restore(source: Path, url: str | None = None) -> None:
    """Replace the database's content with the backup SOURCE (the whole database, in one step)."""
    raw = db.database_url(url)
    backend = make_url(raw).get_backend_name()
    if not source.exists():
        raise BadInput(f"không có tệp sao lưu {source}", field="FILE")
    before = _versions(raw)
    db.dispose_all()
    if backend == "sqlite":
        try:
            check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
            check.close()
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"tệp sao lưu không phải cơ sở dữ liệu SQLite hợp lệ: {exc}", file=str(source)) from exc
        if ok != "ok":
            raise BadInput(f"tệp sao lưu hỏng: {ok}", file=str(source))
        target = _sqlite_path(raw)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)  # writes the target under its own lock: readers never see half a restore
        finally:
            dst.close()
            src.close()
    elif backend == "postgresql":
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise Failure("không tìm thấy pg_restore (cài postgresql-client)")
        args, env = _pg_args(raw)
        name = make_url(raw).database or "postgres"
        listing = subprocess.run([pg_restore, "-l", str(source)], capture_output=True, text=True, env=env)
        if listing.returncode != 0:
            raise BadInput(f"tệp sao lưu PostgreSQL không hợp lệ: {listing.stderr.strip()}", file=str(source))
        r = subprocess.run([pg_restore, *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                            "-d", name, str(source)], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise Failure(f"pg_restore thất bại: {r.stderr.strip()}")
    _move_versions_past(raw, before)


def _versions(raw: str) -> tuple[int, int] | None:
    """The data versions before a restore (None when the database has none yet)."""
    engine = db.make_engine(raw)
    try:
        with engine.connect() as conn:
            return dataversion.current(conn) if inspect(conn).has_table("data_version") else None
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def _move_versions_past(raw: str, before: tuple[int, int] | None) -> None:
    """After a restore the data versions go back to the backup's; a running web server keeps what it read
    under the newer numbers and would serve it again once the numbers caught up. Set them past both."""
    engine = db.make_engine(raw)
    try:
        with engine.begin() as conn:
            if not inspect(conn).has_table("data_version"):
                return  # a backup from before data versions: the next start creates them
            now = dataversion.current(conn)
            for domain, (old, restored) in enumerate(zip(before or (0, 0), now, strict=True), start=1):
                conn.execute(update(data_version).where(data_version.c.id == domain)
                             .values(n=max(old, restored) + 1))
    finally:
        engine.dispose()
