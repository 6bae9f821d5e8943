"""`tinhgon staffing propose`, `decide` and `report`. Heavy imports happen inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tinhgon.errors import BadInput

staffing_app = typer.Typer(
    help="Bố trí chức danh sau sáp nhập, người dôi dư và kinh phí tiết kiệm / staffing after a merger.",
    no_args_is_help=True,
    add_completion=False,
)

PlanOpt = Annotated[str, typer.Option("--plan", help="Tên phương án đã lưu.")]


def _pairs(items: list[str] | None, field: str, what: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items or []:
        key, sep, value = item.rpartition(":")
        if not sep or not key.strip() or not value.strip().isdigit():
            raise BadInput(f"{item!r}: dùng {what}", field=field)
        out[key.strip()] = int(value)
    return out


@staffing_app.command("propose")
def propose(
    plan: PlanOpt,
    effective: Annotated[str | None, typer.Option(
        "--effective", help="Ngày hiệu lực của sáp nhập (yyyy-mm-dd hoặc dd/mm/yyyy); mặc định ngày của phương án.")
    ] = None,
    pin: Annotated[list[str] | None, typer.Option(
        "--pin", help="Chỉ định: NHÃN_TỔ:MÃ_CHỨC_DANH:MÃ_NGƯỜI (hoặc MÃ_XÃ:...); được lưu, dùng lại ở lần sau.")
    ] = None,
    unpin: Annotated[list[str] | None, typer.Option(
        "--unpin", help="Bỏ một chỉ định đã lưu: NHÃN_TỔ:MÃ_CHỨC_DANH.")] = None,
    clear_pins: Annotated[bool, typer.Option("--clear-pins", help="Bỏ mọi chỉ định đã lưu.")] = False,
    commune_class: Annotated[list[str] | None, typer.Option(
        "--commune-class", help="Loại đơn vị của xã/phường khi sổ đăng ký chưa có: MÃ_XÃ:LOẠI (1, 2, 3).")] = None,
    max_age: Annotated[list[str] | None, typer.Option(
        "--max-age", help="Giới hạn tuổi của chức danh khi gói quy định chưa đặt: MÃ_CHỨC_DANH:TUỔI.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Đề xuất người giữ từng chức danh ở mỗi tổ mới và cấp xã, rồi lưu thành quyết định của phương án."""
    from tinhgon.cliutil import echo_json, parse_date, vn_int
    from tinhgon.registry import db
    from tinhgon.staffing import service
    from tinhgon.staffing.model import Scope

    eff = parse_date(effective, field="--effective") if effective else None
    classes = _pairs(commune_class, "--commune-class", "MÃ_XÃ:LOẠI")
    if any(v not in (0, 1, 2, 3) for v in classes.values()):
        raise BadInput("loại đơn vị phải là 1, 2 hoặc 3", field="--commune-class")
    ages = _pairs(max_age, "--max-age", "MÃ_CHỨC_DANH:TUỔI")
    with db.get_engine().begin() as conn:
        prop = service.propose(conn, plan, effective=eff, pins=pin or [], unpin=unpin or [], clear_pins=clear_pins,
                               commune_classes=classes, age_limits=ages)
    groups = [d for d in prop.decisions if d.scope == Scope.GROUP]
    communes = [d for d in prop.decisions if d.scope == Scope.COMMUNE]
    vacant = [d for d in prop.decisions if d.vacant]
    if as_json:
        echo_json({"plan": plan, "effective_date": prop.effective, "decisions": len(prop.decisions),
                   "vacant": [{"scope": d.scope_key, "title": d.title_code, "reason": d.reason} for d in vacant],
                   "notes": prop.notes})
        return
    typer.echo(f"Đã lưu đề xuất cho phương án {plan!r} (hiệu lực {prop.effective:%d/%m/%Y}): "
               f"{vn_int(len(groups))} chức danh ở tổ dân phố, {vn_int(len(communes))} chức danh cấp xã, "
               f"{vn_int(sum(1 for d in prop.decisions if d.concurrent))} kiêm nhiệm, "
               f"{vn_int(sum(1 for d in prop.decisions if d.pinned))} chỉ định.")
    for d in vacant:
        typer.echo(f"Để trống {d.scope_key} / {d.title_code}: {d.reason}")
    for n in prop.notes:
        typer.echo(f"Ghi chú: {n}")
    typer.echo(f"Xem báo cáo: tinhgon staffing report --plan {plan!r}")


