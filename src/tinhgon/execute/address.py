"""Old-to-new address conversion through the registry's lineage.

The registry is read once into memory (every unit version and every lineage link: two queries), then
an index of names per level is built for each date asked (cached). An address is parsed from its
right end: province → district → commune, each level optional, each name accent-insensitive and
preceded or not by its kind ("Phường", "P.", "F.", "Q.", "TP."...). The commune found is a unit id
valid on the address's date; its successors are followed to the target date. A split commune gives
all its successors as candidates unless the residential group named in the street part decides it.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from tinhgon.execute.normalize import (
    GROUP_WORDS,
    KIND_WORDS,
    PROVINCE_ALIASES,
    TRAILING_JUNK,
    Tokens,
    group_rest,
    name_words,
    strip_kind,
    tokenize,
)
from tinhgon.registry import schema as s

LEGACY_DAY = dt.date(2025, 6, 30)  # an address without a date is read as written before the 2025 reform


class Version(NamedTuple):
    unit_id: int
    version_id: int
    level: str
    code: str
    name: str
    kind: str
    parent_id: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None

    def in_force(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)


class Link(NamedTuple):
    to_id: int
    partial: bool
    primary: bool
    effective: dt.date


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Building the snapshot, its indexes and a batch makes many objects and no garbage cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Snapshot:
    """Every unit version and lineage link of the registry, in memory."""

    def __init__(self, versions: Iterable[Version], links: Iterable[tuple[int, Link]]) -> None:
        self.versions: dict[int, list[Version]] = defaultdict(list)
        for v in versions:
            self.versions[v.unit_id].append(v)
        for lst in self.versions.values():
            lst.sort(key=lambda v: v.valid_from or dt.date.min)
        self.successors: dict[int, list[Link]] = defaultdict(list)
        for from_id, link in links:
            self.successors[from_id].append(link)
        self._indexes: dict[dt.date, DateIndex] = {}

    @classmethod
    def load(cls, conn: Connection) -> Snapshot:
        with _no_cycle_collection():
            return cls._load(conn)

    @classmethod
    def _load(cls, conn: Connection) -> Snapshot:
        UV, L, E = s.unit_version, s.lineage_link, s.lineage_event
        # the kind a name is written with wins over the stored kind (a few source rows disagree with their name)
        versions = [Version(uid, vid, level, code, name, _kind_of(name, kind, level), parent, vf, vt)
                    for uid, vid, level, code, name, kind, parent, vf, vt in conn.execute(
                        select(UV.c.unit_id, UV.c.id, UV.c.level, UV.c.code, UV.c.name, UV.c.kind,
                               UV.c.parent_id, UV.c.valid_from, UV.c.valid_to))]
        links = [(int(r.from_unit_id), Link(int(r.to_unit_id), bool(r.partial), bool(r.primary_successor),
                                            r.effective_date))
                 for r in conn.execute(
                     select(L.c.from_unit_id, L.c.to_unit_id, L.c.partial, L.c.primary_successor, E.c.effective_date)
                     .join(E, E.c.id == L.c.event_id)
                     .where(L.c.from_unit_id.is_not(None), L.c.to_unit_id.is_not(None),
                            L.c.from_unit_id != L.c.to_unit_id))]
        return cls(versions, links)

    def at(self, uid: int, on: dt.date) -> Version | None:
        idx = self._indexes.get(on)
        if idx is not None:
            return idx.version.get(uid)
        for v in self.versions.get(uid, ()):
            if v.in_force(on):
                return v
        return None

    def ancestor(self, uid: int, on: dt.date, level: str) -> Version | None:
        v = self.at(uid, on)
        seen = set()
        while v is not None and v.level != level and v.parent_id is not None and v.unit_id not in seen:
            seen.add(v.unit_id)
            v = self.at(v.parent_id, on)
        return v if v is not None and v.level == level else None

    def index(self, on: dt.date) -> DateIndex:
        idx = self._indexes.get(on)
        if idx is None:
            with _no_cycle_collection():
                idx = self._indexes[on] = DateIndex(self, on)
        return idx

    def follow(self, uid: int, since: dt.date, until: dt.date) -> list[tuple[int, bool]]:
        """Units in force on UNTIL that UID (in force on SINCE) became: (unit id, primary along the way)."""
        out: dict[int, bool] = {}
        stack: list[tuple[int, dt.date, bool, int]] = [(uid, since, True, 0)]
        while stack:
            cur, day, primary, depth = stack.pop()
            if self.at(cur, until) is not None:
                out[cur] = out.get(cur, False) or primary
                continue
            if depth > 50:
                continue
            for ln in self.successors.get(cur, ()):
                if day < ln.effective <= until:
                    stack.append((ln.to_id, ln.effective, primary and (ln.primary or not ln.partial), depth + 1))
        return sorted(out.items())


_NAME_KINDS = {"Thành phố": "thanh_pho_tinh", "Thị xã": "thi_xa", "Thị trấn": "thi_tran", "Đặc khu": "dac_khu",
               "Tỉnh": "tinh", "Quận": "quan", "Huyện": "huyen", "Phường": "phuong", "Xã": "xa"}


def _kind_of(name: str, stored: str, level: str) -> str:
    """The kind a name is written with ('Phường 5' is a phường whatever the source says)."""
    if level == "residential_group":
        return stored
    parts = name.split(" ", 2)
    k = _NAME_KINDS.get(" ".join(parts[:2])) or _NAME_KINDS.get(parts[0])
    if k is None or (k == "thanh_pho_tinh" and stored == "thanh_pho_tw"):
        return stored
    return k


class DateIndex:
    """Names of the units in force on one date, by level and by the units they lie in."""

    def __init__(self, snap: Snapshot, on: dt.date) -> None:
        self.on = on
        self.provinces: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self.districts_in: dict[int | None, dict[tuple[str, ...], list[int]]] = defaultdict(lambda: defaultdict(list))
        self.communes_in: dict[int | None, dict[tuple[str, ...], list[int]]] = defaultdict(lambda: defaultdict(list))
        self.groups_in: dict[int, dict[tuple[str, ...], list[int]]] = defaultdict(lambda: defaultdict(list))
        self._accented: dict[int, tuple[str, ...]] = {}
        self.kind: dict[int, str] = {}
        self.version: dict[int, Version] = {}
        current = {uid: v for uid, vs in snap.versions.items() for v in vs if v.in_force(on)}
        self.version = current
        self.kind = {uid: v.kind for uid, v in current.items()}

        def ancestors(v: Version) -> list[int]:
            out = []
            seen = {v.unit_id}
            p = v.parent_id
            while p is not None and p not in seen and p in current:
                out.append(p)
                seen.add(p)
                p = current[p].parent_id
            return out

        group_numbers: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for uid, v in current.items():
            if v.level == "residential_group":
                if v.parent_id is not None:
                    rest = group_rest(v.name)
                    self.groups_in[v.parent_id][rest].append(uid)
                    if rest and rest[0].isdigit():
                        group_numbers[v.parent_id][rest[0]].append(uid)
                continue
            folded = tuple(f for f in tokenize(strip_kind(v.name)).f if f != ",")
            if v.level == "province":
                self.provinces[folded].append(uid)
            elif v.level == "district":
                self.districts_in[None][folded].append(uid)
                for a in ancestors(v):
                    self.districts_in[a][folded].append(uid)
            elif v.level == "commune":
                self.communes_in[None][folded].append(uid)
                for a in ancestors(v):
                    self.communes_in[a][folded].append(uid)
        # "tổ 3" names "Tổ dân phố số 3 Ngọc Thụy" when it is the only group numbered 3 in its commune
        for parent, nums in group_numbers.items():
            for num, uids in nums.items():
                if len(uids) == 1 and (num,) not in self.groups_in[parent]:
                    self.groups_in[parent][(num,)].append(uids[0])
        for alias, official in PROVINCE_ALIASES.items():
            if official in self.provinces and alias not in self.provinces:
                self.provinces[alias] = list(self.provinces[official])
        # first and last words of every name: most spans are refused without building a key
        names = [*self.provinces, *self.districts_in[None], *self.communes_in[None]]
        self.first_words = frozenset(k[0] for k in names if k)
        self.last_words = frozenset(k[-1] for k in names if k)
        lengths: dict[str, set[int]] = defaultdict(set)
        for k in names:
            if k:
                lengths[k[-1]].add(len(k))
        self.lengths_by_last = {w: tuple(sorted(ns, reverse=True)) for w, ns in lengths.items()}
        self.maxlen = max((len(k) for k in names), default=1)

    def accented(self, uid: int) -> tuple[str, ...]:
        """Accented keys of a unit's name, worked out when a tie must be broken."""
        hit = self._accented.get(uid)
        if hit is None:
            hit = self._accented[uid] = name_words(strip_kind(self.version[uid].name))[1]
        return hit


