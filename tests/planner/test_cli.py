"""`tinhgon plan solve` / `plan check`, through both entry points: outputs, violations, bad input."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from tests.planner.conftest import Instance, random_instance

# A 2×3 grid inside one parent plus a unit of another parent:
#   A(300) B(300) C(700)
#   D(300) E(300) F(100)      G(400, parent Q, next to C)
UNITS = """code,name,parent_code,households,lat,lon,locked
A,A,P,300,1,1,0
B,B,P,300,1,2,0
C,C,P,700,1,3,0
D,D,P,300,0,1,0
E,E,P,300,0,2,0
F,F,P,100,0,3,0
G,G,Q,400,1,4,0
"""
ADJ = "a,b\nA,B\nB,C\nD,E\nE,F\nA,D\nB,E\nC,F\nC,G\n"


@pytest.fixture
def grid(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "adjacency.csv").write_text(ADJ, encoding="utf-8")
    return {"units": tmp_path / "units.csv", "adjacency": tmp_path / "adjacency.csv", "dir": tmp_path}


def _check(run_cli, grid: dict[str, Path], plan: str, *extra: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    path = grid["dir"] / "plan.csv"
    path.write_text("code,group\n" + plan, encoding="utf-8")
    code, out, _ = run_cli("plan", "check", "--units", grid["units"], "--adjacency", grid["adjacency"],
                           "--plan", path, "--threshold", "600", *extra)
    return code, json.loads(out)


GOOD = "A,1\nD,1\nB,2\nE,2\nC,3\nF,3\nG,4\n"


def test_solve_writes_a_valid_plan_and_metrics(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    out_plan = grid["dir"] / "out.csv"
    metrics = grid["dir"] / "m.json"
    code, _out, err = run_cli("plan", "solve", "--units", grid["units"], "--adjacency", grid["adjacency"],
                             "--threshold", "600", "--output", out_plan, "--metrics", metrics)
    assert code == 0, err
    m = json.loads(metrics.read_text(encoding="utf-8"))
    assert m["valid"] and m["p"] == 3 and m["upper_bound"] == 3 and "seconds" in m
    assert m["below_threshold_components"] == 1  # G alone in parent Q
    rows = list(csv.DictReader(out_plan.open(encoding="utf-8")))
    assert sorted(r["code"] for r in rows) == list("ABCDEFG")
    code, rep = _check(run_cli, grid, "".join(f"{r['code']},{r['group']}\n" for r in rows))
    assert code == 0 and rep["valid"] and rep["p"] == 3


def test_check_accepts_a_good_plan(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    code, rep = _check(run_cli, grid, GOOD)
    assert code == 0 and rep["valid"] and rep["p"] == 3 and rep["groups"] == 4
    assert rep["upper_bound"] == 3 and rep["violations"] == []


@pytest.mark.parametrize(("plan", "kind", "extra"), [
    ("A,1\nE,1\nB,2\nD,2\nC,3\nF,3\nG,4\n", "not_connected", ()),
    ("A,1\nD,1\nB,2\nE,2\nC,3\nF,3\nG,3\n", "crosses_parent", ()),
    (GOOD, "forbid_pair", ("pairs", "A,D,forbid\n")),
    (GOOD, "locked_not_alone", ("locked", "A")),
    ("A,1\nD,2\nB,2\nE,2\nC,3\nF,3\nG,4\n", "below_threshold", ()),
    (GOOD, "over_max_size", ("max", "700")),
    ("A,1\nD,1\nB,2\nE,2\nC,3\nG,4\n", "missing_unit", ()),
    (GOOD + "A,2\n", "duplicate_unit", ()),
    (GOOD + "Z,2\n", "unknown_unit", ()),
    ("A,1\nD,1\nB,2\nE,2\nC,3\nF,3\nG,4\n", "below_threshold", ("split_g", "")),
])
def test_check_catches_each_violation(run_cli, grid: dict[str, Path], plan: str, kind: str,  # type: ignore[no-untyped-def]
                                      extra: tuple[str, str]) -> None:
    args: list[str] = []
    if extra and extra[0] == "pairs":
        p = grid["dir"] / "pairs.csv"
        p.write_text("a,b,relation\n" + extra[1], encoding="utf-8")
        args = ["--pairs", str(p)]
    elif extra and extra[0] == "locked":
        grid["units"].write_text(UNITS.replace(f"{extra[1]},{extra[1]},P,300,1,1,0",
                                               f"{extra[1]},{extra[1]},P,300,1,1,1"), encoding="utf-8")
    elif extra and extra[0] == "max":
        args = ["--max-size", extra[1]]
    elif extra and extra[0] == "split_g":
        # G's parent Q gets a second unit H: the piece {G, H} (500) must stay one group
        grid["units"].write_text(UNITS + "H,H,Q,100,1,5,0\n", encoding="utf-8")
        grid["adjacency"].write_text(ADJ + "G,H\n", encoding="utf-8")
        plan = plan + "H,5\n"
    code, rep = _check(run_cli, grid, plan, *args)
    assert code == 1
    assert not rep["valid"]
    assert kind in {v["kind"] for v in rep["violations"]}, rep["violations"]
    assert {"valid", "p", "groups", "upper_bound", "violations"} <= rep.keys()


def test_stranded_group_is_accepted_only_when_no_neighbour_can_take_it(run_cli, grid) -> None:  # type: ignore[no-untyped-def]
    # F (100) cannot join C's group or the group {B, E}: every merge joins a forbid pair
    p = grid["dir"] / "pairs.csv"
    p.write_text("a,b,relation\nF,C,forbid\nF,B,forbid\n", encoding="utf-8")
    code, rep = _check(run_cli, grid, "A,1\nD,1\nB,2\nE,2\nC,3\nF,5\nG,4\n", "--pairs", str(p))
    assert code == 0 and rep["stranded_groups"] == 1
    code, rep = _check(run_cli, grid, "A,1\nD,1\nB,2\nE,2\nC,3\nF,5\nG,4\n")
    assert code == 1


@pytest.mark.parametrize(("target", "content", "needle"), [
    ("units", None, "không tìm thấy"),
    ("units", "code,name,households\nA,A,300\n", None),
    ("units", "code,name\nA,A\n", "households"),
    ("units", "code,households\nA,300\nB,-5\n", "dòng 3"),
    ("units", "code,households\nA,300\nB,2.5\n", "dòng 3"),
    ("units", "code,households\nA,300\nA,200\n", "trùng"),
    ("units", "", "rỗng"),
    ("units", "code,households\n", "không có dòng"),
    ("units", "code,households,locked\nA,300,maybe\n", "locked"),
    ("adjacency", "a,b\nA,ZZZ\n", "ZZZ"),
    ("adjacency", "a,c\nA,B\n", "'b'"),
    ("pairs", "a,b,relation\nA,B,hate\n", "hate"),
    ("pairs", "a,b,relation\nA,QQ,forbid\n", "QQ"),
])
def test_bad_input_exits_2_and_writes_nothing(run_cli, grid: dict[str, Path], target: str,  # type: ignore[no-untyped-def]
                                              content: str | None, needle: str | None) -> None:
    args = {"units": grid["units"], "adjacency": grid["adjacency"]}
    if target == "pairs":
        args["pairs"] = grid["dir"] / "pairs.csv"
    if content is None:
        args[target] = grid["dir"] / "missing.csv"
    else:
        path = grid["dir"] / f"bad_{target}.csv"
        path.write_text(content, encoding="utf-8")
        args[target] = path
    out_plan = grid["dir"] / "out.csv"
    cmd = ["plan", "solve", "--threshold", "600", "--output", str(out_plan)]
    for k, v in args.items():
        cmd += [f"--{k}", str(v)]
    code, out, err = run_cli(*cmd)
    if needle is None:  # the adjacency names units that this file lacks
        needle = "adjacency"
    assert code == 2, (out, err)
    assert not out_plan.exists()
    assert err.count("Lỗi:") == 1 and needle in err
    assert "Traceback" not in err
    bad_file = str(args[target])
    assert bad_file in err or Path(bad_file).name in err or "adjacency" in err


def test_bad_threshold_and_max_size_exit_2(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    out_plan = grid["dir"] / "out.csv"
    base = ["plan", "solve", "--units", grid["units"], "--adjacency", grid["adjacency"], "--output", out_plan]
    assert run_cli(*base, "--threshold", "0")[0] == 2
    assert run_cli(*base, "--threshold", "600", "--max-size", "500")[0] == 2
    assert run_cli(*base, "--threshold", "abc")[0] == 2
    assert run_cli(*base, "--threshold", "600", "--max-size", "650")[0] == 2  # C has 700 households
    assert not out_plan.exists()


def test_byte_order_mark_is_accepted(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    grid["units"].write_bytes("\ufeff".encode() + UNITS.encode("utf-8"))
    grid["adjacency"].write_bytes("\ufeff".encode() + ADJ.encode("utf-8"))
    code, rep = _check(run_cli, grid, GOOD)
    assert code == 0 and rep["valid"]


def _solve_files(run_cli, inst: Instance, folder: Path, *extra: str) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    paths = inst.write(folder)
    out = folder / "plan.csv"
    m = folder / "m.json"
    args = ["plan", "solve", "--units", paths["units"], "--adjacency", paths["adjacency"],
            "--threshold", str(inst.threshold), "--output", out, "--metrics", m, *extra]
    if "pairs" in paths:
        args += ["--pairs", paths["pairs"]]
    if inst.max_size is not None:
        args += ["--max-size", str(inst.max_size)]
    code, _, err = run_cli(*args)
    assert code == 0, err
    return out.read_text(encoding="utf-8"), json.loads(m.read_text(encoding="utf-8"))


def test_same_seed_same_file_and_check_agrees(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inst = random_instance(random.Random(3), 400, parents=5, locked=0.02, forbid=5, prefer=5, max_size=True)
    a, ma = _solve_files(run_cli, inst, tmp_path / "a", "--seed", "4", "--workers", "1")
    b, _ = _solve_files(run_cli, inst, tmp_path / "b", "--seed", "4", "--workers", "2")
    assert a == b
    assert ma["valid"]
    paths = inst.write(tmp_path / "a")
    code, out, _ = run_cli("plan", "check", "--units", paths["units"], "--adjacency", paths["adjacency"],
                           "--plan", tmp_path / "a" / "plan.csv", "--threshold", str(inst.threshold),
                           "--pairs", paths["pairs"], "--max-size", str(inst.max_size))
    rep = json.loads(out)
    assert code == 0 and rep["valid"] and rep["p"] == ma["p"]


def test_progress_bar_goes_to_stderr_when_asked(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("plan", "solve", "--units", grid["units"], "--adjacency", grid["adjacency"],
                             "--threshold", "600", "--output", grid["dir"] / "o.csv", "--progress")
    assert code == 0 and "lập phương án" in err and "lập phương án" not in out


def test_check_refuses_a_malformed_plan_file(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    plan = grid["dir"] / "plan.csv"
    plan.write_text("code,nhom\nA,1\n", encoding="utf-8")
    code, out, err = run_cli("plan", "check", "--units", grid["units"], "--adjacency", grid["adjacency"],
                             "--plan", plan, "--threshold", "600")
    assert code == 2 and "plan.csv" in err and "group" in err and out == ""
    code, _, err = run_cli("plan", "check", "--units", grid["units"], "--adjacency", grid["adjacency"],
                           "--plan", grid["dir"] / "nope.csv", "--threshold", "600")
    assert code == 2 and "nope.csv" in err


def test_output_in_a_missing_folder_is_refused(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("plan", "solve", "--units", grid["units"], "--adjacency", grid["adjacency"],
                           "--threshold", "600", "--output", grid["dir"] / "no" / "plan.csv")
    assert code == 2 and "plan.csv" in err


def test_quoted_csv_fields_are_read(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    # quotes switch the reader to the csv module: names with commas, quoted numbers
    text = UNITS.replace("A,A,P,300", 'A,"Tổ A, khu 1",P,"300"')
    grid["units"].write_text(text, encoding="utf-8")
    code, rep = _check(run_cli, grid, GOOD)
    assert code == 0 and rep["valid"] and rep["households"] == 2400
    bad = UNITS.replace("B,B,P,300", 'B,"Tổ B, khu 2",P,-3')
    grid["units"].write_text(bad, encoding="utf-8")
    code, _, err = run_cli("plan", "check", "--units", grid["units"], "--adjacency", grid["adjacency"],
                             "--plan", grid["dir"] / "plan.csv", "--threshold", "600")
    assert code == 2 and "dòng 3" in err and "households" in err


def test_exact_option_reports_a_proof(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ortools")
    inst = random_instance(random.Random(21), 40, mean=300.0)
    _, m = _solve_files(run_cli, inst, tmp_path, "--exact", "--time-limit", "20")
    assert m["valid"] and m["solver"]["method"] == "exact"
    assert m["solver"]["proven_optimal"] == (m["gap"] == 0)


def _run_entry(*args: str | Path) -> tuple[int, str, list[str]]:
    """Run the console script's entry in a fresh interpreter; returns (exit code, stdout, heavy modules
    that were imported)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tinhgon import entry\n"
        f"sys.argv = ['tinhgon', *{[str(a) for a in args]!r}]\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'pydantic', 'rich', "
        "'sqlalchemy', 'fastapi', 'numpy'})\n"
        "print('HEAVY=' + ','.join(heavy))\n"
        "sys.exit(rc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = r.stdout.strip().splitlines()
    heavy = lines[-1].removeprefix("HEAVY=")
    return r.returncode, "\n".join(lines[:-1]), [h for h in heavy.split(",") if h]


