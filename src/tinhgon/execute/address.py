"""Old-to-new address conversion through the registry's lineage.

The registry is read once into memory (every unit version and every lineage link: two queries, rows
taken as the driver gives them), then an index of names per level is built for each date asked, the
first time it is asked (a batch folds all the names of a date in one pass, and all its addresses in
another). An address is parsed from its
right end: province → district → commune, each level optional, each name accent-insensitive and
preceded or not by its kind ("Phường", "P.", "F.", "Q.", "TP."...). The commune found is a unit id
valid on the address's date; its successors are followed to the target date. A split commune gives
all its successors as candidates unless the residential group named in the street part decides it.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from tinhgon.execute.normalize import (
    GROUP_WORDS,
    KIND_WORDS,
    PROVINCE_ALIASES,
    TRAILING_JUNK,
    Tokens,
    fold_name,
    fold_name_lines,
    group_rest,
    name_words,
    strip_kind,
    tokenize,
    tokenize_many,
)
from tinhgon.registry import schema as s

LEGACY_DAY = dt.date(2025, 6, 30)  # an address without a date is read as written before the 2025 reform


class Version(NamedTuple):
    unit_id: int
    version_id: int
    level: str
    code: str
    name: str
    kind: str                    # as stored; the index reads the kind from the name (see `_name_keys`)
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


def _dates(values: Iterable[Any]) -> dict[Any, dt.date | None]:
    """Raw date values → dates: SQLite gives text, PostgreSQL a date (a registry has few distinct dates)."""
    return {v: (None if v is None else v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10]))
            for v in values}


class Snapshot:
    """Every unit version and lineage link of the registry, in memory.

    Nothing is indexed up front: the units in force on a date, and the name index of a date, are
    built the first time that date is asked (a batch usually needs the legacy date and, for the few
    addresses already written the new way, the target date)."""

    _DATES_KEPT = 16  # units in force are kept for this many dates (a web process asks a few)

    def __init__(self, versions: Iterable[Version], links: Iterable[tuple[int, Link]]) -> None:
        # versions grouped by their validity interval: a registry has few distinct intervals, so the
        # units in force on a date are a handful of dict merges, not one test per version
        by_interval: dict[tuple[dt.date | None, dt.date | None], dict[int, Version]] = {}
        for v in versions:
            iv = (v.valid_from, v.valid_to)
            group = by_interval.get(iv)
            if group is None:
                group = by_interval[iv] = {}
            group[v.unit_id] = v
        # merged in the order of valid_from: were two versions of a unit in force on one date (bad
        # data), the later one would win, on every date alike
        self._intervals = sorted(by_interval.items(), key=lambda kv: kv[0][0] or dt.date.min)
        # the links out of each unit: most units have one, kept without a list (fewer objects)
        self._one_link: dict[int, Link] = {}
        self._links: dict[int, list[Link]] = {}
        for from_id, link in links:
            more = self._links.get(from_id)
            if more is not None:
                more.append(link)
            elif from_id in self._one_link:
                self._links[from_id] = [self._one_link.pop(from_id), link]
            else:
                self._one_link[from_id] = link
        self._indexes: dict[dt.date, DateIndex] = {}
        self._current: dict[dt.date, dict[int, Version]] = {}

    @classmethod
    def load(cls, conn: Connection) -> Snapshot:
        with _no_cycle_collection():
            return cls._load(conn)

    @classmethod
    def _load(cls, conn: Connection) -> Snapshot:
        UV, L, E = s.unit_version, s.lineage_link, s.lineage_event
        # the SQL is compiled by SQLAlchemy for the connection's dialect and run without per-row result
        # processing; dates (text on SQLite) are converted once per distinct value, booleans by bool()
        q_versions = select(UV.c.unit_id, UV.c.id, UV.c.level, UV.c.code, UV.c.name, UV.c.kind,
                            UV.c.parent_id, UV.c.valid_from, UV.c.valid_to)
        rows = _raw(conn, q_versions)
        q_links = (select(L.c.from_unit_id, L.c.to_unit_id, L.c.partial, L.c.primary_successor, E.c.effective_date)
                   .join(E, E.c.id == L.c.event_id)
                   .where(L.c.from_unit_id.is_not(None), L.c.to_unit_id.is_not(None),
                          L.c.from_unit_id != L.c.to_unit_id))
        link_rows = _raw(conn, q_links)
        day = _dates({r[7] for r in rows} | {r[8] for r in rows} | {r[4] for r in link_rows}).__getitem__
        new = tuple.__new__  # Version(...) without the Python-level __new__ of a named tuple
        versions = [new(Version, (uid, vid, level, code, name, kind, parent, day(vf), day(vt)))
                    for uid, vid, level, code, name, kind, parent, vf, vt in rows]
        links = ((a, Link(b, bool(partial), bool(primary), day(eff)))  # type: ignore[arg-type]
                 for a, b, partial, primary, eff in link_rows)
        return cls(versions, links)

    def links_from(self, uid: int) -> Sequence[Link]:
        """The lineage links from UID to other units, in the order read."""
        one = self._one_link.get(uid)
        return (one,) if one is not None else self._links.get(uid, ())

    def current(self, on: dt.date) -> dict[int, Version]:
        """unit id → its version in force on ON."""
        cur = self._current.get(on)
        if cur is None:
            cur = {}
            for (vf, vt), group in self._intervals:
                if (vf is None or vf <= on) and (vt is None or on < vt):
                    cur.update(group)
            if len(self._current) >= self._DATES_KEPT:
                self._current.pop(next(iter(self._current)))
            self._current[on] = cur
        return cur

    def at(self, uid: int, on: dt.date) -> Version | None:
        return self.current(on).get(uid)

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
        now = self.current(until)
        if uid in now:
            return [(uid, True)]
        out: dict[int, bool] = {}
        one = self._one_link.get(uid)
        if one is not None:  # the most common case: one successor, in force on UNTIL
            if one.to_id in now and since < one.effective <= until:
                return [(one.to_id, one.primary or not one.partial)]
            links: Sequence[Link] = (one,)
        else:
            links = self._links.get(uid, ())
        if len(links) > 1 and all(ln.to_id in now and since < ln.effective <= until for ln in links):
            # the usual case, one step: every successor is in force on UNTIL
            for ln in links:
                out[ln.to_id] = out.get(ln.to_id, False) or ln.primary or not ln.partial
            return sorted(out.items()) if len(out) > 1 else list(out.items())
        stack: list[tuple[int, dt.date, bool, int]] = [(uid, since, True, 0)]
        while stack:
            cur, day, primary, depth = stack.pop()
            if cur in now:
                out[cur] = out.get(cur, False) or primary
                continue
            if depth > 50:
                continue
            for ln in self.links_from(cur):
                if day < ln.effective <= until:
                    stack.append((ln.to_id, ln.effective, primary and (ln.primary or not ln.partial), depth + 1))
        return sorted(out.items())



def _raw(conn: Connection, stmt: Any) -> list[Any]:
    """The rows of STMT as the driver gives them (plain tuples: no SQLAlchemy row objects), in the
    connection's transaction."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(stmt.compile(dialect=conn.dialect)))
        return list(cursor.fetchall())
    finally:
        cursor.close()


