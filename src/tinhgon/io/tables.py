"""Reading CSV and XLSX files into rows that remember where they came from.

Every failure of a reader becomes one ``BadInput`` naming the file; nothing here raises anything else
for a bad file. XLSX files are checked as zip containers before any spreadsheet library sees them
(zip bombs, truncated files), and their sheet XML is scanned directly for formulas, merged cells and
hidden sheets, which python-calamine (used for speed) cannot report.
"""

from __future__ import annotations

import csv
import itertools
import re
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from xml.etree import ElementTree as ET

from tinhgon.errors import BadInput
from tinhgon.io.problems import Problem, short
from tinhgon.io.text import (
    Legacy,
    convert_cell,
    decode_bytes,
    detect_legacy,
    looks_like_mojibake,
    match_key,
    nfc,
)

# Limits. Excel itself caps a cell at 32,767 characters and a sheet at 1,048,576 rows.
MAX_CELL_CHARS = 32_767
MAX_SHEET_ROWS = 1_048_576
MAX_FILE_BYTES = 2 * 1024**3          # any input file
MAX_UNCOMPRESSED = 3 * 1024**3        # sum of an XLSX's declared member sizes
MAX_RATIO = 100                       # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 4 * 1024**2
MAX_MEMBERS = 10_000
LEGACY_SAMPLE_ROWS = 2000
HEADER_SEARCH_ROWS = 20

#: Sheets the templates add next to the data; never read as data.
INSTRUCTION_SHEETS = frozenset({match_key("Hướng dẫn"), match_key("Danh mục"), match_key("Instructions")})

# The csv module refuses fields above 128 KiB with an error that names no row; lift the limit so the
# schema can report the cell as too long with its location.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

#: Written in the keywords of every workbook tinhgon exports: its text is Unicode, not a legacy font.
UNICODE_MARK = "tinhgon:unicode"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_UNQUOTE = frozenset(("'", *_FORMULA_TRIGGERS))


@dataclass(slots=True)
class Sheet:
    """One block of data: a CSV file or one worksheet, with its header mapped to fields."""

    file: str
    sheet: str | None
    header: list[str]                  # header texts as written
    header_row: int                    # 1-based
    col_offset: int                    # columns before the first one read (XLSX used range)
    columns: dict[str, int]            # field -> index into each row's cells
    rows: Iterator[tuple[int, list[Any]]]  # (1-based row number, cells); empty rows already skipped
    decimal_comma: bool = False
    fmt: Literal["csv", "xlsx"] = "csv"
    legacy: Legacy | None = None
    # The reader may have cut texts at MAX_CELL_CHARS: a cell of exactly that length is too long.
    truncated_text: bool = False

    def col_index(self, fld: str) -> int | None:
        i = self.columns.get(fld)
        return None if i is None else i + self.col_offset + 1


@dataclass(slots=True)
class Table:
    sheets: list[Sheet]
    problems: list[Problem] = field(default_factory=list)   # errors/warnings found while reading
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HeaderSpec:
    """What tables needs from a schema: the accepted header texts per field, and which are required."""

    aliases: Mapping[str, Sequence[str]]
    required: frozenset[str]
    labels: Mapping[str, str]          # field -> template header, for messages


def _err(file: str, reason_vi: str, reason_en: str, **kw: Any) -> Problem:
    return Problem(file=file, sheet=kw.get("sheet"), row=kw.get("row"), column=kw.get("column"),
                   value=kw.get("value"), reason_vi=reason_vi, reason_en=reason_en,
                   severity=kw.get("severity", "error"), col_index=kw.get("col_index"))


def is_zip_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


# --- Entry point --------------------------------------------------------------------------------

