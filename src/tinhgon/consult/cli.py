"""`tinhgon consult`: household consultations on mergers and elections of group heads.

Exit codes: 0 done, 2 bad input (nothing written), 3 other failure. Names of people are shown to the
official at the terminal, never written to logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tinhgon.cliutil import echo_json, parse_date

consult_app = typer.Typer(help="Lấy ý kiến hộ gia đình, bầu tổ trưởng / household consultation.",
                          no_args_is_help=True)
election_app = typer.Typer(help="Hội nghị cử tri bầu tổ trưởng, trưởng thôn / electing a group head.",
                           no_args_is_help=True)
consult_app.add_typer(election_app, name="election")

CidOpt = Annotated[int, typer.Option("--consultation", "-c", help="Số của cuộc lấy ý kiến (xem: consult list).")]
AsOpt = Annotated[str, typer.Option("--as", help="Tài khoản cán bộ nhập phiếu (consult official-add).")]
RoundOpt = Annotated[int | None, typer.Option("--round", help="Vòng 1 hoặc 2; mặc định vòng mới nhất.")]
HouseholdOpt = Annotated[str | None, typer.Option("--household", help="Mã hộ (hoặc mã cử tri).")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Họ tên chủ hộ, không cần dấu.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="In JSON.")]


def _engine() -> Any:
    from tinhgon.registry import db

    return db.get_engine()


def _resolve(conn: Any, code: str, on: Any, field: str = "--unit") -> Any:
    from tinhgon.registry import repo

    return repo.resolve_unit(conn, code, on)


def _vn(n: int) -> str:
    from tinhgon.rules.vnformat import format_int

    return format_int(n)


def _print_tally(tl: Any) -> None:
    from tinhgon.rules.vnformat import format_pct

    state = "đã khóa" if tl.round_status == "closed" else "đang mở (tạm tính)"
    typer.echo(f"{tl.name} — vòng {tl.round_number}, {state}; ngày {tl.held_on:%d/%m/%Y}")
    typer.echo(f"Quy tắc: {tl.rule.citation} — {tl.rule.summary}")
    if tl.kind == "election":
        for u in tl.units:
            typer.echo(f"{u.code} {u.name}: danh sách {_vn(u.roll)}, có mặt {_vn(u.cast)}, "
                       f"không hợp lệ {_vn(u.invalid)}")
            for cand_id, cname in tl.candidates.items():
                n = u.votes.get(cand_id, 0)
                share = format_pct(n / u.cast, 2) if u.cast else "—"
                typer.echo(f"  {cname}: {_vn(n)} phiếu ({share} số có mặt)")
            winner = tl.candidates.get(u.winner) if u.winner is not None else None
            typer.echo(f"  Người trúng cử: {winner or 'chưa có'}")
    else:
        typer.echo(f"{'Mã':<14} {'Danh sách':>9} {'Đồng ý':>8} {'Không':>7} {'Hỏng':>6} {'Vắng':>7} "
                   f"{'Tỷ lệ ĐY':>9}  Kết quả")
        for u in tl.units:
            share = format_pct(u.agree_share, 2) if u.roll else "—"
            typer.echo(f"{u.code:<14} {_vn(u.roll):>9} {_vn(u.agree):>8} {_vn(u.disagree):>7} "
                       f"{_vn(u.invalid):>6} {_vn(u.absent):>7} {share:>9}  {u.decision.label_vi}")
        total = format_pct(tl.agree / tl.roll, 2) if tl.roll else "—"
        typer.echo(f"{'Tổng':<14} {_vn(tl.roll):>9} {_vn(tl.agree):>8}  phiếu đã nhập {_vn(tl.cast)}; "
                   f"đồng ý {total}")
    typer.echo(f"KẾT QUẢ CHUNG: {tl.overall.label_vi}")
    for w in tl.warnings:
        typer.echo(f"Cảnh báo: {w}", err=True)


def _tally_json(tl: Any) -> dict[str, Any]:
    return {
        "consultation": tl.consultation_id, "name": tl.name, "kind": tl.kind, "held_on": tl.held_on,
        "round": tl.round_number, "round_status": tl.round_status,
        "rule": {"id": tl.rule.rule_id, "citation": tl.rule.citation, "tag": tl.rule.tag, "basis": tl.rule.basis,
                 "threshold": str(tl.rule.threshold), "comparison": tl.rule.comparison,
                 "each_unit": tl.rule.each_unit, "max_rounds": tl.rule.max_rounds},
        "units": [{"unit_id": u.unit_id, "code": u.code, "name": u.name, "group": u.group_label, "roll": u.roll,
                   "agree": u.agree, "disagree": u.disagree, "invalid": u.invalid, "cast": u.cast,
                   "absent": u.absent, "declared": u.declared, "decision": u.decision.value,
                   "votes": {str(k): v for k, v in u.votes.items()}, "winner": u.winner} for u in tl.units],
        "candidates": {str(k): v for k, v in tl.candidates.items()},
        "totals": {"roll": tl.roll, "agree": tl.agree, "cast": tl.cast},
        "overall": tl.overall.value, "warnings": tl.warnings,
    }


# --- officials and consultations ------------------------------------------------------------------

@consult_app.command("official-add")
def official_add(
    username: Annotated[str, typer.Option("--username", help="Tên đăng nhập.")],
    scope: Annotated[str | None, typer.Option("--scope", help="Mã đơn vị phụ trách (xã/phường hoặc tổ).")] = None,
    role: Annotated[str, typer.Option("--role", help="counter | supervisor | admin")] = "counter",
    full_name: Annotated[str | None, typer.Option("--full-name", help="Họ tên cán bộ.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Ngày hiểu mã --scope; mặc định hôm nay.")] = None,
) -> None:
    """Tạo tài khoản cán bộ nhập phiếu, chỉ được nhập phiếu cho các hộ thuộc đơn vị phụ trách."""
    from tinhgon.consult import service

    on = parse_date(at)
    with _engine().begin() as conn:
        scope_id = _resolve(conn, scope, on, "--scope").id if scope else None
        oid = service.add_official(conn, username, scope_unit_id=scope_id, role=role, full_name=full_name)
    typer.echo(f"Đã tạo tài khoản {username} (số {oid}).")


@consult_app.command("create")
def create(
    plan: Annotated[str | None, typer.Option("--plan", help="Tên phương án đã lưu: lấy ý kiến các đơn vị "
                                                         "được sáp nhập.")] = None,
    unit: Annotated[list[str] | None, typer.Option("--unit", help="Mã đơn vị (lặp lại cho nhiều đơn vị).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Tên cuộc lấy ý kiến.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Ngày lấy ý kiến; mặc định: ngày của phương án "
                                                         "hoặc hôm nay.")] = None,
    roll: Annotated[str, typer.Option("--roll", help="households (đại diện hộ, từ sổ đăng ký) | voters "
                                                     "(nhập danh sách cử tri)")] = "households",
    as_user: Annotated[str | None, typer.Option("--as", help="Người tạo.")] = None,
) -> None:
    """Tạo cuộc lấy ý kiến (vòng 1 mở), chốt danh sách hộ và quy tắc có hiệu lực vào ngày lấy ý kiến."""
    from tinhgon.consult import service
    from tinhgon.errors import BadInput

    if bool(plan) == bool(unit):
        raise BadInput("dùng --plan TÊN hoặc --unit MÃ (một trong hai)", field="--plan")
    with _engine().begin() as conn:
        by = service.get_official(conn, as_user).username if as_user else None
        if plan:
            on = parse_date(date, field="--date") if date else None
            cid = service.create_from_plan(conn, plan, on=on, name=name, created_by=by, roll_kind=roll)
        else:
            on = parse_date(date, field="--date")
            ids = [_resolve(conn, code, on).id for code in unit or []]
            cid = service.create_consultation(conn, unit_ids=ids, on=on, name=name or "Lấy ý kiến sáp nhập",
                                              created_by=by, roll_kind=roll)
        summary = service.roll_summary(conn, cid)
        tl = service.tally(conn, cid)
    typer.echo(f"Đã tạo cuộc lấy ý kiến số {cid}: {len(summary)} đơn vị, "
               f"{_vn(sum(r['roll'] for r in summary))} trong danh sách.")
    typer.echo(f"Quy tắc: {tl.rule.citation} — {tl.rule.summary}")


@consult_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Các cuộc lấy ý kiến và bầu cử đã tạo."""
    from tinhgon.consult import service

    with _engine().connect() as conn:
        rows = service.consultations(conn)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']:>4}  {r['held_on']:%d/%m/%Y}  {r['kind']:<8} {r['name']}  [{r['rule_id']}]")


