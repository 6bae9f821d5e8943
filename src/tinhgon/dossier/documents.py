"""The papers of a merger dossier, generated from the registry, the plan, the rules and the consultation,
in the form of Nghị định 30/2020/NĐ-CP (tinhgon.reports.officialdoc): the scheme (đề án) with its map, the
submission (tờ trình), the draft resolution of the provincial People's Council, the household lists to
post and the ballots (one file per unit consulted), and the summary of the consultation's results.

The household lists and ballots hold personal data (heads' names, addresses): they are written only to the
folder the user asks for, and nothing of them goes to logs.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlalchemy import Connection, and_, select

from tinhgon.consult.model import Tally
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Level, Unit
from tinhgon.dossier.mapfig import MapPoint, render_map
from tinhgon.dossier.model import CONSULTATION_STEP
from tinhgon.dossier.service import Dossier, load_dossier
from tinhgon.errors import Failure
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import load_plan_by_id
from tinhgon.reports.officialdoc import FONT, Header, OfficialDocument, Recipients, Signature
from tinhgon.rules.results import Consultation, HouseholdStandard, Status
from tinhgon.rules.vnformat import format_date, format_int, format_pct

BLANK_NUMBER = "       "   # the number is given by the office when the paper is signed


@dataclass(slots=True)
class DossierData:
    """Everything the papers read, gathered once."""

    dossier: Dossier
    plan: Plan
    commune: Unit
    parent: Unit | None
    province: Unit | None
    on: dt.date
    groups: list[Unit]
    standards: dict[int, HouseholdStandard]
    plan_groups: list[PlanGroup]
    consultation: Consultation | None
    rule_refs: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)   # rule-pack notices in force (e.g. a freeze on changes)
    roll_sizes: dict[int, int] = field(default_factory=dict)   # households living in each merged group

    @property
    def unit(self) -> dict[int, Unit]:
        return {g.id: g for g in self.groups}

    @property
    def mergers(self) -> list[PlanGroup]:
        return [g for g in self.plan_groups if g.is_merger]

    @property
    def merged_units(self) -> list[Unit]:
        u = self.unit
        return sorted((u[i] for g in self.mergers for i in g.unit_ids if i in u), key=lambda x: x.code)


def gather(conn: Connection, dossier_id: int, *, on: dt.date, book: Any = None) -> DossierData:
    from tinhgon.rules.book import RuleBook

    book = book or RuleBook.load_default()
    d = load_dossier(conn, dossier_id)
    plan = load_plan_by_id(conn, d.plan_id)
    day = plan.at
    commune = repo.unit_at(conn, d.commune.id, day) or d.commune
    parent = repo.unit_at(conn, commune.parent_id, day) if commune.parent_id else None
    province = next((a for a in repo.ancestors(conn, commune, day) if a.level == Level.PROVINCE), None)
    groups = repo.units_at(conn, day, level=Level.RESIDENTIAL_GROUP, parent_ids=[commune.id])
    missing = [g for g in groups if g.households is None]
    if missing:
        counted = repo.household_counts_at(conn, day, [g.id for g in missing])
        for g in missing:
            g.households = counted.get(g.id, 0)
    standards = {g.id: book.household_standard(g, day, commune=commune) for g in groups}
    cons = None
    try:
        cons = book.consultation(Level.RESIDENTIAL_GROUP, day, commune.province_code)
    except Failure:  # no consultation rule in force: the papers say so
        cons = None
    refs: list[str] = []
    notices: list[str] = []
    for st in standards.values():
        for r in st.refs:
            if r.kind != "notice" and r.cite() not in refs:
                refs.append(r.cite())
        for text in st.notices:
            if text not in notices:
                notices.append(text)
    if cons is not None:
        refs.append(cons.refs[0].cite())
    refs.append(d.procedure_citation)
    plan_groups = [g for g in plan.groups if g.parent_unit_id == commune.id]
    merged_ids = [u for g in plan_groups if g.is_merger for u in g.unit_ids]
    roll_sizes = repo.household_counts_at(conn, day, merged_ids) if merged_ids else {}
    return DossierData(d, plan, commune, parent, province, on, groups, standards, plan_groups, cons, refs, notices,
                       roll_sizes)


# --- shared parts -------------------------------------------------------------------------------------

def _short(unit: Unit | None) -> str:
    """'Phường Bồ Đề' -> 'Bồ Đề': the place name of the date line."""
    if unit is None:
        return ""
    name = unit.name
    for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Thị trấn ", "Đặc khu ", "Quận ", "Huyện ", "Thị xã "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _committee(u: Unit | None) -> str:
    return f"Ủy ban nhân dân {u.name}" if u is not None else ""


def _header(data: DossierData, doc_type: str, summary: str, number: str) -> Header:
    parent = data.parent if data.parent is not None and data.parent.level != Level.PROVINCE else data.province
    return Header(issuer=f"ỦY BAN NHÂN DÂN {data.commune.name.upper()}", number=f"{BLANK_NUMBER}/{number}",
                  place=_short(data.commune), date=data.on, doc_type=doc_type, summary=summary,
                  parent_issuer=f"ỦY BAN NHÂN DÂN {parent.name.upper()}" if parent is not None else None)


def _close(doc: OfficialDocument, recipients: Recipients, signature: Signature) -> None:
    """The closing block without the "(Đã ký)" line: these are drafts to be signed, not signed copies."""
    doc.closing(recipients, signature)
    cell = doc.doc.tables[-1].rows[0].cells[1]
    for p in cell.paragraphs:
        if p.text.strip() == "(Đã ký)":
            p._p.getparent().remove(p._p)
    if not signature.authority:
        first = cell.paragraphs[0]
        if not first.text.strip():
            first._p.getparent().remove(first._p)


def _notices(doc: OfficialDocument, data: DossierData) -> None:
    for text in data.notices:
        doc.paragraph(f"Lưu ý: {text}", italic=True)


def _commune_signature() -> Signature:
    return Signature(authority="TM. ỦY BAN NHÂN DÂN", title="CHỦ TỊCH")


def _group_kind(data: DossierData) -> str:
    kinds = {g.kind.label_vi.lower() for g in data.merged_units} or {g.kind.label_vi.lower() for g in data.groups}
    return ", ".join(sorted(kinds))


def _members_text(data: DossierData, g: PlanGroup) -> str:
    u = data.unit
    return "; ".join(f"{u[i].name} ({format_int(u[i].households or 0)} hộ)" for i in g.unit_ids if i in u)


def _new_name(g: PlanGroup) -> str:
    return g.new_name or f"tổ mới {g.label}"


def _next_body(data: DossierData) -> str:
    """Whom the commune sends the file to: the body of the first step after the commune's own steps, named
    after the actual unit (the pack names bodies by level: "UBND cấp huyện", "Sở Nội vụ")."""
    steps = sorted(data.dossier.steps, key=lambda s: s.position)
    own = [i for i, s in enumerate(steps) if "cấp xã" in s.actor]
    k = (own[-1] + 1) if own else 0
    return _body_name(steps[k].actor if k < len(steps) else steps[-1].actor, data)


def _body_name(actor: str, data: DossierData) -> str:
    district = data.parent if data.parent is not None and data.parent.level == Level.DISTRICT else None
    name = actor.replace("UBND", "Ủy ban nhân dân").replace("HĐND", "Hội đồng nhân dân")
    for level_word, unit in (("cấp xã", data.commune), ("cấp huyện", district), ("cấp tỉnh", data.province)):
        if level_word in name and unit is not None:
            name = name.replace(level_word, unit.name)
    if name.startswith("Sở ") and data.province is not None and data.province.name not in name:
        name = f"{name} {data.province.name}"
    return name


def _step_for(data: DossierData, kind: str) -> str | None:
    steps = sorted(data.dossier.steps, key=lambda s: s.position)
    codes = [s.code for s in steps]
    if kind in ("de-an", "ban-do"):
        return codes[0]
    if kind in ("danh-sach-ho", "phieu", "ket-qua"):
        return CONSULTATION_STEP if CONSULTATION_STEP in codes else None
    if kind == "to-trinh":
        own = [i for i, s in enumerate(steps) if "cấp xã" in s.actor]
        k = (own[-1] + 1) if own else 0
        return codes[k] if k < len(codes) else None
    if kind == "du-thao-nghi-quyet":
        return codes[-1]
    return None


def _consultation_tally(conn: Connection, data: DossierData) -> list[Tally] | None:
    from tinhgon.consult import service as consult
    from tinhgon.consult import tables as ct

    units = {u.id for u in data.merged_units}
    rows = conn.execute(select(ct.consultation.c.id).where(ct.consultation.c.plan_id == data.plan.id,
                                                           ct.consultation.c.kind == "merger")
                        .order_by(ct.consultation.c.id.desc())).all()
    for (cid,) in rows:
        cu = {int(r[0]) for r in conn.execute(select(ct.consultation_unit.c.unit_id)
                                              .where(ct.consultation_unit.c.consultation_id == cid))}
        if cu & units:
            tallies = [consult.tally(conn, cid, 1)]
            latest = consult.tally(conn, cid)
            if latest.round_number != 1:
                tallies.append(latest)
            return tallies
    return None


# --- the scheme ---------------------------------------------------------------------------------------

def scheme(data: DossierData, map_png: bytes | None) -> OfficialDocument:
    kind = _group_kind(data)
    doc = OfficialDocument(_header(data, "ĐỀ ÁN", f"Sáp nhập {kind} trên địa bàn {data.commune.name}", "ĐA-UBND"))
    groups = data.groups
    total = sum(g.households or 0 for g in groups)
    below = [g for g in groups if (data.standards[g.id].ratio or 0.0) < 1 and data.standards[g.id].ratio is not None]
    must = [g for g in groups if data.standards[g.id].status == Status.MUST_MERGE]
    doc.heading("I. SỰ CẦN THIẾT VÀ CĂN CỨ PHÁP LÝ")
    for ref in data.rule_refs:
        doc.bullet(f"Căn cứ {ref};")
    _notices(doc, data)
    doc.paragraph(
        f"Trên địa bàn {data.commune.name} hiện có {format_int(len(groups))} {kind} với {format_int(total)} hộ gia "
        f"đình (số liệu ngày {format_date(data.plan.at)}); {format_int(len(below))} tổ chưa đạt tiêu chuẩn về số hộ, "
        f"trong đó {format_int(len(must))} tổ dưới mức phải sáp nhập. Việc sáp nhập nhằm bảo đảm quy mô theo quy "
        f"định, tinh gọn tổ chức và giảm số người hoạt động không chuyên trách.")
    doc.heading("II. THỰC TRẠNG")
    rows = []
    for i, g in enumerate(groups, 1):
        st = data.standards[g.id]
        rows.append([i, g.code, g.name, format_int(g.households or 0), format_int(st.standard),
                     format_pct(st.ratio, 1) if st.ratio is not None else "—",
                     st.status.label_vi if st.status is not None else "—"])
    doc.table(["STT", "Mã", "Tên", "Số hộ", "Tiêu chuẩn", "Tỷ lệ", "Đánh giá"], rows,
              widths_cm=(1.3, 2.3, 4.3, 1.5, 1.7, 1.9, 3.1),
              caption=f"Bảng 1. Các {kind} của {data.commune.name} so với tiêu chuẩn")
    doc.heading("III. PHƯƠNG ÁN SÁP NHẬP")
    after = len(data.plan_groups)
    doc.paragraph(
        f"Sáp nhập {format_int(len(data.merged_units))} tổ thành {format_int(len(data.mergers))} tổ mới; sau sắp xếp "
        f"{data.commune.name} còn {format_int(after)} tổ (giảm {format_int(len(groups) - after)} tổ). Phương án "
        f"«{data.plan.name}» lập ngày {format_date(data.plan.at)}.")
    prows = []
    for i, pg in enumerate(data.mergers, 1):
        # the standard the rules give the members (a merged group never mixes standards)
        standard = next((data.standards[u].standard for u in pg.unit_ids if u in data.standards), None)
        prows.append([i, _new_name(pg), _members_text(data, pg), format_int(pg.households),
                      format_int(standard) if standard else "—",
                      format_pct(pg.households / standard, 1) if standard else "—"])
    doc.table(["STT", "Tổ sau sáp nhập", "Các tổ sáp nhập (số hộ)", "Số hộ", "Tiêu chuẩn", "Tỷ lệ"], prows,
              widths_cm=(1.3, 2.8, 6.9, 1.5, 1.8, 1.8), caption="Bảng 2. Các tổ sáp nhập")
    if data.plan.mode == "must":
        doc.paragraph("Phương án này chỉ sáp nhập các tổ dưới mức phải sáp nhập; các tổ sau sáp nhập đạt ít nhất mức "
                      "đó, có thể chưa đạt đủ tiêu chuẩn.", italic=True)
    if map_png is not None:
        doc.image(map_png, width_cm=15.5, caption=f"Hình 1. Vị trí các tổ của {data.commune.name}, tô màu theo tổ "
                                                  f"sau sáp nhập (ô Voronoi quanh điểm của mỗi tổ)")
    doc.heading("IV. TỔ CHỨC THỰC HIỆN")
    for i, step in enumerate(sorted(data.dossier.steps, key=lambda x: x.position), 1):
        days = f", trong {step.working_days} ngày làm việc" if step.working_days else ""
        doc.bullet(f"Bước {i}: {step.name_vi} ({step.actor}{days}).")
    if data.consultation is not None:
        doc.paragraph(f"Lấy ý kiến: {data.consultation.summary()}")
    _close(doc, Recipients([f"{_next_body(data)};", *(["HĐND " + data.commune.name + ";"]
                                                      if data.dossier.has_commune_council else []),
                            "Các tổ dân phố liên quan;", "Lưu: VT."]), _commune_signature())
    return doc


def scheme_map(data: DossierData) -> bytes | None:
    group_of = data.plan.group_of()
    pts = []
    for g in data.groups:
        if g.lat is None or g.lon is None:
            continue
        pg = group_of.get(g.id)
        merged = bool(pg and pg.is_merger)
        # groups of different former wards share numbers: label the merged ones by code, the rest not at all
        pts.append(MapPoint(g.code, g.code if merged else "", g.lat, g.lon, pg.label if pg else g.code, merged))
    if not pts:
        return None
    return render_map(pts, title=f"{data.commune.name}: các tổ sau sáp nhập")


# --- the submission -------------------------------------------------------------------------------------

def submission(data: DossierData, tallies: list[Tally] | None) -> OfficialDocument:
    kind = _group_kind(data)
    addressee = _next_body(data)
    doc = OfficialDocument(_header(data, "TỜ TRÌNH", f"Về việc đề nghị sáp nhập {kind} thuộc {data.commune.name}",
                                   "TTr-UBND"))
    doc._par(doc.doc, f"Kính gửi: {addressee}", size=Pt(14), space_after=Pt(12))
    for ref in data.rule_refs:
        doc.bullet(f"Căn cứ {ref};")
    _notices(doc, data)
    doc.paragraph(f"{_committee(data.commune)} đã xây dựng Đề án sáp nhập {kind} và tổ chức lấy ý kiến cử tri "
                  f"đại diện hộ gia đình của các tổ liên quan.")
    doc.heading("1. Kết quả lấy ý kiến")
    doc.paragraph(_tally_sentence(tallies))
    doc.heading("2. Nội dung đề nghị")
    before, after = len(data.groups), len(data.plan_groups)
    doc.paragraph(f"{_committee(data.commune)} kính đề nghị {addressee} xem xét, thẩm định và trình cấp có thẩm "
                  f"quyền quyết định sáp nhập {format_int(len(data.merged_units))} tổ thành "
                  f"{format_int(len(data.mergers))} tổ mới; số tổ của {data.commune.name} giảm từ "
                  f"{format_int(before)} xuống {format_int(after)}.")
    rows = [[i, _new_name(g), _members_text(data, g), format_int(g.households)] for i, g in enumerate(data.mergers, 1)]
    doc.table(["STT", "Tổ sau sáp nhập", "Các tổ sáp nhập (số hộ)", "Số hộ"], rows, widths_cm=(1.1, 3.2, 9.6, 2.2))
    doc.heading("3. Hồ sơ kèm theo")
    doc.bullet("Đề án sáp nhập (kèm bản đồ);")
    doc.bullet("Danh sách hộ gia đình đã niêm yết và biên bản tổng hợp kết quả lấy ý kiến;")
    if data.dossier.has_commune_council:
        doc.bullet(f"Nghị quyết của HĐND {data.commune.name} thông qua Đề án;")
    doc.bullet("Dự thảo Nghị quyết của HĐND cấp tỉnh.")
    doc.paragraph(f"Kính trình {addressee} xem xét, quyết định./.")
    _close(doc, Recipients(["Như trên;", "Lưu: VT."]), _commune_signature())
    return doc


def _tally_sentence(tallies: list[Tally] | None) -> str:
    if not tallies:
        return "Cuộc lấy ý kiến chưa được tổ chức trên tinhgon; kết quả sẽ được bổ sung vào hồ sơ sau khi kiểm phiếu."
    tl = tallies[-1]
    share = format_pct(tl.agree / tl.roll, 2) if tl.roll else "—"
    return (f"{tl.name} (vòng {tl.round_number}, ngày {format_date(tl.held_on)}): {format_int(tl.agree)}/"
            f"{format_int(tl.roll)} hộ đồng ý ({share}); kết quả chung: {tl.overall.label_vi}. Quy tắc: "
            f"{tl.rule.summary or tl.rule.citation}")


# --- the draft resolution ---------------------------------------------------------------------------------

def draft_resolution(data: DossierData) -> OfficialDocument:
    kind = _group_kind(data)
    prov = data.province
    council = f"HỘI ĐỒNG NHÂN DÂN {prov.name.upper()}" if prov else "HỘI ĐỒNG NHÂN DÂN CẤP TỈNH"
    header = Header(issuer=council, number=f"{BLANK_NUMBER}/NQ-HĐND", place=_short(prov) or _short(data.commune),
                    date=data.on, doc_type="NGHỊ QUYẾT", summary=f"Về việc sáp nhập {kind} thuộc {data.commune.name}")
    doc = OfficialDocument(header)
    doc._par(doc.doc, "(DỰ THẢO)", size=Pt(13), italic=True, space_after=Pt(6))
    doc._par(doc.doc, council, size=Pt(14), bold=True, space_after=Pt(6))
    for ref in data.rule_refs:
        doc.paragraph(f"Căn cứ {ref};", italic=True)
    doc.paragraph(f"Xét Tờ trình của Ủy ban nhân dân {prov.name if prov else 'cấp tỉnh'} về việc sáp nhập {kind} "
                  f"thuộc {data.commune.name}; báo cáo thẩm định của Sở Nội vụ; ý kiến thảo luận của đại biểu "
                  f"Hội đồng nhân dân tại kỳ họp.", italic=True)
    doc._par(doc.doc, "QUYẾT NGHỊ:", size=Pt(14), bold=True, space_after=Pt(6))
    doc.heading(f"Điều 1. Sáp nhập {kind} thuộc {data.commune.name}")
    for i, g in enumerate(data.mergers, 1):
        doc.paragraph(f"{i}. Sáp nhập {_members_text(data, g)} thành {_new_name(g)} có {format_int(g.households)} "
                      f"hộ gia đình.")
    doc.heading("Điều 2. Kết quả sau sáp nhập")
    doc.paragraph(f"Sau khi sáp nhập, {data.commune.name} có {format_int(len(data.plan_groups))} tổ (giảm "
                  f"{format_int(len(data.groups) - len(data.plan_groups))} tổ).")
    doc.heading("Điều 3. Tổ chức thực hiện")
    doc.paragraph(f"Giao Ủy ban nhân dân {prov.name if prov else 'cấp tỉnh'} tổ chức thực hiện Nghị quyết này; "
                  f"{_committee(data.commune)} kiện toàn tổ chức các tổ mới theo quy định.")
    _close(doc, Recipients(["Như Điều 3;", "Lưu: VT."]), Signature(authority="", title="CHỦ TỊCH"))
    return doc


# --- the consultation's results ---------------------------------------------------------------------------

def results_summary(data: DossierData, tallies: list[Tally] | None) -> OfficialDocument:
    kind = _group_kind(data)
    doc = OfficialDocument(_header(data, "BÁO CÁO", f"Tổng hợp kết quả lấy ý kiến cử tri đại diện hộ gia đình về "
                                                  f"việc sáp nhập {kind}", "BC-UBND"))
    if data.consultation is not None:
        doc.paragraph(f"Quy tắc áp dụng: {data.consultation.summary()} ({data.consultation.refs[0].cite()}).")
    if not tallies:
        doc.paragraph("Cuộc lấy ý kiến chưa được tổ chức: chưa có kết quả để tổng hợp. Danh sách dưới đây là các tổ "
                      "sẽ được lấy ý kiến và số hộ trong danh sách.")
        rows = [[i, u.code, u.name, format_int(data.roll_sizes.get(u.id, 0))]
                for i, u in enumerate(data.merged_units, 1)]
        doc.table(["STT", "Mã", "Tổ", "Số hộ"], rows, widths_cm=(1.2, 3.0, 9.0, 2.9))
    for tl in tallies or []:
        state = "đã khóa" if tl.round_status == "closed" else "đang mở (tạm tính)"
        doc.heading(f"Vòng {tl.round_number} ({state}), ngày {format_date(tl.held_on)}")
        rows = []
        for u in tl.units:
            rows.append([u.code, u.group_label or "", format_int(u.roll), format_int(u.agree), format_int(u.disagree),
                         format_int(u.invalid), format_int(u.absent),
                         format_pct(u.agree_share, 2) if u.roll else "—", u.decision.label_vi])
        doc.table(["Mã tổ", "Tổ mới", "Danh sách", "Đồng ý", "Không ĐY", "Không hợp lệ", "Vắng", "Tỷ lệ ĐY",
                   "Kết quả"], rows, widths_cm=(2.4, 1.9, 1.7, 1.5, 1.5, 1.6, 1.3, 1.8, 2.4))
        doc.paragraph(f"Kết quả chung: {tl.overall.label_vi}.")
        for w in tl.warnings:
            doc.paragraph(f"Lưu ý: {w}", italic=True)
    _close(doc, Recipients([f"{_next_body(data)};", "Lưu: VT."]), _commune_signature())
    return doc


# --- households: the posted list and the ballots ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HouseholdRow:
    code: str
    head: str
    address: str
    head_id: int | None = None   # the person named (the audit log of who exported whom)


def household_rows(conn: Connection, unit_id: int, on: dt.date) -> list[HouseholdRow]:
    R, H, P = s.household_residence, s.household, s.person
    q = (select(H.c.code, P.c.full_name, R.c.address, P.c.id).join(H, H.c.id == R.c.household_id)
         .outerjoin(P, and_(P.c.household_id == H.c.id, P.c.is_head))
         .where(repo.in_force_clause(R, on), R.c.unit_id == unit_id).order_by(H.c.code, P.c.id))
    out: list[HouseholdRow] = []
    seen: set[str] = set()
    for code, name, address, head_id in conn.execute(q):
        if code in seen:   # two heads recorded: the first represents the household, as the roll does
            continue
        seen.add(code)
        out.append(HouseholdRow(code, name or "", address or "", head_id))
    return out


def household_list(data: DossierData, unit: Unit, rows: list[HouseholdRow]) -> OfficialDocument:
    doc = OfficialDocument(_header(data, "DANH SÁCH", f"Hộ gia đình thuộc {unit.name} được lấy ý kiến về việc sáp "
                                                     f"nhập (niêm yết công khai)", "DS-UBND"))
    doc.paragraph(f"Danh sách gồm {format_int(len(rows))} hộ, lập theo sổ đăng ký ngày {format_date(data.plan.at)}. "
                  f"Hộ nào có sai sót xin báo Ủy ban nhân dân {data.commune.name} trước ngày lấy ý kiến.")
    _fast_table(doc, ["STT", "Mã hộ", "Họ tên chủ hộ", "Địa chỉ"],
                [[str(i), r.code, r.head, r.address] for i, r in enumerate(rows, 1)], (1.2, 3.3, 4.6, 7.0))
    _close(doc, Recipients(["Niêm yết tại nhà văn hóa tổ;", "Lưu: VT."]), _commune_signature())
    return doc


def _fast_table(doc: OfficialDocument, headers: list[str], rows: list[list[str]], widths: tuple[float, ...]) -> None:
    """A long table: the first data row is built once, then copied row by row (python-docx's own way is
    too slow for hundreds of households)."""
    doc.table(headers, rows[:1], widths_cm=widths)
    tbl = doc.doc.tables[-1]._tbl
    trs = tbl.findall(qn("w:tr"))
    header_tr = trs[0]
    trpr = header_tr.get_or_add_trPr()
    hdr = OxmlElement("w:tblHeader")   # the header row repeats on every page
    trpr.append(hdr)
    if len(trs) < 2:
        return
    template = trs[1]
    for row in rows[1:]:
        tr = copy.deepcopy(template)
        for tc, value in zip(tr.findall(qn("w:tc")), row, strict=True):
            ts = tc.findall(".//" + qn("w:t"))
            ts[0].text = value
            for extra in ts[1:]:
                extra.text = ""
        tbl.append(tr)


def ballots(data: DossierData, unit: Unit, rows: list[HouseholdRow], group: PlanGroup | None) -> Any:
    """One ballot per household, three to an A4 page, with cut lines between them."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin = sec.bottom_margin = Cm(1.2)
    sec.left_margin, sec.right_margin = Cm(2.0), Cm(1.5)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    body = doc.element.body
    for p in list(body.findall(qn("w:p"))):
        body.remove(p)
    proposal = (f"Sáp nhập {_members_text(data, group)} thành {_new_name(group)}." if group is not None
                else f"Sáp nhập {unit.name}.")
    template = _ballot_block(doc, data, unit, proposal)
    sect = body.find(qn("w:sectPr"))
    for k, r in enumerate(rows):
        block = copy.deepcopy(template)
        for tnode in (n for el in block for n in el.iter(qn("w:t"))):
            if tnode.text and "«" in tnode.text:
                tnode.text = (tnode.text.replace("«MÃ HỘ»", r.code).replace("«CHỦ HỘ»", r.head)
                              .replace("«ĐỊA CHỈ»", r.address))
        for el in block:
            sect.addprevious(el)
        if k % 3 == 2 and k != len(rows) - 1:
            brk = doc.add_paragraph()
            brk.paragraph_format.space_after = Pt(0)
            brk.add_run().add_break(WD_BREAK.PAGE)
            sect.addprevious(brk._p)
    return doc


