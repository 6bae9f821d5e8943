"""The review report: official form in the PDF, and every figure equal to an independent count."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Cm
from sqlalchemy import insert

from tinhgon.domain.units import Kind, Level
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

FROM, TO = dt.date(2019, 10, 5), dt.date(2020, 12, 29)


def _need_office() -> None:
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        if os.environ.get("TINHGON_REQUIRE_OFFICE") == "1":
            pytest.fail("LibreOffice and poppler-utils are required here")
        pytest.skip("LibreOffice / poppler-utils not installed (scripts/install-debian-deps.sh)")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinhgon.cli", *args], capture_output=True, text=True, timeout=600)


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _count2(n: int) -> str:
    return f"{n:02d}" if 0 <= n < 10 else _vn(n)


def _independent_figures(on: dt.date, ward_code: str) -> dict[str, int]:
    """Counted here from the tables, not through the report's code."""
    with db.get_engine().connect() as conn:
        ward = repo.resolve_unit(conn, ward_code, on)
        groups = [u for u in repo.children(conn, ward.id, on) if u.level == Level.RESIDENTIAL_GROUP]
        holdings = repo.holdings_at(conn, on, [g.id for g in groups] + [ward.id])
        titles = repo.title_types(conn)
    group_people = {h.person_id for h in holdings if h.unit_id != ward.id
                    and titles[h.title_code].group.value in ("group_part_time", "other")}
    ward_people = {h.person_id for h in holdings if h.unit_id == ward.id
                   and titles[h.title_code].group.value == "commune_part_time"}
    sizes = [g.households or 0 for g in groups]
    return {"groups": len(groups), "group_people": len(group_people), "ward_people": len(ward_people),
            "ge600": sum(1 for x in sizes if x >= 600), "450_600": sum(1 for x in sizes if 450 <= x < 600),
            "lt450": sum(1 for x in sizes if x < 450)}


def test_review_pdf_has_the_official_form_and_figures_from_the_demo(demo_url: str, tmp_path: Path) -> None:
    _need_office()
    r = _cli("report", "opinion", "add", "--unit", "00115", "--date", "2020-12-29", "--role",
             "Bí thư chi bộ tổ dân phố", "--topic", "Chức danh ở tổ dân phố",
             "--text", "Đề nghị quận giữ nguyên 03 chức danh không chuyên trách tại các tổ dân phố.",
             "--recommendation")
    assert r.returncode == 0, r.stderr
    _cli("report", "opinion", "add", "--unit", "00115", "--date", "2020-12-29", "--role", "Tổ trưởng tổ dân phố",
         "--topic", "Phụ cấp", "--text", "Chế độ phụ cấp thấp.")
    docx_path, pdf_path = tmp_path / "so-ket.docx", tmp_path / "so-ket.pdf"
    for out in (docx_path, pdf_path):
        r = _cli("report", "review", "--unit", "00115", "--from", "2019-10-05", "--to", "2020-12-29",
                 "--output", str(out), "--number", "12/BC-UBND")
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "so-ket-phu-luc.xlsx").exists()

    # page size and margins, from the DOCX and from the PDF
    sec = Document(str(docx_path)).sections[0]
    assert abs(sec.page_width - Cm(21.0)) < Cm(0.05) and abs(sec.page_height - Cm(29.7)) < Cm(0.05)
    assert Cm(2.0) <= sec.top_margin <= Cm(2.5) and Cm(3.0) <= sec.left_margin <= Cm(3.5)
    assert Cm(1.5) <= sec.right_margin <= Cm(2.0)
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True).stdout
    assert "A4" in info
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True).stdout
    xs = [float(m) for m in re.findall(r'<word xMin="([\d.]+)"', bbox)]
    x_max = [float(m) for m in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert min(xs) >= 30 / 25.4 * 72 - 2           # left margin ≥ 30 mm
    assert max(x_max) <= 595.3 - 15 / 25.4 * 72 + 2  # right margin ≥ 15 mm

    text = _pdf_text(pdf_path)
    flat = " ".join(text.split())
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
                 "Số: 12/BC-UBND", "Thượng Thanh, ngày 29 tháng 12 năm 2020", "TM. ỦY BAN NHÂN DÂN",
                 "CHỦ TỊCH", "Nơi nhận:", "PHƯỜNG THƯỢNG THANH"):
        assert line in flat, line
    f = _independent_figures(TO, "00115")
    assert f"{_count2(f['ge600'])} tổ dân phố có quy mô từ 600 hộ trở lên" in flat
    assert f"{_count2(f['450_600'])} tổ dân phố có quy mô từ 450 đến dưới 600 hộ" in flat
    assert f"{_count2(f['lt450'])} tổ dân phố có quy mô dưới 450 hộ" in flat
    assert "Hội nghị đã có 02 ý kiến đóng góp, trong đó 01 kiến nghị với cấp trên" in flat
    assert "giữ nguyên 03 chức danh" in flat
    table_row = re.search(r"Người hoạt động không chuyên trách cấp\s+(\d+)\s+(\d+)", text)
    assert table_row and int(table_row.group(2)) == f["ward_people"]

    # the page images: rendered, and the chart pages are not blank
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf_path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 3000 for p in pages)


