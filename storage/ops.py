"""The library's operations. Each takes a session (from :class:`storage.db.Library`) and
keyword arguments; the caller decides the unit of work (one ``Library.action`` per user command).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from reader.errors import BadInput
from reader.record import PaperRecord, normalise_doi, split_arxiv_id
from storage.aliases import file_key_problem, paper_by_alias
from storage.backend import defer_constraints, ids_given, is_sqlite, keys_from
from storage.db import utcnow
from storage.errors import UnknownNote, UnknownPaper
from storage.identity import Described, by_identifier, by_title, contradictions
from storage.keys import base_key, check_key, unique_key
from storage.models import STATUSES, FeedEntry, Note, Paper, PaperAlias, PaperAuthor, PaperTag, Tag
from storage.provenance import COLUMN_FIELDS, FieldChange, describe, empty, is_plain_extra, to_json
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
    # The fields the merge changed, and the user's fields the record disagreed with (left as
    # they are; the record's values are kept in the paper's ``source_values``).
    changes: list[FieldChange] = dataclasses.field(default_factory=list)
    kept: list[FieldChange] = dataclasses.field(default_factory=list)
    # Why the record was taken for this paper (``same DOI ...``), when it was merged into one.
    reason: str | None = None
    # Papers the record may describe but was not merged into: (key, reason), e.g.
    # ("KhalafKL07", "same title, years 2008 and 2007").
    possible: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # The record's own key, kept as an alias of the paper it was merged into.
    alias: str | None = None

    @property
    def key_changed(self) -> bool:
        return self.wanted_key is not None and self.wanted_key != self.paper.key

    def describe(self) -> str:
        """What the merge did to the paper, field by field: ``year 2017 -> 2023``, ``kept your
        year 2017 (source: 2023)``, or ``no change``."""
        if self.outcome == "new":
            return "new"
        return describe(self.changes, self.kept)


# ---------------------------------------------------------------- finding papers


def find_paper(session: Session, *, ref: str | int) -> Paper:
    """A paper by citation key, numeric id, arXiv id (any version, old style too, with an
    ``arXiv:`` prefix, as an arxiv.org link or as the arXiv DOI) or DOI (also as a doi.org
    link), tried in that order."""
    text = str(ref).strip()
    paper = session.exec(select(Paper).where(col(Paper.key).in_({str(ref), text}))).first()
    if paper is None and text.isascii() and text.isdigit() and len(text) < 19:  # an SQLite int
        paper = session.get(Paper, int(text))
    if paper is None and text:  # another key of a paper (an entry merged into it)
        paper = paper_by_alias(session, text)
    if paper is None and text:
        arxiv = split_arxiv_id(_ARXIV_LINK.sub("", text).removesuffix(".pdf"))
        if arxiv is not None:
            paper = session.exec(select(Paper).where(Paper.arxiv_id == arxiv[0])).first()
        if paper is None:
            doi = normalise_doi(text)
            if doi and doi.startswith("10."):
                paper = session.exec(select(Paper).where(Paper.doi == doi)).first()
    if paper is None:
        raise UnknownPaper(text)
    return paper


_ARXIV_LINK = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/",
                         re.IGNORECASE)


def find_match(session: Session, *, record: PaperRecord) -> Paper | None:
    """The paper ``record`` describes, if the library has it (the rules are in
    :mod:`storage.identity`: a shared arXiv id or DOI with nothing contradicting it, or title,
    authors, year, venue and entry type agreeing)."""
    match = match_record(session, record=record)
    return session.get(Paper, match.pid) if match.pid is not None else None


@dataclass
class Match:
    """Which paper a record is (``pid``, with the reason), and the papers it may be but is not
    certainly (id, key, reason)."""

    pid: int | None = None
    reason: str | None = None
    possible: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)


_INFO_COLUMNS = ("SELECT id, key, title_norm, arxiv_id, doi, year, entry_type, venue, source, "
                 "json_extract(extra_fields, '$.pages'), "
                 "json_extract(extra_fields, '$.\"original doi\"'), "
                 "json_extract(extra_fields, '$.volume'), "
                 "json_extract(extra_fields, '$.number') FROM paper")


def _info(row: Sequence[Any]) -> tuple[int, str, Described]:
    pid, key, norm, arxiv_id, doi, year, entry_type, venue, source, pages, raw_doi, volume, \
        number = row
    if not doi and isinstance(raw_doi, str):
        doi = normalise_doi(raw_doi)
    return int(pid), str(key), Described(
        title_norm=norm or "", arxiv_id=arxiv_id, doi=doi, year=year, entry_type=entry_type,
        venue=venue, pages=_text(pages), source=source, volume=_text(volume),
        number=_text(number))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def describe_record(record: PaperRecord, norm: str | None = None) -> Described:
    extra = record.extra_fields or {}
    return Described(
        title_norm=normalise_title(record.title) if norm is None else norm,
        authors=list(record.authors), arxiv_id=record.arxiv_id, doi=record.doi,
        year=record.year, entry_type=record.entry_type, venue=record.venue,
        pages=_text(extra.get("pages")), source=record.source, volume=_text(extra.get("volume")),
        number=_text(extra.get("number")))


def decide(rec: Described, record_key: str | None,
           candidates: Iterable[tuple[str, str, int, str, Described]]) -> Match:
    """The match among ``candidates`` (channel: ``arxiv``, ``doi``, ``key`` or ``title``; the
    value shared; paper id, key and description, authors filled): the first that is certainly
    the same work, and the possible duplicates seen before it is found (or all of them)."""
    match = Match()
    seen: set[int] = set()
    for channel, value, pid, key, paper in candidates:
        if pid in seen:
            continue
        seen.add(pid)
        if channel in ("arxiv", "doi"):
            verdict, reason = by_identifier(rec, paper, by=channel, value=value)
        elif channel == "key":
            verdict, reason = by_title(rec, paper)
            if verdict != "same" and rec.title_norm == paper.title_norm and not [
                    c for c in contradictions(rec, paper, by="key")]:
                verdict, reason = "same", f"same key {value} and title"
            elif verdict != "same":
                seen.discard(pid)  # the title channel may still report it
                continue
        else:
            verdict, reason = by_title(rec, paper)
        if verdict == "same":
            match.pid, match.reason = pid, reason
            match.possible = [p for p in match.possible if p[0] != pid]
            return match
        if verdict == "possible":
            match.possible.append((pid, key, reason))
    return match


def match_record(session: Session, *, record: PaperRecord) -> Match:
    """:func:`find_match` with the reason and the possible duplicates (a few queries)."""
    rec = describe_record(record)
    conn = session.connection()

    def rows(where: str, params: tuple[Any, ...]) -> list[tuple[int, str, Described]]:
        return [_info(r) for r in conn.exec_driver_sql(f"{_INFO_COLUMNS} WHERE {where} "
                                                        "ORDER BY id", params).all()]

    def with_authors(found: list[tuple[int, str, Described]]) -> list[tuple[int, str, Described]]:
        """The candidates with their authors, in two queries however many there are (many
        papers may share a title: a query per candidate made a pull quadratic): the first
        authors, then the full lists of those whose first author is the record's (only they
        need the whole list compared)."""
        if not found:
            return found
        ids = [pid for pid, _, _ in found]
        marks = ",".join("?" * len(ids))
        first: dict[int, str] = dict(conn.exec_driver_sql(
            f"SELECT paper_id, name FROM paper_author WHERE position = 0 AND paper_id IN "
            f"({marks})", tuple(ids)).all())
        wanted = last_name(record.authors[0]) if record.authors else None
        full = [pid for pid in ids if pid in first and last_name(first[pid]) == wanted]
        lists: dict[int, list[str]] = {}
        if full:
            for pid, name in conn.exec_driver_sql(
                    f"SELECT paper_id, name FROM paper_author WHERE paper_id IN "
                    f"({','.join('?' * len(full))}) ORDER BY paper_id, position", tuple(full)):
                lists.setdefault(pid, []).append(name)
        for pid, _, d in found:
            d.authors = lists.get(pid) or ([first[pid]] if pid in first else [])
        return found

    candidates: list[tuple[str, str, int, str, Described]] = []
    if record.arxiv_id:
        candidates += [("arxiv", record.arxiv_id, *r)
                       for r in with_authors(rows("arxiv_id = ?", (record.arxiv_id,)))]
    if record.doi:
        split = split_arxiv_id(record.doi)
        if split:
            candidates += [("arxiv", split[0], *r)
                           for r in with_authors(rows("arxiv_id = ?", (split[0],)))]
        candidates += [("doi", record.doi, *r) for r in with_authors(rows(
            "doi = ? OR (doi IS NULL AND lower(json_extract(extra_fields, "
            "'$.\"original doi\"')) = ?)", (record.doi, record.doi)))]
    if record.key:
        found = rows("key = ?", (record.key,))
        alias = paper_by_alias(session, record.key)
        if alias is not None:
            found += rows("id = ?", (alias.id,))
        candidates += [("key", record.key, *r) for r in with_authors(found)]
    if rec.title_norm:
        candidates += [("title", rec.title_norm, *r)
                       for r in with_authors(rows("title_norm = ?", (rec.title_norm,)))]
    return decide(rec, record.key, candidates)


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
    """Whether a paper has ``key``, as its key or as another key of it (an alias), ignoring
    case (BibTeX does)."""
    return session.connection().exec_driver_sql(
        "SELECT 1 FROM paper WHERE key = ? COLLATE NOCASE UNION ALL "
        "SELECT 1 FROM paper_alias WHERE alias = ? COLLATE NOCASE LIMIT 1",
        (key, key)).first() is not None


def _keys_from(session: Session, base: str) -> set[str]:
    """The keys in use that start with ``base`` ignoring case, lower-cased (the candidates of
    :func:`unique_key`), in one query rather than one per suffix tried."""
    if not is_sqlite(session):
        return keys_from(session.connection(), base)
    # Keys: a range of the case-insensitive indexes (schema 5's, and schema 7's of the case
    # twins it leaves out); every key that starts with base, ignoring (ASCII) case, lies
    # between base and base + the last code point. Aliases are few: a scan.
    low, high = base.lower(), base.lower() + "\U0010ffff"
    pattern = "".join(f"[{c}]" if c in "*?[" else c for c in base.lower()) + "*"
    return set(session.connection().exec_driver_sql(
        KEYS_FROM_SQL, (low, high, low, high, pattern)).scalars())


KEYS_FROM_SQL = (
    "SELECT lower(key) FROM paper WHERE key_case_twin IS NULL "
    "AND key >= ? COLLATE NOCASE AND key < ? COLLATE NOCASE UNION "
    "SELECT lower(key) FROM paper WHERE key_case_twin IS NOT NULL "
    "AND key >= ? COLLATE NOCASE AND key < ? COLLATE NOCASE UNION "
    "SELECT lower(alias) FROM paper_alias WHERE lower(alias) GLOB ?")


# ---------------------------------------------------------------- merging records


def _set_authors(session: Session, *, paper_id: int, authors: Sequence[str]) -> None:
    session.execute(delete(PaperAuthor).where(col(PaperAuthor.paper_id) == paper_id))
    session.flush()
    for position, name in enumerate(authors):
        session.add(PaperAuthor(paper_id=paper_id, position=position, name=name))


def merge_record(
    session: Session, *, record: PaperRecord, status: str = "inbox", now: datetime | None = None,
    by_user: bool = False,
) -> MergeResult:
    """Bring ``record`` into the library: refresh the matching paper's source fields, or add a
    new paper with a fresh key. Tags, notes, status, star, rating and key of an existing paper
    are never touched, nor are the fields the user set (see :mod:`storage.provenance`).
    ``by_user``: the record is what the user typed (``add --title``): its fields become the
    user's."""
    if not record.title:
        raise BadInput("a paper needs a title")
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r} (use one of: {', '.join(STATUSES)})")
    now = now or utcnow()
    match = match_record(session, record=record)
    possible = [(key, reason) for _, key, reason in match.possible]
    if match.pid is None:
        if record.arxiv_id and _identity_taken(session, "arxiv_id", record.arxiv_id):
            # An entry's arXiv id that another work holds (a copied eprint): the id stays in the
            # entry's own fields, not in the paper's identity.
            arxiv_doi = bool(record.doi and split_arxiv_id(record.doi))
            record = dataclasses.replace(record, arxiv_id=None, arxiv_version=None,
                                         doi=None if arxiv_doi else record.doi)
        result = _insert(session, record=record, status=status, now=now, by_user=by_user)
        result.possible = possible
        return result
    paper = session.get(Paper, match.pid)
    assert paper is not None
    have = authors_of(session, paper_id=match.pid)
    other_entry = bool(record.key) and record.key != paper.key
    result = refresh_paper(session, paper=paper,
                           record=fill_only(record, paper, have) if other_entry else record,
                           now=now, have=have, by_user=by_user)
    result.reason, result.possible = match.reason, possible
    if other_entry and record.key and file_key_problem(record.key) is None:
        from storage.aliases import add_aliases
        if add_aliases(session, paper_id=match.pid, aliases=[record.key]):
            result.alias = record.key
            result.outcome = "updated"
    return result


