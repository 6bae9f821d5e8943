"""Renderers of an :class:`AuditReport`: Vietnamese text, JSON with stable English keys, styled XLSX.

openpyxl is imported only when an XLSX file is written.
"""

from __future__ import annotations

import json
import os
from io import BytesIO
from typing import Any

from tinhgon.rules.audit import AuditReport, count_vi
from tinhgon.rules.results import TAG_LABEL_VI, Status
from tinhgon.rules.vnformat import format_date, format_int, format_money

FORMATS = ("text", "json", "xlsx")


_n = count_vi


def render_text(report: AuditReport) -> str:
    r = report
    lines: list[str] = []
    w = lines.append
    w(f"BÁO CÁO RÀ SOÁT THÔN, TỔ DÂN PHỐ VÀ CHỨC DANH KHÔNG CHUYÊN TRÁCH - {r.root_name.upper()}")
    w(f"Ngày số liệu: {format_date(r.on)}")
    w("")
    w(f"1. Quy mô thôn, tổ dân phố: tổng số {_n(r.group_count)} thôn, tổ dân phố.")
    for band in reversed(r.bands):
        w(f"   - {_n(band.count)} thôn, tổ dân phố có quy mô {band.label_vi}")
    if r.unknown_size:
        w(f"   - {_n(len(r.unknown_size))} chưa có số hộ: {', '.join(r.unknown_size)}")
    if r.oversized_source is not None:
        limit = f"{format_int(r.oversized_threshold)} hộ" if r.oversized_threshold else "ngưỡng theo gói"
        w(f"   - {_n(len(r.oversized))} thôn, tổ dân phố vượt quy mô tối đa ({limit})"
          + (f": {', '.join(r.oversized)}" if r.oversized else ""))
    w("   So với tiêu chuẩn số hộ:")
    labels = {s.value: s.label_vi for s in Status} | {"unknown": "chưa xác định"}
    for key in ("must_merge", "encouraged", "meets", "unknown"):
        count = r.status_counts.get(key, 0)
        if key == "unknown" and not count:
            continue
        units = [g.code for g in r.groups if (g.status or "unknown") == key]
        detail = f" ({', '.join(units)})" if units and key != "meets" else ""
        w(f"   - {labels[key]}: {_n(count)}{detail}")
    w("")
    w("2. Chức danh ở thôn, tổ dân phố và cấp xã:")
    group_over = [o for o in r.over_quota if o.level == "residential_group"]
    commune_over = [o for o in r.over_quota if o.level == "commune"]
    w(f"   - Vượt số lượng ở thôn, tổ dân phố: {_n(len(group_over))}")
    for o in group_over:
        w(f"     + {o.unit_code}: {r.title_name(o.title_code) or 'tổng số chức danh'} - {o.reason_vi}")
    w(f"   - Chức danh còn trống: {_n(len(r.vacancies))}")
    vacant_by_unit: dict[str, list[str]] = {}
    for v in r.vacancies:
        vacant_by_unit.setdefault(v.unit_code, []).append(r.title_name(v.title_code))
    for code, titles in vacant_by_unit.items():
        w(f"     + {code}: {', '.join(titles)}")
    for o in commune_over:
        w(f"   - {o.unit_code}: {o.reason_vi}")
    w("")
    w("3. Kiêm nhiệm:")
    for cc in r.concurrency:
        w(f"   - {cc.sentence_vi()}")
    w("")
    w("4. Người hoạt động không chuyên trách cấp xã:")
    for c in r.communes:
        if c.ended:
            quota = "không còn bố trí"
        elif c.quota is not None:
            quota = f"tối đa {_n(c.quota)} người"
        else:
            quota = "chưa xác định số lượng"
        council = "" if c.has_council in (None, True) else "; không tổ chức HĐND (chính quyền đô thị)"
        w(f"   - {c.name} ({c.code}): {_n(c.people)} người giữ {_n(c.titles)} chức danh; {quota}{council}")
    w("")
    b = r.budget
    w("5. Kinh phí khoán quỹ phụ cấp (theo mức lương cơ sở "
      + (format_money(b.base_salary) if b.base_salary else "chưa xác định") + "):")
    w(f"   - Thôn, tổ dân phố: {format_money(b.group_monthly)}/tháng ({_n(b.groups_counted)} đơn vị"
      + (f"; {_n(b.groups_missing)} chưa tính được" if b.groups_missing else "") + ")")
    w(f"   - Người hoạt động không chuyên trách cấp xã: {format_money(b.commune_monthly)}/tháng")
    w(f"   - Tổng cộng: {format_money(b.monthly)}/tháng; {format_money(b.annual)}/năm")
    if r.notices:
        w("")
        w("Lưu ý: " + " ".join(r.notices))
    if r.problems:
        w("")
        w("6. Dữ liệu cần bổ sung, kiểm tra:")
        for p in r.problems:
            w(f"   - {p}")
    w("")
    w("Căn cứ pháp lý:")
    for ref in r.basis:
        w(f"   - {ref.cite()}; {ref.period_vi()} ({ref.rule_id})")
    assumptions = [ref for ref in r.basis if ref.is_assumption]
    if assumptions:
        w("Giả định cần cán bộ pháp chế xác nhận [M]: " + ", ".join(ref.rule_id for ref in assumptions))
    w("")
    w("Ký hiệu độ tin cậy: " + "; ".join(f"[{k}] {v}" for k, v in TAG_LABEL_VI.items()))
    return "\n".join(lines) + "\n"


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def render(report: AuditReport, fmt: str) -> str | bytes:
    """One entry point for the command line: text and json give str, xlsx gives bytes."""
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "xlsx":
        return render_xlsx_bytes(report)
    from tinhgon.errors import BadInput

    raise BadInput(f"định dạng {fmt!r} không hỗ trợ, chọn một trong {', '.join(FORMATS)} (unknown format)")