_NAME_KINDS = {"Thành phố": "thanh_pho_tinh", "Thị xã": "thi_xa", "Thị trấn": "thi_tran", "Đặc khu": "dac_khu",
               "Tỉnh": "tinh", "Quận": "quan", "Huyện": "huyen", "Phường": "phuong", "Xã": "xa"}
# the kind a name starts with: a label followed by a space or the end of the name; one per line of
# the names joined (an empty match where there is none), and the label with its space, to strip
_NAME_KIND_AT_START = re.compile("^(?:(" + "|".join(_NAME_KINDS) + ")(?= |$))?", re.MULTILINE)
_NAME_KIND_PREFIX = re.compile("^(?:" + "|".join(_NAME_KINDS) + ") ", re.MULTILINE)


def _name_keys(vs: list[Version]) -> list[tuple[str, tuple[str, ...]]]:
    """For each version: the kind its name is written with ('Phường 5' is a phường whatever the source
    says; a residential group keeps its stored kind), and the folded words of the name without its
    kind, as `tokenize(strip_kind(name))` gives them without separators. All the names are joined,
    one a line, and worked on at once; each is then split at spaces unless it holds something that
    needs `tokenize`."""
    names = [v.name for v in vs]
    joined = "\n".join(names)
    if len(names) < 2 or joined.count("\n") != len(names) - 1:  # a name with a line break: one by one
        return [(_name_kind(v, m.group(1) if (m := _NAME_KIND_AT_START.match(v.name)) else None),
                 fold_name(strip_kind(v.name))) for v in vs]
    labels = _NAME_KIND_AT_START.findall(joined)
    rests = _NAME_KIND_PREFIX.sub("", joined)
    keys = fold_name_lines(rests, len(names))
    return [(_name_kind(v, label), key) for v, label, key in zip(vs, labels, keys, strict=True)]


