"""Accounts, roles and scopes.

An account is scoped to one unit identity and to everything under it by the dated tree. When the scope
unit is not in force on the date asked (a district after 2025-07-01, a legacy ward), the scope covers
what came of it: the units it held that still exist (residential groups keep their identity) and the
successors formed only from its own units. A successor that also took in another unit's territory is
outside, so nothing from a neighbour leaks.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.reliability import auditlog
from tinhgon.web import cache
from tinhgon.web.tables import web_setting, web_user


class Role(StrEnum):
    PROVINCE_OFFICER = "province_officer"
    COMMUNE_OFFICER = "commune_officer"
    GROUP_OFFICER = "group_officer"
    VIEWER = "viewer"

    @property
    def label_vi(self) -> str:
        return ROLE_VI[self]

    @property
    def sees_personal_data(self) -> bool:
        return self is not Role.VIEWER

    @property
    def edits_registry(self) -> bool:
        return self in (Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER)

    @property
    def edits_plans(self) -> bool:
        return self in (Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER)

    @property
    def enters_ballots(self) -> bool:
        return self in (Role.GROUP_OFFICER, Role.COMMUNE_OFFICER)


ROLE_VI = {
    Role.PROVINCE_OFFICER: "Cán bộ cấp tỉnh",
    Role.COMMUNE_OFFICER: "Cán bộ cấp xã",
    Role.GROUP_OFFICER: "Cán bộ tổ dân phố, thôn",
    Role.VIEWER: "Người xem",
}

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: Role
    scope_unit_id: int


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(conn: Connection, username: str, password: str, role: Role | str, scope_unit_id: int,
                scope_at: dt.date | None = None, *, replace: bool = False) -> int:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise BadInput("tên đăng nhập không hợp lệ (không được trống, không có dấu cách)", field="--username")
    if len(password) < 8:
        raise BadInput("mật khẩu phải có ít nhất 8 ký tự", field="--password")
    try:
        role = Role(role)
    except ValueError as exc:
        raise BadInput(f"vai trò {role!r} không có; chọn một trong: {', '.join(r.value for r in Role)}",
                       field="--role") from exc
    existing = conn.execute(select(web_user.c.id).where(web_user.c.username == username)).first()
    values: dict[str, object] = {"password_hash": hash_password(password), "role": role.value,
                                 "scope_unit_id": scope_unit_id, "scope_at": scope_at, "active": True}
    if existing is not None:
        if not replace:
            raise BadInput(f"đã có tài khoản {username!r}", field="--username")
        conn.execute(update(web_user).where(web_user.c.id == existing.id).values(**values))
        return int(existing.id)
    key = conn.execute(insert(web_user).values(
        username=username, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), **values,
    )).inserted_primary_key
    assert key is not None
    return int(key[0])


def authenticate(conn: Connection, username: str, password: str) -> Account | None:
    row = conn.execute(select(web_user).where(web_user.c.username == username.strip(),
                                              web_user.c.active.is_(True))).first()
    if row is None:
        _hasher.hash(password)  # same cost whether or not the name exists
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with auditlog.as_account(conn, row.username):  # the account just proved who it is
            conn.execute(update(web_user).where(web_user.c.id == row.id).values(password_hash=hash_password(password)))
    return Account(id=row.id, username=row.username, role=Role(row.role), scope_unit_id=row.scope_unit_id)


def account_by_id(conn: Connection, user_id: int) -> Account | None:
    row = conn.execute(select(web_user).where(web_user.c.id == user_id, web_user.c.active.is_(True))).first()
    if row is None:
        return None
    return Account(id=row.id, username=row.username, role=Role(row.role), scope_unit_id=row.scope_unit_id)


def secret_key(conn: Connection) -> str:
    """The session signing key, made once and kept in the database so every worker and restart agrees."""
    row = conn.execute(select(web_setting.c.value).where(web_setting.c.key == "session_secret")).first()
    if row is not None:
        return str(row[0])
    value = secrets.token_urlsafe(48)
    conn.execute(insert(web_setting).values(key="session_secret", value=value))
    return value


# --- scope ------------------------------------------------------------------------------------------

def scope_roots(conn: Connection, scope_unit_id: int, on: dt.date) -> frozenset[int]:
    """The units an account reaches on ON: everything under them (and they themselves) is in scope.
    Every page asks; the answer is kept while the data stays the same."""
    return cache.memo(conn, ("scope", scope_unit_id, on), lambda: _scope_roots(conn, scope_unit_id, on))


def _scope_roots(conn: Connection, scope_unit_id: int, on: dt.date) -> frozenset[int]:
    if repo.unit_at(conn, scope_unit_id, on) is not None:
        return frozenset({scope_unit_id})
    history = repo.unit_history(conn, scope_unit_id)
    if not history:
        return frozenset()
    # the scope as it stood on its version nearest to ON
    before = [v for v in history if v.valid_to is not None and v.valid_to <= on]
    last_end = before[-1].valid_to if before else None
    ref = last_end - dt.timedelta(days=1) if last_end is not None else (history[0].valid_from or on)
    members = {scope_unit_id} | {u.id for u in repo.descendants(conn, scope_unit_id, ref)}
    roots: set[int] = set()
    alive = {u.id for u in repo.units_at(conn, on, unit_ids=members)} if members else set()
    roots |= alive
    for m in members:
        # forwards: a successor made wholly of the scope's units; backwards: a predecessor wholly absorbed
        for nxt, _p, _d in repo.successors(conn, m):
            if nxt not in members and repo.unit_at(conn, nxt, on) is not None \
                    and {p for p, _pp, _dd in repo.predecessors(conn, nxt)} <= members:
                roots.add(nxt)
        for prev, _p, _d in repo.predecessors(conn, m):
            if prev not in members and repo.unit_at(conn, prev, on) is not None \
                    and {s for s, _ps, _dd in repo.successors(conn, prev)} <= members:
                roots.add(prev)
    return frozenset(roots)


def _chain_from(conn: Connection, unit_id: int, on: dt.date) -> tuple[Unit, ...]:
    """repo.chain_from(), kept while the data stays the same. One query answers for every unit on the
    chain: the chain from each unit above is the rest of it, kept too (unless it loops, bad data)."""
    def read() -> tuple[Unit, ...]:
        chain = tuple(repo.chain_from(conn, unit_id, on))
        if chain and chain[-1].parent_id not in {u.id for u in chain}:
            for i in range(1, len(chain)):
                cache.remember(conn, ("chain_from", chain[i].id, on), chain[i:])
        return chain

    return cache.memo(conn, ("chain_from", unit_id, on), read)


def ancestors(conn: Connection, unit: Unit, on: dt.date) -> list[Unit]:
    """repo.ancestors(), shared by every unit under the same parent and kept while the data stays the same
    (every scope check walks them)."""
    if unit.parent_id is None:
        return []
    return repo.ancestors_in(_chain_from(conn, unit.parent_id, on), unit)


def _chain(conn: Connection, unit: Unit, on: dt.date) -> tuple[int, ...]:
    """The ids of UNIT's ancestors on ON."""
    return tuple(a.id for a in ancestors(conn, unit, on))


