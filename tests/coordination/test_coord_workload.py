"""Workload: titles per person in a unit and below, people with several titles, civil servants covering
several jobs (titles plus delegated acts)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Connection, select

from tinhgon.coordination import delegation
from tinhgon.coordination.workload import workload
from tinhgon.registry import repo
from tinhgon.registry import schema as s

DAY = dt.date(2022, 1, 1)


def test_people_with_several_titles_equal_an_independent_count(conn: Connection) -> None:
    ward = repo.resolve_unit(conn, "00130", DAY)
    w = workload(conn, ward, DAY)
    uv, H = s.unit_version, s.title_holding
    units = {ward.id} | {int(x[0]) for x in conn.execute(select(uv.c.unit_id).where(
        uv.c.parent_id == ward.id, uv.c.valid_from <= DAY, (uv.c.valid_to.is_(None)) | (uv.c.valid_to > DAY)))}
    per_person = Counter(int(x[0]) for x in conn.execute(select(H.c.person_id).where(
        H.c.unit_id.in_(units), (H.c.valid_from.is_(None)) | (H.c.valid_from <= DAY),
        (H.c.valid_to.is_(None)) | (H.c.valid_to > DAY))))
    assert len(w.people) == len(per_person)
    assert w.holdings == sum(per_person.values())
    assert {p.person_id for p in w.multi_title} == {pid for pid, n in per_person.items() if n >= 2}
    assert len(w.multi_title) > 0
    assert workload(conn, ward, DAY, min_titles=3).multi_title == [p for p in w.people if len(p.titles) >= 3]


def test_a_civil_servant_with_a_delegation_is_flagged_as_covering_several_jobs(conn: Connection) -> None:
    ward = repo.resolve_unit(conn, "00130", DAY)
    officer = next(h.person_id for h in repo.holdings_at(conn, DAY, unit_ids=[ward.id])
                   if h.title_code == "tu_phap_ho_tich")
    assert officer not in {p.person_id for p in workload(conn, ward, DAY).civil_servants_many_jobs}
    delegation.grant(conn, grantor_title="chu_tich_ubnd", grantor_unit=ward,
                     acts=["chung_thuc_ban_sao", "chung_thuc_chu_ky"], valid_from=dt.date(2021, 7, 15),
                     grantee_title="tu_phap_ho_tich")
    w = workload(conn, ward, DAY)
    me = next(p for p in w.people if p.person_id == officer)
    assert me.jobs == 2 and len(me.delegated) == 2
    assert officer in {p.person_id for p in w.civil_servants_many_jobs}


def test_holding_a_council_title_where_there_is_no_council_is_flagged(conn: Connection) -> None:
    ward = repo.resolve_unit(conn, "00130", DAY)
    # the demo ends the ward council chair with the pilot; a registry that still records one after
    # 2021-07-01 contradicts the governance model, which is what the flag is for
    chair = next(h for h in repo.holdings_history(conn, ward.id) if h.title_code == "chu_tich_hdnd")
    conn.execute(s.title_holding.insert().values(
        person_id=chair.person_id, title_code="chu_tich_hdnd", unit_id=ward.id, concurrent=True,
        valid_from=dt.date(2021, 7, 1), valid_to=dt.date(2025, 7, 1)))
    w = workload(conn, ward, DAY)
    flagged = [p for p in w.people if any("không tổ chức Hội đồng nhân dân" in f for f in p.flags)]
    assert len(flagged) == 1 and any(t.title_code == "chu_tich_hdnd" for t in flagged[0].titles)
    before = workload(conn, ward, dt.date(2021, 6, 30))
    assert not any("không tổ chức" in f for p in before.people for f in p.flags)


def test_duties_come_from_the_version_each_group_last_signed(conn: Connection) -> None:
    from tinhgon.coordination import example

    example.build_article_004(conn, resign=27)
    day = dt.date(2017, 2, 1)
    ward = repo.resolve_unit(conn, example.WARD_CODE, day)
    w = workload(conn, ward, day)
    heads = [p for p in w.people if any(t.title_code == "to_truong" for t in p.titles)]
    assert len(heads) == 29
    texts = Counter(tuple(d for _c, d in p.duties) for p in heads)
    assert texts == {example.DUTIES_V2: 27, example.DUTIES_V1: 2}