@staffing_app.command("decide")
def decide(
    plan: PlanOpt,
    decision: Annotated[str, typer.Option("--decision", help="Số quyết định bố trí cán bộ.")],
    decision_date: Annotated[str | None, typer.Option("--decision-date", help="Ngày ban hành.")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Cơ quan ban hành.")] = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="Ngày người được bố trí bắt đầu giữ chức danh; mặc định ngày hiệu lực của sáp nhập.")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Người thực hiện (mặc định: biến TINHGON_USER hoặc tài khoản máy).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Thực hiện đề xuất đã lưu như quyết định bố trí cho phương án ĐÃ sáp nhập: giao chức danh ở tổ mới còn
    chờ quyết định, bố trí chức danh cấp xã, ghi nhận đã giải quyết (ai, khi nào, quyết định nào)."""
    import getpass
    import os

    from tinhgon.cliutil import echo_json, parse_date
    from tinhgon.domain.lineage import LegalBasis
    from tinhgon.registry import db
    from tinhgon.staffing import service

    if not decision.strip():
        raise BadInput("cần số quyết định", field="--decision")
    basis = LegalBasis(decision.strip(), parse_date(decision_date, field="--decision-date") if decision_date
                       else None, issuer, None)
    day = parse_date(start, field="--from", default_today=False) if start else None
    who = (by or "").strip() or os.environ.get("TINHGON_USER") or getpass.getuser()
    with db.get_engine().begin() as conn:
        done = service.decide(conn, plan, basis, by=who, start=day)
    if as_json:
        echo_json(done.as_dict())
        return
    typer.echo(f"Phương án {plan!r}, quyết định {decision.strip()} (từ ngày {done.start:%d/%m/%Y}): "
               f"{done.resolved} chức danh chờ quyết định đã giải quyết ({done.kept} người giữ chức danh ở tổ mới, "
               f"{done.released} người thôi); {done.holdings_added} chức danh giao ở tổ mới; chức danh cấp xã: "
               f"{done.commune_holdings_closed} kết thúc, {done.commune_holdings_added} bố trí.")
    if done.still_pending:
        typer.echo(f"Còn {done.still_pending} chức danh chờ quyết định (tổ chưa có trong đề xuất): "
                   f"xem `tinhgon merge status --plan {plan!r}`.")


@staffing_app.command("report")
def report(
    plan: PlanOpt,
    fmt: Annotated[str, typer.Option("--format", help="text | json | xlsx")] = "text",
    output: Annotated[Path | None, typer.Option("--output", help="Tệp kết quả (bắt buộc với xlsx).")] = None,
) -> None:
    """Báo cáo: bố trí chức danh, người thôi làm việc, số giảm và kinh phí tiết kiệm."""
    import json

    from tinhgon.registry import db
    from tinhgon.staffing import render, service

    if fmt not in ("text", "json", "xlsx"):
        raise BadInput(f"định dạng không hỗ trợ: {fmt!r} (text, json, xlsx)", field="--format")
    if fmt == "xlsx" and output is None:
        raise BadInput("định dạng xlsx cần --output TỆP.xlsx", field="--output")
    if output is not None and not output.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {output.parent}", field="--output")
    with db.get_engine().connect() as conn:
        rep = service.build_report(conn, plan)
    if fmt == "xlsx":
        data = render.to_xlsx(rep)
    elif fmt == "json":
        data = (json.dumps(render.to_dict(rep), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        data = render.to_text(rep).encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(output)
    typer.echo(f"Đã ghi {output}")
