"""The batched scope check answers exactly as the one-unit check, for every demo account and date."""

from __future__ import annotations

from tests.web.conftest import NEW, OLD

from tinhgon.registry import db, repo
from tinhgon.web import auth
from tinhgon.web.cli import DEMO_ACCOUNTS, DEMO_PASSWORD


def test_in_scope_ids_agrees_with_in_scope_for_every_demo_account(web_db: str) -> None:
    with db.get_engine(web_db).connect() as conn:
        for day in (OLD, NEW):
            hanoi = repo.resolve_unit(conn, "01", day)
            units = [hanoi, *repo.descendants(conn, hanoi.id, day)]
            haiphong = repo.resolve_unit(conn, "31", day)
            units += repo.children(conn, haiphong.id, day)[:20]
            for username, *_rest in DEMO_ACCOUNTS:
                acc = auth.authenticate(conn, username, DEMO_PASSWORD)
                assert acc is not None
                roots = auth.scope_roots(conn, acc.scope_unit_id, day)
                one_by_one = {u.id for u in units if auth.in_scope(conn, roots, u, day)}
                assert auth.in_scope_ids(conn, roots, units, day) == one_by_one
                if username == "quan.longbien" and day == OLD:
                    assert 300 < len(one_by_one) < len(units)  # the check is not vacuous
