"""The search query language.

A query is free words, ``"exact phrases"`` and qualifiers, separated by spaces; a leading ``-``
negates any of them::

    attention is all                  every word must match somewhere (fuzzily)
    "exact phrase"                    these words, in this order
    tag:llm  -tag:read                tags (case-insensitive; quote names with spaces)
    author:hinton                     an author's name (words, prefixes allowed)
    status:queued  status:read,reading
    year:2024  year:2020..2023  year:2020..  year:..2019
    is:starred  -is:starred
    day:2024-06-16  day:2024-06-01..2024-06-16     in a source's feed that day
    source:hf  source:arxiv                        where it came from
    arxiv:1706.03762                               the arXiv id (any version)

A word like ``name:value`` whose name is no qualifier is plain text (``LoRA:``,
``StateFlow:Building`` from a pasted title, a URL); a lower-case near miss of a qualifier's name
with a value that qualifier accepts (``yaer:2024``, ``tga:llm``) is an error that names it.

:func:`parse` turns the text into a :class:`Query`, or raises :class:`BadInput` with one line
naming the part it cannot use. It never touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from reader.errors import BadInput
from reader.record import split_arxiv_id
from storage.migrations import V2_LATEX, V2_LETTERS
from storage.models import STATUSES
from storage.text import strip_accents

QUALIFIERS = ("tag", "author", "status", "year", "is", "day", "source", "arxiv")
IS_VALUES = ("starred",)
YEAR_MIN, YEAR_MAX = 1000, 2999

# How the search index folds LaTeX accents and letters Unicode does not decompose, in order
# (storage/migrations.py, schema 2): a query's words are folded the same way.
LATEX_REPLACEMENTS = V2_LATEX
LETTER_REPLACEMENTS = V2_LETTERS

_WORD = re.compile(r"[^\W_]+")
_QUALIFIER = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_SOURCE_OK = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_MAX_QUERY = 2000
T = TypeVar("T", int, date)


def index_words(text: str) -> list[str]:
    """The words the search index holds for ``text``: LaTeX accents and special letters
    replaced as the index's SQL does, then accents stripped, case folded, split on anything that
    is not a letter or digit (``Bostr{\\"o}m``, ``Boström`` and ``Bostrom`` all give
    ``bostrom``)."""
    for old, new in LATEX_REPLACEMENTS:
        text = text.replace(old, new)
    for old, new in LETTER_REPLACEMENTS:
        text = text.replace(old, new)
    return _WORD.findall(strip_accents(text).casefold())


@dataclass(frozen=True)
class Words:
    """Free text: one word as typed (fuzzy, may be a prefix), or quoted text (``exact``: these
    words exactly, in this order)."""

    text: str
    words: tuple[str, ...]
    exact: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Qualifier:
    name: str
    value: object
    negated: bool = False
    text: str = ""


@dataclass
class Query:
    text: str
    terms: list[Words] = field(default_factory=list)
    qualifiers: list[Qualifier] = field(default_factory=list)
    # The query ends inside a word (no trailing space): its last word may be a prefix in progress.
    typing: bool = True

    @property
    def positive(self) -> list[Words]:
        return [t for t in self.terms if not t.negated]

    @property
    def negative(self) -> list[Words]:
        return [t for t in self.terms if t.negated]

    def wants_dismissed(self) -> bool:
        """Whether a positive ``status:`` qualifier asks for dismissed papers."""
        return any(q.name == "status" and not q.negated and "dismissed" in q.value  # type: ignore[operator]
                   for q in self.qualifiers)

    def has_status(self) -> bool:
        return any(q.name == "status" and not q.negated for q in self.qualifiers)


def _split(text: str) -> list[str]:
    """Split on whitespace, keeping double-quoted parts together (``tag:"to read"``,
    ``-"exact phrase"``). An unclosed quote runs to the end (the user is still typing)."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch.isspace() and not quoted:
            if buf:
                parts.append("".join(buf))
                buf = []
        else:
            buf.append(ch)
    if buf:
        parts.append("".join(buf))
    return parts


def _unquote(value: str) -> str:
    return value.replace('"', "").strip()


def _year(value: str, part: str) -> int:
    if not value.isdigit() or not YEAR_MIN <= int(value) <= YEAR_MAX:
        raise BadInput(f"bad year {value!r} in {part!r}: use year:2024, year:2020..2023, "
                       "year:2020.. or year:..2019")
    return int(value)


def _day(value: str, part: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"bad day {value!r} in {part!r}: use day:2024-06-16 or "
                       "day:2024-06-01..2024-06-16") from None


def _range(value: str, part: str, convert: Callable[[str, str], T]) -> tuple[T | None, T | None]:
    if ".." in value:
        lo_text, _, hi_text = value.partition("..")
        if not lo_text and not hi_text:
            convert("..", part)  # raises with the usage line
        lo = convert(lo_text, part) if lo_text else None
        hi = convert(hi_text, part) if hi_text else None
        if lo is not None and hi is not None and lo > hi:
            raise BadInput(f"empty range in {part!r}: {lo_text} is after {hi_text}")
        return (lo, hi)
    one = convert(value, part)
    return (one, one)


def _qualifier(name: str, raw: str, negated: bool, part: str) -> Qualifier:
    value = _unquote(raw)
    if not value:
        raise BadInput(f"{part!r} needs a value, like {name}:{_EXAMPLES[name]}")
    parsed: object
    if name == "tag":
        parsed = " ".join(value.split()).lower()
    elif name == "author":
        words = index_words(value)
        if not words:
            raise BadInput(f"{part!r} needs a name, like author:hinton")
        parsed = tuple(words)
    elif name == "status":
        wanted = tuple(v.strip().lower() for v in value.split(",") if v.strip())
        bad = [v for v in wanted if v not in STATUSES]
        if bad or not wanted:
            raise BadInput(f"unknown status {bad[0] if bad else value!r} in {part!r} "
                           f"(use one of: {', '.join(STATUSES)})")
        parsed = wanted
    elif name == "year":
        parsed = _range(value, part, _year)
    elif name == "day":
        parsed = _range(value, part, _day)
    elif name == "is":
        if value.lower() not in IS_VALUES:
            raise BadInput(f"unknown {part!r} (use is:starred, or -is:starred for the others)")
        parsed = value.lower()
    elif name == "source":
        wanted = tuple(v.strip().lower() for v in value.split(",") if v.strip())
        bad = [v for v in wanted if not _SOURCE_OK.match(v)]
        if bad or not wanted:
            raise BadInput(f"bad source {value!r} in {part!r}: use a source name like "
                           "source:hf or source:arxiv")
        parsed = wanted
    elif name == "arxiv":
        split = split_arxiv_id(value)
        if split is None:
            raise BadInput(f"{value!r} in {part!r} is not an arXiv id (like 1706.03762)")
        parsed = split[0]
    else:  # pragma: no cover - callers check the name first
        raise AssertionError(name)
    return Qualifier(name, parsed, negated, part)


def _near_qualifier(name: str, raw: str, negated: bool, part: str) -> str | None:
    """The qualifier ``name:`` was probably meant to be (``yaer:2024``, ``tga:llm``,
    ``tags:llm``), or None. Only a name typed in lower case, one slip away from a qualifier
    (two for the long names), with a value that qualifier accepts: ``StateFlow:Building`` and
    ``Bag:of`` from a pasted title stay words."""
    if not name.islower() or not raw or len(name) < 2:
        return None
    for q in QUALIFIERS:
        if len(q) < 3:  # is: is one letter away from too many words (as:, it:, in:)
            continue
        if _distance(name, q) <= (1 if len(q) <= 4 else 2):
            try:
                _qualifier(q, raw, negated, part)
            except BadInput:
                continue
            return q
    return None


def _distance(a: str, b: str) -> int:
    """Edit distance with adjacent swaps (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


_EXAMPLES = {"tag": "llm", "author": "hinton", "status": "queued", "year": "2024",
             "is": "starred", "day": "2024-06-16", "source": "hf", "arxiv": "1706.03762"}


def parse(text: str) -> Query:
    """Parse a search query. Raises :class:`BadInput` naming the bad part."""
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if len(text) > _MAX_QUERY:
        raise BadInput(f"query too long ({len(text)} characters; at most {_MAX_QUERY})")
    query = Query(text=text, typing=bool(text) and not text[-1].isspace())
    for part in _split(text):
        bad = next((c for c in part if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:  # what undecodable bytes on a command line become
            raise BadInput(f"{part!r} is not valid UTF-8 text (the character {bad!r})")
        negated = part.startswith("-") and len(part) > 1
        body = part[1:] if negated else part
        if body.startswith('"'):
            words = tuple(index_words(_unquote(body)))
            if words:
                query.terms.append(Words(body, words, exact=True, negated=negated))
            continue
        match = _QUALIFIER.match(body)
        if match:
            name, raw = match.group(1).lower(), match.group(2)
            if name in QUALIFIERS:
                query.qualifiers.append(_qualifier(name, raw, negated, part))
                continue
            meant = _near_qualifier(match.group(1), raw, negated, part)
            if meant:
                raise BadInput(f"unknown qualifier {match.group(1) + ':'!r} in {part!r}: "
                               f"did you mean {meant}:?")
            # Not a qualifier: "LoRA:" or "StateFlow:Building" from a title, a URL, a slip of
            # the fingers (Tool-Us:e): plain words.
        words = tuple(index_words(body))
        if negated and len(words) > 1:
            # -pre-training excludes the phrase, not every paper with "pre" or "training".
            query.terms.append(Words(body, words, exact=True, negated=True))
            continue
        for word in words:
            query.terms.append(Words(word, (word,), negated=negated))
    return query
