"""The staffing report as Vietnamese text, JSON and XLSX (numbers 1.144, money 2.340.000 ₫, dates dd/mm/yyyy)."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from tinhgon.rules.vnformat import format_date, format_decimal, format_int, format_money, format_pct
from tinhgon.staffing.model import Decision, Scope
from tinhgon.staffing.service import StaffingReport


def _title_name(rep: StaffingReport, code: str) -> str:
    t = rep.ctx.titles.get(code)
    return t.name_vi if t else code


def _person(rep: StaffingReport, pid: int | None) -> str:
    if pid is None:
        return "(để trống)"
    p = rep.ctx.people.get(pid)
    code = rep.ctx.codes.get(pid)
    name = p.full_name if p else f"người số {pid}"
    return f"{name} ({code})" if code else name


def _by_scope(rep: StaffingReport) -> dict[str, list[Decision]]:
    out: dict[str, list[Decision]] = defaultdict(list)
    for d in rep.decisions:
        out[d.scope_key].append(d)
    return out


def figures(rep: StaffingReport) -> list[tuple[str, str]]:
    """The headline figures, as (label, value) pairs in the order of the report."""
    e = rep.effect
    rows = [
        ("Số tổ dân phố trước / sau", f"{format_int(e.groups_before)} / {format_int(e.groups_after)}"),
        ("Giảm tổ dân phố", format_int(e.groups_reduced)),
        ("Người hoạt động không chuyên trách ở tổ dân phố trước / sau",
         f"{format_int(e.group_workers_before)} / {format_int(e.group_workers_after)}"),
        ("Giảm người hoạt động không chuyên trách ở tổ dân phố", format_int(e.group_workers_reduced)),
        ("Người hoạt động không chuyên trách cấp xã trước / sau",
         f"{format_int(e.commune_workers_before)} / {format_int(e.commune_workers_after)}"),
        ("Giảm người hoạt động không chuyên trách cấp xã", format_int(e.commune_workers_reduced)),
        ("Mức lương cơ sở", format_money(e.base_salary)),
        ("Quỹ phụ cấp tổ dân phố mỗi tháng trước / sau",
         f"{format_money(e.group_fund_before)} / {format_money(e.group_fund_after)}"),
        ("Quỹ phụ cấp không chuyên trách cấp xã mỗi tháng trước / sau",
         f"{format_money(e.commune_fund_before)} / {format_money(e.commune_fund_after)}"),
        ("Mức hưởng khi kiêm nhiệm (tỉnh quy định)",
         format_pct(e.concurrent_share, 0) + " phụ cấp chức danh kiêm nhiệm" if e.concurrent_share is not None
         else "chưa quy định"),
        ("Chi phụ cấp cho người trong quỹ mỗi tháng trước / sau",
         f"{format_money(e.paid_before)} / {format_money(e.paid_after)}"),
        ("Tiết kiệm mỗi tháng", format_money(e.monthly_saving)),
        ("Tiết kiệm mỗi năm", format_money(e.yearly_saving)),
        ("Hỗ trợ một lần cho người thôi làm việc", format_money(e.support_total)),
        ("Tiết kiệm năm đầu sau khi trừ hỗ trợ", format_money(e.first_year_net)),
    ]
    months = e.payback_months
    if months is None:
        rows.append(("Thời gian hoàn vốn", "không hoàn vốn (không tiết kiệm được)"))
    else:
        when = e.payback_date
        rows.append(("Thời gian hoàn vốn", f"{format_int(months)} tháng (năm {when.year if when else '-'})"))
    return rows


def to_text(rep: StaffingReport) -> str:
    e = rep.effect
    lines = [
        "BÁO CÁO BỐ TRÍ CHỨC DANH SAU SẮP XẾP, SÁP NHẬP TỔ DÂN PHỐ",
        f"Phương án: {rep.plan.name} ({rep.plan.status.value}); ngày hiệu lực: {format_date(e.effective)}",
        "",
        f"Sau sắp xếp giảm {format_int(e.groups_reduced)} tổ dân phố, {format_int(e.group_workers_reduced)} người "
        f"hoạt động không chuyên trách ở tổ dân phố và {format_int(e.commune_workers_reduced)} người hoạt động "
        f"không chuyên trách cấp xã.",
        "",
        "I. SỐ LIỆU CHUNG",
    ]
    lines += [f"- {k}: {v}" for k, v in figures(rep)]
    lines += ["", "II. BỐ TRÍ CHỨC DANH Ở TỔ DÂN PHỐ"]
    scoped = _by_scope(rep)
    for row in rep.group_funds:
        head = f"{row['label']} - {row['name']}" if row["name"] != row["label"] else row["label"]
        lines.append(f"* {head}: {format_int(row['households'])} hộ, từ {', '.join(row['units'])}"
                     + (" (sáp nhập)" if row["merger"] else ""))
        for d in scoped.get(row["label"], []):
            tag = " [kiêm nhiệm]" if d.concurrent else ""
            pin = " [ghim]" if d.pinned else ""
            lines.append(f"    {_title_name(rep, d.title_code)}: {_person(rep, d.person_id)}{tag}{pin} - {d.reason}")
    lines += ["", "III. NGƯỜI HOẠT ĐỘNG KHÔNG CHUYÊN TRÁCH CẤP XÃ"]
    if not rep.commune_rows:
        lines.append("Không có xã, phường nào liên quan.")
    for c in rep.commune_rows:
        cid = next(k for k, u in rep.ctx.communes.items() if u.code == c["code"])
        if c["ended"]:
            lines.append(f"* {c['name']} ({c['code']}): không còn bố trí người hoạt động không chuyên trách cấp xã "
                         f"vào ngày hiệu lực; phần này để trống.")
            continue
        quota = format_int(c["quota"]) if c["quota"] is not None else "chưa xác định"
        lines.append(f"* {c['name']} ({c['code']}): định mức {quota} người; trước {format_int(c['workers_before'])}, "
                     f"sau {format_int(c['workers_after'])} người")
        for d in scoped.get(f"commune:{cid}", []):
            tag = " [kiêm nhiệm]" if d.concurrent else ""
            pin = " [ghim]" if d.pinned else ""
            lines.append(f"    {_title_name(rep, d.title_code)}: {_person(rep, d.person_id)}{tag}{pin} - {d.reason}")
    lines += ["", f"IV. NGƯỜI THÔI LÀM VIỆC ({format_int(len(rep.surplus))} người): ghi nhận, tặng quà, hỗ trợ"]
    for i, x in enumerate(rep.surplus, 1):
        yrs = format_decimal(x.years_of_service, 1) + (" năm" if x.start_known else " năm (thiếu ngày bắt đầu)")
        lines.append(f"{i}. {x.full_name} ({x.person_code or '-'}): {', '.join(x.titles_before)}; {yrs}; "
                     f"hỗ trợ {format_money(x.support)}")
    if rep.effect.notes:
        lines += ["", "V. GHI CHÚ"]
        lines += [f"- {n}" for n in rep.effect.notes]
    lines += ["", "CĂN CỨ"]
    lines += [f"- {r.cite()}" for r in sorted(rep.ctx.refs.values(), key=lambda r: r.rule_id)]
    return "\n".join(lines) + "\n"


def to_dict(rep: StaffingReport) -> dict[str, Any]:
    e = rep.effect
    scoped = _by_scope(rep)

    def dec(d: Decision) -> dict[str, Any]:
        return {"title": d.title_code, "title_name": _title_name(rep, d.title_code), "person_id": d.person_id,
                "person_code": rep.ctx.codes.get(d.person_id) if d.person_id else None,
                "full_name": rep.ctx.people[d.person_id].full_name if d.person_id in rep.ctx.people else None,
                "concurrent": d.concurrent, "pinned": d.pinned, "reason_code": d.reason_code.value,
                "reason": d.reason}

    communes = []
    for c in rep.commune_rows:
        cid = next(k for k, u in rep.ctx.communes.items() if u.code == c["code"])
        communes.append({**c, "decisions": [dec(d) for d in scoped.get(f"commune:{cid}", [])]})
    return {
        "plan": rep.plan.name, "status": rep.plan.status.value, "effective_date": e.effective.isoformat(),
        "figures": {
            "groups_before": e.groups_before, "groups_after": e.groups_after, "groups_reduced": e.groups_reduced,
            "group_workers_before": e.group_workers_before, "group_workers_after": e.group_workers_after,
            "group_workers_reduced": e.group_workers_reduced,
            "commune_workers_before": e.commune_workers_before, "commune_workers_after": e.commune_workers_after,
            "commune_workers_reduced": e.commune_workers_reduced,
        },
        "budget": {
            "base_salary": e.base_salary, "group_fund_before": e.group_fund_before,
            "group_fund_after": e.group_fund_after, "commune_fund_before": e.commune_fund_before,
            "commune_fund_after": e.commune_fund_after, "concurrent_share": e.concurrent_share,
            "paid_before": e.paid_before, "paid_after": e.paid_after, "monthly_saving": e.monthly_saving,
            "yearly_saving": e.yearly_saving, "support_total": e.support_total, "first_year_net": e.first_year_net,
            "payback_months": e.payback_months,
            "payback_year": e.payback_date.year if e.payback_date else None,
        },
        "figures_vi": dict(figures(rep)),
        "groups": [{**{k: (str(v) if k == "coefficient_after" else v) for k, v in g.items()},
                    "decisions": [dec(d) for d in scoped.get(g["label"], [])]} for g in rep.group_funds],
        "communes": communes,
        "surplus": [{"person_id": x.person_id, "person_code": x.person_code, "full_name": x.full_name,
                     "titles_before": list(x.titles_before), "years_of_service": x.years_of_service,
                     "start_known": x.start_known, "monthly_allowance": x.monthly_allowance, "support": x.support,
                     "support_placeholder": x.support_placeholder, "reason": x.reason} for x in rep.surplus],
        "notes": list(e.notes),
        "rules": [r.to_dict() for r in sorted(rep.ctx.refs.values(), key=lambda r: r.rule_id)],
    }


def to_xlsx(rep: StaffingReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = title
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for r in rows:
            # text that looks like a formula is written as text: a name or reason never runs in Excel
            ws.append([("'" + v) if isinstance(v, str) and v[:1] in "=+-@" else v for v in r])
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width + 2))

    sheet("Tổng hợp", ["Chỉ tiêu", "Giá trị"], [list(r) for r in figures(rep)], first=True)
    d_rows: list[list[Any]] = []
    group_names = {g["label"]: g["name"] for g in rep.group_funds}
    for d in rep.decisions:
        if d.scope == Scope.GROUP:
            where = f"{d.group_label} - {group_names.get(d.group_label or '', '')}"
        else:
            c = rep.ctx.communes.get(d.commune_unit_id or 0)
            where = f"{c.name} ({c.code})" if c else str(d.commune_unit_id)
        p = rep.ctx.people.get(d.person_id) if d.person_id else None
        d_rows.append(["Tổ dân phố" if d.scope == Scope.GROUP else "Cấp xã", where, _title_name(rep, d.title_code),
                       rep.ctx.codes.get(d.person_id) if d.person_id else "", p.full_name if p else "(để trống)",
                       "Có" if d.concurrent else "", "Có" if d.pinned else "", d.reason])
    sheet("Bố trí chức danh", ["Cấp", "Tổ / đơn vị", "Chức danh", "Mã người", "Họ và tên", "Kiêm nhiệm", "Ghim",
                               "Lý do"], d_rows)
    sheet("Người thôi làm việc",
          ["STT", "Mã người", "Họ và tên", "Chức danh trước đây", "Số năm công tác", "Phụ cấp tháng (đồng)",
           "Hỗ trợ (đồng)", "Ghi chú"],
          [[i, x.person_code, x.full_name, ", ".join(x.titles_before), x.years_of_service, x.monthly_allowance,
            x.support, x.reason] for i, x in enumerate(rep.surplus, 1)])
    sheet("Quỹ phụ cấp tổ",
          ["Nhãn tổ", "Tên tổ", "Các tổ cũ", "Số hộ", "Quỹ trước (đồng/tháng)", "Quỹ sau (đồng/tháng)", "Mức"],
          [[g["label"], g["name"], ", ".join(g["units"]), g["households"], g["fund_before"], g["fund_after"],
            g["tier_after"]] for g in rep.group_funds])
    sheet("Cấp xã", ["Mã", "Tên", "Định mức", "Trước", "Sau", "Quỹ (đồng/tháng)", "Ghi chú"],
          [[c["code"], c["name"], c["quota"], c["workers_before"], c["workers_after"], c["fund"],
            "không còn bố trí" if c["ended"] else ""] for c in rep.commune_rows])
    sheet("Ghi chú và căn cứ", ["Nội dung"],
          [[n] for n in rep.effect.notes] + [[r.cite()] for r in sorted(rep.ctx.refs.values(),
                                                                       key=lambda r: r.rule_id)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
