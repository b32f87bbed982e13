"""Text folding shared by matching, keys and search: LaTeX and accents folded to plain ASCII
where possible, case folded."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

_LATEX_HINT = re.compile(r"[\\{}$]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_converter = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=False)


# pylatexenc takes about 0.1 ms per macro: fine for a title, minutes for megabytes. Longer text
# (no real title or name is) gets a linear-time strip of commands and braces instead.
_LATEX_MAX = 10_000
_LATEX_STRIP = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}$]")


@lru_cache(maxsize=65536)
def latex_to_unicode(text: str) -> str:
    """``Bostr{\\"o}m`` -> ``Boström``; plain text passes through untouched."""
    if not _LATEX_HINT.search(text):
        return text
    if len(text) > _LATEX_MAX:
        return _LATEX_STRIP.sub("", text)
    try:
        return str(_converter.latex_to_text(text))
    except Exception:  # pylatexenc is lenient, but never let odd input break folding
        return text.replace("{", "").replace("}", "")


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Letters NFKD does not decompose.
    return out.translate(_EXTRA)


_EXTRA = {ord(k): v for k, v in {
    "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae",
    "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "Th"}.items()}


def fold(text: str) -> str:
    """Lower-case, accent-free, LaTeX-free text with single spaces between words."""
    plain = strip_accents(latex_to_unicode(text)).casefold()
    return " ".join(_NON_WORD.sub(" ", plain).split())


def normalise_title(title: str) -> str:
    """The form titles are matched on: folded, no punctuation."""
    return fold(title)


def last_name(author: str) -> str:
    """The family name of ``"Ashish Vaswani"`` or ``"Vaswani, Ashish"`` (folded)."""
    name = author.strip()
    if "," in name:
        family = name.split(",", 1)[0]
    else:
        words = fold(name).split()
        family = words[-1] if words else ""
        return family
    return fold(family)
