"""Merger plans: a named proposal that groups units (residential groups of one or more communes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class PlanStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    APPLIED = "applied"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class PlanGroup:
    label: str
    parent_unit_id: int | None
    unit_ids: list[int]
    threshold: int | None = None       # the household standard applied to this group
    households: int = 0
    new_name: str | None = None
    new_code: str | None = None
    id: int | None = None

    @property
    def is_merger(self) -> bool:
        return len(self.unit_ids) > 1


@dataclass(slots=True)
class Plan:
    name: str
    scope_unit_id: int
    at: dt.date
    groups: list[PlanGroup] = field(default_factory=list)
    status: PlanStatus = PlanStatus.DRAFT
    mode: str = "standard"            # "must" | "standard" | "threshold"
    threshold: int | None = None      # when one fixed threshold was given
    params: dict[str, object] = field(default_factory=dict)
    metrics: dict[str, object] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    id: int | None = None
    row_version: int = 1

    def group_of(self) -> dict[int, PlanGroup]:
        return {u: g for g in self.groups for u in g.unit_ids}

    @property
    def mergers(self) -> list[PlanGroup]:
        return [g for g in self.groups if g.is_merger]