def read_table(paths: Path | str | Sequence[Path | str], spec: HeaderSpec) -> Table:
    """Open every file (CSV or XLSX, told apart by content) and return its data sheets.

    Raises BadInput for a file that cannot be read at all; header problems (a missing required column)
    are returned in ``Table.problems`` so they are reported together with everything else.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    table = Table(sheets=[])
    if not paths:
        raise BadInput("không có tệp nào để nhập / no input file")
    for p in paths:
        path = Path(p)
        name = str(p)
        table.files.append(name)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BadInput(f"không mở được tệp / cannot open file: {exc.strerror}", file=name) from None
        if size == 0:
            table.problems.append(_err(name, "tệp rỗng", "the file is empty"))
            continue
        if size > MAX_FILE_BYTES:
            raise BadInput(f"tệp quá lớn ({size} byte) / file too large", file=name)
        try:
            with open(path, "rb") as fh:
                magic = fh.read(8)
        except OSError as exc:
            raise BadInput(f"không mở được tệp / cannot open file: {exc.strerror}", file=name) from None
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
            try:
                _read_xlsx(path, name, spec, table)
            except BadInput:
                raise
            except Exception as exc:  # any other failure of a reader on a damaged file: one clear message
                raise BadInput(f"tệp XLSX bị hỏng: {exc} / damaged XLSX file", file=name) from None
        elif magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise BadInput("tệp Excel 97-2003 (.xls) hoặc tệp Excel có đặt mật khẩu: không đọc được; hãy "
                           "bỏ mật khẩu và lưu lại thành .xlsx / old .xls or password-protected workbook: "
                           "remove the password and save as .xlsx", file=name)
        elif path.suffix.lower() in (".xlsx", ".xlsm", ".xltx", ".xls"):
            raise BadInput("tệp không phải là XLSX hợp lệ (không phải tệp zip) / not a valid XLSX "
                           "file (not a zip archive)", file=name)
        else:
            _read_csv(path, name, spec, table)
    return table


# --- Header matching ----------------------------------------------------------------------------

def _alias_index(spec: HeaderSpec) -> dict[str, str]:
    index: dict[str, str] = {}
    for fld, aliases in spec.aliases.items():
        for a in (fld, *aliases):
            index.setdefault(match_key(a), fld)
    return index


def _match_header(cells: Sequence[Any], index: Mapping[str, str]) -> tuple[dict[str, int], list[int]]:
    """field -> position; plus positions of duplicate headers for the same field."""
    columns: dict[str, int] = {}
    dupes: list[int] = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue
        # "Số hộ (*)" and "Số hộ *" are the template's way to flag a required column.
        fld = index.get(match_key(cell))
        if fld is None:
            continue
        if fld in columns:
            dupes.append(i)
        else:
            columns[fld] = i
    return columns, dupes


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _setup_sheet(file: str, sheet_name: str | None, rows: Iterator[tuple[int, list[Any]]],
                 spec: HeaderSpec, table: Table, *, col_offset: int, fmt: Literal["csv", "xlsx"],
                 decimal_comma: bool, detect_fonts: bool = True) -> Sheet | None:
    """Find the header row, map it, detect legacy fonts on a sample; None when not a data sheet."""
    index = _alias_index(spec)
    skipped: list[tuple[int, list[Any]]] = []
    header: tuple[int, list[Any]] | None = None
    best: tuple[int, dict[str, int], list[int]] | None = None
    first_nonblank: tuple[int, list[Any]] | None = None
    for number, cells in rows:
        if _is_blank(cells):
            continue
        cells = [nfc(c) if isinstance(c, str) else c for c in cells]
        if first_nonblank is None:
            first_nonblank = (number, cells)
        columns, dupes = _match_header(cells, index)
        if columns:
            header = (number, cells)
            best = (number, columns, dupes)
            break
        skipped.append((number, cells))
        if len(skipped) >= HEADER_SEARCH_ROWS:
            break
    where = {"sheet": sheet_name}
    if first_nonblank is None:
        if fmt == "csv" or sheet_name is None:
            table.problems.append(_err(file, "tệp không có dữ liệu", "the file holds no data", **where))
        return None
    if header is None or best is None:
        if sheet_name is not None and match_key(sheet_name) in INSTRUCTION_SHEETS:
            return None
        if fmt == "xlsx":
            table.problems.append(_err(
                file, "bỏ qua trang tính không có dòng tiêu đề của mẫu",
                "sheet skipped: no template header row", severity="warning", **where))
            return None
        missing = ", ".join(spec.labels[f] for f in sorted(spec.required))
        table.problems.append(_err(
            file, f"không tìm thấy dòng tiêu đề; cần các cột: {missing}",
            f"no header row found; required columns: {', '.join(sorted(spec.required))}",
            row=first_nonblank[0], **where))
        return None
    number, cells = header
    _, columns, dupes = best
    for i in dupes:
        table.problems.append(_err(file, "cột bị lặp lại", "duplicate column", row=number,
                                   column=str(cells[i]), col_index=i + col_offset + 1, **where))
    for fld in sorted(spec.required - columns.keys()):
        table.problems.append(_err(
            file, f"thiếu cột bắt buộc «{spec.labels[fld]}»", f"missing required column '{fld}'",
            row=number, column=spec.labels[fld], **where))
    header_texts = [c if isinstance(c, str) else ("" if c is None else str(c)) for c in cells]
    used = set(columns.values()) | set(dupes)
    for i, text in enumerate(header_texts):
        if text.strip() and i not in used:
            table.problems.append(_err(file, "cột không thuộc mẫu, bị bỏ qua", "unknown column, ignored",
                                       row=number, column=text, col_index=i + col_offset + 1,
                                       severity="warning", **where))
    # Legacy fonts: decide on a sample of the text cells, then convert cell by cell while streaming.
    sample_rows = list(itertools.islice(rows, LEGACY_SAMPLE_ROWS))
    texts = [c for _, r in sample_rows for c in r if isinstance(c, str) and not c.isascii()]
    legacy = detect_legacy(texts) if detect_fonts else None
    if detect_fonts and legacy is None and looks_like_mojibake(texts):
        table.problems.append(_err(
            file, "văn bản có vẻ gõ bằng bảng mã cũ không nhận ra được (không phải TCVN3 hay VNI): "
            "hãy chuyển sang Unicode", "text looks like an unknown legacy font encoding (neither TCVN3 "
            "nor VNI): convert it to Unicode", **where))
    if legacy is not None:
        label = "TCVN3 (ABC, .VnTime)" if legacy == "tcvn3" else "VNI"
        table.problems.append(_err(
            file, f"văn bản được gõ bằng bảng mã {label}; đã tự chuyển sang Unicode",
            f"text typed in the {label} legacy encoding; converted to Unicode",
            severity="warning", **where))
    body = _clean_rows(itertools.chain(sample_rows, rows), legacy, strip_quote=(fmt == "csv"))
    return Sheet(file=file, sheet=sheet_name, header=header_texts, header_row=number,
                 col_offset=col_offset, columns=columns, rows=body, decimal_comma=decimal_comma,
                 fmt=fmt, legacy=legacy)


def _clean_rows(rows: Iterable[tuple[int, list[Any]]], legacy: Legacy | None,
                strip_quote: bool) -> Iterator[tuple[int, list[Any]]]:
    """NFC every text cell, convert legacy fonts, skip empty rows (their numbers stay counted)."""
    for number, cells in rows:
        out: list[Any] = []
        blank = True
        for c in cells:
            if isinstance(c, str):
                if not c.isascii():
                    c = convert_cell(c, legacy) if legacy else nfc(c)
                if strip_quote and c[:1] == "'" and c[1:2] and c[1:2] in _UNQUOTE:
                    # The export's guard against formula injection: one leading quote is not data.
                    c = c[1:]
                if c.strip():
                    blank = False
            elif c is not None:
                blank = False
            out.append(c)
        if not blank:
            yield number, out


# --- CSV ----------------------------------------------------------------------------------------

def _sniff_delimiter(first_line: str) -> str:
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_rows(path: Path, *, file: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Decode a CSV and yield (record number, cells); record 1 is the header. Blank rows included."""
    name = file or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"không đọc được tệp / cannot read file: {exc.strerror}", file=name) from None
    text, _ = decode_bytes(data, file=name)
    del data
    return _csv_records(text, name)


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their endings, as slices: io.StringIO would hold a second, 4-byte-per-
    character copy of the whole file (hundreds of MB for a million rows)."""
    pos, end = 0, len(text)
    while pos < end:
        nl = text.find("\n", pos)
        if nl < 0:
            yield text[pos:]
            return
        yield text[pos:nl + 1]
        pos = nl + 1


def _csv_records(text: str, name: str) -> Iterator[tuple[int, list[Any]]]:
    newline = text.find("\n")
    delimiter = _sniff_delimiter(text[: newline if newline >= 0 else len(text)])
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=False)
    number = 0
    try:
        for cells in reader:
            number += 1
            yield number, cells
    except csv.Error as exc:
        raise BadInput(f"CSV hỏng: {exc} / malformed CSV", file=name, row=number + 1) from None
    except Exception as exc:  # never a traceback for a bad file
        raise BadInput(f"không đọc được CSV: {exc} / cannot read CSV", file=name, row=number + 1) from None


def _read_csv(path: Path, name: str, spec: HeaderSpec, table: Table) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"không đọc được tệp / cannot read file: {exc.strerror}", file=name) from None
    text, _encoding = decode_bytes(data, file=name)
    del data
    if not text.strip():
        table.problems.append(_err(name, "tệp rỗng", "the file is empty"))
        return
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = _sniff_delimiter(first)
    rows = _csv_records(text, name)
    sheet = _setup_sheet(name, None, rows, spec, table, col_offset=0, fmt="csv",
                         decimal_comma=(delimiter == ";"))
    if sheet is not None:
        table.sheets.append(sheet)


# --- XLSX ---------------------------------------------------------------------------------------

# Everything zipfile/zlib raise for a damaged archive (NotImplementedError: odd compression/version;
# RuntimeError: encrypted member).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError,
               NotImplementedError, RuntimeError)
_FORMULA_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_MERGE_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")


@dataclass(slots=True)
class _SheetInfo:
    name: str
    state: str
    part: str | None   # path inside the zip


def check_zip(path: Path, name: str) -> zipfile.ZipFile:
    """Open the XLSX as a zip and refuse it before any parser runs when it is damaged or a bomb.

    The declared sizes are what zipfile will let a member inflate to (it stops at the declared size
    and checks the CRC), so refusing on them bounds the memory any later reader can use.
    """
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BadInput("tệp XLSX bị hỏng hoặc bị cắt cụt (không đọc được cấu trúc zip) / damaged or "
                       "truncated XLSX (not a readable zip archive)", file=name) from None
    except (OSError, ValueError, EOFError) as exc:
        raise BadInput(f"không mở được tệp XLSX / cannot open XLSX: {exc}", file=name) from None
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        zf.close()
        raise BadInput(f"tệp XLSX có quá nhiều thành phần ({len(infos)}) / too many zip members", file=name)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            zf.close()
            raise BadInput(
                f"tệp bị từ chối: thành phần {info.filename} nén quá mức (tỉ lệ {ratio:.0f}:1), có thể là "
                f"\"bom zip\" / refused: member {info.filename} has compression ratio {ratio:.0f}:1 "
                "(zip bomb?)", file=name)
    if total > MAX_UNCOMPRESSED:
        zf.close()
        raise BadInput(f"tệp bị từ chối: dữ liệu giải nén quá lớn ({total} byte) / refused: "
                       f"uncompressed size {total} bytes is too large", file=name)
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        zf.close()
        raise BadInput("tệp zip không phải là sổ tính Excel (.xlsx) / the zip is not an Excel workbook",
                       file=name)
    return zf


def _read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return zf.read(member)
    except _ZIP_ERRORS as exc:
        raise BadInput(f"tệp XLSX bị hỏng ({member}): {exc} / damaged XLSX", file=name) from None


def _workbook_sheets(zf: zipfile.ZipFile, name: str) -> list[_SheetInfo]:
    try:
        wb = ET.fromstring(_read_member(zf, "xl/workbook.xml", name))
        rels_data = (_read_member(zf, "xl/_rels/workbook.xml.rels", name)
                     if "xl/_rels/workbook.xml.rels" in zf.namelist() else b"<Relationships/>")
        rels = ET.fromstring(rels_data)
    except ET.ParseError as exc:
        raise BadInput(f"tệp XLSX bị hỏng (workbook.xml): {exc} / damaged XLSX", file=name) from None
    targets: dict[str, str] = {}
    for rel in rels:
        rid, target = rel.get("Id"), rel.get("Target")
        if rid and target:
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            # normalise "xl/../xl/worksheets/sheet1.xml"
            parts: list[str] = []
            for seg in part.split("/"):
                if seg == "..":
                    if parts:
                        parts.pop()
                elif seg and seg != ".":
                    parts.append(seg)
            targets[rid] = "/".join(parts)
    out = []
    # Match local names: "Strict Open XML" workbooks use other namespace URIs than the usual ones.
    for el in wb.iter():
        if not isinstance(el.tag, str) or el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id" and k.startswith("{")),
                   None)
        out.append(_SheetInfo(name=el.get("name", ""), state=el.get("state", "visible"),
                              part=targets.get(rid) if rid else None))
    return out


def _scan_sheet_xml(zf: zipfile.ZipFile, part: str, name: str) -> tuple[bool, list[str], bool]:
    """(has formulas, merged ranges, has over-long text), streaming the XML without parsing it."""
    has_formula = False
    merges: list[str] = []
    overlong = False
    run = 0  # bytes since the last "<": a text longer than a cell allows has no tag inside
    tail = b""
    try:
        with zf.open(part) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                buf = tail + chunk
                if not has_formula and _FORMULA_RE.search(buf):
                    has_formula = True
                if b"mergeCell" in buf:
                    merges.extend(m.decode("ascii", "replace") for m in _MERGE_RE.findall(buf))
                if not overlong:
                    first = chunk.find(b"<")
                    overlong = (run + (len(chunk) if first < 0 else first) > MAX_CELL_CHARS
                                or max(map(len, chunk.split(b"<"))) > MAX_CELL_CHARS)
                    last = chunk.rfind(b"<")
                    run = run + len(chunk) if last < 0 else len(chunk) - last - 1
                # keep enough to catch a tag split between chunks, without counting a merge twice
                cut = buf.rfind(b"<")
                tail = buf[cut:] if cut >= 0 and len(buf) - cut < 512 else b""
    except _ZIP_ERRORS as exc:
        raise BadInput(f"tệp XLSX bị hỏng hoặc bị cắt cụt ({part}): {exc} / damaged or truncated XLSX",
                       file=name) from None
    return has_formula, list(dict.fromkeys(merges)), overlong


def _formula_cells(zf: zipfile.ZipFile, part: str, limit: int = 50) -> list[tuple[str, str]]:
    """(cell reference, formula text) of the first formulas in a sheet."""
    found: list[tuple[str, str]] = []
    try:
        with zf.open(part) as fh:
            for _event, el in ET.iterparse(fh, events=("end",)):
                tag = el.tag.rsplit("}", 1)[-1]
                if tag == "c":
                    for child in el:
                        if child.tag.rsplit("}", 1)[-1] == "f":
                            found.append((el.get("r", "?"), child.text or ""))
                            break
                    el.clear()
                    if len(found) >= limit:
                        break
    except (ET.ParseError, *_ZIP_ERRORS):
        pass  # the calamine pass reports the damage
    return found


_CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


def _split_ref(ref: str) -> tuple[int | None, int | None]:
    m = _CELL_RE.match(ref.split(":")[0].upper())
    if not m:
        return None, None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _read_xlsx(path: Path, name: str, spec: HeaderSpec, table: Table) -> None:
    zf = check_zip(path, name)
    with zf:
        infos = _workbook_sheets(zf, name)
        if not infos:
            table.problems.append(_err(name, "sổ tính không có trang tính nào", "the workbook has no sheet"))
            return
        visible: list[_SheetInfo] = []
        # python-calamine cuts texts at 32,767 characters without saying so; find out first
        # whether any text is longer, so that cut cells are reported instead of silently shortened.
        overlong = False
        if "xl/sharedStrings.xml" in zf.namelist():
            overlong = _scan_sheet_xml(zf, "xl/sharedStrings.xml", name)[2]
        for info in infos:
            if info.state != "visible":
                if match_key(info.name) not in INSTRUCTION_SHEETS:
                    table.problems.append(_err(
                        name, "trang tính bị ẩn: bỏ qua, không nhập", "hidden sheet ignored, not imported",
                        sheet=info.name, severity="warning"))
                continue
            visible.append(info)
        for info in visible:
            if info.part is None or info.part not in zf.namelist():
                continue
            has_formula, merges, long_text = _scan_sheet_xml(zf, info.part, name)
            overlong |= long_text
            if has_formula:
                for ref, text in _formula_cells(zf, info.part):
                    row, col = _split_ref(ref)
                    table.problems.append(_err(
                        name, "ô chứa công thức; mẫu chỉ nhận giá trị (hãy Dán đặc biệt → Giá trị)",
                        "cell holds a formula; the template takes values only (paste as values)",
                        sheet=info.name, row=row, col_index=col, column=ref, value=short("=" + text)))
            for ref in merges:
                row, col = _split_ref(ref)
                table.problems.append(_err(
                    name, f"ô gộp {ref}: hãy bỏ gộp ô (Unmerge) và điền giá trị vào từng ô",
                    f"merged cells {ref}: unmerge them and fill every cell", sheet=info.name, row=row,
                    col_index=col, column=ref))
    # Formulas and merged cells are refused above; the values are still read so that every other
    # problem is reported in the same pass.
        # Our own exports say they hold Unicode: never second-guess them (exact round trip).
        ours = ("docProps/core.xml" in zf.namelist()
                and UNICODE_MARK.encode() in _read_member(zf, "docProps/core.xml", name))
    _read_xlsx_values(path, name, [i.name for i in visible], spec, table, overlong, ours)


def _read_xlsx_values(path: Path, name: str, sheet_names: list[str], spec: HeaderSpec,
                      table: Table, overlong: bool, ours: bool) -> None:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise BadInput(f"không đọc được sổ tính XLSX: {exc} / cannot read the XLSX workbook",
                       file=name) from None
    found_any = False
    selected = 0
    for sheet_name in sheet_names:
        if match_key(sheet_name) in INSTRUCTION_SHEETS:
            continue  # the template's own instructions: its table of columns is not data
        try:
            ws = wb.get_sheet_by_name(sheet_name)
            start = ws.start
            rows_iter = ws.iter_rows()
        except Exception as exc:
            raise BadInput(f"không đọc được trang tính: {exc} / cannot read the sheet", file=name) from None
        if start is None:
            continue
        found_any = True
        rows = _guarded(enumerate(rows_iter, start=1), name, sheet_name)
        sheet = _setup_sheet(name, sheet_name, rows, spec, table, col_offset=start[1], fmt="xlsx",
                             decimal_comma=False, detect_fonts=not ours)
        if sheet is not None:
            sheet.truncated_text = overlong
            table.sheets.append(sheet)
            selected += 1
    if not found_any:
        table.problems.append(_err(name, "tệp không có dữ liệu", "the file holds no data"))
    elif not selected and not any(p.file == name and p.severity == "error" for p in table.problems):
        # Every sheet was skipped: without this the file would "import" nothing, successfully.
        missing = ", ".join(spec.labels[f] for f in sorted(spec.required))
        table.problems.append(_err(
            name, f"không có trang tính nào có dòng tiêu đề của mẫu; cần các cột: {missing}",
            f"no sheet has the template's header row; required columns: {', '.join(sorted(spec.required))}"))


def _guarded(rows: Iterator[tuple[int, list[Any]]], name: str, sheet: str) -> Iterator[tuple[int, list[Any]]]:
    """Turn a reader failure in the middle of a sheet into BadInput with the last good row."""
    number = 0
    try:
        for number, cells in rows:
            yield number, cells
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"trang «{sheet}» bị hỏng sau dòng {number}: {exc} / sheet damaged after row "
                       f"{number}", file=name) from None
