"""Command line of the registry: `tinhgon seed`, `tinhgon units`, `tinhgon db`."""

from __future__ import annotations

from typing import Annotated

import typer

from tinhgon.cliutil import echo_json, parse_date, vn_int

seed_app = typer.Typer(help="Nạp dữ liệu gốc / load reference data.", no_args_is_help=True)
units_app = typer.Typer(help="Tra cứu đơn vị hành chính / browse units.", no_args_is_help=True)
db_app = typer.Typer(help="Quản trị cơ sở dữ liệu / database administration.", no_args_is_help=True)

AtOpt = Annotated[str | None, typer.Option("--at", help="Ngày tra cứu (yyyy-mm-dd hoặc dd/mm/yyyy); mặc định hôm nay.")]
UnitOpt = Annotated[str, typer.Option("--unit", help="Mã đơn vị, hiểu theo ngày --at.")]
LevelOpt = Annotated[str | None, typer.Option("--level", help="province | district | commune | residential_group")]


def _level(text: str | None):
    from tinhgon.domain.units import Level
    from tinhgon.errors import BadInput

    if text is None:
        return None
    try:
        return Level(text)
    except ValueError as exc:
        raise BadInput(f"cấp không hợp lệ: {text!r}", field="--level") from exc


@seed_app.command("vietnam")
def seed_vietnam(
    force: Annotated[bool, typer.Option(help="Nạp lại dù đã có (không khuyến khích).")] = False,
) -> None:
    """Nạp cây đơn vị hành chính toàn quốc trước và sau 01/07/2025 (nguồn: vietnamadminunits)."""
    from tinhgon.registry import db, seed

    engine = db.get_engine()
    with engine.begin() as conn:
        version = seed.already_seeded(conn)
        if version and not force:
            typer.echo(f"Đã nạp dữ liệu vietnamadminunits {version}; không làm gì thêm.")
            return
        result = seed.seed_vietnam(conn, progress=lambda m: typer.echo(m, err=True))
    typer.echo(
        f"Đã nạp: {result['legacy_provinces']} tỉnh, {result['districts']} huyện, {result['legacy_communes']} xã "
        f"(trước 01/07/2025); {result['provinces']} tỉnh, {result['communes']} xã (từ 01/07/2025)."
    )


@units_app.command("stats")
def units_stats(
    at: AtOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="In JSON theo cấp.")] = False,
) -> None:
    """Số đơn vị theo cấp vào một ngày."""
    from tinhgon.domain.units import Level
    from tinhgon.registry import db, repo

    on = parse_date(at)
    with db.get_engine().connect() as conn:
        counts = repo.counts_by_level(conn, on)
    if as_json:
        echo_json(counts)
        return
    typer.echo(f"Số đơn vị hành chính ngày {on:%d/%m/%Y}:")
    for lv in Level:
        typer.echo(f"  {lv.label_vi:<20} {vn_int(counts[lv.value]):>8}")


@units_app.command("show")
def units_show(unit: UnitOpt, at: AtOpt = None, level: LevelOpt = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Thông tin một đơn vị, các đơn vị trực thuộc và lịch sử kế thừa."""
    from tinhgon.registry import db, repo

    on = parse_date(at)
    with db.get_engine().connect() as conn:
        u = repo.resolve_unit(conn, unit, on, _level(level))
        kids = repo.children(conn, u.id, on)
        chain = repo.ancestors(conn, u, on)
        succ = [(repo.unit_history(conn, i)[-1], p, d) for i, p, d in repo.successors(conn, u.id)]
        pred = [(repo.unit_history(conn, i)[-1], p, d) for i, p, d in repo.predecessors(conn, u.id)]
    data = {
        "id": u.id, "code": u.code, "name": u.name, "level": u.level, "kind": u.kind,
        "valid_from": u.valid_from, "valid_to": u.valid_to, "households": u.households,
        "lat": u.lat, "lon": u.lon, "parents": [{"code": a.code, "name": a.name} for a in chain],
        "children": [{"code": k.code, "name": k.name, "households": k.households} for k in kids],
        "became": [{"code": x.code, "name": x.name, "partial": p, "date": d} for x, p, d in succ],
        "made_of": [{"code": x.code, "name": x.name, "partial": p, "date": d} for x, p, d in pred],
    }
    if as_json:
        echo_json(data)
        return
    path = " › ".join(a.name for a in reversed(chain))
    typer.echo(f"{u.name} (mã {u.code}, {u.level.label_vi}){' — ' + path if path else ''}")
    typer.echo(f"Hiệu lực: {repo.span_text(u.valid_from, u.valid_to)}")
    if kids:
        more = " …" if len(kids) > 30 else ""
        typer.echo(f"Trực thuộc ({len(kids)}): " + ", ".join(k.name for k in kids[:30]) + more)
    for x, p, d in succ:
        typer.echo(f"Từ {d:%d/%m/%Y} {'một phần ' if p else ''}thành: {x.name} (mã {x.code})")
    for x, p, d in pred:
        typer.echo(f"Hình thành từ {'một phần của ' if p else ''}{x.name} (mã {x.code}) ngày {d:%d/%m/%Y}")


@units_app.command("children")
def units_children(unit: UnitOpt, at: AtOpt = None, level: LevelOpt = None,
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Các đơn vị trực thuộc một đơn vị vào một ngày."""
    from tinhgon.registry import db, repo

    on = parse_date(at)
    with db.get_engine().connect() as conn:
        u = repo.resolve_unit(conn, unit, on, _level(level))
        kids = repo.children(conn, u.id, on)
    if as_json:
        echo_json([{"code": k.code, "name": k.name, "kind": k.kind, "households": k.households} for k in kids])
        return
    for k in kids:
        typer.echo(f"{k.code}\t{k.name}\t{k.households if k.households is not None else ''}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu lên phiên bản mới nhất."""
    from tinhgon.registry import db

    engine = db.get_engine(migrate=False)
    db.upgrade(engine)
    typer.echo(f"Lược đồ đã ở phiên bản mới nhất: {engine.url.render_as_string(hide_password=True)}")


@db_app.command("check")
def db_check() -> None:
    """Kiểm tra các ràng buộc toàn vẹn của sổ đăng ký (không vòng lặp, mã không trùng, hiệu lực lồng nhau)."""
    from tinhgon.errors import Failure
    from tinhgon.registry import db, repo

    with db.get_engine().connect() as conn:
        problems = repo.integrity_problems(conn)
    if problems:
        for p in problems[:50]:
            typer.echo(p, err=True)
        raise Failure(f"{len(problems)} vi phạm toàn vẹn")
    typer.echo("Sổ đăng ký toàn vẹn.")