def fill_only(record: PaperRecord, paper: Paper | dict[str, Any], have: Sequence[str]) -> PaperRecord:
    """What ``record`` (another entry of the same work) adds to ``paper``: the fields the paper
    lacks, nothing it has (so a merged entry never makes the paper a chimera of the two)."""
    def current(name: str) -> Any:
        return paper.get(name) if isinstance(paper, dict) else getattr(paper, name)

    values: dict[str, Any] = {}
    users = set(current("user_fields") or [])
    for name in SOURCE_FIELDS:
        if name in users:
            continue  # the user's: the refresh keeps it and notes where this entry disagrees
        now_value = current(name)
        if now_value is not None and now_value != [] and now_value != "":
            values[name] = [] if name in ("categories", "ai_keywords") else None
    if "title" not in users:
        values["title"] = ""  # the title a paper has is never replaced by another entry's
    # A fuller author list of the same work is taken (as a refresh takes it); a shorter or
    # equal one never replaces the paper's.
    authors = list(record.authors) if len(record.authors) > len(have) else []
    return dataclasses.replace(record, **values, authors=authors, extra_fields={})


def _identity_taken(session: Session, name: str, value: Any) -> bool:
    return session.exec(select(Paper.id).where(getattr(Paper, name) == value)).first() is not None