def _name_kind(v: Version, label: str | None) -> str:
    if not label or v.level == "residential_group":
        return v.kind
    k = _NAME_KINDS[label]
    return v.kind if k == "thanh_pho_tinh" and v.kind == "thanh_pho_tw" else k


class LevelNames:
    """The names of every unit of one level in force on one date: folded words (joined by a space) →
    the unit, or the units when several share the name; and the same under each unit above them (key
    "<unit id>\x1f<name>"), so that a name is looked up within a district or province at once. A span
    of an address is looked up only with a length that some name ending with its last word has, and
    only if its first word starts some name: most spans are refused without building a key. Keys are
    strings and a lone unit a plain int, so the index adds few objects for the garbage collector."""

    __slots__ = ("first", "lengths", "maxlen", "scoped", "units")

    def __init__(self, names: Iterable[tuple[tuple[str, ...], int]], parent: Mapping[int, int]) -> None:
        units: dict[str, int | tuple[int, ...]] = {}
        scoped: dict[str, int | tuple[int, ...]] = {}
        first: set[str] = set()
        lengths: dict[str, set[int]] = defaultdict(set)
        pget = parent.get
        for words, uid in names:  # written out: this runs for every name of the country
            key = " ".join(words)
            prev = units.get(key)
            if prev is None:
                units[key] = uid
                first.add(words[0])
                lengths[words[-1]].add(len(words))
            else:
                _add_unit(units, key, uid)
            # under every unit above it in force that day (district, province)
            p, depth = pget(uid), 0
            while p is not None and depth < 8:
                sk = f"{p}\x1f{key}"
                prev = scoped.get(sk)
                if prev is None:
                    scoped[sk] = uid
                elif prev != uid:
                    _add_unit(scoped, sk, uid)
                p, depth = pget(p), depth + 1
        maxlen = max((n for ns in lengths.values() for n in ns), default=0)
        self.units = units
        self.scoped = scoped
        self.first = frozenset(first)
        self.lengths = {w: tuple(sorted(ns, reverse=True)) for w, ns in lengths.items()}
        self.maxlen = maxlen

    def __bool__(self) -> bool:
        return bool(self.units)


def _add_unit(table: dict[str, int | tuple[int, ...]], key: str, uid: int) -> None:
    prev = table.get(key)
    if prev is None:
        table[key] = uid
    elif isinstance(prev, int):
        if prev != uid:
            table[key] = (prev, uid)
    elif prev[-1] != uid:
        table[key] = (*prev, uid)


