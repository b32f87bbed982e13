"""The library's operations. Each takes a session (from :class:`storage.db.Library`) and
keyword arguments; the caller decides the unit of work (one ``Library.action`` per user command).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from reader.errors import BadInput
from reader.record import PaperRecord, split_arxiv_id
from storage.db import utcnow
from storage.errors import UnknownNote, UnknownPaper
from storage.keys import base_key, check_key, unique_key
from storage.models import STATUSES, FeedEntry, Note, Paper, PaperAuthor, PaperTag, Tag
from storage.text import last_name, normalise_title

# Fields a source may set or refresh. The user's own fields (status, star, rating, key, tags,
# notes) are never among them.
SOURCE_FIELDS = (
    "title", "abstract", "arxiv_id", "arxiv_version", "doi", "published", "updated", "year",
    "venue", "entry_type", "primary_category", "categories", "journal_ref", "url_abs", "url_pdf",
    "url_code", "url_project", "upvotes", "comments", "ai_summary", "ai_keywords",
)

Outcome = Literal["new", "updated", "unchanged"]


@dataclass
class MergeResult:
    paper: Paper
    outcome: Outcome
    # Set when the record came with a key (an imported entry) that another paper already has.
    wanted_key: str | None = None

    @property
    def key_changed(self) -> bool:
        return self.wanted_key is not None and self.wanted_key != self.paper.key


# ---------------------------------------------------------------- finding papers


def find_paper(session: Session, *, ref: str | int) -> Paper:
    """A paper by citation key or numeric id."""
    text = str(ref).strip()
    paper = session.exec(select(Paper).where(Paper.key == text)).first()
    if paper is None and text.isascii() and text.isdigit() and len(text) < 19:  # an SQLite int
        paper = session.get(Paper, int(text))
    if paper is None:
        raise UnknownPaper(text)
    return paper


def find_match(session: Session, *, record: PaperRecord) -> Paper | None:
    """The paper ``record`` describes, if the library has it: by arXiv id (any version, or the
    arXiv DOI), then DOI, then normalised title with the same first author."""
    if record.arxiv_id:
        paper = session.exec(select(Paper).where(Paper.arxiv_id == record.arxiv_id)).first()
        if paper:
            return paper
    if record.doi:
        paper = session.exec(select(Paper).where(Paper.doi == record.doi)).first()
        if paper:
            return paper
        split = split_arxiv_id(record.doi)
        if split:
            paper = session.exec(select(Paper).where(Paper.arxiv_id == split[0])).first()
            if paper:
                return paper
    norm = normalise_title(record.title)
    if not norm:
        return None
    # Papers with this title and no other arXiv id, each with its first author, in one query
    # (many papers may share a title: one query per candidate made a pull quadratic).
    candidates = session.connection().exec_driver_sql(
        "SELECT p.id, a.name FROM paper p LEFT JOIN paper_author a "
        "ON a.paper_id = p.id AND a.position = 0 "
        "WHERE p.title_norm = ? AND (p.arxiv_id IS NULL OR ? IS NULL OR p.arxiv_id = ?) "
        "ORDER BY p.id", (norm, record.arxiv_id, record.arxiv_id)).all()
    wanted = last_name(record.authors[0]) if record.authors else None
    for pid, first in candidates:
        # Records without author names (copied page text) match on the title alone.
        if wanted is None or first is None or last_name(first) == wanted:
            return session.get(Paper, pid)
    return None


def _id(paper: Paper) -> int:
    assert paper.id is not None
    return paper.id


def first_author(session: Session, *, paper_id: int) -> str | None:
    return session.exec(
        select(PaperAuthor.name).where(PaperAuthor.paper_id == paper_id, PaperAuthor.position == 0)
    ).first()


def authors_of(session: Session, *, paper_id: int) -> list[str]:
    return list(session.exec(
        select(PaperAuthor.name).where(PaperAuthor.paper_id == paper_id)
        .order_by(col(PaperAuthor.position))
    ).all())


def tags_of(session: Session, *, paper_id: int) -> list[str]:
    return list(session.exec(
        select(Tag.name).join(PaperTag, col(PaperTag.tag_id) == Tag.id)
        .where(PaperTag.paper_id == paper_id).order_by(func.lower(Tag.name))
    ).all())


def notes_of(session: Session, *, paper_id: int) -> list[Note]:
    return list(session.exec(
        select(Note).where(Note.paper_id == paper_id).order_by(col(Note.created), col(Note.id))
    ).all())


def key_taken(session: Session, key: str) -> bool:
    """Whether a paper has ``key``, ignoring case (BibTeX does)."""
    return session.connection().exec_driver_sql(
        "SELECT 1 FROM paper WHERE key = ? COLLATE NOCASE LIMIT 1", (key,)).first() is not None


def _keys_from(session: Session, base: str) -> set[str]:
    """The keys in use that start with ``base`` ignoring case, lower-cased (the candidates of
    :func:`unique_key`), in one query rather than one per suffix tried."""
    pattern = "".join(f"[{c}]" if c in "*?[" else c for c in base.lower()) + "*"
    return set(session.connection().exec_driver_sql(
        "SELECT lower(key) FROM paper WHERE lower(key) GLOB ?", (pattern,)).scalars())


# ---------------------------------------------------------------- merging records


def _set_authors(session: Session, *, paper_id: int, authors: Sequence[str]) -> None:
    session.execute(delete(PaperAuthor).where(col(PaperAuthor.paper_id) == paper_id))
    session.flush()
    for position, name in enumerate(authors):
        session.add(PaperAuthor(paper_id=paper_id, position=position, name=name))


def merge_record(
    session: Session, *, record: PaperRecord, status: str = "inbox", now: datetime | None = None
) -> MergeResult:
    """Bring ``record`` into the library: refresh the matching paper's source fields, or add a
    new paper with a fresh key. Tags, notes, status, star, rating and key of an existing paper
    are never touched."""
    if not record.title:
        raise BadInput("a paper needs a title")
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r} (use one of: {', '.join(STATUSES)})")
    now = now or utcnow()
    paper = find_match(session, record=record)
    if paper is None:
        return _insert(session, record=record, status=status, now=now)
    return refresh_paper(session, paper=paper, record=record, now=now)


def _identity_taken(session: Session, name: str, value: Any) -> bool:
    return session.exec(select(Paper.id).where(getattr(Paper, name) == value)).first() is not None


def refresh_paper(
    session: Session, *, paper: Paper, record: PaperRecord, now: datetime | None = None,
    have: list[str] | None = None, identity_taken: Callable[[str, Any], bool] | None = None,
) -> MergeResult:
    """Refresh ``paper``'s source fields from ``record`` (the second half of
    :func:`merge_record`, for a caller that already knows which paper ``record`` is).
    ``have`` (the paper's authors) and ``identity_taken`` spare queries in batch merges."""
    now = now or utcnow()
    taken = identity_taken or (lambda name, value: _identity_taken(session, name, value))
    changed = False
    for name in SOURCE_FIELDS:
        value = getattr(record, name)
        if value is None or value == [] or value == "":
            continue
        current = getattr(paper, name)
        if name == "arxiv_version" and current is not None and value < current:
            continue
        if name in ("arxiv_id", "doi") and current != value:
            if current is not None:
                continue  # identity fields are filled, never replaced
            if taken(name, value):
                continue
        if current != value:
            setattr(paper, name, value)
            changed = True
    if record.title and normalise_title(record.title) != paper.title_norm:
        paper.title_norm = normalise_title(record.title)
        changed = True
    if record.extra_fields:
        extra = dict(paper.extra_fields or {})
        for k, v in record.extra_fields.items():
            if extra.get(k) != v:
                extra[k] = v
                changed = True
        paper.extra_fields = extra
    if have is None:
        have = authors_of(session, paper_id=_id(paper))
    if record.authors and have != list(record.authors) and len(record.authors) >= len(have):
        # A shorter list (a hand-typed first author, "and others") never replaces a fuller one.
        _set_authors(session, paper_id=_id(paper), authors=record.authors)
        changed = True
    if changed:
        paper.modified = now
        session.add(paper)
        session.flush()
    return MergeResult(paper, "updated" if changed else "unchanged")


def _insert(session: Session, *, record: PaperRecord, status: str, now: datetime) -> MergeResult:
    wanted: str | None = None
    if record.key and check_key(record.key) is None:
        wanted = record.key
        base = record.key
    else:
        base = base_key(record.authors, record.year, record.title)
    taken = _keys_from(session, base)
    key = unique_key(base, lambda k: k.lower() in taken)
    values: dict[str, Any] = {name: getattr(record, name) for name in SOURCE_FIELDS}
    doi_taken = values["doi"] and session.exec(
        select(Paper.id).where(Paper.doi == values["doi"])).first() is not None
    if doi_taken:
        values["doi"] = None
    paper = Paper(
        key=key,
        title_norm=normalise_title(record.title),
        source=record.source,
        extra_fields=dict(record.extra_fields),
        status=status,
        added=now,
        modified=now,
        read_at=now if status == "read" else None,
        **values,
    )
    session.add(paper)
    session.flush()
    _set_authors(session, paper_id=_id(paper), authors=record.authors)
    session.flush()
    return MergeResult(paper, "new", wanted)


# ---------------------------------------------------------------- merging many records


class _MatchIndex:
    """What :func:`find_match` asks the database, held in memory for a batch merge."""

    def __init__(self, session: Session) -> None:
        self.by_arxiv: dict[str, int] = {}
        self.by_doi: dict[str, int] = {}
        self.by_title: dict[str, list[int]] = {}
        self.arxiv_of: dict[int, str | None] = {}
        self.keys: set[str] = set()
        for pid, key, arxiv_id, doi, norm in session.connection().exec_driver_sql(
                "SELECT id, key, arxiv_id, doi, title_norm FROM paper ORDER BY id"):
            self.keys.add(key.lower())
            self._index(pid, arxiv_id, doi, norm)
        self.first_author: dict[int, str] = {
            pid: name for pid, name in session.connection().exec_driver_sql(
                "SELECT paper_id, name FROM paper_author WHERE position = 0")}

    def add(self, pid: int, arxiv_id: str | None, doi: str | None, norm: str,
            first_author: str | None) -> None:
        self._index(pid, arxiv_id, doi, norm)
        if first_author:
            self.first_author[pid] = first_author

    def _index(self, pid: int, arxiv_id: str | None, doi: str | None, norm: str) -> None:
        if arxiv_id:
            self.by_arxiv[arxiv_id] = pid
        if doi:
            self.by_doi[doi] = pid
        bisect.insort(self.by_title.setdefault(norm, []), pid)
        self.arxiv_of[pid] = arxiv_id

    def refresh(self, paper: Paper, authors: Sequence[str], old_norm: str | None) -> None:
        pid = _id(paper)
        if old_norm is not None and old_norm != paper.title_norm:
            pids = self.by_title.get(old_norm, [])
            if pid in pids:
                pids.remove(pid)
        if pid not in self.by_title.get(paper.title_norm, []):
            bisect.insort(self.by_title.setdefault(paper.title_norm, []), pid)
        if paper.arxiv_id:
            self.by_arxiv.setdefault(paper.arxiv_id, pid)
        if paper.doi:
            self.by_doi.setdefault(paper.doi, pid)
        self.arxiv_of[pid] = paper.arxiv_id
        if authors:
            self.first_author[pid] = authors[0]
        self.keys.add(paper.key.lower())

    def match(self, record: PaperRecord, norm: str) -> int | None:
        """The same answer as :func:`find_match` (``norm``: the record's normalised title),
        from memory."""
        if record.arxiv_id and record.arxiv_id in self.by_arxiv:
            return self.by_arxiv[record.arxiv_id]
        if record.doi:
            if record.doi in self.by_doi:
                return self.by_doi[record.doi]
            split = split_arxiv_id(record.doi)
            if split and split[0] in self.by_arxiv:
                return self.by_arxiv[split[0]]
        if not norm:
            return None
        candidates = self.by_title.get(norm)
        if not candidates:
            return None
        wanted = last_name(record.authors[0]) if record.authors else None
        for pid in candidates:
            first = self.first_author.get(pid)
            if wanted is None or first is None or last_name(first) == wanted:
                other = self.arxiv_of.get(pid)
                if record.arxiv_id and other and other != record.arxiv_id:
                    continue
                return pid
        return None

    def identity_taken(self, name: str, value: Any) -> bool:
        return value in (self.by_arxiv if name == "arxiv_id" else self.by_doi)


def merge_records(
    session: Session, *, records: Sequence[PaperRecord], status: str = "inbox",
    now: datetime | None = None,
) -> list[MergeResult]:
    """:func:`merge_record` for each record in turn (same matches, keys and outcomes, also
    between records of the same batch), fast enough for imports of thousands of papers: the
    matching runs on an in-memory index and new papers are inserted in bulk, not one ORM
    object at a time."""
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r} (use one of: {', '.join(STATUSES)})")
    for record in records:
        if not record.title:
            raise BadInput("a paper needs a title")
    now = now or utcnow()
    index = _MatchIndex(session)
    norms = [normalise_title(r.title) for r in records]
    loaded: dict[int, Paper] = {}  # strong references: the identity map only holds weak ones
    authors: dict[int, list[str]] = {}

    def load(pids: Sequence[int]) -> None:
        for start in range(0, len(pids), 500):
            chunk = list(pids[start:start + 500])
            for paper in session.exec(select(Paper).where(col(Paper.id).in_(chunk))).all():
                loaded[_id(paper)] = paper
            for pid in chunk:
                authors[pid] = []
            for pid, name in session.exec(
                    select(PaperAuthor.paper_id, PaperAuthor.name)
                    .where(col(PaperAuthor.paper_id).in_(chunk))
                    .order_by(col(PaperAuthor.paper_id), col(PaperAuthor.position))).all():
                authors.setdefault(pid, []).append(name)

    # The papers the batch will probably update, in a few queries rather than one per record.
    load(sorted({pid for r, n in zip(records, norms, strict=True)
                 if (pid := index.match(r, n)) is not None}))

    conn = session.connection()
    paper_table = Paper.__table__  # type: ignore[attr-defined]
    author_table = PaperAuthor.__table__  # type: ignore[attr-defined]
    next_id = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM paper").scalar_one())
    pending_papers: list[dict[str, Any]] = []
    pending_authors: list[dict[str, Any]] = []
    pending_ids: set[int] = set()

    def flush_pending() -> None:
        if pending_papers:
            conn.execute(paper_table.insert(), pending_papers)
        if pending_authors:
            conn.execute(author_table.insert(), pending_authors)
        pending_papers.clear()
        pending_authors.clear()
        pending_ids.clear()

    outcomes: list[tuple[int, Outcome, str | None]] = []
    updated: dict[int, MergeResult] = {}
    for record, norm in zip(records, norms, strict=True):
        pid = index.match(record, norm)
        if pid is not None:
            if pid in pending_ids:
                flush_pending()
            if pid not in loaded:
                load([pid])
            paper = loaded[pid]
            old_norm = paper.title_norm
            result = refresh_paper(session, paper=paper, record=record, now=now,
                                   have=authors.get(pid, []),
                                   identity_taken=index.identity_taken)
            if result.outcome == "updated":
                authors[pid] = authors_of(session, paper_id=pid)
            index.refresh(paper, authors.get(pid, []), old_norm)
            outcomes.append((pid, result.outcome, None))
            updated[len(outcomes) - 1] = result
            continue
        wanted: str | None = None
        if record.key and check_key(record.key) is None:
            wanted = record.key
            key = unique_key(record.key, lambda k: k.lower() in index.keys)
        else:
            key = unique_key(base_key(record.authors, record.year, record.title),
                             lambda k: k.lower() in index.keys)
        values: dict[str, Any] = {name: getattr(record, name) for name in SOURCE_FIELDS}
        if values["doi"] and values["doi"] in index.by_doi:
            values["doi"] = None
        new_id = next_id
        next_id += 1
        pending_papers.append(dict(
            values, id=new_id, key=key, title_norm=norm, source=record.source,
            extra_fields=dict(record.extra_fields), status=status, starred=False, rating=None,
            added=now, modified=now, read_at=now if status == "read" else None))
        pending_authors.extend({"paper_id": new_id, "position": i, "name": name}
                               for i, name in enumerate(record.authors))
        pending_ids.add(new_id)
        authors[new_id] = list(record.authors)
        index.keys.add(key.lower())
        index.add(new_id, values["arxiv_id"], values["doi"], norm,
                  record.authors[0] if record.authors else None)
        outcomes.append((new_id, "new", wanted))
    flush_pending()
    load(sorted({pid for pid, outcome, _ in outcomes if outcome == "new"} - set(loaded)))
    return [updated.get(i) or MergeResult(loaded[pid], outcome, wanted)
            for i, (pid, outcome, wanted) in enumerate(outcomes)]