# --- parsing ----------------------------------------------------------------------------------------

# a match: (unit id, first token with its kind word, score)
_Match = tuple[int, int, float]


def _kind_prefix(f: list[str], s: int) -> tuple[frozenset[str] | None, int]:
    if s >= 2:
        kinds = KIND_WORDS.get((f[s - 2], f[s - 1]))
        if kinds is not None:
            return kinds, s - 2
    if s >= 1:
        kinds = KIND_WORDS.get((f[s - 1],))
        if kinds is not None:
            return kinds, s - 1
    return None, s


def _matches(tx: Tokens, end: int, table: dict[tuple[str, ...], list[int]], idx: DateIndex) -> list[_Match]:
    f = tx.f
    e = end
    while e > 0 and f[e - 1] == ",":
        e -= 1
    if e == 0:
        return []
    lens = idx.lengths_by_last.get(f[e - 1])
    if lens is None:
        return []
    first = idx.first_words
    last = idx.last_words
    out: list[_Match] = []
    assert tx.runs is not None
    run = tx.runs[e]
    for n in lens:
        if n > run or f[e - n] not in first:
            continue
        key = tuple(f[e - n:e])
        uids = table.get(key)
        if not uids:
            continue
        if len(uids) > 1 and tx.accents:
            acc = tuple(tx.accented(i) for i in range(e - n, e))
            exact = [u for u in uids if idx.accented(u) == acc]
            if exact:
                uids = exact
        s0 = e - n
        kinds, ps = _kind_prefix(f, s0)
        boundary = s0 == 0 or f[s0 - 1] == ","
        numeric = key[0].isdigit() and all(k.isdigit() for k in key)
        for uid in uids:
            kind = idx.kind[uid]
            if kinds is not None and kind in kinds:
                out.append((uid, ps, 3 + 0.1 * n))
                # the kind word may also end the name before ("... Thành phố Hà Tĩnh Tỉnh Hà Tĩnh", no commas)
                if not numeric and s0 > 0 and f[s0 - 1] in last:
                    out.append((uid, s0, 0.1 * n))
            else:
                if numeric:  # "5" alone is a house number; "Phường 5" needs its kind word
                    continue
                score = (1 if boundary else 0) + 0.1 * n
                if kinds is not None and not (ps > 0 and f[ps - 1] != "," and f[s0 - 1] in last):
                    # a kind word that does not fit (and cannot end the name before: "Xã Tứ Xã Phú Thọ"):
                    # worse than leaving the level out
                    score -= 12
                out.append((uid, s0, score))
    return out


