"""Possible duplicates, and merging two papers on request (``papershelf duplicates`` and
``papershelf merge A B``).

The record merge (:func:`storage.ops.merge_records`) joins only what is certainly one work (see
:mod:`storage.identity`); what may be the same work is kept apart and reported. Here the library
lists such pairs again, and merges two papers when the user says they are one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlmodel import Session, col, delete, select

from reader.errors import BadInput
from storage.aliases import add_aliases, aliases_of, move_aliases
from storage.identity import Described, by_identifier, by_title
from storage.models import FeedEntry, Note, Paper, PaperAuthor, PaperTag
from storage.ops import (
    _INFO_COLUMNS,
    SOURCE_FIELDS,
    _info,
    _set_authors,
    _touch,
    authors_of,
    tags_of,
)

_GROUP_LIMIT = 40  # papers of one title compared pairwise (a title shared by more: the first 40)


@dataclass
class Duplicate:
    key: str
    other: str
    reason: str
    certain: bool = False  # the rules say "same work" (left apart by an older papershelf)


def find_duplicates(session: Session) -> list[Duplicate]:
    """Pairs of papers that may be one work: the same normalised title, or the same DOI (also
    one kept only in an imported entry's fields), each with the reason."""
    info: dict[int, tuple[str, Described]] = {}
    by_title_norm: dict[str, list[int]] = {}
    by_doi: dict[str, list[int]] = {}
    for row in session.connection().exec_driver_sql(f"{_INFO_COLUMNS} ORDER BY id"):
        pid, key, d = _info(row)
        info[pid] = (key, d)
        if d.title_norm:
            by_title_norm.setdefault(d.title_norm, []).append(pid)
        if d.doi:
            by_doi.setdefault(d.doi, []).append(pid)
    wanted = {p for g in (*by_title_norm.values(), *by_doi.values()) if len(g) > 1
              for p in g[:_GROUP_LIMIT]}
    authors: dict[int, list[str]] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        for pid, name in session.exec(
                select(PaperAuthor.paper_id, PaperAuthor.name)
                .where(col(PaperAuthor.paper_id).in_(ids[start:start + 500]))
                .order_by(col(PaperAuthor.paper_id), col(PaperAuthor.position))).all():
            authors.setdefault(pid, []).append(name)
    for pid in ids:
        info[pid][1].authors = authors.get(pid, [])
    out: list[Duplicate] = []
    seen: set[tuple[int, int]] = set()
    for doi, group in sorted(by_doi.items()):
        for a, b in combinations(group[:_GROUP_LIMIT], 2):
            verdict, reason = by_identifier(info[b][1], info[a][1], by="doi", value=doi)
            seen.add((a, b))
            out.append(Duplicate(info[a][0], info[b][0], reason, verdict == "same"))
    for group in by_title_norm.values():
        for a, b in combinations(group[:_GROUP_LIMIT], 2):
            if (a, b) in seen:
                continue
            verdict, reason = by_title(info[b][1], info[a][1])
            if verdict != "different":
                out.append(Duplicate(info[a][0], info[b][0], reason, verdict == "same"))
    out.sort(key=lambda d: (d.key.lower(), d.other.lower()))
    return out


@dataclass
class MergePlan:
    """What ``merge A B`` does: the fields A takes from B, and what moves."""

    keep: str
    other: str
    taken: list[tuple[str, Any]] = field(default_factory=list)  # (field, value) A takes
    tags: list[str] = field(default_factory=list)  # B's tags A did not have
    notes: int = 0
    aliases: list[str] = field(default_factory=list)  # keys that become A's other keys


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge_papers(session: Session, *, keep: Paper, other: Paper) -> MergePlan:
    """Merge paper ``other`` into ``keep``: ``keep`` takes every field it lacks from ``other``
    (never replacing one it has), ``other``'s tags, notes and feed days, its key and aliases
    (as aliases of ``keep``); then ``other`` is removed. The caller makes it one undo step."""
    if keep.id == other.id:
        raise BadInput(f"{keep.key} and {other.key} are the same paper; nothing to merge")
    assert keep.id is not None and other.id is not None
    plan = MergePlan(keep.key, other.key)
    take: dict[str, Any] = {}
    for name in SOURCE_FIELDS:
        mine, theirs = getattr(keep, name), getattr(other, name)
        if _empty(mine) and not _empty(theirs):
            take[name] = theirs
    keep_authors = authors_of(session, paper_id=keep.id)
    other_authors = authors_of(session, paper_id=other.id)
    extra = dict(keep.extra_fields or {})
    for name, value in (other.extra_fields or {}).items():
        # An imported entry's own fields ("original title", its type) describe that entry.
        if name.startswith("original ") or name in extra:
            continue
        extra[name] = value
        plan.taken.append((name, value))
    plan.taken = [(n, v) for n, v in take.items()] + plan.taken
    if not keep_authors and other_authors:
        plan.taken.insert(0, ("authors", other_authors))

    # What moves: tags, notes, feed days, keys.
    keep_tags = set(session.exec(select(PaperTag.tag_id).where(PaperTag.paper_id == keep.id)))
    their_tags = tags_of(session, paper_id=other.id)
    mine_names = {t.lower() for t in tags_of(session, paper_id=keep.id)}
    plan.tags = [t for t in their_tags if t.lower() not in mine_names]
    for link in session.exec(select(PaperTag).where(PaperTag.paper_id == other.id)).all():
        if link.tag_id not in keep_tags:
            session.add(PaperTag(paper_id=keep.id, tag_id=link.tag_id))
    notes = session.exec(select(Note).where(Note.paper_id == other.id)).all()
    plan.notes = len(notes)
    for note in notes:
        note.paper_id = keep.id
        session.add(note)
    days = {(f.source, f.day) for f in session.exec(
        select(FeedEntry).where(FeedEntry.paper_id == keep.id)).all()}
    for entry in session.exec(select(FeedEntry).where(FeedEntry.paper_id == other.id)).all():
        if (entry.source, entry.day) not in days:
            entry.paper_id = keep.id
            session.add(entry)
    session.flush()
    plan.aliases = [other.key, *aliases_of(session, paper_id=other.id)]
    move_aliases(session, from_id=other.id, to_id=keep.id)
    starred, rating = bool(other.starred), other.rating
    other_key = other.key
    # Remove the other paper first: its arXiv id and DOI are unique.
    session.execute(delete(PaperTag).where(col(PaperTag.paper_id) == other.id))
    session.delete(other)
    session.flush()
    for name, value in take.items():
        setattr(keep, name, value)
    keep.extra_fields = extra
    if starred and not keep.starred:
        keep.starred = True
    if keep.rating is None and rating is not None:
        keep.rating = rating
        plan.taken.append(("rating", rating))
    if "authors" in dict(plan.taken):
        _set_authors(session, paper_id=keep.id, authors=other_authors)
    add_aliases(session, paper_id=keep.id, aliases=[other_key])
    _touch(session, keep)
    return plan