@consult_app.command("roll")
def roll(cid: CidOpt, unit: Annotated[str | None, typer.Option("--unit", help="Liệt kê danh sách của một "
                                                                        "đơn vị.")] = None,
         as_json: JsonOpt = False) -> None:
    """Danh sách hộ (cử tri) của cuộc lấy ý kiến: số lượng theo đơn vị, hoặc từng hộ của một đơn vị."""
    from tinhgon.consult import service

    with _engine().connect() as conn:
        summary = service.roll_summary(conn, cid)
        entries = None
        if unit:
            match = [r for r in summary if r["code"] == unit.strip()]
            if not match:
                from tinhgon.errors import BadInput

                raise BadInput(f"đơn vị {unit!r} không thuộc cuộc lấy ý kiến", field="--unit")
            entries = service.roll_entries(conn, cid, match[0]["unit_id"])
    if as_json:
        echo_json({"units": summary, "entries": [{"code": e.voter_code, "name": e.display_name}
                                                 for e in entries] if entries is not None else None})
        return
    if entries is not None:
        for e in entries:
            typer.echo(f"{e.voter_code:<20} {e.display_name or '(chưa có chủ hộ)'}")
        return
    for r in summary:
        typer.echo(f"{r['code']:<14} {r['name']:<40} {r['group'] or '':<8} {_vn(r['roll']):>7}")
    typer.echo(f"Tổng: {_vn(sum(r['roll'] for r in summary))}")


