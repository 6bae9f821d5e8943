"""`tinhgon report review ...` and `tinhgon report opinion ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tinhgon.cliutil import parse_date

report_app = typer.Typer(help="Báo cáo sơ kết, tổng kết / review reports.", no_args_is_help=True)
opinion_app = typer.Typer(help="Ý kiến đóng góp tại hội nghị / opinions heard.", no_args_is_help=True)
report_app.add_typer(opinion_app, name="opinion")


@report_app.command("review")
def review(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị, hiểu theo ngày --to.")],
    frm: Annotated[str, typer.Option("--from", help="Ngày đầu kỳ.")],
    to: Annotated[str, typer.Option("--to", help="Ngày cuối kỳ.")],
    output: Annotated[Path, typer.Option("--output", help="Tệp .docx hoặc .pdf")],
    form: Annotated[str, typer.Option("--form", help="state (Nghị định 30/2020) | party (HD 36-HD/VPTW)")] = "state",
    number: Annotated[str | None, typer.Option("--number", help="Số văn bản, ví dụ 12/BC-UBND.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Ngày ký; mặc định ngày cuối kỳ.")] = None,
    annex: Annotated[Path | None, typer.Option("--annex", help="Phụ lục XLSX; mặc định cạnh báo cáo.")] = None,
) -> None:
    """Báo cáo sơ kết, tổng kết đúng thể thức, mọi số liệu tính từ sổ đăng ký."""
    from tinhgon.errors import BadInput
    from tinhgon.registry import db
    from tinhgon.reports.render_review import write_review
    from tinhgon.reports.review import build_review

    if form not in ("state", "party"):
        raise BadInput(f"thể thức không hợp lệ: {form!r} (state | party)", field="--form")
    if output.suffix.lower() not in (".docx", ".pdf"):
        raise BadInput("tệp kết quả phải có đuôi .docx hoặc .pdf", field="--output")
    if not output.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {output.parent}", field="--output")
    d_from, d_to = parse_date(frm, field="--from"), parse_date(to, field="--to")
    signed = parse_date(date, field="--date") if date else None
    with db.get_engine().connect() as conn:
        data = build_review(conn, unit, d_from, d_to)
    files = write_review(data, output, form=form, number=number, date=signed, annex=annex)
    typer.echo("Đã ghi: " + ", ".join(str(f) for f in files))


@opinion_app.command("add")
def opinion_add(
    unit: Annotated[str, typer.Option("--unit")],
    date: Annotated[str, typer.Option("--date", help="Ngày hội nghị.")],
    role: Annotated[str, typer.Option("--role", help="Chức danh người phát biểu (không ghi tên riêng).")],
    topic: Annotated[str, typer.Option("--topic")],
    text: Annotated[str, typer.Option("--text")],
    recommendation: Annotated[bool, typer.Option("--recommendation", help="Là kiến nghị với cấp trên.")] = False,
) -> None:
    """Ghi một ý kiến đóng góp tại hội nghị sơ kết, tổng kết."""
    from tinhgon.errors import BadInput
    from tinhgon.registry import db, repo
    from tinhgon.reports.tables import meeting_opinion

    on = parse_date(date, field="--date")
    for name, value in (("--role", role), ("--topic", topic), ("--text", text)):
        if not value.strip():
            raise BadInput("không được để trống", field=name)
    with db.get_engine().begin() as conn:
        u = repo.resolve_unit(conn, unit, on)
        conn.execute(meeting_opinion.insert().values(unit_id=u.id, meeting_date=on, speaker_role=role.strip(),
                                                     topic=topic.strip(), text=text.strip(),
                                                     to_higher_level=recommendation))
    typer.echo(f"Đã ghi ý kiến tại hội nghị của {u.name} ngày {on:%d/%m/%Y}.")