class DateIndex:
    """Names of the units in force on one date, by level, everywhere and under each unit above them."""

    def __init__(self, snap: Snapshot, on: dt.date) -> None:
        self.on = on
        self._accented: dict[int, tuple[str, ...]] = {}
        current = self.version = snap.current(on)
        groups: list[Version] = []
        named: list[Version] = []
        for v in current.values():
            (groups if v.level == "residential_group" else named).append(v)
        keys = _name_keys(named)
        self.kind: dict[int, str] = {v.unit_id: kind for v, (kind, _) in zip(named, keys, strict=True)}
        for v in groups:
            self.kind[v.unit_id] = v.kind
        # the parent of each unit in force, when the parent is in force too
        self.parent: dict[int, int] = {uid: v.parent_id for uid, v in current.items()
                                       if v.parent_id is not None and v.parent_id in current and v.parent_id != uid}
        by_level: dict[str, list[tuple[tuple[str, ...], int]]] = {"province": [], "district": [], "commune": []}
        for v, (_, key) in zip(named, keys, strict=True):
            if key:  # a name of nothing but its kind: no span can name it
                lst = by_level.get(v.level)
                if lst is not None:
                    lst.append((key, v.unit_id))
        province_names = by_level["province"]
        official = {key: [u for k, u in province_names if k == key] for key in {k for k, _ in province_names}}
        for alias, name in PROVINCE_ALIASES.items():
            if name in official and alias not in official:
                province_names.extend((alias, u) for u in official[name])
        self.provinces = LevelNames(province_names, {})
        self.districts = LevelNames(by_level["district"], self.parent)
        self.communes = LevelNames(by_level["commune"], self.parent)
        # the units that have districts / communes under them (a parse skips the others at once)
        self.holds_districts = self._above(u for _, u in by_level["district"])
        self.holds_communes = self._above(u for _, u in by_level["commune"])
        # residential groups by their distinctive words, under their commune
        self.groups_in: dict[int, dict[tuple[str, ...], list[int]]] = {}
        group_numbers: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for v in groups:
            if v.parent_id is not None:
                rest = group_rest(v.name)
                self.groups_in.setdefault(v.parent_id, {}).setdefault(rest, []).append(v.unit_id)
                if rest and rest[0].isdigit():
                    group_numbers[v.parent_id][rest[0]].append(v.unit_id)
        # "tổ 3" names "Tổ dân phố số 3 Ngọc Thụy" when it is the only group numbered 3 in its commune
        for parent, nums in group_numbers.items():
            for num, uids in nums.items():
                if len(uids) == 1 and (num,) not in self.groups_in[parent]:
                    self.groups_in[parent][(num,)] = [uids[0]]
        # last words of every name: "the kind word may also end the name before" needs them
        self.last_words = frozenset([*self.provinces.lengths, *self.districts.lengths, *self.communes.lengths])
        self.maxlen = max(self.provinces.maxlen, self.districts.maxlen, self.communes.maxlen, 1)
        self.level_max = 13 + 0.1 * self.maxlen   # the most one level of a parse can add

    def _above(self, uids: Iterable[int]) -> set[int | None]:
        out: set[int | None] = {None}
        parent = self.parent
        for uid in uids:
            p, depth = parent.get(uid), 0
            while p is not None and p not in out and depth < 8:
                out.add(p)
                p, depth = parent.get(p), depth + 1
        return out

    def accented(self, uid: int) -> tuple[str, ...]:
        """Accented keys of a unit's name, worked out when a tie must be broken."""
        hit = self._accented.get(uid)
        if hit is None:
            hit = self._accented[uid] = name_words(strip_kind(self.version[uid].name))[1]
        return hit


# --- parsing ----------------------------------------------------------------------------------------

# a match: (unit id, first token with its kind word, score)
_Match = tuple[int, int, float]
_score = itemgetter(2)  # sorted best first; equal scores keep the order found