def test_review_figures_on_a_registry_built_from_a_spreadsheet(db_url: str, tmp_path: Path) -> None:
    """A second registry, built differently: units and holdings read from an XLSX the test writes."""
    _need_office()
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "kind", "parent", "households", "valid_from", "valid_to"])
    ws.append(["90", "Tỉnh Thử Nghiệm", "tinh", "", "", "", ""])
    ws.append(["90001", "Xã Bình Minh", "xa", "90", "", "", ""])
    plan = [("90001-01", 120, "2020-01-01", "2021-03-01"), ("90001-02", 130, "2020-01-01", "2021-03-01"),
            ("90001-03", 410, "2020-01-01", ""), ("90001-04", 700, "2020-01-01", ""),
            ("90001-05", 250, "2021-03-01", "")]
    for code, hh, vf, vt in plan:
        ws.append([code, f"Thôn {code[-2:]}", "thon", "90001", hh, vf, vt])
    path = tmp_path / "units.xlsx"
    wb.save(path)

    rows = list(load_workbook(path).active.iter_rows(min_row=2, values_only=True))
    ids: dict[str, int] = {}
    with db.get_engine().begin() as conn:
        conn.execute(insert(s.title_type), [
            {"code": "to_truong", "name_vi": "Trưởng thôn", "name_en": "Head", "level": "residential_group",
             "grp": "group_part_time", "requires_party_member": False, "sort_order": 1},
            {"code": "bi_thu_chi_bo", "name_vi": "Bí thư chi bộ", "name_en": "Secretary",
             "level": "residential_group", "grp": "group_part_time", "requires_party_member": True,
             "sort_order": 2}])
        for code, name, kind, parent, hh, vf, vt in rows:
            ids[code] = repo.add_unit(conn, code=code, name=name, kind=Kind(kind), parent_id=ids.get(parent or ""),
                                      households=hh or None, region="trung_du_mien_nui_phia_bac",
                                      province_code="90",
                                      valid_from=dt.date.fromisoformat(vf) if vf else None,
                                      valid_to=dt.date.fromisoformat(vt) if vt else None)
        people = []
        for k in range(6):
            people.append(int(conn.execute(insert(s.person).values(full_name=f"Người {k}", party_member=True))
                              .inserted_primary_key[0]))
        hold = [(people[0], "to_truong", "90001-01", "2021-03-01"), (people[1], "to_truong", "90001-02", "2021-03-01"),
                (people[2], "to_truong", "90001-03", None), (people[3], "to_truong", "90001-04", None),
                (people[3], "bi_thu_chi_bo", "90001-04", None), (people[4], "to_truong", "90001-05", None)]
        for pid, title, code, to in hold:
            frm = "2021-03-01" if code == "90001-05" else "2020-01-01"
            conn.execute(insert(s.title_holding).values(
                person_id=pid, title_code=title, unit_id=ids[code], concurrent=title == "bi_thu_chi_bo",
                valid_from=dt.date.fromisoformat(frm), valid_to=dt.date.fromisoformat(to) if to else None))
        e = conn.execute(insert(s.lineage_event).values(
            kind="merge", effective_date=dt.date(2021, 3, 1), doc_number="15/NQ-HĐND", issuer="HĐND tỉnh",
        )).inserted_primary_key[0]
        conn.execute(insert(s.lineage_link), [{"event_id": e, "from_unit_id": ids[c], "to_unit_id": ids["90001-05"],
                                               "partial": False, "primary_successor": True}
                                              for c in ("90001-01", "90001-02")])
    pdf = tmp_path / "r.pdf"
    r = _cli("report", "review", "--unit", "90001", "--from", "2020-06-01", "--to", "2021-06-01", "--output", str(pdf))
    assert r.returncode == 0, r.stderr
    flat = " ".join(_pdf_text(pdf).split())
    # independent: 4 groups before (01-04), 3 after (03, 04, 05); people 4 → 3 on group titles
    assert "Xã Bình Minh giảm: 01 thôn, tổ dân phố, 1 người hoạt động không chuyên trách ở thôn" in flat
    assert "Đã thực hiện 01 quyết định sáp nhập, hợp nhất: 02 đơn vị thành 01 đơn vị" in flat
    assert "Thôn 01, Thôn 02 → Thôn 05" in flat and "15/NQ-HĐND" in flat
    assert "01 thôn, tổ dân phố có bí thư chi bộ kiêm" in flat


@pytest.mark.parametrize("args,needle", [
    (["--unit", "00115", "--from", "2020-12-29", "--to", "2019-10-05", "--output", "x.docx"], "--to"),
    (["--unit", "00115", "--from", "2019-10-05", "--to", "2020-12-29", "--output", "x.txt"], "--output"),
    (["--unit", "00115", "--from", "2019-10-05", "--to", "2020-12-29", "--output", "x.docx", "--form", "x"],
     "--form"),
    (["--unit", "00118", "--from", "2019-10-05", "--to", "2025-12-31", "--output", "x.docx"], "--from"),
])
def test_review_bad_input_exits_2_and_writes_nothing(demo_url: str, tmp_path: Path, args: list[str],
                                                      needle: str) -> None:
    r = subprocess.run([sys.executable, "-m", "tinhgon.cli", "report", "review", *args], capture_output=True,
                       text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.glob("x*"))
