"""`tinhgon dossier`: merger dossiers from scheme to the provincial council's resolution.

Exit codes: 0 done (overdue steps are shown, not an error), 2 bad input (nothing written), 3 other failure.
The household lists and ballots are written only to the folder given with --output; names never go to logs.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tinhgon.cliutil import echo_json, parse_date

dossier_app = typer.Typer(help="Hồ sơ sáp nhập thôn, tổ dân phố: các bước, thời hạn, văn bản / merger dossiers.",
                          no_args_is_help=True)

DossierOpt = Annotated[int, typer.Option("--dossier", "-d", help="Số hồ sơ (xem: dossier status).")]


def _engine() -> Any:
    from tinhgon.registry import db

    return db.get_engine()


def _user(value: str | None) -> str:
    if value:
        return value
    try:
        return os.environ.get("TINHGON_USER") or getpass.getuser()
    except OSError:
        return "khong-ro"


def _fmt(day: dt.date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def _print(report: dict[str, Any]) -> None:
    typer.echo(f"Hồ sơ số {report['id']} — {report['commune']} ({report['commune_code']}), phương án "
               f"«{report['plan']}»; bắt đầu {_fmt(report['started_on'])}; {report['status_vi']}; "
               f"tình trạng ngày {_fmt(report['as_of'])}")
    council = "có" if report["has_commune_council"] else "không có"
    typer.echo(f"Trình tự: {report['procedure_citation']}; {council} HĐND cấp xã")
    for st in report["steps"]:
        overdue = st["status"] == "overdue"
        mark = "⚠" if overdue else ("✓" if st["status"] == "done" else ("✗" if st["status"] == "stopped" else "·"))
        if st["due"]:
            due = f"hạn {_fmt(st['due'])} ({st['working_days']} ngày làm việc)"
        elif st["working_days"]:
            due = f"hạn {st['working_days']} ngày làm việc sau bước trước"
        else:
            due = "không quy định hạn"
        extra = ""
        if st["status"] == "done":
            extra = f"; xong {_fmt(st['done_on'])} bởi {st['done_by'] or '?'}"
            if st["late_working_days"]:
                extra += f" (trễ {st['late_working_days']} ngày làm việc)"
        elif overdue:
            extra = f"; trễ {st['late_working_days']} ngày làm việc"
        if st["failed_attempts"]:
            extra += f"; {st['failed_attempts']} lần không đạt"
        if st["documents"]:
            extra += f"; {len(st['documents'])} văn bản"
        line = (f" {mark} {st['position']}. [{st['step']}] {st['name']} — {st['actor']}: {st['status_vi']}, "
                f"{due}{extra}")
        typer.secho(line, fg=typer.colors.RED if overdue else None, bold=overdue)
    for ev in report["events"]:
        if ev["action"] in ("created", "resynced", "stopped") and ev["note"]:
            typer.echo(f"   {_fmt(ev['on'])} {ev['note']}")
    if report["overdue"]:
        typer.secho(f"QUÁ HẠN: {', '.join(report['overdue'])}", fg=typer.colors.RED, bold=True)


@dossier_app.command("create")
def create(
    plan: Annotated[str, typer.Option("--plan", help="Tên phương án đã lưu (tinhgon plan create).")],
    start: Annotated[str | None, typer.Option("--start", help="Ngày bắt đầu; mặc định ngày của phương án.")] = None,
    by: Annotated[str | None, typer.Option("--as", help="Người lập hồ sơ.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Lập hồ sơ cho mỗi xã, phường có tổ sáp nhập trong phương án; các bước theo quy định có hiệu lực."""
    from tinhgon.dossier import service

    day = parse_date(start, field="--start") if start else None
    with _engine().begin() as conn:
        ids = service.create_dossiers(conn, plan, start=day, created_by=_user(by))
        dossiers = [service.load_dossier(conn, i) for i in ids]
        reports = [d.report(d.started_on) for d in dossiers]
    if as_json:
        echo_json(reports)
        return
    for r in reports:
        _print(r)


@dossier_app.command("status")
def status(
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị (xã, phường hoặc cấp trên).")] = None,
    dossier: Annotated[int | None, typer.Option("--dossier", "-d", help="Số hồ sơ.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Xem tình trạng vào ngày này; mặc định hôm nay.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Tình trạng các bước, hạn và bước quá hạn (đánh dấu đỏ ⚠; vẫn thoát mã 0)."""
    from tinhgon.dossier import service

    on = parse_date(at)
    with _engine().connect() as conn:
        found = service.find_dossiers(conn, dossier_id=dossier, unit_code=unit, on=on)
        reports = [d.report(on) for d in found]
    if as_json:
        echo_json(reports)
        return
    if not reports:
        typer.echo("Chưa có hồ sơ nào.")
    for r in reports:
        _print(r)
        typer.echo("")


@dossier_app.command("advance")
def advance(
    dossier: DossierOpt,
    step: Annotated[str, typer.Option("--step", help="Mã bước đang thực hiện (xem: dossier status).")],
    date: Annotated[str | None, typer.Option("--date", help="Ngày hoàn thành; mặc định hôm nay.")] = None,
    by: Annotated[str | None, typer.Option("--as", help="Người ghi nhận.")] = None,
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="Tệp đính kèm (lặp lại được).")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Bước lấy ý kiến: passed | failed.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ghi nhận bước đang thực hiện đã xong (không bỏ bước, không ghi hai lần)."""
    from tinhgon.dossier import service

    on = parse_date(date, field="--date")
    with _engine().begin() as conn:
        d = service.advance(conn, dossier, step, on=on, by=_user(by), attach=list(attach or []), outcome=outcome)
        report = d.report(on)
    if as_json:
        echo_json(report)
        return
    _print(report)


@dossier_app.command("documents")
def documents(
    dossier: DossierOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi văn bản.")],
    pdf: Annotated[bool, typer.Option("--pdf", help="Xuất thêm PDF (cần LibreOffice).")] = False,
    group: Annotated[list[str] | None, typer.Option("--group", help="Chỉ lập danh sách hộ và phiếu cho tổ này "
                                                                    "(lặp lại được).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Ngày ghi trên văn bản; mặc định hôm nay.")] = None,
    by: Annotated[str | None, typer.Option("--as", help="Người lập.")] = None,
) -> None:
    """Lập văn bản: đề án, bản đồ, tờ trình, dự thảo nghị quyết, danh sách hộ, phiếu, kết quả lấy ý kiến."""
    from tinhgon.dossier import documents as docs
    from tinhgon.dossier import service
    from tinhgon.errors import BadInput

    on = parse_date(date, field="--date")
    if output.exists() and not output.is_dir():
        raise BadInput("không phải thư mục", file=str(output), field="--output")
    with _engine().begin() as conn:
        service.load_dossier(conn, dossier)   # a wrong number is refused before anything is written
        written = docs.write_documents(conn, dossier, output, on=on, pdf=pdf, units=list(group or []),
                                       progress=lambda name: typer.echo(f"  {name}"))
        service.record_generated(conn, dossier, [(w.kind, w.step, w.path) for w in written], on=on, by=_user(by))
    typer.echo(f"Đã lập {len(written)} tệp trong {output}")