# kind words before a name (see `_matches`): one word by the word itself (no tuple to build), two words by the second
# word first ("thanh pho", "thi xa", "thi tran", "dac khu") so that most positions are refused at once
_KIND_ONE_WORD = {k[0]: v for k, v in KIND_WORDS.items() if len(k) == 1}
_KIND_SECOND_WORDS = frozenset(k[1] for k in KIND_WORDS if len(k) == 2)


def _matches(tx: Tokens, end: int, names: LevelNames, scope: int | None, idx: DateIndex) -> list[_Match]:
    """Units of one level (under SCOPE when given) whose name ends at word END (separators before END
    skipped), with where their kind word starts and a score, longest names first."""
    f = tx.f
    e = end
    if e == 0:
        return []
    w = f[e - 1]
    if w == ",":
        while e > 0 and f[e - 1] == ",":
            e -= 1
        if e == 0:
            return []
        w = f[e - 1]
    lens = names.lengths.get(w)
    if lens is None:
        return []
    first = names.first
    if scope is None:
        units, prefix = names.units, ""
    else:
        units, prefix = names.scoped, f"{scope}\x1f"
    kind_of = idx.kind
    out: list[_Match] = []
    for n in lens:
        s0 = e - n
        if s0 < 0 or f[s0] not in first:
            continue
        # the key without a slice for the usual one- and two-word names
        key = w if n == 1 else f[s0] + " " + w if n == 2 else " ".join(f[s0:e])
        found = units.get(prefix + key if prefix else key)
        if found is None:
            continue
        uids: Sequence[int] = (found,) if isinstance(found, int) else found
        if len(uids) > 1 and tx.accents:
            acc = tuple(tx.accented(i) for i in range(s0, e))
            exact = [u for u in uids if idx.accented(u) == acc]
            if exact:
                uids = exact
        # the kind word before the name
        kinds, ps = None, s0
        if s0 >= 2 and f[s0 - 1] in _KIND_SECOND_WORDS:
            kinds = KIND_WORDS.get((f[s0 - 2], f[s0 - 1]))
            if kinds is not None:
                ps = s0 - 2
        if kinds is None and s0 >= 1:
            kinds = _KIND_ONE_WORD.get(f[s0 - 1])
            if kinds is not None:
                ps = s0 - 1
        numeric = key[0].isdigit() and key.replace(" ", "").isdigit()  # every word a number
        for uid in uids:
            if kinds is not None and kind_of[uid] in kinds:
                out.append((uid, ps, 3 + 0.1 * n))
                # the kind word may also end the name before ("... Thành phố Hà Tĩnh Tỉnh Hà Tĩnh", no commas)
                if not numeric and s0 > 0 and f[s0 - 1] in idx.last_words:
                    out.append((uid, s0, 0.1 * n))
            else:
                if numeric:  # "5" alone is a house number; "Phường 5" needs its kind word
                    continue
                score = (1 if s0 == 0 or f[s0 - 1] == "," else 0) + 0.1 * n
                if kinds is not None and not (ps > 0 and f[ps - 1] != "," and f[s0 - 1] in idx.last_words):
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


