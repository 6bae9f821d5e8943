"""Problems found in an input file, the text report, and the annotated copy of the workbook."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tinhgon.errors import BadInput

Severity = Literal["error", "warning"]


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA (Excel's column names)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(slots=True, frozen=True)
class Problem:
    """One thing wrong with the input, located as the user sees it in Excel."""

    file: str
    sheet: str | None
    row: int | None          # 1-based row number in the sheet (header is usually row 1)
    column: str | None       # the column's header as written in the file (or the template header)
    value: str | None        # the offending value, shortened
    reason_vi: str
    reason_en: str
    severity: Severity = "error"
    col_index: int | None = None  # 1-based column position, for the annotated copy

    @property
    def cell(self) -> str | None:
        if self.row is None or self.col_index is None:
            return None
        return f"{column_letter(self.col_index)}{self.row}"

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"trang «{self.sheet}»")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            letter = f" ({column_letter(self.col_index)})" if self.col_index else ""
            parts.append(f"cột «{self.column}»{letter}")
        return ", ".join(parts)

    def line(self) -> str:
        tag = "LỖI" if self.severity == "error" else "CẢNH BÁO"
        value = f" [giá trị: {self.value!r}]" if self.value not in (None, "") else ""
        return f"{tag} {self.where()}{value}: {self.reason_vi} / {self.reason_en}"


def short(value: object, limit: int = 80) -> str | None:
    """The value as shown in a report: never the whole of a huge cell."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} ký tự)"


def format_report(problems: Sequence[Problem], *, total_errors: int | None = None, limit: int = 200) -> str:
    """A plain-text report, errors first, in file/sheet/row order."""
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.file, p.sheet or "",
                                               p.row or 0, p.col_index or 0))
    errors = sum(1 for p in problems if p.severity == "error")
    if total_errors is None:
        total_errors = errors
    warnings = len(problems) - errors
    head = (f"{total_errors} lỗi, {warnings} cảnh báo / {total_errors} error(s), {warnings} warning(s)."
            + (" Không có gì được ghi / nothing was written." if total_errors else ""))
    lines = [head] + [p.line() for p in ordered[:limit]]
    if len(ordered) > limit or total_errors > errors:
        hidden = max(len(ordered) - limit, 0) + (total_errors - errors)
        lines.append(f"… và {hidden} vấn đề khác / … and {hidden} more")
    return "\n".join(lines)


