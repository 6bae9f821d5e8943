"""Encodings: every Vietnamese letter through TCVN3, VNI and Windows-1258; detection; NFC; names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinhgon.errors import BadInput
from tinhgon.io.text import (
    VIETNAMESE_LETTERS,
    VIETNAMESE_LOWER,
    decode_bytes,
    detect_legacy,
    match_key,
    normalize_name,
    strip_diacritics,
    tcvn3_to_unicode,
    unicode_to_cp1258,
    unicode_to_tcvn3,
    unicode_to_vni,
    vni_to_unicode,
)

ALL_LETTERS = sorted(VIETNAMESE_LETTERS)
SAMPLE = "Phường Bồ Đề, quận Long Biên, Hà Nội. Nguyễn Thị Ngọc Ánh; Trưởng ban công tác Mặt trận"


def test_alphabet_is_complete() -> None:
    # 12 vowels x 6 tones + đ, in both cases.
    assert len(VIETNAMESE_LOWER) == 73
    assert len(VIETNAMESE_LETTERS) == 146
    assert {"ặ", "Ặ", "ỵ", "Ỵ", "ữ", "Ữ", "đ", "Đ"} <= VIETNAMESE_LETTERS


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_tcvn3_round_trip_every_letter(letter: str) -> None:
    raw = unicode_to_tcvn3(letter)
    assert len(raw) == 1 or letter.isascii()
    # A cell typed with .VnTime holds the bytes read as Windows-1252 (or Latin-1 for unassigned bytes).
    as_cell = raw.decode("cp1252", errors="strict") if raw[0] not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) \
        else raw.decode("latin-1")
    assert tcvn3_to_unicode(as_cell) == letter
    assert tcvn3_to_unicode(raw.decode("latin-1")) == letter


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_vni_round_trip_every_letter(letter: str) -> None:
    cell = unicode_to_vni(letter)
    assert all(ord(c) <= 0xFF for c in cell)
    assert vni_to_unicode(cell) == letter
    # in a word, both cases
    word = "Ng" + letter + "n"
    assert vni_to_unicode(unicode_to_vni(word)) == word


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_cp1258_round_trip_every_letter(letter: str) -> None:
    text, enc = decode_bytes(unicode_to_cp1258(f"Tên: Ng{letter}n, tổ dân phố số 1"))
    assert text == f"Tên: Ng{letter}n, tổ dân phố số 1"
    assert enc == "cp1258"


def test_known_mojibake_samples() -> None:
    assert tcvn3_to_unicode("Hµ Néi") == "Hà Nội"
    assert tcvn3_to_unicode("ViÖt Nam") == "Việt Nam"
    assert tcvn3_to_unicode("Ph\u00adêng §Æng") == "Phường Đặng"
    assert vni_to_unicode("Haø Noäi") == "Hà Nội"
    assert vni_to_unicode("Phöôøng Ñaëng") == "Phường Đặng"
    assert vni_to_unicode("Xin chaøo caùc baïn") == "Xin chào các bạn"


def test_detect_legacy() -> None:
    tcvn = unicode_to_tcvn3(SAMPLE.lower()).decode("cp1252")
    vni = unicode_to_vni(SAMPLE)
    assert detect_legacy([tcvn]) == "tcvn3"
    assert detect_legacy([vni]) == "vni"
    assert detect_legacy([SAMPLE]) is None
    # Unicode text that only uses Latin-1 letters is not mistaken for VNI or TCVN3.
    assert detect_legacy(["Hoà Bình", "Hà Tây", "Cà Mau"]) is None
    assert detect_legacy(["ABC", "123"]) is None


def test_decode_bytes_utf8_with_and_without_bom() -> None:
    assert decode_bytes(SAMPLE.encode("utf-8")) == (SAMPLE, "utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8")) == (SAMPLE, "utf-8-sig")


def test_decode_bytes_nfd_becomes_nfc() -> None:
    text, _ = decode_bytes(unicodedata.normalize("NFD", SAMPLE).encode("utf-8"))
    assert text == SAMPLE


def test_decode_bytes_legacy_byte_files() -> None:
    assert decode_bytes(unicode_to_tcvn3(SAMPLE.lower())) == (SAMPLE.lower(), "tcvn3")
    assert decode_bytes(unicode_to_vni(SAMPLE).encode("latin-1")) == (SAMPLE, "vni")
    assert decode_bytes(unicode_to_cp1258(SAMPLE)) == (SAMPLE, "cp1258")


def test_decode_bytes_refuses_garbage() -> None:
    with pytest.raises(BadInput, match="nhị phân"):
        decode_bytes(bytes(range(256)) * 4, file="x.csv")
    with pytest.raises(BadInput, match="bảng mã"):
        decode_bytes(bytes(range(0x80, 0x100)) * 8, file="x.csv")


def test_nfc_and_nfd_names_compare_equal() -> None:
    nfc = "Nguyễn Thị Ánh"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert normalize_name(nfc) == normalize_name(nfd)
    assert normalize_name("  NGUYỄN   thị  ánh ") == normalize_name(nfd)
    assert normalize_name("Nguyễn") != normalize_name("Nguyên")  # tones still matter for names


def test_strip_diacritics() -> None:
    assert strip_diacritics("Phường Bồ Đề") == "Phuong Bo De"
    assert strip_diacritics("đường Ỷ Lan") == "duong Y Lan"
    assert all(strip_diacritics(c).isascii() for c in ALL_LETTERS)
    assert match_key("Mã đơn vị cấp trên (*)") == match_key("ma_don_vi_cap_tren")


@given(st.lists(st.sampled_from([*ALL_LETTERS, " ", "n", "g", "h", "t"]), min_size=1, max_size=30))
def test_vni_round_trip_any_text(chars: list[str]) -> None:
    text = "".join(chars)
    assert vni_to_unicode(unicode_to_vni(text)) == text


def test_tcvn3_table_agrees_with_glibc_iconv() -> None:
    # An independent implementation of TCVN 5712:1993 (VN1), when the system has it.
    import shutil
    import subprocess

    from tinhgon.io.text import TCVN3_BYTES

    if shutil.which("iconv") is None:
        pytest.skip("iconv not installed")
    codes = sorted(TCVN3_BYTES)
    run = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes(codes),
                         capture_output=True, check=False)
    if run.returncode != 0:
        pytest.skip("iconv has no TCVN5712-1")
    theirs = unicodedata.normalize("NFC", run.stdout.decode("utf-8"))
    assert theirs == "".join(TCVN3_BYTES[c] for c in codes)
