"""Normalising Vietnamese addresses as people write them (pure functions, no database).

Two keys per word: the *folded* key (lower case, no diacritics, đ → d) used for matching, and the
*accented* key (vowel quality kept, tone written as a trailing digit) used only to break ties between
names that fold alike ("Sa Pa" / "Sa Pả", "Ba Tơ" / "Ba Tô"). The accented key does not depend on
where the tone mark sits ("Hoà" and "Hòa" give the same key). Written here: no Unidecode (GPL).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# tone marks (combining): grave, acute, tilde, hook above, dot below
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
# the marks that make a different vowel (â ê ô / ă / ơ ư) are kept in the accented key
_QUALITY = {"\u0302", "\u0306", "\u031b"}

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans("", "", "'’‘`´")
# "P5", "F12", "Q3": an abbreviation glued to a number
_GLUED = re.compile(r"^(p|f|q|phuong|quan|to|tdp|kp|khupho|ap|thon)(\d+)$")


def fold(text: str) -> str:
    """Lower case without diacritics: 'Phường Ngọc Thụy' → 'phuong ngoc thuy'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def accent_key(word: str) -> str:
    """Vowel letters with their quality marks, then the tone as a digit ('hoà' → 'hoa2', 'tơ' → 'tơ')."""
    tone = ""
    kept = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _TONES:
            tone = _TONES[ch]
        elif unicodedata.combining(ch) and ch not in _QUALITY:
            continue
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)) + tone


def _number(tok: str) -> str:
    return str(int(tok)) if tok.isdigit() else tok


@dataclass(slots=True)
class Token:
    folded: str
    accented: str
    start: int   # character offsets in the original text
    end: int
    comma: bool = False  # a separator token (comma, semicolon, dash between parts)


_SEP = re.compile(r"[,;|\n]")


def tokenize(text: str) -> list[Token]:
    """Words of TEXT with folded and accented keys; separators become tokens with comma=True."""
    text = unicodedata.normalize("NFC", text)
    out: list[Token] = []
    # offsets refer to TEXT; apostrophes inside words are dropped ("Ch'ơm" → "Chơm")
    pos = 0
    pieces: list[tuple[int, int, bool]] = []
    for m in _SEP.finditer(text):
        pieces.append((pos, m.start(), False))
        pieces.append((m.start(), m.end(), True))
        pos = m.end()
    pieces.append((pos, len(text), False))
    for a, b, is_sep in pieces:
        if is_sep:
            out.append(Token(",", ",", a, b, comma=True))
            continue
        chunk = text[a:b]
        cleaned = chunk.translate(_APOSTROPHES)
        if len(cleaned) != len(chunk):
            # keep offsets roughly right: map words of the cleaned chunk back by searching the chunk
            for m in _WORD.finditer(cleaned):
                _emit(out, m.group(), a + _offset(chunk, m.start()), a + _offset(chunk, m.end()))
        else:
            for m in _WORD.finditer(chunk):
                _emit(out, m.group(), a + m.start(), a + m.end())
    return out


def _offset(chunk: str, cleaned_index: int) -> int:
    """Index in CHUNK of the character at CLEANED_INDEX once apostrophes are removed."""
    seen = 0
    for i, ch in enumerate(chunk):
        if seen == cleaned_index:
            return i
        if ch not in "'’‘`´":
            seen += 1
    return len(chunk)


def _emit(out: list[Token], word: str, start: int, end: int) -> None:
    f = fold(word)
    m = _GLUED.match(f)
    if m:
        out.append(Token(m.group(1), m.group(1), start, start + len(m.group(1))))
        out.append(Token(_number(m.group(2)), m.group(2), start + len(m.group(1)), end))
        return
    out.append(Token(_number(f), accent_key(word) if not f.isdigit() else _number(f), start, end))