_JUNK_LAST = frozenset(j[-1] for j in TRAILING_JUNK)


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
    f = tokens.f
    end = len(f)
    if end == 0:
        return None
    last = f[-1]
    if last == "," or last in _JUNK_LAST or (len(last) >= 5 and last.isdigit()):
        end = _strip_junk(tokens)
        if end == 0:
            return None
    tx = tokens
    best: dict[int, tuple[float, int | None, int | None, int]] = {}
    top = float("-inf")
    level_max = idx.level_max
    prov_opts: list[_Match | None] = _matches(tx, end, idx.provinces, None, idx)  # type: ignore[assignment]
    if len(prov_opts) > 1:
        prov_opts.sort(key=_score, reverse=True)  # type: ignore[arg-type]
    prov_opts.append(None)
    districts, communes = idx.districts, idx.communes
    holds_districts, holds_communes = idx.holds_districts, idx.holds_communes
    for pm in prov_opts:
        if pm is None:
            ps, e1, pid = 0.0, end, None
        else:
            ps, e1, pid = 10 + pm[2], pm[1], pm[0]
        if ps + 2 * level_max < top:
            continue  # this branch cannot beat what was found (ties are kept: they mean ambiguity)
        dopts: list[_Match | None] = (_matches(tx, e1, districts, pid, idx)  # type: ignore[assignment]
                                      if pid in holds_districts else [])
        if len(dopts) > 1:
            dopts.sort(key=_score, reverse=True)  # type: ignore[arg-type]
        dopts.append(None)
        for dm in dopts:
            if dm is None:
                ds, e2, did = 0.0, e1, None
                scope = pid
            else:
                ds, e2, did = 10 + dm[2], dm[1], dm[0]
                scope = did
            if ps + ds + level_max < top or scope not in holds_communes:
                continue
            for cuid, cstart, cscore in _matches(tx, e2, communes, scope, idx):
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
    if len(best) == 1:
        uid, (total, did, pid, start) = next(iter(best.items()))
        out = Parsed(uid, did, pid, start, total, None, None, [])
    else:
        winners = sorted(uid for uid, v in best.items() if v[0] >= top - 1e-9)
        uid = winners[0]
        total, did, pid, start = best[uid]
        out = Parsed(uid, did, pid, start, total, None, None, winners[1:])
    if not out.ties and uid in idx.groups_in:
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
_Outcome = tuple[str, str, str, tuple[str, ...], tuple[tuple[str, str, str, bool], ...]]


