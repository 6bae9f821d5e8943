"""Renderers of the coordination domain: the evaluation report of a coordination rule (text, JSON,
XLSX), who may perform an act, delegations, workload and the governance model. Vietnamese output:
numbers "1.144", "92,5 %", dates dd/mm/yyyy. Names of people appear only in the outputs asked for.
"""

from __future__ import annotations

import os
from io import BytesIO
from typing import Any

from tinhgon.coordination.delegation import ExpiringItem, HistoryItem
from tinhgon.coordination.model import Delegation, GovernanceModel, Rating, WhoMay
from tinhgon.coordination.service import RuleReport, UnitStatus
from tinhgon.coordination.workload import Workload
from tinhgon.rules.vnformat import format_date, format_int, format_pct

_FONT = "Times New Roman"


def _d(day: Any) -> str:
    return format_date(day) if day is not None else ""


def _names(units: list[UnitStatus], limit: int = 40) -> str:
    names = [u.unit.name for u in units]
    more = f" và {format_int(len(names) - limit)} đơn vị khác" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


# --- coordination rule report ---------------------------------------------------------------------

def rule_report_dict(r: RuleReport) -> dict[str, Any]:
    counts = r.rating_counts()
    avg = r.average_share()
    return {
        "rule": {"code": r.rule.code, "name": r.rule.name, "party_a": r.party_labels[0], "party_b": r.party_labels[1],
                 "versions": [{"version": v.version_no, "adopted_on": v.adopted_on, "doc_number": v.doc_number,
                               "duties": list(v.duties)} for v in r.versions]},
        "scope": {"code": r.scope.code, "name": r.scope.name},
        "on": r.on,
        "year": r.year,
        "current_version": r.current.version_no if r.current else None,
        "units": len(r.units),
        "signed": len(r.signed),
        "signed_current_version": len(r.on_current),
        "never_signed": [u.unit.code for u in r.never_signed],
        "not_resigned_after_revision": [u.unit.code for u in r.not_resigned],
        "evaluated": len(r.evaluated),
        "not_evaluated": [u.unit.code for u in r.not_evaluated],
        "ratings": {k.value: v for k, v in counts.items()},
        "average_score_share": round(avg, 4) if avg is not None else None,
        "rows": [{
            "code": u.unit.code, "name": u.unit.name, "first_signed_on": u.first_signed_on,
            "last_signed_on": u.last_signed_on, "version": u.last_version,
            "signatories": [r.people.get(p.person_id, "") for p in u.signatories],
            "rating": u.evaluation.rating.value if u.evaluation else None,
            "score": u.evaluation.total if u.evaluation else None,
            "max_score": u.evaluation.max_total if u.evaluation else None,
        } for u in r.units],
    }


def rule_report_text(r: RuleReport) -> str:
    lab = r.unit_label
    lines = [f"BÁO CÁO ĐÁNH GIÁ THỰC HIỆN QUY CHẾ PHỐI HỢP NĂM {r.year}",
             f"{r.rule.name} (mã {r.rule.code})",
             f"Giữa: {r.party_labels[0]} và {r.party_labels[1]}",
             f"Phạm vi: {r.scope.name} - số liệu đến ngày {format_date(r.on)}", ""]
    for v in r.versions:
        doc = f", văn bản {v.doc_number}" if v.doc_number else ""
        lines.append(f"Phiên bản {v.version_no}: thông qua ngày {format_date(v.adopted_on)}{doc}; "
                     f"{format_int(len(v.duties))} nội dung phối hợp")
    if r.current is not None:
        lines.append(f"Phiên bản đang áp dụng: {r.current.version_no}")
    lines.append("")
    n = len(r.units)
    lines.append(f"- Tổng số {lab}: {format_int(n)}")
    lines.append(f"- {format_int(len(r.signed))} {lab} đã ký kết quy chế"
                 + (f" ({format_pct(len(r.signed) / n)})" if n else ""))
    if r.current is not None and r.current.version_no > 1:
        lines.append(f"- {format_int(len(r.on_current))} {lab} đã ký kết phiên bản {r.current.version_no} "
                     f"(sửa đổi ngày {format_date(r.current.adopted_on)})")
        lines.append(f"- {format_int(len(r.not_resigned))} {lab} chưa ký kết lại sau khi sửa đổi"
                     + (f": {_names(r.not_resigned)}" if r.not_resigned else ""))
    if r.never_signed:
        lines.append(f"- {format_int(len(r.never_signed))} {lab} chưa ký kết: {_names(r.never_signed)}")
    lines.append(f"- {format_int(len(r.evaluated))} {lab} đã được đánh giá năm {r.year}")
    counts = r.rating_counts()
    for rating in Rating:
        if counts[rating]:
            share = f" ({format_pct(counts[rating] / len(r.evaluated))})" if r.evaluated else ""
            lines.append(f"    + {rating.label_vi}: {format_int(counts[rating])}{share}")
    avg = r.average_share()
    if avg is not None:
        lines.append(f"- Điểm bình quân: {format_pct(avg)} số điểm tối đa")
    if r.not_evaluated:
        lines.append(f"- {format_int(len(r.not_evaluated))} {lab} đã ký nhưng chưa được đánh giá năm {r.year}: "
                     f"{_names(r.not_evaluated)}")
    return "\n".join(lines) + "\n"


