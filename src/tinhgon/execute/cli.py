"""Command line of the execute domain: `tinhgon address` (old-to-new addresses) and `tinhgon merge`
(approve, apply, undo, finalise a merger plan; import a plan; names; address-change lists)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tinhgon.cliutil import echo_json, parse_date

address_app = typer.Typer(help="Chuyển đổi địa chỉ cũ sang địa chỉ mới / old-to-new address conversion.",
                          no_args_is_help=True)
merge_app = typer.Typer(help="Thực hiện sáp nhập theo phương án / carry out a merger plan.", no_args_is_help=True)

STATUS_VI = {
    "converted": "đã chuyển đổi",
    "unchanged": "không thay đổi",
    "split_candidates": "đơn vị cũ bị chia: cần chọn một trong các đơn vị mới",
    "not_found": "không tìm thấy",
    "ambiguous": "không rõ (khớp nhiều đơn vị)",
    "empty": "trống",
}


@address_app.command("convert")
def address_convert(
    address: Annotated[str | None, typer.Argument(help="Địa chỉ cần chuyển đổi (bỏ qua khi dùng --input).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Ngày của địa chỉ; mặc định: trước 01/07/2025.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Chuyển đến ngày này; mặc định hôm nay.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
    input_file: Annotated[Path | None, typer.Option("--input", help="Tệp CSV có cột 'address'.")] = None,
    output_file: Annotated[Path | None, typer.Option("--output", help="Tệp CSV kết quả.")] = None,
) -> None:
    """Chuyển địa chỉ cũ sang địa chỉ hiện hành theo lịch sử kế thừa trong sổ đăng ký."""
    import csv
    import time

    from tinhgon.errors import BadInput
    from tinhgon.execute.address import Converter
    from tinhgon.io.tables import read_csv_rows
    from tinhgon.registry import db

    on = parse_date(at, field="--at") if at else None
    until = parse_date(to, field="--to") if to else None
    if input_file is None and address is None:
        raise BadInput("cần một địa chỉ hoặc --input TỆP.csv", field="--input")
    if input_file is not None and output_file is None:
        raise BadInput("cần --output khi dùng --input", field="--output")
    with db.get_engine().connect() as conn:
        conv = Converter.from_connection(conn, until)
    if input_file is None:
        assert address is not None
        r = conv.convert(address, on)
        if as_json:
            echo_json(r.as_dict())
            return
        typer.echo(f"Trạng thái: {STATUS_VI.get(r.status, r.status)}")
        if r.new_address:
            typer.echo(f"Địa chỉ mới: {r.new_address}")
            typer.echo(f"Mã xã mới: {r.new_commune_code}; mã tỉnh mới: {r.new_province_code}")
        for c in r.candidates:
            mark = " (mặc định theo nguồn dữ liệu, chưa chọn)" if c.default else ""
            typer.echo(f"  - {c.name} (mã {c.code}){mark}: {c.address}")
        if r.note:
            typer.echo(f"Ghi chú: {r.note}")
        return

    from tinhgon.execute.address import convert_rows

    assert output_file is not None
    started = time.perf_counter()
    records = read_csv_rows(input_file)
    first = next(records, None)
    if first is None:
        raise BadInput("tệp rỗng", file=str(input_file))
    header = [str(c) for c in first[1]]
    body = ([str(c) if c is not None else "" for c in cells] for _n, cells in records if any(cells))
    out_header, out_rows, counts = convert_rows(conv, header, body, on, file=str(input_file))
    try:
        with output_file.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(out_header)
            w.writerows(out_rows)
    except OSError as exc:
        raise BadInput(f"không ghi được tệp: {exc.strerror}", file=str(output_file)) from None
    elapsed = time.perf_counter() - started
    if as_json:
        echo_json({"rows": len(out_rows), "counts": counts, "seconds": round(elapsed, 3)})
        return
    typer.echo(f"Đã chuyển {len(out_rows)} địa chỉ trong {elapsed:.1f} giây → {output_file}")
    for k, v in sorted(counts.items()):
        typer.echo(f"  {STATUS_VI.get(k, k)}: {v}")
