"""What differs between the engines a library runs on, in one place, chosen by the dialect of
the connection (an attribute, never a query: SQLite's paths cost nothing more).

The store's SQL is shared; where an engine needs its own, the caller asks here:
:func:`is_sqlite`, and the PostgreSQL forms of the few statements that differ (the keys with a
prefix, case clashes, constraint deferral, the ids behind an explicit-id insert). The search on
PostgreSQL is :func:`pg_search`, the hook :func:`storage.search.search` hands over to: until
PostgreSQL has its own index (tsvector, pg_trgm), it is a plain, portable query (every word
found, ignoring case and accents, in the title, authors, tags, abstract or notes; the same qualifiers;
title matches first, then newest), with no typo tolerance or fuzzy ranking.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, false, func, not_, or_, true
from sqlmodel import Session, col, select

from storage.migrations import V2_LETTERS
from storage.models import FeedEntry, Note, Paper, PaperAuthor, PaperTag, Tag

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from storage.search import SearchResult


def dialect_of(bind: Session | Connection) -> str:
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def is_sqlite(bind: Session | Connection) -> bool:
    return dialect_of(bind) == "sqlite"


def keys_from(conn: Connection, base: str) -> set[str]:
    """PostgreSQL's :func:`storage.ops._keys_from`: the keys and aliases that start with
    ``base`` ignoring case, lower-cased."""
    pattern = "".join("\\" + c if c in "\\%_" else c for c in base.lower()) + "%"
    return {str(k) for k in conn.exec_driver_sql(
        "SELECT lower(key) FROM paper WHERE lower(key) LIKE ? UNION "
        "SELECT lower(alias) FROM paper_alias WHERE lower(alias) LIKE ?",
        (pattern, pattern)).scalars()}


def defer_constraints(conn: Connection) -> None:
    """Foreign keys checked at commit, not per statement (undo restores rows in any order)."""
    if is_sqlite(conn):
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    else:
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")


def ids_given(conn: Connection, table: str) -> None:
    """After rows were inserted with ids chosen by the store: PostgreSQL's identity sequence
    moves past them (SQLite needs nothing: its next rowid is the largest plus one)."""
    if not is_sqlite(conn):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


def key_case_clashes(conn: Connection) -> list[str]:
    """Citation keys that differ only in case, on any engine (see storage.db)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for pid, key in conn.exec_driver_sql(
            "SELECT id, key FROM paper WHERE lower(key) IN (SELECT lower(key) FROM paper "
            "GROUP BY lower(key) HAVING count(*) > 1) ORDER BY id"):
        groups.setdefault(str(key).lower(), []).append((int(pid), str(key)))
    return [
        "citation keys " + ", ".join(f"'{key}' (paper {pid})" for pid, key in group)
        + " differ only in case (BibTeX takes them as one key): rename all but one with "
          "'papershelf key KEY NEW_KEY'"
        for group in groups.values()]


# ---------------------------------------------------------------- the portable search


def _like(text: str) -> str:
    return "%" + "".join("\\" + c if c in "\\%_" else c for c in text) + "%"


def _accents() -> tuple[str, str]:
    """Lower-case Latin letters with an accent, and their plain letters (the query's words
    come folded: storage.query.index_words)."""
    accented, plain = [], []
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = unicodedata.normalize("NFKD", ch)[0]
        if ch.lower() == ch and base != ch and base.isascii() and base.isalpha():
            accented.append(ch)
            plain.append(base.lower())
    for old, new in V2_LETTERS:  # letters Unicode does not decompose (ø, ł, ...): as indexed
        if old.lower() == old and len(new) == 1 and old not in accented:
            accented.append(old)
            plain.append(new)
    return "".join(accented), "".join(plain)


# ... and those that become two letters (ß -> ss), which translate() cannot do.
_LONGER = tuple((old, new) for old, new in V2_LETTERS if old.lower() == old and len(new) > 1)


_ACCENTED, _PLAIN = _accents()


def _has(column: Any, word: str) -> Any:
    # lower() by ICU's rules (the nocase collation): the columns' own "C" lowers ASCII only.
    folded = func.translate(func.lower(column.collate("nocase")).collate("C"), _ACCENTED, _PLAIN)
    for old, new in _LONGER:
        folded = func.replace(folded, old, new)
    return folded.like(_like(word.lower()), escape="\\")


