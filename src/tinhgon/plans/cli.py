"""Planning on the registry, added to the `tinhgon plan` group: create, list, show, export."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

from tinhgon.cliutil import echo_json, parse_date, vn_int


def register(app: typer.Typer) -> None:
    try:
        from tinhgon.planner.cli import plan_app
    except ImportError:  # the planner is not installed in this build
        return
    plan_app.command("create")(create)
    plan_app.command("list")(list_plans)
    plan_app.command("show")(show)
    plan_app.command("export")(export)


def _read_pairs(path: Path) -> list[tuple[str, str, str]]:
    from tinhgon.errors import BadInput

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"a", "b", "relation"} <= set(reader.fieldnames):
                raise BadInput("thiếu cột a, b, relation", file=str(path), row=1)
            out = []
            for line, row in enumerate(reader, start=2):
                rel = (row.get("relation") or "").strip()
                if rel not in ("forbid", "prefer"):
                    raise BadInput(f"quan hệ không hợp lệ: {rel!r} (forbid | prefer)", file=str(path), row=line,
                                   field="relation")
                out.append(((row["a"] or "").strip(), (row["b"] or "").strip(), rel))
            return out
    except OSError as exc:
        raise BadInput(f"không đọc được tệp: {exc.strerror}", file=str(path)) from exc


def create(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị (cấp xã trở lên), hiểu theo ngày --at.")],
    name: Annotated[str, typer.Option("--name", help="Tên phương án (duy nhất).")],
    at: Annotated[str | None, typer.Option("--at", help="Ngày lập phương án; mặc định hôm nay.")] = None,
    threshold: Annotated[int | None, typer.Option("--threshold", help="Một ngưỡng số hộ cho mọi tổ.")] = None,
    level: Annotated[str, typer.Option("--level", help="must: chỉ tổ dưới 50 % tiêu chuẩn; standard: "
                                                          "mọi tổ dưới tiêu chuẩn.")] = "standard",
    lock: Annotated[list[str] | None, typer.Option("--lock", help="Mã tổ giữ nguyên (lặp lại được).")] = None,
    pairs: Annotated[Path | None, typer.Option("--pairs", help="Tệp a,b,relation (forbid | prefer).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    time_limit: Annotated[float, typer.Option("--time-limit")] = 20.0,
    replace: Annotated[bool, typer.Option("--replace", help="Ghi đè bản nháp cùng tên.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Lập phương án sáp nhập thôn, tổ dân phố của mọi xã thuộc đơn vị, lưu thành bản nháp."""
    from tinhgon.plans.service import create_plan
    from tinhgon.registry import db

    on = parse_date(at)
    mode = "threshold" if threshold is not None else level
    pair_rows = _read_pairs(pairs) if pairs else None
    with db.get_engine().begin() as conn:
        plan = create_plan(conn, scope_code=unit, name=name, on=on, mode=mode, threshold=threshold, seed=seed,
                           time_limit=time_limit, locked_codes=lock or [], pairs=pair_rows)
    m = plan.metrics
    if as_json:
        echo_json({"name": plan.name, "id": plan.id, **m})
        return
    typer.echo(f"Đã lưu phương án nháp {plan.name!r} (ngày {on:%d/%m/%Y}): {vn_int(int(m['units']))} tổ → "  # type: ignore[call-overload]
               f"{vn_int(int(m['groups']))} tổ sau sắp xếp; {m['mergers']} nhóm sáp nhập; "  # type: ignore[call-overload]
               f"p = {m['p']} (cận trên {m['upper_bound']}, chênh {m['gap']}); "
               f"dưới ngưỡng: {m['below_threshold_before']} trước, {m['below_threshold_after']} sau.")


def list_plans() -> None:
    """Danh sách phương án đã lưu."""
    from tinhgon.registry import db
    from tinhgon.registry.plans import list_plans as _list

    with db.get_engine().connect() as conn:
        rows = _list(conn)
    for r in rows:
        typer.echo(f"{r['name']}\t{r['status']}\t{r['at_date']:%d/%m/%Y}")


def show(plan: Annotated[str, typer.Option("--plan")],
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Các nhóm của một phương án."""
    from tinhgon.registry import db, repo
    from tinhgon.registry.plans import load_plan

    with db.get_engine().connect() as conn:
        p = load_plan(conn, plan)
        units = {u.id: u for u in repo.units_at(conn, p.at, unit_ids=[u for g in p.groups for u in g.unit_ids])}
    rows = [{"label": g.label, "households": g.households, "threshold": g.threshold,
             "units": [units[u].code for u in g.unit_ids if u in units]} for g in p.groups]
    if as_json:
        echo_json({"name": p.name, "status": p.status, "at": p.at, "metrics": p.metrics, "groups": rows})
        return
    typer.echo(f"Phương án {p.name!r} ({p.status.value}), ngày {p.at:%d/%m/%Y}")
    for r in rows:
        if len(r["units"]) > 1:  # type: ignore[arg-type]
            typer.echo(f"  {r['label']}: {' + '.join(r['units'])} = {vn_int(r['households'])} hộ")  # type: ignore[arg-type]


def export(plan: Annotated[str, typer.Option("--plan")],
           output: Annotated[Path, typer.Option("--output", help="plan.csv (code,group)")]) -> None:
    """Xuất phương án ra plan.csv (code,group) theo FORMATS.md."""
    from tinhgon.registry import db, repo
    from tinhgon.registry.plans import load_plan

    with db.get_engine().connect() as conn:
        p = load_plan(conn, plan)
        units = {u.id: u for u in repo.units_at(conn, p.at, unit_ids=[u for g in p.groups for u in g.unit_ids])}
    out = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8", newline="")
    w = csv.writer(out)
    w.writerow(["code", "group"])
    for g in p.groups:
        for u in g.unit_ids:
            w.writerow([units[u].code, g.label])
    if out is not sys.stdout:
        out.close()
