"""Working days in Vietnam: Monday to Friday, less the public holidays (Tết included) and compensatory days
off, plus the Saturdays worked in exchange, all as the ``holidays`` library lists them (never typed here).

Pure: no database. A deadline of N working days after a step is done is the N-th working day after the
day it was done (that day itself does not count), as Art. 8a's "trong thời hạn N ngày làm việc" is read.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=1)
def _calendar() -> holidays.HolidayBase:
    # the years a dossier can touch are filled at once (the web app reads it from several threads);
    # expand=True still adds any other year asked, so a far date never misses its holidays
    today = dt.date.today()
    return holidays.country_holidays("VN", years=range(2012, today.year + 6), expand=True)


def holidays_in(year: int) -> dict[dt.date, str]:
    """The days off the library gives for YEAR (public holidays, observed and compensatory days)."""
    return dict(sorted(holidays.country_holidays("VN", years=year).items()))


def is_working_day(day: dt.date) -> bool:
    return bool(_calendar().is_working_day(day))


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The N-th working day after START (START itself not counted); N = 0 gives START."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    left = n
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after START up to and including END (negative when END is before START)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for k in range(1, (end - start).days + 1) if is_working_day(start + dt.timedelta(days=k)))
