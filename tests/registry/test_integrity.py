"""The registry's invariants: each kind of violation is found; a clean registry has none."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, insert

from tinhgon.domain.units import Kind
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

D = dt.date


def _small(conn: Connection) -> dict[str, int]:
    p = repo.add_unit(conn, code="01", name="Thành phố Hà Nội", kind=Kind.THANH_PHO_TW)
    w = repo.add_unit(conn, code="00115", name="Phường Thượng Thanh", kind=Kind.PHUONG, parent_id=p,
                      valid_to=D(2025, 7, 1))
    g = repo.add_unit(conn, code="00115-01", name="Tổ dân phố số 1", kind=Kind.TO_DAN_PHO, parent_id=w,
                      valid_from=D(2019, 10, 5), valid_to=D(2025, 7, 1), households=320)
    return {"p": p, "w": w, "g": g}


def _person(conn: Connection) -> int:
    return int(conn.execute(insert(s.person).values(full_name="Nguyễn Văn An", party_member=True))
               .inserted_primary_key[0])


def _title(conn: Connection) -> None:
    conn.execute(insert(s.title_type).values(code="to_truong", name_vi="Tổ trưởng", name_en="Head",
                                             level="residential_group", grp="group_part_time",
                                             requires_party_member=False, sort_order=1))


def test_a_clean_small_registry_has_no_problem(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        ids = _small(conn)
        _title(conn)
        conn.execute(insert(s.title_holding).values(person_id=_person(conn), title_code="to_truong",
                                                    unit_id=ids["g"], concurrent=False,
                                                    valid_from=D(2020, 1, 1), valid_to=D(2025, 7, 1)))
        assert repo.integrity_problems(conn) == []


def test_a_cycle_in_the_hierarchy_is_found(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        a = repo.add_unit(conn, code="A", name="Xã A", kind=Kind.XA)
        b = repo.add_unit(conn, code="B", name="Xã B", kind=Kind.XA, parent_id=a)
        conn.execute(s.unit_version.update().where(s.unit_version.c.unit_id == a).values(parent_id=b))
        problems = repo.integrity_problems(conn)
    assert any("cycle" in p for p in problems)


def test_a_unit_that_is_its_own_parent_is_found(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        a = repo.add_unit(conn, code="A", name="Xã A", kind=Kind.XA)
        conn.execute(s.unit_version.update().where(s.unit_version.c.unit_id == a).values(parent_id=a))
        problems = repo.integrity_problems(conn)
    assert any("its own parent" in p for p in problems)


def test_a_child_outliving_its_parent_is_found(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        ids = _small(conn)
        repo.add_unit(conn, code="00115-02", name="Tổ dân phố số 2", kind=Kind.TO_DAN_PHO, parent_id=ids["w"],
                      valid_from=D(2019, 10, 5))  # still open, its ward closed on 2025-07-01
        problems = repo.integrity_problems(conn)
    assert any("outlives its parent" in p for p in problems)


def test_one_code_naming_two_units_at_once_within_a_level_is_found(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        repo.add_unit(conn, code="00118", name="Phường Ngọc Thụy", kind=Kind.PHUONG, valid_to=D(2025, 7, 1))
        repo.add_unit(conn, code="00118", name="Phường Bồ Đề", kind=Kind.PHUONG, valid_from=D(2025, 7, 1))
        assert repo.integrity_problems(conn) == []  # consecutive reuse of a code is allowed
        repo.add_unit(conn, code="00118", name="Phường Trùng", kind=Kind.PHUONG, valid_from=D(2025, 1, 1))
        problems = repo.integrity_problems(conn)
    assert any("names units" in p for p in problems)


def test_a_holding_outside_its_units_dates_is_found(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        ids = _small(conn)
        _title(conn)
        conn.execute(insert(s.title_holding).values(person_id=_person(conn), title_code="to_truong",
                                                    unit_id=ids["g"], concurrent=False,
                                                    valid_from=D(2018, 1, 1), valid_to=None))
        problems = repo.integrity_problems(conn)
    assert any("outside its unit's dates" in p for p in problems)


def test_a_negative_household_count_is_refused_by_the_database(db_url: str) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.get_engine().begin() as conn:
        repo.add_unit(conn, code="X", name="Tổ X", kind=Kind.TO_DAN_PHO, households=-1)


def test_history_by_date_from_the_same_tables(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        ids = _small(conn)
        v = repo.unit_history(conn, ids["g"])[0]
        repo.close_version(conn, v.version_id, D(2022, 1, 1))  # type: ignore[arg-type]
        repo.insert_version(conn, ids["g"], level="residential_group", code="00115-01", name="Tổ dân phố số 1",
                            kind="to_dan_pho", parent_id=ids["w"], valid_from=D(2022, 1, 1),
                            valid_to=D(2025, 7, 1), households=410)
        assert repo.unit_at(conn, ids["g"], D(2021, 12, 31)).households == 320  # type: ignore[union-attr]
        assert repo.unit_at(conn, ids["g"], D(2022, 1, 1)).households == 410  # type: ignore[union-attr]
        assert repo.unit_at(conn, ids["g"], D(2025, 7, 1)) is None
        assert repo.integrity_problems(conn) == []