@consult_app.command("roll-import")
def roll_import(cid: CidOpt, file: Annotated[Path, typer.Argument(help="CSV/XLSX: Mã cử tri, Họ và tên, "
                                                                        "Mã đơn vị.")]) -> None:
    """Nhập danh sách cử tri (cuộc lấy ý kiến tạo với --roll voters); kiểm tra hết rồi mới ghi."""
    from tinhgon.consult import files, service

    rows = files.read_voter_roll(file)
    with _engine().begin() as conn:
        sizes = service.import_voter_roll(conn, cid, rows, file=str(file))
    typer.echo(f"Đã nhập {_vn(sum(sizes.values()))} cử tri cho {len(sizes)} đơn vị.")


@consult_app.command("roll-add")
def roll_add(cid: CidOpt, code: Annotated[str, typer.Option("--code", help="Mã cử tri.")],
             unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị của cử tri.")],
             name: Annotated[str | None, typer.Option("--name", help="Họ và tên.")] = None) -> None:
    """Thêm một cử tri vào danh sách cử tri (cuộc lấy ý kiến tạo với --roll voters)."""
    from tinhgon.consult import service

    with _engine().begin() as conn:
        c = service._consultation(conn, cid)
        u = _resolve(conn, unit, c.held_on)
        service.add_voter(conn, cid, code, name, u.id)
    typer.echo(f"Đã thêm cử tri {code.strip()} vào {u.code}.")


@consult_app.command("find")
def find(cid: CidOpt, query: Annotated[str, typer.Argument(help="Mã hộ hoặc họ tên (không cần dấu).")]) -> None:
    """Tìm hộ trong danh sách theo mã hoặc họ tên chủ hộ."""
    from tinhgon.consult import service

    with _engine().connect() as conn:
        found = service.find_voters(conn, cid, query)
    if not found:
        typer.echo("Không tìm thấy.")
    for r in found:
        typer.echo(f"{r.voter_code:<20} {r.display_name or ''}")


# --- ballots -----------------------------------------------------------------------------------------

@consult_app.command("vote")
def vote(cid: CidOpt, as_user: AsOpt,
         choice: Annotated[str | None, typer.Option("--choice", help="agree | disagree | invalid "
                                                                     "(đồng ý / không đồng ý / không hợp lệ)")] = None,
         household: HouseholdOpt = None, name: NameOpt = None, round_number: RoundOpt = None,
         candidate: Annotated[str | None, typer.Option("--candidate", help="Bầu cử: mã hoặc tên ứng cử "
                                                                          "viên.")] = None) -> None:
    """Nhập một phiếu. Mỗi hộ một phiếu mỗi vòng: phiếu thứ hai bị từ chối (dùng correct để sửa)."""
    from tinhgon.consult import service
    from tinhgon.errors import BadInput

    if choice is None and candidate is None:
        raise BadInput("thiếu --choice", field="--choice")
    with _engine().begin() as conn:
        official = service.get_official(conn, as_user)
        r = service.cast_ballot(conn, cid, official, household=household, name=name, choice=choice or "vote",
                                round_number=round_number, candidate=candidate)
    typer.echo(f"Đã ghi phiếu của {r.voter_code} (vòng {r.round_number}): {r.choice.label_vi}.")


