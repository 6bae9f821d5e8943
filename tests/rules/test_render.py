"""Renderers: Vietnamese text with Vietnamese numbers, JSON with stable English keys, styled XLSX."""

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from rules_builders import commune, district, group

from tinhgon.domain.people import Person, TitleHolding
from tinhgon.domain.units import Kind
from tinhgon.errors import BadInput
from tinhgon.rules.audit import audit_units
from tinhgon.rules.render import render, render_json, render_text, write_xlsx


@pytest.fixture()
def report(book, title_types):
    q = district(Kind.QUAN, province="01", id=1)
    ward = commune(Kind.PHUONG, province="01", id=2, code="00001", commune_class=1, parent_id=1)
    ward.name = "Phường Thượng Thanh"
    groups = [group(Kind.TO_DAN_PHO, h, province="01", id=10 + i, code=f"TDP{i + 1}", parent_id=2)
              for i, h in enumerate([200, 460, 650, None])]
    holdings = [TitleHolding(1, 1, "bi_thu_chi_bo", 10), TitleHolding(2, 1, "truong_ban_ctmt", 10)]
    people = {1: Person(1, "A", party_member=True)}
    return audit_units(ward, groups, holdings, people, title_types, book, dt.date(2024, 8, 1), ancestors=[q])


def test_text_report_is_vietnamese_with_vietnamese_numbers(report):
    text = render_text(report)
    assert text.startswith("BÁO CÁO RÀ SOÁT")
    assert "Ngày số liệu: 01/08/2024" in text
    assert "phải sáp nhập: 01 (TDP1)" in text
    assert "01 chưa có số hộ: TDP4" in text
    # 4.5 × 3 groups + 6.0 × 1 group = 19.5 × 2,340,000 = 45,630,000 (the group without size gets 4.5)
    assert "45.630.000 ₫/tháng" in text
    assert "Căn cứ pháp lý:" in text and "[C]" in text
    assert "Trưởng ban công tác Mặt trận" in text  # vacancies by Vietnamese title name


def test_json_report_has_stable_english_keys(report):
    data = json.loads(render_json(report))
    assert list(data) == ["root", "date", "summary", "titles", "concurrency", "budget", "groups", "communes",
                          "problems", "notices", "basis"]
    assert data["date"] == "2024-08-01"
    assert data["summary"]["status"] == {"must_merge": 1, "encouraged": 0, "meets": 2, "unknown": 1}
    assert data["budget"]["monthly"] == data["budget"]["group_monthly"] + data["budget"]["commune_monthly"]
    assert data["groups"][0]["fund_coefficient"] == "4.5"
    assert {"rule_id", "citation", "tag", "valid_from", "valid_to"} <= set(data["basis"][0])


def test_xlsx_report_has_vietnamese_sheets_and_times_new_roman(report, tmp_path):
    path = tmp_path / "audit.xlsx"
    write_xlsx(report, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tổng hợp", "Thôn, TDP", "Chức danh", "Kiêm nhiệm", "Cấp xã", "Căn cứ pháp lý"]
    ws = wb["Thôn, TDP"]
    assert ws["A4"].value == "Mã" and ws["A4"].font.bold and ws["A4"].font.name == "Times New Roman"
    assert ws["A5"].value == "TDP1" and ws["A5"].font.name == "Times New Roman"
    assert ws["E5"].value == 200 and ws["E5"].number_format == "#,##0"
    basis = wb["Căn cứ pháp lý"]
    assert basis.max_row - 4 == len(report.basis)


def test_render_dispatch_and_unknown_format(report):
    assert isinstance(render(report, "xlsx"), bytes)
    assert render(report, "json").startswith("{")
    with pytest.raises(BadInput, match="pdf"):
        render(report, "pdf")


def test_write_report_returns_text_or_writes_files(report, tmp_path):
    from tinhgon.rules.render import write_report

    assert write_report(report, "text", None).startswith("BÁO CÁO")
    assert write_report(report, "json", tmp_path / "a.json") is None
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["date"] == "2024-08-01"
    write_report(report, "xlsx", tmp_path / "a.xlsx")
    assert load_workbook(tmp_path / "a.xlsx").sheetnames[0] == "Tổng hợp"
    with pytest.raises(BadInput, match="xlsx"):
        write_report(report, "xlsx", None)


def test_title_types_from_catalogue_match_titles_yaml(book, title_types):
    from tinhgon.rules.audit import title_types_from_catalogue

    assert title_types_from_catalogue(book) == title_types
