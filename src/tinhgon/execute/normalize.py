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
    return str(int(tok)) if tok.isdecimal() else tok


def _fold_table() -> dict[int, str]:
    """Every character whose decomposition is one ASCII character and marks (the precomposed Latin
    letters with diacritics, and a few look-alikes such as the Greek question mark) → that character,
    one for one, so that offsets in the folded text are offsets in the original."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in range(0x80, 0x2300):  # no character above decomposes to ASCII (checked over all of Unicode)
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)
        if base != ch and base[0].isascii() and all(unicodedata.combining(c) for c in base[1:]):
            table[cp] = base[0]
    for cp in range(0x300, 0x370):  # stray combining marks
        table[cp] = ""
    return table


_FOLD = _fold_table()
_TOKEN = re.compile(r"[,;|\n]|[^\W_]+(?:['’‘`´][^\W_]+)*")
_ACCENT_CACHE: dict[str, str] = {}
# `tokenize`'s fast split: harmless punctuation → space; what needs `_fix` (separators ; | newline,
# apostrophes, underscores, other symbols) → NUL, which sends the text to the word-by-word path
_SPACED = str.maketrans({c: (" " if c in ".-/()\t:#&\"+" else "\0") for c in map(chr, range(128))
                         if not (c.isalnum() or c in " ,")})
# the same for many names at once, one a line
_SPACED_LINES = str.maketrans({c: (" " if c in ".-/()\t:#&\"+" else "\0") for c in map(chr, range(128))
                               if not (c.isalnum() or c in " ,\n")})
# a letter or a zero before a digit: maybe "p5" or "05" (flagging a few more is harmless)
_DIGIT_FIX = re.compile(r"[a-z0][0-9]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
# on an ASCII text without separators other than commas, apostrophes or underscores, `_TOKEN` finds
# exactly the runs of letters and digits, and the commas
_NOT_PLAIN = re.compile(r"[;|\n'`_]")
_TOKEN_PLAIN = re.compile(r",|[a-zA-Z0-9]+")
_DIGIT_MARKS = str.maketrans({**{c: "a" for c in "abcdefghijklmnopqrstuvwxyz"}, "0": "0",
                              **{c: "1" for c in "123456789"}})


class Tokens:
    """The words of an address as parallel lists; a separator (comma, semicolon...) is the word ","."""

    __slots__ = ("_acc", "_end", "_start", "accents", "exact", "f", "folded_text", "text")

    def __init__(self, text: str, folded_text: str | None = None) -> None:
        self.text = text
        self.folded_text = folded_text
        self.f: list[str] = []      # folded keys
        self.accents = False        # the writer used diacritics somewhere
        self.exact = False          # every key is the folded text's word verbatim (the fast split)
        self._acc: dict[int, str] | None = None  # accented keys, made when a tie must be broken
        self._start: list[int] | None = None
        self._end: list[int] | None = None

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
        """Where word I starts in TEXT. When the keys are the folded text's own words (`exact`), it is
        found without tokenising again, walking from the nearer end: between two words there are no
        letters, so each word is the first occurrence of its key after the one before (the last before
        the one after)."""
        if self._start is not None or not self.exact or self.folded_text is None:
            return self.start[i]
        text = self.folded_text
        f = self.f
        if i <= len(f) - i:
            pos = 0
            for k in range(i):
                pos = text.find(f[k], pos) + len(f[k])
            return text.find(f[i], pos)
        pos = len(text)
        for k in range(len(f) - 1, i - 1, -1):
            pos = text.rfind(f[k], 0, pos)
        return pos

    def _offsets(self) -> None:
        st: list[int] = []
        en: list[int] = []
        if self.exact and self.folded_text is not None:  # the keys are the words: find them in turn
            text, pos = self.folded_text, 0
            for w in self.f:
                pos = text.find(w, pos)
                st.append(pos)
                pos += len(w)
                en.append(pos)
            self._start, self._end = st, en
            return
        text = self.folded_text if self.folded_text is not None else self.text
        # plain ASCII letters, digits and spaces: the words are simply the runs of letters and digits
        token = _TOKEN_PLAIN if text.isascii() and _NOT_PLAIN.search(text) is None else _TOKEN
        for m in token.finditer(text):
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
        if self._acc is None:
            self._acc = {}
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
    if w.isdecimal():  # not isdigit: "²" is a digit that int() refuses
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
    folded = low if low.isascii() else _fold_same_length(low)
    if len(folded) != len(low) or len(low) != len(text):  # a rare character changed length: slow path
        return _tokenize_slow(text)
    out = Tokens(text, folded)
    out.accents = folded != low
    spaced = folded.translate(_SPACED)
    if spaced.isascii() and "\0" not in spaced and _DIGIT_FIX.search(spaced) is None:
        # letters, digits, commas and harmless punctuation only, no glued "p5", no "05": splitting at
        # the spaces gives exactly the keys `folded_words` would (a C-level split, no regex)
        out.f = spaced.replace(",", " , ").split()
        out.exact = True
    else:
        out.f = folded_words(folded)
    return out


def tokenize_many(texts: list[str]) -> list[Tokens]:
    """`[tokenize(t) for t in texts]`, with the case folding, the diacritics folding and the spacing of
    punctuation done once for all the texts (each is then split on its own)."""
    joined = "\n".join(texts)
    if (len(texts) < 2 or joined.count("\n") != len(texts) - 1
            or (not joined.isascii() and not unicodedata.is_normalized("NFC", joined))):
        return [tokenize(t) for t in texts]
    low = joined.lower()
    folded = low if low.isascii() else _fold_same_length(low)
    # lower() only lengthens and folding only shortens: equal totals mean every text kept its length
    if len(low) != len(joined) or len(folded) != len(low):
        return [tokenize(t) for t in texts]
    spaced = folded.translate(_SPACED_LINES)
    lines = spaced.replace(",", " , ").split("\n")
    digits, odd = _odd_lines(spaced)
    out: list[Tokens] = []
    for i, (text, lw, fd) in enumerate(zip(texts, low.split("\n"), folded.split("\n"), strict=True)):
        t = Tokens(text, fd)
        t.accents = fd != lw
        if i in odd:
            t.f = folded_words(fd)
        elif i in digits:
            t.f = _fixed_words(lines[i])
        else:
            t.f = lines[i].split()
            t.exact = True
        out.append(t)
    return out


def _fixed_words(line: str) -> list[str]:
    """`folded_words` for a line of plain ASCII letters, digits and spaced commas: the words are those
    of the split, and only those with a digit need `_fix`."""
    f: list[str] = []
    for w in line.split():
        if w.isalpha():
            f.append(w)
        else:
            _fix(w, f)
    return f


def _odd_lines(spaced: str) -> tuple[set[int], set[int]]:
    """The lines of SPACED (punctuation spaced, one text a line) that a plain split does not key right:
    (lines with a digit after a letter or a zero, lines with a character `_SPACED_LINES` marks or one
    that is not ASCII). Found over the whole text with C-level searches, then placed by offset."""
    # letters → "a", 0 → "0", other digits → "1": a digit after a letter or a zero is one of four pairs,
    # found with str.find (a regex would try a match at every letter)
    marked = spaced.translate(_DIGIT_MARKS)
    digits: list[int] = []
    for pair in ("a0", "a1", "00", "01"):
        i = marked.find(pair)
        while i >= 0:
            digits.append(i)
            i = marked.find(pair, i + 1)
    odd: list[int] = []
    if "\0" in spaced:
        i = spaced.find("\0")
        while i >= 0:
            odd.append(i)
            i = spaced.find("\0", i + 1)
    if not spaced.isascii():
        odd += [m.start() for m in _NOT_ASCII.finditer(spaced)]
    return _lines_of(spaced, digits), _lines_of(spaced, odd)


def _lines_of(text: str, offsets: list[int]) -> set[int]:
    """The line numbers of OFFSETS in TEXT (the line breaks are counted once over all of them)."""
    out: set[int] = set()
    line, pos = 0, 0
    for i in sorted(offsets):
        line += text.count("\n", pos, i)
        pos = i
        out.add(line)
    return out


def fold_name_lines(joined: str, count: int) -> list[tuple[str, ...]]:
    """Folded words (separators dropped) of each of the COUNT lines of JOINED (clean unit names
    without their kind), as `tokenize` gives them."""
    lines = joined.split("\n")
    if not joined.isascii() and not unicodedata.is_normalized("NFC", joined):
        return [fold_name(n) for n in lines]
    low = joined.lower()
    folded = low if low.isascii() else _fold_same_length(low)
    spaced = folded.translate(_SPACED_LINES)
    if len(folded) != len(joined) or len(low) != len(joined) or len(lines) != count:
        return [fold_name(n) for n in lines]
    words = (spaced.replace(",", " ") if "," in spaced else spaced).split("\n")
    digits, odd = _odd_lines(spaced)
    out = [tuple(line.split()) for line in words]
    for i in digits | odd:
        out[i] = fold_name(lines[i])
    return out


def fold_name(name: str) -> tuple[str, ...]:
    """The folded words of a unit name, separators dropped."""
    return tuple(f for f in tokenize(name).f if f != ",")


def _fold_same_length(low: str) -> str:
    """`low.translate(_FOLD)`, faster: decomposed, every mark dropped. When every character gave one
    ASCII character the result is the translation (`_FOLD` maps exactly the characters whose
    decomposition is one ASCII character and marks); otherwise translate."""
    f = unicodedata.normalize("NFD", low.replace("đ", "d")).encode("ascii", "ignore").decode("ascii")
    return f if len(f) == len(low) else low.translate(_FOLD)


def folded_words(folded: str) -> list[str]:
    """The keys of a folded text, word by word (the general path of `tokenize`)."""
    f: list[str] = []
    for w in _TOKEN.findall(folded):
        if w.isalpha():
            f.append(w)
        else:
            _fix(w, f)
    return f


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
