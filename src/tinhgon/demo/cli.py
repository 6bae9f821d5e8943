"""`tinhgon demo`: build the demo database; `tinhgon summary`: what a registry holds."""

from __future__ import annotations

import os
from typing import Annotated

import typer

DEMO_URL = "sqlite:///demo.db"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("summary")(summary)


def demo(
    force: Annotated[bool, typer.Option(help="Xóa và dựng lại nếu đã có.")] = False,
) -> None:
    """Dựng CSDL mẫu (quận Long Biên) vào TINHGON_DATABASE_URL nếu đặt, nếu không vào demo.db.

    Never into the default tinhgon.db, which holds the user's own data.
    """
    from sqlalchemy import select

    from tinhgon.cliutil import vn_int
    from tinhgon.demo.builder import build_demo
    from tinhgon.errors import BadInput
    from tinhgon.registry import db
    from tinhgon.registry import schema as s

    url = os.environ.get("TINHGON_DATABASE_URL") or DEMO_URL
    if url.endswith("/tinhgon.db") and "TINHGON_DATABASE_URL" not in os.environ:
        raise BadInput("không dựng dữ liệu mẫu vào tinhgon.db")
    if force and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    engine = db.get_engine(url)
    with engine.begin() as conn:
        if conn.execute(select(s.unit.c.id).limit(1)).first() is not None:
            raise BadInput(f"cơ sở dữ liệu {engine.url.render_as_string(hide_password=True)} đã có dữ liệu; "
                           "dùng --force để dựng lại (chỉ với SQLite)")
        stats = build_demo(conn, progress=lambda m: typer.echo(m, err=True))
    typer.echo(f"Đã dựng CSDL mẫu: {stats['wards']} phường, {stats['groups']} tổ dân phố, "
               f"{vn_int(stats['households'])} hộ, {vn_int(stats['holdings'])} chức danh.")


def summary(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị (mặc định: quận Long Biên 004 của CSDL mẫu).")] = "004",
    at: Annotated[str | None, typer.Option("--at")] = "2025-06-30",
) -> None:
    """Tóm tắt một đơn vị: số đơn vị trực thuộc, số hộ, chức danh."""
    from tinhgon.cliutil import parse_date, vn_int
    from tinhgon.registry import db, repo

    on = parse_date(at)
    with db.get_engine().connect() as conn:
        u = repo.resolve_unit(conn, unit, on)
        below = repo.descendants(conn, u.id, on)
        groups = [x for x in below if x.level.value == "residential_group"]
        holdings = repo.holdings_at(conn, on, [x.id for x in below] + [u.id])
        counts = repo.counts_by_level(conn, on)
    hh = sum(g.households or 0 for g in groups)
    typer.echo(f"{u.name} (mã {u.code}) ngày {on:%d/%m/%Y}")
    typer.echo(f"  Đơn vị trực thuộc: {len(below) - len(groups)} cấp xã, {len(groups)} thôn, tổ dân phố")
    typer.echo(f"  Hộ gia đình: {vn_int(hh)}")
    if groups:
        small = sum(1 for g in groups if (g.households or 0) < 450)
        big = sum(1 for g in groups if (g.households or 0) >= 600)
        typer.echo(f"  Tổ dưới 450 hộ: {small}; từ 450 đến dưới 600 hộ: {len(groups) - small - big}; từ 600 hộ: {big}")
    typer.echo(f"  Chức danh đang giữ: {len(holdings)} (bởi {len({h.person_id for h in holdings})} người)")
    typer.echo(f"  Cả nước: {counts['province']} tỉnh, {counts['district']} huyện, {counts['commune']} xã")
