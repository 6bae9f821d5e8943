"""The demo database: deterministic, and holding the figures the seed articles talk about."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import select

from tinhgon.demo.builder import build_demo
from tinhgon.domain.units import Level
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s


def _digest(url: str) -> str:
    h = hashlib.sha256()
    with db.get_engine(url).connect() as conn:
        for table in s.metadata.sorted_tables:
            if table.name == "audit_log":  # the log records when the build ran: not part of the data
                continue
            cols = [c for c in table.c]
            for row in conn.execute(select(*cols).order_by(*table.primary_key.columns)):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_the_demo_is_identical_on_two_runs(tmp_path: Path) -> None:
    digests = []
    for name in ("a.db", "b.db"):
        url = f"sqlite:///{tmp_path / name}"
        with db.get_engine(url).begin() as conn:
            build_demo(conn)
        digests.append(_digest(url))
    db.dispose_all()
    assert digests[0] == digests[1]


def test_demo_has_long_bien_groups_in_both_periods_with_sizes_like_the_articles(demo_url: str) -> None:
    with db.get_engine().connect() as conn:
        lb = repo.resolve_unit(conn, "004", dt.date(2019, 12, 1), Level.DISTRICT)
        below = repo.descendants(conn, lb.id, dt.date(2019, 12, 1))
        groups_2019 = [u for u in below if u.level == Level.RESIDENTIAL_GROUP]
        groups_2025 = repo.units_at(conn, dt.date(2025, 7, 1), level=Level.RESIDENTIAL_GROUP)
        new_parents = {g.parent_id for g in groups_2025}
        wards_2025 = repo.units_at(conn, dt.date(2025, 7, 1), unit_ids=new_parents)
        counts = repo.household_counts_at(conn, dt.date(2020, 1, 1), [g.id for g in groups_2019])
        holdings = repo.holdings_at(conn, dt.date(2020, 1, 1), [g.id for g in groups_2019])
    assert len(groups_2019) == len(groups_2025) > 200
    assert {g.id for g in groups_2019} == {g.id for g in groups_2025}  # same groups, re-parented
    assert all(w.level == Level.COMMUNE and w.valid_from == dt.date(2025, 7, 1) for w in wards_2025)
    sizes = [g.households or 0 for g in groups_2019]
    assert any(x < 225 for x in sizes) and any(x >= 600 for x in sizes) and any(450 <= x < 600 for x in sizes)
    assert all(counts[g.id] == g.households for g in groups_2019)  # the households really exist
    by_person: dict[int, set[str]] = {}
    for h in holdings:
        by_person.setdefault(h.person_id, set()).add(h.title_code)
    assert any({"bi_thu_chi_bo", "to_truong"} <= t for t in by_person.values())
    assert any({"bi_thu_chi_bo", "truong_ban_ctmt"} <= t for t in by_person.values())


def test_demo_keeps_every_invariant(demo_url: str) -> None:
    with db.get_engine().connect() as conn:
        assert repo.integrity_problems(conn) == []
