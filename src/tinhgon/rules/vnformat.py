"""Vietnamese number, money and date formatting: "1.144", "92,5 %", "2.340.000 ₫", "29/12/2020".

Vietnamese writes "." between thousands and "," before decimals; a space goes before "%" and "₫".
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["format_date", "format_decimal", "format_int", "format_money", "format_pct", "round_vnd"]


def _group(digits: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return ".".join(out)


def format_int(value: int | Decimal | float) -> str:
    """Integer with "." between thousands: 1144 → "1.144"; rounds half up first."""
    n = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sign = "-" if n < 0 else ""
    return sign + _group(str(abs(n)))


def format_decimal(value: int | float | Decimal, places: int = 1, *, trim: bool = True) -> str:
    """Decimal number the Vietnamese way: 1.5 → "1,5", 16 → "16", 1234.5 → "1.234,5"."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places else \
        Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    text = f"{abs(d):f}"
    whole, _, frac = text.partition(".")
    if trim:
        frac = frac.rstrip("0")
    return sign + _group(whole) + ("," + frac if frac else "")


def format_pct(ratio: float | Decimal, places: int = 1) -> str:
    """A ratio as a percentage: 0.925 → "92,5 %", 0.5 → "50 %"."""
    return f"{format_decimal(Decimal(str(ratio)) * 100, places)} %"


def round_vnd(value: Decimal | int | float) -> int:
    """Round an amount of đồng to a whole đồng, half up (money is never a float in reports)."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_money(amount: int | Decimal | float) -> str:
    """Amount in đồng: 2340000 → "2.340.000 ₫"."""
    return f"{format_int(round_vnd(amount))} ₫"


def format_date(day: dt.date) -> str:
    """dd/mm/yyyy, the form of Vietnamese documents."""
    return day.strftime("%d/%m/%Y")
