"""Use cases of coordination rules (quy chế phối hợp): create, revise, sign, re-sign, evaluate, and the
evaluation report's figures. Every function takes a Connection inside the caller's transaction and
raises BadInput (nothing written) on refused input.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from tinhgon.coordination import tables as t
from tinhgon.coordination.governance import bodies_of
from tinhgon.coordination.model import (
    CoordinationRule,
    Evaluation,
    Party,
    PartyKind,
    Rating,
    RuleVersion,
    Score,
    Signatory,
    Signing,
    load_catalogue,
    rating_from_share,
)
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

R, V, SG, SY, E, ES = (t.coord_rule, t.coord_rule_version, t.coord_signing, t.coord_signatory, t.coord_evaluation,
                       t.coord_evaluation_score)


# --- titles and parties ---------------------------------------------------------------------------

def title_names(conn: Connection) -> dict[str, str]:
    """Vietnamese names of every known title: the registry's catalogue plus the coordination extras."""
    names = dict(load_catalogue().extra_titles)
    names.update({r.code: r.name_vi for r in conn.execute(select(s.title_type.c.code, s.title_type.c.name_vi))})
    return names


def parse_party(text: str, *, field: str) -> Party:
    """'title:to_truong', 'body:ubnd', or a bare code (a body code if the catalogue knows it)."""
    raw = text.strip()
    kind, _, code = raw.partition(":") if ":" in raw else ("", "", raw)
    if kind and kind not in (PartyKind.TITLE.value, PartyKind.BODY.value):
        raise BadInput(f"bên ký không hợp lệ: {text!r} (dùng title:MÃ hoặc body:MÃ)", field=field)
    if not code:
        raise BadInput("thiếu mã bên ký", field=field)
    if not kind:
        kind = PartyKind.BODY.value if code in load_catalogue().bodies else PartyKind.TITLE.value
    return Party(PartyKind(kind), code)


def party_title(party: Party) -> str:
    """The title whose holder signs for the party."""
    if party.kind is PartyKind.TITLE:
        return party.code
    return load_catalogue().body(party.code).head_title


def party_label(conn: Connection, party: Party) -> str:
    if party.kind is PartyKind.BODY:
        return load_catalogue().body(party.code).name_vi
    return title_names(conn).get(party.code, party.code)


def _check_party(conn: Connection, party: Party, field: str) -> None:
    if party.kind is PartyKind.BODY:
        load_catalogue().body(party.code, field=field)
    elif party.code not in title_names(conn):
        raise BadInput(f"chức danh không có trong danh mục: {party.code!r}", field=field)


# --- rules and versions ---------------------------------------------------------------------------

def _clean_duties(duties: Sequence[str]) -> list[str]:
    items = [" ".join(d.split()) for d in duties if d and d.strip()]
    if not items:
        raise BadInput("quy chế phải có ít nhất một nội dung phối hợp", field="--duty")
    return items


def create_rule(conn: Connection, *, code: str, name: str, party_a: Party, party_b: Party, unit_level: Level,
                adopted_on: dt.date, duties: Sequence[str], issuer: Unit | None = None,
                doc_number: str | None = None, note: str | None = None) -> CoordinationRule:
    code = code.strip()
    if not code or not name.strip():
        raise BadInput("thiếu mã hoặc tên quy chế", field="--code")
    if conn.execute(select(R.c.id).where(R.c.code == code)).first():
        raise BadInput(f"đã có quy chế mã {code!r}", field="--code")
    _check_party(conn, party_a, "--party-a")
    _check_party(conn, party_b, "--party-b")
    if party_a == party_b:
        raise BadInput("hai bên của quy chế phải khác nhau", field="--party-b")
    items = _clean_duties(duties)
    rid = t.new_id(conn.execute(R.insert().values(
        code=code, name=name.strip(), party_a_kind=party_a.kind.value, party_a=party_a.code,
        party_b_kind=party_b.kind.value, party_b=party_b.code, unit_level=unit_level.value,
        issuer_unit_id=issuer.id if issuer else None, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )))
    conn.execute(V.insert().values(rule_id=rid, version_no=1, adopted_on=adopted_on,
                                   duties=json.dumps(items, ensure_ascii=False), doc_number=doc_number, note=note))
    return get_rule(conn, code)