def record_feed(
    session: Session, *, paper: Paper, source: str, day: date, rank: int, upvotes: int | None
) -> None:
    """Note that ``paper`` was in ``source``'s feed on ``day`` (idempotent; refreshes rank and
    upvotes when pulled again)."""
    entry = session.exec(select(FeedEntry).where(
        FeedEntry.source == source, FeedEntry.day == day, FeedEntry.paper_id == _id(paper))).first()
    if entry is None:
        session.add(FeedEntry(source=source, day=day, paper_id=_id(paper), rank=rank,
                              upvotes=upvotes))
    elif entry.rank != rank or entry.upvotes != upvotes:
        entry.rank, entry.upvotes = rank, upvotes
        session.add(entry)
    session.flush()


# ---------------------------------------------------------------- the user's changes


def _touch(session: Session, paper: Paper) -> None:
    paper.modified = utcnow()
    session.add(paper)
    session.flush()


def set_status(session: Session, *, paper: Paper, status: str) -> None:
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r} (use one of: {', '.join(STATUSES)})")
    if paper.status == status:
        return
    paper.status = status
    if status == "read":
        paper.read_at = utcnow()
    _touch(session, paper)


def set_starred(session: Session, *, paper: Paper, starred: bool) -> None:
    if paper.starred != starred:
        paper.starred = starred
        _touch(session, paper)


