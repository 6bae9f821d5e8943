"""Interface language: Vietnamese by default, English on request. Keys are the English texts."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

from tinhgon.rules.vnformat import format_date, format_decimal, format_int, format_pct

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
_DIR = Path(__file__).parent / "i18n"


@cache
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def translate(lang: str, key: str, **params: object) -> str:
    text = catalogue(lang if lang in LANGS else DEFAULT_LANG).get(key) or catalogue(DEFAULT_LANG).get(key) or key
    return text.format(**params) if params else text


def fmt_int(value: int | float | None) -> str:
    return "—" if value is None else format_int(value)


def fmt_dec(value: float | None, places: int = 1) -> str:
    return "—" if value is None else format_decimal(value, places)


def fmt_pct(ratio: float | None, places: int = 1) -> str:
    return "—" if ratio is None else format_pct(ratio, places)


def fmt_date(day: dt.date | None) -> str:
    return "" if day is None else format_date(day)


def fmt_end(day: dt.date | None) -> str:
    """The last day of a half-open period, as people read it."""
    return "" if day is None else format_date(day - dt.timedelta(days=1))