def revise_rule(conn: Connection, code: str, *, adopted_on: dt.date, duties: Sequence[str],
                doc_number: str | None = None, note: str | None = None) -> RuleVersion:
    """A revision is a new version adopted on a later date; the older versions stay as they were."""
    rule = get_rule(conn, code)
    if adopted_on <= rule.latest.adopted_on:
        raise BadInput(f"ngày thông qua bản sửa đổi ({adopted_on:%d/%m/%Y}) phải sau ngày thông qua phiên bản "
                       f"{rule.latest.version_no} ({rule.latest.adopted_on:%d/%m/%Y})", field="--adopted")
    items = _clean_duties(duties)
    conn.execute(V.insert().values(rule_id=rule.id, version_no=rule.latest.version_no + 1, adopted_on=adopted_on,
                                   duties=json.dumps(items, ensure_ascii=False), doc_number=doc_number, note=note))
    return get_rule(conn, code).latest


def get_rule(conn: Connection, code: str) -> CoordinationRule:
    r = conn.execute(select(R).where(R.c.code == code.strip())).first()
    if r is None:
        raise BadInput(f"không có quy chế phối hợp mã {code!r}", field="--rule")
    return _rule(conn, r)


def list_rules(conn: Connection) -> list[CoordinationRule]:
    return [_rule(conn, r) for r in conn.execute(select(R).order_by(R.c.code))]


def _rule(conn: Connection, r: Any) -> CoordinationRule:
    rows = conn.execute(select(V).where(V.c.rule_id == r.id).order_by(V.c.version_no)).all()
    versions = []
    for i, v in enumerate(rows):
        nxt = rows[i + 1].adopted_on if i + 1 < len(rows) else None
        versions.append(RuleVersion(v.id, v.version_no, v.adopted_on, tuple(json.loads(v.duties)), v.doc_number,
                                    v.note, nxt))
    return CoordinationRule(
        id=r.id, code=r.code, name=r.name,
        party_a=Party(PartyKind(r.party_a_kind), r.party_a),
        party_b=Party(PartyKind(r.party_b_kind), r.party_b),
        unit_level=Level(r.unit_level), issuer_unit_id=r.issuer_unit_id,
        versions=tuple(versions))


# --- signing --------------------------------------------------------------------------------------

@dataclass(slots=True)
class SignResult:
    signed: list[Signing] = field(default_factory=list)
    skipped: list[tuple[Unit, str]] = field(default_factory=list)


def scope_units(conn: Connection, scope: Unit, level: Level, on: dt.date) -> list[Unit]:
    """The units at LEVEL that SCOPE is or contains on ON."""
    if scope.level is level:
        return [scope]
    return sorted((u for u in repo.descendants(conn, scope.id, on) if u.level is level), key=_unit_order)


def _unit_order(u: Unit) -> tuple[int, str]:
    digits = "".join(ch for ch in u.name if ch.isdigit())
    return (int(digits) if digits else 10**9, u.code)


def resolve_signatories(conn: Connection, rule: CoordinationRule, unit: Unit, on: dt.date) -> list[Signatory]:
    """The holders, on ON, of the titles that sign for each party in UNIT. Raises BadInput naming a vacancy
    or a body that does not exist in the unit on that date."""
    out: list[Signatory] = []
    model = None
    for side, party in (("a", rule.party_a), ("b", rule.party_b)):
        if party.kind is PartyKind.BODY:
            model = model or bodies_of(conn, unit, on)
            if not model.has(party.code):
                raise BadInput(f"{unit.name} không có {party_label(conn, party)} vào ngày {on:%d/%m/%Y}",
                               field="--unit")
        title = party_title(party)
        held = [h for h in repo.holdings_at(conn, on, unit_ids=[unit.id]) if h.title_code == title]
        if not held:
            raise BadInput(f"{unit.name}: chức danh {title_names(conn).get(title, title)} để trống vào ngày "
                           f"{on:%d/%m/%Y}", field="--unit")
        held.sort(key=lambda h: (h.concurrent, h.id))  # the main holder first
        out.append(Signatory(side, title, held[0].person_id))
    return out


