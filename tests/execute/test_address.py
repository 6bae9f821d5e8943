"""Old-to-new address conversion: messy forms, split communes, residential groups, batch CSV."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinhgon.cli import app
from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.execute.address import Converter
from tinhgon.execute.normalize import accent_key, fold, tokenize
from tinhgon.registry import db, repo

LEGACY = dt.date(2025, 6, 30)
TODAY = dt.date(2026, 1, 1)


# --- pure normalising ------------------------------------------------------------------------------------

def test_fold_removes_diacritics_and_d_stroke() -> None:
    assert fold("Phường Ngọc Thụy, Đông Anh") == "phuong ngoc thuy, dong anh"


def test_accent_key_ignores_where_the_tone_mark_sits() -> None:
    assert accent_key("Hoà") == accent_key("Hòa")
    assert accent_key("Pa") != accent_key("Pả")
    assert accent_key("Tơ") != accent_key("Tô")


def test_tokenize_splits_glued_abbreviations_and_drops_leading_zeros() -> None:
    assert tokenize("P.05, Q3 TP.HCM").f == ["p", "5", ",", "q", "3", "tp", "hcm"]
    assert tokenize("Xã Ch'ơm").f == ["xa", "chom"]
    t = tokenize("Số 12, P. Ngọc Thụy")
    assert t.text[t.offset_of(3):] == "P. Ngọc Thụy"


# The batch path takes short cuts (one C-level split instead of a regex, all texts folded at once, word
# offsets found with str.find); each must give exactly what the general, word-by-word path gives.
_TRICKY = ["Số 12 ngõ 5 Ngọc Thụy, tổ 3, P. Ngọc Thụy, Q. Long Biên, TP. Hà Nội", "P.05, Q3 TP.HCM", "F5; Q.10|HCM",
           "Xã Ch'ơm, Tây Giang", "PHƯỜNG PHÚC XÁ QUẬN BA ĐÌNH HÀ NỘI", "tổ 05 p7 q 3", "x05 105 0 00 a12 12a",
           "a_p5 x'p5 ab a'b", "Hoà / Hòa - (Thừa Thiên Huế)", "số ² tổ 5²", "İstanbul", "Σ σ ς", "漢字 ø",
           "a\u0301\u0301", "Phường\u00a0Ngọc Thụy", "\u037e tổ", "", " , , ", "123456 viet nam vn"]


def _random_texts(n: int, seed: int, *, ascii_only: bool = False) -> list[str]:
    import random

    alphabet = ("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐƠàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữự"
                "ỳýỷỹỵ0123456789 ,;.-/()'’_|\t:#&\"+!?ø漢\u0301\u0300Ωßǅ²İ\r")
    if ascii_only:
        alphabet = "abcpqtxyz0123456789 ,,.-/"
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _general_keys(text: str) -> list[str]:
    """The keys of the word-by-word path (no fast split), for texts that keep their length when folded."""
    import unicodedata

    from tinhgon.execute.normalize import _FOLD, folded_words

    text = unicodedata.normalize("NFC", text)
    return folded_words(text.lower().translate(_FOLD))


def _regex_spans(folded: str) -> tuple[list[int], list[int]]:
    """Word offsets by the general tokenising regex (a glued "p5" gives two words)."""
    from tinhgon.execute.normalize import _GLUED, _TOKEN

    st: list[int] = []
    en: list[int] = []
    for m in _TOKEN.finditer(folded):
        a, b = m.span()
        g = _GLUED.match(m.group()) if m.group()[-1].isdigit() and not m.group().isdigit() else None
        if g:
            st += [a, a + len(g.group(1))]
            en += [a + len(g.group(1)), b]
        else:
            st.append(a)
            en.append(b)
    return st, en


def test_fast_split_gives_the_keys_of_the_general_path() -> None:
    fast = 0
    for text in [*_TRICKY, *_random_texts(3000, 8), *_random_texts(500, 10, ascii_only=True)]:
        t = tokenize(text)
        if t.folded_text is None:  # a character changed length when folded: the slow path ran
            continue
        assert t.f == _general_keys(text), text
        st, en = _regex_spans(t.folded_text)
        assert (tokenize(text).start, tokenize(text).end) == (st, en), text  # found with str.find or a plain regex
        if t.exact:  # offsets found with str.find / rfind, from either end
            fast += 1
            assert [t.offset_of(i) for i in range(len(t.f))] == st, text
    assert fast > 300  # the short cut was taken often enough to be tested


def test_tokenize_many_is_tokenize_one_by_one() -> None:
    from tinhgon.execute.normalize import tokenize_many

    texts = [*_TRICKY, *_random_texts(2000, 9), "x\ny"]
    for batch in (texts, texts[:-1], [t for t in texts if t.isascii()], _TRICKY[:1], []):
        for a, b in zip(batch, tokenize_many(batch), strict=True):
            t = tokenize(a)
            assert (b.f, b.text, b.accents, b.folded_text, b.exact) == (t.f, t.text, t.accents, t.folded_text, t.exact)


def test_names_folded_together_are_folded_alike() -> None:
    from tinhgon.execute.normalize import fold_name, fold_name_lines

    names = ["Ngọc Thụy", "5", "05", "Ch'ơm", "Bà Rịa - Vũng Tàu", "Tân Thành, A", "Phú Mỹ 2", "Ia H'Drai", "Đắk Lắk",
             "漢", "A\u0301", ""]
    for batch in (names, [n for n in names if n.isascii()], names[:3]):
        assert fold_name_lines("\n".join(batch), len(batch)) == [fold_name(n) for n in batch]


# --- conversion against the national seed ----------------------------------------------------------------

def _converter(url: str) -> Converter:
    with db.get_engine(url).connect() as conn:
        return Converter.from_connection(conn, TODAY)


def _successor_codes(url: str, legacy_code: str) -> tuple[set[str], str | None]:
    """Independent of the converter: the registry's successors of a legacy commune, and the default one."""
    from sqlalchemy import select

    from tinhgon.registry import schema as s

    with db.get_engine(url).connect() as conn:
        old = repo.resolve_unit(conn, legacy_code, LEGACY, Level.COMMUNE)
        L = s.lineage_link
        rows = conn.execute(select(L.c.to_unit_id, L.c.primary_successor).where(L.c.from_unit_id == old.id)).all()
        codes = {repo.unit_at(conn, r.to_unit_id, TODAY).code: bool(r.primary_successor) for r in rows}  # type: ignore[union-attr]
    return set(codes), next((c for c, p in codes.items() if p), None)


