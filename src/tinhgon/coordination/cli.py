"""Command line: `tinhgon coordination ...` (coordination rules, governance model, workload) and
`tinhgon delegation ...` (delegations of authority, who may perform an act).

Commands that read or write the governance model first seed the Hà Nội urban-government pilot when the
registry holds Hà Nội and it was never seeded (idempotent, like the schema upgrade on first use).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinhgon.cliutil import echo_json, parse_date

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tinhgon.domain.units import Unit

coordination_app = typer.Typer(help="Quy chế phối hợp, mô hình chính quyền, khối lượng công việc.",
                               no_args_is_help=True)
rule_app = typer.Typer(help="Quy chế phối hợp: tạo, sửa đổi, xem.", no_args_is_help=True)
governance_app = typer.Typer(help="Mô hình chính quyền của đơn vị theo thời gian (HĐND, UBND, MTTQ, Đảng ủy).",
                             no_args_is_help=True)
example_app = typer.Typer(help="Dựng dữ liệu ví dụ theo các bài viết.", no_args_is_help=True)
coordination_app.add_typer(rule_app, name="rule")
coordination_app.add_typer(governance_app, name="governance")
coordination_app.add_typer(example_app, name="example")
delegation_app = typer.Typer(help="Ủy quyền: cấp, thu hồi, tra cứu ai được thực hiện một việc.", no_args_is_help=True)

AtOpt = Annotated[str | None, typer.Option("--at", help="Ngày tra cứu (yyyy-mm-dd hoặc dd/mm/yyyy); mặc định hôm nay.")]
UnitOpt = Annotated[str, typer.Option("--unit", help="Mã đơn vị, hiểu theo ngày của lệnh.")]
RuleOpt = Annotated[str, typer.Option("--rule", help="Mã quy chế phối hợp.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="In JSON.")]


@contextmanager
def _tx(*, pilot: bool = True) -> Iterator[Connection]:
    from tinhgon.coordination.governance import ensure_hanoi_pilot
    from tinhgon.registry import db

    with db.get_engine().begin() as conn:
        if pilot:
            ensure_hanoi_pilot(conn)
        yield conn


def _unit(conn: Connection, code: str, on: dt.date) -> Unit:
    from tinhgon.registry import repo

    return repo.resolve_unit(conn, code, on)


def _level(text: str) -> Any:
    from tinhgon.domain.units import Level
    from tinhgon.errors import BadInput

    try:
        return Level(text.strip())
    except ValueError as exc:
        raise BadInput(f"cấp không hợp lệ: {text!r} (dùng commune hoặc residential_group)", field="--level") from exc


def _duties(items: list[str] | None, file: Path | None) -> list[str]:
    from tinhgon.errors import BadInput

    out = list(items or [])
    if file is not None:
        try:
            out += [line.strip().lstrip("-*").strip() for line in file.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"không đọc được tệp nội dung: {exc}", file=str(file)) from exc
    return [d for d in out if d]


# --- coordination rules -----------------------------------------------------------------------------

@rule_app.command("create")
def rule_create(
    code: Annotated[str, typer.Option("--code", help="Mã quy chế, ví dụ QCPH-TT-CTMT.")],
    name: Annotated[str, typer.Option("--name", help="Tên quy chế.")],
    party_a: Annotated[str, typer.Option("--party-a", help="Bên thứ nhất: title:to_truong hoặc body:ubnd.")],
    party_b: Annotated[str, typer.Option("--party-b", help="Bên thứ hai: title:truong_ban_ctmt hoặc body:ubmttq.")],
    adopted: Annotated[str, typer.Option("--adopted", help="Ngày thông qua phiên bản 1.")],
    level: Annotated[str, typer.Option("--level", help="Cấp đơn vị ký kết: residential_group hoặc commune.")] =
    "residential_group",
    duty: Annotated[list[str] | None, typer.Option("--duty", help="Một nội dung phối hợp (lặp lại được).")] = None,
    duties_file: Annotated[Path | None, typer.Option("--duties-file", help="Tệp văn bản, mỗi dòng một nội dung.")]
    = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Mã đơn vị ban hành (ví dụ phường).")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Số, ký hiệu văn bản.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tạo quy chế phối hợp giữa hai chức danh hoặc hai cơ quan (phiên bản 1)."""
    from tinhgon.coordination import service

    on = parse_date(adopted, field="--adopted", default_today=False)
    with _tx(pilot=False) as conn:
        rule = service.create_rule(
            conn, code=code, name=name, party_a=service.parse_party(party_a, field="--party-a"),
            party_b=service.parse_party(party_b, field="--party-b"), unit_level=_level(level), adopted_on=on,
            duties=_duties(duty, duties_file), issuer=_unit(conn, issuer, on) if issuer else None, doc_number=doc)
    if as_json:
        echo_json({"code": rule.code, "version": 1, "adopted_on": on})
        return
    typer.echo(f"Đã tạo quy chế {rule.code} (phiên bản 1, thông qua ngày {on:%d/%m/%Y}, "
               f"{len(rule.latest.duties)} nội dung).")


