import datetime as dt
from decimal import Decimal

from tinhgon.rules.vnformat import format_date, format_decimal, format_int, format_money, format_pct, round_vnd


def test_format_int_uses_dots_between_thousands():
    assert format_int(1144) == "1.144"
    assert format_int(79) == "79"
    assert format_int(1234567) == "1.234.567"
    assert format_int(-1144) == "-1.144"


def test_format_pct_uses_comma_and_space():
    assert format_pct(0.925) == "92,5 %"
    assert format_pct(0.5) == "50 %"
    assert format_pct(Decimal("0.4444444")) == "44,4 %"


def test_format_money_in_dong():
    assert format_money(2340000) == "2.340.000 ₫"
    assert format_money(Decimal("20413000.4")) == "20.413.000 ₫"


def test_format_date_is_day_month_year():
    assert format_date(dt.date(2020, 12, 29)) == "29/12/2020"


def test_format_decimal_comma_and_trim():
    assert format_decimal(1.5) == "1,5"
    assert format_decimal(16.0) == "16"
    assert format_decimal(1234.25, 2) == "1.234,25"


def test_round_vnd_rounds_half_up():
    assert round_vnd(Decimal("0.5")) == 1
    assert round_vnd(Decimal("10.49")) == 10
