"""Dossiers as domain objects: steps, their status on a day and their deadlines. Pure: no database.

Stored per step: pending, done or stopped (what officials did). Shown on a day: pending, in progress,
done, overdue (in progress past its due date) or stopped. A step's due date is counted in working days
from the day the previous step was done, when the rule pack gives a number of days for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from tinhgon.dossier.workdays import add_working_days, working_days_between

# The step of the pack that is the household consultation: its failures count against the consultation
# rule's number of rounds. The pack names steps by id; this is the id both procedure packs use.
CONSULTATION_STEP = "consultation"


class StepStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"
    STOPPED = "stopped"

    @property
    def label_vi(self) -> str:
        return _STATUS_VI[self]


_STATUS_VI = {
    StepStatus.PENDING: "chưa đến",
    StepStatus.IN_PROGRESS: "đang thực hiện",
    StepStatus.DONE: "đã xong",
    StepStatus.OVERDUE: "QUÁ HẠN",
    StepStatus.STOPPED: "dừng",
}


class DossierStatus(StrEnum):
    OPEN = "open"
    STOPPED = "stopped"
    DONE = "done"

    @property
    def label_vi(self) -> str:
        return {"open": "đang giải quyết", "stopped": "đã dừng", "done": "hoàn thành"}[self.value]


@dataclass(slots=True)
class StepRecord:
    """A step as stored."""

    position: int
    code: str
    name_vi: str
    actor: str
    working_days: int | None
    rule_id: str
    tag: str
    stored_status: str = "pending"
    done_on: dt.date | None = None
    done_by: str | None = None
    failed_attempts: int = 0


@dataclass(slots=True)
class StepView:
    """A step as seen on one day."""

    record: StepRecord
    status: StepStatus
    since: dt.date | None           # the day the step could start (previous step done, or dossier start)
    due: dt.date | None
    late_days: int = 0              # working days past the due date (when overdue, or when done late)
    documents: list[dict[str, object]] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.record.code

    def to_dict(self) -> dict[str, object]:
        r = self.record
        return {"position": r.position, "step": r.code, "name": r.name_vi, "actor": r.actor,
                "working_days": r.working_days, "status": self.status.value, "status_vi": self.status.label_vi,
                "since": self.since, "due": self.due, "late_working_days": self.late_days,
                "done_on": r.done_on, "done_by": r.done_by, "failed_attempts": r.failed_attempts,
                "rule_id": r.rule_id, "tag": r.tag, "documents": self.documents}


def step_views(steps: list[StepRecord], started_on: dt.date, on: dt.date, *, stopped: bool) -> list[StepView]:
    """Status of every step on ON. A step done after ON is shown as not yet done (a look back in time)."""
    out: list[StepView] = []
    prev_done: dt.date | None = started_on if started_on <= on else None
    open_seen = False
    for rec in sorted(steps, key=lambda s: s.position):
        since = prev_done
        due = add_working_days(since, rec.working_days) if since is not None and rec.working_days else None
        done = rec.done_on is not None and rec.done_on <= on and rec.stored_status == "done"
        if done:
            assert rec.done_on is not None
            late = max(0, working_days_between(due, rec.done_on)) if due is not None else 0
            out.append(StepView(rec, StepStatus.DONE, since, due, late))
            prev_done = rec.done_on
            continue
        prev_done = None
        if rec.stored_status == "stopped" or stopped:
            status = StepStatus.STOPPED
        elif not open_seen and since is not None:
            status = StepStatus.IN_PROGRESS
            if due is not None and on > due:
                status = StepStatus.OVERDUE
        else:
            status = StepStatus.PENDING
        late = working_days_between(due, on) if status == StepStatus.OVERDUE and due is not None else 0
        out.append(StepView(rec, status, since, due, late))
        open_seen = True
    return out


def current_step(steps: list[StepRecord]) -> StepRecord | None:
    """The first step not done (the only one that may be moved on), or None when all are done."""
    for rec in sorted(steps, key=lambda s: s.position):
        if rec.stored_status != "done":
            return rec
    return None
