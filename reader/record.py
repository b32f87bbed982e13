"""Source-neutral paper records: what every reader (and the BibTeX import) produces.

A :class:`PaperRecord` is plain data. ``storage`` merges it into the library; ``exports``
turns BibTeX into records and back. Nothing here knows where a record came from except the
``source`` label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

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

    def __post_init__(self) -> None:
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