def test_console_script_solves_without_loading_the_command_framework(grid: dict[str, Path]) -> None:
    out = grid["dir"] / "fast.csv"
    code, stdout, heavy = _run_entry("plan", "solve", "--units", grid["units"], "--adjacency",
                                     grid["adjacency"], "--threshold", "600", "--output", out)
    assert code == 0, stdout
    assert heavy == []
    assert out.read_text(encoding="utf-8").startswith("code,group")
    code, stdout, heavy = _run_entry("plan", "check", "--units", grid["units"], "--adjacency",
                                     grid["adjacency"], "--plan", out, "--threshold", "600")
    assert code == 0 and json.loads(stdout)["valid"] is True
    assert heavy == []


def test_other_commands_still_go_through_typer() -> None:
    code, stdout, heavy = _run_entry("plan", "--help")
    assert code == 0
    assert "typer" in heavy
    for name in ("solve", "check", "create", "export"):
        assert name in stdout


@pytest.mark.parametrize("command", ["solve", "check"])
def test_help_of_the_file_commands_lists_their_options(run_cli, command: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("plan", command, "--help")
    assert code == 0
    assert "--units" in out and "--adjacency" in out and "--threshold" in out
    assert ("--output" in out) == (command == "solve")


def test_missing_required_option_exits_2(run_cli, grid: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("plan", "solve", "--units", grid["units"], "--threshold", "600")
    assert code == 2
    assert "--adjacency" in err and "--output" in err
