"""Paper-ballot sheets and voter rolls read from XLSX and CSV files, then entered."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from tinhgon.consult import files, service
from tinhgon.errors import BadInput

from .conftest import GROUP_DAY, make_world


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_an_xlsx_sheet_with_extra_columns_is_read_and_entered(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, {"P01-01": 4})
    hh = world.households["P01-01"]
    sheet = _xlsx(tmp_path / "phieu.xlsx", [
        ["Mã đợt lấy ý kiến", "Mã hộ", "Người đại diện hộ", "Ý kiến"],
        ["SX-1", hh[0], "A", "Đồng ý"], ["SX-1", hh[1], "B", "Không đồng ý"], [None, None, None, None],
        ["SX-1", hh[2], "C", "Không hợp lệ"]])
    rows = files.read_ballot_sheet(sheet)
    assert [(r[1], r[2]) for r in rows] == [(hh[0], "Đồng ý"), (hh[1], "Không đồng ý"), (hh[2], "Không hợp lệ")]
    assert [r[0] for r in rows] == [2, 3, 5]        # row numbers as Excel shows them
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[world.groups["P01-01"]], on=GROUP_DAY, name="x")
        service.import_ballots(conn, cid, service.get_official(conn, "p01"), rows, file=str(sheet))
        u = service.tally(conn, cid).units[0]
    assert (u.agree, u.disagree, u.invalid, u.absent) == (1, 1, 1, 1)


def test_a_sheet_without_the_household_column_is_refused(tmp_path: Path) -> None:
    sheet = tmp_path / "x.csv"
    sheet.write_text("Tên,Ý kiến\nA,đồng ý\n", encoding="utf-8")
    with pytest.raises(BadInput, match="Mã hộ"):
        files.read_ballot_sheet(sheet)


def test_a_voters_roll_is_imported_whole_and_counts_as_the_denominator(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, {"P01-01": 2, "P01-02": 2})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[world.groups["P01-01"], world.groups["P01-02"]],
                                          on=GROUP_DAY, name="cử tri", roll_kind="voters")
    bad = tmp_path / "bad.csv"
    bad.write_text("Mã cử tri,Họ và tên,Mã đơn vị\nCT1,Nguyễn Văn A,P01-01\nCT1,Lê B,P01-02\nCT3,C,P09-09\n",
                   encoding="utf-8")
    with pytest.raises(BadInput, match=r"dòng 3.*dòng 4"), engine.begin() as conn:
        service.import_voter_roll(conn, cid, files.read_voter_roll(bad), file=str(bad))
    good = _xlsx(tmp_path / "cu_tri.xlsx", [["Mã cử tri", "Họ và tên", "Mã đơn vị"],
                                           *[[f"CT{i}", f"Cử tri {i}", "P01-01" if i < 5 else "P01-02"]
                                             for i in range(8)]])
    with engine.begin() as conn:
        sizes = service.import_voter_roll(conn, cid, files.read_voter_roll(good), file=str(good))
        official = service.get_official(conn, "p01")
        for code in ("CT0", "CT1", "CT2"):
            service.cast_ballot(conn, cid, official, household=code, choice="agree")
        service.cast_ballot(conn, cid, official, name="cu tri 5", choice="agree")
        tl = service.tally(conn, cid)
        with pytest.raises(BadInput, match="đã có phiếu"):
            service.import_voter_roll(conn, cid, files.read_voter_roll(good), file=str(good))
    assert sizes == {world.groups["P01-01"]: 5, world.groups["P01-02"]: 3}
    assert [(u.roll, u.agree, u.decision.value) for u in tl.units] == [(5, 3, "approved"), (3, 1, "pending")]


def test_a_unit_code_on_the_sheet_must_match_the_households_unit(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, {"P01-01": 2, "P01-02": 2})
    a, b = world.households["P01-01"], world.households["P01-02"]
    sheet = tmp_path / "phieu.csv"
    sheet.write_text(f"Mã hộ,Mã đơn vị,Ý kiến\n{a[0]},P01-01,đồng ý\n{b[0]},P01-01,đồng ý\n", encoding="utf-8")
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[world.groups["P01-01"], world.groups["P01-02"]],
                                          on=GROUP_DAY, name="x")
    with pytest.raises(BadInput, match=r"dòng 3: hộ .* thuộc P01-02"), engine.begin() as conn:
        service.import_ballots(conn, cid, service.get_official(conn, "p01"), files.read_ballot_sheet(sheet),
                               file=str(sheet))


def test_a_voter_entered_by_hand_joins_the_roll_once(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 2})
    gid = world.groups["P01-01"]
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[gid], on=GROUP_DAY, name="x", roll_kind="voters")
        service.add_voter(conn, cid, "CT9", "Đinh Văn Khải", gid)
        with pytest.raises(BadInput, match="đã có trong danh sách"):
            service.add_voter(conn, cid, "CT9", "Người khác", gid)
        r = service.cast_ballot(conn, cid, service.get_official(conn, "p01"), name="dinh van khai", choice="agree")
        tl = service.tally(conn, cid)
    assert r.voter_code == "CT9"
    assert (tl.units[0].roll, tl.units[0].agree) == (1, 1)
