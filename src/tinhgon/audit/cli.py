"""`tinhgon audit --unit CODE [--at DATE] [--format text|json|xlsx] [--output FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tinhgon.cliutil import parse_date


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị, hiểu theo ngày --at.")],
    at: Annotated[str | None, typer.Option("--at", help="Ngày rà soát; mặc định hôm nay.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text | json | xlsx")] = "text",
    output: Annotated[Path | None, typer.Option("--output", help="Tệp kết quả (bắt buộc với xlsx).")] = None,
    bands: Annotated[str, typer.Option("--bands", help="Các mốc quy mô, ví dụ 450,600.")] = "450,600",
    oversized: Annotated[int | None, typer.Option("--oversized", help="Số hộ coi là quá lớn.")] = None,
) -> None:
    """Rà soát đơn vị và các đơn vị trực thuộc theo tiêu chuẩn pháp lý đang có hiệu lực."""
    from tinhgon.audit.service import audit_unit
    from tinhgon.errors import BadInput
    from tinhgon.registry import db

    if fmt not in ("text", "json", "xlsx"):
        raise BadInput(f"định dạng không hỗ trợ: {fmt!r} (text | json | xlsx)", field="--format")
    if fmt == "xlsx" and output is None:
        raise BadInput("định dạng xlsx cần --output TỆP.xlsx", field="--output")
    try:
        band_list = [int(x) for x in bands.split(",") if x.strip()]
    except ValueError as exc:
        raise BadInput(f"mốc quy mô không hợp lệ: {bands!r}", field="--bands") from exc
    if output is not None and not output.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {output.parent}", field="--output")
    on = parse_date(at)
    with db.get_engine().connect() as conn:
        report = audit_unit(conn, unit, on, bands=band_list, oversized=oversized)
    from tinhgon.rules import render

    if fmt == "xlsx":
        render.write_xlsx(report, output)  # type: ignore[arg-type]
        typer.echo(f"Đã ghi {output}")
        return
    text = render.render(report, fmt)
    if output is not None:
        output.write_text(text if isinstance(text, str) else text.decode("utf-8"), encoding="utf-8")
        typer.echo(f"Đã ghi {output}")
    else:
        sys.stdout.write(text if isinstance(text, str) else text.decode("utf-8"))
        if isinstance(text, str) and not text.endswith("\n"):
            sys.stdout.write("\n")
