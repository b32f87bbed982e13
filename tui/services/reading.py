"""Reading the library for display: the papers of a list, a search, a day's feed, one paper,
as typed :class:`~storage.details.PaperDetail` read in bulk (a constant number of queries)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from storage import listing, ops, pulls
from storage.db import Library
from storage.details import PaperDetail, paper_details
from storage.listing import ListRow
from storage.search import search as search_library
from storage.search import search_papers


def list_papers(lib: Library, *, status: str | None = None, tag: str | None = None,
                starred: bool | None = None, include_dismissed: bool = False
                ) -> list[PaperDetail]:
    """The papers ``papershelf list`` shows, newest first (dismissed ones only when asked)."""
    with lib.read() as session:
        keys = ops.list_paper_keys(session, status=status, tag=tag, starred=starred,
                                   include_dismissed=include_dismissed)
        return paper_details(session, paper_ids=[pid for pid, _key in keys])


@dataclass(frozen=True)
class ListFilter:
    """Which papers ``papershelf list`` shows."""

    status: str | None = None
    tag: str | None = None
    starred: bool | None = None
    include_dismissed: bool = False

    def _kw(self) -> dict[str, object]:
        return {"status": self.status, "tag": self.tag, "starred": self.starred,
                "include_dismissed": self.include_dismissed}


def list_key_width(lib: Library, which: ListFilter) -> int:
    """How wide the key column must be (keys are never cut)."""
    with lib.read() as session:
        return listing.longest_key(session, **which._kw())  # type: ignore[arg-type]


def list_rows(lib: Library, which: ListFilter) -> Iterator[list[ListRow]]:
    """The list's rows a page at a time, read while they are shown (flat memory at any size)."""
    with lib.read() as session:
        yield from listing.list_rows(session, **which._kw())  # type: ignore[arg-type]


def list_details(lib: Library, which: ListFilter) -> Iterator[list[PaperDetail]]:
    """The list's papers in full (``list --json``), a page at a time."""
    with lib.read() as session:
        yield from listing.list_details(session, **which._kw())  # type: ignore[arg-type]


def paper(lib: Library, ref: str) -> PaperDetail:
    """One paper by citation key or numeric id (:class:`UnknownPaper` when there is none)."""
    with lib.read() as session:
        return paper_details(session, paper_ids=[ops.find_paper(session, ref=ref).id or 0])[0]


@dataclass(frozen=True)
class Found:
    paper: PaperDetail
    score: float
    matched: list[str]


def search(lib: Library, query: str, *, limit: int | None = 50,
           include_dismissed: bool = False) -> list[Found]:
    """A search's papers, best first (the query language of :mod:`storage.query`)."""
    with lib.read() as session:
        hits = search_papers(session, query=query, limit=limit,
                             include_dismissed=include_dismissed)
        details = paper_details(session, paper_ids=[h.paper_id for h in hits])
    return [Found(d, h.score, list(h.matched)) for d, h in zip(details, hits, strict=True)]


@dataclass(frozen=True)
class Answer:
    """What ``papershelf search`` found: the papers, and whether they are only the closest
    (``relaxed``: no paper had every word; see :class:`storage.search.SearchResult`)."""

    found: list[Found]
    relaxed: bool


def find(lib: Library, query: str, *, limit: int | None = 50,
         include_dismissed: bool = False) -> Answer:
    """A search as a person types it: the strict tiers first, then (nothing having every
    word) the closest papers by the looser tier, flagged ``relaxed``."""
    with lib.read() as session:
        result = search_library(session, query=query, limit=limit,
                                include_dismissed=include_dismissed)
        details = paper_details(session, paper_ids=[h.paper_id for h in result.hits])
    return Answer([Found(d, h.score, list(h.matched))
                   for d, h in zip(details, result.hits, strict=True)], result.relaxed)


@dataclass(frozen=True)
class FeedRow:
    paper: PaperDetail
    source: str
    day: date
    rank: int
    upvotes: int | None


def day_feed(lib: Library, day: date, *, source: str | None = None) -> list[FeedRow]:
    """What a day's feed held, most upvoted first, with each paper as it is now."""
    with lib.read() as session:
        rows = pulls.day_feed(session, day=day, source=source)
        details = paper_details(session, paper_ids=[p.id or 0 for _e, p in rows])
        return [FeedRow(d, e.source, e.day, e.rank, e.upvotes)
                for d, (e, _p) in zip(details, rows, strict=True)]
