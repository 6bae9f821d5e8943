"""Workload: the titles, coordination duties and delegated acts each person carries on a date in a unit
and below; flags people holding several titles (kiêm nhiệm) and civil servants covering several jobs
(article 001: under the urban-government pilot "one civil servant must take on many jobs").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from tinhgon.coordination import delegation as deleg
from tinhgon.coordination.governance import bodies_of
from tinhgon.coordination.model import load_catalogue
from tinhgon.coordination.service import list_rules, party_title, signings_of, title_names
from tinhgon.domain.people import TitleGroup
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

DEFAULT_MIN_TITLES = 2


@dataclass(slots=True)
class HeldTitle:
    title_code: str
    title_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    concurrent: bool
    group: str


@dataclass(slots=True)
class PersonLoad:
    person_id: int
    full_name: str
    titles: list[HeldTitle] = field(default_factory=list)
    duties: list[tuple[str, str]] = field(default_factory=list)       # (rule code, duty text)
    delegated: list[tuple[int, str]] = field(default_factory=list)    # (delegation id, act name)
    flags: list[str] = field(default_factory=list)

    @property
    def jobs(self) -> int:
        """Titles plus the delegations received: each is a job the person answers for."""
        return len(self.titles) + len({d for d, _ in self.delegated})

    @property
    def civil_servant(self) -> bool:
        return any(t.group == TitleGroup.COMMUNE_OFFICIAL.value for t in self.titles)


@dataclass(slots=True)
class Workload:
    scope: Unit
    on: dt.date
    min_titles: int
    people: list[PersonLoad]

    @property
    def multi_title(self) -> list[PersonLoad]:
        return [p for p in self.people if len(p.titles) >= self.min_titles]

    @property
    def civil_servants_many_jobs(self) -> list[PersonLoad]:
        return [p for p in self.people if p.civil_servant and p.jobs >= self.min_titles]

    @property
    def holdings(self) -> int:
        return sum(len(p.titles) for p in self.people)


def workload(conn: Connection, scope: Unit, on: dt.date, *, min_titles: int = DEFAULT_MIN_TITLES) -> Workload:
    if min_titles < 2:
        raise BadInput(f"ngưỡng kiêm nhiệm phải từ 2 chức danh: {min_titles}", field="--min-titles")
    units = {u.id: u for u in [scope, *repo.descendants(conn, scope.id, on)]}
    names = title_names(conn)
    groups = {r.code: r.grp for r in conn.execute(select(s.title_type.c.code, s.title_type.c.grp))}
    holdings = repo.holdings_at(conn, on, unit_ids=list(units))
    people = repo.people_by_ids(conn, [h.person_id for h in holdings])
    loads: dict[int, PersonLoad] = {}
    for h in holdings:
        u = units[h.unit_id]
        p = loads.setdefault(h.person_id, PersonLoad(h.person_id, people[h.person_id].full_name))
        p.titles.append(HeldTitle(h.title_code, names.get(h.title_code, h.title_code), u.id, u.code, u.name,
                                  h.concurrent, groups.get(h.title_code, TitleGroup.OTHER.value)))

    # coordination duties: the duties of the version each unit last signed, for the titles signing it
    by_title_unit: dict[tuple[str, int], list[int]] = {}
    for h in holdings:
        by_title_unit.setdefault((h.title_code, h.unit_id), []).append(h.person_id)
    for rule in list_rules(conn):
        versions = {v.version_no: v for v in rule.versions}
        last: dict[int, int] = {}
        for sg in signings_of(conn, rule, list(units), until=on):
            last[sg.unit_id] = max(last.get(sg.unit_id, 0), sg.version_no)
        for unit_id, vno in last.items():
            for party in (rule.party_a, rule.party_b):
                for pid in by_title_unit.get((party_title(party), unit_id), []):
                    loads[pid].duties.extend((rule.code, d) for d in versions[vno].duties)

    # delegated acts that count on the date
    cat = load_catalogue()
    for d in deleg.delegations_of_unit(conn, list(units)):
        if not d.in_period(on):
            continue
        res = deleg.check(conn, d, on)
        if not res.counts:
            continue
        for pid in res.grantee_ids:
            if pid not in loads:
                person = repo.people_by_ids(conn, [pid]).get(pid)
                loads[pid] = PersonLoad(pid, person.full_name if person else str(pid))
            loads[pid].delegated.extend((d.id, cat.acts[a].name_vi if a in cat.acts else a) for a in d.acts)

    # flags
    bodies = {u.id: bodies_of(conn, u, on) for u in units.values() if u.level is Level.COMMUNE}
    head_of = {b.head_title: code for code, b in cat.bodies.items()}
    for p in loads.values():
        if len(p.titles) >= min_titles:
            p.flags.append(f"kiêm nhiệm {len(p.titles)} chức danh")
        if p.civil_servant and p.jobs >= min_titles:
            p.flags.append(f"cán bộ, công chức đảm nhiệm {p.jobs} việc")
        for ht in p.titles:
            body = head_of.get(ht.title_code)
            model = bodies.get(ht.unit_id)
            if body and model is not None and not model.has(body):
                p.flags.append(f"giữ chức danh {ht.title_name} ở {ht.unit_name} trong khi đơn vị không tổ chức "
                               f"{cat.bodies[body].name_vi}")
    ordered = sorted(loads.values(), key=lambda p: (-p.jobs, -len(p.titles), p.person_id))
    return Workload(scope, on, min_titles, ordered)


__all__ = ["DEFAULT_MIN_TITLES", "HeldTitle", "PersonLoad", "Workload", "workload"]
