"""`tinhgon template`, `tinhgon import`, `tinhgon export`: standard Excel/CSV forms for the registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tinhgon.cliutil import parse_date, vn_int

if TYPE_CHECKING:
    from tinhgon.io.problems import Problem


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
    report: Annotated[Path | None, typer.Option(
        "--report", help="Ghi bản chú thích lỗi (xlsx) vào đây; nhiều tệp có lỗi: mỗi tệp một bản "
                         "<tên tệp>.loi.xlsx đặt cạnh (hoặc trong thư mục này).")] = None,
    default_kind: Annotated[str, typer.Option("--default-kind", help="Loại đơn vị khi tệp không ghi.")] = "to_dan_pho",
) -> None:
    """Nhập dữ liệu: kiểm tra toàn bộ trước, chỉ ghi khi cả tệp hợp lệ (được cả, hoặc không gì cả)."""
    from tinhgon.domain.units import Kind
    from tinhgon.errors import BadInput
    from tinhgon.io.problems import ValidationFailed
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
    if report is not None:
        if not report.is_dir() and not report.parent.exists():
            raise BadInput(f"thư mục không tồn tại: {report.parent}", field="--report")
        if any(report.resolve() == f.resolve() for f in files):
            raise BadInput("bản chú thích lỗi không được ghi đè tệp nhập", field="--report")
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
            _annotated_copies(files, exc.problems, report)
        raise
    except BaseException:
        trans.rollback()
        raise
    finally:
        conn.close()
    verb = "Kiểm tra xong (không ghi)" if dry_run else "Đã nhập"
    typer.echo(f"{verb}: {vn_int(result.rows)} dòng; thêm {vn_int(result.inserted)}, cập nhật "
               f"{vn_int(result.updated)}, không đổi {vn_int(result.unchanged)}.")


def _annotated_copies(files: list[Path], problems: Sequence[Problem], report: Path) -> None:
    """One annotated copy per input file with problems (see tinhgon.io.problems), each listed on stderr.
    A copy that cannot be written is said so, and the refusal itself is still reported."""
    from tinhgon.errors import BadInput
    from tinhgon.io.problems import annotate_workbook, annotated_copy_paths, problems_by_file

    mine = problems_by_file(files, problems)
    for (src, own), dst in zip(mine.items(), annotated_copy_paths(list(mine), report, inputs=files), strict=True):
        try:
            annotate_workbook(src, own, dst)
        except (BadInput, OSError) as err:
            typer.echo(f"Không ghi được bản chú thích lỗi cho {src}: {err}", err=True)
            continue
        typer.echo(f"Bản chú thích lỗi: {dst} (tệp {src})", err=True)


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
