"""Official Vietnamese documents as DOCX, in the form of Nghị định 30/2020/NĐ-CP (state) or
Hướng dẫn 36-HD/VPTW (party), as summarised in RULES.md, and their PDF through LibreOffice.

The DOCX names Times New Roman (what users' Windows machines have); on a machine without it the PDF
renders with the metric-compatible Liberation Serif (Debian's fonts-liberation2), so line breaks and
page breaks stay the same.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from tinhgon.errors import Failure

FONT = "Times New Roman"
A4 = (Cm(21.0), Cm(29.7))
# Nghị định 30/2020 Annex I: top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm
MARGINS = {"top": Cm(2.2), "bottom": Cm(2.2), "left": Cm(3.2), "right": Cm(1.7)}


@dataclass
class Header:
    issuer: str                    # "ỦY BAN NHÂN DÂN PHƯỜNG THƯỢNG THANH" / "ĐẢNG ỦY PHƯỜNG THƯỢNG THANH"
    number: str                    # "12/BC-UBND" (state) / "12-BC/ĐU" (party)
    place: str                     # "Thượng Thanh"
    date: dt.date
    doc_type: str                  # "BÁO CÁO"
    summary: str                   # "Sơ kết thực hiện ..."
    parent_issuer: str | None = None   # "ỦY BAN NHÂN DÂN QUẬN LONG BIÊN" / "ĐẢNG BỘ QUẬN LONG BIÊN"


@dataclass
class Signature:
    authority: str                 # "TM. ỦY BAN NHÂN DÂN" / "T/M ĐẢNG ỦY"
    title: str                     # "CHỦ TỊCH" / "BÍ THƯ"
    name: str | None = None


@dataclass
class Recipients:
    items: list[str] = field(default_factory=lambda: ["Như trên;", "Lưu: VT."])


def vn_date_line(place: str, on: dt.date) -> str:
    return f"{place}, ngày {on.day:02d} tháng {on.month:02d} năm {on.year}"


class OfficialDocument:
    """Builder for one document: header block, title, body, recipients and signature."""

    def __init__(self, header: Header, *, form: str = "state") -> None:
        if form not in ("state", "party"):
            raise ValueError("form must be 'state' or 'party'")
        self.form = form
        self.header = header
        self.doc = Document()
        self.body_size = Pt(14)
        self._setup()
        self._header_block()

    # --- page and styles ----------------------------------------------------------------------
    def _setup(self) -> None:
        sec = self.doc.sections[0]
        sec.page_width, sec.page_height = A4
        sec.top_margin, sec.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        sec.left_margin, sec.right_margin = MARGINS["left"], MARGINS["right"]
        sec.header_distance = Cm(1.0)
        style = self.doc.styles["Normal"]
        style.font.name = FONT
        style.font.size = self.body_size
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        self.doc.core_properties.language = "vi-VN"
        # page numbers centred at the top, from page 2
        sec.different_first_page_header_footer = True
        p = sec.header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_field(p, Pt(13))

    def _run(self, par, text: str, *, size: Pt | None = None, bold: bool = False,
             italic: bool = False):
        run = par.add_run(text)
        run.font.name = FONT
        run.font.size = size or self.body_size
        run.bold = bold
        run.italic = italic
        return run

    def _par(self, cell_or_doc, text: str = "", *, align=WD_ALIGN_PARAGRAPH.CENTER,
             size: Pt | None = None, bold: bool = False, italic: bool = False, rule: bool = False,
             space_after: Pt = Pt(0)):
        par = cell_or_doc.add_paragraph() if hasattr(cell_or_doc, "add_paragraph") else cell_or_doc
        par.alignment = align
        par.paragraph_format.space_after = space_after
        par.paragraph_format.space_before = Pt(0)
        if text:
            lines = text.split("\n")
            for i, line in enumerate(lines):
                run = self._run(par, line, size=size, bold=bold, italic=italic)
                if i < len(lines) - 1:
                    run.add_break()
        if rule:  # the short rule goes on its own tiny paragraph so the text keeps its full width
            holder = par._parent
            rule_par = holder.add_paragraph()
            rule_par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            rule_par.paragraph_format.space_after = space_after
            rule_par.paragraph_format.space_before = Pt(0)
            rule_par.paragraph_format.line_spacing = Pt(2)
            container = _container_width_cm(holder)
            width = _rule_width(text, size)
            _bottom_rule(rule_par, indent_cm=max(0.0, (container - width) / 2))
            par.paragraph_format.space_after = Pt(0)
        return par

    # --- header ---------------------------------------------------------------------------------
    def _header_block(self) -> None:
        h = self.header
        table = self.doc.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _fixed_widths(table, (6.3, 9.8) if self.form == "state" else (7.0, 9.1))
        left, right = table.rows[0].cells
        left.paragraphs[0].text = ""
        right.paragraphs[0].text = ""
        if self.form == "state":
            first = left.paragraphs[0]
            if h.parent_issuer:
                self._par(first, h.parent_issuer.upper(), size=Pt(12))
                self._par(left, h.issuer.upper(), size=Pt(12), bold=True, rule=True)
            else:
                self._par(first, h.issuer.upper(), size=Pt(12), bold=True, rule=True)
            self._par(left, f"Số: {h.number}", size=Pt(13), space_after=Pt(0))
            self._par(right.paragraphs[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=Pt(12), bold=True)
            self._par(right, "Độc lập - Tự do - Hạnh phúc", size=Pt(13), bold=True, rule=True)
            self._par(right, vn_date_line(h.place, h.date), size=Pt(14), italic=True)
        else:
            first = left.paragraphs[0]
            if h.parent_issuer:
                self._par(first, h.parent_issuer.upper(), size=Pt(14))
                self._par(left, h.issuer.upper(), size=Pt(14), bold=True)
            else:
                self._par(first, h.issuer.upper(), size=Pt(14), bold=True)
            self._par(left, "*", size=Pt(14))
            self._par(left, f"Số {h.number}", size=Pt(14))
            self._par(right.paragraphs[0], "ĐẢNG CỘNG SẢN VIỆT NAM", size=Pt(15), bold=True, rule=True)
            self._par(right, vn_date_line(h.place, h.date), size=Pt(14), italic=True)
        self.body_size = Pt(14)
        type_size = Pt(14) if self.form == "state" else Pt(16)
        self._par(self.doc, "", space_after=Pt(6))
        self._par(self.doc, h.doc_type.upper(), size=type_size, bold=True)
        self._par(self.doc, h.summary, size=Pt(14), bold=True, rule=True, space_after=Pt(12))

    # --- body -----------------------------------------------------------------------------------
    def heading(self, text: str) -> None:
        par = self._par(self.doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, bold=True, space_after=Pt(6))
        par.paragraph_format.first_line_indent = Cm(1.27)
        par.paragraph_format.keep_with_next = True

    def paragraph(self, text: str, *, italic: bool = False) -> None:
        par = self._par(self.doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, italic=italic, space_after=Pt(6))
        par.paragraph_format.first_line_indent = Cm(1.27)
        par.paragraph_format.line_spacing = 1.15

    def bullet(self, text: str) -> None:
        self.paragraph(f"- {text}")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], *,
              widths_cm: Sequence[float] | None = None, caption: str | None = None) -> None:
        if caption:
            self._par(self.doc, caption, bold=True, size=Pt(13), space_after=Pt(3))
        t = self.doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, text in enumerate(headers):
            cell = t.rows[0].cells[i]
            cell.paragraphs[0].text = ""
            self._par(cell.paragraphs[0], str(text), size=Pt(12), bold=True)
            _shade(cell, "D9E2F3")
        for row in rows:
            cells = t.add_row().cells
            for i, value in enumerate(row):
                cells[i].paragraphs[0].text = ""
                numeric = isinstance(value, int | float) or (isinstance(value, str) and value[:1].isdigit())
                self._par(cells[i].paragraphs[0], str(value), size=Pt(12),
                          align=WD_ALIGN_PARAGRAPH.RIGHT if numeric and i > 0 else WD_ALIGN_PARAGRAPH.LEFT)
        if widths_cm:
            _fixed_widths(t, widths_cm)
        self._par(self.doc, "", space_after=Pt(6))

    def image(self, png: bytes, *, width_cm: float = 15.0, caption: str | None = None) -> None:
        par = self._par(self.doc, "")
        par.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))
        if caption:
            self._par(self.doc, caption, italic=True, size=Pt(12), space_after=Pt(6))

    # --- end ------------------------------------------------------------------------------------
    def closing(self, recipients: Recipients, signature: Signature) -> None:
        self._par(self.doc, "", space_after=Pt(6))
        table = self.doc.add_table(rows=1, cols=2)
        _fixed_widths(table, (7.8, 8.3))
        left, right = table.rows[0].cells
        left.paragraphs[0].text = ""
        self._par(left.paragraphs[0], "Nơi nhận:", align=WD_ALIGN_PARAGRAPH.LEFT, size=Pt(12), bold=True,
                  italic=True)
        for item in recipients.items:
            self._par(left, f"- {item}", align=WD_ALIGN_PARAGRAPH.LEFT, size=Pt(11))
        right.paragraphs[0].text = ""
        self._par(right.paragraphs[0], signature.authority.upper(), size=Pt(14), bold=True)
        self._par(right, signature.title.upper(), size=Pt(14), bold=True)
        self._par(right, "(Đã ký)", size=Pt(14), italic=True)
        for _ in range(2):
            self._par(right, "")
        if signature.name:
            self._par(right, signature.name, size=Pt(14), bold=True)

    def new_landscape_section(self) -> None:
        sec = self.doc.add_section(WD_SECTION.NEW_PAGE)
        sec.page_width, sec.page_height = A4[1], A4[0]

    def save(self, path: str | os.PathLike[str]) -> None:
        self.doc.save(str(path))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def _fixed_widths(table, widths_cm: Sequence[float]) -> None:
    """Column widths that Word and LibreOffice both keep: fixed layout, table width and grid."""
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    for i, w in enumerate(widths_cm):
        table.columns[i].width = Cm(w)
        for cell in table.columns[i].cells:
            cell.width = Cm(w)


def _rule_width(text: str, size: Pt | None) -> float:
    """About a third of the last line's width: the form's short rule under the issuer and the motto."""
    last = text.split("\n")[-1] if text else ""
    pts = (size.pt if size is not None else 13.0)
    return max(2.0, min(6.0, len(last) * pts * 0.5 / 28.35 * 0.6))


def _container_width_cm(holder) -> float:
    """Width of the cell (from its tcW) or of the page's text area."""
    tc = getattr(holder, "_tc", None)
    if tc is not None:
        tcpr = tc.tcPr
        tcw = tcpr.find(qn("w:tcW")) if tcpr is not None else None
        if tcw is not None and tcw.get(qn("w:w")):
            return int(tcw.get(qn("w:w"))) / 567.0 - 0.38  # minus the default cell margins
    return 21.0 - 3.2 - 1.7


