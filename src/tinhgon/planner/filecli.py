"""`tinhgon plan solve` and `tinhgon plan check` on plain files (FORMATS.md), without Typer.

These two commands are the planner's whole interface for scripts and benchmarks, and on a
1,000-unit map the solve takes a tenth of a second: building the full Typer/Click/Pydantic command
tree would cost more than the work. So they are defined here once, with argparse, and reached two
ways: `tinhgon.entry.main` sends `plan solve|check` straight here before anything else is imported,
and the Typer group (tinhgon.planner.cli) forwards its arguments here, so `tinhgon --help` still
lists them and both paths run the same code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tinhgon.errors import BadInput, Failure

SOLVE_HELP = "Chia đơn vị thành các nhóm liền kề đạt ngưỡng, nhiều nhóm nhất có thể."
CHECK_HELP = "Kiểm tra phương án: in một đối tượng JSON; mã thoát 1 khi không hợp lệ."


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--units", type=Path, required=True,
                   help="units.csv: code, households (tuỳ chọn: parent_code, lat, lon, locked)")
    p.add_argument("--adjacency", type=Path, required=True, help="adjacency.csv: a,b (cặp đơn vị liền kề)")
    p.add_argument("--threshold", type=int, required=True, help="số hộ tối thiểu của một nhóm")
    p.add_argument("--pairs", type=Path, default=None, help="pairs.csv: a,b,relation (forbid|prefer)")
    p.add_argument("--max-size", type=int, default=None, help="tổng số hộ tối đa của một nhóm")


def solve_parser(prog: str = "tinhgon plan solve") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=SOLVE_HELP)
    _common(p)
    p.add_argument("--output", type=Path, required=True, help="plan.csv sẽ ghi ra: code,group")
    p.add_argument("--seed", type=int, default=0, help="hạt giống ngẫu nhiên; cùng seed, cùng kết quả")
    p.add_argument("--time-limit", type=float, default=60.0, help="giới hạn thời gian (giây), mặc định 60")
    p.add_argument("--metrics", type=Path, default=None, help="ghi JSON đánh giá phương án")
    p.add_argument("--exact", action="store_true", help="dùng OR-Tools CP-SAT để chứng minh tối ưu")
    p.add_argument("--workers", type=int, default=None, help="số tiến trình song song (mặc định: số lõi)")
    p.add_argument("--dask", default=None, help="địa chỉ Dask scheduler, vd. tcp://host:8786")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="thanh tiến trình (stderr); mặc định: khi stderr là terminal")
    return p


def check_parser(prog: str = "tinhgon plan check") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=CHECK_HELP)
    _common(p)
    p.add_argument("--plan", type=Path, required=True, help="plan.csv cần kiểm tra")
    return p


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=None, separators=(", ", ": "))


def run_solve(a: argparse.Namespace) -> int:
    import gc

    gc.disable()  # millions of small lists and no reference cycles: the collector only costs time
    from tinhgon.planner.check import check_labels
    from tinhgon.planner.files import check_writable, plan_csv, read_problem, write_atomic
    from tinhgon.planner.solvers import MaxPExact, MaxPLocalSearch

    if a.time_limit <= 0:
        raise BadInput(f"--time-limit phải dương (nhận {a.time_limit})")
    if a.workers is not None and a.workers < 1:
        raise BadInput(f"--workers phải ≥ 1 (nhận {a.workers})")
    check_writable(a.output)
    if a.metrics is not None:
        check_writable(a.metrics)
    problem = read_problem(a.units, a.adjacency, a.threshold, a.pairs, a.max_size)
    show = a.progress if a.progress is not None else sys.stderr.isatty()
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=problem.n, file=sys.stderr, unit="đv", desc="lập phương án", leave=False)
    cls = MaxPExact if a.exact else MaxPLocalSearch
    solver = cls(seed=a.seed, time_limit=a.time_limit, workers=a.workers, dask_address=a.dask,
                 progress=bar.update if bar is not None else None)
    try:
        result = solver.solve(problem)
    finally:
        if bar is not None:
            bar.close()
    labels = result.labels
    report = check_labels(problem, labels, ub=result.upper_bound)
    if not report["valid"]:  # a bug, never a user error: refuse to write an invalid plan
        raise Failure("phương án lập ra không hợp lệ (lỗi nội bộ): "
                      + "; ".join(v["message"] for v in report["violations"][:3]))
    assert problem.codes is not None
    write_atomic(a.output, plan_csv(problem.codes, labels))
    report["seconds"] = round(result.seconds, 3)
    report["solver"] = result.summary()
    if a.metrics is not None:
        write_atomic(a.metrics, _dump(report) + "\n")
    state = "tối ưu (đã chứng minh)" if result.proven_optimal else f"cận trên {result.upper_bound}"
    print(f"{report['groups']} nhóm, {result.p} nhóm đạt ngưỡng {a.threshold} ({state}); "
          f"{result.seconds:.2f} giây → {a.output}")
    return 0


def run_check(a: argparse.Namespace) -> int:
    import gc

    gc.disable()  # see run_solve
    from tinhgon.planner.check import check_plan
    from tinhgon.planner.files import read_plan, read_problem

    problem = read_problem(a.units, a.adjacency, a.threshold, a.pairs, a.max_size)
    report = check_plan(problem, read_plan(a.plan))
    print(_dump(report))
    return 0 if report["valid"] else 1


COMMANDS = {"solve": (solve_parser, run_solve), "check": (check_parser, run_check)}


def main(args: list[str]) -> int:
    """Run `solve ARGS` or `check ARGS`; returns the exit code. Usage errors exit 2 (argparse)."""
    make, run = COMMANDS[args[0]]
    return run(make().parse_args(args[1:]))