def user_fields_of(record: PaperRecord) -> list[str]:
    """The fields a record typed by the user sets (they become the user's)."""
    names = [name for name in COLUMN_FIELDS if not empty(getattr(record, name))]
    names += [name for name, value in record.extra_fields.items()
              if is_plain_extra(name) and not empty(value)]
    return sorted(names)


def refresh_paper(
    session: Session, *, paper: Paper, record: PaperRecord, now: datetime | None = None,
    have: list[str] | None = None, identity_taken: Callable[[str, Any], bool] | None = None,
    by_user: bool = False,
) -> MergeResult:
    """Refresh ``paper``'s source fields from ``record`` (the second half of
    :func:`merge_record`, for a caller that already knows which paper ``record`` is).
    ``have`` (the paper's authors) and ``identity_taken`` spare queries in batch merges.

    Empty fields are filled and the source's fields refreshed; a field the user set is left as
    it is and, when the record disagrees, the record's value is kept in ``source_values`` (the
    result's ``kept``). With ``by_user`` the record is the user's: its fields replace what is
    there and become the user's."""
    now = now or utcnow()
    taken = identity_taken or (lambda name, value: _identity_taken(session, name, value))
    user = set(paper.user_fields or [])
    pending = dict(paper.source_values or {})
    changes: list[FieldChange] = []
    kept: list[FieldChange] = []
    changed = False

    def disagree(name: str, current: Any, value: Any) -> None:
        entry = {"value": to_json(value), "source": record.source}
        if pending.get(name) != entry:
            pending[name] = entry
        kept.append(FieldChange(name, current, value))

    for name in SOURCE_FIELDS:
        value = getattr(record, name)
        if value is None or value == [] or value == "":
            continue
        current = getattr(paper, name)
        if current == value:
            pending.pop(name, None)  # the source agrees with the user now
            if by_user and name in COLUMN_FIELDS:
                user.add(name)
            continue
        if name == "arxiv_version" and current is not None and value < current:
            continue
        if name in user and not by_user:
            disagree(name, current, value)
            continue
        if name in ("arxiv_id", "doi"):
            if current is not None:
                continue  # identity fields are filled, never replaced
            if taken(name, value):
                continue
        setattr(paper, name, value)
        changed = True
        if name in COLUMN_FIELDS:
            changes.append(FieldChange(name, current, value))
            pending.pop(name, None)
            if by_user:
                user.add(name)
    if paper.title and normalise_title(paper.title) != paper.title_norm:
        paper.title_norm = normalise_title(paper.title)
        changed = True
    if record.extra_fields:
        extra = dict(paper.extra_fields or {})
        for k, v in record.extra_fields.items():
            plain = is_plain_extra(k)
            if extra.get(k) == v:
                if plain:
                    pending.pop(k, None)
                    if by_user:
                        user.add(k)
                continue
            if plain and k in user and not by_user:
                disagree(k, extra.get(k), v)
                continue
            if plain:
                changes.append(FieldChange(k, extra.get(k), v))
                pending.pop(k, None)
                if by_user:
                    user.add(k)
            extra[k] = v
            changed = True
        paper.extra_fields = extra
    if have is None:
        have = authors_of(session, paper_id=_id(paper))
    if record.authors and have != list(record.authors):
        if "authors" in user and not by_user:
            disagree("authors", have, list(record.authors))
        elif by_user or len(record.authors) >= len(have):
            # A shorter list from a source (a page's first author, "and others") never
            # replaces a fuller one.
            _set_authors(session, paper_id=_id(paper), authors=record.authors)
            changes.append(FieldChange("authors", list(have), list(record.authors)))
            pending.pop("authors", None)
            changed = True
            if by_user:
                user.add("authors")
    elif record.authors:
        pending.pop("authors", None)
        if by_user:
            user.add("authors")
    bookkeeping = False
    if sorted(user) != sorted(paper.user_fields or []):
        paper.user_fields = sorted(user)
        bookkeeping = True
    if pending != (paper.source_values or {}):
        paper.source_values = pending
        bookkeeping = True
    if changed:
        paper.modified = now
    if changed or bookkeeping:
        session.add(paper)
        session.flush()
    return MergeResult(paper, "updated" if changed else "unchanged", changes=changes, kept=kept)


