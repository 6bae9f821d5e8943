"""`tinhgon plan solve` and `tinhgon plan check` (FORMATS.md). Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tinhgon.errors import BadInput, Failure

plan_app = typer.Typer(
    help="Lập phương án sắp xếp (gộp) đơn vị / merger planning from plain CSV files.",
    no_args_is_help=True,
    add_completion=False,
)

UnitsOpt = Annotated[Path, typer.Option(
    "--units", help="units.csv: code, households (tuỳ chọn: parent_code, lat, lon, locked)")]
AdjOpt = Annotated[Path, typer.Option("--adjacency", help="adjacency.csv: a,b (cặp đơn vị liền kề)")]
ThrOpt = Annotated[int, typer.Option("--threshold", help="số hộ tối thiểu của một nhóm")]
PairsOpt = Annotated[Path | None, typer.Option("--pairs", help="pairs.csv: a,b,relation (forbid|prefer)")]
MaxOpt = Annotated[int | None, typer.Option("--max-size", help="tổng số hộ tối đa của một nhóm")]


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=None, separators=(", ", ": "))


@plan_app.command("solve")
def solve(
    units: UnitsOpt,
    adjacency: AdjOpt,
    threshold: ThrOpt,
    output: Annotated[Path, typer.Option("--output", help="plan.csv sẽ ghi ra: code,group")],
    pairs: PairsOpt = None,
    max_size: MaxOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="hạt giống ngẫu nhiên; cùng seed, cùng kết quả")] = 0,
    time_limit: Annotated[float, typer.Option("--time-limit", help="giới hạn thời gian (giây)")] = 60.0,
    metrics: Annotated[Path | None, typer.Option("--metrics", help="ghi JSON đánh giá phương án")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="dùng OR-Tools CP-SAT để chứng minh tối ưu")] = False,
    workers: Annotated[int | None, typer.Option("--workers", help="số tiến trình song song (mặc định: số lõi)")
                       ] = None,
    dask: Annotated[str | None, typer.Option("--dask", help="địa chỉ Dask scheduler, vd. tcp://host:8786")
                    ] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="thanh tiến trình (stderr)")
                        ] = None,
) -> None:
    """Chia đơn vị thành các nhóm liền kề đạt ngưỡng, nhiều nhóm nhất có thể."""
    import gc

    gc.disable()  # millions of small lists and no reference cycles: the collector only costs time
    from tinhgon.planner.check import check_labels
    from tinhgon.planner.files import check_writable, plan_csv, read_problem, write_atomic
    from tinhgon.planner.solvers import MaxPExact, MaxPLocalSearch

    if time_limit <= 0:
        raise BadInput(f"--time-limit phải dương (nhận {time_limit})")
    if workers is not None and workers < 1:
        raise BadInput(f"--workers phải ≥ 1 (nhận {workers})")
    check_writable(output)
    if metrics is not None:
        check_writable(metrics)
    problem = read_problem(units, adjacency, threshold, pairs, max_size)
    show = progress if progress is not None else sys.stderr.isatty()
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=problem.n, file=sys.stderr, unit="đv", desc="lập phương án", leave=False)
    cls = MaxPExact if exact else MaxPLocalSearch
    solver = cls(seed=seed, time_limit=time_limit, workers=workers, dask_address=dask,
                 progress=bar.update if bar is not None else None)
    try:
        result = solver.solve(problem)
    finally:
        if bar is not None:
            bar.close()
    report = check_labels(problem, result.labels.tolist(), ub=result.upper_bound)
    if not report["valid"]:  # a bug, never a user error: refuse to write an invalid plan
        raise Failure("phương án lập ra không hợp lệ (lỗi nội bộ): "
                      + "; ".join(v["message"] for v in report["violations"][:3]))
    assert problem.codes is not None
    write_atomic(output, plan_csv(problem.codes, result.labels.tolist()))
    report["seconds"] = round(result.seconds, 3)
    report["solver"] = result.summary()
    if metrics is not None:
        write_atomic(metrics, _dump(report) + "\n")
    state = "tối ưu (đã chứng minh)" if result.proven_optimal else f"cận trên {result.upper_bound}"
    typer.echo(f"{report['groups']} nhóm, {result.p} nhóm đạt ngưỡng {threshold} ({state}); "
               f"{result.seconds:.2f} giây → {output}")


@plan_app.command("check")
def check(
    units: UnitsOpt,
    adjacency: AdjOpt,
    plan: Annotated[Path, typer.Option("--plan", help="plan.csv cần kiểm tra")],
    threshold: ThrOpt,
    pairs: PairsOpt = None,
    max_size: MaxOpt = None,
) -> None:
    """Kiểm tra phương án: in một đối tượng JSON; mã thoát 1 khi không hợp lệ."""
    import gc

    gc.disable()  # see solve
    from tinhgon.planner.check import check_plan
    from tinhgon.planner.files import read_plan, read_problem

    problem = read_problem(units, adjacency, threshold, pairs, max_size)
    rows = read_plan(plan)
    report = check_plan(problem, rows)
    typer.echo(_dump(report))
    if not report["valid"]:
        raise typer.Exit(1)
