"""Households, people, title types and title holdings (personal data: keep out of logs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from tinhgon.domain.units import Level, in_force


class Gender(StrEnum):
    MALE = "nam"
    FEMALE = "nu"


@dataclass(slots=True)
class Household:
    id: int
    code: str
    unit_id: int                 # the residential group it lives in (as of the record's dates)
    address: str | None = None
    members: int = 1
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass(slots=True)
class Person:
    id: int
    full_name: str
    birth_date: dt.date | None = None
    gender: Gender | None = None
    party_member: bool = False
    household_id: int | None = None
    is_head: bool = False
    phone: str | None = None

    def __repr__(self) -> str:  # never print personal data by accident
        return f"Person(id={self.id})"

    def age_on(self, on: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class TitleGroup(StrEnum):
    """Which part-time establishment a title belongs to."""

    GROUP_PART_TIME = "group_part_time"      # one of the ≤ 3 titles at thôn / tổ dân phố
    COMMUNE_PART_TIME = "commune_part_time"  # người hoạt động không chuyên trách cấp xã
    COMMUNE_OFFICIAL = "commune_official"    # cán bộ, công chức cấp xã (not part-time)
    OTHER = "other"                          # e.g. tổ phó: supported, not an allowance title


@dataclass(slots=True, frozen=True)
class TitleType:
    code: str
    name_vi: str
    name_en: str
    level: Level
    group: TitleGroup
    requires_party_member: bool = False
    sort_order: int = 0


@dataclass(slots=True)
class TitleHolding:
    id: int
    person_id: int
    title_code: str
    unit_id: int
    concurrent: bool = False      # False: the person's main title; True: held concurrently (kiêm nhiệm)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    decision: str | None = None   # appointment / election decision number

    def in_force(self, on: dt.date) -> bool:
        return in_force(self.valid_from, self.valid_to, on)
