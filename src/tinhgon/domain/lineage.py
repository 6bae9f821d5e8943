"""Lineage events: how units were merged, split, renamed and re-parented, with legal basis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    CREATE = "create"
    MERGE = "merge"
    SPLIT = "split"
    RENAME = "rename"
    REPARENT = "reparent"
    DISSOLVE = "dissolve"


@dataclass(slots=True, frozen=True)
class LegalBasis:
    document_number: str | None = None  # "202/2025/QH15"
    document_date: dt.date | None = None
    issuer: str | None = None           # "Quốc hội", "UBND quận Long Biên"
    note: str | None = None

    def cite(self) -> str:
        parts = [p for p in (self.document_number, self.issuer) if p]
        if self.document_date:
            parts.append(self.document_date.strftime("ngày %d/%m/%Y"))
        return ", ".join(parts) if parts else (self.note or "")


@dataclass(slots=True)
class LineageEvent:
    id: int
    kind: EventKind
    effective_date: dt.date
    basis: LegalBasis = field(default_factory=LegalBasis)
    predecessors: list[int] = field(default_factory=list)  # unit ids before
    successors: list[int] = field(default_factory=list)    # unit ids after