def _insert(session: Session, *, record: PaperRecord, status: str, now: datetime,
            by_user: bool = False) -> MergeResult:
    wanted: str | None = None
    if record.key and file_key_problem(record.key) is None:
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
        user_fields=user_fields_of(record) if by_user else [],
        source_values={},
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
    """What :func:`match_record` asks the database, held in memory for a batch merge."""

    def __init__(self, session: Session) -> None:
        self.by_arxiv: dict[str, list[int]] = {}
        self.by_doi: dict[str, list[int]] = {}
        self.by_title: dict[str, list[int]] = {}
        self.by_key: dict[str, int] = {}  # keys and aliases
        self.info: dict[int, tuple[str, Described]] = {}
        self.keys: set[str] = set()  # every key and alias in use
        self.columns: dict[int, tuple[str | None, str | None]] = {}  # arxiv_id, doi columns
        for row in session.connection().exec_driver_sql(f"{_INFO_COLUMNS} ORDER BY id"):
            pid, key, described = _info(row)
            self.columns[pid] = (row[3], row[4])
            self.add(pid, key, described)
        for alias, pid in session.connection().exec_driver_sql(
                "SELECT alias, paper_id FROM paper_alias"):
            self.keys.add(alias.lower())
            self.by_key.setdefault(alias, pid)

    def add(self, pid: int, key: str, described: Described) -> None:
        self.info[pid] = (key, described)
        self.keys.add(key.lower())
        self.by_key[key] = pid
        self._index(pid, described)

    def _index(self, pid: int, d: Described) -> None:
        if d.arxiv_id and pid not in self.by_arxiv.get(d.arxiv_id, []):
            self.by_arxiv.setdefault(d.arxiv_id, []).append(pid)
        if d.doi and pid not in self.by_doi.get(d.doi, []):
            self.by_doi.setdefault(d.doi, []).append(pid)
        if pid not in self.by_title.get(d.title_norm, []):
            bisect.insort(self.by_title.setdefault(d.title_norm, []), pid)

    def refresh(self, paper: Paper) -> None:
        pid = _id(paper)
        key, old = self.info[pid]
        if old.title_norm != paper.title_norm:
            pids = self.by_title.get(old.title_norm, [])
            if pid in pids:
                pids.remove(pid)
        raw_doi = (paper.extra_fields or {}).get("original doi")
        described = Described(
            title_norm=paper.title_norm, arxiv_id=paper.arxiv_id,
            doi=paper.doi or (normalise_doi(raw_doi) if isinstance(raw_doi, str) else None),
            year=paper.year, entry_type=paper.entry_type, venue=paper.venue,
            pages=_text((paper.extra_fields or {}).get("pages")), source=paper.source,
            volume=_text((paper.extra_fields or {}).get("volume")),
            number=_text((paper.extra_fields or {}).get("number")))
        self.info[pid] = (paper.key, described)
        self.columns[pid] = (paper.arxiv_id, paper.doi)
        self._index(pid, described)

    def candidate_ids(self, record: PaperRecord, norm: str) -> list[int]:
        out: list[int] = []
        if record.arxiv_id:
            out += self.by_arxiv.get(record.arxiv_id, [])
        if record.doi:
            out += self.by_doi.get(record.doi, [])
            split = split_arxiv_id(record.doi)
            if split:
                out += self.by_arxiv.get(split[0], [])
        if record.key and record.key in self.by_key:
            out.append(self.by_key[record.key])
        if norm:
            out += self.by_title.get(norm, [])
        return out

    def match(self, record: PaperRecord, norm: str,
              authors: Callable[[int], list[str]]) -> Match:
        """The same answer as :func:`match_record`, from memory (``norm``: the record's
        normalised title; ``authors``: a paper's authors, by id)."""
        rec = describe_record(record, norm)

        def described(channel: str, value: str, pids: Iterable[int]) -> Iterable[
                tuple[str, str, int, str, Described]]:
            for pid in pids:
                key, d = self.info[pid]
                d.authors = authors(pid)
                yield channel, value, pid, key, d

        def candidates() -> Iterable[tuple[str, str, int, str, Described]]:
            if record.arxiv_id:
                yield from described("arxiv", record.arxiv_id,
                                     self.by_arxiv.get(record.arxiv_id, []))
            if record.doi:
                split = split_arxiv_id(record.doi)
                if split:
                    yield from described("arxiv", split[0], self.by_arxiv.get(split[0], []))
                yield from described("doi", record.doi, self.by_doi.get(record.doi, []))
            if record.key and record.key in self.by_key:
                yield from described("key", record.key, [self.by_key[record.key]])
            if norm:
                yield from described("title", norm, list(self.by_title.get(norm, [])))

        return decide(rec, record.key, candidates())

    def identity_taken(self, name: str, value: Any) -> bool:
        column = 0 if name == "arxiv_id" else 1
        pids = (self.by_arxiv if name == "arxiv_id" else self.by_doi).get(value, [])
        return any(self.columns.get(pid, (None, None))[column] == value for pid in pids)