def set_rating(session: Session, *, paper: Paper, rating: int | None) -> None:
    if rating is not None and not 1 <= rating <= 5:
        raise BadInput(f"rating must be 1 to 5 (or 0 to clear), not {rating}")
    if paper.rating != rating:
        paper.rating = rating
        _touch(session, paper)


def rename_key(session: Session, *, paper: Paper, new_key: str) -> None:
    problem = check_key(new_key)
    if problem:
        raise BadInput(problem)
    if new_key == paper.key:
        return
    if new_key.lower() != paper.key.lower() and key_taken(session, new_key):
        raise BadInput(f"key {new_key!r} is already used by another paper")
    paper.key = new_key
    _touch(session, paper)


def clean_tag(name: str) -> str:
    tag = " ".join(name.split())
    if not tag or tag.startswith(("+", "-")) or "," in tag:
        raise BadInput(f"bad tag name {name!r}: tags are non-empty and contain no commas")
    return tag


def _tag_named(name: str) -> Any:
    """Tag names compare as the unique index does (the column's NOCASE collation: ASCII letters
    without case), so a lookup never misses a tag the index would call the same."""
    return col(Tag.name) == " ".join(name.split())


def get_or_create_tag(session: Session, *, name: str) -> Tag:
    name = clean_tag(name)
    tag = session.exec(select(Tag).where(_tag_named(name))).first()
    if tag is None:
        tag = Tag(name=name)
        session.add(tag)
        session.flush()
    return tag


