"""Reading sheets of paper ballots and voter rolls (CSV or XLSX, headers in Vietnamese or English)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinhgon.errors import BadInput
from tinhgon.io.problems import ValidationFailed
from tinhgon.io.tables import HeaderSpec, read_table

BALLOT_SPEC = HeaderSpec(
    aliases={
        "household": ("Mã hộ", "Mã hộ gia đình", "Household", "Household code", "Mã cử tri", "Voter code", "Mã"),
        "choice": ("Ý kiến", "Ý kiến cử tri", "Lựa chọn", "Choice", "Phiếu", "Kết quả"),
        "candidate": ("Ứng cử viên", "Người được bầu", "Candidate"),
        "unit": ("Mã đơn vị", "Mã tổ dân phố", "Mã thôn", "Unit", "Unit code"),
    },
    required=frozenset({"household"}),
    labels={"household": "Mã hộ", "choice": "Ý kiến", "candidate": "Ứng cử viên", "unit": "Mã đơn vị"},
)

ROLL_SPEC = HeaderSpec(
    aliases={
        "code": ("Mã cử tri", "Voter code", "Mã"),
        "name": ("Họ và tên", "Họ tên", "Name", "Full name"),
        "unit": ("Mã đơn vị", "Mã thôn", "Mã tổ dân phố", "Unit", "Unit code"),
    },
    required=frozenset({"code", "unit"}),
    labels={"code": "Mã cử tri", "name": "Họ và tên", "unit": "Mã đơn vị"},
)


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _rows(path: Path, spec: HeaderSpec, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    table = read_table(path, spec)
    errors = [p for p in table.problems if p.severity == "error"]
    if errors:
        raise ValidationFailed(table.problems)
    out: list[tuple[Any, ...]] = []
    for sheet in table.sheets:
        idx = [sheet.columns.get(f) for f in fields]
        for number, cells in sheet.rows:
            vals = [_text(cells[i]) if i is not None and i < len(cells) else "" for i in idx]
            if not any(vals):
                continue
            out.append((number, *vals))
    if not out:
        raise BadInput("tệp không có dòng dữ liệu nào", file=str(path))
    return out


def read_ballot_sheet(path: Path) -> list[tuple[int, str, str, str | None, str | None]]:
    """(row number, household code, choice, candidate, unit code) for every non-blank row; the unit code,
    when the sheet has one, is checked against the roll."""
    rows = _rows(path, BALLOT_SPEC, ("household", "choice", "candidate", "unit"))
    return [(int(n), code, choice, cand or None, unit or None) for n, code, choice, cand, unit in rows]


def read_voter_roll(path: Path) -> list[tuple[int, str, str | None, str]]:
    """(row number, voter code, name, unit code) for every non-blank row."""
    rows = _rows(path, ROLL_SPEC, ("code", "name", "unit"))
    return [(int(n), code, name or None, unit) for n, code, name, unit in rows]
