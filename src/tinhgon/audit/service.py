"""Load what the audit needs from the registry, then run the pure audit of tinhgon.rules.audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from tinhgon.domain.units import Level
from tinhgon.registry import repo
from tinhgon.registry.titles import load_title_types


def audit_unit(conn: Connection, code: str, on: dt.date, *, bands: Sequence[int] = (450, 600),
               oversized: int | None = None, book: Any | None = None, level: Level | None = None) -> Any:
    """Audit the unit CODE names on ON (at LEVEL, when a code is shared across levels) and everything under it."""
    from tinhgon.rules.audit import audit_units
    from tinhgon.rules.book import RuleBook

    root = repo.resolve_unit(conn, code, on, level)
    below = repo.descendants(conn, root.id, on)
    ids = [root.id] + [u.id for u in below]
    holdings = repo.holdings_at(conn, on, ids)
    people = repo.people_by_ids(conn, {h.person_id for h in holdings})
    titles = repo.title_types(conn) or load_title_types()
    return audit_units(root, below, holdings, people, titles, book or RuleBook.load_default(), on,
                       bands=tuple(bands), oversized=oversized, ancestors=repo.ancestors(conn, root, on))