def sign(conn: Connection, rule_code: str, units: Iterable[Unit], signed_on: dt.date, *,
         version_no: int | None = None, note: str | None = None, skip_vacant: bool = False) -> SignResult:
    """Record that each unit signed the rule on SIGNED_ON (the version in force then, unless given).
    Signing a newer version where an older one was signed is a re-signing. All or nothing unless
    SKIP_VACANT, where units with a vacant signatory are left out and reported."""
    rule = get_rule(conn, rule_code)
    if version_no is None:
        version = rule.version_on(signed_on)
        if version is None:
            raise BadInput(f"quy chế {rule.code} chưa được thông qua vào ngày {signed_on:%d/%m/%Y} "
                           f"(phiên bản 1 thông qua ngày {rule.versions[0].adopted_on:%d/%m/%Y})", field="--on")
    else:
        found = [v for v in rule.versions if v.version_no == version_no]
        if not found:
            raise BadInput(f"quy chế {rule.code} không có phiên bản {version_no}", field="--version")
        version = found[0]
        if version.adopted_on > signed_on:
            raise BadInput(f"ký ngày {signed_on:%d/%m/%Y} trước ngày thông qua phiên bản {version_no} "
                           f"({version.adopted_on:%d/%m/%Y})", field="--on")
    result = SignResult()
    rows: list[tuple[Unit, list[Signatory]]] = []
    for unit in units:
        if unit.level is not rule.unit_level:
            raise BadInput(f"{unit.name} là {unit.level.label_vi}; quy chế {rule.code} ký ở "
                           f"{rule.unit_level.label_vi}", field="--unit")
        if not unit.in_force(signed_on):
            raise BadInput(f"{unit.name} không tồn tại vào ngày {signed_on:%d/%m/%Y}", field="--unit")
        done = conn.execute(select(SG.c.signed_on).where(SG.c.version_id == version.id,
                                                         SG.c.unit_id == unit.id)).first()
        if done is not None:
            raise BadInput(f"{unit.name} đã ký phiên bản {version.version_no} ngày {done[0]:%d/%m/%Y}",
                           field="--unit")
        try:
            rows.append((unit, resolve_signatories(conn, rule, unit, signed_on)))
        except BadInput as exc:
            if not skip_vacant:
                raise
            result.skipped.append((unit, exc.message))
    for unit, people in rows:
        sid = t.new_id(conn.execute(SG.insert().values(rule_id=rule.id, version_id=version.id, unit_id=unit.id,
                                                       signed_on=signed_on, note=note)))
        held = {(h.title_code, h.person_id): h.id for h in repo.holdings_at(conn, signed_on, unit_ids=[unit.id])}
        conn.execute(SY.insert(), [{"signing_id": sid, "party": p.party, "title_code": p.title_code,
                                    "person_id": p.person_id, "holding_id": held.get((p.title_code, p.person_id))}
                                   for p in people])
        result.signed.append(Signing(sid, rule.id, version.version_no, unit.id, signed_on, tuple(people), note))
    return result


def signings_of(conn: Connection, rule: CoordinationRule, unit_ids: Iterable[int] | None = None,
                until: dt.date | None = None) -> list[Signing]:
    """Signings of the rule (optionally for some units, on or before UNTIL), oldest first."""
    vno = {v.id: v.version_no for v in rule.versions}
    q = select(SG).where(SG.c.rule_id == rule.id)
    ids = list(unit_ids) if unit_ids is not None else None
    if until is not None:
        q = q.where(SG.c.signed_on <= until)
    rows = [r for r in conn.execute(q.order_by(SG.c.signed_on, SG.c.id)) if ids is None or r.unit_id in set(ids)]
    people: dict[int, list[Signatory]] = {}
    if rows:
        sids = [r.id for r in rows]
        for i in range(0, len(sids), 900):
            for p in conn.execute(select(SY).where(SY.c.signing_id.in_(sids[i:i + 900])).order_by(SY.c.party)):
                people.setdefault(p.signing_id, []).append(Signatory(p.party, p.title_code, p.person_id))
    return [Signing(r.id, rule.id, vno[r.version_id], r.unit_id, r.signed_on, tuple(people.get(r.id, ())), r.note)
            for r in rows]


