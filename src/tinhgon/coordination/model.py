"""Domain types of the coordination domain and its data catalogue (catalogue.yaml). Pure: no database.

- A coordination rule (quy chế phối hợp) binds two parties, each a title (``to_truong``) or a body
  (``ubnd``). Its text changes by versions: a revision is a new version with its adoption date, and
  the old version stays. Units sign a version; signing a newer version is a re-signing.
- A delegation (ủy quyền) is given by the PERSON who holds a title in a unit; it counts only while
  that person still holds that title there (a new chairman must re-issue it).
- The governance model says which bodies (HĐND, UBND, UBMTTQ, Đảng ủy...) a unit has on a date.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tinhgon.domain.units import Level
from tinhgon.errors import BadInput

CATALOGUE = Path(__file__).resolve().parent / "catalogue.yaml"


class PartyKind(StrEnum):
    TITLE = "title"
    BODY = "body"


class Rating(StrEnum):
    """Overall rating of a yearly evaluation, best first."""

    XUAT_SAC = "xuat_sac"
    TOT = "tot"
    KHA = "kha"
    TRUNG_BINH = "trung_binh"
    YEU = "yeu"

    @property
    def label_vi(self) -> str:
        return RATING_VI[self]


RATING_VI: dict[Rating, str] = {
    Rating.XUAT_SAC: "Xuất sắc",
    Rating.TOT: "Tốt",
    Rating.KHA: "Khá",
    Rating.TRUNG_BINH: "Trung bình",
    Rating.YEU: "Yếu",
}

# Share of the maximum score from which a rating is given when the evaluator does not set one.
# A tinhgon default, not a legal rule: each ward sets its own scale in the rule's text.
RATING_BANDS: tuple[tuple[float, Rating], ...] = (
    (0.90, Rating.XUAT_SAC), (0.80, Rating.TOT), (0.65, Rating.KHA), (0.50, Rating.TRUNG_BINH), (0.0, Rating.YEU),
)


def rating_from_share(share: float) -> Rating:
    for low, rating in RATING_BANDS:
        if share >= low - 1e-9:
            return rating
    return Rating.YEU


def parse_rating(text: str, *, field: str = "--rating") -> Rating:
    t = text.strip().lower()
    for r in Rating:
        if t in (r.value, r.label_vi.lower()):
            return r
    raise BadInput(f"xếp loại không hợp lệ: {text!r} (dùng: {', '.join(r.value for r in Rating)})", field=field)


@dataclass(frozen=True, slots=True)
class Party:
    kind: PartyKind
    code: str  # a title code or a body code


@dataclass(frozen=True, slots=True)
class RuleVersion:
    id: int
    version_no: int
    adopted_on: dt.date
    duties: tuple[str, ...]
    doc_number: str | None = None
    note: str | None = None
    superseded_on: dt.date | None = None  # the next version's adoption date


@dataclass(frozen=True, slots=True)
class CoordinationRule:
    id: int
    code: str
    name: str
    party_a: Party
    party_b: Party
    unit_level: Level
    issuer_unit_id: int | None
    versions: tuple[RuleVersion, ...]

    def version_on(self, on: dt.date) -> RuleVersion | None:
        """The version in force on ``on``: the newest adopted on or before it."""
        found = None
        for v in self.versions:
            if v.adopted_on <= on:
                found = v
        return found

    @property
    def latest(self) -> RuleVersion:
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class Signatory:
    party: str          # "a" | "b"
    title_code: str
    person_id: int


@dataclass(frozen=True, slots=True)
class Signing:
    id: int
    rule_id: int
    version_no: int
    unit_id: int
    signed_on: dt.date
    signatories: tuple[Signatory, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Score:
    criterion: str
    score: float
    max_score: float
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    id: int
    rule_id: int
    unit_id: int
    year: int
    evaluated_on: dt.date
    version_no: int
    rating: Rating
    scores: tuple[Score, ...]
    comment: str | None = None

    @property
    def total(self) -> float:
        return sum(s.score for s in self.scores)

    @property
    def max_total(self) -> float:
        return sum(s.max_score for s in self.scores)


@dataclass(frozen=True, slots=True)
class Act:
    code: str
    name_vi: str
    level: Level
    original_power: tuple[str, ...]
    grantors: tuple[str, ...]
    delegable_to: tuple[str, ...]
    delegation_condition: str | None
    basis: str
    tag: str


@dataclass(frozen=True, slots=True)
class BodyInfo:
    code: str
    name_vi: str
    head_title: str


@dataclass(frozen=True, slots=True)
class PilotSpec:
    source: str
    province_code: str
    district_kinds: tuple[str, ...]
    district_names: tuple[str, ...]
    commune_kinds: tuple[str, ...]
    body: str
    valid_from: dt.date
    valid_to: dt.date | None
    doc_number: str
    issuer: str
    tag: str
    note: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    bodies: dict[str, BodyInfo]
    default_bodies: dict[Level, tuple[str, ...]]
    pilot: PilotSpec
    acts: dict[str, Act]
    extra_titles: dict[str, str] = field(default_factory=dict)

    def act(self, code: str, *, field: str = "--act") -> Act:
        a = self.acts.get(code.strip())
        if a is None:
            raise BadInput(f"việc không có trong danh mục: {code!r} (có: {', '.join(sorted(self.acts))})", field=field)
        return a

    def body(self, code: str, *, field: str = "--body") -> BodyInfo:
        b = self.bodies.get(code.strip())
        if b is None:
            raise BadInput(f"cơ quan không có trong danh mục: {code!r} (có: {', '.join(self.bodies)})", field=field)
        return b


def _date(v: Any, where: str, path: Path) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError as exc:
        raise BadInput(f"{where}: ngày không hợp lệ {v!r}", file=str(path)) from exc


def catalogue_path() -> Path:
    return Path(os.environ.get("TINHGON_COORDINATION_CATALOGUE") or CATALOGUE)


def load_catalogue(path: Path | None = None) -> Catalogue:
    return _load(path or catalogue_path())


@cache
def _load(path: Path) -> Catalogue:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"danh mục điều phối không đọc được: {exc}", file=str(path)) from exc
    try:
        bodies = {code: BodyInfo(code, b["name_vi"], b["head_title"]) for code, b in data["bodies"].items()}
        defaults = {Level(k): tuple(v) for k, v in data["default_bodies"].items()}
        for lv, codes in defaults.items():
            for c in codes:
                if c not in bodies:
                    raise BadInput(f"default_bodies.{lv.value}: cơ quan {c!r} không có trong bodies", file=str(path))
        p = data["hanoi_urban_pilot"]
        pilot = PilotSpec(
            source=p["source"], province_code=str(p["province_code"]), district_kinds=tuple(p["district_kinds"]),
            district_names=tuple(p.get("district_names", ())), commune_kinds=tuple(p["commune_kinds"]),
            body=p["body"], valid_from=_date(p["valid_from"], "hanoi_urban_pilot.valid_from", path) or dt.date.min,
            valid_to=_date(p.get("valid_to"), "hanoi_urban_pilot.valid_to", path),
            doc_number=p["doc_number"], issuer=p["issuer"], tag=p["tag"], note=" ".join(str(p["note"]).split()))
        acts: dict[str, Act] = {}
        for i, a in enumerate(data["acts"]):
            try:
                acts[a["code"]] = Act(
                    code=a["code"], name_vi=a["name_vi"], level=Level(a["level"]),
                    original_power=tuple(a["original_power"]), grantors=tuple(a.get("grantors", ())),
                    delegable_to=tuple(a.get("delegable_to", ())),
                    delegation_condition=a.get("delegation_condition"), basis=a["basis"], tag=a["tag"])
            except (KeyError, ValueError, TypeError) as exc:
                raise BadInput(f"acts[{i}]: {exc}", file=str(path)) from exc
        extra = {str(k): str(v) for k, v in (data.get("extra_titles") or {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(f"danh mục điều phối sai cấu trúc: {exc}", file=str(path)) from exc
    return Catalogue(bodies=bodies, default_bodies=defaults, pilot=pilot, acts=acts, extra_titles=extra)


# --- delegations and who may act -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Delegation:
    id: int
    grantor_title: str
    grantor_unit_id: int
    grantor_person_id: int
    grantee_person_id: int | None
    grantee_title: str | None
    grantee_unit_id: int | None
    acts: tuple[str, ...]
    valid_from: dt.date
    valid_to: dt.date | None
    planned_to: dt.date | None
    doc_number: str | None = None
    doc_date: dt.date | None = None
    issuer: str | None = None
    note: str | None = None
    revoked_on: dt.date | None = None
    revoke_doc: str | None = None
    revoke_reason: str | None = None

    def in_period(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    @property
    def last_day(self) -> dt.date | None:
        return self.valid_to - dt.timedelta(days=1) if self.valid_to else None


@dataclass(frozen=True, slots=True)
class Performer:
    """One person who may perform an act on a date, and why."""

    person_id: int
    full_name: str
    basis: str                  # "original" | "delegation"
    title_code: str | None      # the title giving the power, or the grantee title
    delegation_id: int | None = None
    delegation_until: dt.date | None = None  # last day the delegation covers
    expiring: bool = False


@dataclass(frozen=True, slots=True)
class LapsedDelegation:
    """A delegation in its period on the date that does not count, and why (shown, never hidden)."""

    delegation_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class WhoMay:
    unit_id: int
    unit_code: str
    unit_name: str
    act: Act
    on: dt.date
    performers: tuple[Performer, ...]
    lapsed: tuple[LapsedDelegation, ...]


# --- governance model ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BodyState:
    code: str
    name_vi: str
    present: bool
    source: str                 # "default" or the source of the dated row
    doc_number: str | None = None
    tag: str | None = None
    note: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class GovernanceModel:
    unit_id: int
    unit_code: str
    unit_name: str
    on: dt.date
    bodies: tuple[BodyState, ...]

    def has(self, body: str) -> bool:
        return any(b.code == body and b.present for b in self.bodies)

    @property
    def has_council(self) -> bool:
        return self.has("hdnd")

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(b.code for b in self.bodies if b.present)