def name_words(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folded words, accented words) of a unit name without its kind prefix."""
    toks = [t for t in tokenize(name) if not t.comma]
    return tuple(t.folded for t in toks), tuple(t.accented for t in toks)


# --- kinds of unit, as written in front of a name ---------------------------------------------------

# folded word sequences that introduce a unit name, by the unit kinds (tinhgon Kind values) they fit
KIND_WORDS: dict[tuple[str, ...], frozenset[str]] = {
    ("tinh",): frozenset({"tinh"}),
    ("t",): frozenset({"tinh"}),
    ("thanh", "pho"): frozenset({"thanh_pho_tw", "thanh_pho_tinh"}),
    ("tp",): frozenset({"thanh_pho_tw", "thanh_pho_tinh"}),
    ("quan",): frozenset({"quan"}),
    ("q",): frozenset({"quan"}),
    ("huyen",): frozenset({"huyen"}),
    ("h",): frozenset({"huyen"}),
    ("thi", "xa"): frozenset({"thi_xa"}),
    ("tx",): frozenset({"thi_xa"}),
    ("phuong",): frozenset({"phuong"}),
    ("p",): frozenset({"phuong"}),
    ("ph",): frozenset({"phuong"}),
    ("f",): frozenset({"phuong"}),
    ("xa",): frozenset({"xa"}),
    ("x",): frozenset({"xa"}),
    ("thi", "tran"): frozenset({"thi_tran"}),
    ("tt",): frozenset({"thi_tran"}),
    ("dac", "khu"): frozenset({"dac_khu"}),
    ("dk",): frozenset({"dac_khu"}),
}
KIND_PREFIX_LABELS: dict[str, list[str]] = {
    "tinh": ["Tỉnh"], "thanh_pho_tw": ["Thành phố"], "thanh_pho_tinh": ["Thành phố"], "quan": ["Quận"],
    "huyen": ["Huyện"], "thi_xa": ["Thị xã"], "phuong": ["Phường"], "xa": ["Xã"], "thi_tran": ["Thị trấn"],
    "dac_khu": ["Đặc khu"],
}

# words that introduce a residential group (thôn, tổ dân phố...) in the street part
GROUP_WORDS: list[tuple[str, ...]] = sorted([
    ("to", "dan", "pho"), ("to",), ("tdp",), ("khu", "pho"), ("kp",), ("thon",), ("ap",), ("ban",),
    ("khom",), ("buon",), ("lang",), ("xom",), ("khu",), ("to", "dp"),
], key=len, reverse=True)

# province names people shorten; folded words → folded official short name
PROVINCE_ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("hn",): ("ha", "noi"),
    ("hcm",): ("ho", "chi", "minh"),
    ("tphcm",): ("ho", "chi", "minh"),
    ("hcmc",): ("ho", "chi", "minh"),
    ("sai", "gon"): ("ho", "chi", "minh"),
    ("sg",): ("ho", "chi", "minh"),
    ("brvt",): ("ba", "ria", "vung", "tau"),
    ("vung", "tau"): ("ba", "ria", "vung", "tau"),
    ("thua", "thien", "hue"): ("hue",),
    ("tt", "hue"): ("hue",),
    ("dn",): ("da", "nang"),
    ("hp",): ("hai", "phong"),
    ("ct",): ("can", "tho"),
    ("bac", "can"): ("bac", "kan"),
    ("dak", "nong"): ("dak", "nong"),
    ("daklak",): ("dak", "lak"),
    ("dac", "lac"): ("dak", "lak"),
    ("daknong",): ("dak", "nong"),
}

# words at the end of an address that name no unit
TRAILING_JUNK: list[tuple[str, ...]] = [("viet", "nam"), ("vietnam",), ("vn",)]


def strip_kind(name: str) -> str:
    """The name without its kind prefix: 'Phường Phường Đúc' → 'Phường Đúc', 'Quận 3' → '3'."""
    for label in ("Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Tỉnh", "Quận", "Huyện", "Phường", "Xã"):
        if name.startswith(label + " "):
            return name[len(label) + 1:]
    return name


def group_rest(name: str) -> tuple[str, ...]:
    """The distinctive words of a residential group's name: 'Tổ dân phố số 3' → ('3',), 'Thôn Đông' → ('dong',)."""
    words = [t.folded for t in tokenize(name) if not t.comma]
    for gw in GROUP_WORDS:
        if tuple(words[:len(gw)]) == gw:
            words = words[len(gw):]
            break
    if words[:1] == ["so"]:
        words = words[1:]
    return tuple(words)
