"""Vietnamese text: accent-insensitive folding for search and the dictionary order for sorting names.

Dictionary order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, each letter with its tones in
the order ngang, huyền, hỏi, ngã, sắc, nặng; letters decide first, tones only break ties.
"""

from __future__ import annotations

import unicodedata

_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_TONES = {_GRAVE: 1, _HOOK: 2, _TILDE: 3, _ACUTE: 4, _DOT: 5}
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_ALPHABET = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "ô",
             "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z"]
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}


def fold(text: str) -> str:
    """Lower case without diacritics: "Thượng Thanh" and "thuong thanh" fold to the same string."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())


def _letters_and_tones(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _TONES:
            tones.append(_TONES[ch])
            continue
        if ch in (_BREVE, _CIRCUMFLEX, _HORN) and letters:
            base = _ALPHABET[letters[-1]] if letters[-1] < len(_ALPHABET) else ""
            combined = unicodedata.normalize("NFC", base + ch)
            if combined in _RANK:
                letters[-1] = _RANK[combined]
            continue
        if unicodedata.combining(ch):
            continue
        letters.append(_RANK.get(ch, len(_ALPHABET) + ord(ch)))
    # words without a tone mark sort first (ngang = 0)
    return tuple(letters), tuple(tones) or (0,)


def word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return _letters_and_tones(word)


def phrase_key(text: str) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """Letters of every word first, then tones: "Ánh" < "Anh Bảo" is decided by letters, not tones."""
    keys = [_letters_and_tones(w) for w in text.split()]
    return tuple(k[0] for k in keys), tuple(k[1] for k in keys)


def person_sort_key(full_name: str) -> tuple[object, ...]:
    """Vietnamese order of personal names: given name (the last word), then middle names, then family name."""
    words = full_name.split()
    if not words:
        return ((), (), ())
    given, family = words[-1], words[0] if len(words) > 1 else ""
    middle = " ".join(words[1:-1])
    return (word_key(given), phrase_key(middle), phrase_key(family))