def _ballot_block(doc: Any, data: DossierData, unit: Unit, proposal: str) -> list[Any]:
    """The elements of one ballot (built in the document, then detached to serve as a template)."""
    before = set(doc.element.body)
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells

    def par(cell_or_doc: Any, text: str, *, bold: bool = False, italic: bool = False, size: float = 12,
            align: Any = WD_ALIGN_PARAGRAPH.CENTER, after: float = 0) -> Any:
        p = cell_or_doc.add_paragraph() if not hasattr(cell_or_doc, "runs") else cell_or_doc
        p.alignment = align
        p.paragraph_format.space_after = Pt(after)
        p.paragraph_format.space_before = Pt(0)
        run = p.add_run(text)
        run.font.name = FONT
        run.font.size = Pt(size)
        run.bold = bold
        run.italic = italic
        return p

    par(left.paragraphs[0], "ỦY BAN NHÂN DÂN", bold=True, size=11)
    par(left, data.commune.name.upper(), bold=True, size=11)
    par(right.paragraphs[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=11)
    par(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=11)
    for c, w in ((left, 6.0), (right, 11.5)):
        c.width = Cm(w)
    par(doc, "PHIẾU LẤY Ý KIẾN CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH", bold=True, size=13, after=2)
    par(doc, f"Về việc sáp nhập {unit.kind.label_vi.lower()}", bold=True, size=12, after=4)
    par(doc, f"Đơn vị: {unit.name} ({unit.code}), {data.commune.name}", align=WD_ALIGN_PARAGRAPH.LEFT, after=1)
    par(doc, "Hộ: «MÃ HỘ» — Chủ hộ: «CHỦ HỘ»", align=WD_ALIGN_PARAGRAPH.LEFT, after=1)
    par(doc, "Địa chỉ: «ĐỊA CHỈ»", align=WD_ALIGN_PARAGRAPH.LEFT, size=11, after=1)
    par(doc, f"Nội dung lấy ý kiến: {proposal}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=11, after=3)
    par(doc, "Ý kiến của hộ (đánh dấu X vào một ô):      ☐  Đồng ý          ☐  Không đồng ý",
        align=WD_ALIGN_PARAGRAPH.LEFT, bold=True, after=3)
    par(doc, "Ngày ..... tháng ..... năm .........          Đại diện hộ gia đình (ký, ghi rõ họ tên)",
        align=WD_ALIGN_PARAGRAPH.RIGHT, italic=True, size=11, after=26)
    cut = par(doc, "- " * 40, size=8, after=6)
    cut.runs[0].font.size = Pt(8)
    body = doc.element.body
    block = [el for el in body if el not in before and el.tag != qn("w:sectPr")]
    for el in block:
        body.remove(el)
    return block


# --- writing everything ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Written:
    kind: str
    step: str | None
    path: Path


def write_documents(conn: Connection, dossier_id: int, out_dir: Path, *, on: dt.date, pdf: bool = False,
                    book: Any = None, units: list[str] | None = None,
                    progress: Callable[[str], None] | None = None) -> list[Written]:
    """Write the dossier's papers to OUT_DIR (DOCX, and PDF when asked); returns what was written. UNITS (group
    codes) limits the household lists and ballots to those groups."""
    from tinhgon.errors import BadInput
    from tinhgon.reports.officialdoc import docx_to_pdf

    say = progress or (lambda _m: None)
    data = gather(conn, dossier_id, on=on, book=book)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    prefix = f"hs{dossier_id}"

    def save(kind: str, name: str, doc: Any) -> None:
        path = out_dir / f"{prefix}-{name}.docx"
        doc.save(path)
        written.append(Written(kind, _step_for(data, kind), path))
        say(path.name)
        if pdf:
            pdf_path = path.with_suffix(".pdf")
            docx_to_pdf(path, pdf_path)
            written.append(Written(kind, _step_for(data, kind), pdf_path))

    tallies = _consultation_tally(conn, data)
    map_png = scheme_map(data)
    if map_png is not None:
        png = out_dir / f"{prefix}-ban-do.png"
        png.write_bytes(map_png)
        written.append(Written("ban-do", _step_for(data, "ban-do"), png))
    save("de-an", "de-an", scheme(data, map_png))
    save("to-trinh", "to-trinh", submission(data, tallies))
    save("du-thao-nghi-quyet", "du-thao-nghi-quyet", draft_resolution(data))
    save("ket-qua", "ket-qua-lay-y-kien", results_summary(data, tallies))
    group_of = data.plan.group_of()
    targets = data.merged_units
    if units:
        known = {u.code for u in targets}
        unknown = [c for c in units if c not in known]
        if unknown:
            raise BadInput(f"không phải tổ được lấy ý kiến trong hồ sơ này: {', '.join(unknown)}", field="--group")
        targets = [u for u in targets if u.code in units]
    for u in targets:
        rows = household_rows(conn, u.id, data.plan.at)
        save("danh-sach-ho", f"danh-sach-ho-{u.code}", household_list(data, u, rows))
        save("phieu", f"phieu-{u.code}", ballots(data, u, rows, group_of.get(u.id)))
    return written