@dataclass(slots=True)
class Parsed:
    commune: int | None
    district: int | None
    province: int | None
    start: int                       # first token of the commune part (kind word included)
    score: float
    group: int | None = None
    group_span: tuple[int, int] | None = None
    ties: list[int] = field(default_factory=list)  # other communes that fit as well (ambiguous)


def _strip_junk(tokens: Tokens) -> int:
    f = tokens.f
    end = len(f)
    changed = True
    while changed:
        changed = False
        while end > 0 and (f[end - 1] == "," or (len(f[end - 1]) >= 5 and f[end - 1].isdigit())):
            end -= 1
            changed = True
        for junk in TRAILING_JUNK:
            n = len(junk)
            if end >= n and f[end - 1] == junk[-1] and tuple(f[end - n:end]) == junk:
                end -= n
                changed = True
    return end


def parse(tokens: Tokens, idx: DateIndex) -> Parsed | None:
    end = _strip_junk(tokens)
    if end == 0:
        return None
    tx = tokens
    if tx.runs is None:
        runs = [0]
        for w in tx.f:  # runs[e]: words since the last separator before position e
            runs.append(0 if w == "," else runs[-1] + 1)
        tx.runs = runs
    best: dict[int, tuple[float, int | None, int | None, int]] = {}
    top = float("-inf")
    level_max = 13 + 0.1 * idx.maxlen   # the most one level can add
    prov_opts: list[_Match | None] = list(_matches(tx, end, idx.provinces, idx))
    if len(prov_opts) > 1:
        prov_opts.sort(key=lambda m: -m[2])  # type: ignore[index]
    prov_opts.append(None)
    districts_in, communes_in = idx.districts_in, idx.communes_in
    empty: dict[tuple[str, ...], list[int]] = {}
    for pm in prov_opts:
        if pm is None:
            ps, e1, pid = 0.0, end, None
        else:
            ps, e1, pid = 10 + pm[2], pm[1], pm[0]
        if ps + 2 * level_max < top:
            continue  # this branch cannot beat what was found (ties are kept: they mean ambiguity)
        dopts: list[_Match | None] = list(_matches(tx, e1, districts_in.get(pid, empty), idx))
        if len(dopts) > 1:
            dopts.sort(key=lambda m: -m[2])  # type: ignore[index]
        dopts.append(None)
        for dm in dopts:
            if dm is None:
                ds, e2, did = 0.0, e1, None
                scope = pid
            else:
                ds, e2, did = 10 + dm[2], dm[1], dm[0]
                scope = did
            if ps + ds + level_max < top:
                continue
            for cuid, cstart, cscore in _matches(tx, e2, communes_in.get(scope, empty), idx):
                if scope is None and cscore < 1:
                    continue  # a name found anywhere in the country must at least stand on its own
                total = ps + ds + 10 + cscore
                prev = best.get(cuid)
                if prev is None or total > prev[0]:
                    best[cuid] = (total, did, pid, cstart)
                    if total > top:
                        top = total
    if not best:
        return None
    winners = sorted(uid for uid, v in best.items() if v[0] >= top - 1e-9)
    uid = winners[0]
    total, did, pid, start = best[uid]
    out = Parsed(commune=uid, district=did, province=pid, start=start, score=total, ties=winners[1:])
    if not out.ties:
        _find_group(tokens, out, idx)
    return out