@pytest.mark.parametrize("text", [
    "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",          # clean
    "phuong phuc xa, quan ba dinh, thanh pho ha noi",          # no diacritics
    "P. Phúc Xá, Q. Ba Đình, TP. Hà Nội",                       # abbreviations
    "PHƯỜNG PHÚC XÁ QUẬN BA ĐÌNH HÀ NỘI",                       # upper case, no commas
    "Số 12 ngõ 5 Phúc Xá, tổ 3, P.Phúc Xá, Ba Đình, HN",        # street and group parts, short province
    "phúc xá, hà nội",                                          # no kind, no district
])
def test_messy_forms_of_one_commune_convert_alike(seeded_url: str, text: str) -> None:
    conv = _converter(seeded_url)
    r = conv.convert(text)
    codes, _default = _successor_codes(seeded_url, "00001")  # Phúc Xá went whole into one ward
    assert r.status == "converted", r.as_dict()
    assert {r.new_commune_code} == codes
    assert r.new_province_code == "01"
    assert r.new_address.endswith("Thành phố Hà Nội")
    assert r.old["commune"]["code"] == "00001"


def test_numbered_wards_in_ho_chi_minh_city(seeded_url: str) -> None:
    conv = _converter(seeded_url)
    results = {t: conv.convert(t) for t in ("Phường 5, Quận 3, TP. Hồ Chí Minh", "P.5 Q.3 TPHCM", "F5, Q3, HCM",
                                            "Phường 05, Quận 3, Sài Gòn", "p05 quan 3 tp hcm")}
    with db.get_engine(seeded_url).connect() as conn:
        district = repo.resolve_unit(conn, "770", LEGACY, Level.DISTRICT)
        ward5 = next(u for u in repo.children(conn, district.id, LEGACY) if u.name == "Phường 5")
    codes, _ = _successor_codes(seeded_url, ward5.code)
    for text, r in results.items():
        assert r.status == "converted", text
        assert r.old["commune"]["code"] == ward5.code, text
        assert {r.new_commune_code} == codes, text


def test_a_house_number_alone_is_not_a_numbered_ward(seeded_url: str) -> None:
    r = _converter(seeded_url).convert("5, Quận 3, Hồ Chí Minh")
    assert r.status == "not_found"


def test_split_commune_gives_every_successor_as_candidates_and_marks_the_default(seeded_url: str) -> None:
    r = _converter(seeded_url).convert("phuong ngoc thuy, long bien, ha noi")
    codes, default = _successor_codes(seeded_url, "00118")
    assert len(codes) > 1
    assert r.status == "split_candidates"
    assert r.new_commune_code == "" and r.new_address == ""      # never chosen silently
    assert {c.code for c in r.candidates} == codes                # never more than the registry's successors
    assert [c.code for c in r.candidates if c.default] == [default]
    assert r.new_province_code == "01"


def test_diacritics_decide_between_names_that_fold_alike(seeded_url: str) -> None:
    conv = _converter(seeded_url)
    a = conv.convert("Phường Sa Pả, Thị xã Sa Pa, Lào Cai")
    b = conv.convert("Phường Sa Pa, Thị xã Sa Pa, Lào Cai")
    assert a.old["commune"]["name"] == "Phường Sa Pả"
    assert b.old["commune"]["name"] == "Phường Sa Pa"
    assert conv.convert("phuong sa pa, sa pa, lao cai").status == "ambiguous"


