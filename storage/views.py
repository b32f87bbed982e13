"""What the app shows, read cheaply: the views of the sidebar (Inbox, Queued, ..., each tag, each
pulled day) with their counts, a view's paper ids in order, the row data of a slice of ids (the
list reads only the rows on screen), which papers "dismiss the rest of this day" would take
(the write itself, like every write, is in :mod:`storage.ops`), the stats,
and a watcher that notices changes made by other processes.

Everything here is plain SQL over the schema of :mod:`storage.migrations`; a view of 100,000
papers costs one indexed query for its ids and one small query per screenful of rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session

from reader.errors import BadInput
from storage import ops
from storage.backend import is_sqlite
from storage.db import Library, utcnow
from storage.models import STATUSES, Paper
from storage.ops import inbox_of_day as inbox_of_day  # the rule is read here, applied in ops

ViewKind = Literal["inbox", "queued", "reading", "read", "starred", "all", "tag", "day"]
STATUS_VIEWS: tuple[ViewKind, ...] = ("inbox", "queued", "reading", "read")
VIEW_TITLES = {"inbox": "Inbox", "queued": "Queued", "reading": "Reading", "read": "Read",
               "starred": "Starred", "all": "All"}


@dataclass(frozen=True)
class View:
    """One list of papers: a status, starred, all (but dismissed), a tag, or a pulled day."""

    kind: ViewKind
    value: str | None = None

    @property
    def id(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"

    @property
    def title(self) -> str:
        if self.kind == "tag":
            return f"#{self.value}"
        if self.kind == "day":
            return str(self.value)
        return VIEW_TITLES[self.kind]

    @classmethod
    def parse(cls, text: str) -> View:
        kind, _, value = text.partition(":")
        if kind in VIEW_TITLES and not value:
            return cls(kind)  # type: ignore[arg-type]
        if kind == "tag" and value:
            return cls("tag", value)
        if kind == "day" and value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise BadInput(f"day must be a date like 2024-06-16, not {value!r}") from None
            return cls("day", value)
        raise BadInput(f"unknown view {text!r}")


@dataclass
class Counts:
    """The number of papers in each view of the sidebar."""

    statuses: dict[str, int]
    starred: int
    all: int
    tags: list[tuple[str, int]]
    days: list[tuple[str, int, int]]  # (ISO day, papers not dismissed, still in the inbox)

    def of(self, view: View) -> int:
        if view.kind in STATUS_VIEWS:
            return self.statuses.get(view.kind, 0)
        if view.kind == "starred":
            return self.starred
        if view.kind == "all":
            return self.all
        if view.kind == "tag":
            return next((n for name, n in self.tags if name.lower() == (view.value or "").lower()), 0)
        return next((n for day, n, _ in self.days if day == view.value), 0)

    @property
    def library_size(self) -> int:
        """Every paper, dismissed ones included (0 means a fresh, empty library)."""
        return sum(self.statuses.values())


def _conn(session: Session) -> Any:
    return session.connection()


_DISMISSED = "SELECT id FROM paper WHERE status = 'dismissed'"


def status_counts(session: Session) -> dict[str, int]:
    """Papers per status (cheap: the status index)."""
    statuses = {s: 0 for s in STATUSES}
    for status, n in _conn(session).exec_driver_sql(
            "SELECT status, count(*) FROM paper GROUP BY status"):
        statuses[str(status)] = int(n)
    return statuses


def view_counts(session: Session) -> Counts:
    conn = _conn(session)
    statuses = status_counts(session)
    # Dismissed and inbox papers come from the status index; the paper rows (with their
    # abstracts) are never read, which keeps this cheap on a big library.
    starred = conn.exec_driver_sql(
        "SELECT count(*) FROM paper WHERE starred AND status != 'dismissed'").scalar_one()
    tags = [(str(name), int(n)) for name, n in conn.exec_driver_sql(
        "SELECT t.name, count(*) FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
        f"WHERE pt.paper_id NOT IN ({_DISMISSED}) GROUP BY t.id ORDER BY lower(t.name)")]
    days = [(str(day), int(n), int(inbox)) for day, n, inbox in conn.exec_driver_sql(
        "SELECT f.day, count(DISTINCT f.paper_id), count(DISTINCT CASE WHEN f.paper_id IN "
        f"(SELECT id FROM paper WHERE status = 'inbox') THEN f.paper_id END) FROM feed_entry f "
        f"WHERE f.paper_id NOT IN ({_DISMISSED}) GROUP BY f.day ORDER BY f.day DESC")]
    total = sum(n for s, n in statuses.items() if s != "dismissed")
    return Counts(statuses=statuses, starred=int(starred), all=total, tags=tags, days=days)


# The inbox and the days show papers by feed day (newest first), then the day's upvotes.
_LATEST_FEED = (
    "LEFT JOIN (SELECT paper_id, max(day) AS day FROM feed_entry GROUP BY paper_id) lf "
    "ON lf.paper_id = p.id "
    "LEFT JOIN feed_entry f ON f.paper_id = p.id AND f.day = lf.day "
)


def view_ids(session: Session, *, view: View) -> list[int]:
    """The ids of the papers in ``view``, in the order the list shows them."""
    conn = _conn(session)
    if view.kind == "inbox":
        # (PostgreSQL wants the latest day among the groups too: one per paper either way.)
        group = "p.id" if is_sqlite(session) else "p.id, lf.day"
        sql = ("SELECT p.id FROM paper p " + _LATEST_FEED + "WHERE p.status = 'inbox' "
               f"GROUP BY {group} ORDER BY lf.day IS NULL, lf.day DESC, "
               "coalesce(max(f.upvotes), p.upvotes, 0) DESC, min(f.rank), p.added DESC, p.id DESC")
        params: tuple[Any, ...] = ()
    elif view.kind in ("queued", "reading"):
        sql = "SELECT id FROM paper WHERE status = ? ORDER BY modified DESC, id DESC"
        params = (view.kind,)
    elif view.kind == "read":
        sql = ("SELECT id FROM paper WHERE status = 'read' "
               "ORDER BY coalesce(read_at, modified) DESC, id DESC")
        params = ()
    elif view.kind == "starred":
        sql = "SELECT id FROM paper WHERE starred AND status != 'dismissed' ORDER BY id DESC"
        params = ()
    elif view.kind == "all":
        # Newest first: ids grow as papers are added. The status index answers this without
        # reading a single paper row.
        hint = "INDEXED BY ix_paper_status " if is_sqlite(session) else ""
        sql = (f"SELECT id FROM paper {hint}WHERE status != 'dismissed' "
               "ORDER BY id DESC")
        params = ()
    elif view.kind == "tag":
        sql = ("SELECT pt.paper_id FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
               f"WHERE t.name = ? COLLATE NOCASE AND pt.paper_id NOT IN ({_DISMISSED}) "
               "ORDER BY pt.paper_id DESC")
        params = (view.value,)
    elif view.kind == "day":
        sql = ("SELECT p.id FROM feed_entry f JOIN paper p ON p.id = f.paper_id "
               "WHERE f.day = ? AND p.status != 'dismissed' GROUP BY p.id "
               "ORDER BY coalesce(max(f.upvotes), 0) DESC, min(f.rank), p.id")
        params = (view.value,)
    else:  # pragma: no cover - View.parse refuses other kinds
        raise BadInput(f"unknown view {view.id!r}")
    return [int(i) for i in conn.exec_driver_sql(sql, params).scalars()]


@dataclass(frozen=True)
class Row:
    """What the list shows of one paper."""

    id: int
    key: str
    title: str
    first_author: str
    year: int | None
    status: str
    starred: bool
    rating: int | None
    upvotes: int | None
    tags: tuple[str, ...] = field(default_factory=tuple)


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def rows_for(session: Session, *, ids: Sequence[int]) -> dict[int, Row]:
    """Row data for ``ids`` (a screenful): ids that no longer exist are left out."""
    conn = _conn(session)
    out: dict[int, Row] = {}
    for chunk in _chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        tags: dict[int, list[str]] = {}
        for pid, name in conn.exec_driver_sql(
                f"SELECT pt.paper_id, t.name FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
                f"WHERE pt.paper_id IN ({marks}) ORDER BY lower(t.name)", tuple(chunk)):
            tags.setdefault(int(pid), []).append(str(name))
        for r in conn.exec_driver_sql(
                f"SELECT p.id, p.key, p.title, a.name, p.year, p.status, p.starred, p.rating, "
                f"p.upvotes FROM paper p LEFT JOIN paper_author a ON a.paper_id = p.id "
                f"AND a.position = 0 WHERE p.id IN ({marks})", tuple(chunk)):
            pid = int(r[0])
            out[pid] = Row(id=pid, key=str(r[1]), title=str(r[2]), first_author=str(r[3] or ""),
                           year=r[4], status=str(r[5]), starred=bool(r[6]), rating=r[7],
                           upvotes=r[8], tags=tuple(tags.get(pid, ())))
    return out


def keys_of(session: Session, *, paper_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, key) of each paper in ``paper_ids``, in that order (unknown ids left out)."""
    found: dict[int, str] = {}
    for chunk in _chunks(list(paper_ids)):
        marks = ", ".join("?" * len(chunk))
        for pid, key in _conn(session).exec_driver_sql(
                f"SELECT id, key FROM paper WHERE id IN ({marks})", tuple(chunk)):
            found[int(pid)] = str(key)
    return [(pid, found[pid]) for pid in paper_ids if pid in found]


