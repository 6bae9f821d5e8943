"""The consultation step read from tinhgon.consult (two failed rounds stop the dossier), and the command
line: overdue steps in red with a marker and exit code 0, bad input refused with exit code 2."""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from sqlalchemy import insert

from tinhgon.consult import service as consult
from tinhgon.dossier import service
from tinhgon.errors import BadInput
from tinhgon.registry import schema as s

from .conftest import World, make_plan

HELD = dt.date(2026, 2, 2)


def _households(w: World, key: str, per_group: int) -> None:
    """PER_GROUP households with a head in each of the two groups the test plan merges."""
    with w.engine.begin() as conn:
        for gid in w.groups[key][:2]:
            for k in range(per_group):
                code = f"H{gid}-{k:03d}"
                hid = int(conn.execute(insert(s.household).values(code=code)).inserted_primary_key[0])
                conn.execute(insert(s.household_residence).values(household_id=hid, unit_id=gid, members=3,
                                                                  address=f"Số {k}", valid_from=dt.date(2025, 7, 1)))
                conn.execute(insert(s.person).values(full_name=f"Chủ hộ {k}", household_id=hid, is_head=True,
                                                     party_member=False))


def _vote_all(w: World, cid: int, choice: str) -> None:
    with w.engine.begin() as conn:
        official = consult.get_official(conn, "can-bo")
        rows = [(i + 2, e.voter_code, choice, None) for i, e in enumerate(consult.roll_entries(conn, cid))]
        consult.import_ballots(conn, cid, official, rows, file="phieu.csv")


def test_a_consultation_held_in_tinhgon_that_fails_twice_stops_the_dossier(world: World) -> None:
    make_plan(world, "new", "PA-lay-y-kien", dt.date(2026, 1, 15))
    _households(world, "new", 4)
    with world.engine.begin() as conn:
        did = service.create_dossiers(conn, "PA-lay-y-kien")[0]
        service.advance(conn, did, "scheme", on=dt.date(2026, 1, 20), by="can-bo")
        consult.add_official(conn, "can-bo", scope_unit_id=world.communes["new"])
        cid = consult.create_from_plan(conn, "PA-lay-y-kien", on=HELD)
    _vote_all(world, cid, "disagree")
    with world.engine.begin() as conn, pytest.raises(BadInput, match="chưa có kết quả cuối cùng"):
        service.advance(conn, did, "consultation", on=HELD, by="can-bo")
    with world.engine.begin() as conn:
        consult.close_round(conn, cid, by="can-bo")
    with world.engine.begin() as conn, pytest.raises(BadInput, match="khác kết quả kiểm phiếu"):
        service.advance(conn, did, "consultation", on=HELD, by="can-bo", outcome="passed")
    with world.engine.begin() as conn:
        d = service.advance(conn, did, "consultation", on=HELD, by="can-bo")
    assert d.status.value == "open" and d.steps[1].failed_attempts == 1
    with world.engine.begin() as conn, pytest.raises(BadInput, match="đã được ghi là không đạt"):
        service.advance(conn, did, "consultation", on=HELD, by="can-bo")
    with world.engine.begin() as conn:
        consult.open_round2(conn, cid, by="can-bo")
    _vote_all(world, cid, "disagree")
    with world.engine.begin() as conn:
        consult.close_round(conn, cid, by="can-bo")
        d = service.advance(conn, did, "consultation", on=dt.date(2026, 3, 2), by="can-bo")
    assert d.status.value == "stopped"
    assert [v.status.value for v in d.views(dt.date(2026, 3, 3))] == ["done", "stopped", "stopped", "stopped",
                                                                     "stopped"]
    with world.engine.begin() as conn, pytest.raises(BadInput, match="đã dừng"):
        service.advance(conn, did, "consultation", on=dt.date(2026, 3, 3), by="can-bo")


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from tinhgon import cli

    monkeypatch.setattr(sys, "argv", ["tinhgon", "dossier", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


def test_status_marks_an_overdue_step_in_red_and_exits_0_and_bad_input_exits_2(
        world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    make_plan(world, "new", "PA-cli", dt.date(2026, 1, 15))
    code, out = _cli(monkeypatch, capsys, "create", "--plan", "PA-cli", "--as", "lan")
    assert code == 0 and "Hồ sơ số 1" in out
    for step, day in [("scheme", "2026-01-20"), ("consultation", "05/02/2026"), ("commune-council", "2026-02-13")]:
        code, out = _cli(monkeypatch, capsys, "advance", "-d", "1", "--step", step, "--date", day)
        assert code == 0, out
    # on a terminal the line is red; captured here the colour is dropped and the marker stays
    code, out = _cli(monkeypatch, capsys, "status", "--unit", "00900", "--at", "2026-03-10")
    assert code == 0
    line = next(x for x in out.splitlines() if "[home-affairs]" in x)
    assert "⚠" in line and "QUÁ HẠN" in line and "hạn 06/03/2026" in line and "trễ 2 ngày làm việc" in line
    assert "QUÁ HẠN: home-affairs" in out
    code, out = _cli(monkeypatch, capsys, "status", "--dossier", "1", "--at", "2026-03-10", "--json")
    assert code == 0 and '"overdue": [\n      "home-affairs"\n    ]' in out
    for args, message in [
            (("advance", "-d", "1", "--step", "province-council", "--date", "2026-03-10"), "không bỏ qua bước"),
            (("advance", "-d", "1", "--step", "scheme", "--date", "2026-03-10"), "không ghi lại lần hai"),
            (("advance", "-d", "7", "--step", "scheme"), "không có hồ sơ số 7"),
            (("advance", "-d", "1", "--step", "home-affairs", "--date", "2026-02-30"), "ngày không tồn tại"),
            (("advance", "-d", "1", "--step", "home-affairs", "--attach", str(tmp_path / "no.pdf")), "không có tệp"),
            (("create", "--plan", "PA-cli"), "đã có hồ sơ")]:
        code, out = _cli(monkeypatch, capsys, *args)
        assert code == 2, (args, out)
        assert message in out
