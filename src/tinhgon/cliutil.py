"""Small helpers shared by the command-line modules: dates, JSON output, the database."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Any

from tinhgon.errors import BadInput

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text: str | None, *, field: str = "--at", default_today: bool = True) -> dt.date:
    """A date written yyyy-mm-dd or dd/mm/yyyy; an impossible date (2025-02-30) is refused."""
    if text is None or not str(text).strip():
        if default_today:
            return dt.date.today()
        raise BadInput("thiếu ngày", field=field)
    t = str(text).strip()
    m = _YMD.match(t)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = _DMY.match(t)
        if not m:
            raise BadInput(f"ngày không hợp lệ: {t!r} (dùng yyyy-mm-dd hoặc dd/mm/yyyy)", field=field)
        d, mo, y = (int(x) for x in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError as exc:
        raise BadInput(f"ngày không tồn tại: {t!r}", field=field) from exc


def _default(o: Any) -> Any:
    if isinstance(o, dt.date):
        return o.isoformat()
    if hasattr(o, "value"):
        return o.value
    raise TypeError(type(o).__name__)


def echo_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=_default) + "\n")


def vn_int(n: int) -> str:
    """1144 -> '1.144': Vietnamese thousands separator."""
    return f"{n:,}".replace(",", ".")
