"""Blank templates and exports in the template's shape.

An XLSX template has the data sheet first (Vietnamese headers, required ones marked "(*)", example
rows, drop-down lists, frozen header, Times New Roman, text columns such as codes and phone numbers
formatted as Text so leading zeros survive), a "Hướng dẫn" (instructions) sheet and a
hidden "Danh mục" sheet holding the drop-down values. An export is the same workbook with the
records instead of the examples, so it can be edited and imported again.

Formula injection: an exported text is never run as a formula.
* XLSX: every text is written as a string cell (type ``s``). Excel shows "=1+2" as text and does not
  evaluate it; the value is stored unchanged, so the round trip is exact.
* CSV has no cell types, so a text that starts with = + - @ tab or CR (or with a quote, to keep the
  escape reversible) gets one leading apostrophe, as Excel itself does for typed text. The reader
  removes exactly that apostrophe from CSV cells, so export -> import gives the same text back.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tinhgon.errors import BadInput
from tinhgon.io.schemas import BOOL_LABELS, Column, Schema, schema
from tinhgon.io.tables import UNICODE_MARK
from tinhgon.io.text import nfc

FONT_NAME = "Times New Roman"
DATE_FORMAT = "dd/mm/yyyy"
TEXT_FORMAT = "@"  # Excel's "Text" number format: what is typed is kept as typed ("0912345678")
INSTRUCTIONS_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
_TYPE_VI = {"text": "văn bản", "int": "số nguyên", "float": "số (dấu thập phân là dấu chấm hoặc phẩy)",
            "date": "ngày (dd/mm/yyyy)", "bool": "Có / Không", "choice": "chọn trong danh sách"}


def inert_csv_text(value: str) -> str:
    """Prefix one apostrophe when a spreadsheet would read the text as a formula (see module doc)."""
    return "'" + value if value.startswith(_TRIGGERS) else value


def write_template(kind: str, path: str | Path) -> Path:
    """Write the blank XLSX template for ``kind`` (with 2–3 example rows). Always XLSX."""
    sch = schema(kind)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise BadInput("mẫu nhập liệu phải là tệp .xlsx / the template must be an .xlsx file", file=str(path))
    _write_xlsx(sch, sch.examples, path, examples=True)
    return path


def export_rows(kind: str, rows: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Write records (as ``validate`` returns them) to CSV or XLSX, chosen by the extension.

    CSV uses the plain column names (for units: the units.csv columns of FORMATS.md plus the extra
    ones), ISO dates, 1/0 and codes; XLSX uses the template. Returns the number of rows written.
    """
    sch = schema(kind)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _write_csv(sch, rows, path)
    if suffix == ".xlsx":
        return _write_xlsx(sch, rows, path, examples=False)
    raise BadInput("chỉ xuất ra .csv hoặc .xlsx / export to .csv or .xlsx only", file=str(path))


# --- CSV ------------------------------------------------------------------------------------------

def _csv_value(col: Column, value: Any) -> str:
    if value is None:
        return ""
    if col.type == "bool":
        return "1" if value else "0"
    if col.type == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if col.type == "float":
        return repr(float(value))  # repr round-trips a float exactly
    if col.type == "int":
        return str(int(value))
    return inert_csv_text(nfc(str(value)))


