"""Delegations of authority: who may perform an act across a delegation's dates, lapsing when the
grantor leaves the title, revocation, expiry warnings, history, and refused input."""

from __future__ import annotations

import datetime as dt

import pytest
from coord_helpers import run_cli
from sqlalchemy import Connection, select

from tinhgon.coordination import delegation
from tinhgon.domain.units import Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

START, END = dt.date(2021, 7, 15), dt.date(2022, 7, 15)  # END is exclusive: the last day is 14/07/2022
ACT = "chung_thuc_ban_sao"


def _ward(conn: Connection) -> Unit:
    return repo.resolve_unit(conn, "00130", START)  # Phường Gia Thụy (article 001)


def _holder(conn: Connection, unit: Unit, title: str, on: dt.date) -> int:
    return next(h.person_id for h in repo.holdings_at(conn, on, unit_ids=[unit.id]) if h.title_code == title)


def _grant(conn: Connection, ward: Unit, **kw: object) -> delegation.Delegation:
    args: dict[str, object] = {"grantor_title": "chu_tich_ubnd", "grantor_unit": ward,
                               "acts": [ACT, "chung_thuc_chu_ky"], "valid_from": START, "valid_to": END,
                               "grantee_title": "tu_phap_ho_tich", "doc_number": "15/QĐ-UBND",
                               "doc_date": dt.date(2021, 7, 10), "issuer": "UBND phường Gia Thụy"}
    args.update(kw)
    return delegation.grant(conn, **args)  # type: ignore[arg-type]


def _who(conn: Connection, ward: Unit, on: dt.date) -> dict[int, str]:
    return {p.person_id: p.basis for p in delegation.who_may(conn, ward, ACT, on).performers}


def test_who_may_answers_across_a_delegations_start_and_end(conn: Connection) -> None:
    ward = _ward(conn)
    chair = _holder(conn, ward, "chu_tich_ubnd", START)
    officer = _holder(conn, ward, "tu_phap_ho_tich", START)
    _grant(conn, ward)
    assert _who(conn, ward, START - dt.timedelta(days=1)) == {chair: "original"}       # day before start
    assert _who(conn, ward, START) == {chair: "original", officer: "delegation"}      # start day
    last = delegation.who_may(conn, ward, ACT, END - dt.timedelta(days=1))              # last day
    assert {p.person_id: p.basis for p in last.performers} == {chair: "original", officer: "delegation"}
    assert next(p for p in last.performers if p.basis == "delegation").expiring
    assert _who(conn, ward, END) == {chair: "original"}                                 # end day: over
    far = delegation.who_may(conn, ward, ACT, dt.date(2022, 1, 1))
    assert not next(p for p in far.performers if p.basis == "delegation").expiring


def test_a_delegation_from_someone_who_no_longer_holds_the_title_stops_counting(conn: Connection) -> None:
    ward = _ward(conn)
    officer = _holder(conn, ward, "tu_phap_ho_tich", START)
    d = _grant(conn, ward)
    # the chairman changes on 01/03/2022
    change = dt.date(2022, 3, 1)
    H = s.title_holding
    old = conn.execute(select(H).where(H.c.unit_id == ward.id, H.c.title_code == "chu_tich_ubnd")).one()
    conn.execute(H.update().where(H.c.id == old.id).values(valid_to=change))
    new_chair = int(conn.execute(select(s.person.c.id).where(s.person.c.id != old.person_id,
                                                             s.person.c.id != officer).limit(1)).scalar_one())
    conn.execute(H.insert().values(person_id=new_chair, title_code="chu_tich_ubnd", unit_id=ward.id, concurrent=False,
                                   valid_from=change, valid_to=old.valid_to))
    assert _who(conn, ward, change - dt.timedelta(days=1))[officer] == "delegation"
    after = delegation.who_may(conn, ward, ACT, change)
    assert {p.person_id: p.basis for p in after.performers} == {new_chair: "original"}
    assert [x.delegation_id for x in after.lapsed] == [d.id]
    assert "không còn giữ chức danh" in after.lapsed[0].reason
    hist = delegation.history(conn, ward, change)
    assert hist[0].lapsed_on == change and "mất hiệu lực" in hist[0].status
    # the new chairman re-issues it: it counts again
    _grant(conn, ward, valid_from=change, valid_to=None, doc_number="02/QĐ-UBND", doc_date=change)
    assert _who(conn, ward, change)[officer] == "delegation"