@rule_app.command("revise")
def rule_revise(
    rule: RuleOpt,
    adopted: Annotated[str, typer.Option("--adopted", help="Ngày thông qua bản sửa đổi.")],
    duty: Annotated[list[str] | None, typer.Option("--duty", help="Một nội dung phối hợp (lặp lại được).")] = None,
    duties_file: Annotated[Path | None, typer.Option("--duties-file")] = None,
    doc: Annotated[str | None, typer.Option("--doc")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Sửa đổi quy chế: tạo phiên bản mới; phiên bản cũ được giữ nguyên. Các đơn vị cần ký kết lại."""
    from tinhgon.coordination import service

    on = parse_date(adopted, field="--adopted", default_today=False)
    with _tx(pilot=False) as conn:
        v = service.revise_rule(conn, rule, adopted_on=on, duties=_duties(duty, duties_file), doc_number=doc,
                                note=note)
    typer.echo(f"Đã thông qua phiên bản {v.version_no} của {rule} ngày {on:%d/%m/%Y}; các đơn vị cần ký kết lại.")


@rule_app.command("show")
def rule_show(rule: RuleOpt, as_json: JsonOpt = False) -> None:
    """Nội dung các phiên bản của một quy chế."""
    from tinhgon.coordination import service

    with _tx(pilot=False) as conn:
        r = service.get_rule(conn, rule)
        parties = (service.party_label(conn, r.party_a), service.party_label(conn, r.party_b))
    if as_json:
        echo_json({"code": r.code, "name": r.name, "party_a": parties[0], "party_b": parties[1],
                   "unit_level": r.unit_level.value,
                   "versions": [{"version": v.version_no, "adopted_on": v.adopted_on, "superseded_on": v.superseded_on,
                                 "doc_number": v.doc_number, "note": v.note, "duties": list(v.duties)}
                                for v in r.versions]})
        return
    typer.echo(f"{r.name} (mã {r.code}) - giữa {parties[0]} và {parties[1]}")
    for v in r.versions:
        until = f" đến {v.superseded_on:%d/%m/%Y}" if v.superseded_on else " (đang áp dụng)"
        typer.echo(f"Phiên bản {v.version_no}: từ {v.adopted_on:%d/%m/%Y}{until}")
        for i, d in enumerate(v.duties, 1):
            typer.echo(f"  {i}. {d}")


@rule_app.command("list")
def rule_list(as_json: JsonOpt = False) -> None:
    """Các quy chế phối hợp đã có."""
    from tinhgon.coordination import service

    with _tx(pilot=False) as conn:
        rules = service.list_rules(conn)
    if as_json:
        echo_json([{"code": r.code, "name": r.name, "versions": len(r.versions)} for r in rules])
        return
    for r in rules:
        typer.echo(f"{r.code}\t{r.name}\t{len(r.versions)} phiên bản")


@coordination_app.command("sign")
def sign_cmd(
    rule: RuleOpt,
    unit: UnitOpt,
    on: Annotated[str, typer.Option("--on", help="Ngày ký kết.")],
    all_below: Annotated[bool, typer.Option("--all", help="Ký cho mọi đơn vị thuộc --unit ở cấp của quy chế.")]
    = False,
    version: Annotated[int | None, typer.Option("--version", help="Phiên bản (mặc định: phiên bản đang áp dụng).")]
    = None,
    skip_vacant: Annotated[bool, typer.Option("--skip-vacant", help="Bỏ qua đơn vị có chức danh ký để trống.")]
    = False,
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ghi nhận ký kết (hoặc ký kết lại sau sửa đổi); người ký lấy theo chức danh đang giữ vào ngày ký."""
    from tinhgon.coordination import service

    day = parse_date(on, field="--on", default_today=False)
    with _tx() as conn:
        r = service.get_rule(conn, rule)
        scope = _unit(conn, unit, day)
        units = service.scope_units(conn, scope, r.unit_level, day) if all_below else [scope]
        res = service.sign(conn, rule, units, day, version_no=version, note=note, skip_vacant=skip_vacant)
    if as_json:
        echo_json({"signed": len(res.signed), "skipped": [{"code": u.code, "reason": why} for u, why in res.skipped]})
        return
    typer.echo(f"{len(res.signed)} đơn vị đã ký quy chế {rule} ngày {day:%d/%m/%Y}.")
    for u, why in res.skipped:
        typer.echo(f"Bỏ qua {u.name}: {why}", err=True)


def _score(text: str) -> Any:
    from tinhgon.coordination.model import Score
    from tinhgon.errors import BadInput

    m = re.match(r"^(.+?)=\s*([0-9]+(?:[.,][0-9]+)?)\s*/\s*([0-9]+(?:[.,][0-9]+)?)\s*(?:\|(.*))?$", text)
    if not m:
        raise BadInput(f"điểm không hợp lệ: {text!r} (dùng 'Tiêu chí=8/10' hoặc 'Tiêu chí=8/10|nhận xét')",
                       field="--score")
    comment = (m.group(4) or "").strip() or None
    return Score(m.group(1).strip(), float(m.group(2).replace(",", ".")), float(m.group(3).replace(",", ".")),
                 comment)


@coordination_app.command("evaluate")
def evaluate_cmd(
    rule: RuleOpt,
    unit: UnitOpt,
    year: Annotated[int, typer.Option("--year", help="Năm được đánh giá.")],
    on: Annotated[str, typer.Option("--on", help="Ngày đánh giá.")],
    score: Annotated[list[str] | None,
                     typer.Option("--score", help="'Tiêu chí=điểm/tối đa[|nhận xét]' (lặp lại được).")] = None,
    rating: Annotated[str | None, typer.Option("--rating", help="xuat_sac | tot | kha | trung_binh | yeu.")] = None,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Đánh giá hằng năm việc thực hiện quy chế ở một đơn vị."""
    from tinhgon.coordination import service
    from tinhgon.coordination.model import parse_rating

    day = parse_date(on, field="--on", default_today=False)
    scores = [_score(x) for x in score or []]
    with _tx(pilot=False) as conn:
        ev = service.evaluate(conn, rule, _unit(conn, unit, day), year=year, evaluated_on=day, scores=scores,
                              rating=parse_rating(rating) if rating else None, comment=comment)
    typer.echo(f"Đã đánh giá năm {year}: xếp loại {ev.rating.label_vi}.")


@coordination_app.command("report")
def report_cmd(
    rule: RuleOpt,
    unit: UnitOpt,
    at: AtOpt = None,
    year: Annotated[int | None, typer.Option("--year", help="Năm đánh giá (mặc định: năm của --at).")] = None,
    as_json: JsonOpt = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Ghi thêm báo cáo XLSX vào tệp này.")] = None,
) -> None:
    """Báo cáo ký kết và đánh giá quy chế trong một phạm vi (số đơn vị đã ký, chưa ký lại, xếp loại)."""
    from tinhgon.coordination import report, service
    from tinhgon.errors import BadInput

    on = parse_date(at)
    if xlsx is not None and not xlsx.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {xlsx.parent}", field="--xlsx")
    with _tx(pilot=False) as conn:
        r = service.rule_report(conn, rule, _unit(conn, unit, on), on, year)
    if xlsx is not None:
        report.write_rule_report_xlsx(r, xlsx)
    if as_json:
        echo_json(report.rule_report_dict(r))
    else:
        typer.echo(report.rule_report_text(r), nl=False)
    if xlsx is not None:
        typer.echo(f"Đã ghi {xlsx}", err=True)


@coordination_app.command("workload")
def workload_cmd(
    unit: UnitOpt,
    at: AtOpt = None,
    min_titles: Annotated[int, typer.Option("--min-titles", help="Ngưỡng cảnh báo kiêm nhiệm.")] = 2,
    everyone: Annotated[bool, typer.Option("--all", help="Liệt kê cả người không bị cảnh báo.")] = False,
    as_json: JsonOpt = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Ghi bảng XLSX vào tệp này.")] = None,
) -> None:
    """Chức danh, nội dung phối hợp và việc được ủy quyền của từng người; cảnh báo người kiêm nhiều việc."""
    from tinhgon.coordination import report
    from tinhgon.coordination.workload import workload
    from tinhgon.errors import BadInput

    on = parse_date(at)
    if xlsx is not None and not xlsx.parent.exists():
        raise BadInput(f"thư mục không tồn tại: {xlsx.parent}", field="--xlsx")
    with _tx() as conn:
        w = workload(conn, _unit(conn, unit, on), on, min_titles=min_titles)
    if xlsx is not None:
        report.write_workload_xlsx(w, xlsx)
    if as_json:
        echo_json(report.workload_dict(w))
    else:
        typer.echo(report.workload_text(w, only_flagged=not everyone), nl=False)


# --- governance ------------------------------------------------------------------------------------

@governance_app.command("show")
def governance_show(unit: UnitOpt, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """Các cơ quan của đơn vị vào một ngày (có hay không tổ chức HĐND...)."""
    from tinhgon.coordination import report
    from tinhgon.coordination.governance import bodies_of

    on = parse_date(at)
    with _tx() as conn:
        g = bodies_of(conn, _unit(conn, unit, on), on)
    if as_json:
        echo_json(report.governance_dict(g))
    else:
        typer.echo(report.governance_text(g), nl=False)


@governance_app.command("history")
def governance_history_cmd(unit: UnitOpt, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """Các thay đổi mô hình chính quyền đã ghi cho một đơn vị."""
    from tinhgon.coordination.governance import governance_history

    on = parse_date(at)
    with _tx() as conn:
        u = _unit(conn, unit, on)
        rows = governance_history(conn, u)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"{u.name}: theo mô hình mặc định của cấp, không có thay đổi.")
    for r in rows:
        frm = f"{r['valid_from']:%d/%m/%Y}" if r["valid_from"] else "trước đây"
        to = f"{r['valid_to']:%d/%m/%Y}" if r["valid_to"] else "nay"
        typer.echo(f"{r['body']}: {'có' if r['present'] else 'không tổ chức'} từ {frm} đến {to} - "
                   f"{r['doc_number'] or r['source']} [{r['tag'] or ''}]")


@governance_app.command("seed")
def governance_seed() -> None:
    """Ghi thí điểm chính quyền đô thị Hà Nội (tính từ sổ đăng ký: phường của các quận và thị xã Sơn Tây)."""
    from tinhgon.coordination.governance import seed_hanoi_pilot

    with _tx(pilot=False) as conn:
        res = seed_hanoi_pilot(conn)
    typer.echo(f"Đã ghi {res['added']} phường thí điểm (đã có trước: {res['kept']}).")


@governance_app.command("set")
def governance_set(
    unit: UnitOpt,
    body: Annotated[str, typer.Option("--body", help="dang_uy | hdnd | ubnd | ubmttq | chi_bo | ban_ctmt")],
    date_from: Annotated[str, typer.Option("--from", help="Ngày bắt đầu.")],
    until: Annotated[str | None, typer.Option("--until", help="Ngày cuối cùng (bỏ trống: đến nay).")] = None,
    absent: Annotated[bool, typer.Option("--absent/--present", help="Không tổ chức / có tổ chức.")] = True,
    doc: Annotated[str | None, typer.Option("--doc")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="C, C-2 hoặc M.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Ghi một thay đổi mô hình chính quyền của một đơn vị (ví dụ: không tổ chức HĐND trong một thời gian)."""
    from tinhgon.coordination.governance import set_body

    start = parse_date(date_from, field="--from", default_today=False)
    end = parse_date(until, field="--until", default_today=False) + dt.timedelta(days=1) if until else None
    with _tx() as conn:
        set_body(conn, _unit(conn, unit, start), body, not absent, start, end, doc_number=doc, tag=tag, note=note)
    typer.echo("Đã ghi.")


@example_app.command("article-004")
def example_004(
    resign: Annotated[int, typer.Option("--resign", help="Số tổ ký kết lại tháng 1/2017.")] = 29,
) -> None:
    """Bài 004: 29 tổ dân phố phường Ngọc Lâm ký quy chế 9/2014, đánh giá hằng năm, ký lại 1/2017."""
    from tinhgon.coordination.example import build_article_004

    with _tx() as conn:
        res = build_article_004(conn, resign=resign)
    typer.echo(f"{res['ward']}: {res['signed_2014']} tổ dân phố ký kết 9/2014, {res['evaluations']} lượt đánh giá, "
               f"{res['resigned_2017']} tổ ký kết lại 1/2017 (quy chế {res['rule']}).")


# --- delegations -----------------------------------------------------------------------------------

def _names(conn: Connection, person_ids: set[int]) -> tuple[dict[str, str], dict[str, str], dict[int, str]]:
    from tinhgon.coordination.model import load_catalogue
    from tinhgon.coordination.service import title_names
    from tinhgon.registry import repo

    acts = {a.code: a.name_vi for a in load_catalogue().acts.values()}
    people = {pid: p.full_name for pid, p in repo.people_by_ids(conn, person_ids).items()}
    return title_names(conn), acts, people


def _people_of(ds: list[Any]) -> set[int]:
    return {x for d in ds for x in (d.grantor_person_id, d.grantee_person_id) if x is not None}


@delegation_app.command("grant")
def grant_cmd(
    unit: UnitOpt,
    act: Annotated[list[str], typer.Option("--act", help="Mã việc (lặp lại được); xem `tinhgon delegation acts`.")],
    date_from: Annotated[str, typer.Option("--from", help="Ngày bắt đầu có hiệu lực.")],
    from_title: Annotated[str, typer.Option("--from-title", help="Chức danh người ủy quyền.")] = "chu_tich_ubnd",
    until: Annotated[str | None, typer.Option("--until", help="Ngày cuối cùng có hiệu lực (bỏ trống: không thời hạn).")]
    = None,
    to_person: Annotated[int | None, typer.Option("--to-person", help="Mã số người được ủy quyền.")] = None,
    to_title: Annotated[str | None, typer.Option("--to-title", help="Hoặc: chức danh được ủy quyền.")] = None,
    to_unit: Annotated[str | None, typer.Option("--to-unit", help="Đơn vị của chức danh được ủy quyền.")] = None,
    from_person: Annotated[int | None, typer.Option("--from-person", help="Mã số người ủy quyền (kiểm tra).")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Số quyết định ủy quyền.")] = None,
    doc_date: Annotated[str | None, typer.Option("--doc-date", help="Ngày ký quyết định.")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Cơ quan ban hành.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ghi một quyết định ủy quyền của người đang giữ chức danh (ví dụ Chủ tịch UBND phường)."""
    from tinhgon.coordination import delegation, report

    start = parse_date(date_from, field="--from", default_today=False)
    end = parse_date(until, field="--until", default_today=False) + dt.timedelta(days=1) if until else None
    signed = parse_date(doc_date, field="--doc-date", default_today=False) if doc_date else None
    with _tx() as conn:
        u = _unit(conn, unit, start)
        d = delegation.grant(conn, grantor_title=from_title.strip(), grantor_unit=u, acts=act, valid_from=start,
                             valid_to=end, grantee_person_id=to_person, grantee_title=to_title.strip() if to_title
                             else None, grantee_unit=_unit(conn, to_unit, start) if to_unit else None,
                             grantor_person_id=from_person, doc_number=doc, doc_date=signed, issuer=issuer, note=note)
        titles, acts, people = _names(conn, _people_of([d]))
    if as_json:
        echo_json(report.delegation_dict(d))
        return
    typer.echo("Đã ghi ủy quyền " + report.delegation_line(d, titles, acts, people))


@delegation_app.command("revoke")
def revoke_cmd(
    ident: Annotated[int, typer.Option("--id", help="Số ủy quyền.")],
    on: Annotated[str, typer.Option("--on", help="Ngày thôi hiệu lực (từ ngày này không còn được tính).")],
    doc: Annotated[str | None, typer.Option("--doc", help="Số văn bản thu hồi.")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
) -> None:
    """Thu hồi (chấm dứt) một ủy quyền từ một ngày; không xóa dữ liệu."""
    from tinhgon.coordination import delegation

    day = parse_date(on, field="--on", default_today=False)
    with _tx() as conn:
        delegation.revoke(conn, ident, day, doc_number=doc, reason=reason)
    typer.echo(f"Ủy quyền số {ident} thôi hiệu lực từ ngày {day:%d/%m/%Y}.")


@delegation_app.command("who-may")
def who_may_cmd(
    unit: UnitOpt,
    act: Annotated[str, typer.Option("--act", help="Mã việc.")],
    at: AtOpt = None,
    within: Annotated[int, typer.Option("--within", help="Cảnh báo ủy quyền hết hạn trong số ngày này.")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Ai được thực hiện một việc ở một đơn vị vào một ngày: người có thẩm quyền và người được ủy quyền."""
    from tinhgon.coordination import delegation, report
    from tinhgon.coordination.service import title_names
    from tinhgon.errors import BadInput

    if within < 0:
        raise BadInput(f"số ngày phải không âm: {within}", field="--within")
    on = parse_date(at)
    with _tx() as conn:
        w = delegation.who_may(conn, _unit(conn, unit, on), act, on, within_days=within)
        titles = title_names(conn)
    if as_json:
        echo_json(report.who_may_dict(w))
    else:
        typer.echo(report.who_may_text(w, titles), nl=False)


@delegation_app.command("expiring")
def expiring_cmd(
    within: Annotated[int, typer.Option("--within", help="Số ngày tới.")] = 30,
    at: AtOpt = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Chỉ các đơn vị thuộc mã này.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Các ủy quyền sắp hết hạn."""
    from tinhgon.coordination import delegation, report
    from tinhgon.registry import repo

    on = parse_date(at)
    with _tx() as conn:
        ids = None
        if unit:
            u = _unit(conn, unit, on)
            ids = [u.id, *(x.id for x in repo.descendants(conn, u.id, on))]
        items = delegation.expiring(conn, on, within_days=within, unit_ids=ids)
        titles, acts, people = _names(conn, _people_of([i.delegation for i in items]))
    if as_json:
        echo_json([{**report.delegation_dict(i.delegation), "days_left": i.days_left, "counts": i.counts,
                    "reason": i.reason} for i in items])
    else:
        typer.echo(report.expiring_text(items, within, titles, acts, people), nl=False)


@delegation_app.command("history")
def history_cmd(unit: UnitOpt, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """Lịch sử ủy quyền của một đơn vị, kể cả ủy quyền đã hết hạn, bị thu hồi hoặc mất hiệu lực."""
    from tinhgon.coordination import delegation, report

    on = parse_date(at)
    with _tx() as conn:
        u = _unit(conn, unit, on)
        items = delegation.history(conn, u, on)
        titles, acts, people = _names(conn, _people_of([i.delegation for i in items]))
    if as_json:
        echo_json([{**report.delegation_dict(i.delegation), "status": i.status, "lapsed_on": i.lapsed_on}
                   for i in items])
    else:
        typer.echo(report.history_text(u.name, items, titles, acts, people), nl=False)


@delegation_app.command("acts")
def acts_cmd(as_json: JsonOpt = False) -> None:
    """Danh mục các việc và chức danh có thẩm quyền theo mặc định."""
    from tinhgon.coordination.model import load_catalogue

    cat = load_catalogue()
    if as_json:
        echo_json([{"code": a.code, "name": a.name_vi, "level": a.level.value, "original_power": list(a.original_power),
                    "grantors": list(a.grantors), "delegable_to": list(a.delegable_to),
                    "condition": a.delegation_condition, "basis": a.basis, "tag": a.tag} for a in cat.acts.values()])
        return
    for a in cat.acts.values():
        deleg = ", ".join(a.delegable_to) or "không được ủy quyền"
        typer.echo(f"{a.code}\t{a.name_vi}\tthẩm quyền: {', '.join(a.original_power)}\tủy quyền cho: {deleg}"
                   f"\t[{a.tag}]")