# --- evaluation -----------------------------------------------------------------------------------

def evaluate(conn: Connection, rule_code: str, unit: Unit, *, year: int, evaluated_on: dt.date,
             scores: Sequence[Score], rating: Rating | None = None, comment: str | None = None) -> Evaluation:
    """The yearly evaluation of how UNIT carried out the rule. The rating is the evaluator's, or is
    derived from the share of the maximum score (model.RATING_BANDS)."""
    rule = get_rule(conn, rule_code)
    if year > evaluated_on.year:
        raise BadInput(f"đánh giá năm {year} vào ngày {evaluated_on:%d/%m/%Y} (trước khi năm đó bắt đầu)",
                       field="--year")
    if not scores and rating is None:
        raise BadInput("cần điểm theo tiêu chí hoặc xếp loại", field="--score")
    for sc in scores:
        if not sc.criterion.strip():
            raise BadInput("tiêu chí không có tên", field="--score")
        if sc.max_score <= 0 or sc.score < 0 or sc.score > sc.max_score:
            raise BadInput(f"điểm {sc.score:g}/{sc.max_score:g} của tiêu chí {sc.criterion!r} không hợp lệ",
                           field="--score")
    signed = signings_of(conn, rule, [unit.id], until=evaluated_on)
    if not signed:
        raise BadInput(f"{unit.name} chưa ký quy chế {rule.code} trước ngày {evaluated_on:%d/%m/%Y}", field="--unit")
    if conn.execute(select(E.c.id).where(E.c.rule_id == rule.id, E.c.unit_id == unit.id, E.c.year == year)).first():
        raise BadInput(f"{unit.name} đã được đánh giá năm {year} theo quy chế {rule.code}", field="--year")
    if rating is None:
        total, top = sum(x.score for x in scores), sum(x.max_score for x in scores)
        rating = rating_from_share(total / top)
    version = next(v for v in rule.versions if v.version_no == signed[-1].version_no)
    eid = t.new_id(conn.execute(E.insert().values(rule_id=rule.id, unit_id=unit.id, year=year,
                                                  evaluated_on=evaluated_on, version_id=version.id,
                                                  rating=rating.value, comment=comment)))
    if scores:
        conn.execute(ES.insert(), [{"evaluation_id": eid, "criterion": x.criterion.strip(), "score": x.score,
                                    "max_score": x.max_score, "comment": x.comment} for x in scores])
    return Evaluation(eid, rule.id, unit.id, year, evaluated_on, version.version_no, rating, tuple(scores), comment)


def evaluations_of(conn: Connection, rule: CoordinationRule, *, year: int | None = None,
                   unit_ids: Iterable[int] | None = None) -> list[Evaluation]:
    vno = {v.id: v.version_no for v in rule.versions}
    q = select(E).where(E.c.rule_id == rule.id)
    if year is not None:
        q = q.where(E.c.year == year)
    ids = set(unit_ids) if unit_ids is not None else None
    rows = [r for r in conn.execute(q.order_by(E.c.year, E.c.unit_id)) if ids is None or r.unit_id in ids]
    scores: dict[int, list[Score]] = {}
    eids = [r.id for r in rows]
    for i in range(0, len(eids), 900):
        for x in conn.execute(select(ES).where(ES.c.evaluation_id.in_(eids[i:i + 900])).order_by(ES.c.id)):
            scores.setdefault(x.evaluation_id, []).append(Score(x.criterion, x.score, x.max_score, x.comment))
    return [Evaluation(r.id, rule.id, r.unit_id, r.year, r.evaluated_on, vno[r.version_id], Rating(r.rating),
                       tuple(scores.get(r.id, ())), r.comment) for r in rows]


