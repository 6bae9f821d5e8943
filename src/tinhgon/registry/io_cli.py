"""`tinhgon template`, `tinhgon import`, `tinhgon export`: standard Excel/CSV forms for the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tinhgon.cliutil import parse_date, vn_int


def register(app: typer.Typer) -> None:
    app.command("template")(template)
    app.command("import")(import_)
    app.command("export")(export)
    app.command("import-geometry")(import_geometry)


def template(
    kind: Annotated[str, typer.Argument(help="units | adjacency | households | people | holdings | ballots")],
    output: Annotated[Path, typer.Option("--output", help="Tệp .xlsx")],
) -> None:
    """Tạo biểu mẫu Excel: tiêu đề tiếng Việt, trang hướng dẫn, danh sách chọn, dòng ví dụ."""
    from tinhgon.errors import BadInput
    from tinhgon.io.templates import write_template

    if output.suffix.lower() != ".xlsx":
        raise BadInput("biểu mẫu là tệp .xlsx", field="--output")
    if not output.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {output.parent}", field="--output")
    write_template(kind, output)
    typer.echo(f"Đã tạo biểu mẫu {output}")


def import_(
    kind: Annotated[str, typer.Argument(help="units | adjacency | households | people | holdings")],
    files: Annotated[list[Path], typer.Argument(help="Tệp .xlsx hoặc .csv (nhiều tệp/trang được ghép).")],
    at: Annotated[str | None, typer.Option("--at", help="Ngày hiệu lực của dữ liệu; mặc định hôm nay.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Ghi bản chú thích lỗi (xlsx) vào đây.")] = None,
    default_kind: Annotated[str, typer.Option("--default-kind", help="Loại đơn vị khi tệp không ghi.")] = "to_dan_pho",
) -> None:
    """Nhập dữ liệu: kiểm tra toàn bộ trước, chỉ ghi khi cả tệp hợp lệ (được cả, hoặc không gì cả)."""
    from tinhgon.domain.units import Kind
    from tinhgon.errors import BadInput
    from tinhgon.io.problems import ValidationFailed, annotate_workbook
    from tinhgon.registry import db
    from tinhgon.registry.imports import run_import

    on = parse_date(at)
    try:
        dkind = Kind(default_kind)
    except ValueError as exc:
        raise BadInput(f"loại đơn vị không hợp lệ: {default_kind!r}", field="--default-kind") from exc
    for f in files:
        if not f.exists():
            raise BadInput("không có tệp này", file=str(f))
    engine = db.get_engine()
    conn = engine.connect()
    trans = conn.begin()
    try:
        result = run_import(conn, kind, files, on, dry_run=dry_run, default_kind=dkind)
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    except ValidationFailed as exc:
        trans.rollback()
        if report is not None:
            annotate_workbook(files[0], exc.problems, report)
            typer.echo(f"Bản chú thích lỗi: {report}", err=True)
        raise
    except BaseException:
        trans.rollback()
        raise
    finally:
        conn.close()
    verb = "Kiểm tra xong (không ghi)" if dry_run else "Đã nhập"
    typer.echo(f"{verb}: {vn_int(result.rows)} dòng; thêm {vn_int(result.inserted)}, cập nhật "
               f"{vn_int(result.updated)}, không đổi {vn_int(result.unchanged)}.")


def export(
    kind: Annotated[str, typer.Argument(help="units | adjacency | households | people | holdings")],
    output: Annotated[Path, typer.Option("--output", help="Tệp .xlsx hoặc .csv")],
    at: Annotated[str | None, typer.Option("--at")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Chỉ đơn vị này và các đơn vị trực thuộc.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Người xuất (ghi nhật ký dữ liệu cá nhân).")] = None,
) -> None:
    """Xuất dữ liệu ra đúng biểu mẫu nhập (CSV hoặc XLSX theo đuôi tệp)."""
    from tinhgon.errors import BadInput
    from tinhgon.io.templates import export_rows
    from tinhgon.registry import db
    from tinhgon.registry.exports import export_rows as registry_rows
    from tinhgon.reliability import auditlog

    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise BadInput("tệp xuất phải là .csv hoặc .xlsx", field="--output")
    if not output.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {output.parent}", field="--output")
    on = parse_date(at)
    with auditlog.acting_as(as_user, f"export {kind}"), db.get_engine().begin() as conn:
        rows = list(registry_rows(conn, kind, on, unit))
        if kind in ("households", "people"):  # personal data: every export is logged
            auditlog.record_access(conn, "export", kind, detail={"rows": len(rows), "file": output.name,
                                                                "scope": unit})
    n = export_rows(kind, rows, output)
    typer.echo(f"Đã xuất {vn_int(n)} dòng vào {output}")


def import_geometry(
    file: Annotated[Path, typer.Argument(help="Tệp GeoJSON (.geojson/.json) hoặc Shapefile (.shp).")],
    at: Annotated[str | None, typer.Option("--at", help="Ngày hiểu mã đơn vị; mặc định hôm nay.")] = None,
    code_property: Annotated[str | None, typer.Option("--code-property", help="Thuộc tính chứa mã.")] = None,
    rule: Annotated[str, typer.Option("--rule", help="rook (chung cạnh) | queen (chung điểm)")] = "rook",
) -> None:
    """Nhập ranh giới đơn vị và tính quan hệ liền kề từ ranh giới chung (được cả, hoặc không gì cả)."""
    from tinhgon.errors import BadInput
    from tinhgon.registry import db
    from tinhgon.registry.imports import import_geometry as run

    if rule not in ("rook", "queen"):
        raise BadInput(f"quy tắc liền kề không hợp lệ: {rule!r}", field="--rule")
    if not file.exists():
        raise BadInput("không có tệp này", file=str(file))
    on = parse_date(at)
    with db.get_engine().begin() as conn:
        result = run(conn, file, on, code_property=code_property, rule=rule)
    typer.echo(f"Đã nhập ranh giới: {vn_int(result.rows)} đơn vị; cập nhật {vn_int(result.updated)}, "
               f"không đổi {vn_int(result.unchanged)}; {'; '.join(result.notes)}.")
