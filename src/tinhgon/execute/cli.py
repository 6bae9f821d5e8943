"""Command line of the execute domain: `tinhgon address` (old-to-new addresses) and `tinhgon merge`
(approve, apply, undo, finalise a merger plan; import a plan; names; address-change lists)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

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


# --- merge ------------------------------------------------------------------------------------------

PlanOpt = Annotated[str, typer.Option("--plan", help="Tên phương án đã lưu.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


@merge_app.command("approve")
def merge_approve(plan: PlanOpt) -> None:
    """Duyệt phương án (bản nháp → đã duyệt) trước khi thực hiện."""
    from tinhgon.execute import service
    from tinhgon.registry import db

    with db.get_engine().begin() as conn:
        p = service.approve(conn, plan)
    typer.echo(f"Phương án {p.name!r}: đã duyệt.")


@merge_app.command("name")
def merge_name(
    plan: PlanOpt,
    naming: Annotated[str, typer.Option("--naming", help="keep-largest | renumber")] = "keep-largest",
    at: Annotated[str | None, typer.Option("--at", help="Ngày xét (mặc định: ngày của phương án).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Ghi đè tên đã đặt.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Đề xuất tên tổ mới theo quy tắc phường chọn và ghi vào phương án (sửa được bằng `merge rename`)."""
    from tinhgon.execute import service
    from tinhgon.registry import db
    from tinhgon.registry import plans as plan_store

    with db.get_engine().begin() as conn:
        p = plan_store.load_plan(conn, plan)
        on = parse_date(at, field="--at") if at else p.at
        names = service.propose_names(conn, p, on, naming, overwrite=overwrite)
        if names:
            service.set_names(conn, p, names)
    if as_json:
        echo_json(names)
        return
    typer.echo(f"Đã đặt tên cho {len(names)} nhóm của phương án {plan!r}.")
    for label, name in names.items():
        typer.echo(f"  {label}: {name}")


@merge_app.command("rename")
def merge_rename(
    plan: PlanOpt,
    group: Annotated[str, typer.Option("--group", help="Nhãn nhóm trong phương án.")],
    name: Annotated[str, typer.Option("--name", help="Tên mới của tổ.")],
    code: Annotated[str | None, typer.Option("--code", help="Mã mới của tổ (tùy chọn).")] = None,
) -> None:
    """Sửa tên (và mã) của một tổ mới trong phương án."""
    from tinhgon.execute import service
    from tinhgon.registry import db
    from tinhgon.registry import plans as plan_store

    with db.get_engine().begin() as conn:
        p = plan_store.load_plan(conn, plan)
        service.set_names(conn, p, {group: name}, {group: code} if code else None)
    typer.echo(f"Nhóm {group}: tên mới {' '.join(name.split())!r}.")


