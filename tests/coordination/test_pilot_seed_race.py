"""Two first uses at once (two web workers opening a coordination page) write the Hà Nội pilot once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from tinhgon.coordination.governance import seed_hanoi_pilot
from tinhgon.coordination.tables import governance_body
from tinhgon.registry import db


def test_two_overlapping_seedings_write_each_pilot_row_once(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    first_wrote = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        with engine.begin() as conn:
            results["a"] = seed_hanoi_pilot(conn)
            first_wrote.set()
            time.sleep(0.5)  # still uncommitted while the second one reads and writes

    def second() -> None:
        first_wrote.wait(30)
        try:
            with engine.begin() as conn:
                results["b"] = seed_hanoi_pilot(conn)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results["b"] = exc

    ta, tb = threading.Thread(target=first), threading.Thread(target=second)
    ta.start()
    tb.start()
    ta.join(60)
    tb.join(60)
    assert not isinstance(results.get("b"), Exception), results.get("b")
    added = results["a"]["added"]  # type: ignore[index]
    assert added > 100  # Hà Nội's pilot wards
    G = governance_body
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(G)).scalar()
        distinct = conn.execute(select(func.count()).select_from(
            select(G.c.unit_id, G.c.body, G.c.source, G.c.valid_from).distinct().subquery())).scalar()
    assert total == distinct == added
