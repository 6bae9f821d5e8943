"""Reading CSV and XLSX: encodings, delimiters, damaged and hostile files, sheets, row numbers."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl.styles import Font

from tinhgon.errors import BadInput
from tinhgon.io.problems import ValidationFailed
from tinhgon.io.schemas import load
from tinhgon.io.text import unicode_to_cp1258, unicode_to_tcvn3, unicode_to_vni

UNITS_HEADER = ["code", "name", "parent_code", "households", "lat", "lon", "locked"]
HEADER = ",".join(UNITS_HEADER)


def _refused(kind: str, path: Path) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        load(kind, path)
    return exc.value


# --- CSV encodings ---------------------------------------------------------------------------------

def test_utf8_bom_and_plain(write_csv: Callable[..., Path]) -> None:
    body = f"{HEADER}\nP1,Phường Bồ Đề,,100,,,\n"
    for name, text in (("a.csv", body), ("b.csv", "\ufeff" + body)):
        batch = load("units", write_csv(name, text))
        assert batch.records[0]["code"] == "P1"
        assert batch.records[0]["name"] == "Phường Bồ Đề"


def test_semicolon_csv_with_decimal_comma(write_csv: Callable[..., Path]) -> None:
    path = write_csv("vn.csv", "code;name;households;lat;lon\nP1;Phường A;1.234;21,0455;105,8712\n")
    rec = load("units", path).records[0]
    assert rec["lat"] == 21.0455 and rec["lon"] == 105.8712
    assert rec["households"] == 1234  # thousands separator of a Vietnamese-locale Excel
    path = write_csv("vn2.csv", "code;households;area_km2\nP1;5;1.234,5\nP2;6;0,25\n")
    assert [r["area_km2"] for r in load("units", path).records] == [1234.5, 0.25]


def test_cp1258_csv(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    body = f"{HEADER}\nP1,Phường Thượng Thanh,,100,,,\nT1,Tổ dân phố số 7,P1,5,,,\n"
    path.write_bytes(unicode_to_cp1258(body))
    recs = load("units", path).records
    assert recs[0]["name"] == "Phường Thượng Thanh"
    assert unicodedata.is_normalized("NFC", recs[1]["name"])
    assert recs[1]["name"] == "Tổ dân phố số 7"


def test_tcvn3_byte_csv(tmp_path: Path) -> None:
    path = tmp_path / "tcvn.csv"
    path.write_bytes(unicode_to_tcvn3(f"{HEADER}\np1,phường bồ đề,,100,,,\nt1,tổ dân phố số 1,p1,5,,,\n"))
    recs = load("units", path).records
    assert [r["name"] for r in recs] == ["phường bồ đề", "tổ dân phố số 1"]


def test_vni_cells_in_xlsx_are_converted(write_xlsx: Callable[..., Path]) -> None:
    names = ["Phường Bồ Đề", "Tổ dân phố Ngọc Lâm", "Thượng Thanh"]
    rows = [UNITS_HEADER] + [[f"U{i}", unicode_to_vni(n), None, 10] for i, n in enumerate(names)]
    batch = load("units", write_xlsx("vni.xlsx", {"Đơn vị": rows}))
    assert [r["name"] for r in batch.records] == names
    assert any("VNI" in p.reason_vi for p in batch.warnings)


def test_tcvn3_cells_in_xlsx_are_converted(write_xlsx: Callable[..., Path]) -> None:
    names = ["phường bồ đề", "tổ dân phố ngọc lâm", "thượng thanh"]
    rows = [UNITS_HEADER] + [[f"U{i}", unicode_to_tcvn3(n).decode("cp1252"), None, 10]
                             for i, n in enumerate(names)]
    # A Unicode cell in the same file (typed in another font) stays as it is.
    rows.append(["U9", "Phường Gia Thụy", None, 5])
    batch = load("units", write_xlsx("tcvn.xlsx", {"Đơn vị": rows}))
    assert [r["name"] for r in batch.records] == [*names, "Phường Gia Thụy"]


def test_nfd_and_nfc_codes_are_the_same_code(write_csv: Callable[..., Path]) -> None:
    nfd = unicodedata.normalize("NFD", "Đề")
    path = write_csv("d.csv", f"{HEADER}\nĐề,A,,1,,,\n{nfd},B,,2,,,\n")
    err = _refused("units", path)
    assert any("trùng" in p.reason_vi and p.row == 3 for p in err.problems)


# --- Hostile and damaged files ---------------------------------------------------------------------

def test_empty_file(write_csv: Callable[..., Path]) -> None:
    err = _refused("units", write_csv("empty.csv", ""))
    assert "rỗng" in err.problems[0].reason_vi and err.problems[0].file.endswith("empty.csv")
    err = _refused("units", write_csv("blank.csv", "\n\n  \n"))
    assert err.problems[0].reason_en in ("the file is empty", "the file holds no data")


def test_header_only_file_is_valid_and_empty(write_csv: Callable[..., Path]) -> None:
    batch = load("units", write_csv("h.csv", HEADER + "\n"))
    assert batch.records == [] and batch.row_count == 0


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(BadInput) as exc:
        load("units", path)
    assert "garbage.csv" in str(exc.value)


def test_not_a_zip_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"this is not a workbook\n" * 10)
    with pytest.raises(BadInput, match="XLSX"):
        load("units", path)


def test_truncated_xlsx(write_xlsx: Callable[..., Path], tmp_path: Path) -> None:
    good = write_xlsx("good.xlsx", {"S": [UNITS_HEADER, ["A", "x", None, 1]]})
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        bad = tmp_path / f"cut{cut}.xlsx"
        bad.write_bytes(data[:cut])
        with pytest.raises(BadInput) as exc:
            load("units", bad)
        assert f"cut{cut}.xlsx" in str(exc.value)
        assert not isinstance(exc.value, ValidationFailed) or exc.value.problems


def test_zip_bomb_named_xlsx_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))  # 64 MiB -> ~64 KiB
    import python_calamine

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("the parser must not see a zip bomb")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", boom)
    with pytest.raises(BadInput, match=r"bom zip|zip bomb"):
        load("units", path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(BadInput, match=r"sổ tính|workbook"):
        load("units", path)


def test_old_xls_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(BadInput, match=r"\.xlsx"):
        load("units", path)


def test_huge_cell_in_csv(write_csv: Callable[..., Path]) -> None:
    big = "x" * (20 * 1024 * 1024)
    err = _refused("units", write_csv("big.csv", f"{HEADER}\nP1,{big},,1,,,\nP2,ok,,1,,,\n"))
    (p,) = err.problems
    assert p.row == 2 and p.column == "name" and "quá dài" in p.reason_vi
    assert len(p.value or "") < 200  # the report never carries the whole cell


def test_huge_cell_in_xlsx(write_xlsx: Callable[..., Path]) -> None:
    err = _refused("units", write_xlsx("big.xlsx", {"S": [UNITS_HEADER, ["P1", "y" * 40_000, None, 1]]}))
    assert err.problems[0].row == 2 and err.problems[0].col_index == 2


def test_formula_refused_with_cell(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx("f.xlsx", {"S": [UNITS_HEADER, ["P1", "A", None, 5], ["P2", "B", None, "=D2*2"]]})
    err = _refused("units", path)
    (p,) = [p for p in err.problems if "công thức" in p.reason_vi]
    assert (p.row, p.col_index, p.sheet) == (3, 4, "S")
    assert p.value == "=D2*2"


def test_merged_cells_refused_with_range(write_xlsx: Callable[..., Path]) -> None:
    def merge(wb: object) -> None:
        wb["S"].merge_cells("B2:B3")  # type: ignore[index]

    path = write_xlsx("m.xlsx", {"S": [UNITS_HEADER, ["P1", "A", None, 5], ["P2", None, None, 6]]},
                      edit=merge)
    err = _refused("units", path)
    assert any("B2:B3" in p.reason_vi and p.row == 2 and p.col_index == 2 for p in err.problems)


def test_hidden_sheet_ignored_with_warning(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx("h.xlsx", {"Đơn vị": [UNITS_HEADER, ["P1", "A", None, 5]],
                                 "Cũ": [UNITS_HEADER, ["OLD", "bad", None, -1]]}, hidden=("Cũ",))
    batch = load("units", path)
    assert [r["code"] for r in batch.records] == ["P1"]
    (w,) = [p for p in batch.warnings if p.sheet == "Cũ"]
    assert "ẩn" in w.reason_vi


def test_empty_rows_skipped_row_numbers_kept(write_csv: Callable[..., Path],
                                             write_xlsx: Callable[..., Path]) -> None:
    csv_path = write_csv("e.csv", f"{HEADER}\nP1,A,,1,,,\n\n,,,,,,\nP2,B,,x,,,\n")
    err = _refused("units", csv_path)
    assert [(p.row, p.column) for p in err.problems] == [(5, "households")]
    xlsx_path = write_xlsx("e.xlsx", {"S": [UNITS_HEADER, ["P1", "A", None, 1], [], [None, None],
                                            ["P2", "B", None, "x"]]})
    err = _refused("units", xlsx_path)
    assert [(p.row, p.col_index) for p in err.problems] == [(5, 4)]


def test_xlsx_offset_table_keeps_cell_positions(write_xlsx: Callable[..., Path]) -> None:
    rows = [[], ["Danh sách đơn vị"], [None, *UNITS_HEADER], [None, "P1", "A", None, -5]]
    err = _refused("units", write_xlsx("o.xlsx", {"S": rows}))
    (p,) = err.problems
    assert (p.row, p.col_index, p.cell) == (4, 5, "E4")


def test_multi_sheet_and_multi_file(write_xlsx: Callable[..., Path], write_csv: Callable[..., Path]) -> None:
    x = write_xlsx("m.xlsx", {"Phần 1": [UNITS_HEADER, ["P1", "A", None, 1]],
                              "Phần 2": [UNITS_HEADER, ["T1", "B", "P1", 2]],
                              "Ghi chú": [["chỉ là ghi chú"]]})
    c = write_csv("more.csv", f"{HEADER}\nT2,C,P1,3,,,\n")
    batch = load("units", [x, c])
    assert [r["code"] for r in batch.records] == ["P1", "T1", "T2"]
    assert any(p.sheet == "Ghi chú" and p.severity == "warning" for p in batch.problems)
    # a duplicate across files names the other file
    d = write_csv("dup.csv", f"{HEADER}\nP1,again,,3,,,\n")
    err = _refused("units", [x, d])
    (dup,) = [p for p in err.problems if p.severity == "error"]
    assert "m.xlsx" in dup.reason_vi and dup.file.endswith("dup.csv")


def test_vietnamese_template_headers_and_plain_names(write_xlsx: Callable[..., Path]) -> None:
    header = ["Mã đơn vị (*)", "TÊN ĐƠN VỊ", "ma don vi cap tren", "Số hộ (*)", "Vĩ độ", "Kinh do"]
    batch = load("units", write_xlsx("v.xlsx", {"S": [header, ["P1", "Phường A", None, 12, 21, 105]]}))
    rec = batch.records[0]
    assert (rec["code"], rec["households"], rec["lat"], rec["lon"]) == ("P1", 12, 21.0, 105.0)


def test_excel_date_cells_and_serials(write_xlsx: Callable[..., Path]) -> None:
    def date_format(wb: object) -> None:
        ws = wb["S"]  # type: ignore[index]
        ws["H3"].number_format = "General"

    header = [*UNITS_HEADER, "valid_from"]
    rows = [header, ["A", "", None, 1, None, None, None, dt.datetime(2025, 7, 1)],
            ["B", "", None, 1, None, None, None, 45839], ["C", "", None, 1, None, None, None, "01/07/2025"],
            ["D", "", None, 1, None, None, None, "2025-07-01"]]
    recs = load("units", write_xlsx("d.xlsx", {"S": rows}, edit=date_format)).records
    assert {r["valid_from"] for r in recs} == {dt.date(2025, 7, 1)}


def test_reader_never_leaks_a_traceback(tmp_path: Path) -> None:
    # a zip whose workbook part is not XML
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<<<not xml")
    with pytest.raises(BadInput, match=r"broken\.xlsx"):
        load("units", path)
    # a workbook whose sheet part is damaged XML
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(UNITS_HEADER)
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    bad = tmp_path / "badsheet.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            zf.writestr(item, data)
    with pytest.raises(BadInput, match=r"badsheet\.xlsx"):
        load("units", bad)


def test_font_of_cells_does_not_matter(write_xlsx: Callable[..., Path]) -> None:
    def font(wb: object) -> None:
        wb["S"]["B2"].font = Font(name=".VnTime")  # type: ignore[index]

    batch = load("units", write_xlsx("f.xlsx", {"S": [UNITS_HEADER, ["P1", "Phường A", None, 1]]}, edit=font))
    assert batch.records[0]["name"] == "Phường A"


def test_unknown_legacy_text_refused(write_csv: Callable[..., Path]) -> None:
    names = ["Ãþ×ßÐ Ñ", "×ÞÐÃ ÞÏ", "ÐÃÞ× ÑÏ", "ÞÏ×Ð ÃÑ"]
    body = HEADER + "\n" + "".join(f"U{i},{n},,1,,,\n" for i, n in enumerate(names))
    err = _refused("units", write_csv("weird.csv", body))
    assert any("bảng mã" in p.reason_vi for p in err.problems)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_mutated_files_only_ever_raise_bad_input(tmp_path: Path, fmt: str) -> None:
    # Random byte flips, cuts and insertions in a valid file: each must load or be refused cleanly.
    import random

    from tinhgon.io.templates import export_rows

    src = tmp_path / f"ok.{fmt}"
    export_rows("units", [{"code": f"U{i}", "name": "Phường Bồ Đề", "households": i} for i in range(30)], src)
    data = src.read_bytes()
    rnd = random.Random(20251122)
    for it in range(150):
        b = bytearray(data)
        for _ in range(rnd.randint(1, 12)):
            i = rnd.randrange(len(b))
            op = rnd.random()
            if op < 0.5:
                b[i] = rnd.randrange(256)
            elif op < 0.75:
                del b[i:i + rnd.randint(1, 40)]
            else:
                b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        path = tmp_path / f"m{it}.{fmt}"
        path.write_bytes(bytes(b))
        try:
            load("units", path)
        except BadInput as exc:
            assert path.name in str(exc) or isinstance(exc, ValidationFailed)


def test_xlsx_without_any_template_header_is_refused(write_xlsx: Callable[..., Path]) -> None:
    path = write_xlsx("notes.xlsx", {"Ghi chú": [["Báo cáo"], ["số liệu", 1, 2]]})
    err = _refused("units", path)
    assert any("tiêu đề" in p.reason_vi and p.severity == "error" for p in err.problems)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        load("units", tmp_path)
    with pytest.raises(BadInput, match="missing"):
        load("units", tmp_path / "missing.csv")