def in_scope(conn: Connection, roots: frozenset[int], unit: Unit, on: dt.date) -> bool:
    if unit.id in roots:
        return True
    return any(a in roots for a in _chain(conn, unit, on))


def in_scope_ids(conn: Connection, roots: frozenset[int], units: list[Unit], on: dt.date) -> set[int]:
    """The ids of UNITS that lie in scope: one query per level of the tree for the whole list (a tally
    checks every unit of a consultation), not one per unit and level."""
    inside = {u.id for u in units if u.id in roots}
    # climb level by level: child -> its parent id on ON
    pending = {u.id: u.parent_id for u in units if u.id not in inside and u.parent_id is not None}
    parent_of: dict[int, int | None] = {}
    for _depth in range(32):  # the tree has 4 levels; bad data with a cycle cannot loop for ever
        if not pending:
            break
        for uid, pid in list(pending.items()):
            if pid in roots:
                inside.add(uid)
                del pending[uid]
        need = {pid for pid in pending.values() if pid is not None and pid not in parent_of}
        if need:
            for p in repo.units_at(conn, on, unit_ids=need):
                parent_of[p.id] = p.parent_id
            for pid in need - parent_of.keys():
                parent_of[pid] = None  # not in force on ON: the climb ends there
        moved = {uid: parent_of.get(pid) for uid, pid in pending.items() if pid is not None}
        pending = {uid: pid for uid, pid in moved.items() if pid is not None}
    return inside


def root_units(conn: Connection, roots: frozenset[int], on: dt.date) -> list[Unit]:
    """The scope roots in force on ON, highest level first, leaving out any root already under another."""
    units = repo.units_at(conn, on, unit_ids=roots) if roots else []
    units.sort(key=lambda u: (u.level.rank, u.code))
    covered: set[int] = set()
    out: list[Unit] = []
    for u in units:
        if u.id in covered or any(a in roots for a in _chain(conn, u, on)):
            continue
        out.append(u)
        covered.add(u.id)
    return out


LEVEL_FOR_ROLE = {Role.PROVINCE_OFFICER: Level.PROVINCE, Role.COMMUNE_OFFICER: Level.COMMUNE,
                  Role.GROUP_OFFICER: Level.RESIDENTIAL_GROUP}