# --- the evaluation report's figures --------------------------------------------------------------

@dataclass(slots=True)
class UnitStatus:
    unit: Unit
    last_signed_on: dt.date | None
    last_version: int | None
    first_signed_on: dt.date | None
    evaluation: Evaluation | None
    signatories: tuple[Signatory, ...] = ()

    @property
    def signed(self) -> bool:
        return self.last_version is not None


@dataclass(slots=True)
class RuleReport:
    rule: CoordinationRule
    scope: Unit
    on: dt.date
    year: int
    current: RuleVersion | None
    units: list[UnitStatus]
    unit_label: str
    party_labels: tuple[str, str]
    people: dict[int, str]

    @property
    def versions(self) -> list[RuleVersion]:
        """The versions adopted by the report's date (a later revision is not shown)."""
        return [v for v in self.rule.versions if v.adopted_on <= self.on]

    @property
    def signed(self) -> list[UnitStatus]:
        return [u for u in self.units if u.signed]

    @property
    def never_signed(self) -> list[UnitStatus]:
        return [u for u in self.units if not u.signed]

    @property
    def on_current(self) -> list[UnitStatus]:
        return [u for u in self.units if self.current and u.last_version == self.current.version_no]

    @property
    def not_resigned(self) -> list[UnitStatus]:
        """Units that signed an older version but not the version in force (after a revision)."""
        if self.current is None:
            return []
        return [u for u in self.units if u.signed and u.last_version != self.current.version_no]

    @property
    def evaluated(self) -> list[UnitStatus]:
        return [u for u in self.units if u.evaluation is not None]

    @property
    def not_evaluated(self) -> list[UnitStatus]:
        return [u for u in self.units if u.signed and u.evaluation is None]

    def rating_counts(self) -> dict[Rating, int]:
        c = Counter(u.evaluation.rating for u in self.units if u.evaluation is not None)
        return {r: c.get(r, 0) for r in Rating}

    def average_share(self) -> float | None:
        shares = [u.evaluation.total / u.evaluation.max_total for u in self.units
                  if u.evaluation is not None and u.evaluation.max_total > 0]
        return sum(shares) / len(shares) if shares else None


def rule_report(conn: Connection, rule_code: str, scope: Unit, on: dt.date, year: int | None = None) -> RuleReport:
    """Who signed which version by ON, who has not re-signed after a revision, and the ratings of YEAR
    (default: ON's year) for the rule's units under SCOPE."""
    rule = get_rule(conn, rule_code)
    year = on.year if year is None else year
    units = scope_units(conn, scope, rule.unit_level, on)
    ids = [u.id for u in units]
    by_unit: dict[int, list[Signing]] = {}
    for sg in signings_of(conn, rule, ids, until=on):
        by_unit.setdefault(sg.unit_id, []).append(sg)
    evals = {e.unit_id: e for e in evaluations_of(conn, rule, year=year, unit_ids=ids) if e.evaluated_on <= on}
    statuses = []
    for u in units:
        sgs = by_unit.get(u.id, [])
        last = max(sgs, key=lambda x: (x.version_no, x.signed_on)) if sgs else None
        statuses.append(UnitStatus(u, last.signed_on if last else None, last.version_no if last else None,
                                   min(x.signed_on for x in sgs) if sgs else None, evals.get(u.id),
                                   last.signatories if last else ()))
    kinds = {u.kind for u in units}
    label = next(iter(kinds)).label_vi.lower() if len(kinds) == 1 else rule.unit_level.label_vi
    pids = {p.person_id for st in statuses for p in st.signatories}
    people = {pid: p.full_name for pid, p in repo.people_by_ids(conn, pids).items()}
    return RuleReport(rule, scope, on, year, rule.version_on(on), statuses, label,
                      (party_label(conn, rule.party_a), party_label(conn, rule.party_b)), people)
