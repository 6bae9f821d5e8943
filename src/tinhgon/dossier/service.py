"""Use cases of merger dossiers (hồ sơ sáp nhập thôn, tổ dân phố), each inside the caller's transaction.

A dossier follows one stored plan in one commune: the steps of the procedure in force (RuleBook.procedure)
from scheme to the provincial council's resolution, who moved each step on and when, its deadlines in
working days and the documents attached. Plain functions, for the command line and the web app alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Level, Unit
from tinhgon.dossier import tables as t
from tinhgon.dossier.model import (
    CONSULTATION_STEP,
    DossierStatus,
    StepRecord,
    StepStatus,
    StepView,
    current_step,
    step_views,
)
from tinhgon.errors import BadInput, Failure
from tinhgon.registry import repo
from tinhgon.registry.plans import load_plan, load_plan_by_id


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _book(book: Any = None) -> Any:
    if book is not None:
        return book
    from tinhgon.rules.book import RuleBook

    return RuleBook.load_default()


@dataclass(slots=True)
class Dossier:
    """A dossier as stored, with its steps, documents and moves."""

    id: int
    plan_id: int
    plan_name: str
    commune: Unit
    started_on: dt.date
    status: DossierStatus
    has_commune_council: bool
    procedure_rule_id: str
    procedure_citation: str
    consultation_rule_id: str | None
    consultation_max_rounds: int
    steps: list[StepRecord]
    documents: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    row_version: int = 1

    def views(self, on: dt.date) -> list[StepView]:
        out = step_views(self.steps, self.started_on, on, stopped=self.status == DossierStatus.STOPPED)
        by_step: dict[str | None, list[dict[str, Any]]] = {}
        for d in self.documents:
            by_step.setdefault(d["step"], []).append(d)
        for v in out:
            v.documents = list(by_step.get(v.code, []))
        return out

    def report(self, on: dt.date) -> dict[str, Any]:
        views = self.views(on)
        return {"id": self.id, "plan": self.plan_name, "commune_code": self.commune.code,
                "commune": self.commune.name, "started_on": self.started_on, "status": self.status.value,
                "status_vi": self.status.label_vi, "as_of": on, "has_commune_council": self.has_commune_council,
                "procedure_rule": self.procedure_rule_id, "procedure_citation": self.procedure_citation,
                "consultation_rule": self.consultation_rule_id,
                "consultation_max_rounds": self.consultation_max_rounds,
                "overdue": [v.code for v in views if v.status == StepStatus.OVERDUE],
                "steps": [v.to_dict() for v in views],
                "documents": [d for d in self.documents if d["step"] is None],
                "events": self.events}


# --- creating ---------------------------------------------------------------------------------------

def _commune_and_parent(conn: Connection, commune_id: int, on: dt.date) -> tuple[Unit, Unit | None]:
    commune = repo.unit_at(conn, commune_id, on)
    if commune is None:
        history = repo.unit_history(conn, commune_id)
        if not history:
            raise Failure(f"không có đơn vị số {commune_id}")
        # the commune ended before ON (a dossier looked at after a reform): its last version
        commune = max(history, key=lambda u: u.valid_from or dt.date.min)
    day = on if commune.valid_to is None or commune.valid_to > on else commune.valid_to - dt.timedelta(days=1)
    parent = repo.unit_at(conn, commune.parent_id, day) if commune.parent_id else None
    return commune, parent


def _procedure(book: Any, on: dt.date, commune: Unit, parent: Unit | None) -> Any:
    province = commune.province_code or (parent.province_code if parent else None)
    return book.procedure(on, commune=commune, commune_parent=parent, province_code=province)


def _merger_communes(plan: Plan) -> dict[int, list[PlanGroup]]:
    out: dict[int, list[PlanGroup]] = {}
    for g in plan.groups:
        if g.parent_unit_id is not None:
            out.setdefault(g.parent_unit_id, []).append(g)
    return {c: gs for c, gs in out.items() if any(g.is_merger for g in gs)}


def create_dossiers(conn: Connection, plan_name: str, *, start: dt.date | None = None,
                    created_by: str | None = None, book: Any = None) -> list[int]:
    """One dossier for each commune where the plan merges groups, its steps from the procedure in force on
    START (the plan's date by default). A commune that already has a dossier for this plan is refused."""
    plan = load_plan(conn, plan_name)
    book = _book(book)
    start = start or plan.at
    communes = _merger_communes(plan)
    if not communes:
        raise BadInput(f"phương án {plan_name!r} không sáp nhập tổ, thôn nào: không cần hồ sơ", field="--plan")
    existing = {int(r[0]) for r in conn.execute(select(t.dossier.c.commune_unit_id)
                                               .where(t.dossier.c.plan_id == plan.id))}
    taken = [c for c in communes if c in existing]
    if taken:
        raise BadInput(f"phương án {plan_name!r} đã có hồ sơ cho {len(taken)} xã, phường; xem: tinhgon dossier "
                       f"status", field="--plan")
    ids: list[int] = []
    for commune_id in sorted(communes):
        commune, parent = _commune_and_parent(conn, commune_id, start)
        if repo.unit_at(conn, commune_id, start) is None:
            raise BadInput(f"{commune.name} không còn tồn tại vào ngày {start:%d/%m/%Y}", field="--start")
        proc = _procedure(book, start, commune, parent)
        province = commune.province_code or (parent.province_code if parent else None)
        try:
            cons = book.consultation(Level.RESIDENTIAL_GROUP, start, province)
            cons_rule, max_rounds = cons.refs[0].rule_id, cons.max_rounds
        except Failure:
            cons_rule, max_rounds = None, 1
        ref = proc.refs[0]
        did = repo.new_id(conn.execute(insert(t.dossier).values(
            plan_id=plan.id, commune_unit_id=commune_id, started_on=start, status=DossierStatus.OPEN.value,
            has_commune_council=proc.has_commune_council, procedure_rule_id=ref.rule_id,
            procedure_citation=ref.cite(), consultation_rule_id=cons_rule, consultation_max_rounds=max_rounds,
            created_at=_now(), created_by=created_by, row_version=1)))
        conn.execute(insert(t.dossier_step), [
            {"dossier_id": did, "position": i, "step_code": s.id, "name_vi": s.name_vi, "actor": s.actor,
             "working_days": s.working_days, "rule_id": ref.rule_id, "tag": s.tag, "status": "pending",
             "done_on": None, "done_by": None, "failed_attempts": 0}
            for i, s in enumerate(proc.steps, 1)])
        notices = [n.text for n in book.notices(Level.RESIDENTIAL_GROUP, start, province)]
        _event(conn, did, None, "created", start, created_by,
               f"Trình tự theo {ref.cite()}; {'có' if proc.has_commune_council else 'không có'} HĐND cấp xã"
               + "".join(f". Lưu ý: {n}" for n in notices))
        ids.append(did)
    return ids


def _event(conn: Connection, did: int, step: str | None, action: str, on: dt.date, by: str | None,
           note: str | None = None) -> None:
    conn.execute(insert(t.dossier_event).values(dossier_id=did, step_code=step, action=action, on_date=on,
                                                by_user=by, recorded_at=_now(), note=note))


# --- reading ----------------------------------------------------------------------------------------

def load_dossier(conn: Connection, dossier_id: int) -> Dossier:
    D, S = t.dossier, t.dossier_step
    row = conn.execute(select(D).where(D.c.id == dossier_id)).first()
    if row is None:
        raise BadInput(f"không có hồ sơ số {dossier_id}", field="--dossier")
    plan = load_plan_by_id(conn, row.plan_id)
    commune, _parent = _commune_and_parent(conn, row.commune_unit_id, row.started_on)
    steps = [StepRecord(r.position, r.step_code, r.name_vi, r.actor, r.working_days, r.rule_id, r.tag, r.status,
                        r.done_on, r.done_by, int(r.failed_attempts))
             for r in conn.execute(select(S).where(S.c.dossier_id == dossier_id).order_by(S.c.position))]
    docs = [{"id": r.id, "step": r.step_code, "origin": r.origin, "kind": r.doc_kind, "path": r.path,
             "sha256": r.sha256, "size": r.size, "by": r.created_by, "at": r.created_at}
            for r in conn.execute(select(t.dossier_document).where(t.dossier_document.c.dossier_id == dossier_id)
                                  .order_by(t.dossier_document.c.id))]
    events = [{"step": r.step_code, "action": r.action, "on": r.on_date, "by": r.by_user, "at": r.recorded_at,
               "note": r.note}
              for r in conn.execute(select(t.dossier_event).where(t.dossier_event.c.dossier_id == dossier_id)
                                    .order_by(t.dossier_event.c.id))]
    return Dossier(row.id, row.plan_id, plan.name, commune, row.started_on, DossierStatus(row.status),
                   bool(row.has_commune_council), row.procedure_rule_id, row.procedure_citation,
                   row.consultation_rule_id, int(row.consultation_max_rounds), steps, docs, events,
                   int(row.row_version))


def find_dossiers(conn: Connection, *, dossier_id: int | None = None, unit_code: str | None = None,
                  on: dt.date | None = None) -> list[Dossier]:
    """One dossier, those of a unit (the commune itself or any unit above it, resolved on ON), or all."""
    if dossier_id is not None:
        return [load_dossier(conn, dossier_id)]
    ids = [int(r[0]) for r in conn.execute(select(t.dossier.c.id).order_by(t.dossier.c.id))]
    if unit_code is None:
        return [load_dossier(conn, i) for i in ids]
    day = on or dt.date.today()
    unit = repo.resolve_unit(conn, unit_code, day)
    out = []
    for i in ids:
        d = load_dossier(conn, i)
        commune = repo.unit_at(conn, d.commune.id, day) or d.commune
        if commune.id == unit.id or unit.id in {a.id for a in repo.ancestors(conn, commune, day)}:
            out.append(d)
    return out


# --- moving on ---------------------------------------------------------------------------------------

def _consultation_outcome(conn: Connection, d: Dossier, plan: Plan) -> tuple[str, str] | None:
    """('passed' | 'failed' | 'stopped' | 'open', note) from the consultation of this plan in this commune,
    or None when none was held. 'failed' means a round failed and the rule allows another one."""
    from tinhgon.consult import service as consult
    from tinhgon.consult import tables as ct
    from tinhgon.consult.model import Decision

    units = {u for g in plan.groups if g.parent_unit_id == d.commune.id and g.is_merger for u in g.unit_ids}
    C, CU = ct.consultation, ct.consultation_unit
    rows = conn.execute(select(C.c.id).where(C.c.plan_id == plan.id, C.c.kind == "merger")
                        .order_by(C.c.id.desc())).all()
    for (cid,) in rows:
        cu = {int(r[0]) for r in conn.execute(select(CU.c.unit_id).where(CU.c.consultation_id == cid))}
        if not cu & units:
            continue
        tl = consult.tally(conn, cid)
        note = f"cuộc lấy ý kiến số {cid}, vòng {tl.round_number}"
        if tl.round_status != "closed":   # the minutes are made when the round is closed, even if already won
            return "open", note
        if tl.overall == Decision.APPROVED:
            return "passed", note
        if tl.overall == Decision.REJECTED:
            return "stopped", note
        if any(u.decision == Decision.REJECTED for u in tl.units):
            return "failed", note
        return "open", note
    return None


def advance(conn: Connection, dossier_id: int, step: str, *, on: dt.date, by: str | None,
            attach: list[Path] | None = None, outcome: str | None = None, book: Any = None) -> Dossier:
    """Record STEP done on ON by BY (the current step only: no skipping, nothing done twice). For the
    consultation step, OUTCOME 'failed' records a failed round; when the rule's rounds are used up the
    dossier stops. A consultation held in tinhgon for the plan decides the outcome itself."""
    d = load_dossier(conn, dossier_id)
    if d.status == DossierStatus.STOPPED:
        raise BadInput(f"hồ sơ số {d.id} đã dừng: không chuyển bước được nữa", field="--dossier")
    if d.status == DossierStatus.DONE:
        raise BadInput(f"hồ sơ số {d.id} đã hoàn thành mọi bước", field="--dossier")
    codes = [s.code for s in d.steps]
    if step not in codes:
        raise BadInput(f"hồ sơ số {d.id} không có bước {step!r}; các bước: {', '.join(codes)}", field="--step")
    cur = current_step(d.steps)
    assert cur is not None
    target = next(s for s in d.steps if s.code == step)
    if target.stored_status == "done":
        raise BadInput(f"bước {step!r} đã xong ngày {target.done_on:%d/%m/%Y} ({target.done_by or 'không rõ'}); "
                       f"không ghi lại lần hai", field="--step")
    if target.code != cur.code:
        raise BadInput(f"chưa xong bước trước: bước đang thực hiện là {cur.code!r} ({cur.name_vi}); "
                       f"không bỏ qua bước", field="--step")
    previous = [s for s in d.steps if s.position < cur.position]
    since = previous[-1].done_on if previous else d.started_on
    assert since is not None
    if on < since:
        raise BadInput(f"ngày {on:%d/%m/%Y} trước ngày bắt đầu bước này ({since:%d/%m/%Y})", field="--date")
    files = [_checked_file(p) for p in attach or []]
    if outcome not in (None, "passed", "failed"):
        raise BadInput(f"kết quả không hợp lệ: {outcome!r} (passed | failed)", field="--outcome")
    if outcome == "failed" and step != CONSULTATION_STEP:
        raise BadInput("chỉ bước lấy ý kiến mới có kết quả không đạt", field="--outcome")

    S, D = t.dossier_step, t.dossier
    result = "passed" if outcome is None else outcome
    note = None
    if step == CONSULTATION_STEP:
        held = _consultation_outcome(conn, d, load_plan_by_id(conn, d.plan_id))
        if held is not None:
            found, note = held
            if found == "open":
                raise BadInput(f"{note} chưa có kết quả cuối cùng: khóa vòng lấy ý kiến trước", field="--step")
            if outcome is not None and {"passed": "passed", "failed": "failed", "stopped": "failed"}[found] != outcome:
                raise BadInput(f"kết quả nhập ({outcome}) khác kết quả kiểm phiếu của {note}", field="--outcome")
            result = found
            if found == "failed" and cur.failed_attempts >= 1:
                raise BadInput(f"{note}: vòng này đã được ghi là không đạt; mở vòng 2 rồi ghi kết quả",
                               field="--step")
    # optimistic lock: two officials moving the same dossier at once
    res = conn.execute(update(D).where(D.c.id == d.id, D.c.row_version == d.row_version)
                       .values(row_version=d.row_version + 1))
    if res.rowcount != 1:
        raise BadInput(f"hồ sơ số {d.id} vừa được người khác chuyển bước; hãy xem lại rồi làm lại",
                       field="--dossier")
    if result in ("failed", "stopped"):
        attempts = cur.failed_attempts + 1
        conn.execute(update(S).where(S.c.dossier_id == d.id, S.c.step_code == step)
                     .values(failed_attempts=attempts))
        _event(conn, d.id, step, "failed", on, by, note or f"lần {attempts} không đạt")
        if result == "stopped" or attempts >= d.consultation_max_rounds:
            conn.execute(update(S).where(S.c.dossier_id == d.id, S.c.status == "pending").values(status="stopped"))
            conn.execute(update(D).where(D.c.id == d.id).values(status=DossierStatus.STOPPED.value))
            _event(conn, d.id, step, "stopped", on, by,
                   f"lấy ý kiến không đạt {attempts} lần; quy tắc {d.consultation_rule_id} cho tối đa "
                   f"{d.consultation_max_rounds} lần: dừng")
    else:
        conn.execute(update(S).where(S.c.dossier_id == d.id, S.c.step_code == step)
                     .values(status="done", done_on=on, done_by=by))
        _event(conn, d.id, step, "done", on, by, note)
        remaining = [s for s in d.steps if s.position > cur.position]
        if not remaining:
            conn.execute(update(D).where(D.c.id == d.id).values(status=DossierStatus.DONE.value))
        else:
            _resync(conn, d, cur, on, by, book)
    for p, digest, size in files:
        _store_document(conn, d.id, step, "uploaded", "file", p, digest, size, by)
        _event(conn, d.id, step, "attached", on, by, p.name)
    return load_dossier(conn, d.id)


def _resync(conn: Connection, d: Dossier, done: StepRecord, on: dt.date, by: str | None, book: Any) -> None:
    """When the procedure in force on ON is not the one the dossier follows (a new pack, or the district
    level gone on 2025-07-01), the steps not yet reached follow the new procedure from the step just done."""
    book = _book(book)
    commune, parent = _commune_and_parent(conn, d.commune.id, on)
    try:
        proc = _procedure(book, on, commune, parent)
    except Failure:
        return
    ref = proc.refs[0]
    if ref.rule_id == d.procedure_rule_id and proc.has_commune_council == d.has_commune_council:
        return
    new_codes = [s.id for s in proc.steps]
    if done.code not in new_codes:
        return  # the new procedure has no such step: the steps cannot be lined up, keep the old ones
    later = list(proc.steps[new_codes.index(done.code) + 1:])
    old_later = [s.code for s in d.steps if s.position > done.position]
    S = t.dossier_step
    conn.execute(delete(S).where(S.c.dossier_id == d.id, S.c.position > done.position))
    if later:
        conn.execute(insert(S), [
            {"dossier_id": d.id, "position": done.position + i, "step_code": s.id, "name_vi": s.name_vi,
             "actor": s.actor, "working_days": s.working_days, "rule_id": ref.rule_id, "tag": s.tag,
             "status": "pending", "done_on": None, "done_by": None, "failed_attempts": 0}
            for i, s in enumerate(later, 1)])
    conn.execute(update(t.dossier).where(t.dossier.c.id == d.id).values(
        procedure_rule_id=ref.rule_id, procedure_citation=ref.cite(), has_commune_council=proc.has_commune_council))
    gone = [c for c in old_later if c not in {s.id for s in later}]
    added = [s.id for s in later if s.id not in old_later]
    _event(conn, d.id, None, "resynced", on, by,
           f"Từ {on:%d/%m/%Y} áp dụng {ref.cite()}; bỏ bước: {', '.join(gone) or 'không'}; "
           f"thêm bước: {', '.join(added) or 'không'}")


# --- documents --------------------------------------------------------------------------------------

def _checked_file(path: Path) -> tuple[Path, str, int]:
    p = Path(path)
    if not p.is_file():
        raise BadInput("không có tệp này", file=str(p), field="--attach")
    digest, size = file_digest(p)
    return p.resolve(), digest, size


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _store_document(conn: Connection, did: int, step: str | None, origin: str, kind: str, path: Path,
                    digest: str, size: int, by: str | None) -> None:
    conn.execute(insert(t.dossier_document).values(
        dossier_id=did, step_code=step, origin=origin, doc_kind=kind, path=str(path), sha256=digest, size=size,
        created_at=_now(), created_by=by))


def record_generated(conn: Connection, dossier_id: int, files: list[tuple[str, str | None, Path]], *,
                     on: dt.date, by: str | None) -> None:
    """Attach generated files (kind, step, path) with their hashes; an earlier copy at the same path is
    replaced, so generating again never piles up stale rows."""
    DD = t.dossier_document
    steps = {s.code for s in load_dossier(conn, dossier_id).steps}
    for kind, step, path in files:
        p = Path(path).resolve()
        digest, size = file_digest(p)
        conn.execute(delete(DD).where(DD.c.dossier_id == dossier_id, DD.c.path == str(p),
                                      DD.c.origin == "generated"))
        _store_document(conn, dossier_id, step if step in steps else None, "generated", kind, p, digest, size, by)
    _event(conn, dossier_id, None, "generated", on, by, f"{len(files)} tệp")


def dossier_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.dossier)).scalar_one())
