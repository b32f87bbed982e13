"""A paper with everything shown about it (authors, tags, notes), typed and read in bulk: one
query per table for any number of papers. The command line's JSON shapes (docs/json.md) and
its tables are made from these; nothing here knows about JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, func, literal
from sqlalchemy.types import ARRAY
from sqlmodel import Session, col, select

from storage.backend import is_sqlite
from storage.errors import UnknownPaper
from storage.models import Note, Paper, PaperAuthor, PaperTag, Tag


@dataclass(frozen=True)
class NoteDetail:
    id: int
    body: str
    quote: str | None
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class PaperDetail:
    id: int
    key: str
    title: str
    authors: list[str]
    year: int | None
    published: date | None
    arxiv_id: str | None
    doi: str | None
    url: str | None
    status: str
    starred: bool
    rating: int | None
    tags: list[str]
    notes: list[NoteDetail]
    upvotes: int | None
    added: datetime
    abstract: str | None = None
    venue: str | None = None
    entry_type: str | None = None
    arxiv_version: int | None = None
    primary_category: str | None = None
    url_pdf: str | None = None
    url_code: str | None = None
    url_project: str | None = None
    comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    updated: date | None = None
    modified: datetime | None = None
    read_at: datetime | None = None
    source: str = "manual"


def paper_url(paper: Paper) -> str | None:
    """The paper's page: its own link, else arXiv's, else the DOI's."""
    if paper.url_abs:
        return paper.url_abs
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return None


def _ids_in(session: Session, paper_ids: Sequence[int]) -> Any:
    """The ids as one bound parameter, so a query stays one statement for any number of
    papers (an IN list would need one parameter per id): SQLite's json_each, PostgreSQL's
    unnest of an array."""
    ids = [int(i) for i in paper_ids]
    if is_sqlite(session):
        values = func.json_each(json.dumps(ids)).table_valued("value")
        return select(values.c.value)
    return select(func.unnest(literal(ids, ARRAY(BigInteger))))


def paper_details(session: Session, *, paper_ids: Sequence[int]) -> list[PaperDetail]:
    """The papers (in the order of ``paper_ids``) with authors, tags and notes: four queries
    whatever their number. An id the library does not have raises :class:`UnknownPaper`."""
    ids = list(dict.fromkeys(int(i) for i in paper_ids))
    if not ids:
        return []
    wanted = _ids_in(session, ids)
    papers = {p.id: p for p in session.exec(select(Paper).where(col(Paper.id).in_(wanted)))}
    authors: dict[int, list[str]] = {}
    for pid, name in session.exec(
            select(PaperAuthor.paper_id, PaperAuthor.name)
            .where(col(PaperAuthor.paper_id).in_(wanted))
            .order_by(col(PaperAuthor.paper_id), col(PaperAuthor.position))):
        authors.setdefault(pid, []).append(name)
    tags: dict[int, list[str]] = {}
    for pid, name in session.exec(
            select(PaperTag.paper_id, Tag.name).join(Tag, col(Tag.id) == PaperTag.tag_id)
            .where(col(PaperTag.paper_id).in_(wanted)).order_by(func.lower(Tag.name))):
        tags.setdefault(pid, []).append(name)
    notes: dict[int, list[NoteDetail]] = {}
    for note in session.exec(select(Note).where(col(Note.paper_id).in_(wanted))
                             .order_by(col(Note.created), col(Note.id))):
        notes.setdefault(note.paper_id, []).append(NoteDetail(
            id=note.id or 0, body=note.body, quote=note.quote, created=note.created,
            updated=note.updated))
    out = []
    for pid in paper_ids:
        paper = papers.get(int(pid))
        if paper is None:
            raise UnknownPaper(str(pid))
        out.append(_detail(paper, authors.get(int(pid), []), tags.get(int(pid), []),
                           notes.get(int(pid), [])))
    return out


def _detail(paper: Paper, authors: list[str], tags: list[str],
            notes: list[NoteDetail]) -> PaperDetail:
    return PaperDetail(
        id=paper.id or 0, key=paper.key, title=paper.title, authors=authors, year=paper.year,
        published=paper.published, arxiv_id=paper.arxiv_id, doi=paper.doi, url=paper_url(paper),
        status=paper.status, starred=bool(paper.starred), rating=paper.rating, tags=tags,
        notes=notes, upvotes=paper.upvotes, added=paper.added, abstract=paper.abstract,
        venue=paper.venue, entry_type=paper.entry_type, arxiv_version=paper.arxiv_version,
        primary_category=paper.primary_category, url_pdf=paper.url_pdf,
        url_code=paper.url_code, url_project=paper.url_project, comments=paper.comments,
        ai_summary=paper.ai_summary, ai_keywords=list(paper.ai_keywords or []),
        updated=paper.updated, modified=paper.modified, read_at=paper.read_at,
        source=paper.source)


def paper_detail(session: Session, *, paper_id: int) -> PaperDetail:
    """One paper's :class:`PaperDetail`."""
    return paper_details(session, paper_ids=[paper_id])[0]