# Fields that name another entry by key (biblatex's xref and related, BibTeX's crossref).
KEY_FIELDS = ("crossref", "xref", "related")


def _follow_keys(record: PaperRecord, renamed: dict[str, str]) -> PaperRecord:
    """``record`` with its crossref, xref and related fields naming the keys the entries they
    point to have in the library (when the file's key could not be kept)."""
    if not renamed or not record.extra_fields:
        return record
    extra = dict(record.extra_fields)
    changed = False
    for name in KEY_FIELDS:
        value = extra.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        parts = [p.strip() for p in value.split(",")] if name == "related" else [value.strip()]
        new_parts = [renamed.get(p.lower(), p) for p in parts]
        if new_parts != parts:
            extra[name] = ",".join(new_parts) if name == "related" else new_parts[0]
            changed = True
    return dataclasses.replace(record, extra_fields=extra) if changed else record


def _targets_first(records: Sequence[PaperRecord], early: Callable[[int], bool]) -> list[int]:
    """The order to merge ``records`` in: the file's order, except that entries other entries
    point to (crossref, xref, related) whose key may not be kept (``early``: taken already, or
    the entry may be a paper the library has) come first, so the keys they end up with are
    known when their children are merged."""
    targets: set[str] = set()
    for record in records:
        for name in KEY_FIELDS:
            value = (record.extra_fields or {}).get(name)
            if isinstance(value, str):
                targets.update(p.strip().lower() for p in value.split(",") if p.strip())
    if not targets:
        return list(range(len(records)))
    first = [i for i, r in enumerate(records)
             if r.key and r.key.lower() in targets and early(i)]
    chosen = set(first)
    return first + [i for i in range(len(records)) if i not in chosen]


