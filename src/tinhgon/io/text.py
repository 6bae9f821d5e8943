"""Vietnamese text as old files hold it: byte decoding, legacy font encodings, NFC, name matching.

Three kinds of damage reach us:

* bytes in a non-UTF-8 code page (a CSV saved as Windows-1258, or raw TCVN3/VNI bytes);
* cells typed with a legacy *font* (.VnTime = TCVN3/ABC, VNI-Times = VNI): Excel stored the
  keystrokes as ordinary Windows-1252 characters, so the cell holds Latin-1-looking mojibake such
  as ``Hµ Néi`` (TCVN3) or ``Haø Noäi`` (VNI) for "Hà Nội";
* the same letter in composed (NFC) and decomposed (NFD) form, so one name typed two ways differs.

The legacy tables below were written from the TCVN 5712:1993 chart (VN1 layout: the lower-case
letters used by the ABC fonts plus the capitals in the low and 0x80-0x9F positions) and the VNI
Windows chart; ``tests/io/test_text.py`` round-trips every letter with every tone in both cases.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from tinhgon.errors import BadInput

Legacy = Literal["tcvn3", "vni"]

# --- The Vietnamese alphabet ------------------------------------------------------------------

# Tone marks as combining characters: huyền, sắc, hỏi, ngã, nặng.
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
TONE_NAMES = ("none", "grave", "acute", "hook", "tilde", "dot")
# Vowels with their (optional) vowel modifier, as NFC base letters.
_VOWEL_BASES = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


#: Every Vietnamese vowel letter with every tone, lower case (72 letters) plus đ.
VIETNAMESE_LOWER: tuple[str, ...] = (*tuple(_with_tone(b, t) for b in _VOWEL_BASES for t in _TONES), "đ")
VIETNAMESE_LETTERS: frozenset[str] = frozenset(
    VIETNAMESE_LOWER + tuple(c.upper() for c in VIETNAMESE_LOWER))
# Letters only Vietnamese text contains (outside Latin-1): their presence proves the text is Unicode.
_NATIVE_ONLY = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF)

# --- TCVN3 (TCVN 5712:1993) -------------------------------------------------------------------

# byte -> letter. Lower case first: these are the positions the .VnTime (ABC) fonts use.
_TCVN3_LOWER = {
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
# Capitals: the toneless modified ones, then the toned capitals of the full (VN1) chart.
_TCVN3_UPPER = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ",
    0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
    0x80: "À", 0x81: "Ả", 0x82: "Ã", 0x83: "Á", 0x84: "Ạ", 0x85: "Ặ", 0x86: "Ậ", 0x87: "È",
    0x88: "Ẻ", 0x89: "Ẽ", 0x8A: "É", 0x8B: "Ẹ", 0x8C: "Ệ", 0x8D: "Ì", 0x8E: "Ỉ", 0x8F: "Ĩ",
    0x90: "Í", 0x91: "Ị", 0x92: "Ò", 0x93: "Ỏ", 0x94: "Õ", 0x95: "Ó", 0x96: "Ọ", 0x97: "Ộ",
    0x98: "Ờ", 0x99: "Ở", 0x9A: "Ỡ", 0x9B: "Ớ", 0x9C: "Ợ", 0x9D: "Ù", 0x9E: "Ủ", 0x9F: "Ũ",
    0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ",
    0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ", 0xF0: "Ỗ", 0xFF: "Ố",
}
TCVN3_BYTES: dict[int, str] = {**_TCVN3_LOWER, **_TCVN3_UPPER}


def _byte_chars(b: int) -> set[str]:
    """The characters one byte becomes in a cell: its Windows-1252 reading and its Latin-1 one."""
    out = {chr(b)}
    with contextlib.suppress(UnicodeDecodeError):
        out.add(bytes([b]).decode("cp1252"))
    return out


_TCVN3_CHAR: dict[str, str] = {}
for _b, _letter in TCVN3_BYTES.items():
    for _c in _byte_chars(_b):
        _TCVN3_CHAR[_c] = _letter
_TCVN3_TRANS = str.maketrans(_TCVN3_CHAR)
_TCVN3_ENCODE = {v: bytes([k]) for k, v in TCVN3_BYTES.items()}

# --- VNI --------------------------------------------------------------------------------------

# A vowel is a base byte followed by a mark byte; lower and upper case marks differ by 0x20.
_VNI_PLAIN_TONES = {"": "", "\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRCUMFLEX = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _build_vni() -> dict[str, str]:
    """Unicode letter (NFC) -> VNI character sequence, for both cases."""
    table: dict[str, str] = {"đ": "ñ", "Đ": "Ñ"}
    for tone in _TONES:
        lower: dict[str, str] = {}
        for base in ("a", "e", "o", "u", "y"):
            lower[_with_tone(base, tone)] = base + _VNI_PLAIN_TONES[tone]
        for base, plain in (("â", "a"), ("ê", "e"), ("ô", "o")):
            lower[_with_tone(base, tone)] = plain + _VNI_CIRCUMFLEX[tone]
        lower[_with_tone("ă", tone)] = "a" + _VNI_BREVE[tone]
        lower[_with_tone("ơ", tone)] = "ô" + _VNI_PLAIN_TONES[tone]
        lower[_with_tone("ư", tone)] = "ö" + _VNI_PLAIN_TONES[tone]
        lower[_with_tone("i", tone)] = _VNI_I[tone]
        if tone == "\u0323":
            lower[_with_tone("y", tone)] = "î"  # ỵ is one byte in VNI
        for letter, seq in lower.items():
            table[letter] = seq
            # Capitals: upper-case base and upper-case mark (byte - 0x20), e.g. Ấ = "AÁ".
            table[letter.upper()] = seq.upper()
    return table


VNI_ENCODE: dict[str, str] = _build_vni()
_VNI_DECODE: dict[str, str] = {seq: letter for letter, seq in VNI_ENCODE.items() if seq != letter}
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_DECODE, key=len, reverse=True)))

# Characters that only occur in mojibake: Latin-1/cp1252 letters and symbols Vietnamese never uses.
_LATIN1_VIET = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) <= 0xFF)
_TCVN3_MARKERS = frozenset(c for c in _TCVN3_CHAR if c not in _LATIN1_VIET and ord(c) > 0x7F)
_VNI_MARKERS = frozenset(c for seq in _VNI_DECODE for c in seq if ord(c) > 0x7F and c not in _LATIN1_VIET)


def tcvn3_to_unicode(s: str) -> str:
    """Convert a cell typed in a TCVN3 (.VnTime) font to Unicode NFC."""
    return nfc(s.translate(_TCVN3_TRANS))


def vni_to_unicode(s: str) -> str:
    """Convert a cell typed in a VNI font to Unicode NFC."""
    return nfc(_VNI_RE.sub(lambda m: _VNI_DECODE[m.group(0)], s))


def unicode_to_tcvn3(s: str) -> bytes:
    """Encode to TCVN3 bytes (for tests and fixtures). Unmappable characters raise ValueError."""
    out = bytearray()
    for c in nfc(s):
        if c in _TCVN3_ENCODE:
            out += _TCVN3_ENCODE[c]
        elif ord(c) < 0x80:
            out.append(ord(c))
        else:
            raise ValueError(f"no TCVN3 code for {c!r}")
    return bytes(out)


def unicode_to_cp1258(s: str) -> bytes:
    """Encode as Windows-1258 writes Vietnamese: base letter, then a combining tone mark."""
    out = bytearray()
    for c in nfc(s):
        try:
            out += c.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", c)
        tones = "".join(m for m in decomposed if m in _TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in _TONE_MARKS))
        out += (base + tones).encode("cp1258")
    return bytes(out)


def unicode_to_vni(s: str) -> str:
    """Encode to the VNI character sequence a VNI-font cell would hold (for tests and fixtures)."""
    return "".join(VNI_ENCODE.get(c, c) for c in nfc(s))


# --- Normalisation ----------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def nfc(s: str) -> str:
    # is_normalized is a fast check, so ASCII and already-NFC text costs almost nothing.
    return s if unicodedata.is_normalized("NFC", s) else unicodedata.normalize("NFC", s)


def strip_diacritics(s: str) -> str:
    """"Phường Bồ Đề" -> "Phuong Bo De". Not unidecode (GPL): Vietnamese only needs this."""
    decomposed = unicodedata.normalize("NFD", s)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept.replace("đ", "d").replace("Đ", "D"))


def normalize_name(s: str) -> str:
    """The key for matching names: NFC, spaces collapsed, case folded (diacritics kept)."""
    return _SPACES.sub(" ", nfc(s)).strip().casefold()


def match_key(s: str) -> str:
    """Looser key (no diacritics, no spaces/underscores): for matching column headers and labels."""
    return re.sub(r"[\s_\-./()*:]+", "", strip_diacritics(normalize_name(s)))


# --- Scoring: how Vietnamese does a text look? ------------------------------------------------

_TONE_MARKS = frozenset(_TONES[1:])
# Vowel nuclei of Vietnamese syllables, without tone marks.
_NUCLEI = (
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây",
    "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "oo", "ua", "uâ", "uê", "ui",
    "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê", "iêu", "yêu", "oai", "oay", "oao", "oeo",
    "uây", "uôi", "uya", "uyê", "uyu", "ươi", "ươu",
)
_SYLLABLE = re.compile(
    r"^(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnpqrstvx])?"
    r"(" + "|".join(sorted(_NUCLEI, key=len, reverse=True)) + r")"
    r"(ch|nh|ng|[cmnpt])?$"
)
_WORD = re.compile(r"[^\W\d_]+")


def _is_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(1 for c in decomposed if c in _TONE_MARKS) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return bool(_SYLLABLE.match(toneless))


def text_score(s: str) -> int:
    """+1 for each word with diacritics that is a Vietnamese syllable, -1 for each non-ASCII word
    that is not. ASCII words do not count: every decoding leaves them alone."""
    score = 0
    for word in _WORD.findall(s):
        if word.isascii():
            continue
        ok = all(c.isascii() or c in VIETNAMESE_LETTERS for c in word) and _is_syllable(word)
        score += 1 if ok else -1
    return score


def has_native_vietnamese(s: str) -> bool:
    """True when the text holds letters only Unicode Vietnamese has (ư, ơ, đ, ạ...)."""
    return any(c in _NATIVE_ONLY or c in _TONE_MARKS for c in s)


def _markers(s: str, enc: Legacy) -> int:
    markers = _TCVN3_MARKERS if enc == "tcvn3" else _VNI_MARKERS
    return sum(1 for c in s if c in markers)


_CONVERT = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}


def detect_legacy(samples: Iterable[str], limit: int = 20000) -> Legacy | None:
    """Decide whether a table's text cells were typed in a TCVN3 or VNI font.

    The whole table decides (one short cell is ambiguous): each candidate decoding is scored by
    how many of its words are Vietnamese syllables; a legacy encoding wins only when it does
    strictly better than the text as it is.
    """
    raw = tcvn = vni = 0
    seen = 0
    for s in samples:
        if s.isascii() or has_native_vietnamese(s):
            continue
        raw += text_score(s)
        tcvn += text_score(tcvn3_to_unicode(s))
        vni += text_score(vni_to_unicode(s))
        seen += 1
        if seen >= limit:
            break
    best = max(tcvn, vni)
    # Two words' worth of evidence at least: one odd word ("UÒ") is not enough to rewrite a file.
    if best < raw + 2 or best <= 0:
        return None
    return "tcvn3" if tcvn >= vni else "vni"


def convert_cell(s: str, enc: Legacy) -> str:
    """Convert one cell of a table already known to be in ``enc``; leave cells that are not.

    A cell that already holds Unicode-only letters was typed in a Unicode font (files mix fonts).
    Otherwise convert when the result reads better, or reads as well and the cell holds characters
    only mojibake has.
    """
    if s.isascii() or has_native_vietnamese(s):
        return nfc(s)
    converted = _CONVERT[enc](s)
    before, after = text_score(s), text_score(converted)
    if after > before or (after == before and _markers(s, enc) > 0):
        return converted
    return nfc(s)


def looks_like_mojibake(samples: Iterable[str], limit: int = 20000) -> bool:
    """True when many words hold characters Vietnamese never uses (an unknown legacy encoding)."""
    bad = total = 0
    for s in samples:
        for word in _WORD.findall(s):
            if word.isascii():
                continue
            total += 1
            if any(0x80 <= ord(c) <= 0xFF and c not in _LATIN1_VIET for c in word):
                bad += 1
        if total >= limit:
            break
    return bad >= 3 and bad * 2 > total


# --- Bytes to text ----------------------------------------------------------------------------

def decode_bytes(data: bytes, *, file: str | None = None) -> tuple[str, str]:
    """Decode a text file's bytes. Returns (text in NFC, encoding name).

    UTF-8 (with or without BOM) first; otherwise the 8-bit candidates are scored on how Vietnamese
    the result reads: Windows-1258 (decoded, then its combining tone marks composed by NFC), raw
    TCVN3 bytes, raw VNI bytes, Windows-1252. Refuses when nothing reads as Vietnamese.
    """
    if b"\x00" in data[:65536]:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return nfc(data.decode("utf-16")), "utf-16"
            except UnicodeDecodeError:
                pass
        raise BadInput("tệp chứa dữ liệu nhị phân, không phải văn bản CSV / binary data, not a CSV text "
                       "file", file=file)
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return nfc(data[3:].decode("utf-8")), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise BadInput(f"tệp có BOM UTF-8 nhưng có byte không hợp lệ ở vị trí {exc.start} / "
                           f"UTF-8 BOM but invalid byte at offset {exc.start}", file=file) from None
    try:
        return nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    latin = data.decode("latin-1")
    candidates: list[tuple[int, int, str, str]] = []
    try:
        cp1258 = nfc(data.decode("cp1258"))
        candidates.append((text_score(cp1258), 3, "cp1258", cp1258))
    except UnicodeDecodeError:
        pass
    for prio, name, conv in ((2, "tcvn3", tcvn3_to_unicode), (1, "vni", vni_to_unicode)):
        text = conv(latin)
        candidates.append((text_score(text), prio, name, text))
    try:
        cp1252 = data.decode("cp1252")
        candidates.append((text_score(cp1252), 0, "cp1252", cp1252))
    except UnicodeDecodeError:
        pass
    score, _, name, text = max(candidates)
    if score <= 0 and not _plain_enough(text):
        raise BadInput(
            "không nhận ra bảng mã của tệp: hãy lưu lại dưới dạng CSV UTF-8 / unknown text encoding: "
            "save the file again as CSV UTF-8", file=file)
    return text, name


def _plain_enough(text: str) -> bool:
    """A non-UTF-8 file with (almost) no letters beyond ASCII is harmless in any 8-bit reading."""
    non_ascii = sum(1 for c in text if ord(c) > 0x7F)
    return non_ascii * 200 <= len(text)
