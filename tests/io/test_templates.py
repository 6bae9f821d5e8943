"""Templates, export and the exact round trip, formula-looking text, the annotated copy."""

from __future__ import annotations

import csv
import datetime as dt
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tinhgon.errors import BadInput
from tinhgon.io.problems import ValidationFailed, annotate_workbook, annotated_copy_paths, problems_by_file
from tinhgon.io.schemas import KINDS, load, schema, title_choices
from tinhgon.io.templates import INSTRUCTIONS_SHEET, LISTS_SHEET, export_rows, write_template
from tinhgon.io.text import VIETNAMESE_LETTERS


@pytest.mark.parametrize("kind", KINDS)
def test_template_shape(kind: str, tmp_path: Path) -> None:
    sch = schema(kind)
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [sch.sheet_title, INSTRUCTIONS_SHEET, LISTS_SHEET]
    ws = wb[sch.sheet_title]
    headers = [c.value for c in ws[1]]
    assert headers == [c.template_header for c in sch.columns]
    assert all(h.endswith("(*)") == c.required for h, c in zip(headers, sch.columns, strict=True))
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.name == "Times New Roman" and ws["A1"].font.b
    assert 2 <= ws.max_row - 1 <= 3  # example rows
    assert ws.column_dimensions["A"].width == sch.columns[0].width
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    cells = wb[INSTRUCTIONS_SHEET].iter_rows()
    instructions = " ".join(str(c.value) for row in cells for c in row if c.value)
    assert "HƯỚNG DẪN" in instructions
    for col in sch.columns:
        assert col.field in instructions
    # the examples are valid input
    batch = load(kind, path)
    assert batch.ok and len(batch.records) == len(sch.examples)


def test_template_drop_down_lists(tmp_path: Path) -> None:
    wb = load_workbook(write_template("holdings", tmp_path / "h.xlsx"))
    ws = wb["Chức danh"]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    title_rule = rules["B2:B1048576"]
    assert title_rule.type == "list" and LISTS_SHEET in title_rule.formula1
    listed = [r[0].value for r in wb[LISTS_SHEET].iter_rows(min_row=2) if r[0].value]
    assert listed == list(title_choices().values())
    assert rules["D2:D1048576"].formula1 == '"Có,Không"'
    assert rules["E2:E1048576"].type == "date"

    wb = load_workbook(write_template("units", tmp_path / "u.xlsx"))
    listed = [r[0].value for r in wb[LISTS_SHEET].iter_rows(min_row=2) if r[0].value]
    assert "Tổ dân phố" in listed and "Phum, sóc" in listed and len(listed) == len(set(listed))
    rules = {str(dv.sqref): dv for dv in wb["Đơn vị"].data_validations.dataValidation}
    assert rules["E2:E1048576"].type == "whole"  # households