def change_tags(
    session: Session, *, paper: Paper, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> bool:
    """Add and remove tags on ``paper``. Returns whether anything changed."""
    changed = False
    for name in add:
        tag = get_or_create_tag(session, name=name)
        if session.get(PaperTag, (_id(paper), tag.id)) is None:
            session.add(PaperTag(paper_id=_id(paper), tag_id=_tag_id(tag)))
            changed = True
    for name in remove:
        old = session.exec(select(Tag).where(_tag_named(name))).first()
        if old is None:
            continue
        link = session.get(PaperTag, (_id(paper), old.id))
        if link is not None:
            session.delete(link)
            changed = True
    if changed:
        session.flush()
        _drop_unused_tags(session)
        _touch(session, paper)
    return changed


def _tag_id(tag: Tag) -> int:
    assert tag.id is not None
    return tag.id


def _drop_unused_tags(session: Session) -> None:
    session.execute(delete(Tag).where(~col(Tag.id).in_(select(PaperTag.tag_id))))
    session.flush()


def tag_counts(session: Session) -> list[tuple[str, int]]:
    rows = session.exec(
        select(Tag.name, func.count(col(PaperTag.paper_id)))
        .join(PaperTag, col(PaperTag.tag_id) == Tag.id, isouter=True)
        .group_by(col(Tag.id)).order_by(func.lower(Tag.name))
    ).all()
    return [(name, int(count)) for name, count in rows]


def rename_tag(session: Session, *, old: str, new: str) -> int:
    """Rename tag ``old`` to ``new``; when ``new`` exists already, the two are merged. Returns
    the number of papers that carry the tag afterwards."""
    source = session.exec(select(Tag).where(_tag_named(old))).first()
    if source is None:
        raise BadInput(f"no tag named {old!r}")
    new = clean_tag(new)
    target = session.exec(select(Tag).where(_tag_named(new))).first()
    if target is None or target.id == source.id:
        source.name = new
        session.add(source)
        session.flush()
        final = source
    else:
        ids = session.exec(select(PaperTag.paper_id).where(PaperTag.tag_id == source.id)).all()
        have = set(session.exec(select(PaperTag.paper_id).where(PaperTag.tag_id == target.id)).all())
        for pid in ids:
            if pid not in have:
                session.add(PaperTag(paper_id=pid, tag_id=_tag_id(target)))
        session.flush()
        session.execute(delete(PaperTag).where(col(PaperTag.tag_id) == source.id))
        session.flush()
        session.delete(source)
        session.flush()
        final = target
    now = utcnow()
    session.execute(update(Paper).where(col(Paper.id).in_(
        select(PaperTag.paper_id).where(PaperTag.tag_id == final.id))).values(modified=now))
    return len(session.exec(select(PaperTag.paper_id).where(PaperTag.tag_id == final.id)).all())


def add_note(session: Session, *, paper: Paper, body: str, quote: str | None = None) -> Note:
    if not body.strip() and not (quote and quote.strip()):
        raise BadInput("a note needs some text")
    now = utcnow()
    note = Note(paper_id=_id(paper), body=body, quote=quote or None, created=now, updated=now)
    session.add(note)
    session.flush()
    _touch(session, paper)
    return note


def get_note(session: Session, *, note_id: int) -> Note:
    note = session.get(Note, note_id)
    if note is None:
        raise UnknownNote(note_id)
    return note


def edit_note(session: Session, *, note: Note, body: str, quote: str | None = None) -> None:
    if not body.strip() and not (quote and quote.strip()):
        raise BadInput("a note needs some text (delete it instead)")
    note.body, note.quote, note.updated = body, quote or None, utcnow()
    session.add(note)
    session.flush()


def delete_note(session: Session, *, note: Note) -> None:
    session.delete(note)
    session.flush()


def remove_paper(session: Session, *, paper: Paper) -> None:
    session.delete(paper)
    session.flush()
    _drop_unused_tags(session)


def undo_last(session: Session) -> str | None:
    """Revert the newest undo step. Returns its description, or ``None`` when there is none."""
    conn = session.connection()
    row = conn.exec_driver_sql(
        "SELECT id, description FROM undo_action WHERE open = 0 ORDER BY id DESC LIMIT 1"
    ).first()
    if row is None:
        return None
    action_id, description = row
    statements = conn.exec_driver_sql(
        "SELECT statement FROM undo_entry WHERE action_id = ? ORDER BY id DESC", (action_id,)
    ).all()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for (statement,) in statements:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("DELETE FROM undo_entry WHERE action_id = ?", (action_id,))
    conn.exec_driver_sql("DELETE FROM undo_action WHERE id = ?", (action_id,))
    session.expire_all()
    return str(description)


def undo_history(session: Session, *, limit: int = 20) -> list[tuple[int, str, str]]:
    rows = session.connection().exec_driver_sql(
        "SELECT id, description, created FROM undo_action WHERE open = 0 ORDER BY id DESC LIMIT ?",
        (limit,)).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


# ---------------------------------------------------------------- listing and views


def list_papers(
    session: Session,
    *,
    status: str | None = None,
    tag: str | None = None,
    include_dismissed: bool = False,
    starred: bool | None = None,
) -> list[Paper]:
    query = _filter_papers(select(Paper), status=status, tag=tag,
                           include_dismissed=include_dismissed, starred=starred)
    query = query.order_by(col(Paper.added).desc(), col(Paper.id).desc())
    return list(session.exec(query).all())


def list_paper_keys(
    session: Session,
    *,
    status: str | None = None,
    tag: str | None = None,
    include_dismissed: bool = False,
    starred: bool | None = None,
) -> list[tuple[int, str]]:
    """(id, key) of the papers :func:`list_papers` lists, in its order, without loading them."""
    query = _filter_papers(select(Paper.id, Paper.key), status=status, tag=tag,
                           include_dismissed=include_dismissed, starred=starred)
    query = query.order_by(col(Paper.added).desc(), col(Paper.id).desc())
    return [(int(pid), str(key)) for pid, key in session.exec(query).all()]


def _filter_papers(query: Any, *, status: str | None, tag: str | None, include_dismissed: bool,
                   starred: bool | None) -> Any:
    if status is not None:
        if status not in STATUSES:
            raise BadInput(f"unknown status {status!r} (use one of: {', '.join(STATUSES)})")
        query = query.where(Paper.status == status)
    elif not include_dismissed:
        query = query.where(Paper.status != "dismissed")
    if tag is not None:
        query = query.where(col(Paper.id).in_(
            select(PaperTag.paper_id).join(Tag, col(Tag.id) == PaperTag.tag_id)
            .where(_tag_named(tag))))
    if starred is not None:
        query = query.where(Paper.starred == starred)
    return query


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def paper_url(paper: Paper) -> str | None:
    if paper.url_abs:
        return paper.url_abs
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return None


def note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.id, "body": note.body, "quote": note.quote,
            "created": _iso(note.created), "updated": _iso(note.updated)}


