"""Validation: every problem reported at once, with file, row and column; nothing returned on error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from tinhgon.errors import BadInput
from tinhgon.io.problems import Problem, ValidationFailed, format_report
from tinhgon.io.schemas import ValidationContext, load, parse_date, schema, validate
from tinhgon.io.tables import read_table

HEADER = "code,name,parent_code,households,lat,lon,locked"


def refused(kind: str, path: Path, ctx: ValidationContext | None = None) -> list[Problem]:
    with pytest.raises(ValidationFailed) as exc:
        load(kind, path, ctx)
    assert isinstance(exc.value, BadInput) and exc.value.exit_code == 2
    return [p for p in exc.value.problems if p.severity == "error"]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.line() for p in problems]
    return problems[0]


def test_valid_units_file(write_csv: Callable[..., Path]) -> None:
    path = write_csv("u.csv", f"{HEADER}\nP1,Phường A,,100,21.04,105.87,\nT1,Tổ 1,P1,50,,,1\n")
    batch = load("units", path)
    assert batch.ok and batch.row_count == 2
    assert batch.records[1] == {"code": "T1", "name": "Tổ 1", "kind": None, "parent_code": "P1",
                                "households": 50, "population": None, "area_km2": None, "lat": None,
                                "lon": None, "locked": True, "valid_from": None, "valid_to": None}


def test_duplicate_codes(write_csv: Callable[..., Path]) -> None:
    p = only(refused("units", write_csv("d.csv", f"{HEADER}\nA,,,1,,,\nB,,,1,,,\nA,,,2,,,\n")))
    assert (p.file.endswith("d.csv"), p.row, p.column, p.value) == (True, 4, "code", "A")
    assert "dòng 2" in p.reason_vi and "row 2" in p.reason_en


def test_unknown_parent_and_registry_callback(write_csv: Callable[..., Path]) -> None:
    path = write_csv("p.csv", f"{HEADER}\nT1,,P-REG,1,,,\nT2,,P-NONE,1,,,\n")
    problems = refused("units", path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "parent_code", "P-REG"),
                                                              (3, "parent_code", "P-NONE")]
    calls: list[str] = []

    def known(code: str) -> bool:
        calls.append(code)
        return code == "P-REG"

    p = only(refused("units", path, ValidationContext(known_parent_codes=known)))
    assert (p.row, p.value) == (3, "P-NONE")
    assert sorted(calls) == ["P-NONE", "P-REG"]


def test_cycle_in_hierarchy(write_csv: Callable[..., Path]) -> None:
    path = write_csv("c.csv", f"{HEADER}\nA,,C,1,,,\nB,,A,1,,,\nC,,B,1,,,\nD,,A,1,,,\n")
    p = only(refused("units", path))
    assert p.row == 2 and p.column == "parent_code"
    assert "A → C → B → A" in p.reason_vi or "A → B → C → A" in p.reason_vi


def test_unit_is_its_own_parent(write_csv: Callable[..., Path]) -> None:
    p = only(refused("units", write_csv("s.csv", f"{HEADER}\nA,,,1,,,\nB,,B,1,,,\n")))
    assert (p.row, p.column, p.value) == (3, "parent_code", "B")
    assert "chính nó" in p.reason_vi and "own parent" in p.reason_en


@pytest.mark.parametrize(("value", "reason"), [("-3", "âm"), ("2.5", "số nguyên"), ("hai", "số nguyên"),
                                               ("1e3x", "số nguyên"), ("TRUE", "số nguyên")])
def test_bad_household_counts(write_csv: Callable[..., Path], value: str, reason: str) -> None:
    p = only(refused("units", write_csv("h.csv", f"{HEADER}\nA,,,{value},,,\n")))
    assert (p.row, p.column, p.value) == (2, "households", value)
    assert reason in p.reason_vi


def test_bad_household_counts_in_xlsx(write_xlsx: Callable[..., Path]) -> None:
    rows = [HEADER.split(","), ["A", None, None, -1], ["B", None, None, 2.5], ["C", None, None, "ba"],
            ["D", None, None, True], ["E", None, None, None]]
    problems = refused("units", write_xlsx("h.xlsx", {"S": rows}))
    assert [(p.row, p.col_index) for p in problems] == [(2, 4), (3, 4), (4, 4), (5, 4), (6, 4)]
    assert "trống" in problems[-1].reason_vi


@pytest.mark.parametrize("text", ["2025-02-30", "30/02/2025", "31/04/2024", "29/02/2023", "2025-13-01",
                                  "12/25/2024", "1/7/25", "hôm qua", "2025/07", "45839.5", "0", "1850-01-01"])
def test_impossible_or_ambiguous_dates(write_csv: Callable[..., Path], text: str) -> None:
    path = write_csv("d.csv", f"code,households,valid_from\nA,1,{text}\n")
    p = only(refused("units", path))
    assert (p.row, p.column, p.value) == (2, "valid_from", text)


@pytest.mark.parametrize("text", ["01/07/2025", "1/7/2025", "01-07-2025", "01.07.2025", "2025-07-01",
                                  "2025-07-01 00:00:00", "45839"])
def test_accepted_date_formats(text: str) -> None:
    assert parse_date(text) == dt.date(2025, 7, 1)


def test_date_cells() -> None:
    assert parse_date(dt.datetime(2024, 2, 29, 0, 0)) == dt.date(2024, 2, 29)
    assert parse_date(45839.0) == dt.date(2025, 7, 1)


def test_latitude_out_of_range(write_csv: Callable[..., Path]) -> None:
    problems = refused("units", write_csv("l.csv", f"{HEADER}\nA,,,1,91,105,\nB,,,1,21,181,\nC,,,1,21,,\n"))
    assert [(p.row, p.column) for p in problems] == [(2, "lat"), (3, "lon"), (4, "lon")]


def test_missing_required_column(write_csv: Callable[..., Path], write_xlsx: Callable[..., Path]) -> None:
    p = only(refused("units", write_csv("m.csv", "code,name\nA,x\n")))
    assert p.row == 1 and p.column == "Số hộ" and "thiếu cột" in p.reason_vi
    p = only(refused("units", write_xlsx("m.xlsx", {"Đơn vị": [["Mã đơn vị", "Tên"], ["A", "x"]]})))
    assert p.sheet == "Đơn vị" and p.row == 1 and "households" in p.reason_en


def test_no_header_at_all(write_csv: Callable[..., Path]) -> None:
    p = only(refused("units", write_csv("n.csv", "1,2,3\n4,5,6\n")))
    assert p.row == 1 and "tiêu đề" in p.reason_vi


def test_one_bad_row_among_many(write_csv: Callable[..., Path]) -> None:
    lines = [f"U{i:05d},Tổ {i},,{i % 700},,," for i in range(5000)]
    lines[3210] = "U03210,Tổ 3210,,-7,,,"
    path = write_csv("many.csv", HEADER + "\n" + "\n".join(lines) + "\n")
    table = read_table(path, schema("units").header_spec())
    batch = validate("units", table)
    assert batch.records == [] and batch.row_count == 5000 and batch.error_count == 1
    p = only(refused("units", path))
    assert (p.row, p.column, p.value) == (3212, "households", "-7")


def test_all_problems_listed_at_once(write_csv: Callable[..., Path]) -> None:
    path = write_csv("all.csv", f"{HEADER}\nA,,,x,,,\nA,,,1,95,,\nB,,B,-1,,,\n")
    problems = refused("units", path)
    assert len(problems) >= 5
    report = format_report(problems)
    assert "all.csv" in report and "dòng 3" in report and "nothing was written" in report


def test_problem_cap_keeps_counting(write_csv: Callable[..., Path]) -> None:
    lines = "".join(f"U{i},,,x,,,\n" for i in range(50))
    with pytest.raises(ValidationFailed) as exc:
        load("units", write_csv("cap.csv", HEADER + "\n" + lines), ValidationContext(max_problems=10))
    assert exc.value.total_errors == 50 and len(exc.value.problems) == 10
    assert "and 40 more" in str(exc.value)


def test_kind_labels_and_parent_level(write_csv: Callable[..., Path]) -> None:
    path = write_csv("k.csv", "code,kind,parent_code,households\nP,Phường,,1\nT,tổ dân phố,P,1\n"
                     "X,TDP,P,1\nY,Quận,T,1\nZ,không rõ,,1\n")
    problems = refused("units", path)
    assert [(p.row, p.column) for p in problems] == [(5, "parent_code"), (6, "kind")]
    assert "cấp cao hơn" in problems[0].reason_vi


def test_adjacency(write_csv: Callable[..., Path]) -> None:
    path = write_csv("a.csv", "a,b\nU1,U2\nU2,U1\nU2,U3\n")
    batch = load("adjacency", path, ValidationContext(known_unit_codes={"U1", "U2", "U3"}.__contains__))
    assert [(r["a"], r["b"]) for r in batch.records] == [("U1", "U2"), ("U2", "U3")]
    problems = refused("adjacency", write_csv("b.csv", "a,b\nU1,U1\nU1,U9\n"),
                       ValidationContext(known_unit_codes={"U1", "U2"}.__contains__))
    assert [(p.row, p.column) for p in problems] == [(2, "b"), (3, "b")]


def test_households_people_holdings_ballots(write_csv: Callable[..., Path]) -> None:
    hh = write_csv("hh.csv", "Mã hộ,Mã tổ dân phố / thôn,Số nhân khẩu\nH1,T1,4\nH2,T1,0\nH3,T9,2\n")
    problems = refused("households", hh, ValidationContext(known_unit_codes={"T1"}.__contains__))
    assert [(p.row, p.column) for p in problems] == [(3, "Số nhân khẩu"), (4, "Mã tổ dân phố / thôn")]

    ppl = write_csv("p.csv", "code,full_name,birth_date,gender,party_member\nN1,An,09/03/1961,Nam,có\n"
                    "N2,,01/01/2090,nữ,x\nN3,Bình,,khác,có lẽ\n")
    problems = refused("people", ppl, ValidationContext(today=dt.date(2026, 1, 1)))
    assert [(p.row, p.column) for p in problems] == [(3, "full_name"), (3, "birth_date"), (4, "gender"),
                                                     (4, "party_member")]

    hold = write_csv("t.csv", "person_code,title_code,unit_code,concurrent,valid_from,valid_to\n"
                     "N1,Bí thư chi bộ,T1,không,01/10/2022,\nN1,to_truong,T1,có,05/01/2023,01/01/2023\n"
                     "N1,bi_thu_chi_bo,T1,0,2022-10-01,\nN1,giám đốc,T1,,,\n")
    problems = refused("holdings", hold)
    assert [(p.row, p.column) for p in problems] == [(3, "valid_to"), (4, "person_code"), (5, "title_code")]

    ballots = write_csv("b.csv", "household_code,unit_code,choice\nH1,T1,Đồng ý\nH2,T1,không đồng ý\n"
                        "H3,T1,KHONG HOP LE\nH1,T1,agree\nH4,T1,có\n")
    problems = refused("ballots", ballots)
    assert [(p.row, p.column) for p in problems] == [(5, "household_code"), (6, "choice")]
    ok = write_csv("b2.csv", "household_code,unit_code,choice\nH1,T1,Đồng ý\nH2,T1,không đồng ý\n")
    assert [r["choice"] for r in load("ballots", ok).records] == ["agree", "disagree"]


def test_unknown_kind() -> None:
    with pytest.raises(BadInput, match="units"):
        schema("nope")


def test_callback_failure_propagates(write_csv: Callable[..., Path]) -> None:
    # the registry's failure is not the file's fault: it must not become "unknown parent"
    def broken(_code: str) -> bool:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        load("units", write_csv("x.csv", f"{HEADER}\nT1,,P9,1,,,\n"),
             ValidationContext(known_parent_codes=broken))
