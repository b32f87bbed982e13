"""Citation keys in Google Scholar's style: first author's family name, year, first significant
title word, ASCII lower case (``vaswani2017attention``). A clash gets ``a``, ``b``, ... appended.
A key is given once, when a paper enters the library, and changes only when the user renames it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from storage.text import fold, last_name

STOPWORDS = frozenset(
    ["a", "an", "the", "on", "of", "in", "for", "to", "and", "or", "with", "without", "from", "by", "at", "as", "is", "are", "be", "its", "into", "via", "toward", "towards", "about", "over", "under", "through", "using", "use", "we", "do", "does", "can", "how", "what", "why", "when", "which", "your", "you", "our", "not", "no"]
)
_KEY_OK = re.compile(r"^[A-Za-z0-9_:\-.+/]+$")


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text).encode("ascii", "ignore").decode())


def base_key(authors: Iterable[str], year: int | None, title: str) -> str:
    """The key a paper would get if nothing clashed."""
    first = next(iter(authors), "")
    family_words = last_name(first).split() if first else []
    author = _ascii_word(family_words[-1]) if family_words else ""
    word = ""
    for candidate in fold(title).split():
        ascii_candidate = _ascii_word(candidate)
        if ascii_candidate and candidate not in STOPWORDS and not ascii_candidate.isdigit():
            word = ascii_candidate
            break
    key = f"{author or 'anon'}{year or ''}{word}"
    return key


def unique_key(base: str, taken: Callable[[str], bool]) -> str:
    """``base`` if free, else ``base`` + ``a``, ``b``, ... ``z``, ``aa``, ``ab`` ..."""
    if not taken(base):
        return base
    n = 0
    while True:
        suffix = ""
        k = n
        while True:
            suffix = chr(ord("a") + k % 26) + suffix
            k = k // 26 - 1
            if k < 0:
                break
        if not taken(base + suffix):
            return base + suffix
        n += 1


def check_key(key: str) -> str | None:
    """Why ``key`` cannot be a BibTeX citation key, or ``None`` when it can."""
    if not key:
        return "a key cannot be empty"
    if not _KEY_OK.match(key):
        return f"key {key!r} may only use ASCII letters, digits and _ : - . + /"
    return None