class Converter:
    """Converts addresses with one registry snapshot; results are cached per (text, date)."""

    def __init__(self, snap: Snapshot, to: dt.date | None = None) -> None:
        self.snap = snap
        self.to = to or dt.date.today()
        self._cache: dict[tuple[str, dt.date | None], Conversion] = {}
        # caches by date, then by unit or text: no key tuple kept per entry (fewer objects for the
        # garbage collector to walk after a large batch)
        self._follow: dict[dt.date, dict[int, list[tuple[int, bool]]]] = {}
        self._prov: dict[int, str] = {}
        self._described: dict[tuple[int | None, dt.date], dict[str, Any]] = {}
        self._suffix: dict[int, str] = {}
        self._converted: dict[int, _Outcome] = {}   # new unit → the outcome of a commune that became it
        self._outcomes: dict[dt.date, dict[int, _Outcome]] = {}
        self._fields: dict[dt.date | None, dict[str, tuple[str, str, str, str, str]]] = {}

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

    def fields(self, address: str, at: dt.date | None = None, tokens: Tokens | None = None
               ) -> tuple[str, str, str, str, str]:
        """What a batch writes for ADDRESS: new address, new commune code, new province code, candidate
        codes (';'-separated) and status. The same answer as `convert`, without building the full
        result in the usual case (a commune named, no residential group, no tie); cached per address.
        TOKENS, when given, are `tokenize(address)` made beforehand (a batch folds all its texts at once)."""
        cache = self._fields.get(at)
        if cache is None:
            cache = self._fields[at] = {}
        hit = cache.get(address)
        if hit is None:
            hit = cache[address] = self._fields_uncached(address, at, tokens)
        return hit

    def _fields_uncached(self, address: str, at: dt.date | None, tokens: Tokens | None
                         ) -> tuple[str, str, str, str, str]:
        tokens, day, parsed = self._read(address, at, tokens)
        if parsed is None or parsed.ties or parsed.group is not None:
            r = self._cache.get((address, at))
            if r is None:
                r = self._cache[(address, at)] = self._finish(tokens, day, parsed)
            return (r.new_address, r.new_commune_code, r.new_province_code,
                    ";".join(c.code for c in r.candidates), r.status)
        assert parsed.commune is not None
        status, code, province, suffixes, candidates = self._outcome_cached(parsed.commune, day)
        if status == "split_candidates":
            return "", "", province, ";".join(c[0] for c in candidates), status
        if status == "not_found":
            return "", "", "", "", status
        lead = _street_parts(self._street(tokens.text, tokens, parsed))
        return lead + suffixes[0], code, province, "", status

    def _read(self, address: str, at: dt.date | None, tokens: Tokens | None = None
              ) -> tuple[Tokens, dt.date, Parsed | None]:
        """The address's words, the date it is read on and what it names."""
        if tokens is None:
            tokens = tokenize(address)
        day = at or LEGACY_DAY
        parsed = parse(tokens, self.snap.index(day))
        if at is None and self.to != day and (parsed is None or parsed.score < 2 * 13):
            # no date given and the legacy reading is weak: maybe it is already written the new way
            alt = parse(tokens, self.snap.index(self.to))
            if alt is not None and not alt.ties and (parsed is None or alt.score > parsed.score):
                parsed, day = alt, self.to
        return tokens, day, parsed

    def _convert(self, address: str, at: dt.date | None) -> Conversion:
        return self._finish(*self._read(address, at))

    def _finish(self, tokens: Tokens, day: dt.date, parsed: Parsed | None) -> Conversion:
        address = tokens.text  # in NFC: the offsets refer to it
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
        status, code, province, suffixes, candidates = self._outcome_cached(commune, day)
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

    def _outcome_cached(self, commune: int, day: dt.date) -> _Outcome:
        cache = self._outcomes.get(day)
        if cache is None:
            cache = self._outcomes[day] = {}
        outcome = cache.get(commune)
        if outcome is None:
            outcome = cache[commune] = self._outcome(commune, day)
        return outcome

    def _outcome(self, commune: int, day: dt.date) -> _Outcome:
        communes = self.snap.follow(commune, day, self.to)  # not cached: the outcome is, per commune
        if not communes:
            return "not_found", "", "", (), ()
        if len(communes) == 1:
            uid = communes[0][0]
            if uid == commune and self._same_chain(commune, day):
                v = self.snap.at(uid, self.to)
                assert v is not None
                return "unchanged", v.code, self._province_code(uid), (self._chain_names(uid),), ()
            known = self._converted.get(uid)
            if known is None:  # the same answer for every old commune that went whole into this unit
                v = self.snap.at(uid, self.to)
                assert v is not None
                known = self._converted[uid] = ("converted", v.code, self._province_code(uid),
                                                (self._chain_names(uid),), ())
            return known
        cands = tuple((v.code, v.name, self._province_code(u), primary)
                      for u, primary in communes if (v := self.snap.at(u, self.to)) is not None)
        provinces = {c[2] for c in cands}
        suffixes = tuple(self._chain_names(u) for u, _ in communes if self.snap.at(u, self.to) is not None)
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
        cache = self._follow.get(day)
        if cache is None:
            cache = self._follow[day] = {}
        hit = cache.get(uid)
        if hit is None:
            hit = cache[uid] = self.snap.follow(uid, day, self.to)
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
    kept = ", ".join(filter(None, map(_strip_piece, street.replace(";", ",").split(","))))  # no Python frame
    return kept + ", " if kept else ""


_strip_piece = methodcaller("strip", " -")


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
    table = [cells if len(cells) >= width else [*cells, *[""] * (width - len(cells))] for cells in rows]
    texts = [(cells[col] or "").strip() for cells in table]
    # every distinct text is folded in one pass with the others, then converted once; the answers are
    # kept by the batch, not also in the converter's cache
    distinct = [t for t in dict.fromkeys(texts) if t]
    found = {text: conv._fields_uncached(text, at, tokens)
             for text, tokens in zip(distinct, tokenize_many(distinct), strict=True)}
    found[""] = ("", "", "", "", "empty")
    out_rows.extend([[*cells, *found[text]] for cells, text in zip(table, texts, strict=True)])
    for text, n in Counter(texts).items():
        counts[found[text][4]] += n