@merge_app.command("apply")
def merge_apply(
    plan: PlanOpt,
    effective: Annotated[str, typer.Option("--effective", help="Ngày hiệu lực của việc sáp nhập.")],
    decision: Annotated[str, typer.Option("--decision", help="Số quyết định / nghị quyết (căn cứ pháp lý).")],
    decision_date: Annotated[str | None, typer.Option("--decision-date", help="Ngày ban hành.")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Cơ quan ban hành.")] = None,
    naming: Annotated[str, typer.Option("--naming", help="Tên tổ chưa đặt: keep-largest | renumber")] = "keep-largest",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chạy thử, không ghi gì.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Thực hiện phương án đã duyệt vào một ngày hiệu lực, trong một giao dịch duy nhất."""
    from tinhgon.domain.lineage import LegalBasis
    from tinhgon.execute import service
    from tinhgon.registry import db

    eff = parse_date(effective, field="--effective", default_today=False)
    basis = LegalBasis(decision.strip() or None, parse_date(decision_date, field="--decision-date")
                       if decision_date else None, issuer, None)
    with db.get_engine().connect() as conn:
        trans = conn.begin()
        try:
            summary = service.apply_plan(conn, plan, eff, basis, naming=naming)
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    data = summary.as_dict()
    data["dry_run"] = dry_run
    if as_json:
        echo_json(data)
        return
    head = "Chạy thử (không ghi gì)" if dry_run else "Đã thực hiện"
    typer.echo(f"{head} phương án {plan!r} từ ngày {eff:%d/%m/%Y}: {summary.mergers} tổ mới từ "
               f"{summary.units_closed} tổ cũ; {summary.renamed} tổ đổi tên; {summary.households_moved} hộ chuyển; "
               f"{summary.holdings_moved} chức danh theo quyết định nhân sự.")
    for u in summary.new_units:
        typer.echo(f"  {u['name']} (mã {u['code']}) ← {', '.join(u['from'])}")
    if summary.commune_holdings_closed or summary.commune_holdings_added:
        typer.echo(f"Chức danh cấp xã theo quyết định nhân sự: {summary.commune_holdings_closed} kết thúc, "
                   f"{summary.commune_holdings_added} bố trí từ ngày {eff:%d/%m/%Y}.")
    if summary.awaiting:
        typer.echo(f"Cần quyết định nhân sự: {len(summary.awaiting)} chức danh của tổ cũ đã kết thúc ngày "
                   f"{eff:%d/%m/%Y} mà chưa có quyết định (bố trí bằng `tinhgon staffing propose`, rồi "
                   f"`tinhgon staffing decide`; xem `tinhgon merge status`).")
    if not dry_run:
        typer.echo("Có thể hoàn tác bằng `tinhgon merge undo` cho đến khi chốt bằng `tinhgon merge finalise`.")


@merge_app.command("undo")
def merge_undo(plan: PlanOpt) -> None:
    """Hoàn tác đúng những gì lần thực hiện đã làm (khi chưa chốt)."""
    from tinhgon.execute import service
    from tinhgon.registry import db

    with db.get_engine().begin() as conn:
        r = service.undo_application(conn, plan)
    typer.echo(f"Đã hoàn tác phương án {plan!r}: bỏ {r['units_removed']} tổ mới, trả lại {r['households_restored']} "
               f"hộ và {r['holdings_restored']} chức danh. Phương án trở lại trạng thái đã duyệt.")


@merge_app.command("finalise")
def merge_finalise(plan: PlanOpt) -> None:
    """Chốt việc sáp nhập: từ đây không hoàn tác được nữa."""
    from tinhgon.execute import service
    from tinhgon.registry import db

    with db.get_engine().begin() as conn:
        service.finalise(conn, plan)
    typer.echo(f"Đã chốt phương án {plan!r}.")


@merge_app.command("status")
def merge_status(plan: PlanOpt, as_json: JsonOpt = False) -> None:
    """Trạng thái phương án và các lần thực hiện."""
    from tinhgon.execute import service
    from tinhgon.registry import db

    with db.get_engine().connect() as conn:
        info = service.application_info(conn, plan)
    if as_json:
        echo_json(info)
        return
    typer.echo(f"Phương án {info['plan']!r}: {info['status']}")
    for a in info["applications"]:
        typer.echo(f"  lần {a['id']}: hiệu lực {a['effective_date']:%d/%m/%Y}, {a['status']}, "
                   f"quyết định {a['decision'] or '-'}")
        if a["status"] == "undone" or not a["pending"]:
            continue
        waiting = [p for p in a["pending"] if not p["resolved"]]
        typer.echo(f"    chức danh chờ quyết định nhân sự: còn {len(waiting)} / {len(a['pending'])}")
        for p in a["pending"]:
            what = (f"{p['title_code']}{' (kiêm nhiệm)' if p['concurrent'] else ''} của người mã {p['person_code']}, "
                    f"tổ {p['old_unit_code']} → {p['new_unit_code']}")
            if not p["resolved"]:
                typer.echo(f"      - chờ: {what}")
                continue
            how = "giữ chức danh ở tổ mới" if p["resolution"] == "kept" else "thôi làm việc"
            when = f"{p['resolved_at']:%d/%m/%Y %H:%M}" if p["resolved_at"] else "-"
            typer.echo(f"      - đã quyết định: {what}: {how}; quyết định {p['decision'] or '-'}, "
                       f"{p['resolved_by'] or '-'}, {when}")


@merge_app.command("lineage")
def merge_lineage(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị, hiểu theo ngày --at.")],
    at: Annotated[str | None, typer.Option("--at", help="Ngày (mặc định hôm nay).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Đơn vị đã trở thành gì, và được hình thành từ những đơn vị nào (qua mọi lần sắp xếp)."""
    from tinhgon.execute import service
    from tinhgon.registry import db, repo

    on = parse_date(at)
    with db.get_engine().connect() as conn:
        u = repo.resolve_unit(conn, unit, on)

        def describe(rows: list[tuple[int, dt.date, int]]) -> list[dict[str, Any]]:
            out = []
            for uid, day, step in rows:
                hist = repo.unit_history(conn, uid)
                v = hist[-1] if hist else None
                out.append({"code": v.code if v else "", "name": v.name if v else "", "date": day, "step": step})
            return out

        data: dict[str, Any] = {"unit": {"code": u.code, "name": u.name},
                                "became": describe(service.became(conn, u.id)),
                                "made_of": describe(service.made_of(conn, u.id))}
    if as_json:
        echo_json(data)
        return
    typer.echo(f"{u.name} (mã {u.code})")
    for x in data["became"]:
        typer.echo(f"  → {x['name']} (mã {x['code']}) từ {x['date']:%d/%m/%Y}")
    for x in data["made_of"]:
        typer.echo(f"  ← {x['name']} (mã {x['code']}) ngày {x['date']:%d/%m/%Y}")


@merge_app.command("import")
def merge_import(
    file: Annotated[Path, typer.Option("--file", help="CSV/XLSX: old_code,new_code,new_name.")],
    name: Annotated[str, typer.Option("--name", help="Tên phương án sẽ lưu.")],
    effective: Annotated[str, typer.Option("--effective", help="Ngày hiệu lực (mã cũ hiểu theo ngày trước đó).")],
    naming: Annotated[str | None, typer.Option("--naming", help="keep-largest | renumber")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Nhập phương án bên ngoài (ví dụ nghị quyết HĐND) và lưu thành phương án để thực hiện."""
    from tinhgon.errors import BadInput
    from tinhgon.execute import service
    from tinhgon.io.tables import read_csv_rows
    from tinhgon.registry import db

    eff = parse_date(effective, field="--effective", default_today=False)
    if file.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(file, read_only=True, data_only=True)
        records = [(i, ["" if c is None else str(c) for c in row])
                   for i, row in enumerate(wb.active.iter_rows(values_only=True), start=1)]
    else:
        records = list(read_csv_rows(file))
    if not records:
        raise BadInput("tệp rỗng", file=str(file))
    header = [h.strip().lower().lstrip("\ufeff") for h in records[0][1]]
    if "old_code" not in header:
        raise BadInput("thiếu cột old_code", file=str(file), row=1)
    col: dict[str, int] = {h: header.index(h) for h in ("old_code", "new_code", "new_name") if h in header}

    def cell(cells: list[str], key: str) -> str:
        i = col.get(key)
        return str(cells[i]).strip() if i is not None and i < len(cells) and cells[i] is not None else ""

    rows = [service.ImportRow(n, cell(c, "old_code"), cell(c, "new_code"), cell(c, "new_name"))
            for n, c in records[1:] if any(str(x).strip() for x in c)]
    with db.get_engine().begin() as conn:
        plan = service.import_plan(conn, rows, name=name, effective=eff, file=str(file), naming=naming)
    data = {"plan": plan.name, "groups": len(plan.groups), "mergers": len(plan.mergers),
            "units": sum(len(g.unit_ids) for g in plan.groups)}
    if as_json:
        echo_json(data)
        return
    typer.echo(f"Đã lưu phương án {plan.name!r} (bản nháp): {data['units']} tổ cũ → {data['groups']} tổ mới, "
               f"{data['mergers']} trường hợp sáp nhập. Duyệt bằng `tinhgon merge approve --plan {plan.name!r}`.")


@merge_app.command("address-changes")
def merge_address_changes(
    plan: PlanOpt,
    output: Annotated[Path, typer.Option("--output", help="Tệp XLSX kết quả.")],
) -> None:
    """Danh sách hộ thay đổi địa chỉ theo từng tổ cũ (XLSX) gửi công an và bộ phận hộ tịch."""
    from tinhgon.execute import service
    from tinhgon.registry import db

    with db.get_engine().connect() as conn:
        rows = service.address_changes(conn, plan)
    n = service.write_address_changes_xlsx(rows, output, plan)
    typer.echo(f"Đã ghi {n} hộ thay đổi địa chỉ → {output}")