def feed_days(session: Session, *, paper_id: int) -> list[tuple[str, str, int, int | None]]:
    """Where a paper was pulled from: (source, ISO day, rank, upvotes), newest day first."""
    return [(str(s), str(d), int(rank), up) for s, d, rank, up in _conn(session).exec_driver_sql(
        "SELECT source, day, rank, upvotes FROM feed_entry WHERE paper_id = ? "
        "ORDER BY day DESC, source", (paper_id,))]


def pdf_url(paper: Paper) -> str | None:
    """The paper's PDF: its own link, else arXiv's."""
    if paper.url_pdf:
        return paper.url_pdf
    if paper.arxiv_id:
        return f"https://arxiv.org/pdf/{paper.arxiv_id}"
    return None


def latest_day(session: Session, *, paper_id: int) -> str | None:
    value = _conn(session).exec_driver_sql(
        "SELECT max(day) FROM feed_entry WHERE paper_id = ?", (paper_id,)).scalar_one()
    return None if value is None else str(value)


def tags_common(session: Session, *, ids: Sequence[int]) -> tuple[list[str], list[str]]:
    """Tags on all of ``ids`` and tags on some of them (by name)."""
    if not ids:
        return [], []
    counts: dict[str, int] = {}
    for chunk in _chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        for name, n in _conn(session).exec_driver_sql(
                f"SELECT t.name, count(*) FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
                f"WHERE pt.paper_id IN ({marks}) GROUP BY t.id", tuple(chunk)):
            counts[str(name)] = counts.get(str(name), 0) + int(n)
    every = sorted((n for n, c in counts.items() if c == len(ids)), key=str.lower)
    some = sorted((n for n, c in counts.items() if c < len(ids)), key=str.lower)
    return every, some


