"""When two descriptions are the same work: the rules the record merge follows.

A record and a paper are **the same work** when

* they share an identifier (arXiv id, or DOI, also the arXiv DOI ``10.48550/arXiv.<id>``) and
  nothing contradicts it: no other DOI or arXiv id on both sides, years no further apart than a
  preprint takes to be published (:data:`YEAR_GAP`), entry types of one family (an article is
  not a conference paper, a book chapter is not its book), and, for entries that are parts of
  something (chapters, conference papers), not two different titles (a chapter carrying its
  book's DOI), nor two different titles by different first authors (a DOI copied into the
  wrong entry);
* or, with no identifier in common, the normalised title, the authors (family names, in order;
  a list ending in ``others`` agrees with a longer one it starts), the year, the venue and the
  entry type family all agree. Entries without authors never merge on their title alone (a
  manual, a proceedings volume, an editor's column: the title says too little). The one
  exception is a record from a copied Daily Papers page (no authors, no ids) meeting a paper
  that is not a BibTeX entry.

Anything less is a **possible duplicate**: the two are kept apart, and the reason names what
agrees and what does not (``same title, years 2007 and 2008``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from reader.record import split_arxiv_id
from storage.text import fold, last_name

YEAR_GAP = 3  # years a preprint may take to appear in print (same id, years further apart: no)

# Sources whose arXiv id is arXiv's own (never a copied junk ``eprint``).
AUTHORITATIVE_ARXIV = frozenset({"arxiv", "hf"})

Verdict = Literal["same", "possible", "different"]

# Entry types that go together; a type outside every family (misc, online, None, ...) goes
# with any of them.
_FAMILIES = {
    "article": "article", "periodical": "periodical", "suppperiodical": "article",
    "inproceedings": "inproceedings", "conference": "inproceedings",
    "book": "book", "mvbook": "book", "booklet": "book",
    "inbook": "part", "incollection": "part", "inreference": "part", "bookinbook": "part",
    "suppbook": "part", "suppcollection": "part",
    "proceedings": "proceedings", "mvproceedings": "proceedings",
    "collection": "collection", "mvcollection": "collection", "reference": "collection",
    "mvreference": "collection",
    "report": "report", "techreport": "report",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "manual": "manual", "patent": "patent", "dataset": "dataset", "software": "software",
    "standard": "standard", "jurisdiction": "jurisdiction", "legislation": "legislation",
}
_PART_FAMILIES = {"part", "inproceedings"}


def family(entry_type: str | None) -> str | None:
    """The family of an entry type, or ``None`` for a type that fits any (misc, online...)."""
    return _FAMILIES.get((entry_type or "").strip().lower())


def norm_venue(venue: str | None) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(venue or "")))


def norm_pages(pages: str | None) -> str:
    return re.sub(r"[^0-9a-z]+", "-", fold(pages or "")).strip("-")


@dataclass
class Described:
    """What the identity rules look at, of a record or of a paper."""

    title_norm: str
    authors: list[str] = field(default_factory=list)  # display names, in order
    arxiv_id: str | None = None
    doi: str | None = None
    year: int | None = None
    entry_type: str | None = None
    venue: str | None = None
    pages: str | None = None
    source: str | None = None
    volume: str | None = None
    number: str | None = None


def _arxiv_of_doi(doi: str | None) -> str | None:
    split = split_arxiv_id(doi) if doi else None
    return split[0] if split else None


def _real_doi(doi: str | None) -> str | None:
    """A DOI that is not the arXiv DOI of a preprint."""
    return doi.lower() if doi and _arxiv_of_doi(doi) is None else None


def _families_differ(a: str | None, b: str | None) -> bool:
    fa, fb = family(a), family(b)
    return fa is not None and fb is not None and fa != fb


def _authors_agree(a: list[str], b: list[str]) -> bool:
    def names(xs: list[str]) -> tuple[list[str], bool]:
        out = [last_name(x) for x in xs if x.strip().lower() != "others"]
        return out, len(out) < len(xs)

    na, more_a = names(a)
    nb, more_b = names(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    if len(na) < len(nb):
        return more_a and nb[:len(na)] == na
    if len(nb) < len(na):
        return more_b and na[:len(nb)] == nb
    return False


def contradictions(rec: Described, paper: Described, *, by: str) -> list[str]:
    """What says two descriptions sharing an identifier (``by``: ``"arxiv"`` or ``"doi"``)
    are different works."""
    out: list[str] = []
    da, db = _real_doi(rec.doi), _real_doi(paper.doi)
    if da and db and da != db:
        out.append(f"DOIs {rec.doi} and {paper.doi}")
    aa = rec.arxiv_id or _arxiv_of_doi(rec.doi)
    ab = paper.arxiv_id or _arxiv_of_doi(paper.doi)
    if aa and ab and aa != ab:
        out.append(f"arXiv ids {aa} and {ab}")
    # Under one arXiv id, years apart are versions (arXiv's own BibTeX dates 1706.03762 by its
    # latest version, 2023), or a year the user typed: not a sign of another work. A copied
    # junk eprint is caught by the other DOI, title and author checks.
    if by != "arxiv" and rec.year is not None and paper.year is not None \
            and abs(rec.year - paper.year) > YEAR_GAP:
        out.append(_years(rec.year, paper.year))
    if _families_differ(rec.entry_type, paper.entry_type):
        out.append(f"entry types {rec.entry_type} and {paper.entry_type}")
    if by in ("doi", "arxiv") and rec.title_norm != paper.title_norm and rec.authors \
            and paper.authors and last_name(rec.authors[0]) != last_name(paper.authors[0]):
        out.append("titles and first authors differ")
    elif by == "doi" and rec.title_norm != paper.title_norm and (
            family(rec.entry_type) in _PART_FAMILIES or family(paper.entry_type) in _PART_FAMILIES
            or (rec.pages and paper.pages
                and norm_pages(rec.pages) != norm_pages(paper.pages))):
        out.append("titles differ")
    return out


def by_identifier(rec: Described, paper: Described, *, by: str, value: str) -> tuple[Verdict, str]:
    """The verdict on a record and a paper that share ``value`` (an arXiv id or a DOI)."""
    what = f"same arXiv id {value}" if by == "arxiv" else f"same DOI {value}"
    if by == "arxiv" and rec.source in AUTHORITATIVE_ARXIV:
        return "same", what  # arXiv's own record: the id is the paper's, whatever else differs
    against = contradictions(rec, paper, by=by)
    if against:
        return "possible", f"{what}, but {', '.join(against)}"
    return "same", what


def by_title(rec: Described, paper: Described) -> tuple[Verdict, str]:
    """The verdict on a record and a paper with the same normalised title and no identifier in
    common."""
    if not rec.title_norm or rec.title_norm != paper.title_norm:
        return "different", ""
    if not rec.authors or not paper.authors:
        if (not rec.authors and rec.source == "page" and paper.source != "bibtex"
                and not rec.arxiv_id and not rec.doi):
            return "same", "same title (a copied page lists no authors)"
        return "possible", "same title, no authors to compare"
    differ: list[str] = []
    against = contradictions(rec, paper, by="title")
    if against:  # other identifiers: two DOIs, two arXiv ids
        differ += [a for a in against if not a.startswith(("years", "entry types"))]
    if not _authors_agree(rec.authors, paper.authors):
        if last_name(rec.authors[0]) == last_name(paper.authors[0]):
            differ.append("author lists differ")
        else:
            differ.append(f"first authors {rec.authors[0]} and {paper.authors[0]}")
    if rec.year != paper.year:
        differ.append(_years(rec.year, paper.year))
    if family(rec.entry_type) != family(paper.entry_type):
        differ.append(f"entry types {rec.entry_type or 'none'} and {paper.entry_type or 'none'}")
    if norm_venue(rec.venue) != norm_venue(paper.venue):
        differ.append(f"venues {_show(rec.venue)} and {_show(paper.venue)}")
    # An editor's column in several issues, the volumes of one encyclopedia: one title, one
    # year, one venue, but another volume, issue or page range (named when nothing else is).
    if not differ:
        for what, a, b in (("volumes", rec.volume, paper.volume), ("numbers", rec.number,
                           paper.number), ("pages", rec.pages, paper.pages)):
            if a and b and norm_pages(a) != norm_pages(b):
                differ.append(f"{what} {a} and {b}")
    if differ:
        return "possible", "same title, " + ", ".join(differ)
    return "same", "same title, authors, year and venue"


def _years(a: int | None, b: int | None) -> str:
    if a is not None and b is not None:
        a, b = min(a, b), max(a, b)
    return f"years {_show(a)} and {_show(b)}"


def _show(value: object) -> str:
    return "none" if value is None or value == "" else str(value)