def _find_group(tokens: Tokens, parsed: Parsed, idx: DateIndex) -> None:
    assert parsed.commune is not None
    groups = idx.groups_in.get(parsed.commune)
    if not groups:
        return
    f = tokens.f
    limit = parsed.start
    for i in range(limit - 1, -1, -1):
        for gw in GROUP_WORDS:
            n = len(gw)
            if i + n > limit or f[i] != gw[0] or tuple(f[i:i + n]) != gw:
                continue
            j = i + n
            if j < limit and f[j] == "so":
                j += 1
            stop = j
            while stop < limit and f[stop] != ",":
                stop += 1
            for k in range(stop, j, -1):
                found = groups.get(tuple(f[j:k]))
                if found and len(found) == 1:
                    parsed.group = found[0]
                    parsed.group_span = (i, k)
                    return
            break


# --- conversion -------------------------------------------------------------------------------------

class _LazyOld(Mapping[str, Any]):
    """The old units of a conversion, described only when someone reads them (batch output does not)."""

    __slots__ = ("_conv", "_data", "_day", "_uid")

    def __init__(self, conv: Converter, uid: int | None, day: dt.date) -> None:
        self._conv, self._uid, self._day = conv, uid, day
        self._data: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._conv._describe(self._uid, self._day)
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


@dataclass(slots=True)
class Candidate:
    code: str
    name: str
    province_code: str | None
    default: bool
    address: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "province_code": self.province_code,
                "default": self.default, "address": self.address}


@dataclass(slots=True)
class Conversion:
    address: str
    at: dt.date
    to: dt.date
    status: str                      # converted | unchanged | split_candidates | not_found | ambiguous
    new_address: str = ""
    new_commune_code: str = ""
    new_province_code: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    old: Mapping[str, Any] = field(default_factory=dict)
    group: dict[str, Any] | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address, "at": self.at.isoformat(), "to": self.to.isoformat(), "status": self.status,
            "new_address": self.new_address, "new_commune_code": self.new_commune_code,
            "new_province_code": self.new_province_code,
            "candidates": [c.as_dict() for c in self.candidates], "old": dict(self.old), "group": self.group,
            "note": self.note,
        }