def _word(word: str) -> tuple[Any, Any]:
    """(the paper's title has ``word``, any of its fields has it)."""
    in_title = _has(Paper.title, word)
    anywhere = or_(
        in_title, _has(Paper.abstract, word), _has(Paper.key, word),
        exists().where(col(PaperAuthor.paper_id) == col(Paper.id), _has(PaperAuthor.name, word)),
        exists().where(col(PaperTag.paper_id) == col(Paper.id), col(Tag.id) == col(PaperTag.tag_id),
                       _has(Tag.name, word)),
        exists().where(col(Note.paper_id) == col(Paper.id),
                       or_(_has(Note.body, word), _has(func.coalesce(Note.quote, ""), word))))
    return in_title, anywhere


def _range(column: Any, bounds: tuple[Any, Any]) -> Any:
    lo, hi = bounds
    parts = []
    if lo is not None:
        parts.append(column >= lo)
    if hi is not None:
        parts.append(column <= hi)
    return and_(true(), *parts)


def _qualifier(name: str, value: Any) -> Any:
    if name == "tag":
        return exists().where(col(PaperTag.paper_id) == col(Paper.id), col(Tag.id) == col(PaperTag.tag_id),
                              func.lower(Tag.name).collate("C") == value.lower())
    if name == "author":
        return and_(*[exists().where(col(PaperAuthor.paper_id) == col(Paper.id),
                                     _has(PaperAuthor.name, w)) for w in value])
    if name == "status":
        return col(Paper.status).in_(list(value))
    if name == "year":
        return _range(Paper.year, value)
    if name == "is":
        return col(Paper.starred).is_(True)
    if name == "day":
        return exists().where(col(FeedEntry.paper_id) == col(Paper.id), _range(FeedEntry.day, value))
    if name == "source":
        return or_(col(Paper.source).in_(list(value)),
                   exists().where(col(FeedEntry.paper_id) == col(Paper.id),
                                  col(FeedEntry.source).in_(list(value))))
    if name == "arxiv":
        return Paper.arxiv_id == value
    raise AssertionError(name)  # pragma: no cover - the parser knows no other names


def pg_search(session: Session, *, query: str, limit: int | None, include_dismissed: bool,
              relax: bool) -> SearchResult:
    """:func:`storage.search.search` on an engine without SQLite's FTS5 index (see the
    module's docstring)."""
    from reader.errors import BadInput
    from storage.query import parse
    from storage.search import SearchHit, SearchResult

    parsed = parse(query)
    if limit is not None and limit < 1:
        raise BadInput(f"limit must be at least 1, not {limit}")
    where: list[Any] = []
    titles: list[Any] = []
    for term in parsed.terms:
        words = [term.text] if term.exact else list(term.words) or [term.text]
        pairs = [_word(w) for w in words if w.strip()]
        if not pairs:
            continue
        if term.negated:
            where.append(not_(and_(*[anywhere for _, anywhere in pairs])))
        else:
            where.extend(anywhere for _, anywhere in pairs)
            titles.extend(in_title for in_title, _ in pairs)
    for q in parsed.qualifiers:
        cond = _qualifier(q.name, q.value)
        where.append(not_(func.coalesce(cond, false())) if q.negated else cond)
    if not include_dismissed and not any(q.name == "status" and not q.negated
                                         for q in parsed.qualifiers):
        where.append(Paper.status != "dismissed")
    title_first = and_(*titles) if titles else false()
    order = [title_first.desc()] if titles else []
    stmt = (select(Paper, title_first.label("in_title")).where(*where)
            .order_by(*order, col(Paper.id).desc()))
    if limit is not None:
        stmt = stmt.limit(limit)
    hits = [SearchHit(int(paper.id or 0), paper, 1.0 if in_title and titles else 0.5,
                      ["title"] if in_title and titles else [])
            for paper, in_title in session.exec(stmt)]
    return SearchResult(hits, relaxed=False, tried_relaxed=False)


def pg_sync_index(conn: Connection) -> int:
    """The hook :class:`storage.pg.PgLibrary` calls before every write commits, as
    :func:`storage.search.sync_index` on SQLite: bring the search index up to date with what
    this transaction changed. The portable search has no index: nothing to do (0 papers)."""
    return 0


def pg_rebuild_index(session: Session) -> int:
    """:func:`storage.search.rebuild_index` on PostgreSQL: the portable search reads the
    tables themselves, so there is nothing to rebuild; the number of papers it covers."""
    return int(session.exec(select(func.count()).select_from(Paper)).one())
