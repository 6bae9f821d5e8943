"""DOCX minutes read back with python-docx, and the command line with its exit codes."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine, func, select

from tinhgon.consult import service
from tinhgon.consult import tables as t
from tinhgon.consult.minutes import write_minutes

from .conftest import GROUP_DAY, World, make_world


def _thousands(n: int) -> str:
    """Independent of tinhgon.rules.vnformat: 1144 -> '1.144'."""
    return f"{n:,}".replace(",", ".")


def _pct(n: int, d: int) -> str:
    """Independent percentage, two places, trailing zeros trimmed, decimal comma: '92,5 %'."""
    text = f"{round(n * 100 / d, 2):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


def _figures(path: Path) -> dict[str, tuple[str, str]]:
    document = docx.Document(str(path))
    table = next(tb for tb in document.tables if tb.rows[0].cells[0].text == "Nội dung")
    return {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in table.rows[1:]}


def _all_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for tb in document.tables:
        parts.extend(c.text for row in tb.rows for c in row.cells)
    return "\n".join(parts)


def test_docx_minutes_hold_the_figures_of_an_independent_count(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, {"P01-01": 1150, "P01-02": 9})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[world.groups["P01-01"], world.groups["P01-02"]],
                                          on=GROUP_DAY, name="Sáp nhập tổ 1 và tổ 2")
    expected: Counter[tuple[str, str]] = Counter()
    rows = []
    for code in ("P01-01", "P01-02"):
        for i, h in enumerate(world.households[code]):
            if i % 13 == 12:
                continue                                   # absent
            c = "invalid" if i % 31 == 5 else ("disagree" if i % 11 == 3 else "agree")
            if code == "P01-02":
                c = "agree" if i < 4 else "disagree"       # 4 of 9: rejected
            rows.append((len(rows) + 2, h, c, None))
            expected[(code, c)] += 1
    with engine.begin() as conn:
        official = service.get_official(conn, "p01")
        service.import_ballots(conn, cid, official, rows, file="phieu.csv")
        service.declare_paper_count(conn, cid, world.groups["P01-01"], sum(
            v for (code, _c), v in expected.items() if code == "P01-01"))
        service.close_round(conn, cid, by="p01")
    with engine.connect() as conn:
        paths = write_minutes(conn, cid, tmp_path, committee=[("Nguyễn Văn An", "Tổ trưởng"),
                                                               ("Lê Thị Bình", "Thư ký")])
    assert len(paths) == 2
    by_code = {p.stem.rsplit("_", 1)[1]: p for p in paths}
    for code, size in (("P01-01", 1150), ("P01-02", 9)):
        agree, disagree, invalid = (expected[(code, k)] for k in ("agree", "disagree", "invalid"))
        cast = agree + disagree + invalid
        fig = _figures(by_code[code])
        assert fig["Tổng số cử tri đại diện hộ gia đình trong danh sách"] == (_thousands(size), "100 %")
        assert fig["Số phiếu thu về"] == (_thousands(cast), _pct(cast, size))
        assert fig["Số phiếu đồng ý"] == (_thousands(agree), _pct(agree, size))
        assert fig["Số phiếu không đồng ý"] == (_thousands(disagree), _pct(disagree, size))
        assert fig["Số phiếu không hợp lệ"] == (_thousands(invalid), _pct(invalid, size))
        assert fig["Số cử tri đại diện hộ gia đình không có phiếu"][0] == _thousands(size - cast)
        text = _all_text(by_code[code])
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
        assert "BIÊN BẢN KIỂM PHIẾU" in text and "ngày 01 tháng 05 năm 2024" in text
        assert "TỔ TRƯỞNG TỔ KIỂM PHIẾU" in text and "Nguyễn Văn An" in text and "Lê Thị Bình" in text
        assert "05/2022" in text
        approved = agree * 2 > size
        assert ("ĐẠT yêu cầu" in text and "KHÔNG ĐẠT" not in text) if approved else "KHÔNG ĐẠT yêu cầu" in text
    assert "1.150" in _all_text(by_code["P01-01"])
    assert _figures(by_code["P01-01"])["Số phiếu tổ kiểm phiếu đếm tay"][0] == _thousands(
        sum(expected[("P01-01", k)] for k in ("agree", "disagree", "invalid")))
    document = docx.Document(str(by_code["P01-01"]))
    sizes = {r.font.size.pt for p in document.paragraphs for r in p.runs if r.font.size is not None}
    fonts = {r.font.name for p in document.paragraphs for r in p.runs}
    assert fonts == {"Times New Roman"} and sizes <= {13.0, 14.0}


def test_minutes_are_refused_before_a_round_is_closed(engine: Engine, tmp_path: Path) -> None:
    from tinhgon.errors import BadInput

    world = make_world(engine, {"P01-01": 3})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[world.groups["P01-01"]], on=GROUP_DAY, name="x")
    with engine.connect() as conn, pytest.raises(BadInput, match="khóa"):
        write_minutes(conn, cid, tmp_path)


def test_election_minutes_name_the_winner_with_the_votes(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, {"P01-01": 7})
    hh = world.households["P01-01"]
    with engine.begin() as conn:
        cid = service.create_election(conn, world.groups["P01-01"], GROUP_DAY)
        service.add_candidate(conn, cid, f"P{hh[0]}")
        service.add_candidate(conn, cid, f"P{hh[1]}")
        official = service.get_official(conn, "p01")
        for h, c in zip(hh[:5], [hh[0], hh[0], hh[0], hh[1], None], strict=True):
            if c is None:
                service.cast_ballot(conn, cid, official, household=h, choice="invalid")
            else:
                service.cast_ballot(conn, cid, official, household=h, choice="vote", candidate=f"P{c}")
        service.close_round(conn, cid, by="p01")
        paths = write_minutes(conn, cid, tmp_path)
        names = service.candidates(conn, cid)
    fig = _figures(paths[0])
    first, second = names.values()
    assert fig["Số đại diện có mặt (số phiếu thu về)"] == ("5", _pct(5, 7))
    assert fig[f"Số phiếu bầu ông/bà {first}"] == ("3", "60 %")
    assert fig[f"Số phiếu bầu ông/bà {second}"] == ("1", "20 %")
    assert f"Ông/Bà {first} được 3 phiếu" in _all_text(paths[0])


# --- command line --------------------------------------------------------------------------------

def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from tinhgon import cli

    monkeypatch.setattr(sys, "argv", ["tinhgon", "consult", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


def _ballots(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.ballot)).scalar_one())


def test_cli_runs_a_consultation_with_exit_codes(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    world: World = make_world(engine, {"P01-01": 4, "P01-02": 4})
    hh1, hh2 = world.households["P01-01"], world.households["P01-02"]
    code, out = _cli(monkeypatch, capsys, "create", "--unit", "P01-01", "--unit", "P01-02", "--date", "2024-05-01",
                     "--name", "Thử CLI")
    assert code == 0 and "số 1" in out and "05/2022" in out
    code, out = _cli(monkeypatch, capsys, "vote", "-c", "1", "--household", hh1[0], "--choice", "đồng ý",
                     "--as", "p01")
    assert code == 0
    code, out = _cli(monkeypatch, capsys, "vote", "-c", "1", "--household", hh1[0], "--choice", "agree",
                     "--as", "p01")
    assert code == 2 and "đã có phiếu" in out
    code, out = _cli(monkeypatch, capsys, "vote", "-c", "1", "--household", hh1[1], "--choice", "agree",
                     "--as", "p02")
    assert code == 2 and "không có tài khoản" in out      # p02 does not exist in this world
    code, out = _cli(monkeypatch, capsys, "vote", "-c", "1", "--household", hh1[1], "--choice", "maybe",
                     "--as", "p01")
    assert code == 2
    sheet = tmp_path / "phieu.csv"
    sheet.write_text("Mã hộ,Ý kiến\n" + "\n".join(f"{h},Đồng ý" for h in hh1[1:3] + hh2[:3]) + "\n", encoding="utf-8")
    bad = tmp_path / "hong.csv"
    bad.write_text(f"Mã hộ,Ý kiến\n{hh1[3]},đồng ý\n{hh1[0]},đồng ý\n", encoding="utf-8")
    code, out = _cli(monkeypatch, capsys, "import-ballots", "-c", "1", str(bad), "--as", "p01")
    assert code == 2 and "dòng 3" in out and _ballots(engine) == 1
    code, out = _cli(monkeypatch, capsys, "import-ballots", "-c", "1", str(sheet), "--as", "p01")
    assert code == 0 and _ballots(engine) == 6
    code, out = _cli(monkeypatch, capsys, "correct", "-c", "1", "--household", hh2[0], "--choice", "disagree",
                     "--reason", "nhập nhầm", "--as", "p01")
    assert code == 0 and "phiên bản 2" in out
    code, out = _cli(monkeypatch, capsys, "tally", "-c", "1", "--json")
    import json

    data = json.loads(out[out.index("{"):])
    assert {u["code"]: (u["agree"], u["disagree"], u["decision"]) for u in data["units"]} == {
        "P01-01": (3, 0, "approved"), "P01-02": (2, 1, "pending")}
    code, out = _cli(monkeypatch, capsys, "close-round", "-c", "1", "--as", "p01")
    assert code == 0 and "không đạt" in out
    code, out = _cli(monkeypatch, capsys, "vote", "-c", "1", "--household", hh1[3], "--choice", "agree",
                     "--as", "p01")
    assert code == 2 and "đã khóa" in out
    code, out = _cli(monkeypatch, capsys, "open-round2", "-c", "1", "--as", "p01")
    assert code == 0 and "1 đơn vị" in out
    code, out = _cli(monkeypatch, capsys, "open-round2", "-c", "1", "--as", "p01")
    assert code == 2
    code, out = _cli(monkeypatch, capsys, "minutes", "-c", "1", "--output", str(tmp_path / "bb"))
    assert code == 0 and len(list((tmp_path / "bb").glob("*.docx"))) == 2
    code, out = _cli(monkeypatch, capsys, "tally", "-c", "99")
    assert code == 2


def test_two_processes_entering_one_household_at_once_store_one_ballot(engine: Engine, db_url: str) -> None:
    import os
    import subprocess

    world = make_world(engine, {"P01-01": 2})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=[world.groups["P01-01"]], on=GROUP_DAY, name="x")
    h = world.households["P01-01"][0]
    exe = str(Path(sys.executable).parent / "tinhgon")
    env = {**os.environ, "TINHGON_DATABASE_URL": db_url}
    procs = [subprocess.Popen([exe, "consult", "vote", "-c", str(cid), "--household", h, "--choice", choice,
                               "--as", "p01"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for choice in ("agree", "disagree")]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    assert sorted(rc for rc, _ in results) == [0, 2], results
    refused = next(err for rc, err in results if rc == 2)
    assert h in refused and "Traceback" not in refused
    assert _ballots(engine) == 1