# what a commune alone gives: status, new code, province code, chains of names, candidates (code, name, province,
# default)
_Outcome = tuple[str, str, str, list[str], list[tuple[str, str, str, bool]]]


class Converter:
    """Converts addresses with one registry snapshot; results are cached per (text, date)."""

    def __init__(self, snap: Snapshot, to: dt.date | None = None) -> None:
        self.snap = snap
        self.to = to or dt.date.today()
        self._cache: dict[tuple[str, dt.date | None], Conversion] = {}
        self._follow: dict[tuple[int, dt.date], list[tuple[int, bool]]] = {}
        self._prov: dict[int, str] = {}
        self._described: dict[tuple[int | None, dt.date], dict[str, Any]] = {}
        self._suffix: dict[int, str] = {}
        self._outcomes: dict[tuple[int, dt.date], _Outcome] = {}

    @classmethod
    def from_connection(cls, conn: Connection, to: dt.date | None = None) -> Converter:
        return cls(Snapshot.load(conn), to)

    def convert(self, address: str, at: dt.date | None = None) -> Conversion:
        key = (address, at)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._convert(address, at)
            self._cache[key] = hit
        return hit

    def _convert(self, address: str, at: dt.date | None) -> Conversion:
        tokens = tokenize(address)
        address = tokens.text  # in NFC: the offsets refer to it
        day = at or LEGACY_DAY
        parsed = parse(tokens, self.snap.index(day))
        if at is None and self.to != day and (parsed is None or parsed.score < 2 * 13):
            # no date given and the legacy reading is weak: maybe it is already written the new way
            alt = parse(tokens, self.snap.index(self.to))
            if alt is not None and not alt.ties and (parsed is None or alt.score > parsed.score):
                parsed, day = alt, self.to
        if parsed is None:
            return Conversion(address, day, self.to, "not_found",
                              note="không nhận ra đơn vị cấp xã trong địa chỉ")
        idx = self.snap.index(day)
        old: Mapping[str, Any] = _LazyOld(self, parsed.commune, day)
        assert parsed.commune is not None
        if parsed.ties:
            return Conversion(address, day, self.to, "ambiguous",
                              old={**old, "matches": [self._describe(u, day) for u in [parsed.commune, *parsed.ties]]},
                              note="địa chỉ khớp nhiều đơn vị cấp xã: "
                                   + "; ".join(self._label(u, day) for u in [parsed.commune, *parsed.ties]))
        assert parsed.commune is not None
        street = self._street(address, tokens, parsed)
        if parsed.group is None:
            return self._simple(address, day, parsed.commune, street, old)
        communes = self._follow_cached(parsed.commune, day)
        group_new: list[tuple[int, bool]] = []
        group_info: dict[str, Any] | None = None
        if parsed.group is not None:
            gv = idx.version[parsed.group]
            group_new = self.snap.follow(parsed.group, day, self.to)
            group_info = {"code": gv.code, "name": gv.name,
                          "new": [{"code": v.code, "name": v.name} for v in
                                  (self.snap.at(u, self.to) for u, _ in group_new) if v is not None]}
        if not communes:
            return Conversion(address, day, self.to, "not_found", old=old, group=group_info,
                              note="đơn vị cấp xã đã giải thể, không có đơn vị kế thừa")
        chosen: int | None = None
        group_text: str | None = None
        if len(group_new) == 1:
            gid = group_new[0][0]
            parent = self.snap.ancestor(gid, self.to, "commune")
            if parent is not None and parent.unit_id in {u for u, _ in communes}:
                chosen = parent.unit_id
                gnow = self.snap.at(gid, self.to)
                gthen = idx.version[parsed.group] if parsed.group is not None else None
                if gnow is not None and gthen is not None and (gid != gthen.unit_id or gnow.name != gthen.name):
                    group_text = gnow.name
        if chosen is None and len(communes) == 1:
            chosen = communes[0][0]
        if chosen is None:
            cands = [Candidate(v.code, v.name, self._province_code(u), primary,
                               self._compose(street, None, u, keep_group=parsed.group_span is not None,
                                             tokens=tokens, address=address, parsed=parsed))
                     for u, primary in communes if (v := self.snap.at(u, self.to)) is not None]
            provinces = {c.province_code for c in cands}
            return Conversion(address, day, self.to, "split_candidates", candidates=cands, old=old, group=group_info,
                              new_province_code=(provinces.pop() or "") if len(provinces) == 1 else "",
                              note="xã/phường cũ được chia cho nhiều đơn vị mới; địa chỉ không đủ để chọn")
        v = self.snap.at(chosen, self.to)
        assert v is not None
        new_address = self._compose(street, group_text, chosen, keep_group=group_text is None,
                                    tokens=tokens, address=address, parsed=parsed)
        status = "converted"
        if chosen == parsed.commune and group_text is None and self._same_chain(parsed.commune, day):
            status = "unchanged"
        return Conversion(address, day, self.to, status, new_address=new_address, new_commune_code=v.code,
                          new_province_code=self._province_code(chosen), old=old, group=group_info,
                          note="đơn vị mới xác định qua tổ dân phố/thôn" if len(communes) > 1 else "")

    # --- helpers -----------------------------------------------------------------------------------

    def _simple(self, address: str, day: dt.date, commune: int, street: str, old: Mapping[str, Any]) -> Conversion:
        """The usual case, no residential group named: everything but the street comes from the commune."""
        key = (commune, day)
        outcome = self._outcomes.get(key)
        if outcome is None:
            outcome = self._outcomes[key] = self._outcome(commune, day)
        status, code, province, suffixes, candidates = outcome
        lead = _street_parts(street)
        if status == "split_candidates":
            cands = [Candidate(c, n, p, d, lead + suf) for (c, n, p, d), suf in zip(candidates, suffixes, strict=True)]
            return Conversion(address, day, self.to, status, candidates=cands, old=old, new_province_code=province,
                              note="xã/phường cũ được chia cho nhiều đơn vị mới; địa chỉ không đủ để chọn")
        if status == "not_found":
            return Conversion(address, day, self.to, status, old=old,
                              note="đơn vị cấp xã đã giải thể, không có đơn vị kế thừa")
        return Conversion(address, day, self.to, status, new_address=lead + suffixes[0], new_commune_code=code,
                          new_province_code=province, old=old)

    def _outcome(self, commune: int, day: dt.date) -> _Outcome:
        communes = self._follow_cached(commune, day)
        if not communes:
            return "not_found", "", "", [], []
        if len(communes) == 1:
            uid = communes[0][0]
            v = self.snap.at(uid, self.to)
            assert v is not None
            status = "unchanged" if uid == commune and self._same_chain(commune, day) else "converted"
            return status, v.code, self._province_code(uid), [self._chain_names(uid)], []
        cands = [(v.code, v.name, self._province_code(u), primary)
                 for u, primary in communes if (v := self.snap.at(u, self.to)) is not None]
        provinces = {c[2] for c in cands}
        suffixes = [self._chain_names(u) for u, _ in communes if self.snap.at(u, self.to) is not None]
        return "split_candidates", "", provinces.pop() if len(provinces) == 1 else "", suffixes, cands

    def _chain_names(self, commune: int) -> str:
        suffix = self._suffix.get(commune)
        if suffix is None:
            names: list[str] = []
            v: Version | None = self.snap.at(commune, self.to)
            while v is not None:
                names.append(v.name)
                v = self.snap.at(v.parent_id, self.to) if v.parent_id is not None else None
            suffix = self._suffix[commune] = ", ".join(names)
        return suffix

    def _follow_cached(self, uid: int, day: dt.date) -> list[tuple[int, bool]]:
        key = (uid, day)
        hit = self._follow.get(key)
        if hit is None:
            hit = self._follow[key] = self.snap.follow(uid, day, self.to)
        return hit

    def _same_chain(self, uid: int, day: dt.date) -> bool:
        """True when the unit and every unit above it are the very same versions on both dates."""
        v: Version | None = self.snap.at(uid, day)
        while v is not None:
            now = self.snap.at(v.unit_id, self.to)
            if now is None or now.version_id != v.version_id:
                return False
            v = self.snap.at(v.parent_id, day) if v.parent_id is not None else None
        return True

    def _province_code(self, uid: int) -> str:
        hit = self._prov.get(uid)
        if hit is None:
            p = self.snap.ancestor(uid, self.to, "province")
            hit = self._prov[uid] = p.code if p else ""
        return hit

    def _label(self, uid: int, day: dt.date) -> str:
        v = self.snap.at(uid, day)
        if v is None:
            return str(uid)
        chain = [v.name]
        p = self.snap.at(v.parent_id, day) if v.parent_id is not None else None
        while p is not None:
            chain.append(p.name)
            p = self.snap.at(p.parent_id, day) if p.parent_id is not None else None
        return ", ".join(chain)

    def _describe(self, uid: int | None, day: dt.date) -> dict[str, Any]:
        """Codes and names of the unit and the units above it (shared between results: do not change)."""
        key = (uid, day)
        hit = self._described.get(key)
        if hit is None:
            hit = self._described[key] = self._describe_uncached(uid, day)
        return hit

    def _describe_uncached(self, uid: int | None, day: dt.date) -> dict[str, Any]:
        out: dict[str, Any] = {}
        v = self.snap.at(uid, day) if uid is not None else None
        while v is not None:
            out[v.level] = {"code": v.code, "name": v.name}
            v = self.snap.at(v.parent_id, day) if v.parent_id is not None else None
        return out

    @staticmethod
    def _street(address: str, tokens: Tokens, parsed: Parsed) -> str:
        if parsed.start == 0:
            return ""
        return address[:tokens.offset_of(parsed.start)]

    def _compose(self, street: str, group_text: str | None, commune: int, *, keep_group: bool,
                 tokens: Tokens, address: str, parsed: Parsed) -> str:
        left = street
        if not keep_group and parsed.group_span is not None:
            a, b = parsed.group_span
            left = address[:tokens.start[a]] + address[tokens.end[b - 1]:tokens.start[parsed.start]]
        lead = _street_parts(left)
        if group_text:
            lead += group_text + ", "
        return lead + self._chain_names(commune)