def test_revocation_ends_a_delegation_on_a_date_and_keeps_it_in_history(conn: Connection) -> None:
    ward = _ward(conn)
    officer = _holder(conn, ward, "tu_phap_ho_tich", START)
    d = _grant(conn, ward)
    stop = dt.date(2022, 2, 1)
    r = delegation.revoke(conn, d.id, stop, doc_number="05/QĐ-UBND", reason="Sắp xếp lại công việc")
    assert r.valid_to == stop and r.planned_to == END and r.revoked_on == stop
    assert officer in _who(conn, ward, stop - dt.timedelta(days=1))
    assert officer not in _who(conn, ward, stop)
    hist = delegation.history(conn, ward, dt.date(2022, 3, 1))
    assert len(hist) == 1 and "thu hồi" in hist[0].status
    with pytest.raises(BadInput):
        delegation.revoke(conn, d.id, dt.date(2022, 2, 10))


def test_expiring_lists_delegations_ending_within_n_days(conn: Connection) -> None:
    ward = _ward(conn)
    d = _grant(conn, ward)
    on = END - dt.timedelta(days=30)
    assert [i.delegation.id for i in delegation.expiring(conn, on, within_days=30)] == [d.id]
    assert delegation.expiring(conn, on, within_days=28) == []
    item = delegation.expiring(conn, on)[0]
    assert item.days_left == 29 and item.last_day == END - dt.timedelta(days=1) and item.counts


def test_grant_is_refused_where_the_law_does_not_allow_it(conn: Connection) -> None:
    ward = _ward(conn)
    with pytest.raises(BadInput, match="HĐND"):  # before the pilot the ward has a council
        _grant(conn, ward, valid_from=dt.date(2021, 6, 1), doc_date=None)
    with pytest.raises(BadInput, match="không ủy quyền được"):
        _grant(conn, ward, grantee_title="van_thu_thu_quy")
    with pytest.raises(BadInput, match="không được ủy quyền"):
        _grant(conn, ward, acts=["chung_thuc_hop_dong"])
    with pytest.raises(BadInput, match="danh mục"):
        _grant(conn, ward, acts=["khong_co"])
    with pytest.raises(BadInput, match="sau ngày cuối cùng"):
        _grant(conn, ward, valid_to=START)
    assert delegation.delegations_of_unit(conn, [ward.id]) == []  # nothing written


def test_a_delegation_to_a_named_person_must_hold_a_receiving_title(conn: Connection) -> None:
    ward = _ward(conn)
    officer = _holder(conn, ward, "tu_phap_ho_tich", START)
    d = _grant(conn, ward, grantee_title=None, grantee_person_id=officer)
    assert d.grantee_person_id == officer and _who(conn, ward, START)[officer] == "delegation"
    chair = _holder(conn, ward, "chu_tich_ubnd", START)
    with pytest.raises(BadInput):
        _grant(conn, ward, grantee_title=None, grantee_person_id=chair)


def test_bad_input_exits_2_with_one_message(demo_url: str) -> None:
    cases = [
        ("delegation", "who-may", "--unit", "00130", "--act", "khong_co", "--at", "2022-01-01"),
        ("delegation", "who-may", "--unit", "99999", "--act", ACT, "--at", "2022-01-01"),
        ("delegation", "grant", "--unit", "00130", "--act", ACT, "--from", "2022-07-15", "--until", "2022-07-01",
         "--to-title", "tu_phap_ho_tich"),
        ("delegation", "who-may", "--unit", "00130", "--act", ACT, "--at", "2022-02-30"),
    ]
    for args in cases:
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_cli_grant_then_who_may_as_json(demo_url: str) -> None:
    import json

    r = run_cli("delegation", "grant", "--unit", "00130", "--act", ACT, "--from", "15/07/2021", "--until",
                "14/07/2022", "--to-title", "tu_phap_ho_tich", "--doc", "15/QĐ-UBND", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["valid_to"] == "2022-07-15"
    for day, n in (("2021-07-14", 1), ("2021-07-15", 2), ("2022-07-14", 2), ("2022-07-15", 1)):
        w = run_cli("delegation", "who-may", "--unit", "00130", "--act", ACT, "--at", day, "--json")
        assert w.returncode == 0, w.stderr
        assert len(json.loads(w.stdout)["performers"]) == n, day
    e = run_cli("delegation", "expiring", "--at", "2022-07-01", "--json")
    assert [x["days_left"] for x in json.loads(e.stdout)] == [13]
