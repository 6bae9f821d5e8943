"""Working-day deadlines across weekends, Tết, the Hùng Kings day and compensatory days, checked against the
holiday list of the `holidays` library counted independently here, and against dates listed by hand."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from tinhgon.dossier.workdays import add_working_days, holidays_in, working_days_between


def _independent(start: dt.date, n: int) -> dt.date:
    """Count N working days after START from the library's own list: weekdays not listed as days off, plus
    the Saturdays it marks as worked in exchange for a compensatory day."""
    cal = holidays.country_holidays("VN", years=range(start.year, start.year + 2))
    worked = set(cal.weekend_workdays)
    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        if (day.weekday() < 5 and day not in cal) or day in worked:
            left -= 1
    return day


def test_the_library_lists_tet_2026_around_17_february_and_the_hung_kings_day_with_its_day_off() -> None:
    days = holidays_in(2026)
    assert dt.date(2026, 2, 17) in days                         # Tết Nguyên đán 2026
    assert {dt.date(2026, 2, d) for d in range(16, 21)} <= set(days)   # Tết break: 16–20 February
    assert dt.date(2026, 4, 26) in days                         # Giỗ Tổ Hùng Vương (a Sunday)
    assert dt.date(2026, 4, 27) in days                         # and its compensatory Monday
    assert dt.date(2026, 4, 28) not in days                     # counted once, not twice


@pytest.mark.parametrize(("done", "days", "expected"), [
    # done on the Friday before Tết 2026: the Tết week (16–20 February) does not count
    (dt.date(2026, 2, 13), 5, dt.date(2026, 2, 27)),
    (dt.date(2026, 2, 13), 10, dt.date(2026, 3, 6)),
    # Friday before Tết 2025 (27 January – 1 February off)
    (dt.date(2025, 1, 24), 5, dt.date(2025, 2, 7)),
    (dt.date(2025, 1, 24), 10, dt.date(2025, 2, 14)),
    # a plain weekend
    (dt.date(2026, 1, 8), 5, dt.date(2026, 1, 15)),
    # New Year's Day
    (dt.date(2025, 12, 31), 5, dt.date(2026, 1, 8)),
    # Hùng Kings day observed on Monday 27 April, then 30 April and 1 May
    (dt.date(2026, 4, 24), 5, dt.date(2026, 5, 6)),
    (dt.date(2026, 4, 24), 10, dt.date(2026, 5, 13)),
    # Saturday 22 August 2026 is worked in exchange for Monday 31 August
    (dt.date(2026, 8, 20), 5, dt.date(2026, 8, 26)),
    (dt.date(2026, 8, 27), 5, dt.date(2026, 9, 8)),    # 31 August, 1 and 2 September off
])
def test_deadline_in_working_days_skips_weekends_and_every_day_off(done: dt.date, days: int,
                                                                    expected: dt.date) -> None:
    assert add_working_days(done, days) == expected
    assert _independent(done, days) == expected
    assert working_days_between(done, expected) == days


def test_zero_working_days_is_the_same_day_and_negative_is_refused() -> None:
    assert add_working_days(dt.date(2026, 2, 17), 0) == dt.date(2026, 2, 17)
    with pytest.raises(ValueError):
        add_working_days(dt.date(2026, 2, 17), -1)