def write_rule_report_xlsx(r: RuleReport, path: str | os.PathLike[str]) -> None:
    _rule_workbook(r).save(os.fspath(path))


def rule_report_xlsx_bytes(r: RuleReport) -> bytes:
    buf = BytesIO()
    _rule_workbook(r).save(buf)
    return buf.getvalue()


def _rule_workbook(r: RuleReport) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head, body = Font(name=_FONT, bold=True, size=12), Font(name=_FONT, size=12)
    fill = PatternFill("solid", fgColor="D9E1F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()

    def put(ws: Any, row: int, col: int, value: Any, font: Any = body, framed: bool = True) -> None:
        c = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # text is never evaluated, even when it starts with "="
        c.font, c.alignment = font, wrap
        if framed:
            c.border = border

    def table(ws: Any, title: str, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        put(ws, 1, 1, title, Font(name=_FONT, bold=True, size=14), framed=False)
        put(ws, 2, 1, f"{r.rule.name} - {r.scope.name} - ngày {format_date(r.on)}",
            Font(name=_FONT, italic=True, size=12), framed=False)
        for j, h in enumerate(headers, 1):
            put(ws, 4, j, h, head)
            ws.cell(row=4, column=j).fill = fill
        for i, row in enumerate(rows, 5):
            for j, v in enumerate(row, 1):
                put(ws, i, j, v)
        for j, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(j)].width = w
        ws.freeze_panes = "A5"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4

    ws = wb.active
    ws.title = "Tổng hợp"
    lab = r.unit_label
    counts = r.rating_counts()
    summary: list[list[Any]] = [[f"Tổng số {lab}", len(r.units), ""],
                                ["Đã ký kết quy chế", len(r.signed), ""]]
    if r.current is not None and r.current.version_no > 1:
        summary.append([f"Đã ký kết phiên bản {r.current.version_no}", len(r.on_current), ""])
        summary.append(["Chưa ký kết lại sau khi sửa đổi", len(r.not_resigned), _names(r.not_resigned, 500)])
    summary.append(["Chưa ký kết", len(r.never_signed), _names(r.never_signed, 500)])
    summary.append([f"Đã đánh giá năm {r.year}", len(r.evaluated), ""])
    summary += [[f"Xếp loại {k.label_vi}", v, ""] for k, v in counts.items()]
    summary.append(["Đã ký nhưng chưa đánh giá", len(r.not_evaluated), _names(r.not_evaluated, 500)])
    table(ws, f"TỔNG HỢP ĐÁNH GIÁ QUY CHẾ PHỐI HỢP NĂM {r.year}", ["Nội dung", "Số lượng", "Đơn vị"], summary,
          [45, 12, 80])

    rows = []
    for u in r.units:
        ev = u.evaluation
        rows.append([u.unit.code, u.unit.name, _d(u.first_signed_on), _d(u.last_signed_on), u.last_version,
                     "; ".join(r.people.get(p.person_id, "") for p in u.signatories),
                     ev.rating.label_vi if ev else "", ev.total if ev else None, ev.max_total if ev else None,
                     ev.comment or "" if ev else ""])
    table(wb.create_sheet("Đơn vị"), "TÌNH HÌNH KÝ KẾT VÀ ĐÁNH GIÁ THEO ĐƠN VỊ",
          ["Mã", "Tên", "Ký lần đầu", "Ký gần nhất", "Phiên bản", "Người ký", "Xếp loại", "Điểm", "Điểm tối đa",
           "Nhận xét"], rows, [14, 26, 12, 12, 10, 40, 12, 8, 10, 40])

    duty_rows = [[v.version_no, format_date(v.adopted_on), i, d] for v in r.versions
                 for i, d in enumerate(v.duties, 1)]
    table(wb.create_sheet("Nội dung"), "NỘI DUNG PHỐI HỢP THEO PHIÊN BẢN",
          ["Phiên bản", "Thông qua", "STT", "Nội dung"], duty_rows, [10, 12, 6, 90])
    return wb


# --- delegations ----------------------------------------------------------------------------------

def who_may_dict(w: WhoMay) -> dict[str, Any]:
    return {"unit": {"code": w.unit_code, "name": w.unit_name}, "act": {"code": w.act.code, "name": w.act.name_vi},
            "on": w.on,
            "performers": [{"person_id": p.person_id, "name": p.full_name, "basis": p.basis, "title": p.title_code,
                            "delegation_id": p.delegation_id, "until": p.delegation_until, "expiring": p.expiring}
                           for p in w.performers],
            "lapsed": [{"delegation_id": x.delegation_id, "reason": x.reason} for x in w.lapsed]}


def who_may_text(w: WhoMay, titles: dict[str, str]) -> str:
    lines = [f"{w.act.name_vi} tại {w.unit_name} (mã {w.unit_code}) ngày {format_date(w.on)}:"]
    if not w.performers:
        lines.append("  Không ai có thẩm quyền vào ngày này.")
    for p in w.performers:
        title = titles.get(p.title_code or "", p.title_code or "")
        if p.basis == "original":
            lines.append(f"  - {p.full_name} ({title}): thẩm quyền theo chức danh")
        else:
            until = f" đến hết {format_date(p.delegation_until)}" if p.delegation_until else ""
            warn = " [SẮP HẾT HẠN]" if p.expiring else ""
            lines.append(f"  - {p.full_name}{' (' + title + ')' if title else ''}: được ủy quyền "
                         f"(số {p.delegation_id}){until}{warn}")
    for x in w.lapsed:
        lines.append(f"  ! Ủy quyền số {x.delegation_id} không được tính: {x.reason}")
    lines.append(f"Căn cứ: {w.act.basis} [{w.act.tag}]")
    return "\n".join(lines) + "\n"


def delegation_dict(d: Delegation) -> dict[str, Any]:
    return {"id": d.id, "grantor_title": d.grantor_title, "grantor_unit_id": d.grantor_unit_id,
            "grantor_person_id": d.grantor_person_id, "grantee_person_id": d.grantee_person_id,
            "grantee_title": d.grantee_title, "grantee_unit_id": d.grantee_unit_id, "acts": list(d.acts),
            "valid_from": d.valid_from, "valid_to": d.valid_to, "last_day": d.last_day, "planned_to": d.planned_to,
            "doc_number": d.doc_number, "doc_date": d.doc_date, "issuer": d.issuer, "note": d.note,
            "revoked_on": d.revoked_on, "revoke_doc": d.revoke_doc, "revoke_reason": d.revoke_reason}


def delegation_line(d: Delegation, titles: dict[str, str], acts: dict[str, str], people: dict[int, str]) -> str:
    grantee = (people.get(d.grantee_person_id, str(d.grantee_person_id)) if d.grantee_person_id is not None
               else f"người giữ chức danh {titles.get(d.grantee_title or '', d.grantee_title)}")
    until = f" đến hết {format_date(d.last_day)}" if d.last_day else " (không thời hạn)"
    doc = f"; căn cứ {d.doc_number}" + (f" ngày {format_date(d.doc_date)}" if d.doc_date else "") \
        + (f" của {d.issuer}" if d.issuer else "") if d.doc_number else ""
    return (f"Số {d.id}: {titles.get(d.grantor_title, d.grantor_title)} "
            f"{people.get(d.grantor_person_id, str(d.grantor_person_id))} ủy quyền cho {grantee}: "
            f"{', '.join(acts.get(a, a) for a in d.acts)}; từ {format_date(d.valid_from)}{until}{doc}")


def history_text(unit_name: str, items: list[HistoryItem], titles: dict[str, str], acts: dict[str, str],
                 people: dict[int, str]) -> str:
    if not items:
        return f"{unit_name}: chưa có ủy quyền nào.\n"
    lines = [f"Lịch sử ủy quyền - {unit_name}:"]
    for it in items:
        lines.append(f"- {delegation_line(it.delegation, titles, acts, people)}")
        lines.append(f"    Tình trạng: {it.status}")
        if it.delegation.revoked_on:
            why = f" ({it.delegation.revoke_reason})" if it.delegation.revoke_reason else ""
            doc = f", văn bản {it.delegation.revoke_doc}" if it.delegation.revoke_doc else ""
            lines.append(f"    Thu hồi từ {format_date(it.delegation.revoked_on)}{doc}{why}")
    return "\n".join(lines) + "\n"


def expiring_text(items: list[ExpiringItem], within: int, titles: dict[str, str], acts: dict[str, str],
                  people: dict[int, str]) -> str:
    if not items:
        return f"Không có ủy quyền nào hết hạn trong {format_int(within)} ngày tới.\n"
    lines = [f"{format_int(len(items))} ủy quyền hết hạn trong {format_int(within)} ngày tới:"]
    for it in items:
        state = "" if it.counts else f" - hiện không được tính: {it.reason}"
        lines.append(f"- còn {format_int(it.days_left)} ngày (hết {format_date(it.last_day)}): "
                     f"{delegation_line(it.delegation, titles, acts, people)}{state}")
    return "\n".join(lines) + "\n"


# --- governance and workload ----------------------------------------------------------------------

def governance_dict(g: GovernanceModel) -> dict[str, Any]:
    return {"unit": {"code": g.unit_code, "name": g.unit_name}, "on": g.on, "has_council": g.has_council,
            "bodies": [{"code": b.code, "name": b.name_vi, "present": b.present, "source": b.source,
                        "doc_number": b.doc_number, "tag": b.tag, "valid_from": b.valid_from, "valid_to": b.valid_to,
                        "note": b.note} for b in g.bodies]}


def governance_text(g: GovernanceModel) -> str:
    lines = [f"Mô hình tổ chức của {g.unit_name} (mã {g.unit_code}) ngày {format_date(g.on)}:"]
    for b in g.bodies:
        state = "có" if b.present else "KHÔNG tổ chức"
        why = "" if b.source == "default" else f" - {b.doc_number or b.source}" + (f" [{b.tag}]" if b.tag else "")
        lines.append(f"  - {b.name_vi}: {state}{why}")
    notes = {b.note for b in g.bodies if b.note}
    lines += [f"  Ghi chú: {n}" for n in sorted(notes)]
    return "\n".join(lines) + "\n"


def workload_dict(w: Workload) -> dict[str, Any]:
    return {"scope": {"code": w.scope.code, "name": w.scope.name}, "on": w.on, "min_titles": w.min_titles,
            "people": len(w.people), "holdings": w.holdings, "multi_title": len(w.multi_title),
            "civil_servants_many_jobs": len(w.civil_servants_many_jobs),
            "rows": [{"person_id": p.person_id, "name": p.full_name, "jobs": p.jobs,
                      "titles": [{"title": t.title_code, "name": t.title_name, "unit": t.unit_code,
                                  "concurrent": t.concurrent} for t in p.titles],
                      "duties": [{"rule": c, "duty": d} for c, d in p.duties],
                      "delegated": [{"delegation_id": i, "act": a} for i, a in p.delegated],
                      "flags": p.flags} for p in w.people]}


def workload_text(w: Workload, *, only_flagged: bool = True) -> str:
    lines = [f"Khối lượng công việc - {w.scope.name} ngày {format_date(w.on)}:",
             f"- {format_int(len(w.people))} người giữ {format_int(w.holdings)} chức danh",
             f"- {format_int(len(w.multi_title))} người kiêm nhiệm từ {format_int(w.min_titles)} chức danh trở lên",
             f"- {format_int(len(w.civil_servants_many_jobs))} cán bộ, công chức đảm nhiệm từ "
             f"{format_int(w.min_titles)} việc trở lên (chức danh và việc được ủy quyền)", ""]
    shown = [p for p in w.people if p.flags] if only_flagged else w.people
    for p in shown:
        titles = "; ".join(f"{t.title_name} ({t.unit_name})" for t in p.titles)
        lines.append(f"* {p.full_name}: {titles}")
        if p.delegated:
            lines.append(f"    Được ủy quyền: {', '.join(sorted({a for _, a in p.delegated}))}")
        if p.duties:
            lines.append(f"    Nội dung phối hợp theo quy chế: {format_int(len(p.duties))}")
        for f in p.flags:
            lines.append(f"    ! {f}")
    return "\n".join(lines) + "\n"


def write_workload_xlsx(w: Workload, path: str | os.PathLike[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Khối lượng"
    ws.append([f"KHỐI LƯỢNG CÔNG VIỆC - {w.scope.name} - ngày {format_date(w.on)}"])
    ws["A1"].font = Font(name=_FONT, bold=True, size=14)
    ws.append([])
    ws.append(["Mã người", "Họ tên", "Số việc", "Chức danh", "Việc được ủy quyền", "Số nội dung phối hợp", "Cảnh báo"])
    for p in w.people:
        ws.append([p.person_id, p.full_name, p.jobs, "; ".join(f"{t.title_name} ({t.unit_name})" for t in p.titles),
                   ", ".join(sorted({a for _, a in p.delegated})), len(p.duties), "; ".join(p.flags)])
    for row in ws.iter_rows(min_row=3):
        for c in row:
            if isinstance(c.value, str):
                c.data_type = "s"
            c.font = Font(name=_FONT, size=12, bold=c.row == 3)
    for col, width in zip("ABCDEFG", (10, 26, 8, 60, 40, 12, 50), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(os.fspath(path))


__all__ = ["governance_dict", "governance_text", "rule_report_dict", "rule_report_text",
           "who_may_dict", "who_may_text", "workload_dict", "workload_text", "write_rule_report_xlsx",
           "write_workload_xlsx"]
