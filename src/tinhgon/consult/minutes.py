"""Minutes of the count (biên bản kiểm phiếu) as DOCX, one per unit and closed round.

Layout after Nghị định 30/2020/NĐ-CP, Annex I: A4, Times New Roman, national title and motto top right,
the issuing body top left, place and date in italics, the document type in bold capitals, the figures,
the signatures of the counting committee. Numbers the Vietnamese way: 1.144 and 92,5 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from sqlalchemy import Connection, select

from tinhgon.consult import service
from tinhgon.consult import tables as t
from tinhgon.consult.model import Decision, Tally, UnitCount
from tinhgon.errors import BadInput, Failure
from tinhgon.registry import repo
from tinhgon.rules.vnformat import format_int, format_pct

FONT = "Times New Roman"
BASIS_VI = {
    "voters": "cử tri",
    "voters_or_household_representatives": "cử tri đại diện hộ gia đình",
    "all_households": "hộ gia đình",
    "representatives_present": "đại diện hộ gia đình",
}


def _pct(n: int, d: int) -> str:
    return format_pct(n / d, 2) if d else "—"


def _run(p: Any, text: str, *, bold: bool = False, italic: bool = False, size: float = 14) -> Any:
    r = p.add_run(text)
    r.bold = bold
    r.italic = italic
    r.font.size = Pt(size)
    r.font.name = FONT
    r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return r


def _para(container: Any, text: str = "", *, bold: bool = False, italic: bool = False, size: float = 14,
          align: WD_ALIGN_PARAGRAPH | None = None, indent: bool = False, after: float = 6) -> Any:
    p = container.add_paragraph()
    if text:
        _run(p, text, bold=bold, italic=italic, size=size)
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    if indent:
        fmt.first_line_indent = Cm(1.27)
    return p


def _new_document() -> DocxDocument:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(2), Cm(2)
    sec.left_margin, sec.right_margin = Cm(3), Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return doc


def _cell_text(cell: _Cell, lines: Sequence[tuple[str, bool, bool, float]]) -> None:
    cell.paragraphs[0].text = ""
    first = True
    for text, bold, italic, size in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        _run(p, text, bold=bold, italic=italic, size=size)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)


def _widths(table: Any, widths: Sequence[Any]) -> None:
    """Fixed column widths (Word ignores a cell width unless autofit is off and every cell has it)."""
    table.autofit = False
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w
    for col, w in zip(table.columns, widths, strict=True):
        col.width = w


def _header(doc: DocxDocument, parent_body: str, issuer: str, place: str, day: dt.date) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (Cm(6), Cm(10.5)))
    left, right = table.rows[0].cells
    _cell_text(left, [(parent_body.upper(), False, False, 13), (issuer.upper(), True, False, 13),
                      ("———", False, False, 13)])
    _cell_text(right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False, 13),
                       ("Độc lập - Tự do - Hạnh phúc", True, False, 14), ("―――――――――――", False, False, 13)])
    _para(doc, f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", italic=True,
          align=WD_ALIGN_PARAGRAPH.RIGHT, after=12)


def _figures(doc: DocxDocument, rows: Sequence[tuple[str, str, str]], head: tuple[str, str, str]) -> None:
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        _cell_text(cell, [(text, True, False, 13)])
    for label, number, share in rows:
        cells = table.add_row().cells
        cells[0].paragraphs[0].text = ""
        _run(cells[0].paragraphs[0], label, size=13)
        for cell, text in ((cells[1], number), (cells[2], share)):
            _cell_text(cell, [(text, False, False, 13)])
    _widths(table, (Cm(9.5), Cm(3), Cm(4)))
    _para(doc, after=6)


def _signatures(doc: DocxDocument, committee: Sequence[tuple[str, str]]) -> None:
    chair = next((n for n, role in committee if "trưởng" in role.lower()), "")
    secretary = next((n for n, role in committee if "thư ký" in role.lower()), "")
    table = doc.add_table(rows=1, cols=2)
    # keep the signature block on one page
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = table.rows[0].cells
    _cell_text(left, [("THƯ KÝ", True, False, 13), ("(Ký, ghi rõ họ tên)", False, True, 13), ("", False, False, 13),
                      ("", False, False, 13), ("", False, False, 13), (secretary, True, False, 13)])
    _cell_text(right, [("TỔ TRƯỞNG TỔ KIỂM PHIẾU", True, False, 13), ("(Ký, ghi rõ họ tên)", False, True, 13),
                       ("", False, False, 13), ("", False, False, 13), ("", False, False, 13),
                       (chair, True, False, 13)])
    others = [(n, role) for n, role in committee if n not in (chair, secretary)]
    if others:
        _para(doc, after=6)
        _para(doc, "CÁC THÀNH VIÊN TỔ KIỂM PHIẾU", bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
        for n, role in others:
            _para(doc, f"{n} ({role}): ……………………", size=13)


def _committee_lines(doc: DocxDocument, committee: Sequence[tuple[str, str]]) -> None:
    _para(doc, "Tổ kiểm phiếu gồm:", indent=True)
    if committee:
        for i, (n, role) in enumerate(committee, 1):
            _para(doc, f"{i}. {n} – {role}", indent=True, after=0)
    else:
        for i, role in enumerate(("Tổ trưởng", "Thư ký", "Thành viên"), 1):
            _para(doc, f"{i}. …………………………………… – {role}", indent=True, after=0)
    _para(doc, after=6)


def merger_rows(u: UnitCount, basis: str) -> list[tuple[str, str, str]]:
    who = BASIS_VI.get(basis, "hộ gia đình")
    rows = [
        (f"Tổng số {who} trong danh sách", format_int(u.roll), "100 %"),
        ("Số phiếu thu về", format_int(u.cast), _pct(u.cast, u.roll)),
        ("Số phiếu hợp lệ", format_int(u.agree + u.disagree), _pct(u.agree + u.disagree, u.roll)),
        ("Số phiếu không hợp lệ", format_int(u.invalid), _pct(u.invalid, u.roll)),
        ("Số phiếu đồng ý", format_int(u.agree), _pct(u.agree, u.roll)),
        ("Số phiếu không đồng ý", format_int(u.disagree), _pct(u.disagree, u.roll)),
        (f"Số {who} không có phiếu", format_int(u.absent), _pct(u.absent, u.roll)),
    ]
    if u.declared is not None:
        rows.append(("Số phiếu tổ kiểm phiếu đếm tay", format_int(u.declared), _pct(u.declared, u.roll)))
    return rows


def election_rows(u: UnitCount, names: dict[int, str]) -> list[tuple[str, str, str]]:
    present = u.cast
    rows = [
        ("Tổng số đại diện hộ gia đình trong danh sách", format_int(u.roll), "—"),
        ("Số đại diện có mặt (số phiếu thu về)", format_int(present), _pct(present, u.roll)),
        ("Số phiếu hợp lệ", format_int(present - u.invalid), _pct(present - u.invalid, present)),
        ("Số phiếu không hợp lệ", format_int(u.invalid), _pct(u.invalid, present)),
    ]
    for cid, name in names.items():
        n = u.votes.get(cid, 0)
        rows.append((f"Số phiếu bầu ông/bà {name}", format_int(n), _pct(n, present)))
    return rows


def _unit_context(conn: Connection, tally: Tally, u: UnitCount) -> tuple[str, str, str]:
    """(parent body, issuing body, place) for the header."""
    unit = repo.unit_at(conn, u.unit_id, tally.held_on)
    parent = repo.unit_at(conn, unit.parent_id, tally.held_on) if unit and unit.parent_id else None
    parent_body = f"UBND {parent.name}" if parent else ""
    place = parent.name.split(" ", 1)[1] if parent and " " in parent.name else (parent.name if parent else u.name)
    return parent_body, u.name, place


def write_unit_minutes(conn: Connection, tally: Tally, u: UnitCount, path: Path, *,
                       committee: Sequence[tuple[str, str]] = (), place: str | None = None,
                       day: dt.date | None = None) -> Path:
    parent_body, issuer, default_place = _unit_context(conn, tally, u)
    day = day or tally.held_on
    doc = _new_document()
    _header(doc, parent_body, issuer, place or default_place, day)
    _para(doc, "BIÊN BẢN KIỂM PHIẾU", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    rule = tally.rule
    round_text = f" (lần {tally.round_number})" if tally.round_number > 1 else ""
    if tally.kind == "election":
        subject = f"Bầu tổ trưởng {u.name}{round_text}"
    else:
        who = BASIS_VI.get(rule.basis, "hộ gia đình")
        target = f" theo phương án nhóm {u.group_label}" if u.group_label else ""
        subject = f"Lấy ý kiến {who} về việc sắp xếp, sáp nhập {u.name}{target}{round_text}"
    _para(doc, subject, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    _para(doc, f"Hôm nay, ngày {day:%d/%m/%Y}, tại {u.name}, Tổ kiểm phiếu tiến hành kiểm phiếu "
               f"({tally.name}).", indent=True)
    _committee_lines(doc, committee)
    _para(doc, "Kết quả kiểm phiếu như sau:", indent=True)
    if tally.kind == "election":
        _figures(doc, election_rows(u, tally.candidates), ("Nội dung", "Số lượng", "Tỷ lệ so với số có mặt"))
    else:
        _figures(doc, merger_rows(u, rule.basis), ("Nội dung", "Số lượng", "Tỷ lệ so với danh sách"))
    _para(doc, f"Căn cứ: {rule.citation}. {rule.summary}", indent=True)
    if tally.kind == "election":
        if u.winner is not None:
            n = u.votes.get(u.winner, 0)
            verdict = (f"Ông/Bà {tally.candidates[u.winner]} được {format_int(n)} phiếu, bằng {_pct(n, u.cast)} "
                       f"số đại diện có mặt, trúng cử tổ trưởng.")
        else:
            verdict = "Không ứng cử viên nào đạt số phiếu cần thiết: không có người trúng cử."
    else:
        reached = u.decision == Decision.APPROVED
        verdict = (f"Số phiếu đồng ý là {format_int(u.agree)} trên tổng số {format_int(u.roll)}, "
                   f"đạt {_pct(u.agree, u.roll)}: {'ĐẠT' if reached else 'KHÔNG ĐẠT'} yêu cầu.")
    _para(doc, f"Kết luận: {verdict}", indent=True, bold=True)
    _para(doc, "Biên bản được lập xong, đọc lại cho các thành viên Tổ kiểm phiếu cùng nghe, nhất trí và ký tên.",
          indent=True, after=12)
    _signatures(doc, committee)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def write_minutes(conn: Connection, cid: int, outdir: Path, *, round_number: int | None = None,
                  committee: Sequence[tuple[str, str]] = (), place: str | None = None) -> list[Path]:
    """One DOCX per unit for every closed round (or for ROUND_NUMBER), figures from the frozen count."""
    CR = t.consultation_round
    q = select(CR.c.number, CR.c.status, CR.c.closed_at).where(CR.c.consultation_id == cid).order_by(CR.c.number)
    rounds = conn.execute(q).all()
    if not rounds:
        service.tally(conn, cid)  # raises the "no such consultation" message
    wanted = [r for r in rounds if round_number is None or r.number == round_number]
    closed = [(r.number, r.closed_at) for r in wanted if r.status == "closed"]
    if not closed:
        raise BadInput("chưa có vòng nào đã khóa: biên bản kiểm phiếu lập sau khi khóa vòng (close-round)",
                       field="--round")
    out: list[Path] = []
    try:
        for number, closed_at in closed:
            tl = service.tally(conn, cid, number)
            day = closed_at.date() if closed_at is not None and number > 1 else tl.held_on
            for u in tl.units:
                safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in u.code)
                path = outdir / f"bien-ban-kiem-phieu_{cid}_vong{number}_{safe}.docx"
                out.append(write_unit_minutes(conn, tl, u, path, committee=committee, place=place,
                                              day=day))
    except OSError as exc:
        raise Failure(f"không ghi được biên bản vào {outdir}: {exc.strerror}") from exc
    return out