def test_template_must_be_xlsx(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        write_template("units", tmp_path / "u.csv")


TRICKY = ["=1+2", "+84912345678", "-5 hộ", "@SUM(A1:A2)", "'quoted", "''=x", "a\tb", "=HYPERLINK(\"x\")",
          "Phường Bồ Đề", "a,b;c\"d", "dòng 1\ndòng 2", "001", "1.5", " "]


def _units_rows() -> list[dict[str, Any]]:
    rows = []
    for i, text in enumerate(TRICKY):
        rows.append({"code": f"C{i}" if i % 2 else text + str(i), "name": text.strip() or None,
                     "kind": ["to_dan_pho", "thanh_pho_tw", "phum", None][i % 4], "parent_code": None,
                     "households": i * 7, "population": None if i % 3 else i * 30,
                     "area_km2": [0.1, 1 / 3, 21.123456789012345, None][i % 4],
                     "lat": 21.0 + i / 7 if i % 2 else None, "lon": 105.0 + i / 9 if i % 2 else None,
                     "locked": [True, False, None][i % 3],
                     "valid_from": dt.date(2020, 1, 1) + dt.timedelta(days=i * 40) if i % 2 else None,
                     "valid_to": None})
    return rows


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_round_trip_exact_with_formula_like_text(tmp_path: Path, ext: str) -> None:
    rows = _units_rows()
    path = tmp_path / f"units.{ext}"
    assert export_rows("units", rows, path) == len(rows)
    assert load("units", path).records == rows


def test_exported_formula_text_is_inert(tmp_path: Path) -> None:
    rows = _units_rows()
    export_rows("units", rows, tmp_path / "u.xlsx")
    ws = load_workbook(tmp_path / "u.xlsx")["Đơn vị"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    export_rows("units", rows, tmp_path / "u.csv")
    with open(tmp_path / "u.csv", encoding="utf-8-sig", newline="") as fh:
        cells = [c for r in csv.reader(fh) for c in r]
    assert not any(c[:1] in ("=", "+", "-", "@", "\t") for c in cells)
    assert "'=1+20" in cells and "'+84912345678" in cells and "'''=x" in cells


def test_units_csv_export_has_formats_md_columns(tmp_path: Path) -> None:
    export_rows("units", _units_rows()[:2], tmp_path / "u.csv")
    header = (tmp_path / "u.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"code", "name", "parent_code", "households", "lat", "lon", "locked"} <= set(header)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_round_trips(kind: str, tmp_path: Path) -> None:
    examples = [dict(e) for e in schema(kind).examples]
    for ext in ("csv", "xlsx"):
        export_rows(kind, examples, tmp_path / f"x.{ext}")
        got = load(kind, tmp_path / f"x.{ext}").records
        assert [{k: v for k, v in r.items() if v is not None} for r in got] == examples


def test_export_bad_extension(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        export_rows("units", [], tmp_path / "u.txt")


# Any text in the XLSX (exports are marked Unicode); realistic Vietnamese words in the CSV, where
# legacy-font detection has to judge by the text alone.
_ALPHABET = sorted(VIETNAMESE_LETTERS) + list(string.ascii_letters + string.digits + " .,;:'\"=+-@()/–“”")
_any_text = st.text(st.sampled_from(_ALPHABET), min_size=1, max_size=40).map(str.strip).filter(bool)
_WORDS = (
    "Phường", "Bồ", "Đề", "Thượng", "Thanh", "Gia", "Thụy", "Ngọc", "Lâm", "tổ", "dân", "phố", "số", "Nguyễn",
    "Trần", "Thị", "Văn", "Ánh", "Hoà", "Bình", "Đặng", "Vũ", "Hùng", "Dũng", "Lê", "Phạm", "Hoàng", "Yến",
    "Ỷ", "Lan", "Khương", "Mường", "ấp", "Quý", "Ngõ", "ngách", "12/5",
    "=", "+", "-", "@", "'", '"', "–", ";",
)
_vi_text = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6).map(" ".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(any_names=st.lists(_any_text, min_size=1, max_size=8),
       vi_names=st.lists(_vi_text, min_size=1, max_size=8))
def test_round_trip_any_text(tmp_path: Path, any_names: list[str], vi_names: list[str]) -> None:
    for ext, names in (("xlsx", any_names), ("csv", vi_names), ("xlsx", vi_names)):
        rows = [{"code": f"U{i}", "name": n, "kind": None, "parent_code": None, "households": i,
                 "population": None, "area_km2": None, "lat": None, "lon": None, "locked": None,
                 "valid_from": None, "valid_to": None} for i, n in enumerate(names)]
        export_rows("units", rows, tmp_path / f"p.{ext}")
        assert [r["name"] for r in load("units", tmp_path / f"p.{ext}").records] == names


def test_annotated_copy_of_xlsx(write_xlsx: Callable[..., Path], tmp_path: Path) -> None:
    src = write_xlsx("bad.xlsx", {"Đơn vị": [["code", "name", "households"], ["A", "x", -1], ["A", "y", 3]]})
    with pytest.raises(ValidationFailed) as exc:
        load("units", src)
    dst = annotate_workbook(src, exc.value.problems, tmp_path / "bad.loi.xlsx")
    ws = load_workbook(dst)["Đơn vị"]
    assert ws["C2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "không được âm" in ws["C2"].comment.text and "negative" in ws["C2"].comment.text
    assert "trùng" in ws["A3"].comment.text
    assert ws["B2"].comment is None


def test_annotated_copy_of_csv(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    src = write_csv("bad.csv", "code,name,households\nA,=cmd,-1\nB,ok,2\n")
    with pytest.raises(ValidationFailed) as exc:
        load("units", src)
    dst = annotate_workbook(src, exc.value.problems, tmp_path / "bad.loi.xlsx")
    ws = load_workbook(dst).active
    assert ws["B2"].value == "=cmd" and ws["B2"].data_type == "s"  # CSV text never becomes a formula
    assert "âm" in ws["D2"].value and ws["D1"].value.startswith("Lỗi")
    assert ws["C2"].comment is not None and ws["D3"].value is None


def test_own_xlsx_export_is_never_reinterpreted(tmp_path: Path) -> None:
    # Unicode text that happens to look like TCVN3 mojibake stays as it is in our own exports.
    names = ["µ", "Hµ Néi", "ViÖt", "¹0Ë0Đ"]
    rows = [{"code": f"U{i}", "name": n, "households": 1} for i, n in enumerate(names)]
    export_rows("units", rows, tmp_path / "own.xlsx")
    assert [r["name"] for r in load("units", tmp_path / "own.xlsx").records] == names


# --- Text-formatted columns: codes and phone numbers keep their leading zeros ------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_code_and_phone_columns_are_formatted_as_text(kind: str, tmp_path: Path) -> None:
    sch = schema(kind)
    ws = load_workbook(write_template(kind, tmp_path / f"{kind}.xlsx"))[sch.sheet_title]
    for i, col in enumerate(sch.columns, start=1):
        letter = get_column_letter(i)
        # the column's own style covers every cell typed later (openpyxl does not copy a column style
        # onto the empty cells it is asked for, so the column dimension is what is checked here) ...
        assert (ws.column_dimensions[letter].number_format == "@") == col.text_cells, col.field
        # ... and the example cells, which carry a style of their own, are Text too
        for row in range(2, ws.max_row + 1):
            cell = ws[f"{letter}{row}"]
            if col.text_cells and cell.value is not None:
                assert cell.number_format == "@" and cell.data_type == "s", cell.coordinate
    codes = [c.field for c in sch.columns if c.text_cells]
    assert {"code", "unit_code", "household_code", "parent_code", "a", "b", "person_code"} & set(codes)


def test_people_template_phone_cells_are_text_and_a_typed_phone_round_trips(tmp_path: Path) -> None:
    path = write_template("people", tmp_path / "people.xlsx")
    wb = load_workbook(path)
    ws = wb["Nhân sự"]
    phone = get_column_letter([c.field for c in schema("people").columns].index("phone") + 1)
    assert ws[f"{phone}1"].value == "Số điện thoại"
    assert ws.column_dimensions[phone].number_format == "@"
    assert ws[f"{phone}2"].number_format == "@" and ws[f"{phone}2"].value == "0912345678"
    # fill the template as a user would: overwrite the examples, phone typed as text
    ws.delete_rows(2, ws.max_row)
    ws.append(["NS-9001", "Lê Văn Số", None, "Nam", "Không", None, "0912345678"])
    ws.append(["NS-9002", "Phạm Thị Bàn", None, "Nữ", "Không", None, "02439876543"])
    wb.save(path)
    assert load_workbook(path)["Nhân sự"].column_dimensions[phone].number_format == "@"  # kept by a re-save
    records = load("people", path).records
    assert [r["phone"] for r in records] == ["0912345678", "02439876543"]


@pytest.mark.parametrize("typed,kept", [
    (912345678, "0912345678"),        # mobile saved as a number: the lost zero is put back
    (912345678.0, "0912345678"),
    (2439876543, "02439876543"),      # landline 024 ...
    (84912345678, "84912345678"),     # international form without "+": nothing was lost
    ("0912345678", "0912345678"),
    ("+84 912 345 678", "+84 912 345 678"),
])
def test_phone_number_cells(write_xlsx: Callable[..., Path], typed: object, kept: str) -> None:
    path = write_xlsx("p.xlsx", {"Nhân sự": [["Mã người", "Họ và tên", "Số điện thoại"], ["NS-1", "An", typed]]})
    assert load("people", path).records[0]["phone"] == kept


@pytest.mark.parametrize("typed", [12345, 9123456789, 912345678.5, -912345678, True])
def test_ambiguous_phone_number_cells_are_refused(write_xlsx: Callable[..., Path], typed: object) -> None:
    path = write_xlsx("p.xlsx", {"Nhân sự": [["Mã người", "Họ và tên", "Số điện thoại"], ["NS-1", "An", typed]]})
    with pytest.raises(ValidationFailed) as exc:
        load("people", path)
    (p,) = [p for p in exc.value.problems if p.severity == "error"]
    assert p.cell == "C2" and p.column == "Số điện thoại"
    if not isinstance(typed, bool):
        assert "Văn bản" in p.reason_vi and "leading zero" in p.reason_en


# --- One annotated copy per input file ---------------------------------------------------------------

def test_annotated_copy_paths_are_named_after_each_input(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sources = [tmp_path / "ho_1.xlsx", tmp_path / "a" / "ho.csv", tmp_path / "b" / "ho.xlsx"]
    # a file path: the first copy is that path (as with a single file), the others sit next to it
    assert annotated_copy_paths(sources, tmp_path / "loi.xlsx") == [
        tmp_path / "loi.xlsx", tmp_path / "ho.loi.xlsx", tmp_path / "ho-2.loi.xlsx"]
    # a folder: every copy inside it, named after its input
    out = tmp_path / "out"
    out.mkdir()
    assert annotated_copy_paths(sources, out) == [
        out / "ho_1.loi.xlsx", out / "ho.loi.xlsx", out / "ho-2.loi.xlsx"]
    # never an input file's own name, even one without problems
    keep = tmp_path / "x.loi.xlsx"
    assert annotated_copy_paths([tmp_path / "y.csv", tmp_path / "x.csv"], tmp_path / "r.xlsx",
                                inputs=[keep]) == [tmp_path / "r.xlsx", tmp_path / "x-2.loi.xlsx"]


def test_problems_by_file_keeps_each_file_to_itself(write_csv: Callable[..., Path]) -> None:
    good = write_csv("good.csv", "code,name,households\nG1,Tổ 1,5\n")
    bad1 = write_csv("bad1.csv", "code,name,households\nB1,Tổ 2,-1\n")
    bad2 = write_csv("bad2.csv", "code,name,households\nB2,Tổ 3,x\nG1,Tổ 4,2\n")
    with pytest.raises(ValidationFailed) as exc:
        load("units", [good, bad1, bad2])
    mine = problems_by_file([good, bad1, bad2], exc.value.problems)
    assert list(mine) == [str(bad1), str(bad2)]  # the good file has none, so gets no copy
    assert [p.cell for p in mine[str(bad1)]] == ["C2"]
    assert [p.cell for p in mine[str(bad2)]] == ["C2", "A3"]  # "x", and G1 repeated from good.csv
