"""The review report as a DOCX in official form (with charts), its PDF, and an XLSX annex of the tables."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from tinhgon.reports.officialdoc import Header, OfficialDocument, Recipients, Signature, docx_to_pdf
from tinhgon.reports.review import ReviewData
from tinhgon.rules.audit import count_vi
from tinhgon.rules.vnformat import format_date, format_int, format_money, format_pct

STATUS_VI = {"draft": "bản nháp", "approved": "đã duyệt", "applied": "đã thực hiện", "cancelled": "đã hủy"}
LEVEL_VI = {"district": "Đơn vị cấp huyện", "commune": "Đơn vị cấp xã", "residential_group": "Thôn, tổ dân phố"}


def _short_name(name: str) -> str:
    for prefix in ("Phường ", "Xã ", "Thị trấn ", "Đặc khu ", "Quận ", "Huyện ", "Thị xã ", "Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _chart_bands(d: ReviewData) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [b.label_vi for b in d.before.audit.bands]
    before = [b.count for b in d.before.audit.bands]
    after = [b.count for b in d.after.audit.bands]
    fig, ax = plt.subplots(figsize=(7.0, 3.2), dpi=150)
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], before, width=0.4, label=f"Ngày {format_date(d.frm)}", color="#9db4d6")
    ax.bar([i + 0.2 for i in x], after, width=0.4, label=f"Ngày {format_date(d.to)}", color="#1f4e8c")
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        ax.text(i - 0.2, b, str(b), ha="center", va="bottom", fontsize=8)
        ax.text(i + 0.2, a, str(a), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("Số thôn, tổ dân phố")
    ax.set_title("Quy mô thôn, tổ dân phố theo số hộ")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _chart_budget(d: ReviewData) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 2.8), dpi=150)
    vals = [d.before.budget_monthly / 1e6, d.after.budget_monthly / 1e6]
    names = [f"Ngày {format_date(d.frm)}", f"Ngày {format_date(d.to)}"]
    bars = ax.barh(names, vals, color=["#9db4d6", "#1f4e8c"])
    for bar, v in zip(bars, vals, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                " " + format_int(round(v, 1)) if v == int(v) else f" {v:,.1f}".replace(",", "X").replace(".", ",")
                .replace("X", "."), va="center", fontsize=8)
    ax.set_xlabel("Triệu đồng/tháng")
    ax.set_title("Kinh phí khoán phụ cấp hằng tháng")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def review_docx(d: ReviewData, *, form: str = "state", number: str | None = None,
                date: dt.date | None = None, title: str | None = None) -> OfficialDocument:
    root = d.root
    place = _short_name(root.name)
    parent = d.parent.name.upper() if d.parent else None
    kind = "Sơ kết" if (d.to - d.frm).days < 2 * 366 else "Tổng kết"
    summary = title or (f"{kind} công tác sắp xếp thôn, tổ dân phố và bố trí người hoạt động không chuyên trách "
                        f"từ ngày {format_date(d.frm)} đến ngày {format_date(d.to)}")
    if form == "state":
        header = Header(issuer=f"ỦY BAN NHÂN DÂN\n{root.name.upper()}", number=number or "      /BC-UBND",
                        place=place, date=date or d.to, doc_type="BÁO CÁO", summary=summary,
                        parent_issuer=f"UBND {parent}" if parent else None)
        sig = Signature("TM. ỦY BAN NHÂN DÂN", d.signer_title or "CHỦ TỊCH", d.signer)
    else:
        header = Header(issuer=f"ĐẢNG ỦY {root.name.upper()}", number=number or "   -BC/ĐU", place=place,
                        date=date or d.to, doc_type="BÁO CÁO", summary=summary,
                        parent_issuer=f"ĐẢNG BỘ {parent}" if parent else None)
        sig = Signature("T/M ĐẢNG ỦY", "BÍ THƯ", d.party_signer)
    doc = OfficialDocument(header, form=form)
    b, a, red = d.before, d.after, d.reductions

    doc.heading("I. CĂN CỨ THỰC HIỆN")
    for line in d.basis:
        doc.bullet(line + ";")

    doc.heading("II. KẾT QUẢ THỰC HIỆN")
    doc.heading("1. Công tác triển khai")
    if d.plans:
        for p in d.plans:
            doc.bullet(f"Phương án \"{p['name']}\" lập ngày {format_date(p['at'])}: {format_int(p['units'] or 0)} "
                       f"thôn, tổ dân phố; dự kiến sau sắp xếp còn {format_int(p['groups'] or 0)}; "
                       f"{count_vi(p['mergers'] or 0)} nhóm sáp nhập ({STATUS_VI.get(p['status'], p['status'])}).")
    else:
        doc.paragraph("Trong kỳ không lập phương án sắp xếp mới trên hệ thống.")
    for c in d.consultations:
        doc.bullet(c["sentence_vi"])
    shares = [x for c in d.consultations for x in c["unit_shares"]]
    if shares:
        doc.paragraph(f"Tỷ lệ hộ đồng ý bình quân ở các đơn vị đạt {format_pct(sum(shares) / len(shares))}.")
    if d.mergers:
        n_from = sum(len(m.from_units) for m in d.mergers)
        n_to = sum(len(m.to_units) for m in d.mergers)
        doc.paragraph(f"Đã thực hiện {count_vi(len(d.mergers))} quyết định sáp nhập, hợp nhất: "
                      f"{count_vi(n_from)} đơn vị thành {count_vi(n_to)} đơn vị.")
        for m in d.mergers[:40]:
            doc.bullet(f"Từ ngày {format_date(m.effective)}: {', '.join(m.from_units)} → {', '.join(m.to_units)}"
                       + (f" ({m.basis})" if m.basis else "") + ".")

    doc.heading("2. Kết quả cụ thể")
    doc.paragraph(
        f"Sau khi sắp xếp, sáp nhập, {root.name} giảm: {count_vi(red['groups'])} thôn, tổ dân phố, "
        f"{format_int(red['group_workers'])} người hoạt động không chuyên trách ở thôn, tổ dân phố và "
        f"{format_int(red['commune_workers'])} người hoạt động không chuyên trách ở cấp xã."
    )
    levels = [lv for lv in ("district", "commune", "residential_group")
              if b.units_by_level.get(lv) or a.units_by_level.get(lv)]
    rows: list[list[object]] = []
    for lv in levels:
        nb, na = b.units_by_level.get(lv, 0), a.units_by_level.get(lv, 0)
        rows.append([LEVEL_VI[lv], format_int(nb), format_int(na), format_int(nb - na)])
    rows.append(["Người hoạt động không chuyên trách ở thôn, tổ dân phố", format_int(b.group_workers),
                 format_int(a.group_workers), format_int(red["group_workers"])])
    rows.append(["Người hoạt động không chuyên trách cấp xã", format_int(b.commune_workers),
                 format_int(a.commune_workers), format_int(red["commune_workers"])])
    doc.table(["Nội dung", f"Ngày {format_date(d.frm)}", f"Ngày {format_date(d.to)}", "Giảm"], rows,
              widths_cm=[7.5, 3.0, 3.0, 2.5], caption="Bảng 1. Đơn vị và người hoạt động không chuyên trách")
    bands = "; ".join(f"{count_vi(bc.count)} tổ dân phố có quy mô {bc.label_vi}" for bc in reversed(a.audit.bands))
    doc.paragraph(f"Quy mô thôn, tổ dân phố ngày {format_date(d.to)}: {bands}.")
    doc.image(_chart_bands(d), width_cm=15.5, caption="Biểu đồ 1. Quy mô thôn, tổ dân phố trước và sau sắp xếp")
    conc = [c.sentence_vi() for c in a.audit.concurrency if (c.cases or c.people)]
    if conc:
        doc.paragraph("Bố trí kiêm nhiệm: " + "; ".join(conc) + ".")
    doc.paragraph(
        f"Kinh phí khoán quỹ phụ cấp: {format_money(b.budget_monthly)}/tháng (ngày {format_date(d.frm)}) và "
        f"{format_money(a.budget_monthly)}/tháng (ngày {format_date(d.to)}); "
        + (f"tiết kiệm {format_money(red['budget_monthly'])}/tháng, {format_money(red['budget_annual'])}/năm."
           if red["budget_monthly"] >= 0 else
           f"tăng {format_money(-red['budget_monthly'])}/tháng do mức lương cơ sở và mức khoán mới.")
    )
    doc.image(_chart_budget(d), width_cm=15.5, caption="Biểu đồ 2. Kinh phí khoán quỹ phụ cấp")

    doc.heading("III. TỒN TẠI, HẠN CHẾ")
    if d.difficulties:
        for t in d.difficulties:
            doc.bullet(t[0].upper() + t[1:] + ";")
    else:
        doc.paragraph("Số liệu không cho thấy tồn tại đáng kể.")

    doc.heading("IV. Ý KIẾN ĐÓNG GÓP TẠI HỘI NGHỊ")
    if d.opinions:
        recs = sum(1 for o in d.opinions if o.to_higher_level)
        doc.paragraph(f"Hội nghị đã có {count_vi(len(d.opinions))} ý kiến đóng góp"
                      + (f", trong đó {count_vi(recs)} kiến nghị với cấp trên." if recs else "."))
        for o in d.opinions:
            doc.bullet(f"{o.role} ({o.topic}): {o.text}")
    else:
        doc.paragraph("Chưa ghi nhận ý kiến đóng góp trong kỳ.")

    doc.heading("V. KIẾN NGHỊ, ĐỀ XUẤT")
    for r in d.recommendations or ["Không có kiến nghị."]:
        doc.bullet(r)
    doc.closing(Recipients([f"{d.parent.name} (để báo cáo);" if d.parent else "Cấp trên (để báo cáo);",
                            "Thường trực Đảng ủy, HĐND;", "Lưu: VT."]), sig)
    return doc


def annex_xlsx(d: ReviewData, path: str | os.PathLike[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    head = Font(name="Times New Roman", bold=True)
    body = Font(name="Times New Roman")
    fill = PatternFill("solid", fgColor="D9E2F3")

    def sheet(title: str, headers: list[str], rows: list[list[object]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        ws.append(headers)
        for c in ws[1]:
            c.font, c.fill = head, fill
            c.alignment = Alignment(wrap_text=True, vertical="center")
        for r in rows:
            ws.append(r)
        for row in ws.iter_rows(min_row=2):
            for c in row:
                c.font = body
        for i, _ in enumerate(headers, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = 18 if i > 1 else 48
        ws.freeze_panes = "A2"

    b, a, red = d.before, d.after, d.reductions
    levels = [lv for lv in ("district", "commune", "residential_group")
              if b.units_by_level.get(lv) or a.units_by_level.get(lv)]
    sheet("Đơn vị, nhân sự", ["Nội dung", f"Ngày {format_date(d.frm)}", f"Ngày {format_date(d.to)}", "Giảm"],
          [[LEVEL_VI[lv], b.units_by_level.get(lv, 0), a.units_by_level.get(lv, 0),
            b.units_by_level.get(lv, 0) - a.units_by_level.get(lv, 0)] for lv in levels]
          + [["Người hoạt động không chuyên trách ở thôn, tổ dân phố", b.group_workers, a.group_workers,
              red["group_workers"]],
             ["Người hoạt động không chuyên trách cấp xã", b.commune_workers, a.commune_workers,
              red["commune_workers"]]], first=True)
    sheet("Quy mô", ["Quy mô", f"Ngày {format_date(d.frm)}", f"Ngày {format_date(d.to)}"],
          [[x.label_vi, x.count, y.count] for x, y in zip(b.audit.bands, a.audit.bands, strict=True)])
    sheet("Kiêm nhiệm", ["Loại kiêm nhiệm", "Số trường hợp", "Số người", "Số chức danh"],
          [[c.label_vi, c.cases, c.people, c.titles] for c in a.audit.concurrency])
    sheet("Kinh phí", ["Nội dung", f"Ngày {format_date(d.frm)}", f"Ngày {format_date(d.to)}", "Tiết kiệm"],
          [["Khoán quỹ phụ cấp (đồng/tháng)", b.budget_monthly, a.budget_monthly, red["budget_monthly"]],
           ["Khoán quỹ phụ cấp (đồng/năm)", b.budget_monthly * 12, a.budget_monthly * 12, red["budget_annual"]]])
    sheet("Sáp nhập", ["Ngày hiệu lực", "Đơn vị cũ", "Đơn vị mới", "Căn cứ"],
          [[format_date(m.effective), ", ".join(m.from_units), ", ".join(m.to_units), m.basis] for m in d.mergers])
    sheet("Ý kiến", ["Ngày", "Người phát biểu (chức danh)", "Nội dung", "Ý kiến", "Kiến nghị cấp trên"],
          [[format_date(o.meeting_date), o.role, o.topic, o.text, "Có" if o.to_higher_level else ""]
           for o in d.opinions])
    wb.save(str(path))


def write_review(d: ReviewData, output: Path, *, form: str = "state", number: str | None = None,
                 date: dt.date | None = None, annex: Path | None = None) -> list[Path]:
    """Write FILE.docx or FILE.pdf (through LibreOffice), and the XLSX annex; returns the files written."""
    import tempfile

    doc = review_docx(d, form=form, number=number, date=date)
    written = []
    if output.suffix.lower() == ".pdf":
        with tempfile.TemporaryDirectory(prefix="tinhgon-report-") as tmp:
            docx = Path(tmp) / (output.stem + ".docx")
            doc.save(docx)
            docx_to_pdf(docx, output)
    else:
        doc.save(output)
    written.append(output)
    annex_path = annex or output.with_name(output.stem + "-phu-luc.xlsx")
    annex_xlsx(d, annex_path)
    written.append(annex_path)
    return written
