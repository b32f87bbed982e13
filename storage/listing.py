"""``papershelf list`` at any size: the rows a list shows, read as a stream in pages (a few
statements per thousand papers, never one per paper), so the first line is out before the last
row is read and memory stays flat whatever the library's size. SQLAlchemy Core on plain
columns: no ORM objects, no abstracts, portable to any engine the library runs on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from storage.backend import is_sqlite
from storage.details import PaperDetail, paper_details
from storage.models import Paper, PaperAuthor, PaperTag, Tag
from storage.ops import _filter_papers

PAGE = 1000


@dataclass(frozen=True, slots=True)
class ListRow:
    """One line of ``papershelf list``."""

    id: int
    key: str
    title: str
    first_author: str
    year: int | None
    status: str
    starred: bool
    tags: tuple[str, ...]


def _ordered(query: Any, *, status: str | None, tag: str | None, include_dismissed: bool,
             starred: bool | None) -> Any:
    query = _filter_papers(query, status=status, tag=tag, include_dismissed=include_dismissed,
                           starred=starred)
    return query.order_by(col(Paper.added).desc(), col(Paper.id).desc())


def longest_key(session: Session, *, status: str | None = None, tag: str | None = None,
                include_dismissed: bool = False, starred: bool | None = None) -> int:
    """The length of the longest citation key the list will show (keys are never cut)."""
    query = _filter_papers(select(func.max(func.length(Paper.key))), status=status, tag=tag,
                           include_dismissed=include_dismissed, starred=starred)
    return int(session.exec(query).one() or 0)


def _first_authors(session: Session, ids: Sequence[int]) -> dict[int, str]:
    return {int(pid): name for pid, name in session.exec(
        select(PaperAuthor.paper_id, PaperAuthor.name)
        .where(col(PaperAuthor.paper_id).in_(ids), PaperAuthor.position == 0))}


def _tags(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for pid, name in session.exec(
            select(PaperTag.paper_id, Tag.name).join(Tag, col(Tag.id) == PaperTag.tag_id)
            .where(col(PaperTag.paper_id).in_(ids)).order_by(func.lower(Tag.name))):
        out.setdefault(int(pid), []).append(name)
    return out


def list_rows(session: Session, *, status: str | None = None, tag: str | None = None,
              include_dismissed: bool = False, starred: bool | None = None,
              page: int = PAGE) -> Iterator[list[ListRow]]:
    """The list's rows, newest first, a page at a time (three statements a page)."""
    columns = [col(Paper.id), col(Paper.key), col(Paper.title), col(Paper.year),
               col(Paper.status), col(Paper.starred)]
    query = _ordered(core_select(*columns),
                     status=status, tag=tag, include_dismissed=include_dismissed,
                     starred=starred)
    if not is_sqlite(session):  # a server-side cursor: rows come a page at a time there too
        query = query.execution_options(stream_results=True, max_row_buffer=page)
    result = session.exec(query)
    while True:
        rows = result.fetchmany(page)
        if not rows:
            return
        ids = [int(r[0]) for r in rows]
        authors = _first_authors(session, ids)
        tags = _tags(session, ids)
        yield [ListRow(int(pid), key, title, authors.get(int(pid), ""), year, status_,
                       bool(star), tuple(tags.get(int(pid), ())))
               for pid, key, title, year, status_, star in rows]


def list_details(session: Session, *, status: str | None = None, tag: str | None = None,
                 include_dismissed: bool = False, starred: bool | None = None,
                 page: int = PAGE) -> Iterator[list[PaperDetail]]:
    """The list's papers in full (``list --json``), a page at a time."""
    query = _ordered(select(Paper.id), status=status, tag=tag,
                     include_dismissed=include_dismissed, starred=starred)
    ids = [int(pid) for pid in session.exec(query)]
    for start in range(0, len(ids), page):
        yield paper_details(session, paper_ids=ids[start:start + page])