def all_tags(session: Session) -> list[str]:
    return [name for name, _ in ops.tag_counts(session)]


# ---------------------------------------------------------------- stats


@dataclass
class Stats:
    weeks: list[str]  # ISO week starts (Mondays), oldest first
    added: list[int]
    read: list[int]
    top_tags: list[tuple[str, int]]
    inbox: int
    inbox_oldest: str | None  # the oldest feed day still in the inbox
    total: int
    read_total: int


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def stats(session: Session, *, weeks: int = 12, today: date | None = None) -> Stats:
    """Papers added and read per week over the last ``weeks`` weeks, the top tags, the inbox."""
    today = today or utcnow().date()
    first = _monday(today) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    conn = _conn(session)

    def per_week(column: str) -> list[int]:
        counts = [0] * weeks
        for (value,) in conn.exec_driver_sql(
                f"SELECT {column} FROM paper WHERE {column} >= ?", (first.isoformat(),)):
            when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            index = (when.date() - first).days // 7
            if 0 <= index < weeks:
                counts[index] += 1
        return counts

    top = [(str(n), int(c)) for n, c in conn.exec_driver_sql(
        "SELECT t.name, count(*) AS n FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
        f"WHERE pt.paper_id NOT IN ({_DISMISSED}) "  # as the sidebar counts (view_counts)
        "GROUP BY t.id ORDER BY n DESC, lower(t.name) LIMIT 10")]
    inbox = int(conn.exec_driver_sql(
        "SELECT count(*) FROM paper WHERE status = 'inbox'").scalar_one())
    oldest = conn.exec_driver_sql(
        "SELECT min(f.day) FROM feed_entry f JOIN paper p ON p.id = f.paper_id "
        "WHERE p.status = 'inbox'").scalar_one()
    total = int(conn.exec_driver_sql(
        "SELECT count(*) FROM paper WHERE status != 'dismissed'").scalar_one())
    read_total = int(conn.exec_driver_sql(
        "SELECT count(*) FROM paper WHERE status = 'read'").scalar_one())
    return Stats(weeks=[s.isoformat() for s in starts], added=per_week("added"),
                 read=per_week("read_at"), top_tags=top, inbox=inbox,
                 inbox_oldest=None if oldest is None else str(oldest), total=total,
                 read_total=read_total)


# ---------------------------------------------------------------- watching for changes


class ChangeWatcher:
    """Notices commits made through any other connection (the command line, another app, this
    app's own writes) with ``PRAGMA data_version`` on one long-lived connection: a cheap check
    that reads no table. Use it from one thread."""

    def __init__(self, lib: Library) -> None:
        self._conn: sqlite3.Connection | None = lib.raw()
        self._version = self._read()

    def _read(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """Whether anything was committed since the last call (or since this was made)."""
        if self._conn is None:
            return False
        version = self._read()
        if version != self._version:
            self._version = version
            return True
        return False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def inbox_days(session: Session) -> dict[int, str]:
    """The latest feed day (ISO) of each paper in the inbox, the day the inbox sorts it by
    (for the list's day column). Papers never pulled from a feed are left out."""
    from sqlmodel import col, func, select

    from storage.models import FeedEntry

    query = (select(col(FeedEntry.paper_id), func.max(col(FeedEntry.day)))
             .join(Paper, col(Paper.id) == col(FeedEntry.paper_id))
             .where(col(Paper.status) == "inbox")
             .group_by(col(FeedEntry.paper_id)))
    return {int(pid): str(day) for pid, day in session.exec(query)}