def write_report(report: AuditReport, fmt: str, output: str | os.PathLike[str] | None) -> str | None:
    """Write the report to ``output`` (or return text/json when ``output`` is None).

    XLSX needs a file. The file is written only after rendering succeeded, so a failure leaves nothing.
    """
    if fmt == "xlsx" and output is None:
        from tinhgon.errors import BadInput

        raise BadInput("định dạng xlsx cần --output TỆP (xlsx needs an output file)")
    content = render(report, fmt)
    if output is None:
        assert isinstance(content, str)
        return content
    if isinstance(content, bytes):
        with open(output, "wb") as fh:
            fh.write(content)
    else:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
    return None


# --- XLSX -----------------------------------------------------------------------------------------

_FONT = "Times New Roman"


def render_xlsx_bytes(report: AuditReport) -> bytes:
    buf = BytesIO()
    _workbook(report).save(buf)
    return buf.getvalue()


def write_xlsx(report: AuditReport, path: str | os.PathLike[str]) -> None:
    _workbook(report).save(os.fspath(path))


def _workbook(report: AuditReport) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_font = Font(name=_FONT, bold=True, size=12)
    body_font = Font(name=_FONT, size=12)
    title_font = Font(name=_FONT, bold=True, size=14)
    head_fill = PatternFill("solid", fgColor="D9E1F2")
    status_fill = {"must_merge": PatternFill("solid", fgColor="F8CBAD"),
                   "encouraged": PatternFill("solid", fgColor="FFE699"),
                   "meets": PatternFill("solid", fgColor="C6E0B4")}
    wrap = Alignment(wrap_text=True, vertical="top")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    wb = Workbook()
    first = True

    def sheet(name: str, title: str, headers: list[str], rows: list[list[Any]],
              widths: list[int], formats: dict[int, str] | None = None,
              fills: list[PatternFill | None] | None = None) -> None:
        nonlocal first
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = name
        ws.cell(row=1, column=1, value=title).font = title_font
        ws.cell(row=2, column=1, value=f"{report.root_name} - ngày {format_date(report.on)}").font = \
            Font(name=_FONT, italic=True, size=12)
        for j, h in enumerate(headers, 1):
            c = ws.cell(row=4, column=j, value=h)
            c.font, c.fill, c.border, c.alignment = head_font, head_fill, border, center
        for i, row in enumerate(rows, 5):
            for j, v in enumerate(row, 1):
                c = ws.cell(row=i, column=j, value=v)
                c.font, c.border, c.alignment = body_font, border, wrap
                if formats and j in formats:
                    c.number_format = formats[j]
                if fills and fills[i - 5] is not None and j == 1:
                    c.fill = fills[i - 5]
        for j, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(j)].width = width
        ws.freeze_panes = "A5"
        if rows:
            ws.auto_filter.ref = f"A4:{get_column_letter(len(headers))}{4 + len(rows)}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4

    r = report
    b = r.budget
    summary: list[list[Any]] = [["Tổng số thôn, tổ dân phố", r.group_count, ""]]
    summary += [[f"Quy mô {band.label_vi}", band.count, ", ".join(band.units)] for band in r.bands]
    if r.oversized_source is not None:
        summary.append([f"Vượt quy mô tối đa ({r.oversized_threshold or 'theo gói'} hộ)", len(r.oversized),
                        ", ".join(r.oversized)])
    labels = {s.value: s.label_vi for s in Status} | {"unknown": "chưa xác định"}
    for key, count in r.status_counts.items():
        summary.append([f"Tiêu chuẩn số hộ: {labels[key]}", count,
                        ", ".join(g.code for g in r.groups if (g.status or "unknown") == key)])
    summary += [[c.sentence_vi(), c.cases if c.kind in ("secretary_head", "secretary_front", "head_front")
                 else c.people, ", ".join(c.units)] for c in r.concurrency]
    summary += [
        ["Chức danh vượt số lượng", len(r.over_quota), ", ".join(o.unit_code for o in r.over_quota)],
        ["Chức danh còn trống", len(r.vacancies),
         ", ".join(f"{v.unit_code}: {r.title_name(v.title_code)}" for v in r.vacancies)],
        ["Mức lương cơ sở (đồng)", b.base_salary, ""],
        ["Quỹ phụ cấp thôn, tổ dân phố (đồng/tháng)", b.group_monthly, ""],
        ["Quỹ phụ cấp không chuyên trách cấp xã (đồng/tháng)", b.commune_monthly, ""],
        ["Tổng quỹ phụ cấp (đồng/tháng)", b.monthly, ""],
        ["Tổng quỹ phụ cấp (đồng/năm)", b.annual, ""],
    ]
    summary += [["Lưu ý", None, text] for text in r.notices]
    sheet("Tổng hợp", "TỔNG HỢP RÀ SOÁT", ["Nội dung", "Số lượng", "Đơn vị"], summary, [60, 18, 60],
          {2: "#,##0"})

    group_rows = [[g.code, g.name, g.kind_vi, g.commune_code, g.households, g.standard, g.ratio,
                   labels[g.status or "unknown"], g.band, "x" if g.oversized else "", g.fund_tier,
                   float(g.fund_coefficient) if g.fund_coefficient is not None else None, g.fund_monthly,
                   ", ".join(g.titles_held), ", ".join(g.vacant), ", ".join(g.concurrency),
                   "; ".join(g.problems)] for g in r.groups]
    sheet("Thôn, TDP", "THÔN, TỔ DÂN PHỐ",
          ["Mã", "Tên", "Loại", "Thuộc xã", "Số hộ", "Tiêu chuẩn", "Tỷ lệ", "Tình trạng", "Nhóm quy mô",
           "Vượt tối đa", "Mức khoán", "Hệ số", "Quỹ phụ cấp/tháng", "Chức danh có người", "Còn trống",
           "Kiêm nhiệm", "Ghi chú"],
          group_rows, [12, 28, 12, 12, 10, 11, 9, 20, 12, 9, 14, 8, 16, 30, 24, 24, 40],
          {5: "#,##0", 6: "#,##0", 7: "0.0%", 12: "0.0##", 13: "#,##0"},
          [status_fill.get(g.status or "") for g in r.groups])

    title_rows: list[list[Any]] = [[o.unit_code, "Vượt số lượng", r.title_name(o.title_code), o.held,
                                    o.allowed, o.reason_vi] for o in r.over_quota]
    title_rows += [[v.unit_code, "Còn trống", r.title_name(v.title_code), 0, 1, ""] for v in r.vacancies]
    sheet("Chức danh", "CHỨC DANH VƯỢT SỐ LƯỢNG VÀ CÒN TRỐNG",
          ["Đơn vị", "Loại", "Chức danh", "Số người/chức danh", "Tối đa", "Ghi chú"], title_rows,
          [14, 16, 26, 16, 10, 50], {4: "#,##0", 5: "#,##0"})

    sheet("Kiêm nhiệm", "KIÊM NHIỆM THEO LOẠI",
          ["Loại kiêm nhiệm", "Số trường hợp", "Số người", "Số chức danh kiêm", "Đơn vị"],
          [[c.label_vi, c.cases, c.people, c.titles, ", ".join(c.units)] for c in r.concurrency],
          [60, 14, 12, 16, 50], {2: "#,##0", 3: "#,##0", 4: "#,##0"})

    sheet("Cấp xã", "NGƯỜI HOẠT ĐỘNG KHÔNG CHUYÊN TRÁCH CẤP XÃ",
          ["Mã", "Tên", "Loại ĐVHC", "Có HĐND", "Số lượng tối đa", "Số người", "Số chức danh",
           "Hệ số khoán", "Quỹ phụ cấp/tháng", "Số thôn, TDP", "Ghi chú"],
          [[c.code, c.name, c.commune_class, {None: "", True: "có", False: "không"}[c.has_council],
            "không còn" if c.ended else c.quota, c.people, c.titles,
            float(c.fund_coefficient) if c.fund_coefficient is not None else None, c.fund_monthly, c.groups,
            "; ".join(c.problems)] for c in r.communes],
          [12, 28, 10, 10, 14, 10, 12, 12, 18, 12, 40], {8: "0.0##", 9: "#,##0"})

    sheet("Căn cứ pháp lý", "CĂN CỨ PHÁP LÝ VÀ ĐỘ TIN CẬY",
          ["Mã quy tắc", "Văn bản", "Độ tin cậy", "Độ tin cậy ngày hiệu lực", "Hiệu lực", "Gói", "Ghi chú"],
          [[ref.rule_id, ref.citation, f"{ref.tag} - {TAG_LABEL_VI[ref.tag]}", ref.date_tag or "",
            ref.period_vi(), ref.source, ("VÍ DỤ. " if ref.example else "") + (ref.note or "")]
           for ref in r.basis],
          [30, 50, 28, 14, 30, 32, 60])
    return wb