def _street_parts(street: str) -> str:
    """The street part cleaned of empty pieces, ending with ', ' when not empty."""
    if not street:
        return ""
    parts = [p.strip(" -") for p in street.replace(";", ",").split(",")]
    kept = [p for p in parts if p]
    return ", ".join(kept) + ", " if kept else ""


# --- batch ------------------------------------------------------------------------------------------

BATCH_COLUMNS = ("new_address", "new_commune_code", "new_province_code", "candidates", "status")


def convert_rows(conv: Converter, header: list[str], rows: Iterable[list[str]], at: dt.date | None,
                 *, file: str = "") -> tuple[list[str], list[list[str]], dict[str, int]]:
    """Add the conversion columns to each row; the input columns are kept as they were."""
    from tinhgon.errors import BadInput

    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "address" not in lowered:
        raise BadInput("thiếu cột 'address' (địa chỉ cần chuyển đổi)", file=file, row=1)
    col = lowered.index("address")
    clash = [c for c in BATCH_COLUMNS if c in lowered]
    if clash:
        raise BadInput(f"tệp đầu vào đã có cột {', '.join(clash)}; đổi tên cột đó trước", file=file, row=1)
    out_header = [*header, *BATCH_COLUMNS]
    out_rows: list[list[str]] = []
    counts: dict[str, int] = defaultdict(int)
    width = len(header)
    with _no_cycle_collection():
        _convert_all(conv, rows, at, col, width, out_rows, counts)
    return out_header, out_rows, dict(counts)


def _convert_all(conv: Converter, rows: Iterable[list[str]], at: dt.date | None, col: int, width: int,
                 out_rows: list[list[str]], counts: dict[str, int]) -> None:
    for cells in rows:
        cells = [*cells, *[""] * (width - len(cells))] if len(cells) < width else list(cells)
        text = (cells[col] or "").strip()
        if not text:
            out_rows.append([*cells, "", "", "", "", "empty"])
            counts["empty"] += 1
            continue
        r = conv.convert(text, at)
        counts[r.status] += 1
        out_rows.append([*cells, r.new_address, r.new_commune_code, r.new_province_code,
                         ";".join(c.code for c in r.candidates), r.status])
