"""Counting the SQL statements (database round trips) that one web request sends.

Every statement that goes through SQLAlchemy reaches the driver's cursor once, and that is what
``before_cursor_execute`` sees: the route's queries, the audit log's reads and inserts, the data version
read. Not seen (the same for every request, and left out of every figure): the connection pool's
ping on PostgreSQL, BEGIN/COMMIT, and the data version raised at commit straight on the driver's cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from tinhgon.web import cache


class Statements(list[str]):
    """The SQL text of every statement run while counting, in order."""

    def show(self) -> str:
        return "\n".join(f"{i + 1:3d}. {' '.join(s.split())[:160]}" for i, s in enumerate(self))


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Collect the statements run on ENGINE (from any thread) inside the block."""
    seen = Statements()

    def before(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def forget_cached() -> None:
    """Empty what the web processes keep between requests, so the next request reads everything afresh
    (as the first request after someone else's change does)."""
    for c in list(cache._CACHES.values()):
        c.clear()
