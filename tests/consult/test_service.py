"""Consultations against a real database (SQLite and PostgreSQL): rules, ballots, rounds, integrity."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from tinhgon.consult import service
from tinhgon.consult import tables as t
from tinhgon.consult.model import Choice, Decision
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.errors import BadInput
from tinhgon.registry.plans import save_plan

from .conftest import COMMUNE_DAY, GROUP_DAY, World, make_world


def _group_consultation(engine: Engine, world: World, codes: list[str], day: dt.date = GROUP_DAY) -> int:
    with engine.begin() as conn:
        return service.create_consultation(conn, unit_ids=[world.groups[c] for c in codes], on=day, name="Thử")


def _vote(engine: Engine, cid: int, household: str, choice: str, user: str = "p01", rnd: int | None = None) -> None:
    with engine.begin() as conn:
        service.cast_ballot(conn, cid, service.get_official(conn, user), household=household, choice=choice,
                            round_number=rnd)


def _by_code(tl: object) -> dict[str, object]:
    return {u.code: u for u in tl.units}  # type: ignore[attr-defined]


def test_rule_and_citation_in_force_on_the_consultation_day_are_recorded(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 4, "P01-02": 4})
    cid = _group_consultation(engine, world, ["P01-01", "P01-02"])
    with engine.connect() as conn:
        tl = service.tally(conn, cid)
    assert tl.rule.rule_id == "tt05-2022.consultation.group"
    assert "05/2022" in tl.rule.citation and tl.rule.comparison == ">" and tl.rule.each_unit
    assert tl.rule.max_rounds == 2


def test_roll_has_one_head_per_household_living_in_the_unit(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 7, "P01-02": 3})
    cid = _group_consultation(engine, world, ["P01-01", "P01-02"])
    with engine.connect() as conn:
        entries = service.roll_entries(conn, cid)
        summary = {r["code"]: r["roll"] for r in service.roll_summary(conn, cid)}
    assert summary == {"P01-01": 7, "P01-02": 3}
    assert sorted(e.voter_code for e in entries) == sorted(world.households["P01-01"] + world.households["P01-02"])
    assert all(e.display_name and not e.display_name.startswith("Thành viên") for e in entries)


def test_group_rule_exactly_half_agree_is_rejected_one_more_is_approved(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 10, "P01-02": 10})
    cid = _group_consultation(engine, world, ["P01-01", "P01-02"])
    for h in world.households["P01-01"][:5]:          # 5 of 10: exactly half
        _vote(engine, cid, h, "agree")
    for h in world.households["P01-02"][:6]:          # 6 of 10
        _vote(engine, cid, h, "đồng ý")
    with engine.begin() as conn:
        tl = service.close_round(conn, cid, by="p01")
    units = _by_code(tl)
    assert units["P01-01"].decision == Decision.REJECTED   # type: ignore[attr-defined]
    assert units["P01-02"].decision == Decision.APPROVED   # type: ignore[attr-defined]
    assert tl.overall == Decision.PENDING          # a second round may still be held for P01-01


def test_commune_consultation_under_nd321_exactly_half_of_all_households_is_approved(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 6, "P01-02": 4, "P02-01": 10})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=world.wards, on=COMMUNE_DAY, name="Nhập hai phường")
    with engine.connect() as conn:
        tl = service.tally(conn, cid)
    assert tl.rule.rule_id == "nd321-2025.consultation.commune" and tl.rule.comparison == ">="
    assert {u.code: u.roll for u in tl.units} == {"P01": 10, "P02": 10}   # households of the groups under it
    for h in world.households["P01-01"][:5]:                      # 5 of P01's 10
        _vote(engine, cid, h, "agree", user="admin")
    for h in world.households["P02-01"][:5]:                      # 5 of P02's 10
        _vote(engine, cid, h, "agree", user="admin")
    with engine.begin() as conn:
        tl = service.close_round(conn, cid, by="admin")
    assert [u.decision for u in tl.units] == [Decision.APPROVED, Decision.APPROVED]
    assert tl.overall == Decision.APPROVED


def test_invalid_ballots_and_absent_households_count_in_the_denominator_not_as_agree(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 10})
    cid = _group_consultation(engine, world, ["P01-01"])
    hh = world.households["P01-01"]
    for h in hh[:5]:
        _vote(engine, cid, h, "agree")
    _vote(engine, cid, hh[5], "invalid")
    _vote(engine, cid, hh[6], "disagree")
    # 3 households absent; 5 agree of 7 cast would be 71 %, but of the roll of 10 it is 50 %: rejected
    with engine.begin() as conn:
        tl = service.close_round(conn, cid, by="p01")
    u = tl.units[0]
    assert (u.roll, u.agree, u.disagree, u.invalid, u.absent) == (10, 5, 1, 1, 3)
    assert u.decision == Decision.REJECTED


def test_a_second_entry_for_a_household_in_the_same_round_is_refused(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 3})
    cid = _group_consultation(engine, world, ["P01-01"])
    h = world.households["P01-01"][0]
    _vote(engine, cid, h, "agree")
    with pytest.raises(BadInput, match="đã có phiếu"):
        _vote(engine, cid, h, "disagree")
    with engine.connect() as conn:
        rows = conn.execute(select(t.ballot.c.choice)).all()
    assert [r.choice for r in rows] == ["agree"]


def test_the_database_itself_refuses_a_second_first_version(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 2})
    cid = _group_consultation(engine, world, ["P01-01"])
    _vote(engine, cid, world.households["P01-01"][0], "agree")
    with engine.connect() as conn:
        b = conn.execute(select(t.ballot)).first()
    assert b is not None
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(t.ballot).values(
            round_id=b.round_id, roll_entry_id=b.roll_entry_id, unit_id=b.unit_id, version=1,
            is_current=False, choice="disagree", entered_by="x", entered_at=dt.datetime(2024, 5, 1),
            source="single"))


def test_entry_for_a_household_outside_the_officials_unit_is_refused(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(engine, {"P01-01": 3, "P02-01": 3})
    cid = _group_consultation(engine, world, ["P01-01", "P02-01"])
    with pytest.raises(BadInput, match="phụ trách"):
        _vote(engine, cid, world.households["P02-01"][0], "agree", user="p01")
    _vote(engine, cid, world.households["P02-01"][0], "agree", user="p02")
    rows = [(2, world.households["P01-01"][0], "agree", None), (3, world.households["P02-01"][1], "agree", None)]
    with pytest.raises(BadInput, match="ngoài phạm vi"), engine.begin() as conn:
        service.import_ballots(conn, cid, service.get_official(conn, "p02"), rows, file="phieu.csv")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.ballot)).scalar_one() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_entries_for_one_household_store_one_and_refuse_the_other(engine: Engine,
                                                                                   attempt: int) -> None:
    world = make_world(engine, {"P01-01": 2})
    cid = _group_consultation(engine, world, ["P01-01"])
    h = world.households["P01-01"][0]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def enter(choice: str) -> None:
        try:
            with engine.begin() as conn:
                official = service.get_official(conn, "p01")
                barrier.wait(timeout=10)
                service.cast_ballot(conn, cid, official, household=h, choice=choice)
            result = "stored"
        except BadInput as exc:
            result = f"refused: {exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=enter, args=(c,)) for c in ("agree", "disagree")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "stored"], outcomes
    refused = next(o for o in outcomes if o.startswith("refused"))
    assert h in refused and ("đã có phiếu" in refused or "vừa được người khác" in refused)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.ballot)).scalar_one() == 1


def test_a_closed_round_cannot_change(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 4})
    cid = _group_consultation(engine, world, ["P01-01"])
    hh = world.households["P01-01"]
    _vote(engine, cid, hh[0], "agree")
    with engine.begin() as conn:
        before = service.close_round(conn, cid, by="p01")
    with pytest.raises(BadInput, match="đã khóa"):
        _vote(engine, cid, hh[1], "agree")
    with pytest.raises(BadInput, match="đã khóa"), engine.begin() as conn:
        service.correct_ballot(conn, cid, service.get_official(conn, "p01"), household=hh[0],
                               choice="disagree", reason="thử")
    with pytest.raises(BadInput, match="đã khóa"), engine.begin() as conn:
        service.import_ballots(conn, cid, service.get_official(conn, "p01"), [(2, hh[2], "agree", None)],
                               file="x.csv")
    with pytest.raises(BadInput, match="đã khóa"), engine.begin() as conn:
        service.declare_paper_count(conn, cid, world.groups["P01-01"], 3)
    with pytest.raises(BadInput, match="đã khóa"), engine.begin() as conn:
        service.close_round(conn, cid, by="p01")
    with engine.connect() as conn:
        after = service.tally(conn, cid)
        assert conn.execute(select(func.count()).select_from(t.ballot)).scalar_one() == 1
    assert after.units[0].agree == before.units[0].agree == 1
    assert after.round_status == "closed"


def test_round_two_is_held_once_and_only_for_the_units_that_failed(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 4, "P01-02": 4})
    cid = _group_consultation(engine, world, ["P01-01", "P01-02"])
    with pytest.raises(BadInput, match="chưa khóa"), engine.begin() as conn:
        service.open_round2(conn, cid, by="p01")
    for h in world.households["P01-02"][:3]:
        _vote(engine, cid, h, "agree")
    _vote(engine, cid, world.households["P01-01"][0], "agree")
    with engine.begin() as conn:
        service.close_round(conn, cid, by="p01")
        failed = service.open_round2(conn, cid, by="p01")
    assert failed == [world.groups["P01-01"]]
    with pytest.raises(BadInput, match="vòng 2"):   # the approved group does not vote again
        _vote(engine, cid, world.households["P01-02"][3], "agree", rnd=2)
    # round 2 is a fresh round: the household that voted in round 1 votes again
    for h in world.households["P01-01"][:3]:
        _vote(engine, cid, h, "agree", rnd=2)
    with pytest.raises(BadInput, match="vòng 2 đã được tổ chức"), engine.begin() as conn:
        service.open_round2(conn, cid, by="p01")
    with engine.begin() as conn:
        tl = service.close_round(conn, cid, by="p01", round_number=2)
        with pytest.raises(BadInput, match="vòng 2 đã được tổ chức"):
            service.open_round2(conn, cid, by="p01")
    assert [u.code for u in tl.units] == ["P01-01"]
    assert tl.units[0].decision == Decision.APPROVED
    assert tl.overall == Decision.APPROVED


def test_round_two_failing_again_ends_the_consultation(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 4})
    cid = _group_consultation(engine, world, ["P01-01"])
    with engine.begin() as conn:
        service.close_round(conn, cid, by="p01")
        service.open_round2(conn, cid, by="p01")
        tl = service.close_round(conn, cid, by="p01")
    assert tl.overall == Decision.REJECTED


def test_a_correction_keeps_every_version_and_the_latest_counts(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 3})
    cid = _group_consultation(engine, world, ["P01-01"])
    h = world.households["P01-01"][0]
    _vote(engine, cid, h, "agree")
    with pytest.raises(BadInput, match="lý do"), engine.begin() as conn:
        service.correct_ballot(conn, cid, service.get_official(conn, "p01"), household=h, choice="disagree",
                               reason=" ")
    with engine.begin() as conn:
        official = service.get_official(conn, "p01")
        r = service.correct_ballot(conn, cid, official, household=h, choice="disagree", reason="đọc nhầm phiếu")
        assert r.version == 2
        service.correct_ballot(conn, cid, official, household=h, choice="withdrawn", reason="phiếu của tổ khác")
    with engine.connect() as conn:
        hist = service.ballot_history(conn, cid, h)
        tl = service.tally(conn, cid)
    assert [(v["version"], v["choice"], v["is_current"]) for v in hist] == [
        (1, "agree", False), (2, "disagree", False), (3, "withdrawn", True)]
    assert hist[1]["reason"] == "đọc nhầm phiếu" and hist[0]["entered_by"] == "p01"
    u = tl.units[0]
    assert (u.agree, u.disagree, u.cast, u.absent) == (0, 0, 0, 3)   # a withdrawn paper counts as absent


def test_a_sheet_of_ballots_is_checked_whole_and_written_all_or_nothing(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 6})
    cid = _group_consultation(engine, world, ["P01-01"])
    hh = world.households["P01-01"]
    bad = [(2, hh[0], "đồng ý", None), (3, hh[1], "có lẽ", None), (4, "KHÔNG-CÓ", "agree", None),
           (5, hh[0], "agree", None)]
    with pytest.raises(BadInput) as err, engine.begin() as conn:
        service.import_ballots(conn, cid, service.get_official(conn, "p01"), bad, file="phieu.csv")
    msg = str(err.value)
    assert "phieu.csv" in msg and "dòng 3" in msg and "dòng 4" in msg and "dòng 5" in msg and "dòng 2:" not in msg
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.ballot)).scalar_one() == 0
    good = [(i + 2, h, c, None) for i, (h, c) in enumerate(zip(hh, ["đồng ý", "Đồng ý", "không đồng ý",
                                                                  "không hợp lệ", "agree"], strict=False))]
    with engine.begin() as conn:
        res = service.import_ballots(conn, cid, service.get_official(conn, "p01"), good, file="phieu.csv")
        tl = service.tally(conn, cid)
    assert res.entered == 5
    u = tl.units[0]
    assert (u.agree, u.disagree, u.invalid, u.absent) == (3, 1, 1, 1)


def test_declared_paper_count_that_differs_from_the_entries_is_warned(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 5})
    cid = _group_consultation(engine, world, ["P01-01"])
    _vote(engine, cid, world.households["P01-01"][0], "agree")
    with engine.begin() as conn:
        service.declare_paper_count(conn, cid, world.groups["P01-01"], 2)
        tl = service.tally(conn, cid)
    assert any("khai 2" in w and "nhập 1" in w for w in tl.warnings)


def test_household_found_by_the_heads_name_without_accents(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 3})
    cid = _group_consultation(engine, world, ["P01-01"])
    with engine.begin() as conn:
        official = service.get_official(conn, "p01")
        r = service.cast_ballot(conn, cid, official, name="tran thi ha", choice=Choice.AGREE)
    assert r.voter_code == world.households["P01-01"][1]   # "Trần Thị Hà 1"
    with pytest.raises(BadInput, match="không tìm thấy"), engine.begin() as conn:
        service.cast_ballot(conn, cid, service.get_official(conn, "p01"), name="khong co ai", choice="agree")


def test_consultation_from_a_plan_covers_the_merged_units_only(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 3, "P01-02": 2, "P01-03": 5})
    g = world.groups
    plan = Plan(name="PA1", scope_unit_id=world.wards[0], at=GROUP_DAY, groups=[
        PlanGroup(label="N1", parent_unit_id=world.wards[0], unit_ids=[g["P01-01"], g["P01-02"]], households=5),
        PlanGroup(label="N2", parent_unit_id=world.wards[0], unit_ids=[g["P01-03"]], households=5)])
    with engine.begin() as conn:
        save_plan(conn, plan)
        cid = service.create_from_plan(conn, "PA1")
        summary = service.roll_summary(conn, cid)
    assert [(r["code"], r["group"], r["roll"]) for r in summary] == [("P01-01", "N1", 3), ("P01-02", "N1", 2)]
    with pytest.raises(BadInput, match="không có phương án"), engine.begin() as conn:
        service.create_from_plan(conn, "không-có")


def test_election_result_closes_the_previous_head_and_seats_the_winner(engine: Engine) -> None:
    from tinhgon.registry import repo
    from tinhgon.registry import schema as s

    world = make_world(engine, {"P01-01": 10})
    gid = world.groups["P01-01"]
    hh = world.households["P01-01"]
    old_head = world.heads[hh[9]]
    with engine.begin() as conn:
        conn.execute(insert(s.title_holding).values(person_id=old_head, title_code="to_truong", unit_id=gid,
                                                    concurrent=False, valid_from=dt.date(2020, 1, 1)))
        cid = service.create_election(conn, gid, GROUP_DAY)
        a = service.add_candidate(conn, cid, f"P{hh[0]}")
        service.add_candidate(conn, cid, f"P{hh[1]}")
        with pytest.raises(BadInput, match="không phải người đang sống"):
            service.add_candidate(conn, cid, "P-không-có")
    with engine.begin() as conn:
        official = service.get_official(conn, "p01")
        for h in hh[:5]:
            service.cast_ballot(conn, cid, official, household=h, choice="vote", candidate=f"P{hh[0]}")
        for h in hh[5:7]:
            service.cast_ballot(conn, cid, official, household=h, choice="vote", candidate=f"P{hh[1]}")
        service.cast_ballot(conn, cid, official, household=hh[7], choice="invalid")
        tl = service.close_round(conn, cid, by="p01")
    # 5 of 8 present: more than half
    assert tl.units[0].winner == a and tl.overall == Decision.APPROVED
    with engine.connect() as conn:
        before = repo.holdings_at(conn, GROUP_DAY - dt.timedelta(days=1), unit_ids=[gid])
        after = repo.holdings_at(conn, GROUP_DAY, unit_ids=[gid])
        problems = repo.integrity_problems(conn)
    assert [(h.person_id, h.title_code) for h in before] == [(old_head, "to_truong")]
    assert [(h.person_id, h.title_code, h.valid_from) for h in after] == [(world.heads[hh[0]], "to_truong",
                                                                           GROUP_DAY)]
    assert problems == []


def test_election_without_a_majority_seats_nobody(engine: Engine) -> None:
    from tinhgon.registry import repo

    world = make_world(engine, {"P01-01": 6})
    gid = world.groups["P01-01"]
    hh = world.households["P01-01"]
    with engine.begin() as conn:
        cid = service.create_election(conn, gid, GROUP_DAY)
        service.add_candidate(conn, cid, f"P{hh[0]}")
        service.add_candidate(conn, cid, f"P{hh[1]}")
        official = service.get_official(conn, "p01")
        for h, c in zip(hh[:4], [hh[0], hh[0], hh[1], hh[1]], strict=True):
            service.cast_ballot(conn, cid, official, household=h, choice="vote", candidate=f"P{c}")
        tl = service.close_round(conn, cid, by="p01")
        assert tl.units[0].winner is None and tl.overall == Decision.PENDING   # may be held again
        assert repo.holdings_at(conn, GROUP_DAY, unit_ids=[gid]) == []


def test_independent_count_matches_the_tally_after_many_entries(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 40, "P01-02": 30})
    cid = _group_consultation(engine, world, ["P01-01", "P01-02"])
    choices = ["agree", "agree", "disagree", "invalid", "agree"]
    expected: Counter[tuple[str, str]] = Counter()
    rows = []
    for code in ("P01-01", "P01-02"):
        for i, h in enumerate(world.households[code]):
            if i % 7 == 6:
                continue
            c = choices[(i * 3 + len(code)) % 5]
            rows.append((len(rows) + 2, h, c, None))
            expected[(code, c)] += 1
    with engine.begin() as conn:
        service.import_ballots(conn, cid, service.get_official(conn, "p01"), rows, file="a.csv")
        tl = service.tally(conn, cid)
    for u in tl.units:
        assert (u.agree, u.disagree, u.invalid) == (expected[(u.code, "agree")], expected[(u.code, "disagree")],
                                                    expected[(u.code, "invalid")])


def test_only_an_official_covering_every_unit_may_close_the_round(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 2, "P02-01": 2})
    cid = _group_consultation(engine, world, ["P01-01", "P02-01"])
    with pytest.raises(BadInput, match="không phụ trách"), engine.begin() as conn:
        service.close_round(conn, cid, by="p01", official=service.get_official(conn, "p01"))
    with engine.begin() as conn:
        tl = service.close_round(conn, cid, by="admin", official=service.get_official(conn, "admin"))
    assert tl.round_status == "closed"


def test_bulk_insert_path_refuses_a_duplicate_through_the_database_constraint(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 2})
    cid = _group_consultation(engine, world, ["P01-01"])
    _vote(engine, cid, world.households["P01-01"][0], "agree")
    with engine.connect() as conn:
        b = conn.execute(select(t.ballot)).first()
    assert b is not None
    row = {c: getattr(b, c) for c in service._BALLOT_COLUMNS} | {"choice": "disagree"}
    with pytest.raises(service._DuplicateEntry), engine.begin() as conn:
        service._insert_ballots(conn, [row])
    assert _vote_count(engine) == 1


def _vote_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.ballot)).scalar_one())


def test_a_web_account_enters_ballots_within_its_scope_and_a_viewer_cannot(engine: Engine) -> None:
    from tinhgon.registry import schema as s

    web_user = s.metadata.tables.get("web_user")
    if web_user is None:
        pytest.skip("no web accounts table in this build")
    world = make_world(engine, {"P01-01": 2, "P02-01": 2})
    cid = _group_consultation(engine, world, ["P01-01", "P02-01"])
    with engine.begin() as conn:
        for name, role in (("web.p01", "commune_officer"), ("web.xem", "viewer")):
            conn.execute(insert(web_user).values(username=name, password_hash="x", role=role,
                                                 scope_unit_id=world.wards[0], active=True,
                                                 created_at=dt.datetime(2024, 1, 1)))
    _vote(engine, cid, world.households["P01-01"][0], "agree", user="web.p01")
    with pytest.raises(BadInput, match="phụ trách"):
        _vote(engine, cid, world.households["P02-01"][0], "agree", user="web.p01")
    with pytest.raises(BadInput, match="chỉ được xem"):
        _vote(engine, cid, world.households["P01-01"][1], "agree", user="web.xem")
    with engine.connect() as conn:
        assert [(b.entered_by, b.official_id) for b in conn.execute(select(t.ballot))] == [("web.p01", None)]


def test_a_closed_round_also_freezes_the_roll_and_the_candidates(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 3})
    gid = world.groups["P01-01"]
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[gid], on=GROUP_DAY, name="x", roll_kind="voters")
        service.close_round(conn, cid, by="p01")
        with pytest.raises(BadInput, match="đã có vòng được khóa"):
            service.import_voter_roll(conn, cid, [(2, "CT1", "A", "P01-01")])
        eid = service.create_election(conn, gid, GROUP_DAY)
        service.close_round(conn, eid, by="p01")
        with pytest.raises(BadInput, match="đã có vòng được khóa"):
            service.add_candidate(conn, eid, f"P{world.households['P01-01'][0]}")