@consult_app.command("correct")
def correct(cid: CidOpt, as_user: AsOpt,
            reason: Annotated[str, typer.Option("--reason", help="Lý do sửa (bắt buộc).")],
            choice: Annotated[str | None, typer.Option("--choice", help="agree | disagree | invalid | "
                                                                        "withdrawn (hủy: nhập nhầm)")] = None,
            household: HouseholdOpt = None, name: NameOpt = None, round_number: RoundOpt = None,
            candidate: Annotated[str | None, typer.Option("--candidate")] = None) -> None:
    """Sửa một phiếu đã nhập: ghi phiên bản mới kèm lý do, giữ mọi phiên bản cũ."""
    from tinhgon.consult import service
    from tinhgon.errors import BadInput

    if choice is None and candidate is None:
        raise BadInput("thiếu --choice", field="--choice")
    with _engine().begin() as conn:
        official = service.get_official(conn, as_user)
        r = service.correct_ballot(conn, cid, official, household=household, name=name, choice=choice or "vote",
                                   reason=reason, round_number=round_number, candidate=candidate)
    typer.echo(f"Đã sửa phiếu của {r.voter_code} (vòng {r.round_number}, phiên bản {r.version}): "
               f"{r.choice.label_vi}.")


@consult_app.command("history")
def history(cid: CidOpt, household: Annotated[str, typer.Option("--household")],
            round_number: RoundOpt = None, as_json: JsonOpt = False) -> None:
    """Mọi phiên bản phiếu của một hộ (ai nhập, lúc nào, lý do sửa)."""
    from tinhgon.consult import service

    with _engine().connect() as conn:
        rows = service.ballot_history(conn, cid, household, round_number)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        mark = "*" if r["is_current"] else " "
        typer.echo(f"{mark} vòng {r['number']} v{r['version']} {r['choice']:<10} {r['entered_by']:<14} "
                   f"{r['entered_at']:%d/%m/%Y %H:%M:%S} {r['reason'] or ''}")


@consult_app.command("import-ballots")
def import_ballots(cid: CidOpt, as_user: AsOpt,
                   file: Annotated[Path, typer.Argument(help="CSV/XLSX: Mã hộ, Ý kiến (đồng ý / không đồng ý / "
                                                             "không hợp lệ).")],
                   round_number: RoundOpt = None) -> None:
    """Nhập một tập phiếu giấy; kiểm tra tất cả các dòng trước, một dòng lỗi thì không ghi gì."""
    from tinhgon.consult import files, service

    rows = files.read_ballot_sheet(file)
    with _engine().begin() as conn:
        official = service.get_official(conn, as_user)
        res = service.import_ballots(conn, cid, official, rows, file=str(file), round_number=round_number)
    typer.echo(f"Đã nhập {_vn(res.entered)} phiếu (vòng {res.round_number}) từ {file.name}.")


@consult_app.command("declare")
def declare(cid: CidOpt, as_user: AsOpt, unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị.")],
            ballots: Annotated[int, typer.Option("--ballots", help="Số phiếu giấy tổ kiểm phiếu đếm được.")],
            round_number: RoundOpt = None) -> None:
    """Khai số phiếu giấy đếm tay của một đơn vị, để đối chiếu với số phiếu đã nhập."""
    from tinhgon.consult import service

    with _engine().begin() as conn:
        service.get_official(conn, as_user)
        c = service._consultation(conn, cid)
        u = _resolve(conn, unit, c.held_on)
        service.declare_paper_count(conn, cid, u.id, ballots, round_number=round_number)
    typer.echo(f"Đã ghi: {u.code} có {_vn(ballots)} phiếu giấy.")


# --- results -----------------------------------------------------------------------------------------