def test_address_already_in_the_new_form_is_unchanged(seeded_url: str) -> None:
    r = _converter(seeded_url).convert("Phường Hồng Hà, Thành phố Hà Nội")
    assert r.status == "unchanged"
    assert r.new_address == "Phường Hồng Hà, Thành phố Hà Nội"
    r2 = _converter(seeded_url).convert("Phường Hồng Hà, Thành phố Hà Nội", TODAY)
    assert r2.status == "unchanged"


def test_unknown_address_is_not_found(seeded_url: str) -> None:
    assert _converter(seeded_url).convert("123 đường Không Tên, nơi nào đó").status == "not_found"


def test_a_residential_group_of_the_demo_decides_a_split_ward(demo_url: str) -> None:
    with db.get_engine(demo_url).connect() as conn:
        ward = repo.resolve_unit(conn, "00118", LEGACY, Level.COMMUNE)  # Ngọc Thụy (split)
        groups = repo.children(conn, ward.id, LEGACY)
        g = groups[2]
        new_parent = repo.ancestors(conn, repo.unit_at(conn, g.id, TODAY), TODAY)[0]  # type: ignore[arg-type]
    number = g.name.rsplit(" ", 1)[1]
    r = _converter(demo_url).convert(f"Số 7, tổ {number}, P. Ngọc Thụy, Q. Long Biên, Hà Nội")
    assert r.status == "converted"
    assert r.new_commune_code == new_parent.code
    assert r.group is not None and r.group["code"] == g.code
    assert r.new_address.startswith("Số 7, ")
    assert new_parent.name in r.new_address


def test_batch_fields_are_the_full_conversion(demo_url: str) -> None:
    """What a batch writes (the short path) equals the full result, for every kind of outcome."""
    with db.get_engine(demo_url).connect() as conn:
        ward = repo.resolve_unit(conn, "00118", LEGACY, Level.COMMUNE)
        number = repo.children(conn, ward.id, LEGACY)[2].name.rsplit(" ", 1)[1]
    texts = ["P. Phúc Xá, Q. Ba Đình, Hà Nội", "phuong ngoc thuy long bien ha noi", "không có",
             "phuong sa pa, sa pa, lao cai", f"Số 7, tổ {number}, P. Ngọc Thụy, Q. Long Biên, Hà Nội",
             "Phường Hồng Hà, Thành phố Hà Nội", "X. Đông Phong, Bắc Ninh", "P.5 Q.3 TPHCM",
             "Số 3 ngõ 2, P.Phúc Xá, HN"]
    batch, full = _converter(demo_url), _converter(demo_url)
    for text in texts:
        r = full.convert(text)
        want = (r.new_address, r.new_commune_code, r.new_province_code, ";".join(c.code for c in r.candidates),
                r.status)
        assert batch.fields(text) == want, text
    assert {batch.fields(t)[4] for t in texts} >= {"converted", "split_candidates", "not_found", "ambiguous",
                                                   "unchanged"}


# --- command line ---------------------------------------------------------------------------------------

def test_cli_json_marks_the_default_candidate(seeded_url: str) -> None:
    res = CliRunner().invoke(app, ["address", "convert", "P. Ngọc Thụy, Q. Long Biên, Hà Nội", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["status"] == "split_candidates"
    assert sum(1 for c in data["candidates"] if c["default"]) == 1


def test_batch_csv_round_trip_keeps_every_input_column(seeded_url: str, tmp_path: Path) -> None:
    src = tmp_path / "vao.csv"
    rows = [
        {"id": "1", "address": "P. Phúc Xá, Q. Ba Đình, Hà Nội", "ghi_chu": "=1+1"},
        {"id": "2", "address": "phuong ngoc thuy long bien ha noi", "ghi_chu": "tách"},
        {"id": "3", "address": "", "ghi_chu": ""},
        {"id": "4", "address": "không có", "ghi_chu": "x"},
    ]
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "address", "ghi_chu"])
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "ra.csv"
    res = CliRunner().invoke(app, ["address", "convert", "--input", str(src), "--output", str(out)])
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0]) == ["id", "address", "ghi_chu", "new_address", "new_commune_code", "new_province_code",
                            "candidates", "status"]
    for before, after in zip(rows, got, strict=True):
        assert {k: after[k] for k in before} == before
    assert [r["status"] for r in got] == ["converted", "split_candidates", "empty", "not_found"]
    codes, _ = _successor_codes(seeded_url, "00118")
    assert set(got[1]["candidates"].split(";")) == codes


def test_batch_without_address_column_is_refused(seeded_url: str, tmp_path: Path) -> None:
    src = tmp_path / "vao.csv"
    src.write_text("dia_chi\nabc\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["address", "convert", "--input", str(src), "--output", str(tmp_path / "o.csv")])
    assert isinstance(res.exception, BadInput)  # exit code 2 through tinhgon.cli.main
    assert "address" in str(res.exception)
    assert not (tmp_path / "o.csv").exists()