def _bottom_rule(par, indent_cm: float = 4.0) -> None:
    """A short horizontal rule under a centred line, as the form draws under the issuer and motto."""
    ppr = par._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "6")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    ppr.append(borders)
    # the border spans the paragraph: indent both sides so it is short and centred
    par.paragraph_format.left_indent = Cm(indent_cm)
    par.paragraph_format.right_indent = Cm(indent_cm)


def _shade(cell, hex_fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_fill)
    tcpr.append(shd)


def _page_field(par, size: Pt) -> None:
    run = par.add_run()
    run.font.name = FONT
    run.font.size = size
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = "PAGE"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(instr)
    run._r.append(end)


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], timeout: int = 240) -> None:
    """Convert with LibreOffice in headless mode (its own throw-away profile, so runs never collide)."""
    soffice = soffice_path()
    if soffice is None:
        raise Failure("cần LibreOffice để xuất PDF (cài bằng scripts/install-debian-deps.sh); "
                      "hãy xuất .docx thay thế")
    src = Path(docx_path)
    dst = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="tinhgon-lo-") as tmp:
        profile = Path(tmp) / "profile"
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        r = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                            "--convert-to", "pdf", "--outdir", str(outdir), str(src)],
                           capture_output=True, text=True, timeout=timeout)
        produced = outdir / (src.stem + ".pdf")
        if r.returncode != 0 or not produced.exists():
            raise Failure(f"LibreOffice không chuyển được sang PDF: {r.stderr.strip() or r.stdout.strip()}")
        shutil.move(str(produced), dst)
