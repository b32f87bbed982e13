"""Source-neutral paper records: what every reader (and the BibTeX import) produces.

A :class:`PaperRecord` is plain data. ``storage`` merges it into the library; ``exports``
turns BibTeX into records and back. Nothing here knows where a record came from except the
``source`` label.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

# New-style arXiv ids (0704.0001 .. 2612.99999) and old-style ones (astro-ph/0601001, math.GT/0309136).
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
# ASCII digits only (\d would take any script's digits); versions up to 999.
ARXIV_ID_RE = re.compile(rf"^(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d{{1,3}}))?$",
                         re.IGNORECASE | re.ASCII)
ARXIV_DOI_RE = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)


def split_arxiv_id(value: str) -> tuple[str, int | None] | None:
    """``"2106.09685v2"`` -> ``("2106.09685", 2)``; ``None`` when it is not an arXiv id.

    Also accepts the arXiv DOI form ``10.48550/arXiv.2106.09685`` and an ``arXiv:`` prefix.
    """
    text = value.strip()
    doi = ARXIV_DOI_RE.match(text)
    if doi:
        text = doi.group("id")
    if text.lower().startswith("arxiv:"):
        text = text[6:]
    m = ARXIV_ID_RE.match(text)
    if not m:
        return None
    ident = m.group("id")
    if "/" in ident:
        archive, number = ident.split("/", 1)
        ident = f"{archive.lower()}/{number}"
    version = int(m.group("version")) if m.group("version") else None
    return ident, version


def normalise_doi(value: str | None) -> str | None:
    """Lower-cased DOI without a resolver prefix, or ``None``."""
    if not value:
        return None
    text = value.strip()
    stripped = True
    while stripped:  # until none is left, so that normalising twice changes nothing
        stripped = False
        for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                       "http://dx.doi.org/", "doi:"):
            if text.lower().startswith(prefix):
                text = text[len(prefix):].strip()
                stripped = True
    text = text.strip().lower()
    return text or None


MAX_INT = 2**63 - 1  # SQLite's largest integer
# What a remote source may put in one field; more is cut (text) or dropped (links, ids).
FIELD_LIMITS = {
    "title": 2_000, "abstract": 200_000, "ai_summary": 20_000, "venue": 1_000,
    "journal_ref": 1_000, "primary_category": 100, "doi": 300, "url_abs": 2_048,
    "url_pdf": 2_048, "url_code": 2_048, "url_project": 2_048,
}
AUTHOR_LIMIT = 1_000  # characters in one author's name
AUTHORS_LIMIT = 5_000  # authors of one paper (the largest real collaborations have ~3,000)
LIST_LIMIT = 200  # categories, AI keywords
ITEM_LIMIT = 200  # characters in one category or keyword
_DROP_WHEN_LONG = {"doi", "url_abs", "url_pdf", "url_code", "url_project", "primary_category"}


def bounded_int(value: Any, what: str, warnings: list[str]) -> int | None:
    """A whole number from 0 to 2^63 - 1, else ``None`` with a warning (never an error: one
    odd number must not cost the paper, let alone the day)."""
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append(f"{what} {value!r} is not a number; stored without it")
        return None
    if isinstance(value, float):
        if math.isinf(value):
            warnings.append(f"{what} {value!r} is out of range (0 to {MAX_INT}); stored "
                            f"without it")
            return None
        if not value.is_integer():
            warnings.append(f"{what} {value!r} is not a whole number; stored without it")
            return None
        value = int(value)
    if not isinstance(value, int):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        warnings.append(f"{what} {shown} is not a number; stored without it")
        return None
    if not 0 <= value <= MAX_INT:
        shown = str(value) if len(str(value)) <= 30 else f"{str(value)[:20]}... " \
            f"({len(str(value))} digits)"
        warnings.append(f"{what} {shown} is out of range (0 to {MAX_INT}); stored without it")
        return None
    return value


def bound_record(record: PaperRecord) -> list[str]:
    """Cut what a remote source sent down to :data:`FIELD_LIMITS`, in place; one warning per
    field cut or dropped."""
    warnings: list[str] = []
    for name, limit in FIELD_LIMITS.items():
        value = getattr(record, name)
        if isinstance(value, str) and len(value) > limit:
            if name in _DROP_WHEN_LONG:
                warnings.append(f"{name} is {len(value)} characters long (at most {limit}); "
                                f"stored without it")
                setattr(record, name, None)
            else:
                warnings.append(f"{name} cut from {len(value)} to {limit} characters")
                setattr(record, name, value[:limit - 1] + "\u2026")
    if len(record.authors) > AUTHORS_LIMIT:
        warnings.append(f"{len(record.authors)} authors: kept the first {AUTHORS_LIMIT}")
        record.authors = record.authors[:AUTHORS_LIMIT]
    if any(len(a) > AUTHOR_LIMIT for a in record.authors):
        warnings.append(f"author names cut to {AUTHOR_LIMIT} characters")
        record.authors = [a[:AUTHOR_LIMIT] for a in record.authors]
    for name in ("categories", "ai_keywords"):
        items = getattr(record, name)
        kept = [i for i in items if len(i) <= ITEM_LIMIT][:LIST_LIMIT]
        if len(kept) != len(items):
            warnings.append(f"{name}: kept {len(kept)} of {len(items)} (at most {LIST_LIMIT}, "
                            f"each at most {ITEM_LIMIT} characters)")
            setattr(record, name, kept)
    for name in ("upvotes", "comments"):
        setattr(record, name, bounded_int(getattr(record, name), name, warnings))
    record.warnings.extend(warnings)
    return warnings


_log = logging.getLogger("papershelf.reader")


_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e"
                                "\u2066-\u2069]")


def warn(message: str) -> None:
    """Say what a reader had to cut or drop. With no logging set up (the command line), Python
    prints it on stderr; the app or a caller may add its own handler. The message quotes
    source text (a title), so terminal controls in it are shown as ``<U+001B>``, never sent."""
    shown = _TERMINAL_CONTROLS.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", message)
    _log.warning("papershelf: warning: %s", shown)


def _no_nul(value: Any) -> Any:
    """``value`` with every NUL character taken out (strings, lists and dicts of strings)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    return value