def _write_csv(sch: Schema, rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    n = 0
    # UTF-8 with BOM: Excel opens it with the right letters; every reader here accepts both.
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow([c.field for c in sch.columns])
        for row in rows:
            w.writerow([_csv_value(c, row.get(c.field)) for c in sch.columns])
            n += 1
    return n


# --- XLSX -----------------------------------------------------------------------------------------

def _write_xlsx(sch: Schema, rows: Iterable[Mapping[str, Any]], path: Path, *, examples: bool) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook(write_only=True)
    wb.properties.creator = "tinhgon"
    wb.properties.keywords = UNICODE_MARK
    wb.properties.title = sch.title_vi
    ws = wb.create_sheet(sch.sheet_title)
    body_font = Font(name=FONT_NAME, size=12)
    head_font = Font(name=FONT_NAME, size=12, bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    example_font = Font(name=FONT_NAME, size=12, italic=True, color="595959")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    for i, col in enumerate(sch.columns, start=1):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.width = col.width
        if col.text_cells:
            # Codes and phone numbers as Text, so 0912345678 or 00004 keep the leading zero. A column
            # style (<col style=...>) is what Excel itself writes for "format the whole column": Excel and
            # LibreOffice apply it to every cell typed later, down to the last row, and it costs no cell
            # records (pre-formatting, say, 5,000 empty rows would be bigger, stop at an arbitrary row
            # and make the sheet's used range look 5,000 rows long). A cell written with a style of its
            # own (examples, exported values) does not inherit it, so _xlsx_cell gives those "@" too.
            dim.number_format = TEXT_FORMAT
    ws.freeze_panes = "A2"

    # Drop-downs: coded fields point at the hidden list sheet (labels may hold commas);
    # Có/Không is short enough to sit in the rule itself.
    lists: list[tuple[Column, list[str]]] = []
    last = 1_048_576
    for i, col in enumerate(sch.columns, start=1):
        letter = get_column_letter(i)
        rng = f"{letter}2:{letter}{last}"
        dv: DataValidation | None = None
        if col.type == "choice" and col.choices is not None:
            labels = list(col.choices().values())
            lists.append((col, labels))
            list_col = get_column_letter(len(lists))
            source = f"'{LISTS_SHEET}'!${list_col}$2:${list_col}${len(labels) + 1}"
            dv = DataValidation(type="list", formula1=source,
                                allow_blank=not col.required)
        elif col.type == "bool":
            dv = DataValidation(type="list", formula1='"Có,Không"', allow_blank=True)
        elif col.type == "int":
            dv = DataValidation(type="whole", operator="greaterThanOrEqual",
                                formula1=str(int(col.min or 0)), allow_blank=not col.required)
        elif col.type == "date":
            dv = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                                formula2="DATE(2100,12,31)", allow_blank=True)
        elif col.type == "float" and col.min is not None:
            hi = col.max if col.max is not None else 1e15
            dv = DataValidation(type="decimal", operator="between", formula1=f"{col.min:g}",
                                formula2=f"{hi:g}", allow_blank=True)
        if dv is not None:
            dv.error = f"Giá trị không hợp lệ cho cột «{col.header}». {col.help_vi}".strip()
            dv.errorTitle = "tinhgon"
            dv.prompt = col.help_vi or None
            dv.showErrorMessage = True
            dv.add(rng)
            ws.data_validations.append(dv)

    header = []
    for col in sch.columns:
        cell = WriteOnlyCell(ws, value=col.template_header)
        cell.font, cell.fill, cell.border = head_font, head_fill, border
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    ws.append(header)

    n = 0
    font = example_font if examples else body_font
    for row in rows:
        ws.append([_xlsx_cell(ws, col, row.get(col.field), font) for col in sch.columns])
        n += 1

    _instructions(wb, sch, examples)
    lw = wb.create_sheet(LISTS_SHEET)
    lw.sheet_state = "hidden"
    if lists:
        width = max(len(labels) for _, labels in lists)
        lw.append([col.header for col, _ in lists])
        for r in range(width):
            lw.append([_text_cell(lw, labels[r], body_font) if r < len(labels) else None
                       for _, labels in lists])
    try:
        wb.save(path)
    except OSError as exc:
        raise BadInput(f"không ghi được tệp / cannot write file: {exc.strerror}", file=str(path)) from None
    return n


def _text_cell(ws: Any, value: str, font: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # a string cell is never evaluated, even when it starts with "="
    cell.font = font
    return cell


def _xlsx_cell(ws: Any, col: Column, value: Any, font: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if col.type == "choice" and col.choices is not None:
        return _text_cell(ws, col.choices().get(value, str(value)), font)
    if col.type == "bool":
        return _text_cell(ws, BOOL_LABELS[bool(value)], font)
    if col.type == "date" and isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        cell.font = font
        return cell
    if col.type in ("int", "float") and isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and (not math.isfinite(value) or float(f"{value:.16g}") != value):
            # openpyxl writes numbers with 16 significant digits; a float that needs 17 is kept
            # exact as text (the reader parses it back to the same float).
            return _text_cell(ws, repr(value), font)
        cell = WriteOnlyCell(ws, value=value)
        cell.font = font
        return cell
    cell = _text_cell(ws, nfc(str(value)), font)
    if col.text_cells:
        cell.number_format = TEXT_FORMAT  # a cell's own style replaces the column's: keep "Text"
    return cell


def _instructions(wb: Any, sch: Schema, examples: bool) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    bold = Font(name=FONT_NAME, size=12, bold=True)
    title = Font(name=FONT_NAME, size=14, bold=True)
    plain = Font(name=FONT_NAME, size=12)
    wrap = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (28, 18, 11, 24, 70), strict=True):
        ws.column_dimensions[letter].width = width

    def line(*values: Any, font: Any = plain) -> None:
        cells = []
        for v in values:
            c = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                c.data_type = "s"
            c.font, c.alignment = font, wrap
            cells.append(c)
        ws.append(cells)

    line(f"HƯỚNG DẪN NHẬP LIỆU: {sch.title_vi.upper()}", font=title)
    line("")
    steps = [
        f"1. Điền dữ liệu vào trang «{sch.sheet_title}», mỗi dòng một bản ghi, bắt đầu từ dòng 2.",
        "2. Không đổi tên, không xoá dòng tiêu đề (dòng 1). Cột có dấu (*) là bắt buộc.",
        "3. Chỉ nhập giá trị: không dùng công thức, không gộp ô (Merge), không ẩn trang tính chứa dữ liệu."
        " Trang tính bị ẩn sẽ bị bỏ qua.",
        "4. Các cột có danh sách: bấm vào ô và chọn trong danh sách thả xuống.",
        "5. Ngày ghi dạng dd/mm/yyyy (ví dụ 01/07/2025) hoặc để Excel định dạng ô kiểu ngày.",
        "   Các cột mã và số điện thoại đã được định dạng kiểu Văn bản (Text) để giữ số 0 ở đầu "
        "(0912345678, 00004); khi dán từ tệp khác, dùng Dán đặc biệt → Giá trị để giữ định dạng này.",
        "6. Dữ liệu nhiều hơn 1.048.576 dòng: chia sang nhiều trang tính (cùng dòng tiêu đề) hoặc nhiều tệp.",
        "7. Dùng phông Unicode (Times New Roman, Arial). Tệp gõ bằng .VnTime (TCVN3) hoặc VNI-Times được "
        "tự nhận ra và chuyển sang Unicode; kiểm tra lại kết quả.",
        "8. Nếu có lỗi, không dòng nào được ghi: sửa theo danh sách lỗi (hoặc theo tệp đánh dấu lỗi) rồi "
        "nhập lại cả tệp.",
    ]
    if examples:
        steps.insert(1, "   Các dòng in nghiêng màu xám là VÍ DỤ: xoá hoặc ghi đè trước khi nhập.")
    for s in steps:
        line(s)
    line("")
    line("Cột (tiêu đề)", "Tên cột trong CSV", "Bắt buộc", "Kiểu dữ liệu", "Giải thích / giá trị cho phép",
         font=bold)
    for col in sch.columns:
        allowed = ""
        if col.type == "choice" and col.choices is not None:
            allowed = "; ".join(f"{label} ({code})" for code, label in col.choices().items())
        explain = " ".join(x for x in (col.help_vi, allowed) if x)
        line(col.template_header, col.field, "có" if col.required else "không", _TYPE_VI[col.type], explain)
    if sch.notes_vi:
        line("")
        line("Lưu ý", font=bold)
        for note in sch.notes_vi:
            line(f"• {note}")