def merge_records(
    session: Session, *, records: Sequence[PaperRecord], status: str = "inbox",
    now: datetime | None = None,
) -> list[MergeResult]:
    """:func:`merge_record` for each record (same matches, keys and outcomes, also between
    records of the same batch), fast enough for imports of thousands of papers: the matching
    runs on an in-memory index and new papers are inserted in bulk, not one ORM object at a
    time. Entries that crossref/xref others are merged after them, and follow their keys when
    those cannot be kept. Results are in the order of ``records``."""
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

    # The papers the batch may match, in a few queries rather than one per record.
    load(sorted({pid for r, n in zip(records, norms, strict=True)
                 for pid in index.candidate_ids(r, n)}))

    def authors_for(pid: int) -> list[str]:
        if pid not in authors:
            load([pid])
        return authors[pid]

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

    # (paper id, outcome, wanted key, reason, possible, alias) per record, or a full result.
    outcomes: dict[int, tuple[int, Outcome, str | None, list[tuple[str, str]]]] = {}
    updated: dict[int, MergeResult] = {}
    renamed: dict[str, str] = {}  # a file's key (lower case) -> the key its paper has
    def early(i: int) -> bool:
        key = records[i].key
        return bool(key and key.lower() in index.keys) or bool(
            index.candidate_ids(records[i], norms[i]))

    for i in _targets_first(records, early):
        record = _follow_keys(records[i], renamed)
        norm = norms[i]
        match = index.match(record, norm, authors_for)
        possible = [(key, reason) for _, key, reason in match.possible]
        pid = match.pid
        if pid is not None:
            if pid in pending_ids:
                flush_pending()
            if pid not in loaded:
                load([pid])
            paper = loaded[pid]
            have = authors.get(pid, [])
            other_entry = bool(record.key) and record.key != paper.key
            result = refresh_paper(
                session, paper=paper,
                record=fill_only(record, paper, have) if other_entry else record,
                now=now, have=have, identity_taken=index.identity_taken)
            if result.outcome == "updated":
                authors[pid] = authors_of(session, paper_id=pid)
            index.refresh(paper)
            result.reason, result.possible = match.reason, possible
            if other_entry and record.key:
                if index.by_key.get(record.key) == pid:
                    pass  # already an alias of this paper
                elif record.key.lower() not in index.keys and file_key_problem(record.key) is None:
                    conn.execute(PaperAlias.__table__.insert(),  # type: ignore[attr-defined]
                                 [{"alias": record.key, "paper_id": pid}])
                    index.keys.add(record.key.lower())
                    index.by_key[record.key] = pid
                    result.alias = record.key
                    result.outcome = "updated"
                else:
                    renamed[record.key.lower()] = paper.key
            updated[i] = result
            continue
        wanted: str | None = None
        if record.key and file_key_problem(record.key) is None:
            wanted = record.key
            key = unique_key(record.key, lambda k: k.lower() in index.keys)
        else:
            key = unique_key(base_key(record.authors, record.year, record.title),
                             lambda k: k.lower() in index.keys)
        if record.key and key != record.key:
            renamed[record.key.lower()] = key
        values: dict[str, Any] = {name: getattr(record, name) for name in SOURCE_FIELDS}
        if values["doi"] and index.identity_taken("doi", values["doi"]):
            values["doi"] = None
        if values["arxiv_id"] and index.identity_taken("arxiv_id", values["arxiv_id"]):
            # An entry's arXiv id another work holds (a copied eprint): kept in its fields only.
            values["arxiv_id"] = values["arxiv_version"] = None
            if values["doi"] and split_arxiv_id(values["doi"]):
                values["doi"] = None
        new_id = next_id
        next_id += 1
        pending_papers.append(dict(
            values, id=new_id, key=key, title_norm=norm, source=record.source,
            extra_fields=dict(record.extra_fields), user_fields=[], source_values={},
            status=status, starred=False, rating=None,
            added=now, modified=now, read_at=now if status == "read" else None))
        pending_authors.extend({"paper_id": new_id, "position": pos, "name": name}
                               for pos, name in enumerate(record.authors))
        pending_ids.add(new_id)
        authors[new_id] = list(record.authors)
        rec = describe_record(record, norm)
        rec.authors = []
        raw_doi = record.extra_fields.get("original doi")
        rec.doi = values["doi"] or (normalise_doi(raw_doi) if isinstance(raw_doi, str) else None)
        rec.arxiv_id = values["arxiv_id"]
        index.add(new_id, key, rec)
        index.columns[new_id] = (values["arxiv_id"], values["doi"])
        outcomes[i] = (new_id, "new", wanted, possible)
    flush_pending()
    if outcomes:
        ids_given(conn, "paper")
    load(sorted({pid for pid, _, _, _ in outcomes.values()} - set(loaded)))
    out: list[MergeResult] = []
    for i in range(len(records)):
        if i in updated:
            out.append(updated[i])
        else:
            pid, outcome, wanted, possible = outcomes[i]
            out.append(MergeResult(loaded[pid], outcome, wanted, possible=possible))
    return out


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
    """Every tag and the papers it is on, dismissed papers aside: the number its view lists
    (the sidebar, the stats screen and ``papershelf tags`` count the same way)."""
    rows = session.exec(
        select(Tag.name, func.count(col(Paper.id)))
        .join(PaperTag, col(PaperTag.tag_id) == Tag.id, isouter=True)
        .join(Paper, (col(Paper.id) == col(PaperTag.paper_id)) & (col(Paper.status) != "dismissed"),
              isouter=True)
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


def add_note(session: Session, *, paper: Paper, body: str, quote: str | None = None,
             author: str | None = None) -> Note:
    if not body.strip() and not (quote and quote.strip()):
        raise BadInput("a note needs some text")
    now = utcnow()
    note = Note(paper_id=_id(paper), body=body, quote=quote or None, created=now, updated=now,
                author=author)
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


# ---------------------------------------------------------------- several papers at once


def inbox_of_day(session: Session, *, day: str) -> list[int]:
    """The papers of ``day``'s feed that are still in the inbox (untriaged)."""
    return [int(r[0]) for r in session.connection().exec_driver_sql(
        "SELECT DISTINCT p.id FROM feed_entry f JOIN paper p ON p.id = f.paper_id "
        "WHERE f.day = ? AND p.status = 'inbox' ORDER BY p.id", (day,))]


def dismiss_day(session: Session, *, day: str) -> int:
    """Dismiss every paper of ``day``'s feed still in the inbox. Returns how many."""
    ids = inbox_of_day(session, day=day)
    for pid in ids:
        set_status(session, paper=find_paper(session, ref=pid), status="dismissed")
    return len(ids)


def set_status_many(session: Session, *, ids: Sequence[int], status: str) -> int:
    """Set the status of several papers; returns how many changed."""
    changed = 0
    for pid in ids:
        paper = find_paper(session, ref=pid)
        if paper.status != status:
            set_status(session, paper=paper, status=status)
            changed += 1
    return changed


def set_starred_many(session: Session, *, ids: Sequence[int], starred: bool) -> int:
    """Star or unstar several papers; returns how many changed."""
    changed = 0
    for pid in ids:
        paper = find_paper(session, ref=pid)
        if paper.starred != starred:
            set_starred(session, paper=paper, starred=starred)
            changed += 1
    return changed


def tag_many(session: Session, *, ids: Sequence[int], add: Sequence[str],
             remove: Sequence[str]) -> int:
    """Add and remove tags on several papers; returns how many papers changed."""
    changed = 0
    for pid in ids:
        if change_tags(session, paper=find_paper(session, ref=pid), add=add, remove=remove):
            changed += 1
    return changed


def remove_many(session: Session, *, ids: Sequence[int]) -> int:
    """Remove several papers with their notes and tags; returns how many."""
    for pid in ids:
        remove_paper(session, paper=find_paper(session, ref=pid))
    return len(ids)


def undo_last(session: Session) -> str | None:
    """Revert the newest undo step. Returns its description, or ``None`` when there is none."""
    conn = session.connection()
    row = conn.exec_driver_sql(
        "SELECT id, description FROM undo_action WHERE NOT open ORDER BY id DESC LIMIT 1"
    ).first()
    if row is None:
        return None
    action_id, description = row
    statements = conn.exec_driver_sql(
        "SELECT statement FROM undo_entry WHERE action_id = ? ORDER BY id DESC", (action_id,)
    ).all()
    defer_constraints(conn)
    for (statement,) in statements:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("DELETE FROM undo_entry WHERE action_id = ?", (action_id,))
    conn.exec_driver_sql("DELETE FROM undo_action WHERE id = ?", (action_id,))
    session.expire_all()
    return str(description)


def undo_history(session: Session, *, limit: int = 20) -> list[tuple[int, str, str]]:
    rows = session.connection().exec_driver_sql(
        "SELECT id, description, created FROM undo_action WHERE NOT open ORDER BY id DESC LIMIT ?",
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


def count_papers(session: Session) -> int:
    """How many papers the library holds, dismissed ones included."""
    return int(session.exec(select(func.count()).select_from(Paper)).one())


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


def paper_url(paper: Paper) -> str | None:
    """The paper's page (see :func:`storage.details.paper_url`)."""
    from storage.details import paper_url as url

    return url(paper)


def paper_dict(session: Session, *, paper: Paper) -> dict[str, Any]:
    """Deprecated shim, kept while the app's detail pane still takes a dict: the paper as
    :mod:`tui.services.json_shapes` shapes it (a test checks the two agree). New code reads
    :func:`storage.details.paper_details` and renders with ``json_shapes``."""
    from storage.details import paper_detail

    detail = paper_detail(session, paper_id=_id(paper))
    data: dict[str, Any] = {}
    for name in _DETAIL_FIELDS:
        value = getattr(detail, name)
        if isinstance(value, datetime):
            value = value.isoformat(timespec="seconds") + "Z"
        elif isinstance(value, date):
            value = value.isoformat()
        elif name == "notes":
            value = [{"id": n.id, "body": n.body, "quote": n.quote,
                      "created": n.created.isoformat(timespec="seconds") + "Z",
                      "updated": n.updated.isoformat(timespec="seconds") + "Z",
                      "author": n.author} for n in value]
        elif isinstance(value, list):
            value = list(value)
        data[name] = value
    return data


_DETAIL_FIELDS = (
    "id", "key", "title", "authors", "year", "published", "arxiv_id", "doi", "url", "status",
    "starred", "rating", "tags", "notes", "upvotes", "added", "abstract", "venue", "entry_type",
    "arxiv_version", "primary_category", "url_pdf", "url_code", "url_project", "comments",
    "ai_summary", "ai_keywords", "updated", "modified", "read_at", "source",
)


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