def collapse_ws(value: str | None) -> str | None:
    """Collapse runs of whitespace (arXiv line wrapping) into single spaces."""
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


@dataclass
class PaperRecord:
    """One paper as a source describes it. Only ``title`` is required."""

    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str | None = None
    arxiv_id: str | None = None  # versionless, e.g. "1706.03762" or "astro-ph/0601001"
    arxiv_version: int | None = None
    doi: str | None = None  # lower-cased, no resolver prefix
    published: date | None = None  # first public date (arXiv v1, or publication)
    updated: date | None = None
    year: int | None = None
    venue: str | None = None  # journal or booktitle
    entry_type: str | None = None  # BibTeX entry type: article, inproceedings, misc, ...
    primary_category: str | None = None
    categories: list[str] = field(default_factory=list)
    journal_ref: str | None = None
    url_abs: str | None = None
    url_pdf: str | None = None
    url_code: str | None = None
    url_project: str | None = None
    upvotes: int | None = None
    comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    source: str = "manual"  # hf, arxiv, doi, bibtex, page, manual
    key: str | None = None  # the citation key the record comes with (imported BibTeX), if any
    # BibTeX fields with no column of their own, kept verbatim so a re-export loses nothing.
    extra_fields: dict[str, str] = field(default_factory=dict)
    # What was cut or dropped on the way in (see bound_record), for the reader to report.
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        # A NUL never enters the library: SQLite text and BibTeX files cannot hold one safely.
        for f in fields(self):
            if f.name != "warnings":
                value = getattr(self, f.name)
                if isinstance(value, str | list | dict):
                    setattr(self, f.name, _no_nul(value))
        self.title = collapse_ws(self.title) or ""
        self.authors = [a for a in (collapse_ws(x) for x in self.authors) if a]
        if self.arxiv_id:
            split = split_arxiv_id(self.arxiv_id)
            if split:
                self.arxiv_id, version = split
                if self.arxiv_version is None:
                    self.arxiv_version = version
        self.doi = normalise_doi(self.doi)
        if self.doi and not self.arxiv_id:
            m = ARXIV_DOI_RE.match(self.doi)
            if m:
                split = split_arxiv_id(m.group("id"))
                if split:
                    self.arxiv_id = split[0]
        if self.year is None and self.published is not None:
            self.year = self.published.year


@dataclass
class FeedItem:
    """A record as it appeared in a day's feed (Daily Papers or an arXiv listing)."""

    record: PaperRecord
    source: str  # "hf" or "arxiv"
    day: date
    rank: int
    upvotes: int | None = None
