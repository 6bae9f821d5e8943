"""Who holds which title: an assignment problem solved with OR-Tools CP-SAT.

Variables x[p, s, t] say person p holds title t in scope s (a new group or a commune). Hard rules:
a title has at most one holder; only eligible people are considered; a person holds titles in one
group at most, and at most two titles in one scope; a commune keeps within its quota of people;
officials' pins are fixed. The objective, by weight: fill as many titles as possible, then form the
concurrent pairs the rule pack encourages (only where units merge), then keep people in the titles they
hold (same title, else another title of theirs, else another role; moving into the first title of an
encouraged pair, the party-cell secretary, costs twice as much), then smaller person ids (ties).
One worker and a fixed seed make the answer the same on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from tinhgon.errors import BadInput, Failure
from tinhgon.staffing.model import Candidate, Pin, Reason, ScopeProblem

W_FILL = 1_000_000_000
W_PAIR = 10_000_000
W_OTHER_TITLE = 100_000
W_OTHER_ROLE = 200_000
W_OUTSIDER = 400_000      # a pinned person who held nothing in the scope


@dataclass(slots=True, frozen=True)
class Assigned:
    scope_key: str
    title: str
    person_id: int | None
    concurrent: bool
    reason: Reason
    pinned: bool
    vacancy_detail: str = ""


def _cost(c: Candidate, title: str, allowance_titles: set[str], leads: set[str]) -> tuple[int, Reason]:
    if title in c.held:
        return 0, Reason.SAME_TITLE
    if any(t in allowance_titles for t in c.held):
        # the first title of an encouraged pair (the party-cell secretary, elected by the cell) takes the
        # second one concurrently, rather than the other way round: moving into it costs twice as much
        return W_OTHER_TITLE * (2 if title in leads else 1), Reason.OTHER_TITLE
    if c.held:
        return W_OTHER_ROLE, Reason.OTHER_ROLE
    return W_OUTSIDER, Reason.PINNED


def solve(problems: Sequence[ScopeProblem], pins: Sequence[Pin], *, allowance_titles: set[str],
          time_limit: float = 60.0) -> list[Assigned]:
    """Assign people to titles in every scope; a title nobody eligible can take stays vacant."""
    by_key = {p.key: p for p in problems}
    pinned: dict[tuple[str, str], int] = {}
    for pin in pins:
        slot = pin.slot
        if slot[0] not in by_key:
            raise BadInput(f"ghim {slot[0]}:{slot[1]}: không có tổ/đơn vị này trong phương án", field="--pin")
        prob = by_key[slot[0]]
        if slot[1] not in prob.titles:
            raise BadInput(f"ghim {slot[0]}:{slot[1]}: chức danh không thuộc tổ/đơn vị này", field="--pin")
        if slot in pinned and pinned[slot] != pin.person_id:
            raise BadInput(f"ghim {slot[0]}:{slot[1]}: hai người cùng được ghim vào một chức danh", field="--pin")
        cand = next((c for c in prob.candidates if c.person_id == pin.person_id), None)
        if cand is None:
            raise BadInput(f"ghim {slot[0]}:{slot[1]}: người được ghim không có trong danh sách ứng viên",
                           field="--pin")
        if not cand.eligible(slot[1]):
            why = "; ".join(cand.ineligible[slot[1]])
            raise BadInput(f"ghim {slot[0]}:{slot[1]}: người được ghim không đủ điều kiện ({why})", field="--pin")
        pinned[slot] = pin.person_id

    ids = sorted({c.person_id for p in problems for c in p.candidates})
    rank = {pid: i for i, pid in enumerate(ids)}
    out: list[Assigned] = []
    for part in _components(problems):
        keys = {p.key for p in part}
        mine = {slot: pid for slot, pid in pinned.items() if slot[0] in keys}
        out.extend(_solve_part(part, mine, rank, allowance_titles, time_limit))
    order = {p.key: i for i, p in enumerate(problems)}
    out.sort(key=lambda a: order[a.scope_key])
    return out


def _components(problems: Sequence[ScopeProblem]) -> list[list[ScopeProblem]]:
    """Groups that share no candidate are independent (communes always are): solve them apart, faster."""
    parent = list(range(len(problems)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_group_of: dict[int, int] = {}
    for i, prob in enumerate(problems):
        if prob.scope.value != "group":
            continue
        for c in prob.candidates:
            j = first_group_of.setdefault(c.person_id, i)
            parent[find(i)] = find(j)
    parts: dict[int, list[ScopeProblem]] = {}
    for i, prob in enumerate(problems):
        parts.setdefault(find(i), []).append(prob)
    return list(parts.values())


def _solve_part(problems: Sequence[ScopeProblem], pinned: dict[tuple[str, str], int], rank: dict[int, int],
                allowance_titles: set[str], time_limit: float) -> list[Assigned]:
    model = cp_model.CpModel()
    x: dict[tuple[int, str, str], cp_model.IntVar] = {}
    used: dict[tuple[int, str], cp_model.IntVar] = {}
    terms: list[cp_model.LinearExprT] = []
    reasons: dict[tuple[int, str, str], Reason] = {}
    group_use: dict[int, list[cp_model.IntVar]] = {}

    for prob in problems:
        leads = {a for a, _b in prob.encouraged_pairs}
        for c in sorted(prob.candidates, key=lambda c: c.person_id):
            mine = []
            for t in prob.titles:
                if not c.eligible(t):
                    continue
                v = model.new_bool_var(f"x_{c.person_id}_{prob.key}_{t}")
                x[(c.person_id, prob.key, t)] = v
                cost, why = _cost(c, t, allowance_titles, leads)
                reasons[(c.person_id, prob.key, t)] = why
                terms.append((W_FILL - cost - rank[c.person_id]) * v)
                mine.append(v)
            if not mine:
                continue
            u = model.new_bool_var(f"u_{c.person_id}_{prob.key}")
            used[(c.person_id, prob.key)] = u
            for v in mine:
                model.add_implication(v, u)
            model.add(sum(mine) <= prob.max_titles_per_person)
            model.add(u <= sum(mine))
            if prob.scope.value == "group":
                group_use.setdefault(c.person_id, []).append(u)
            if prob.merger:
                for a, b in prob.encouraged_pairs:
                    va, vb = x.get((c.person_id, prob.key, a)), x.get((c.person_id, prob.key, b))
                    if va is None or vb is None:
                        continue
                    w = model.new_bool_var(f"w_{c.person_id}_{prob.key}_{a}_{b}")
                    model.add_implication(w, va)
                    model.add_implication(w, vb)
                    terms.append(W_PAIR * w)
        for t in prob.titles:
            holders = [x[k] for k in ((c.person_id, prob.key, t) for c in prob.candidates) if k in x]
            if holders:
                model.add_at_most_one(holders)
        if prob.max_people is not None:
            people = [u for (pid, key), u in used.items() if key == prob.key]
            if people:
                model.add(sum(people) <= prob.max_people)

    for uses in group_use.values():  # titles in one group at most
        if len(uses) > 1:
            model.add_at_most_one(uses)
    for (key, title), pid in pinned.items():
        model.add(x[(pid, key, title)] == 1)

    model.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        raise BadInput("các lựa chọn được ghim mâu thuẫn nhau (một người ở hai tổ, quá hai chức danh hoặc vượt "
                       "định mức); hãy bỏ bớt ghim", field="--pin")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise Failure(f"bộ giải không tìm được phương án bố trí ({solver.status_name(status)})")

    out: list[Assigned] = []
    for prob in problems:
        holder: dict[str, int] = {}
        for t in prob.titles:
            for c in prob.candidates:
                var = x.get((c.person_id, prob.key, t))
                if var is not None and solver.value(var):
                    holder[t] = c.person_id
        titles_of: dict[int, list[str]] = {}
        for t in prob.titles:  # prob.titles is in sort order: the first title a person gets is the main one
            if t in holder:
                titles_of.setdefault(holder[t], []).append(t)
        pairs = {frozenset(p) for p in prob.encouraged_pairs}
        for t in prob.titles:
            who = holder.get(t)
            if who is None:
                out.append(Assigned(prob.key, t, None, False, *_vacancy(prob, t, holder)))
                continue
            theirs = titles_of[who]
            concurrent = theirs.index(t) > 0
            is_pin = pinned.get((prob.key, t)) == who
            why = reasons[(who, prob.key, t)]
            if is_pin:
                why = Reason.PINNED
            elif concurrent and why != Reason.SAME_TITLE and frozenset(theirs) in pairs:
                why = Reason.CONCURRENT_ENCOURAGED
            out.append(Assigned(prob.key, t, who, concurrent, why, is_pin))
    return out


def _vacancy(prob: ScopeProblem, title: str, holder: dict[str, int]) -> tuple[Reason, bool, str]:
    eligible = [c for c in prob.candidates if c.eligible(title)]
    if eligible:
        return Reason.VACANT_TAKEN, False, f"{len(eligible)} người đủ điều kiện đã được bố trí hoặc vượt định mức"
    counts: dict[str, int] = {}
    for c in prob.candidates:
        for why in c.ineligible.get(title, []):
            counts[why] = counts.get(why, 0) + 1
    if not prob.candidates:
        detail = "không có ai đang giữ chức danh ở các đơn vị cũ"
    else:
        detail = "; ".join(f"{n} người {why}" for why, n in sorted(counts.items()))
    return Reason.VACANT_NO_ELIGIBLE, False, detail
