"""`tinhgon serve` (the web application) and `tinhgon users create / create-demo` (accounts)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

users_app = typer.Typer(help="Tài khoản của ứng dụng web / web accounts.", no_args_is_help=True)

DEMO_PASSWORD = "tinhgon-demo"
# (username, role, scope code, date the code is resolved on, what it is)
DEMO_ACCOUNTS: list[tuple[str, str, str, str, str]] = [
    ("tinh.hanoi", "province_officer", "01", "2025-06-30", "cán bộ cấp tỉnh, Thành phố Hà Nội"),
    ("quan.longbien", "commune_officer", "004", "2025-06-30", "cán bộ cấp xã, phạm vi quận Long Biên (đến 30/06/2025)"),
    ("phuong.thuongthanh", "commune_officer", "00115", "2025-06-30", "cán bộ phường Thượng Thanh (cũ)"),
    ("phuong.bode", "commune_officer", "00118", "2025-07-01", "cán bộ phường Bồ Đề (từ 01/07/2025)"),
    ("to.thuongthanh02", "group_officer", "00115-02", "2025-06-30", "cán bộ Tổ dân phố số 2 Thượng Thanh"),
    ("xem.longbien", "viewer", "004", "2025-06-30", "người xem, quận Long Biên"),
]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")


def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng.")] = 8000,
    workers: Annotated[int, typer.Option(help="Số tiến trình (PostgreSQL: nhiều tiến trình được).")] = 1,
) -> None:
    """Chạy ứng dụng web trên TINHGON_DATABASE_URL (http://HOST:PORT)."""
    import uvicorn

    from tinhgon.registry import db

    db.get_engine()  # migrate (and refuse a bad URL) before the server starts listening
    typer.echo(f"tinhgon: http://{host}:{port}/ (CSDL {db.database_url()})", err=True)
    uvicorn.run("tinhgon.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@users_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="Tên đăng nhập.")],
    role: Annotated[str, typer.Option("--role", help="province_officer | commune_officer | group_officer | viewer")],
    scope: Annotated[str, typer.Option("--scope", help="Mã đơn vị phạm vi (giải theo --at).")],
    at: Annotated[str | None, typer.Option("--at", help="Ngày giải mã đơn vị (mặc định hôm nay).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ stdin.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Đặt lại nếu tài khoản đã có.")] = False,
) -> None:
    """Tạo tài khoản gắn với một đơn vị (và mọi đơn vị trực thuộc theo ngày)."""
    from tinhgon.cliutil import parse_date
    from tinhgon.registry import db, repo
    from tinhgon.web import auth

    on = parse_date(at)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    with db.get_engine().begin() as conn:
        unit = repo.resolve_unit(conn, scope, on)
        auth.create_user(conn, username, password, role, unit.id, on, replace=replace)
    typer.echo(f"Đã tạo tài khoản {username} ({auth.Role(role).label_vi}), phạm vi {unit.name} (mã {unit.code}).")


@users_app.command("create-demo")
def create_demo() -> None:
    """Tạo (hoặc đặt lại) các tài khoản mẫu cho CSDL mẫu Long Biên; in tên và mật khẩu."""
    for line in ensure_demo_accounts():
        typer.echo(line)


def ensure_demo_accounts(url: str | None = None) -> list[str]:
    import datetime as dt

    from tinhgon.registry import db, repo
    from tinhgon.web import auth

    out = [f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD}):"]
    with db.get_engine(url).begin() as conn:
        for username, role, code, day, what in DEMO_ACCOUNTS:
            unit = repo.resolve_unit(conn, code, dt.date.fromisoformat(day))
            auth.create_user(conn, username, DEMO_PASSWORD, role, unit.id, dt.date.fromisoformat(day), replace=True)
            out.append(f"  {username:<20} {auth.Role(role).label_vi:<26} {unit.name} — {what}")
    return out
