"""Normalising Vietnamese addresses as people write them (pure functions, no database).

Two keys per word: the *folded* key (lower case, no diacritics, đ → d) used for matching, and the
*accented* key (vowel quality kept, tone written as a trailing digit) used only to break ties between
names that fold alike ("Sa Pa" / "Sa Pả", "Ba Tơ" / "Ba Tô"). The accented key does not depend on
where the tone mark sits ("Hoà" and "Hòa" give the same key). Written here: no Unidecode (GPL).
"""

from __future__ import annotations

import re
import unicodedata

# tone marks (combining): grave, acute, tilde, hook above, dot below
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
# the marks that make a different vowel (â ê ô / ă / ơ ư) are kept in the accented key
_QUALITY = {"\u0302", "\u0306", "\u031b"}

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


def _fold_table() -> dict[int, str]:
    """Every precomposed Latin letter with diacritics → its base letter, one character for one, so
    that offsets in the folded text are offsets in the original."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in range(0xC0, 0x2000):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)
        if len(base) > 1 and base[0].isascii() and base[0].isalpha() \
                and all(unicodedata.combining(c) for c in base[1:]):
            table[cp] = base[0]
    for cp in range(0x300, 0x370):  # stray combining marks
        table[cp] = ""
    return table


_FOLD = _fold_table()
_TOKEN = re.compile(r"[,;|\n]|[^\W_]+(?:['’‘`´][^\W_]+)*")
_ACCENT_CACHE: dict[str, str] = {}


class Tokens:
    """The words of an address as parallel lists; a separator (comma, semicolon...) is the word ","."""

    __slots__ = ("_acc", "_end", "_start", "accents", "f", "folded_text", "runs", "text")

    def __init__(self, text: str, folded_text: str | None = None) -> None:
        self.text = text
        self.folded_text = folded_text
        self.f: list[str] = []      # folded keys
        self.accents = False        # the writer used diacritics somewhere
        self._acc: dict[int, str] = {}
        self._start: list[int] | None = None
        self._end: list[int] | None = None
        self.runs: list[int] | None = None  # filled by the parser

    def __len__(self) -> int:
        return len(self.f)

    @property
    def start(self) -> list[int]:
        """Character offsets in TEXT of each word (worked out on first use: most callers never need them)."""
        if self._start is None:
            self._offsets()
        assert self._start is not None
        return self._start

    @property
    def end(self) -> list[int]:
        if self._end is None:
            self._offsets()
        assert self._end is not None
        return self._end

    def offset_of(self, i: int) -> int:
        """Where word I starts in TEXT, found from the right end without tokenising again: between two
        words there are no letters, so each word is the last occurrence of its key before the next one."""
        if self._start is not None or self.folded_text is None:
            return self.start[i]
        text = self.folded_text
        pos = len(text)
        f = self.f
        for k in range(len(f) - 1, i - 1, -1):
            w = f[k]
            if w == ",":
                j = max(text.rfind(",", 0, pos), text.rfind(";", 0, pos), text.rfind("|", 0, pos),
                        text.rfind("\n", 0, pos))
            else:
                j = text.rfind(w, 0, pos)
            if j < 0:  # an apostrophe or a number written with zeros: count the words instead
                return self.start[i]
            pos = j
        return pos

    def _offsets(self) -> None:
        st: list[int] = []
        en: list[int] = []
        for m in _TOKEN.finditer(self.folded_text if self.folded_text is not None else self.text):
            a, b = m.span()
            w = m.group()
            if w[-1].isdigit() and not w.isdigit():
                g = _GLUED.match(w)
                if g:
                    k = len(g.group(1))
                    st += [a, a + k]
                    en += [a + k, b]
                    continue
            st.append(a)
            en.append(b)
        self._start, self._end = st, en

    def accented(self, i: int) -> str:
        """The accented key of word I (computed when a tie must be broken)."""
        hit = self._acc.get(i)
        if hit is None:
            f = self.f[i]
            if f == "," or f.isdigit():
                hit = f
            else:
                word = self.text[self.start[i]:self.end[i]].translate(_APOSTROPHES)
                hit = _ACCENT_CACHE.get(word)
                if hit is None:
                    hit = accent_key(word)
                    if len(_ACCENT_CACHE) < 100_000:
                        _ACCENT_CACHE[word] = hit
            self._acc[i] = hit
        return hit


def _fix(w: str, out: list[str]) -> None:
    """A word that is not plain letters: a separator, a number, "p5", "ch'om"."""
    if len(w) == 1 and w in ",;|\n":
        out.append(",")
        return
    if not w.isalnum():
        w = w.translate(_APOSTROPHES)
    if w.isdigit():
        out.append(str(int(w)))
        return
    if w[-1].isdigit():
        g = _GLUED.match(w)
        if g:
            out.append(g.group(1))
            out.append(str(int(g.group(2))))
            return
    out.append(w)


def tokenize(text: str) -> Tokens:
    """Words of TEXT with folded keys. Offsets refer to TEXT once in NFC; an apostrophe inside a word
    is dropped ("Ch'ơm" → "Chơm"); numbers lose their leading zeros; "P5" is read "P 5"."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    low = text.lower()
    folded = low if low.isascii() else low.translate(_FOLD)
    if len(folded) != len(low) or len(low) != len(text):  # a rare character changed length: slow path
        return _tokenize_slow(text)
    out = Tokens(text, folded)
    out.accents = folded != low
    f = out.f
    for w in _TOKEN.findall(folded):
        if w.isalpha():
            f.append(w)
        else:
            _fix(w, f)
    return out


def _tokenize_slow(text: str) -> Tokens:
    out = Tokens(text)
    st: list[int] = []
    en: list[int] = []
    for m in _TOKEN.finditer(text):
        g = m.group()
        a, b = m.span()
        if b - a == 1 and g in ",;|\n":
            out.f.append(",")
        else:
            word = fold(g.translate(_APOSTROPHES))
            out.f.append(_number(word))
            out.accents = out.accents or word != g.lower().translate(_APOSTROPHES)
        st.append(a)
        en.append(b)
    out._start, out._end = st, en
    return out


def name_words(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folded words, accented words) of a unit name without its kind prefix."""
    t = tokenize(name)
    keep = [i for i, f in enumerate(t.f) if f != ","]
    return tuple(t.f[i] for i in keep), tuple(t.accented(i) for i in keep)


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
    ("br", "vt"): ("ba", "ria", "vung", "tau"),
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
    words = [f for f in tokenize(name).f if f != ","]
    for gw in GROUP_WORDS:
        if tuple(words[:len(gw)]) == gw:
            words = words[len(gw):]
            break
    if words[:1] == ["so"]:
        words = words[1:]
    return tuple(words)