class ValidationFailed(BadInput):
    """The input is refused (exit 2): carries every problem found, and nothing was written."""

    def __init__(self, problems: Sequence[Problem], *, total_errors: int | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        self.total_errors = total_errors if total_errors is not None else len(errors)
        first = errors[0] if errors else (self.problems[0] if self.problems else None)
        self.report = format_report(self.problems, total_errors=self.total_errors)
        super().__init__(self.report)  # the report already names file, row and column
        # The first error's location, for callers that show only one line.
        self.file = first.file if first else None
        self.row = first.row if first else None
        self.field = first.column if first else None


def write_problems_csv(problems: Iterable[Problem], path: Path) -> None:
    """The problems as a UTF-8 CSV (BOM so Excel shows Vietnamese), one row each."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["muc_do", "tep", "trang", "dong", "cot", "o", "gia_tri", "ly_do", "reason"])
        for p in problems:
            w.writerow([p.severity, p.file, p.sheet or "", p.row or "", p.column or "", p.cell or "",
                        p.value or "", p.reason_vi, p.reason_en])


# --- The annotated copy ------------------------------------------------------------------------

_ERROR_FILL = "FFC7CE"
_WARNING_FILL = "FFEB9C"


ANNOTATED_SUFFIX = ".loi.xlsx"


def annotated_name(src: str | Path) -> str:
    """The annotated copy's file name for an input file: don_vi.csv -> don_vi.loi.xlsx."""
    return Path(src).stem + ANNOTATED_SUFFIX


def problems_by_file(sources: Sequence[str | Path], problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    """The problems of each input file (keyed by ``str(source)``, in the inputs' order); files without
    problems are left out. A problem names its file as the reader was given it; a name alone is matched
    only when it is not shared by two inputs."""
    keys = list(dict.fromkeys(str(s) for s in sources))
    by_name: dict[str, list[str]] = {}
    for k in keys:
        by_name.setdefault(Path(k).name, []).append(k)
    found: dict[str, list[Problem]] = {}
    for p in problems:
        key = p.file if p.file in keys else None
        if key is None and len(by_name.get(Path(p.file).name, [])) == 1:
            key = by_name[Path(p.file).name][0]
        if key is not None:
            found.setdefault(key, []).append(p)
    return {k: found[k] for k in keys if k in found}


def annotated_copy_paths(sources: Sequence[str | Path], report: str | Path, *,
                         inputs: Iterable[str | Path] = ()) -> list[Path]:
    """Where the annotated copy of each of ``sources`` (the files that have problems, in order) goes.

    ``report`` an existing folder: every copy goes there as ``<input name>.loi.xlsx``. Otherwise the
    first file's copy is ``report`` itself (as for a single file) and each further one sits next to it,
    named after its own input file. A name already taken (two inputs called ho.xlsx in different
    folders, or one of ``sources`` / ``inputs`` itself) gets a number: ho.loi.xlsx, ho-2.loi.xlsx."""
    report = Path(report)
    folder = report if report.is_dir() else report.parent
    taken = {Path(s).resolve() for s in (*sources, *inputs)}
    out: list[Path] = []
    for i, src in enumerate(sources):
        if i == 0 and not report.is_dir():
            dst = report
        else:
            stem, k = Path(src).stem, 1
            dst = folder / annotated_name(src)
            while dst.resolve() in taken:
                k += 1
                dst = folder / f"{stem}-{k}{ANNOTATED_SUFFIX}"
        taken.add(dst.resolve())
        out.append(dst)
    return out


def annotate_workbook(src: str | Path, problems: Sequence[Problem], dst: str | Path) -> Path:
    """Write a copy of ``src`` where each cell with a problem is highlighted and carries a comment.

    XLSX input: the workbook itself is copied (formulas and formatting kept) and annotated.
    CSV input: an XLSX with the CSV's rows and an extra "Lỗi / Problems" column.
    Problems about a whole row go on the row's first cell; about the whole file, on A1.
    """
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    src, dst = Path(src), Path(dst)
    mine = [p for p in problems if Path(p.file).name == src.name or p.file == str(src)]
    fills = {"error": PatternFill("solid", fgColor=_ERROR_FILL),
             "warning": PatternFill("solid", fgColor=_WARNING_FILL)}
    from tinhgon.io.tables import is_zip_file, read_csv_rows

    if is_zip_file(src):
        try:
            wb = load_workbook(src)
        except Exception as exc:  # a damaged workbook: annotate what we can in a fresh one
            raise BadInput(f"không mở được tệp để đánh dấu lỗi / cannot open to annotate: {exc}",
                           file=str(src)) from None
        by_cell: dict[tuple[str, int, int], list[Problem]] = {}
        for p in mine:
            sheet = p.sheet if p.sheet is not None and p.sheet in wb.sheetnames else wb.sheetnames[0]
            by_cell.setdefault((sheet, p.row or 1, p.col_index or 1), []).append(p)
        for (sheet, row, col), items in by_cell.items():
            cell = wb[sheet].cell(row=row, column=col)
            if type(cell).__name__ == "MergedCell":  # comments cannot sit on merged cells
                continue
            worst = "error" if any(p.severity == "error" for p in items) else "warning"
            cell.fill = fills[worst]
            text = "\n".join(f"{p.reason_vi} / {p.reason_en}" for p in items)
            cell.comment = Comment(text[:30000], "tinhgon", width=320, height=120)
        wb.save(dst)
        return dst

    # CSV: stream rows into a write-only workbook, so a big file costs little memory.
    from openpyxl.cell import WriteOnlyCell

    by_row: dict[int, list[Problem]] = {}
    for p in mine:
        by_row.setdefault(p.row or 1, []).append(p)
    width = max((len(cells) for _, cells in read_csv_rows(src)), default=0)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    ws.freeze_panes = "A2"
    expected = 1
    for number, cells in read_csv_rows(src):
        while expected < number:  # keep Excel's row numbers equal to the CSV's record numbers
            ws.append([])
            expected += 1
        expected += 1
        items = by_row.get(number, [])
        per_cell: dict[int, list[Problem]] = {}
        for p in items:
            per_cell.setdefault(p.col_index or 1, []).append(p)
        out = []
        for j in range(1, max(width, len(cells)) + 2):
            value = cells[j - 1] if j <= len(cells) else None
            if j == width + 1:
                value = ("Lỗi / Problems" if number == 1 else
                         "; ".join(f"{p.column or ''}: {p.reason_vi}" for p in items)[:32000] or None)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # keep text as text: a CSV value is never a formula
            if number == 1 and j == width + 1:
                cell.font = Font(bold=True)
            if j in per_cell:
                here = per_cell[j]
                worst = "error" if any(p.severity == "error" for p in here) else "warning"
                cell.fill = fills[worst]
                cell.comment = Comment("\n".join(f"{p.reason_vi} / {p.reason_en}" for p in here)[:30000],
                                       "tinhgon")
            out.append(cell)
        ws.append(out)
    wb.save(dst)
    return dst
