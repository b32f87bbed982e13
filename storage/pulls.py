"""What pulling needs from the library: merge one day's feed in one undoable step, keep the
pull log, read a day's feed back, and find the papers that still lack ids.

A pull never touches the user's fields: new papers come in as ``inbox``; a paper already in the
library (``queued``, ``read``, ``dismissed``, ...) keeps its status, tags, notes, key and rating
(see :func:`storage.ops.merge_record`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from reader.record import FeedItem, PaperRecord
from storage import ops
from storage.db import Library, utcnow
from storage.models import FeedEntry, Paper, PaperAuthor, PullLog


@dataclass
class Counts:
    """How many papers a pull (or an import) brought in, refreshed, left alone, or failed on."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    keys: list[str] = field(default_factory=list)  # citation keys of the new papers

    def count(self, outcome: str, key: str | None = None) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome == "new" and key:
            self.keys.append(key)

    def add(self, other: Counts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.keys.extend(other.keys)

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged

    def summary(self) -> str:
        return (f"new {self.new}, updated {self.updated}, unchanged {self.unchanged}, "
                f"failed {self.failed}")


def _distinct(items: Iterable[FeedItem]) -> list[FeedItem]:
    seen: set[str] = set()
    out = []
    for item in items:
        ident = item.record.arxiv_id or item.record.doi or " ".join(
            item.record.title.split()).casefold()
        if ident not in seen:
            seen.add(ident)
            out.append(item)
    return out


def merge_feed_day(
    lib: Library, *, source: str, day: date, items: Sequence[FeedItem],
    description: str | None = None,
) -> Counts:
    """Merge one day's feed in ONE undoable transaction: each paper merged (new ones as
    ``inbox``) and its feed entry (rank, upvotes) recorded for ``day``. A repeated paper
    within ``items`` is merged once."""
    counts = Counts()
    with lib.action(description or f"pull {source} {day.isoformat()}") as session:
        for item in _distinct(items):
            result = ops.merge_record(session, record=item.record, status="inbox")
            ops.record_feed(session, paper=result.paper, source=source, day=day,
                            rank=item.rank, upvotes=item.upvotes)
            counts.count(result.outcome, result.paper.key)
    return counts


def start_pull(lib: Library, *, source: str, params: Mapping[str, object]) -> int:
    """A pull_log row for a pull that is starting (not undoable bookkeeping)."""
    with lib.write() as session:
        row = PullLog(source=source, params=json.dumps(dict(params), sort_keys=True,
                                                       default=str), started=utcnow())
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def finish_pull(lib: Library, pull_id: int, *, counts: Counts, errors: Sequence[str]) -> None:
    with lib.write() as session:
        row = session.get(PullLog, pull_id)
        if row is None:
            return
        row.finished = utcnow()
        row.new, row.updated, row.unchanged, row.failed = (
            counts.new, counts.updated, counts.unchanged, counts.failed)
        row.errors = list(errors)
        session.add(row)


def pull_history(session: Session, *, limit: int = 20) -> list[PullLog]:
    return list(session.exec(select(PullLog).order_by(col(PullLog.id).desc()).limit(limit)).all())


def day_feed(session: Session, *, day: date, source: str | None = None
             ) -> list[tuple[FeedEntry, Paper]]:
    """What the feed held on ``day``: most upvoted first, then by rank."""
    query = select(FeedEntry, Paper).join(Paper, col(Paper.id) == FeedEntry.paper_id).where(
        FeedEntry.day == day)
    if source:
        query = query.where(FeedEntry.source == source)
    rows = session.exec(query).all()
    return sorted(((e, p) for e, p in rows),
                  key=lambda row: (row[0].upvotes is None, -(row[0].upvotes or 0),
                                   row[0].source, row[0].rank))


def title_only_papers(session: Session, *, refs: Sequence[str] = ()) -> list[Paper]:
    """Papers with neither an arXiv id, nor a DOI, nor authors (from a copied page), or the
    papers named by ``refs`` (keys or ids), oldest first."""
    if refs:
        return [ops.find_paper(session, ref=r) for r in refs]
    has_authors = select(PaperAuthor.paper_id)
    query = select(Paper).where(col(Paper.arxiv_id).is_(None), col(Paper.doi).is_(None),
                                col(Paper.id).not_in(has_authors)).order_by(col(Paper.id))
    return list(session.exec(query).all())


@dataclass
class Resolution:
    paper: Paper
    outcome: str  # "resolved", "duplicate"
    other: Paper | None = None  # the paper that already has these ids (duplicate)


def resolve_paper(session: Session, *, paper: Paper, record: PaperRecord) -> Resolution:
    """Fill ``paper`` (a title-only paper) from ``record`` (found by an exact title match).

    When another paper already has the record's arXiv id or DOI, nothing is changed and that
    paper is reported instead (the two are left for the user to reconcile).
    """
    match = ops.find_match(session, record=record)
    if match is not None and match.id != paper.id:
        return Resolution(paper, "duplicate", match)
    ops.refresh_paper(session, paper=paper, record=record)
    return Resolution(paper, "resolved")
