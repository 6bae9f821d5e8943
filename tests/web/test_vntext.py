"""Vietnamese order of names and accent-insensitive search."""

from __future__ import annotations

import pytest
from tests.web.conftest import OLD

from tinhgon.web.vntext import fold, person_sort_key

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"


def test_names_sort_by_given_name_then_middle_then_family_with_the_vietnamese_alphabet() -> None:
    names = ["Nguyễn Văn Đức", "Trần Thị Anh", "Lê Văn Dũng", "Phạm Thị Ánh", "Hoàng Văn Ăn", "Vũ Thị Ân",
             "Đỗ Văn Bình", "Bùi Văn Anh", "Ngô Thị Ảnh", "Trần Anh", "Lê Thị Ơn", "Lê Văn Ôn", "Lê Văn On",
             "Đặng Thị Uyên", "Lý Văn Ưng"]
    expected = ["Trần Anh", "Trần Thị Anh", "Bùi Văn Anh",   # anh (no tone): middle "" < Thị < Văn
                "Ngô Thị Ảnh", "Phạm Thị Ánh",                  # hỏi before sắc
                "Hoàng Văn Ăn", "Vũ Thị Ân",                     # a < ă < â
                "Đỗ Văn Bình", "Lê Văn Dũng", "Nguyễn Văn Đức",  # d < đ
                "Lê Văn On", "Lê Văn Ôn", "Lê Thị Ơn",           # o < ô < ơ
                "Đặng Thị Uyên", "Lý Văn Ưng"]                   # u < ư
    assert sorted(names, key=person_sort_key) == expected


def test_tones_come_after_the_base_letter_in_the_order_ngang_huyen_hoi_nga_sac_nang() -> None:
    words = ["Má", "Mạ", "Mà", "Ma", "Mã", "Mả", "Mai"]
    assert sorted(words, key=person_sort_key) == ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ", "Mai"]


def test_fold_ignores_case_accents_and_d_stroke() -> None:
    assert fold("Phường THƯỢNG  Thanh") == fold("phuong thuong thanh") == "phuong thuong thanh"
    assert fold("Đức Giang") == "duc giang"


@pytest.mark.parametrize("query", ["Thuong Thanh", "thượng thanh", "THUONG THANH", "thuong  thanh"])
def test_search_finds_the_same_units_with_or_without_accents(clients, ids, query: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = clients["tinh.hanoi"]
    found = client.get("/api/v1/search", params={"q": query, "at": OLD.isoformat()}).json()["units"]
    reference = client.get("/api/v1/search", params={"q": "Thượng Thanh", "at": OLD.isoformat()}).json()["units"]
    assert [u["id"] for u in found] == [u["id"] for u in reference]
    assert ids.thuong_thanh in [u["id"] for u in found]
    page = client.get("/search", params={"q": query, "at": OLD.isoformat()})
    assert "Phường Thượng Thanh" in page.text


def _given_key(name: str) -> tuple[int, ...]:
    return tuple(ALPHABET.index(ch) if ch in ALPHABET else 100 for ch in fold_letters(name.split()[-1]))


def fold_letters(word: str) -> str:
    """Strip tones only (keep ă â đ ê ô ơ ư): an independent check of the letter order."""
    import unicodedata

    out = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in "\u0300\u0301\u0303\u0309\u0323":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def test_people_page_lists_household_heads_in_vietnamese_order(clients, ids) -> None:  # type: ignore[no-untyped-def]
    client, _ = clients["phuong.thuongthanh"]
    data = client.get(f"/api/v1/units/{ids.tt_group1}/people", params={"at": OLD.isoformat()}).json()
    heads = [p["full_name"] for p in data["household_heads"]]
    assert len(heads) > 100
    keys = [_given_key(n) for n in heads]
    assert keys == sorted(keys)
    page = client.get(f"/units/{ids.tt_group1}/people", params={"at": OLD.isoformat()}).text
    positions = [page.index(n) for n in heads[:20]]
    assert positions == sorted(positions)


def test_dashboard_figures_match_an_independent_count(clients, ids, web_db: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from tinhgon.registry import db

    client, _ = clients["quan.longbien"]
    d = client.get(f"/api/v1/units/{ids.thuong_thanh}/dashboard", params={"at": OLD.isoformat()}).json()
    with db.get_engine(web_db).connect() as conn:
        sizes = [r[0] for r in conn.execute(text(
            "SELECT households FROM unit_version WHERE parent_id = :p AND level = 'residential_group' "
            "AND (valid_from IS NULL OR valid_from <= :d) AND (valid_to IS NULL OR valid_to > :d)"),
            {"p": ids.thuong_thanh, "d": OLD})]
    assert d["groups_by_size"]["lt450"] == sum(1 for h in sizes if h < 450)
    assert d["groups_by_size"]["450to600"] == sum(1 for h in sizes if 450 <= h < 600)
    assert d["groups_by_size"]["ge600"] == sum(1 for h in sizes if h >= 600)
    assert d["households"] == sum(sizes)
    page = client.get(f"/units/{ids.thuong_thanh}/dashboard", params={"at": OLD.isoformat()}).text
    from tinhgon.rules.vnformat import format_int

    assert format_int(sum(sizes)) in page and "." in format_int(sum(sizes))


def test_english_switch_translates_the_interface(web_app, ids) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient
    from tests.web.conftest import login

    c = TestClient(web_app)
    login(c, "quan.longbien")
    vi = c.get(f"/units/{ids.thuong_thanh}/dashboard", params={"at": OLD.isoformat()}).text
    assert "Tổng quan" in vi and "Số hộ" in vi and 'lang="vi"' in vi
    r = c.get("/lang/en", params={"next": f"/units/{ids.thuong_thanh}/dashboard?at={OLD.isoformat()}"},
              follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/units/")
    en = c.get(f"/units/{ids.thuong_thanh}/dashboard", params={"at": OLD.isoformat()}).text
    assert "Dashboard" in en and "Households" in en and 'lang="en"' in en
    assert c.get("/lang/en", params={"next": "https://example.org/"}, follow_redirects=False
                 ).headers["location"] == "/"  # no open redirect


def test_every_catalogue_key_has_both_languages() -> None:
    import json
    import re
    from pathlib import Path

    web = Path(__file__).resolve().parents[2] / "src" / "tinhgon" / "web"
    vi = json.loads((web / "i18n" / "vi.json").read_text(encoding="utf-8"))
    en = json.loads((web / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(vi) == set(en)
    used: set[str] = set()
    for tpl in (web / "templates").glob("*.html"):
        text = tpl.read_text(encoding="utf-8")
        # t("...") may hold an apostrophe (People's Council) and t('...') a double quote
        used |= set(re.findall(r'\bt\("([^"]+)"\)', text)) | set(re.findall(r"\bt\('([^']+)'\)", text))
    assert used - set(vi) == set()
