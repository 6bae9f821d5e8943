"""The figures of a review report (sơ kết / tổng kết), every one computed from the registry for the
period's dates: nothing is typed by hand.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, select

from tinhgon.domain.people import TitleGroup
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.titles import load_title_types
from tinhgon.reports.tables import meeting_opinion


@dataclass
class Snapshot:
    """The scope as it stood on one date."""

    on: dt.date
    units_by_level: dict[str, int]
    groups: int
    group_workers: int          # people holding a title at thôn / tổ dân phố level
    group_titles: int           # holdings of those titles
    commune_workers: int        # people holding a commune part-time title
    commune_titles: int
    audit: Any                  # tinhgon.rules.audit.AuditReport

    @property
    def budget_monthly(self) -> int:
        return int(self.audit.budget.monthly)

    def band_counts(self) -> list[tuple[str, int]]:
        return [(b.label_vi, b.count) for b in self.audit.bands]

    def concurrency(self) -> dict[str, Any]:
        return {c.kind: c for c in self.audit.concurrency}


@dataclass
class MergerDone:
    effective: dt.date
    kind: str
    basis: str
    from_units: list[str]           # names
    to_units: list[str]


@dataclass
class Opinion:
    meeting_date: dt.date
    role: str
    topic: str
    text: str
    to_higher_level: bool


@dataclass
class ReviewData:
    root: Unit
    parent: Unit | None
    frm: dt.date
    to: dt.date
    before: Snapshot
    after: Snapshot
    mergers: list[MergerDone]
    plans: list[dict[str, Any]]
    consultations: list[dict[str, Any]]
    opinions: list[Opinion]
    basis: list[str]
    signer: str | None
    signer_title: str | None
    party_signer: str | None
    difficulties: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)

    @property
    def reductions(self) -> dict[str, int]:
        b, a = self.before, self.after
        return {
            "groups": b.groups - a.groups,
            "group_workers": b.group_workers - a.group_workers,
            "commune_workers": b.commune_workers - a.commune_workers,
            "budget_monthly": b.budget_monthly - a.budget_monthly,
            "budget_annual": (b.budget_monthly - a.budget_monthly) * 12,
        }


def snapshot(conn: Connection, root: Unit, on: dt.date, book: Any) -> Snapshot:
    from tinhgon.rules.audit import audit_units

    below = repo.descendants(conn, root.id, on)
    ids = [root.id] + [u.id for u in below]
    counts: dict[str, int] = defaultdict(int)
    for u in below:
        counts[u.level.value] += 1
    holdings = repo.holdings_at(conn, on, ids)
    titles = repo.title_types(conn) or load_title_types()
    level_of = {u.id: u.level for u in below}
    level_of[root.id] = root.level
    group_h = [h for h in holdings if level_of.get(h.unit_id) == Level.RESIDENTIAL_GROUP
               and titles.get(h.title_code) is not None
               and titles[h.title_code].group in (TitleGroup.GROUP_PART_TIME, TitleGroup.OTHER)]
    commune_h = [h for h in holdings if level_of.get(h.unit_id) == Level.COMMUNE
                 and titles.get(h.title_code) is not None
                 and titles[h.title_code].group == TitleGroup.COMMUNE_PART_TIME]
    people = repo.people_by_ids(conn, {h.person_id for h in holdings})
    report = audit_units(root, below, holdings, people, titles, book, on,
                         ancestors=repo.ancestors(conn, root, on))
    return Snapshot(on=on, units_by_level=dict(counts), groups=counts[Level.RESIDENTIAL_GROUP.value],
                    group_workers=len({h.person_id for h in group_h}), group_titles=len(group_h),
                    commune_workers=len({h.person_id for h in commune_h}), commune_titles=len(commune_h),
                    audit=report)


def period_scope(conn: Connection, root: Unit, frm: dt.date, to: dt.date) -> set[int]:
    """The root and every unit under it at the start or the end of the period."""
    return {root.id} | {u.id for u in repo.descendants(conn, root.id, frm)} | \
        {u.id for u in repo.descendants(conn, root.id, to)}


def mergers_in_period(conn: Connection, scope: set[int], frm: dt.date, to: dt.date) -> list[MergerDone]:
    """Lineage events in [frm, to] that touched units of the scope."""
    E, L = s.lineage_event, s.lineage_link
    rows = conn.execute(
        select(E.c.id, E.c.kind, E.c.effective_date, E.c.doc_number, E.c.doc_date, E.c.issuer, E.c.note,
               L.c.from_unit_id, L.c.to_unit_id)
        .join(L, L.c.event_id == E.c.id)
        .where(and_(E.c.effective_date >= frm, E.c.effective_date <= to))
        .order_by(E.c.effective_date, E.c.id)
    ).all()
    events: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        if r.from_unit_id in scope or r.to_unit_id in scope:
            events[r.id].append(r)
    out = []
    for links in events.values():
        first = links[0]
        if first.kind not in ("merge", "split"):
            continue
        day_before = first.effective_date - dt.timedelta(days=1)
        froms = [repo.unit_at(conn, lk.from_unit_id, day_before) for lk in links if lk.from_unit_id]
        tos = {lk.to_unit_id for lk in links if lk.to_unit_id}
        to_units = [repo.unit_at(conn, t, first.effective_date) for t in sorted(tos)]
        basis = ", ".join(x for x in (first.doc_number, first.issuer) if x)
        if first.doc_date:
            basis += f" ngày {first.doc_date:%d/%m/%Y}"
        out.append(MergerDone(first.effective_date, first.kind, basis or (first.note or ""),
                              [u.name for u in froms if u], [u.name for u in to_units if u]))
    return out


def opinions_of(conn: Connection, root: Unit, frm: dt.date, to: dt.date) -> list[Opinion]:
    mo = meeting_opinion
    rows = conn.execute(select(mo).where(mo.c.unit_id == root.id, mo.c.meeting_date >= frm, mo.c.meeting_date <= to)
                        .order_by(mo.c.meeting_date, mo.c.id))
    return [Opinion(r.meeting_date, r.speaker_role, r.topic, r.text, bool(r.to_higher_level)) for r in rows]


def plans_in_period(conn: Connection, scope: set[int], frm: dt.date, to: dt.date) -> list[dict[str, Any]]:
    P = s.plan
    rows = conn.execute(select(P).where(P.c.at_date >= frm, P.c.at_date <= to).order_by(P.c.at_date, P.c.id))
    import json

    out = []
    for r in rows:
        if r.scope_unit_id in scope:
            m = json.loads(r.metrics or "{}")
            out.append({"name": r.name, "status": r.status, "at": r.at_date, "units": m.get("units"),
                        "groups": m.get("groups"), "mergers": m.get("mergers")})
    return out


def consultations_in_period(conn: Connection, scope: set[int], frm: dt.date, to: dt.date) -> list[dict[str, Any]]:
    """Merger consultations held in [frm, to] on units under the root: turnout and approval from the
    tally of their last round (the denominator is the whole roll, as the rule counts)."""
    try:
        from tinhgon.consult import service as consult
        from tinhgon.consult.tables import consultation as ctable
        from tinhgon.consult.tables import consultation_unit as cunit
    except ImportError:  # the consultation module is not installed in this build
        return []
    from tinhgon.rules.vnformat import format_date, format_pct

    rows = conn.execute(select(ctable.c.id, ctable.c.kind).where(ctable.c.held_on >= frm, ctable.c.held_on <= to)
                        .order_by(ctable.c.held_on, ctable.c.id)).all()
    out = []
    for cid, kind in rows:
        if kind != "merger":
            continue
        units = {r[0] for r in conn.execute(select(cunit.c.unit_id).where(cunit.c.consultation_id == cid))}
        if not units & scope:
            continue
        t = consult.tally(conn, cid)
        roll, cast, agree = t.roll, t.cast, t.agree
        turnout = cast / roll if roll else 0.0
        approval = agree / roll if roll else 0.0
        approved = sum(1 for u in t.units if u.decision.value == "approved")
        shares = [u.agree / u.roll for u in t.units if u.roll]
        out.append({
            "id": cid, "name": t.name, "held_on": t.held_on, "round": t.round_number, "units": len(t.units),
            "approved_units": approved, "roll": roll, "cast": cast, "agree": agree, "turnout": turnout,
            "approval": approval, "decision": t.overall.value, "unit_shares": shares,
            "sentence_vi": (f"Lấy ý kiến hộ gia đình \"{t.name}\" ngày {format_date(t.held_on)} "
                            f"(vòng {t.round_number}): {len(t.units)} đơn vị, {format_int_vi(roll)} hộ; "
                            f"{format_int_vi(cast)} phiếu "
                            f"({format_pct(turnout)}); đồng ý {format_pct(approval)} trên tổng số hộ; "
                            f"{approved}/{len(t.units)} đơn vị tán thành."),
        })
    return out


def format_int_vi(n: int) -> str:
    from tinhgon.rules.vnformat import format_int

    return format_int(n)


SIGNER_TITLES = ("chu_tich_ubnd", "bi_thu_dang_uy")   # who signs the state and the party form


def _holder_id(conn: Connection, unit_id: int, title: str, on: dt.date) -> int | None:
    hs = [h for h in repo.holdings_at(conn, on, [unit_id]) if h.title_code == title]
    return hs[0].person_id if hs else None


def _holder_name(conn: Connection, unit_id: int, title: str, on: dt.date) -> str | None:
    pid = _holder_id(conn, unit_id, title, on)
    return None if pid is None else repo.people_by_ids(conn, [pid])[pid].full_name


def named_people(conn: Connection, unit_id: int, on: dt.date) -> list[int]:
    """The people a review report of the unit names (its signers): for the log of who exported whom."""
    return [pid for t in SIGNER_TITLES if (pid := _holder_id(conn, unit_id, t, on)) is not None]


def build_review(conn: Connection, code: str, frm: dt.date, to: dt.date, book: Any | None = None) -> ReviewData:
    from tinhgon.rules.book import RuleBook

    if to < frm:
        raise BadInput("ngày kết thúc trước ngày bắt đầu", field="--to")
    book = book or RuleBook.load_default()
    root = repo.resolve_unit(conn, code, to)
    if repo.unit_at(conn, root.id, frm) is None:
        raise BadInput(f"{root.name} chưa tồn tại vào ngày {frm:%d/%m/%Y}; hãy chọn kỳ báo cáo từ ngày đơn vị "
                       f"được thành lập ({root.valid_from:%d/%m/%Y})" if root.valid_from else
                       f"{root.name} chưa tồn tại vào ngày {frm:%d/%m/%Y}", field="--from")
    before = snapshot(conn, repo.unit_at(conn, root.id, frm) or root, frm, book)
    after = snapshot(conn, root, to, book)
    ancestors = repo.ancestors(conn, root, to)
    scope = period_scope(conn, root, frm, to)
    mergers = mergers_in_period(conn, scope, frm, to)
    data = ReviewData(
        root=root, parent=ancestors[0] if ancestors else None, frm=frm, to=to, before=before, after=after,
        mergers=mergers, plans=plans_in_period(conn, scope, frm, to),
        consultations=consultations_in_period(conn, scope, frm, to), opinions=opinions_of(conn, root, frm, to),
        basis=_basis(before, after, mergers),
        signer=_holder_name(conn, root.id, "chu_tich_ubnd", to), signer_title="CHỦ TỊCH",
        party_signer=_holder_name(conn, root.id, "bi_thu_dang_uy", to),
    )
    data.difficulties = _difficulties(data)
    data.recommendations = _recommendations(data)
    return data


def _basis(before: Snapshot, after: Snapshot, mergers: list[MergerDone]) -> list[str]:
    seen: dict[str, None] = {}
    for snap in (before, after):
        for ref in snap.audit.basis:
            seen.setdefault(ref.cite(), None)
    for m in mergers:
        if m.basis:
            seen.setdefault(m.basis, None)
    return list(seen)


def _difficulties(d: ReviewData) -> list[str]:
    from tinhgon.rules.audit import count_vi

    out = []
    a = d.after.audit
    big = [b for b in a.bands if b.lower is not None and b.upper is None]
    mid = [b for b in a.bands if b.lower is not None and b.upper is not None]
    if big and big[-1].count:
        text = f"địa bàn rộng, dân đông: {count_vi(big[-1].count)} tổ dân phố có quy mô {big[-1].label_vi}"
        if mid and mid[-1].count:
            text += f", {count_vi(mid[-1].count)} tổ có {mid[-1].label_vi}"
        out.append(text)
    conc = d.after.concurrency()
    if "commune_part_time_multi" in conc and conc["commune_part_time_multi"].people:
        out.append(conc["commune_part_time_multi"].sentence_vi() + ", khối lượng công việc lớn")
    if a.vacancies:
        out.append(f"{count_vi(len(a.vacancies))} chức danh ở thôn, tổ dân phố còn trống")
    must = a.status_counts.get("must_merge", 0)
    if must:
        out.append(f"còn {count_vi(must)} thôn, tổ dân phố dưới 50 % tiêu chuẩn số hộ, phải tiếp tục sắp xếp")
    return out


def _recommendations(d: ReviewData) -> list[str]:
    out = [o.text for o in d.opinions if o.to_higher_level]
    if d.after.audit.status_counts.get("must_merge", 0):
        out.append("Tiếp tục rà soát, xây dựng phương án sắp xếp các thôn, tổ dân phố chưa đạt 50 % tiêu chuẩn.")
    return out
