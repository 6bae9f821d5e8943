"""`tinhgon backup`, `tinhgon restore`, `tinhgon changes` (the audit log)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tinhgon.cliutil import echo_json, parse_date


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("changes")(changes)


def backup(output: Annotated[Path, typer.Option("--output", help="Tệp sao lưu.")]) -> None:
    """Sao lưu toàn bộ cơ sở dữ liệu (SQLite: sao lưu trực tuyến; PostgreSQL: pg_dump)."""
    from tinhgon.registry import db
    from tinhgon.reliability.backup import backup as do_backup

    db.get_engine()  # refuse a bad URL before writing anything
    digest = do_backup(output)
    typer.echo(f"Đã sao lưu vào {output} (SHA-256 {digest})")


def restore(
    source: Annotated[Path, typer.Argument(help="Tệp sao lưu.")],
    yes: Annotated[bool, typer.Option("--yes", help="Xác nhận ghi đè toàn bộ dữ liệu hiện có.")] = False,
) -> None:
    """Khôi phục cơ sở dữ liệu từ tệp sao lưu (thay toàn bộ dữ liệu hiện có)."""
    from tinhgon.errors import BadInput
    from tinhgon.reliability.backup import restore as do_restore

    if not yes:
        raise BadInput("khôi phục sẽ thay toàn bộ dữ liệu hiện có; thêm --yes để xác nhận", field="--yes")
    do_restore(source)
    typer.echo(f"Đã khôi phục từ {source}")


def changes(
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị (hiểu theo ngày --at).")] = None,
    person: Annotated[str | None, typer.Option("--person", help="Mã người (person.code).")] = None,
    frm: Annotated[str | None, typer.Option("--from", help="Từ ngày.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Đến hết ngày.")] = None,
    at: Annotated[str | None, typer.Option("--at")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Nhật ký thay đổi: ai, khi nào, thay đổi gì (trước và sau), theo đơn vị, người, ngày."""
    import datetime as dt

    from sqlalchemy import select

    from tinhgon.errors import BadInput
    from tinhgon.registry import db, repo
    from tinhgon.registry import schema as s
    from tinhgon.reliability.tables import audit_log as A

    q = select(A).order_by(A.c.id.desc()).limit(limit)
    with db.get_engine().connect() as conn:
        if unit:
            u = repo.resolve_unit(conn, unit, parse_date(at))
            q = q.where(A.c.unit_id == u.id)
        if person:
            pid = conn.execute(select(s.person.c.id).where(s.person.c.code == person)).scalar()
            if pid is None:
                raise BadInput(f"không có người mang mã {person!r}", field="--person")
            q = q.where(A.c.person_id == pid)
        if frm:
            q = q.where(A.c.at >= dt.datetime.combine(parse_date(frm, field="--from"), dt.time()))
        if to:
            q = q.where(A.c.at < dt.datetime.combine(parse_date(to, field="--to") + dt.timedelta(days=1), dt.time()))
        rows = [dict(r._mapping) for r in conn.execute(q)]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['at']:%d/%m/%Y %H:%M:%S}\t{r['actor']}\t{r['action']}\t{r['table_name']}\t{r['row_id'] or ''}")
