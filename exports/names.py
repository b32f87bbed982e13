"""Person names, both ways.

In: a BibTeX ``author`` field (``von Hippel, Eric and Reagle, Jr., Joseph M. and others``) is
split with BibTeX's own rules (bibtexparser's name splitter) into display names in natural
order (``Eric von Hippel``, ``Joseph M. Reagle Jr.``, ``others``). biblatex's extended name format
(``given=Alfred, family=Adler``) is understood too.

Out: display names become ``Last, First`` (``von Last, Jr., First`` where there is a particle or
a suffix); an organisation (``Qwen Team``) is braced so no style splits it; a final ``others``
stays ``others`` (BibTeX's "et al.").
"""

from __future__ import annotations

import re
from functools import lru_cache

from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

from exports.latex import encode_text, to_unicode

OTHERS = "others"

_EXTENDED = re.compile(r"^\s*(?:[a-z\-]+\s*=\s*[^,]*)(?:,\s*[a-z\-]+\s*=\s*[^,]*)+\s*$")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r",")
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "2nd", "3rd"}
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le",
              "dos", "das", "do", "ten", "ter", "zu", "af", "av", "y", "bin", "ibn", "al", "el",
              "st.", "d'", "l'"}
_ORG_WORDS = {
    "team", "group", "consortium", "collaboration", "lab", "labs", "laboratory", "institute",
    "university", "association", "project", "inc", "inc.", "ltd", "ltd.", "corporation",
    "corp", "corp.", "committee", "foundation", "society", "council", "organization",
    "organisation", "agency", "department", "center", "centre", "ai", "initiative",
    "community", "contributors", "authors", "network", "alliance", "company", "deepmind",
    "openai", "google", "microsoft", "anthropic", "nvidia",
}


def _clean(text: str) -> str:
    return " ".join(to_unicode(text).split())


def _display_from_extended(name: str) -> str:
    parts: dict[str, str] = {}
    for item in name.split(","):
        k, _, v = item.partition("=")
        parts[k.strip().lower()] = v.strip()
    words = [parts.get("given", ""), parts.get("prefix", ""), parts.get("family", ""),
             parts.get("suffix", "")]
    return _clean(" ".join(w for w in words if w))


def display_name(name: str) -> str:
    """One BibTeX name as display text in natural order."""
    if name.strip().lower() == OTHERS:
        return OTHERS
    if "," not in name:
        # "First von Last": BibTeX's parts are the words in the order written.
        return _clean(name)
    if _EXTENDED.match(name):
        return _display_from_extended(name)
    pieces = _split_top(name, _COMMA)
    if len(pieces) == 1:  # the commas are all inside braces
        return _clean(name)
    if len(pieces) == 2:  # "von Last, First"
        return _clean(f"{pieces[1]} {pieces[0]}")
    if len(pieces) == 3:  # "von Last, Jr, First"
        return _clean(f"{pieces[2]} {pieces[0]} {pieces[1]}")
    try:
        parts = parse_single_name_into_parts(name, strict=False)
    except (InvalidNameError, ValueError, IndexError):
        return _clean(name)
    words = parts.first + parts.von + parts.last + parts.jr
    return _clean(" ".join(words)) if words else _clean(name)


def split_authors(raw: str) -> list[str]:
    """An ``author``/``editor`` field as display names, in order (``others`` kept last)."""
    if not raw.strip():
        return []
    names = [n for n in _split_top(raw.strip(), _AND) if n.strip()]
    return [n for n in (display_name(x) for x in names) if n]


def _split_top(text: str, sep: re.Pattern[str]) -> list[str]:
    """``text`` split at the matches of ``sep`` outside braces (as BibTeX splits names)."""
    if "{" not in text:
        return sep.split(text)
    out: list[str] = []
    last = 0
    for m in sep.finditer(text):
        if text.count("{", 0, m.start()) == text.count("}", 0, m.start()):
            out.append(text[last:m.start()])
            last = m.end()
    out.append(text[last:])
    return out


def is_organisation(name: str) -> bool:
    """A name no style should split into first and last: a team, a company, a lab."""
    words = name.split()
    if len(words) == 1:
        return False
    lowered = [w.lower().strip(",.()") for w in words]
    if "and" in lowered or "&" in words:
        return True
    return any(w in _ORG_WORDS for w in lowered)


def _split_display(name: str) -> tuple[str, str, str, str]:
    """(first, von, last, jr) of a display name in natural order."""
    words = name.split()
    jr = ""
    if len(words) > 1 and words[-1].lower().rstrip(",") in _SUFFIXES:
        jr = words.pop().rstrip(",")
        if words[-1].endswith(","):
            words[-1] = words[-1].rstrip(",")
    last = words.pop() if words else ""
    von: list[str] = []
    while words and words[-1].lower() in _PARTICLES and words[-1][:1].islower():
        von.insert(0, words.pop())
    return " ".join(words), " ".join(von), last, jr


@lru_cache(maxsize=65536)
def format_name(name: str, *, ascii_only: bool) -> str:
    """A display name as it goes into an ``author`` field."""
    name = " ".join(name.split())
    if name.lower() == OTHERS:
        return OTHERS

    def enc(text: str) -> str:
        return encode_text(text, ascii_only=ascii_only)

    if is_organisation(name):
        return "{" + enc(name) + "}"
    if "," in name:
        pieces = [p.strip() for p in name.split(",")]
        if len(pieces) in (2, 3) and all(pieces):
            return ", ".join(enc(p) for p in pieces)
        return "{" + enc(name) + "}"
    first, von, last, jr = _split_display(name)
    if not first and not von and not jr:
        return enc(last)
    family = f"{von} {last}" if von else last
    out = enc(family)
    if jr:
        out += ", " + enc(jr)
    if first:
        out += ", " + enc(first)
    return out


NAME_FIELDS = ("author", "editor", "translator", "bookauthor", "editora", "editorb", "editorc",
               "afterword", "foreword", "introduction", "annotator", "commentator", "holder")


def _bibtex_from_extended(name: str) -> str:
    """biblatex's ``given=Richard, prefix=von, family=Rabble`` as BibTeX's ``von Rabble,
    Richard`` (options such as ``useprefix`` or ``id`` have no BibTeX form and are dropped)."""
    parts: dict[str, str] = {}
    for item in name.split(","):
        k, _, v = item.partition("=")
        parts[k.strip().lower()] = v.strip()
    family = " ".join(p for p in (parts.get("prefix", ""), parts.get("family", "")) if p)
    pieces = [family or parts.get("given", "")]
    if parts.get("suffix"):
        pieces.append(parts["suffix"])
    if family and parts.get("given"):
        pieces.append(parts["given"])
    return ", ".join(pieces)


def bibtex_name_list(raw: str) -> str | None:
    """A name list (``author``, ``editor``...) that classic BibTeX can parse: names in
    biblatex's extended format rewritten in BibTeX's ``von Last, Jr, First``; ``None`` when the
    list has none (it is written as it is)."""
    if "=" not in raw:
        return None
    names = _split_top(raw.strip(), _AND)
    if not any(_EXTENDED.match(n) for n in names):
        return None
    return " and ".join(_bibtex_from_extended(n) if _EXTENDED.match(n) else n.strip()
                        for n in names)


def format_authors(names: list[str], *, ascii_only: bool) -> str:
    """Display names as an ``author`` field: ``Last, First and Last, First and others``."""
    return " and ".join(format_name(n, ascii_only=ascii_only) for n in names if n.strip())
