"""The documented JSON shapes of ``--json`` (docs/json.md), made in this one module from typed
data. Plain dicts and lists, ready for ``json.dumps``; no command-line code here, so the app
(or a script) can produce the same shapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from storage.details import NoteDetail, PaperDetail


def iso(value: date | datetime | None) -> str | None:
    """Dates as ``YYYY-MM-DD``; times (stored in UTC) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def note_json(note: NoteDetail) -> dict[str, Any]:
    return {"id": note.id, "body": note.body, "quote": note.quote,
            "created": iso(note.created), "updated": iso(note.updated), "author": note.author}


def paper_json(paper: PaperDetail) -> dict[str, Any]:
    """A paper: the fields of the design card first, then the others."""
    return {
        "id": paper.id,
        "key": paper.key,
        "title": paper.title,
        "authors": list(paper.authors),
        "year": paper.year,
        "published": iso(paper.published),
        "arxiv_id": paper.arxiv_id,
        "doi": paper.doi,
        "url": paper.url,
        "status": paper.status,
        "starred": paper.starred,
        "rating": paper.rating,
        "tags": list(paper.tags),
        "notes": [note_json(n) for n in paper.notes],
        "upvotes": paper.upvotes,
        "added": iso(paper.added),
        "abstract": paper.abstract,
        "venue": paper.venue,
        "entry_type": paper.entry_type,
        "arxiv_version": paper.arxiv_version,
        "primary_category": paper.primary_category,
        "url_pdf": paper.url_pdf,
        "url_code": paper.url_code,
        "url_project": paper.url_project,
        "comments": paper.comments,
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
        "updated": iso(paper.updated),
        "modified": iso(paper.modified),
        "read_at": iso(paper.read_at),
        "source": paper.source,
    }


def papers_json(papers: Sequence[PaperDetail]) -> list[dict[str, Any]]:
    return [paper_json(p) for p in papers]


def search_hit_json(paper: PaperDetail, *, score: float, matched: Sequence[str],
                    relaxed: bool = False) -> dict[str, Any]:
    """A search result: the paper plus ``score``, ``matched`` and ``relaxed``."""
    return {**paper_json(paper), "score": score, "matched": list(matched), "relaxed": relaxed}


def feed_entry_json(paper: PaperDetail, *, source: str, day: date, rank: int,
                    upvotes: int | None) -> dict[str, Any]:
    """A paper of a day's feed: the paper plus ``feed``."""
    return {**paper_json(paper), "feed": {"source": source, "day": day.isoformat(),
                                          "rank": rank, "upvotes": upvotes}}


def tag_counts_json(counts: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"name": name, "count": count} for name, count in counts]


def add_result_json(identifier: str, outcome: str, *, error: str | None,
                    paper: PaperDetail | None) -> dict[str, Any]:
    """One identifier of ``add ID... --json``."""
    return {"identifier": identifier, "outcome": outcome, "error": error,
            "paper": paper_json(paper) if paper is not None else None}
