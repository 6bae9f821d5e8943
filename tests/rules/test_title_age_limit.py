"""Age limits of titles as rules (kind ``title_age_limit``): dated, cited, a province's rule winning over
the national one per title, refused when malformed."""

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from rules_builders import PACKS

from tinhgon.errors import BadInput
from tinhgon.rules import RuleBook

DEFAULT_DIRS = [PACKS / "national", PACKS / "provinces"]

NATIONAL = """
pack:
  id: test-age-national
  title: Giới hạn tuổi (thử)
  scope: national
  document: {document: Văn bản thử về tuổi}
rules:
  - id: test-age.group-heads
    kind: title_age_limit
    titles: [to_truong, truong_ban_ctmt]
    max_age: 70
    tag: M
    valid_from: 2024-01-01
    valid_to: 2026-01-01
"""

PROVINCE = """
pack:
  id: test-age-01
  title: Giới hạn tuổi Hà Nội (thử)
  scope: province
  province_code: "01"
  document: {document: Quyết định thử của UBND thành phố Hà Nội}
rules:
  - id: test-age.ha-noi.to-truong
    kind: title_age_limit
    citation: {document: Quyết định thử của UBND thành phố Hà Nội, article: Điều 2}
    titles: [to_truong]
    max_age: 65
    tag: C
    valid_from: 2025-01-01
"""


def _limit(book: RuleBook, title: str, on: dt.date, province: str | None = None) -> int:
    found = book.title_age_limit(title, on, province)
    assert found is not None
    return found.max_age


def _book(tmp_path: Path, *packs: str) -> RuleBook:
    folder = tmp_path / "extra"
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(packs):
        (folder / f"p{i}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return RuleBook.load([*DEFAULT_DIRS, folder])


def test_the_shipped_packs_set_no_age_limit(book: RuleBook) -> None:
    assert book.title_age_limits(dt.date(2025, 1, 1), "01") == {}
    assert book.title_age_limit("to_truong", dt.date(2025, 1, 1), "01") is None


def test_a_national_rule_limits_its_titles_on_its_dates_half_open(tmp_path: Path) -> None:
    book = _book(tmp_path, NATIONAL)
    assert book.title_age_limits(dt.date(2023, 12, 31)) == {}
    limits = book.title_age_limits(dt.date(2024, 1, 1))
    assert {t: a.max_age for t, a in limits.items()} == {"to_truong": 70, "truong_ban_ctmt": 70}
    assert limits["to_truong"].rule_id == "test-age.group-heads"
    assert limits["to_truong"].tag == "M" and limits["to_truong"].ref.is_assumption
    assert book.title_age_limits(dt.date(2026, 1, 1)) == {}    # valid_to is excluded
    assert limits["to_truong"].allows(70) and not limits["to_truong"].allows(71) and limits["to_truong"].allows(None)


def test_a_province_rule_wins_for_its_titles_only(tmp_path: Path) -> None:
    book = _book(tmp_path, NATIONAL, PROVINCE)
    on = dt.date(2025, 6, 1)
    ha_noi = book.title_age_limits(on, "01")
    assert ha_noi["to_truong"].max_age == 65 and ha_noi["to_truong"].rule_id == "test-age.ha-noi.to-truong"
    assert ha_noi["truong_ban_ctmt"].max_age == 70             # no province rule: the national one
    assert _limit(book, "to_truong", on, "79") == 70   # another province
    assert _limit(book, "to_truong", on) == 70         # no province given
    text = ha_noi["to_truong"].explain()
    assert "không quá 65 tuổi" in text and "Quyết định thử của UBND thành phố Hà Nội, Điều 2 [C]" in text
    # after the national rule ends, Hà Nội's still holds; elsewhere there is no limit
    later = dt.date(2026, 3, 1)
    assert book.title_age_limits(later, "01").keys() == {"to_truong"}
    assert book.title_age_limits(later, "79") == {}


def test_an_unknown_title_is_refused_with_its_key_path(tmp_path: Path) -> None:
    bad = NATIONAL.replace("[to_truong, truong_ban_ctmt]", "[to_truong, khong_co]")
    with pytest.raises(BadInput) as info:
        _book(tmp_path, bad)
    assert "rules[0].titles[1]" in str(info.value) and "khong_co" in str(info.value)


def test_two_rules_of_one_layer_may_not_limit_one_title_on_the_same_day(tmp_path: Path) -> None:
    second = NATIONAL.replace("test-age-national", "test-age-national-2").replace(
        "test-age.group-heads", "test-age.front").replace("[to_truong, truong_ban_ctmt]", "[truong_ban_ctmt]")
    with pytest.raises(BadInput, match="chồng lấn"):
        _book(tmp_path, NATIONAL, second)
    # other titles, or no overlap in time: accepted
    other = second.replace("[truong_ban_ctmt]", "[bi_thu_chi_bo]")
    assert _limit(_book(tmp_path / "b", NATIONAL, other), "bi_thu_chi_bo", dt.date(2024, 6, 1)) == 70
    later = second.replace("valid_from: 2024-01-01\n    valid_to: 2026-01-01", "valid_from: 2026-01-01")
    assert _limit(_book(tmp_path / "c", NATIONAL, later), "truong_ban_ctmt", dt.date(2026, 6, 1)) == 70


def test_a_bad_age_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="max_age"):
        _book(tmp_path, NATIONAL.replace("max_age: 70", "max_age: 0"))