def paper_dict(session: Session, *, paper: Paper) -> dict[str, Any]:
    """The documented JSON shape of a paper (see docs/json.md)."""
    pid = _id(paper)
    return {
        "id": pid,
        "key": paper.key,
        "title": paper.title,
        "authors": authors_of(session, paper_id=pid),
        "year": paper.year,
        "published": _iso(paper.published),
        "arxiv_id": paper.arxiv_id,
        "doi": paper.doi,
        "url": paper_url(paper),
        "status": paper.status,
        "starred": bool(paper.starred),
        "rating": paper.rating,
        "tags": tags_of(session, paper_id=pid),
        "notes": [note_dict(n) for n in notes_of(session, paper_id=pid)],
        "upvotes": paper.upvotes,
        "added": _iso(paper.added),
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
        "ai_keywords": list(paper.ai_keywords or []),
        "updated": _iso(paper.updated),
        "modified": _iso(paper.modified),
        "read_at": _iso(paper.read_at),
        "source": paper.source,
    }


def paper_record(session: Session, *, paper: Paper) -> PaperRecord:
    """The paper as a plain record (for exports)."""
    return _as_record(paper, authors_of(session, paper_id=_id(paper)))


_RECORD_COLUMNS = tuple(f.name for f in dataclasses.fields(PaperRecord)
                        if f.name in Paper.model_fields
                        and f.name not in ("authors", "key", "extra_fields"))