@consult_app.command("tally")
def tally(cid: CidOpt, round_number: RoundOpt = None, as_json: JsonOpt = False) -> None:
    """Kết quả theo từng đơn vị và chung, so với toàn bộ danh sách (không chỉ số phiếu thu về)."""
    from tinhgon.consult import service

    with _engine().connect() as conn:
        tl = service.tally(conn, cid, round_number)
    if as_json:
        echo_json(_tally_json(tl))
    else:
        _print_tally(tl)


@consult_app.command("close-round")
def close_round(cid: CidOpt, as_user: AsOpt, round_number: RoundOpt = None) -> None:
    """Khóa vòng: chốt kết quả, không nhập hay sửa phiếu được nữa. Bầu cử: ghi người trúng cử vào chức danh."""
    from tinhgon.consult import service

    with _engine().begin() as conn:
        official = service.get_official(conn, as_user)
        tl = service.close_round(conn, cid, by=official.username, round_number=round_number, official=official)
    _print_tally(tl)


@consult_app.command("open-round2")
def open_round2(cid: CidOpt, as_user: AsOpt) -> None:
    """Mở vòng 2 (một lần) cho các đơn vị chưa đạt ở vòng 1."""
    from tinhgon.consult import service

    with _engine().begin() as conn:
        official = service.get_official(conn, as_user)
        failed = service.open_round2(conn, cid, by=official.username, official=official)
    typer.echo(f"Đã mở vòng 2 cho {len(failed)} đơn vị chưa đạt.")


@consult_app.command("minutes")
def minutes(cid: CidOpt, output: Annotated[Path, typer.Option("--output", help="Thư mục ghi biên bản.")],
            round_number: RoundOpt = None,
            committee: Annotated[list[str] | None, typer.Option("--committee", help="'Họ tên:Vai trò' của tổ kiểm "
                                                                                  "phiếu (lặp lại).")] = None,
            place: Annotated[str | None, typer.Option("--place", help="Địa danh ghi ở đầu biên bản.")] = None) -> None:
    """Biên bản kiểm phiếu (DOCX) cho từng đơn vị của mỗi vòng đã khóa."""
    from tinhgon.consult import minutes as mins
    from tinhgon.errors import BadInput

    members: list[tuple[str, str]] = []
    for item in committee or []:
        person, sep, role_text = item.partition(":")
        if not sep or not person.strip() or not role_text.strip():
            raise BadInput(f"thành viên tổ kiểm phiếu phải viết 'Họ tên:Vai trò': {item!r}", field="--committee")
        members.append((person.strip(), role_text.strip()))
    with _engine().connect() as conn:
        paths = mins.write_minutes(conn, cid, output, round_number=round_number, committee=members, place=place)
    typer.echo(f"Đã ghi {len(paths)} biên bản vào {output}.")


# --- elections -----------------------------------------------------------------------------------------

@election_app.command("create")
def election_create(unit: Annotated[str, typer.Option("--unit", help="Mã thôn / tổ dân phố.")],
                    date: Annotated[str | None, typer.Option("--date", help="Ngày hội nghị cử tri.")] = None,
                    name: Annotated[str | None, typer.Option("--name")] = None,
                    as_user: Annotated[str | None, typer.Option("--as")] = None) -> None:
    """Tạo hội nghị cử tri bầu tổ trưởng: danh sách đại diện hộ của tổ, vòng 1 mở."""
    from tinhgon.consult import service

    on = parse_date(date, field="--date")
    with _engine().begin() as conn:
        by = service.get_official(conn, as_user).username if as_user else None
        u = _resolve(conn, unit, on)
        cid = service.create_election(conn, u.id, on, name=name, created_by=by)
        tl = service.tally(conn, cid)
    typer.echo(f"Đã tạo cuộc bầu số {cid} ở {u.name}: {_vn(tl.roll)} đại diện hộ.")
    typer.echo(f"Quy tắc: {tl.rule.citation} — {tl.rule.summary}")


@election_app.command("candidate")
def election_candidate(cid: CidOpt, person: Annotated[str, typer.Option("--person", help="Mã người hoặc họ tên "
                                                                                       "(người đang sống ở tổ).")]
                       ) -> None:
    """Thêm một ứng cử viên (trước khi có phiếu)."""
    from tinhgon.consult import service

    with _engine().begin() as conn:
        cand = service.add_candidate(conn, cid, person)
        names = service.candidates(conn, cid)
    typer.echo(f"Đã thêm ứng cử viên số {cand}: {names[cand]}.")
