"""What each importable KIND holds, and the validation of its rows.

``validate(kind, table, context)`` checks every row and the rows together (duplicate codes, unknown
parents, cycles) and returns all problems at once. Records are plain dicts keyed by the plain column
names (``code``, ``parent_code``, ``households``...), ready to be upserted by code; when any error
is found the batch holds no records at all, so a bad file can never be half written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tinhgon.domain.units import Kind
from tinhgon.io.problems import Problem, ValidationFailed, short
from tinhgon.io.tables import MAX_CELL_CHARS, HeaderSpec, Sheet, Table, read_table
from tinhgon.io.text import match_key

KINDS = ("units", "adjacency", "households", "people", "holdings", "ballots")
ImportKind = Literal["units", "adjacency", "households", "people", "holdings", "ballots"]
ColType = Literal["text", "int", "float", "date", "bool", "choice"]


# --- Coded values -------------------------------------------------------------------------------

# Two kinds share the label "Thành phố"; the drop-down needs distinct labels.
_KIND_LABELS = {k.value: k.label_vi for k in Kind} | {
    Kind.THANH_PHO_TW.value: "Thành phố trực thuộc trung ương",
    Kind.THANH_PHO_TINH.value: "Thành phố thuộc tỉnh",
}
GENDERS = {"nam": "Nam", "nu": "Nữ"}
BALLOT_CHOICES = {"agree": "Đồng ý", "disagree": "Không đồng ý", "invalid": "Không hợp lệ"}
BOOL_LABELS = {True: "Có", False: "Không"}
_TRUE = frozenset(match_key(x) for x in ("1", "có", "x", "true", "yes", "y", "c", "đúng", "1.0"))
_FALSE = frozenset(match_key(x) for x in ("0", "không", "false", "no", "n", "k", "sai", "0.0"))


@cache
def title_choices() -> dict[str, str]:
    """Title code -> Vietnamese name, from rules/packs/titles.yaml."""
    import yaml

    path = Path(__file__).resolve().parent.parent / "rules" / "packs" / "titles.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {t["code"]: t["name_vi"] for t in sorted(data["titles"], key=lambda t: t.get("sort_order", 0))}


def kind_choices() -> dict[str, str]:
    return dict(_KIND_LABELS)


# --- Columns and schemas ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Column:
    field: str                        # plain name: FORMATS.md column and record key
    header: str                       # Vietnamese template header
    type: ColType = "text"
    required: bool = False            # column must be present and every row must fill it
    aliases: tuple[str, ...] = ()
    choices: Callable[[], Mapping[str, str]] | None = None  # code -> label, for "choice"
    min: float | None = None
    max: float | None = None
    help_vi: str = ""
    width: int = 18

    @property
    def template_header(self) -> str:
        return f"{self.header} (*)" if self.required else self.header

    @property
    def text_cells(self) -> bool:
        """Values are strings even when they look like numbers (codes such as "00004", phone numbers
        "0912345678"): the XLSX template formats this column's cells as Text ("@") so Excel keeps the
        leading zeros."""
        return self.type == "text"


@dataclass(frozen=True, slots=True)
class Schema:
    kind: str
    sheet_title: str
    title_vi: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]              # unique within a file (upsert key)
    examples: tuple[Mapping[str, Any], ...] = ()
    notes_vi: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.field == name:
                return c
        raise KeyError(name)

    def header_spec(self) -> HeaderSpec:
        aliases = {c.field: (c.header, c.template_header, *c.aliases) for c in self.columns}
        return HeaderSpec(aliases=aliases, required=frozenset(c.field for c in self.columns if c.required),
                          labels={c.field: c.header for c in self.columns})


_D = dt.date
_DATE_HELP = "ngày dạng dd/mm/yyyy (ví dụ 01/07/2025), yyyy-mm-dd hoặc ô kiểu ngày của Excel"

SCHEMAS: dict[str, Schema] = {
    "units": Schema(
        kind="units", sheet_title="Đơn vị", title_vi="Danh sách đơn vị hành chính và tổ dân phố / thôn",
        columns=(
            Column("code", "Mã đơn vị", required=True, aliases=("ma", "ma dv"),
                   help_vi="mã duy nhất của đơn vị trong tệp", width=16),
            Column("name", "Tên đơn vị", aliases=("ten", "ten don vi"), help_vi="tên hiển thị", width=30),
            Column("kind", "Loại đơn vị", "choice", choices=kind_choices, aliases=("loai",),
                   help_vi="chọn trong danh sách (Phường, Xã, Tổ dân phố, Thôn...)", width=22),
            Column("parent_code", "Mã đơn vị cấp trên", aliases=("ma cap tren", "parent"),
                   help_vi="mã của đơn vị chứa đơn vị này; để trống nếu không có", width=20),
            Column("households", "Số hộ", "int", required=True, min=0, aliases=("so ho gia dinh", "ho"),
                   help_vi="số nguyên không âm", width=10),
            Column("population", "Số nhân khẩu", "int", min=0, aliases=("nhan khau", "dan so"),
                   help_vi="số nguyên không âm", width=12),
            Column("area_km2", "Diện tích (km²)", "float", min=0, aliases=("dien tich", "area"),
                   help_vi="số thập phân không âm", width=12),
            Column("lat", "Vĩ độ", "float", min=-90, max=90, aliases=("latitude",),
                   help_vi="vĩ độ WGS84 (-90 đến 90), ví dụ 21.0455", width=11),
            Column("lon", "Kinh độ", "float", min=-180, max=180, aliases=("longitude", "lng"),
                   help_vi="kinh độ WGS84 (-180 đến 180), ví dụ 105.8912", width=11),
            Column("locked", "Giữ nguyên", "bool", aliases=("khoa", "locked"),
                   help_vi="Có = đơn vị phải đứng riêng một nhóm khi sắp xếp", width=11),
            Column("valid_from", "Hiệu lực từ ngày", "date", aliases=("tu ngay",), help_vi=_DATE_HELP),
            Column("valid_to", "Hiệu lực đến ngày", "date", aliases=("den ngay",),
                   help_vi="ngày đơn vị thôi tồn tại (không tính ngày này); để trống nếu còn hiệu lực"),
        ),
        key=("code",),
        examples=(
            {"code": "P-BODE", "name": "Phường Bồ Đề", "kind": "phuong", "households": 9850,
             "lat": 21.0455, "lon": 105.8712, "valid_from": _D(2025, 7, 1)},
            {"code": "TDP-01", "name": "Tổ dân phố số 1", "kind": "to_dan_pho", "parent_code": "P-BODE",
             "households": 412, "population": 1530, "lat": 21.0471, "lon": 105.8690, "locked": False},
            {"code": "TDP-02", "name": "Tổ dân phố số 2", "kind": "to_dan_pho", "parent_code": "P-BODE",
             "households": 598, "population": 2204, "locked": True},
        ),
        notes_vi=("Mỗi mã đơn vị chỉ xuất hiện một lần.",
                  "Mã đơn vị cấp trên phải có trong tệp hoặc đã có trong cơ sở dữ liệu.",
                  "Đơn vị không được là cấp trên của chính nó, trực tiếp hay gián tiếp."),
    ),
    "adjacency": Schema(
        kind="adjacency", sheet_title="Liền kề", title_vi="Các cặp đơn vị liền kề (chung ranh giới)",
        columns=(
            Column("a", "Mã đơn vị A", required=True, aliases=("don vi a", "ma a"), width=16),
            Column("b", "Mã đơn vị B", required=True, aliases=("don vi b", "ma b"), width=16),
        ),
        key=("a", "b"),
        examples=({"a": "TDP-01", "b": "TDP-02"}, {"a": "TDP-02", "b": "TDP-03"}),
        notes_vi=("Mỗi cặp ghi một lần (A, B) hoặc cả hai chiều; thứ tự không quan trọng.",
                  "Hai mã phải là hai đơn vị khác nhau, đã có trong danh sách đơn vị."),
    ),
    "households": Schema(
        kind="households", sheet_title="Hộ gia đình", title_vi="Danh sách hộ gia đình",
        columns=(
            Column("code", "Mã hộ", required=True, aliases=("ma ho gia dinh", "household_code"), width=14),
            Column("unit_code", "Mã tổ dân phố / thôn", required=True,
                   aliases=("ma to dan pho", "ma thon", "ma don vi", "unit"), width=20),
            Column("head_name", "Họ tên chủ hộ", aliases=("chu ho", "ten chu ho"), width=26),
            Column("address", "Địa chỉ", aliases=("dia chi",), width=30),
            Column("members", "Số nhân khẩu", "int", min=1, aliases=("nhan khau", "so thanh vien"),
                   help_vi="số nguyên từ 1 trở lên", width=12),
            Column("valid_from", "Từ ngày", "date", aliases=("hieu luc tu ngay",), help_vi=_DATE_HELP),
            Column("valid_to", "Đến ngày", "date", aliases=("hieu luc den ngay",), help_vi=_DATE_HELP),
        ),
        key=("code",),
        examples=(
            {"code": "HO-000001", "unit_code": "TDP-01", "head_name": "Nguyễn Văn An",
             "address": "Số 12 ngõ 5 phố Bồ Đề", "members": 4, "valid_from": _D(2020, 1, 15)},
            {"code": "HO-000002", "unit_code": "TDP-01", "head_name": "Trần Thị Bình",
             "address": "Số 14 ngõ 5 phố Bồ Đề", "members": 3},
        ),
        notes_vi=("Mỗi mã hộ chỉ xuất hiện một lần.",),
    ),
    "people": Schema(
        kind="people", sheet_title="Nhân sự", title_vi="Danh sách người (nhân sự, chủ hộ)",
        columns=(
            Column("code", "Mã người", required=True, aliases=("ma nhan su", "person_code"), width=14),
            Column("full_name", "Họ và tên", required=True, aliases=("ho ten", "ten", "name"), width=26),
            Column("birth_date", "Ngày sinh", "date", aliases=("sinh ngay",), help_vi=_DATE_HELP),
            Column("gender", "Giới tính", "choice", choices=lambda: GENDERS, aliases=("gioi",), width=10),
            Column("party_member", "Đảng viên", "bool", aliases=("la dang vien",), width=10),
            Column("household_code", "Mã hộ", aliases=("ma ho gia dinh",), width=14),
            Column("phone", "Số điện thoại", aliases=("dien thoai", "sdt"),
                   help_vi="ghi dạng văn bản để giữ số 0 ở đầu", width=14),
        ),
        key=("code",),
        examples=(
            {"code": "NS-0001", "full_name": "Nguyễn Văn An", "birth_date": _D(1961, 3, 9),
             "gender": "nam", "party_member": True, "household_code": "HO-000001", "phone": "0912345678"},
            {"code": "NS-0002", "full_name": "Trần Thị Bình", "birth_date": _D(1975, 11, 30),
             "gender": "nu", "party_member": False, "household_code": "HO-000002"},
        ),
        notes_vi=("Dữ liệu cá nhân: chỉ những người có trách nhiệm được xem tệp này.",),
    ),
    "holdings": Schema(
        kind="holdings", sheet_title="Chức danh", title_vi="Chức danh đảm nhiệm (kể cả kiêm nhiệm)",
        columns=(
            Column("person_code", "Mã người", required=True, aliases=("ma nhan su",), width=14),
            Column("title_code", "Chức danh", "choice", required=True, choices=title_choices,
                   aliases=("ma chuc danh", "title"), width=36),
            Column("unit_code", "Mã đơn vị", required=True, aliases=("ma to dan pho", "unit"), width=16),
            Column("concurrent", "Kiêm nhiệm", "bool", aliases=("kiem nhiem",),
                   help_vi="Có = chức danh kiêm nhiệm; Không = chức danh chính", width=11),
            Column("valid_from", "Từ ngày", "date", aliases=("ngay bat dau",), help_vi=_DATE_HELP),
            Column("valid_to", "Đến ngày", "date", aliases=("ngay ket thuc",), help_vi=_DATE_HELP),
            Column("decision", "Số quyết định", aliases=("quyet dinh",), width=18),
        ),
        key=("person_code", "title_code", "unit_code", "valid_from"),
        examples=(
            {"person_code": "NS-0001", "title_code": "bi_thu_chi_bo", "unit_code": "TDP-01",
             "concurrent": False, "valid_from": _D(2022, 10, 1), "decision": "125/QĐ-ĐU"},
            {"person_code": "NS-0001", "title_code": "to_truong", "unit_code": "TDP-01",
             "concurrent": True, "valid_from": _D(2023, 1, 5), "decision": "18/QĐ-UBND"},
        ),
        notes_vi=("Một người giữ nhiều chức danh: mỗi chức danh một dòng, chức danh thứ hai trở đi "
                  "ghi Kiêm nhiệm = Có.",),
    ),
    "ballots": Schema(
        kind="ballots", sheet_title="Phiếu lấy ý kiến", title_vi="Kết quả phiếu lấy ý kiến hộ gia đình",
        columns=(
            Column("consultation_code", "Mã đợt lấy ý kiến", aliases=("dot lay y kien", "consultation"),
                   width=18),
            Column("household_code", "Mã hộ", required=True, aliases=("ma ho gia dinh",), width=14),
            Column("unit_code", "Mã đơn vị", required=True, aliases=("ma to dan pho", "unit"), width=16),
            Column("voter_name", "Người đại diện hộ", aliases=("nguoi bo phieu", "cu tri"), width=26),
            Column("choice", "Ý kiến", "choice", required=True, choices=lambda: BALLOT_CHOICES,
                   aliases=("y kien cu tri", "ket qua"), width=16),
            Column("cast_date", "Ngày lấy ý kiến", "date", aliases=("ngay",), help_vi=_DATE_HELP),
            Column("note", "Ghi chú", aliases=("ghi chu",), width=24),
        ),
        key=("consultation_code", "household_code"),
        examples=(
            {"consultation_code": "SX-2025-01", "household_code": "HO-000001", "unit_code": "TDP-01",
             "voter_name": "Nguyễn Văn An", "choice": "agree", "cast_date": _D(2025, 4, 20)},
            {"consultation_code": "SX-2025-01", "household_code": "HO-000002", "unit_code": "TDP-01",
             "voter_name": "Trần Thị Bình", "choice": "disagree", "cast_date": _D(2025, 4, 20)},
        ),
        notes_vi=("Mỗi hộ một phiếu trong mỗi đợt lấy ý kiến.",),
    ),
}


def schema(kind: str) -> Schema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        from tinhgon.errors import BadInput

        raise BadInput(f"loại dữ liệu không hợp lệ «{kind}»; chọn một trong: {', '.join(KINDS)} / "
                       f"unknown kind") from None


# --- Cell conversion ----------------------------------------------------------------------------

class _Bad(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


_INT_RE = re.compile(r"^[+-]?\d+$")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(\.\d{3})+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DMY_RE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})$")
_SHORT_YEAR_RE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$")
_SERIAL_RE = re.compile(r"^\d{1,7}(\.0+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a code typed as a number: 101 shows as 101, not 101.0
    if isinstance(raw, dt.datetime) and raw.time() == dt.time(0):
        return raw.date().isoformat()
    return str(raw).strip()


def _to_phone(raw: Any, _dc: bool) -> str:
    """A phone number as text. A number cell (an old file typed into a General cell) has lost the
    leading zero; it is put back only where the digits allow one reading: a Vietnamese number written
    without its "0" has 9 digits (mobile, 0xx xxx xxxx) or 10 starting with 2 (landline, 02x ...); 84...
    with 11–12 digits is the international form and lost nothing. Any other number cell is refused."""
    if isinstance(raw, bool):
        raise _Bad("số điện thoại không thể là Đúng/Sai", "a phone number cannot be a boolean")
    if not isinstance(raw, int | float):
        return _text(raw)
    digits = str(int(raw)) if math.isfinite(raw) and raw == int(raw) and raw > 0 else ""
    if len(digits) == 9 or (len(digits) == 10 and digits[0] == "2"):
        return "0" + digits
    if digits.startswith("84") and len(digits) in (11, 12):
        return digits
    raise _Bad("ô số điện thoại đang ở dạng số nên có thể đã mất số 0 ở đầu; định dạng ô là Văn bản (Text) "
               "rồi gõ lại số", "the phone cell holds a number, so a leading zero may be lost; format the "
               "cell as Text and type the number again")


def _to_int(raw: Any, decimal_comma: bool) -> int:
    if isinstance(raw, bool):
        raise _Bad("phải là số nguyên, không phải Đúng/Sai", "must be an integer, not a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return int(raw)
        raise _Bad("phải là số nguyên (không có phần thập phân)", "must be a whole number")
    if isinstance(raw, str):
        s = raw.strip().replace("\u00a0", "").replace(" ", "")
        if _INT_RE.match(s):
            return int(s)
        if decimal_comma and _THOUSANDS_RE.match(s):
            return int(s.replace(".", ""))  # "1.234" written by a Vietnamese-locale Excel
        try:
            value = _to_float(s, decimal_comma)
        except _Bad:
            raise _Bad("phải là số nguyên", "must be an integer") from None
        if value.is_integer():
            return int(value)
        raise _Bad("phải là số nguyên (không có phần thập phân)", "must be a whole number")
    raise _Bad("phải là số nguyên", "must be an integer")


def _to_float(raw: Any, decimal_comma: bool) -> float:
    if isinstance(raw, bool):
        raise _Bad("phải là số", "must be a number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        s = raw.strip().replace("\u00a0", "").replace(" ", "")
        if decimal_comma and "," in s and "." in s and s.rfind(".") < s.find(","):
            s = s.replace(".", "")  # "1.234,5": thousands dots before the decimal comma
        if "," in s and (decimal_comma or "." not in s) and s.count(",") == 1:
            s = s.replace(",", ".")  # decimal comma: Vietnamese-locale Excel, or a lone comma
        if not _FLOAT_RE.match(s):
            raise _Bad("phải là số", "must be a number")
        value = float(s)
    else:
        raise _Bad("phải là số", "must be a number")
    if not math.isfinite(value):
        raise _Bad("phải là số hữu hạn", "must be a finite number")
    return value


def _checked_date(y: int, m: int, d: int) -> dt.date:
    if not (_MIN_YEAR <= y <= _MAX_YEAR):
        raise _Bad(f"năm {y} nằm ngoài khoảng {_MIN_YEAR}–{_MAX_YEAR}", f"year {y} out of range")
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _Bad(f"ngày không tồn tại (ngày {d}, tháng {m}, năm {y})",
                   f"impossible date (day {d}, month {m}, year {y})") from None


def parse_date(raw: Any) -> dt.date:
    """dd/mm/yyyy (also with - or .), yyyy-mm-dd, an Excel date cell, or an Excel serial number."""
    if isinstance(raw, dt.datetime):
        return _checked_date(raw.year, raw.month, raw.day)
    if isinstance(raw, dt.date):
        return _checked_date(raw.year, raw.month, raw.day)
    if isinstance(raw, bool):
        raise _Bad("không phải ngày", "not a date")
    if isinstance(raw, int | float):
        return _serial(float(raw))
    if not isinstance(raw, str):
        raise _Bad("không phải ngày", "not a date")
    s = raw.strip()
    m = _ISO_RE.match(s)
    if m:
        return _checked_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DMY_RE.match(s)
    if m:
        return _checked_date(int(m.group(4)), int(m.group(3)), int(m.group(1)))
    if _SHORT_YEAR_RE.match(s):
        raise _Bad("năm phải ghi đủ 4 chữ số (dd/mm/yyyy)", "the year needs 4 digits (dd/mm/yyyy)")
    if _SERIAL_RE.match(s):
        return _serial(float(s))
    raise _Bad("ngày không đúng dạng; dùng dd/mm/yyyy hoặc yyyy-mm-dd",
               "unrecognised date; use dd/mm/yyyy or yyyy-mm-dd")


def _serial(value: float) -> dt.date:
    # Serials below 61 fall before Excel's fictitious 29/02/1900; none is a plausible date here.
    if not value.is_integer() or not 61 <= value <= 73415:  # 73415 = 2100-12-31
        raise _Bad("không phải ngày hợp lệ", "not a valid date")
    return _EXCEL_EPOCH + dt.timedelta(days=int(value))


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    key = match_key(str(raw))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _Bad("phải là Có hoặc Không (1 hoặc 0)", "must be yes or no (1 or 0)")


def _choice_index(col: Column) -> dict[str, str]:
    assert col.choices is not None
    index: dict[str, str] = {}
    for code, label in col.choices().items():
        index[match_key(code)] = code
        index.setdefault(match_key(label), code)
    return index


# --- Validation ---------------------------------------------------------------------------------

@dataclass
class ValidationContext:
    """What validation may look up outside the file. Callbacks answer "does this code exist?"."""

    known_parent_codes: Callable[[str], bool] | None = None     # units: parents already registered
    known_unit_codes: Callable[[str], bool] | None = None       # adjacency, households, holdings, ballots
    known_household_codes: Callable[[str], bool] | None = None  # people, ballots
    known_person_codes: Callable[[str], bool] | None = None     # holdings
    titles: Mapping[str, str] | None = None                     # code -> name; default titles.yaml
    today: dt.date | None = None                                # birth dates may not be after it
    max_problems: int = 1000                                    # problems kept (all are counted)


@dataclass
class ValidatedBatch:
    kind: str
    records: list[dict[str, Any]]
    problems: list[Problem]
    row_count: int
    files: list[str] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_for_problems(self) -> None:
        if self.error_count:
            raise ValidationFailed(self.problems, total_errors=self.error_count)


class _Locations:
    """Where each record came from, in two compact arrays (a million tuples would cost ~100 MB)."""

    def __init__(self, sheets: Sequence[Sheet]) -> None:
        self.sheets = sheets
        self.sheet_no = array("H")
        self.rows = array("L")

    def append(self, sheet_no: int, row: int) -> None:
        self.sheet_no.append(sheet_no)
        self.rows.append(row)

    def sheet(self, i: int) -> Sheet:
        return self.sheets[self.sheet_no[i]]

    def __getitem__(self, i: int) -> tuple[str, str | None, int]:
        sheet = self.sheet(i)
        return sheet.file, sheet.sheet, self.rows[i]


class _Collector:
    def __init__(self, limit: int) -> None:
        self.items: list[Problem] = []
        self.errors = 0
        self.limit = limit

    def add(self, p: Problem) -> None:
        if p.severity == "error":
            self.errors += 1
        if len(self.items) < self.limit or (p.severity == "error" and self.errors <= self.limit):
            self.items.append(p)


def _converter(col: Column, ctx: ValidationContext) -> Callable[[Any, bool], Any]:
    if col.field == "phone":
        return _to_phone
    if col.type == "text":
        return lambda raw, _dc: _text(raw)
    if col.type == "int":
        return _to_int
    if col.type == "float":
        return _to_float
    if col.type == "date":
        return lambda raw, _dc: parse_date(raw)
    if col.type == "bool":
        return lambda raw, _dc: _to_bool(raw)
    if col.type == "choice":
        if col.field == "title_code" and ctx.titles is not None:
            titles = ctx.titles
            col = Column(col.field, col.header, "choice", choices=lambda: titles)
        index = _choice_index(col)
        allowed = ", ".join(col.choices().values()) if col.choices else ""

        def conv(raw: Any, _dc: bool) -> str:
            code = index.get(match_key(_text(raw)))
            if code is None and col.field == "kind":
                from tinhgon.domain.units import kind_from_name

                kind = kind_from_name(_text(raw))
                code = kind.value if kind else None
            if code is None:
                raise _Bad(f"giá trị không có trong danh sách; chọn một trong: {allowed}",
                           "value not in the list of allowed values")
            return code

        return conv
    raise AssertionError(col.type)


def validate(kind: str, table: Table, context: ValidationContext | None = None) -> ValidatedBatch:
    """Check every row of ``table`` as ``kind``; all problems are returned, records only when none is
    an error."""
    sch = schema(kind)
    ctx = context or ValidationContext()
    out = _Collector(ctx.max_problems)
    for p in table.problems:
        out.add(p)
    convs = {c.field: _converter(c, ctx) for c in sch.columns}
    records: list[dict[str, Any]] = []
    where = _Locations(table.sheets)                 # (file, sheet, row) per record, for cross-row checks
    seen: dict[Any, int] = {}                      # key -> index into records
    row_count = 0
    fields = [c.field for c in sch.columns]
    key_required = [k for k in sch.key if sch.column(k).required]
    today = ctx.today or dt.date.today()

    for sheet_no, sheet in enumerate(table.sheets):
        present = [(c, sheet.columns[c.field], convs[c.field]) for c in sch.columns
                   if c.field in sheet.columns]
        absent = [c.field for c in sch.columns if c.field not in sheet.columns]
        dc = sheet.decimal_comma
        cell_limit = MAX_CELL_CHARS if sheet.truncated_text else MAX_CELL_CHARS + 1
        for number, cells in sheet.rows:
            row_count += 1
            rec: dict[str, Any] = dict.fromkeys(absent)
            bad = False
            ncells = len(cells)
            for col, idx, conv in present:
                raw = cells[idx] if idx < ncells else None
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    rec[col.field] = None
                    if col.required:
                        out.add(_problem(sheet, number, col, None, "bắt buộc, không được để trống",
                                         "required, must not be empty"))
                        bad = True
                    continue
                if isinstance(raw, str) and len(raw) >= cell_limit:
                    out.add(_problem(sheet, number, col, raw,
                                     f"ô quá dài (hơn {MAX_CELL_CHARS} ký tự)",
                                     f"cell too long (more than {MAX_CELL_CHARS} characters)"))
                    rec[col.field] = None
                    bad = True
                    continue
                try:
                    value = conv(raw, dc)
                except _Bad as exc:
                    out.add(_problem(sheet, number, col, raw, exc.vi, exc.en))
                    rec[col.field] = None
                    bad = True
                    continue
                if col.min is not None and value < col.min:
                    out.add(_problem(sheet, number, col, raw, _min_vi(col), _min_en(col)))
                    bad = True
                elif col.max is not None and value > col.max:
                    out.add(_problem(sheet, number, col, raw,
                                     f"phải nằm trong khoảng từ {col.min:g} đến {col.max:g}",
                                     f"must be between {col.min:g} and {col.max:g}"))
                    bad = True
                rec[col.field] = value
            bad |= _row_checks(kind, sheet, number, rec, out, today)
            if all(rec.get(k) is not None for k in key_required):
                # a one-field key is stored as itself: a million 1-tuples would cost ~60 MB
                key: Any = rec[sch.key[0]] if len(sch.key) == 1 else tuple(rec.get(k) for k in sch.key)
                if kind == "adjacency":
                    key = tuple(sorted(key))
                if key in seen:
                    if kind == "adjacency":
                        continue  # FORMATS.md: a pair may be listed once or twice
                    first = where[seen[key]]
                    col = sch.column(key_required[0])
                    out.add(_problem(sheet, number, col, rec.get(col.field),
                                     f"bị trùng với {_loc_vi(first, sheet)}",
                                     f"duplicate of {_loc_en(first, sheet)}"))
                else:
                    seen[key] = len(records)
            records.append(rec)
            where.append(sheet_no, number)
    _cross_checks(kind, sch, records, where, ctx, out)
    order = {f: i for i, f in enumerate(table.files)}
    problems = sorted(out.items, key=lambda p: (order.get(p.file, len(order)), p.sheet or "", p.row or 0,
                                                p.col_index or 0))
    if out.errors:
        records = []
    else:
        for r in records:
            for f in fields:
                r.setdefault(f, None)
    return ValidatedBatch(kind=kind, records=records, problems=problems, row_count=row_count,
                          files=list(table.files), error_count=out.errors)


def _min_vi(col: Column) -> str:
    if col.type == "int" and col.min == 0:
        return "không được âm"
    return f"phải lớn hơn hoặc bằng {col.min:g}"


def _min_en(col: Column) -> str:
    if col.type == "int" and col.min == 0:
        return "must not be negative"
    return f"must be at least {col.min:g}"


def _loc_vi(loc: tuple[str, str | None, int], here: Sheet) -> str:
    file, sheet, row = loc
    parts = [] if file == here.file else [file]
    if sheet and sheet != here.sheet:
        parts.append(f"trang «{sheet}»")
    parts.append(f"dòng {row}")
    return ", ".join(parts)


def _loc_en(loc: tuple[str, str | None, int], here: Sheet) -> str:
    file, sheet, row = loc
    parts = [] if file == here.file else [file]
    if sheet and sheet != here.sheet:
        parts.append(f"sheet '{sheet}'")
    parts.append(f"row {row}")
    return ", ".join(parts)


def _problem(sheet: Sheet, row: int, col: Column, value: Any, vi: str, en: str,
             severity: Literal["error", "warning"] = "error") -> Problem:
    idx = sheet.columns.get(col.field)
    header = sheet.header[idx] if idx is not None and idx < len(sheet.header) else col.header
    return Problem(file=sheet.file, sheet=sheet.sheet, row=row, column=header, value=short(value),
                   reason_vi=vi, reason_en=en, severity=severity, col_index=sheet.col_index(col.field))


def _row_checks(kind: str, sheet: Sheet, number: int, rec: dict[str, Any], out: _Collector,
                today: dt.date) -> bool:
    sch = SCHEMAS[kind]
    bad = False
    vf, vt = rec.get("valid_from"), rec.get("valid_to")
    if vf is not None and vt is not None and vt <= vf:
        out.add(_problem(sheet, number, sch.column("valid_to"), vt.strftime("%d/%m/%Y"),
                         "ngày kết thúc phải sau ngày bắt đầu", "end date must be after the start date"))
        bad = True
    if kind == "units":
        code, parent = rec.get("code"), rec.get("parent_code")
        if code is not None and parent is not None and code == parent:
            out.add(_problem(sheet, number, sch.column("parent_code"), parent,
                             "đơn vị không thể là cấp trên của chính nó", "a unit cannot be its own parent"))
            bad = True
        if (rec.get("lat") is None) != (rec.get("lon") is None):
            missing = "lon" if rec.get("lon") is None else "lat"
            out.add(_problem(sheet, number, sch.column(missing), None,
                             "cần ghi cả vĩ độ và kinh độ", "latitude and longitude go together"))
            bad = True
    elif kind == "adjacency":
        if rec.get("a") is not None and rec.get("a") == rec.get("b"):
            out.add(_problem(sheet, number, sch.column("b"), rec["b"],
                             "một đơn vị không thể liền kề chính nó", "a unit cannot neighbour itself"))
            bad = True
    elif kind == "people":
        bd = rec.get("birth_date")
        if bd is not None and bd > today:
            out.add(_problem(sheet, number, sch.column("birth_date"), bd.strftime("%d/%m/%Y"),
                             "ngày sinh ở tương lai", "birth date in the future"))
            bad = True
    return bad


def _cross_checks(kind: str, sch: Schema, records: list[dict[str, Any]],
                  where: _Locations, ctx: ValidationContext, out: _Collector) -> None:
    sheet_of = where.sheet

    def lookup(cb: Callable[[str], bool] | None) -> Callable[[str], bool]:
        cache: dict[str, bool] = {}

        def known(code: str) -> bool:
            if cb is None:
                return False
            if code not in cache:
                # A failing look-up (database down) propagates: reporting every code as unknown
                # would blame the file for the registry's failure.
                cache[code] = bool(cb(code))
            return cache[code]

        return known

    if kind == "units":
        codes = {r["code"]: i for i, r in enumerate(records) if r.get("code") is not None}
        known = lookup(ctx.known_parent_codes)
        col = sch.column("parent_code")
        for i, r in enumerate(records):
            parent = r.get("parent_code")
            if parent is None or parent == r.get("code"):
                continue
            if parent not in codes and not known(parent):
                out.add(_problem(sheet_of(i), where[i][2], col, parent,
                                 "mã đơn vị cấp trên không có trong tệp và chưa có trong cơ sở dữ liệu",
                                 "unknown parent code: not in the file nor in the registry"))
            elif parent in codes:
                pk, ck = records[codes[parent]].get("kind"), r.get("kind")
                if pk and ck and Kind(pk).level.rank >= Kind(ck).level.rank:
                    out.add(_problem(sheet_of(i), where[i][2], col, parent,
                                     "đơn vị cấp trên phải ở cấp cao hơn đơn vị này",
                                     "the parent must be at a higher level than the unit"))
        _cycles(records, codes, where, sheet_of, sch, out)
    elif kind in ("adjacency", "households", "holdings", "ballots", "people"):
        checks: list[tuple[str, Callable[[str], bool] | None, str, str]] = []
        if kind == "adjacency":
            checks += [("a", ctx.known_unit_codes, "đơn vị", "unit"),
                       ("b", ctx.known_unit_codes, "đơn vị", "unit")]
        if kind in ("households", "holdings", "ballots"):
            checks.append(("unit_code", ctx.known_unit_codes, "đơn vị", "unit"))
        if kind in ("people", "ballots"):
            checks.append(("household_code", ctx.known_household_codes, "hộ", "household"))
        if kind == "holdings":
            checks.append(("person_code", ctx.known_person_codes, "người", "person"))
        for fld, cb, vi, en in checks:
            if cb is None:
                continue  # nothing to check against: the lead's registry wiring supplies these
            known = lookup(cb)
            col = sch.column(fld)
            for i, r in enumerate(records):
                code = r.get(fld)
                if code is not None and not known(code):
                    out.add(_problem(sheet_of(i), where[i][2], col, code,
                                     f"mã {vi} không tồn tại", f"unknown {en} code"))


def _cycles(records: list[dict[str, Any]], codes: Mapping[str, int],
            where: _Locations, sheet_of: Callable[[int], Sheet],
            sch: Schema, out: _Collector) -> None:
    """Report each cycle of parent links once (a unit that is its own parent is reported per row)."""
    state: dict[str, int] = {}   # 1 = on the current path, 2 = done
    col = sch.column("parent_code")
    for start in codes:
        if start in state:
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in codes and node not in state:
            state[node] = 1
            path.append(node)
            parent = records[codes[node]].get("parent_code")
            node = parent if parent != node else None
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            first = min(cycle, key=lambda c: codes[c])
            i = codes[first]
            loop = " → ".join([*cycle, cycle[0]])
            out.add(_problem(sheet_of(i), where[i][2], col, records[i].get("parent_code"),
                             f"vòng lặp cấp trên: {loop}", f"cycle in the hierarchy: {loop}"))
        for n in path:
            state[n] = 2


# --- One call for the lead ----------------------------------------------------------------------

def load(kind: str, paths: Path | str | Sequence[Path | str],
         context: ValidationContext | None = None) -> ValidatedBatch:
    """Read and validate; raise ValidationFailed (a BadInput, exit 2) listing every problem when any
    is an error. The returned batch's records are safe to write."""
    sch = schema(kind)
    table = read_table(paths, sch.header_spec())
    batch = validate(kind, table, context)
    batch.raise_for_problems()
    return batch