def _as_record(paper: Paper, authors: list[str]) -> PaperRecord:
    values = {name: getattr(paper, name) for name in _RECORD_COLUMNS}
    return PaperRecord(
        authors=authors,
        key=paper.key,
        extra_fields=dict(paper.extra_fields or {}),
        **values,
    )


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def paper_records(session: Session, *, paper_ids: Sequence[int]) -> list[PaperRecord]:
    """:func:`paper_record` for many papers (by id, in that order), read in a few queries and
    without ORM objects (exports of thousands of papers)."""
    table = Paper.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in (*_RECORD_COLUMNS, "id", "key", "extra_fields")]
    rows: dict[int, Any] = {}
    authors: dict[int, list[str]] = {}
    conn = session.connection()
    for chunk in _chunks(list(paper_ids)):
        for row in conn.execute(select(*columns).where(table.c.id.in_(chunk))).mappings():
            rows[row["id"]] = row
        for pid, name in session.exec(
                select(PaperAuthor.paper_id, PaperAuthor.name)
                .where(col(PaperAuthor.paper_id).in_(chunk))
                .order_by(col(PaperAuthor.paper_id), col(PaperAuthor.position))).all():
            authors.setdefault(pid, []).append(name)
    out: list[PaperRecord] = []
    for pid in paper_ids:
        if pid not in rows:
            raise UnknownPaper(str(pid))
        row = rows[pid]
        out.append(PaperRecord(
            authors=authors.get(pid, []), key=row["key"],
            extra_fields=dict(row["extra_fields"] or {}),
            **{name: row[name] for name in _RECORD_COLUMNS}))
    return out


def tags_by_paper(session: Session, *, paper_ids: Sequence[int]) -> dict[int, list[str]]:
    """The tags of many papers (as :func:`tags_of` gives them), in a few queries."""
    out: dict[int, list[str]] = {}
    for chunk in _chunks(list(paper_ids)):
        for pid, name in session.exec(
                select(PaperTag.paper_id, Tag.name).join(Tag, col(Tag.id) == PaperTag.tag_id)
                .where(col(PaperTag.paper_id).in_(chunk)).order_by(func.lower(Tag.name))).all():
            out.setdefault(pid, []).append(name)
    return out


def notes_by_paper(session: Session, *, paper_ids: Sequence[int]) -> dict[int, list[Note]]:
    """The notes of many papers (as :func:`notes_of` gives them), in a few queries."""
    out: dict[int, list[Note]] = {}
    for chunk in _chunks(list(paper_ids)):
        for note in session.exec(select(Note).where(col(Note.paper_id).in_(chunk))
                                 .order_by(col(Note.created), col(Note.id))).all():
            out.setdefault(note.paper_id, []).append(note)
    return out
