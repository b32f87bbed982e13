"""Search: narrow with SQLite FTS5, rank the few candidates with rapidfuzz.

The index (schema 2, see :mod:`storage.migrations`) is one folded row per paper in ``search_doc``
and two FTS5 indexes over it:

* ``search_short``: title, authors, tags (with prefix indexes; small, answers most queries);
* ``search_all``: title, authors, tags, abstract, notes and ids (citation key, arXiv id, DOI,
  year).

A query's free words are matched in tiers. First every word must match in the short fields
(as typed, as a prefix, or as a near spelling found in the vocabulary of the short fields:
one edit, or two for long words); if that gives fewer papers than asked for, the rest come
from papers whose words match anywhere. Within the candidates, each word scores by the field it
matched (title > authors > tags > ids > abstract > notes) and by how closely (exact > prefix >
one typo > two typos), and the title's similarity to the whole query breaks ties, so the closer
match ranks first. Qualifiers become plain SQL conditions on the paper.

Spaces are mended in the first tier too: when joining two words, splitting one, or moving a
letter across a space gives words the vocabulary knows (``be nchmark``, ``HaneVisibility``,
``attentio nis``, ``da.ta``), that spelling is searched as well and each paper keeps its best
score. When no paper has every word, the looser tier (:func:`_looser`) takes papers with all but
one or two of them and ranks them by how close their titles are to the query (rapidfuzz, spaces
ignored); :class:`SearchResult` says it relaxed. :func:`search_papers` stays strict.

Triggers queue the papers whose text changes (``search_pending``); :func:`sync_index`, called by
every write transaction of :class:`storage.db.Library` before it commits, re-indexes each once.

The vocabulary of the short fields is read once per process (from ``search_vocab``) and then
kept current from the rows that changed (``search_doc.seq``), so a search after a change costs no
reload. Everything else goes through the caller's session: safe to call from a worker thread
with its own session.
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import Connection
from sqlmodel import Session, col, select

from reader.errors import BadInput
from storage.backend import is_sqlite, pg_rebuild_index, pg_search
from storage.models import Paper
from storage.query import Qualifier, Query, index_words, parse

__all__ = ["SearchHit", "SearchResult", "search", "search_papers", "sync_index", "index_problems", "rebuild_index",
           "clear_caches"]

FIELDS = ("title", "authors", "tags", "ids", "abstract", "notes")  # by weight, highest first
FIELD_WEIGHT = {"title": 1.0, "authors": 0.9, "tags": 0.8, "ids": 0.8, "abstract": 0.6,
                "notes": 0.55}
SHORT_FIELDS = ("title", "authors", "tags")
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_EXPANSIONS = 16  # near spellings tried per word in the short fields
LONG_EXPANSIONS = (3, 6, 10)  # ... and over every field, for words of <= 4, <= 6, more letters
CANDIDATES_MIN = 200  # candidates ranked per tier, at least (4 x limit when more)
KNOWN_SOURCES = ("hf", "arxiv", "doi", "page", "bibtex", "manual")
# Words nearly every abstract has: looking them up there costs much and narrows nothing, so
# outside the short fields they are checked on the candidates instead.
COMMON_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "in",
    "into", "is", "it", "its", "no", "not", "of", "on", "or", "our", "than", "that", "the",
    "their", "this", "to", "under", "using", "via", "we", "with"
])
BROAD = 5_000  # a qualifier allowing more papers than this is checked row by row


@dataclass
class SearchHit:
    paper_id: int
    paper: Paper
    score: float
    # The field each word matched best in, in field order (title, authors, tags, ids,
    # abstract, notes).
    matched: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- vocabulary and near spellings


def _slip(typed: str, meant: str) -> int:
    """How common the slip from ``meant`` to ``typed`` is: 0 two letters swapped, 1 a letter
    dropped or added, 2 anything else."""
    if len(typed) == len(meant):
        diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]]:
            return 0
        return 2
    return 1 if abs(len(typed) - len(meant)) == 1 else 2


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in ALPHABET if c != b[0]}
    inserts = {a + c + b for a, b in splits for c in ALPHABET}
    return deletes | transposes | replaces | inserts


class Vocabulary:
    """The words of the short fields (title, authors, tags), for near-spelling lookups."""

    def __init__(self) -> None:
        self.terms: set[str] = set()
        self.docs: dict[str, int] = {}  # papers a word is in (at load; 1 for words added since)
        self.sorted: list[str] = []
        # (length, letter) -> words of that length with that first (or second) letter
        self.by_first: dict[tuple[int, str], list[str]] = {}
        self.by_second: dict[tuple[int, str], list[str]] = {}
        self.generation = -1
        self._expansions: dict[tuple[str, bool], Expansion] = {}

    def add(self, words: Iterable[str], docs: dict[str, int] | None = None) -> None:
        if docs:
            self.docs.update(docs)
        new = set(words) - self.terms
        if not new:
            return
        self.terms |= new
        if len(new) < 1000:
            for w in new:
                bisect.insort(self.sorted, w)
        else:
            self.sorted = sorted(self.terms)
        for w in new:
            self.by_first.setdefault((len(w), w[0]), []).append(w)
            if len(w) > 1:
                self.by_second.setdefault((len(w), w[1]), []).append(w)
        self._expansions.clear()

    def has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.sorted, prefix)
        return i < len(self.sorted) and self.sorted[i].startswith(prefix)

    def completions(self, prefix: str, cap: int = 1000) -> int:
        lo = bisect.bisect_left(self.sorted, prefix)
        hi = bisect.bisect_left(self.sorted, prefix + "\U0010ffff", lo, min(len(self.sorted), lo + cap))
        return hi - lo

    def expand(self, word: str, typing: bool) -> Expansion:
        """The near spellings of ``word`` in the vocabulary (remembered)."""
        key = (word, typing)
        with _vocab_lock:  # another thread may be adding words
            found = self._expansions.get(key)
            if found is None:
                found = self._expand(word, typing)
                if len(self._expansions) > 4096:
                    self._expansions.clear()
                self._expansions[key] = found
            return found

    def _expand(self, word: str, typing: bool) -> Expansion:
        exp = Expansion(word)
        n = len(word)
        if n < 3 or not word.isascii():
            return exp
        near = (_edits1(word) & self.terms) - {word}
        for term in near:
            exp.fuzzy[term] = 1
        known = word in self.terms or self.has_prefix(word)
        if n >= 7 and not near and not known:
            # Two typos in a long word: compare with the words of about its length that share
            # its first or its second letter (a scan of every word would take tens of ms).
            pool = list({t for k in range(n - 2, n + 3)
                         for t in (*self.by_first.get((k, word[0]), ()),
                                   *self.by_second.get((k, word[1]), ()))})
            for term, dist, _ in process.extract(word, pool, scorer=OSA.distance,
                                                 score_cutoff=2, limit=MAX_EXPANSIONS):
                if term != word:
                    exp.fuzzy[term] = int(dist)
        # Likeliest first: nearest, then the commonest slips (two letters swapped, a letter
        # dropped or doubled, then a wrong letter), then the most used words.
        docs = self.docs
        order = sorted(exp.fuzzy, key=lambda t: (exp.fuzzy[t], _slip(word, t), -docs.get(t, 1), t))
        exp.fuzzy = {t: exp.fuzzy[t] for t in order[:MAX_EXPANSIONS]}
        if typing and n >= 4 and not known:
            # A typo inside the word being typed: near spellings that begin vocabulary words.
            variants = [v for v in _edits1(word) if len(v) >= n and v != word]
            scored = [(self.completions(v), v) for v in variants]
            scored = sorted((s for s in scored if s[0]), reverse=True)[:4]
            exp.fuzzy_prefixes = sorted(v for _, v in scored)
        return exp


@dataclass
class Expansion:
    word: str
    fuzzy: dict[str, int] = field(default_factory=dict)  # term -> edit distance
    fuzzy_prefixes: list[str] = field(default_factory=list)


_vocab_lock = threading.Lock()
_vocabularies: dict[tuple[Any, ...], Vocabulary] = {}


def _db_identity(db: sqlite3.Connection) -> tuple[Any, ...]:
    path = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    if path:
        try:
            st = os.stat(path)
            return (os.path.realpath(path), st.st_dev, st.st_ino)
        except OSError:
            pass
    return ("connection", id(db))


def _vocabulary(db: sqlite3.Connection) -> Vocabulary:
    """The vocabulary for this library, loaded once and brought up to date with the rows that
    changed since (by ``search_doc.seq``)."""
    generation = db.execute("SELECT generation FROM search_state").fetchone()[0]
    key = _db_identity(db)
    with _vocab_lock:
        vocab = _vocabularies.get(key)
        if vocab is not None and vocab.generation >= generation:
            # Current, or newer than this session's snapshot (more words never hurt: a word
            # that is gone only expands to nothing).
            return vocab
        if vocab is None:
            vocab = Vocabulary()
            docs = dict(db.execute("SELECT term, doc FROM search_vocab").fetchall())
            vocab.add(docs, docs)
        else:
            rows = db.execute(
                "SELECT title, authors, tags FROM search_doc WHERE seq > ?", (vocab.generation,))
            vocab.add(w for row in rows for text in row for w in _tokens(text))
        vocab.generation = generation
        _vocabularies[key] = vocab
        return vocab


def index_problems(db: sqlite3.Connection, *, thorough: bool = False,
                   fts: bool = True) -> list[str]:
    """What is wrong with the search index, if anything: papers without a search row (or rows
    without a paper), FTS5's own integrity check of both indexes, and with ``thorough`` rows
    whose text differs from the library's (that recomputes every paper's folded text: seconds
    on a big library)."""
    problems = []
    missing = db.execute("SELECT count(*) FROM paper p WHERE NOT EXISTS "
                         "(SELECT 1 FROM search_doc d WHERE d.id = p.id)").fetchone()[0]
    extra = db.execute("SELECT count(*) FROM search_doc d WHERE NOT EXISTS "
                       "(SELECT 1 FROM paper p WHERE p.id = d.id)").fetchone()[0]
    if thorough:
        missing += db.execute(
            "SELECT count(*) FROM search_source s JOIN search_doc d ON d.id = s.id WHERE "
            + " OR ".join(f"d.{c} IS NOT s.{c}"
                          for c in ("title", "authors", "tags", "abstract", "notes", "ids"))
        ).fetchone()[0]
    if missing or extra:
        problems.append(f"search index out of date: {missing} paper(s) missing or stale, "
                        f"{extra} row(s) left over")
    pending = db.execute("SELECT count(*) FROM search_pending").fetchone()[0]
    if pending:
        problems.append(f"search index: {pending} paper(s) changed outside papershelf are not "
                        "indexed yet ('papershelf reindex' indexes them)")
    for table in ("search_all", "search_short") if fts else ():
        try:
            db.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as err:
            problems.append(f"search index {table}: {err}")
    return problems


_DOC_COLUMNS = "title, authors, tags, abstract, notes, ids"


def sync_index(conn: Connection) -> int:
    """Re-index the papers whose text changed in this transaction (``search_pending``, filled by
    triggers). :class:`storage.db.Library` calls it before every write commits. Returns how many
    papers were re-indexed."""
    if conn.exec_driver_sql("SELECT NOT EXISTS (SELECT 1 FROM search_pending)").scalar():
        return 0
    conn.exec_driver_sql(
        "DELETE FROM search_doc WHERE id IN (SELECT id FROM search_pending)")
    conn.exec_driver_sql(
        f"INSERT INTO search_doc (id, {_DOC_COLUMNS}, seq) SELECT id, {_DOC_COLUMNS}, "
        "(SELECT generation + 1 FROM search_state) FROM search_source "
        "WHERE id IN (SELECT id FROM search_pending)")
    return int(conn.exec_driver_sql("DELETE FROM search_pending").rowcount)


def rebuild_index(session: Session) -> int:
    """Recompute the whole search index from the library, in the session's (write)
    transaction. Returns the number of papers indexed."""
    if not is_sqlite(session):  # the engine's own index (storage.backend)
        return pg_rebuild_index(session)
    db = cast(sqlite3.Connection, session.connection().connection.driver_connection)
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                          "AND tbl_name = 'search_doc'").fetchall()
    for name, _sql in triggers:
        db.execute(f"DROP TRIGGER {name}")
    cols = _DOC_COLUMNS
    db.execute("DELETE FROM search_pending")
    db.execute("DELETE FROM search_doc")
    db.execute(f"INSERT INTO search_doc (id, {cols}, seq) SELECT id, {cols}, "
               "(SELECT generation + 1 FROM search_state) FROM search_source")
    for table in ("search_all", "search_short"):
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    for _name, sql in triggers:
        db.execute(sql)
    db.execute("UPDATE search_state SET generation = generation + 1")
    return int(db.execute("SELECT count(*) FROM search_doc").fetchone()[0])


def clear_caches() -> None:
    """Forget every loaded vocabulary (the next search reloads it)."""
    with _vocab_lock:
        _vocabularies.clear()


def clear_expansions() -> None:
    """Forget remembered near spellings (benchmarks time searches without them)."""
    with _vocab_lock:
        for vocab in _vocabularies.values():
            vocab._expansions.clear()


# ---------------------------------------------------------------- building the FTS queries


def _fts(word: str, prefix: bool = False) -> str:
    return f'"{word}"' + (" *" if prefix else "")


def _phrase(words: Sequence[str]) -> str:
    return '"' + " ".join(words) + '"'


@dataclass
class _Term:
    """One positive term of the query, ready for matching and scoring."""

    words: tuple[str, ...]
    exact: bool
    last: bool  # the word being typed
    expansion: Expansion | None = None

    @property
    def word(self) -> str:
        return self.words[0]

    def fts(self, *, fuzzy: bool, prefix: bool, most: int | None = None) -> str:
        if self.exact:
            return _phrase(self.words)
        word = self.word
        parts = [_fts(word, prefix)]
        if fuzzy and self.expansion is not None:
            # Spellings the prefix already covers are left out.
            near = [t for t in self.expansion.fuzzy if not (prefix and t.startswith(word))]
            parts += [_fts(t) for t in near[:most]]
            parts += [_fts(v, True) for v in self.expansion.fuzzy_prefixes
                      if not (prefix and v.startswith(word))]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def quality(self, field: _Field) -> float:
        """How closely this term matches in ``field``: 1 for the word itself, less for a
        prefix, less again for a near spelling; 0 when it does not match there."""
        text = field.text
        if self.exact:
            return 1.0 if " " + " ".join(self.words) + " " in text else 0.0
        word = self.word
        at = text.find(" " + word)
        if at < 0:
            best = 0.0
        else:
            if text.startswith(" " + word + " ", at):
                return 1.0
            end = text.find(" ", at + 1)
            if text.find(" " + word + " ", end) >= 0:
                return 1.0
            cover = len(word) / (end - at - 1)
            best = 0.85 + 0.1 * cover if self.last else 0.55 + 0.35 * cover
        exp = self.expansion
        if exp is not None:
            for term, dist in exp.fuzzy.items():
                if " " + term + " " in text:
                    best = max(best, (0.8 if len(word) >= 5 else 0.7) if dist == 1 else 0.6)
            for v in exp.fuzzy_prefixes:
                if " " + v in text:
                    best = max(best, 0.6)
        return best


class _Field:
    """A field's words, lower case, separated and surrounded by spaces (`` deep learning ``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if text.isascii():
            self.text = " " + text.lower().translate(_ASCII_SPACES) + " "
        else:
            self.text = " " + " ".join(index_words(text)) + " "

    def words(self) -> str:
        return " ".join(self.text.split())


# Everything but ASCII letters and digits separates words.
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def _tokens(text: str) -> list[str]:
    """The index's words of a ``search_doc`` text (already folded in SQL)."""
    if text.isascii():
        return text.lower().translate(_ASCII_SPACES).split()
    return index_words(text)


# ---------------------------------------------------------------- qualifiers -> SQL
# Narrow qualifiers (tag, author, is:starred, day, arxiv) are looked up first through an index,
# giving the set of papers allowed; the others (status, year, source, every negation) are
# checked row by row on the few papers the words matched.

NARROW = ("tag", "author", "is", "day", "arxiv")
INDEXED = ("year", "status")  # narrow when they allow at most BROAD papers


def _narrow_sql(q: Qualifier) -> tuple[str, list[Any]]:
    """A query giving the ids of the papers a positive narrow qualifier allows."""
    value: Any = q.value
    if q.name == "tag":
        return ("SELECT pt.paper_id FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
                "WHERE t.name = ? COLLATE NOCASE", [value])
    if q.name == "author":
        return ("SELECT rowid FROM search_short WHERE search_short MATCH ?", [_author_match(value)])
    if q.name == "is":
        return "SELECT id FROM paper WHERE starred = 1", []
    if q.name == "day":
        params: list[Any] = []
        lo, hi = value
        where = _range_sql("day", (lo and lo.isoformat(), hi and hi.isoformat()), params)
        return f"SELECT paper_id FROM feed_entry WHERE {where}", params
    if q.name == "arxiv":
        return "SELECT id FROM paper WHERE arxiv_id = ?", [value]
    if q.name == "year":
        params = []
        return f"SELECT id FROM paper WHERE {_range_sql('year', value, params)}", params
    if q.name == "status":
        return f"SELECT id FROM paper WHERE status IN ({', '.join('?' * len(value))})", list(value)
    raise AssertionError(q.name)  # pragma: no cover


def _author_match(words: Sequence[str]) -> str:
    return "{authors} : " + " AND ".join(_fts(w, True) for w in words)


def _row_sql(q: Qualifier, params: list[Any]) -> str:
    """A condition on paper ``p`` for one qualifier."""
    value: Any = q.value
    if q.name == "tag":
        params.append(value)
        sql = ("EXISTS (SELECT 1 FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
               "WHERE pt.paper_id = p.id AND t.name = ? COLLATE NOCASE)")
    elif q.name == "author":
        params.append(_author_match(value))
        sql = "+p.id IN (SELECT rowid FROM search_short WHERE search_short MATCH ?)"
    elif q.name == "status":
        params.extend(value)
        sql = f"p.status IN ({', '.join('?' * len(value))})"
    elif q.name == "year":
        sql = _range_sql("p.year", value, params)
    elif q.name == "is":
        sql = "p.starred = 1"
    elif q.name == "day":
        lo, hi = value
        inner = _range_sql("+f.day", (lo and lo.isoformat(), hi and hi.isoformat()), params)
        sql = f"EXISTS (SELECT 1 FROM feed_entry f WHERE f.paper_id = p.id AND {inner})"
    elif q.name == "source":
        marks = ", ".join("?" * len(value))
        params.extend(value)
        params.extend(value)
        # +f.source: look feed entries up by paper, not by source (there are many per source).
        sql = (f"(p.source IN ({marks}) OR EXISTS (SELECT 1 FROM feed_entry f "
               f"WHERE f.paper_id = p.id AND +f.source IN ({marks})))")
    elif q.name == "arxiv":
        params.append(value)
        sql = "p.arxiv_id = ?"
    else:  # pragma: no cover - the parser knows no other names
        raise AssertionError(q.name)
    return f"NOT coalesce(({sql}), 0)" if q.negated else f"coalesce(({sql}), 0)"


def _range_sql(column: str, bounds: tuple[Any, Any], params: list[Any]) -> str:
    lo, hi = bounds
    if lo is not None and lo == hi:
        params.append(lo)
        return f"{column} = ?"
    parts = []
    if lo is not None:
        params.append(lo)
        parts.append(f"{column} >= ?")
    if hi is not None:
        params.append(hi)
        parts.append(f"{column} <= ?")
    return " AND ".join(parts) or "1"


@dataclass
class _Filters:
    where: str  # conditions on paper p, row by row ("1" when none)
    params: list[Any]
    allowed: set[int] | None  # the papers narrow qualifiers allow (None: no such qualifier)


def _filters(db: sqlite3.Connection, query: Query, include_dismissed: bool) -> _Filters:
    params: list[Any] = []
    clauses = []
    allowed: set[int] | None = None
    for q in query.qualifiers:
        if q.name in NARROW and not q.negated:
            sql, args = _narrow_sql(q)
            ids = {r[0] for r in db.execute(sql, args)}
            allowed = ids if allowed is None else allowed & ids
            continue
        if q.name in INDEXED and not q.negated:
            sql, args = _narrow_sql(q)
            rows = db.execute(sql + " LIMIT ?", (*args, BROAD + 1)).fetchall()
            if len(rows) <= BROAD:
                ids = {r[0] for r in rows}
                allowed = ids if allowed is None else allowed & ids
                continue
        clauses.append(_row_sql(q, params))
    if not include_dismissed and not query.wants_dismissed():
        clauses.append("p.status != 'dismissed'")
    negative = query.negative
    if negative:
        parts = [_phrase(t.words) if t.exact else _fts(t.words[0], len(t.words[0]) >= 3)
                 for t in negative]
        params.append(" OR ".join(parts))
        # Looked up once (+p.id: a filter, never an index lookup per paper).
        clauses.append("+p.id NOT IN (SELECT rowid FROM search_all WHERE search_all MATCH ?)")
    return _Filters(" AND ".join(clauses) or "1", params, allowed)


# ---------------------------------------------------------------- the search


@dataclass
class SearchResult:
    """What a search found. ``relaxed``: no paper matched every word (as typed, as a prefix or
    a near spelling, or with its spaces mended), so these are the closest papers by the looser
    tier (some words left out, a fuzzy comparison of the titles); a front end says so ("no
    exact match; closest papers"). ``tried_relaxed``: the looser tier ran (it may have found
    nothing)."""

    hits: list[SearchHit]
    relaxed: bool = False
    tried_relaxed: bool = False


def search(
    session: Session, *, query: str, limit: int | None = 50, include_dismissed: bool = False,
    relax: bool = True,
) -> SearchResult:
    """Papers matching ``query`` (see :mod:`storage.query`), best first. Dismissed papers are
    left out unless the query asks for them (``status:dismissed``) or ``include_dismissed``.
    An empty query (or one of qualifiers only) lists the matching papers newest first. When no
    paper has every word and ``relax``, the looser tier gives the closest papers instead
    (``relaxed`` says so). Raises :class:`BadInput` for a malformed query."""
    if not is_sqlite(session):  # the engine's own search (storage.backend)
        return pg_search(session, query=query, limit=limit, include_dismissed=include_dismissed,
                         relax=relax)
    parsed = parse(query)
    if limit is not None and limit < 1:
        raise BadInput(f"limit must be at least 1, not {limit}")
    db = cast(sqlite3.Connection, session.connection().connection.driver_connection)
    outcome = _Outcome()
    outcome.relax = relax
    ranked = _rank(db, parsed, limit=limit, include_dismissed=include_dismissed, outcome=outcome)
    if not ranked:
        _check_sources(db, parsed)
        return SearchResult([], False, outcome.tried_relaxed)
    ids = [pid for pid, _, _ in ranked]
    papers = {p.id: p for p in session.exec(select(Paper).where(col(Paper.id).in_(ids))).all()}
    hits = [SearchHit(pid, papers[pid], round(score, 4), matched)
            for pid, score, matched in ranked if pid in papers]
    return SearchResult(hits, outcome.relaxed, outcome.tried_relaxed)


def search_papers(
    session: Session, *, query: str, limit: int | None = 50, include_dismissed: bool = False,
    relax: bool = False,
) -> list[SearchHit]:
    """The papers of :func:`search`; strict unless ``relax`` (what a script selects with a
    query, such as ``export --query``, must match every word)."""
    return search(session, query=query, limit=limit, include_dismissed=include_dismissed,
                  relax=relax).hits


@dataclass
class _Outcome:
    relax: bool = True
    relaxed: bool = False
    tried_relaxed: bool = False


def _check_sources(db: sqlite3.Connection, query: Query) -> None:
    wanted = [v for q in query.qualifiers if q.name == "source" and not q.negated
              for v in q.value]  # type: ignore[attr-defined]
    unknown = [v for v in wanted if v not in KNOWN_SOURCES]
    if not unknown:
        return
    have = {r[0] for r in db.execute(
        "SELECT DISTINCT source FROM paper UNION SELECT DISTINCT source FROM feed_entry")}
    missing = [v for v in unknown if v not in have]
    if missing:
        names = ", ".join(sorted(set(KNOWN_SOURCES) | have))
        raise BadInput(f"unknown source {missing[0]!r} in the query (sources: {names})")


def _long_expansions(n: int) -> int:
    small, middle, large = LONG_EXPANSIONS
    return small if n <= 4 else middle if n <= 6 else large


def _rank(db: sqlite3.Connection, query: Query, *, limit: int | None,
          include_dismissed: bool, outcome: _Outcome) -> list[tuple[int, float, list[str]]]:
    filters = _filters(db, query, include_dismissed)
    if filters.allowed is not None and not filters.allowed:
        return []
    positive = query.positive
    if not positive:
        return [(pid, 0.0, []) for pid in _newest(db, filters, limit)]

    vocab = _vocabulary(db)
    terms: list[_Term] = []
    for i, t in enumerate(positive):
        last = query.typing and i == len(positive) - 1 and query.terms[-1] is t
        term = _Term(t.words, t.exact, last)
        if not t.exact:
            term.expansion = vocab.expand(t.words[0], last)
        terms.append(term)
    cap = None if limit is None else max(CANDIDATES_MIN, 4 * limit)

    def fetch(table: str, match: str, exclude: Sequence[int] = ()) -> list[int]:
        return _fetch(db, table, match, filters, cap, exclude)

    fuzzy = any(t.expansion and (t.expansion.fuzzy or t.expansion.fuzzy_prefixes) for t in terms)
    scored: list[tuple[int, float, list[str]]] = []

    # Tier 1: every word in the title, authors or tags. The newest matches, plus those with the
    # words in the order typed (closest), plus those needing near spellings.
    plain = " AND ".join(t.fts(fuzzy=False, prefix=True) for t in terms)
    short_ids = fetch("search_short", plain)
    if len(terms) > 1 and not any(t.exact for t in terms) and cap is not None \
            and len(short_ids) >= cap:
        # More matches than we rank: make sure those with the words in order are among them.
        phrase = _phrase([t.word for t in terms]) + " *"
        short_ids = list(dict.fromkeys(fetch("search_short", phrase) + short_ids))
    loose = " AND ".join(t.fts(fuzzy=True, prefix=True) for t in terms)
    if fuzzy and loose != plain and (cap is None or len(short_ids) < cap):
        # Near spellings only when the words as typed do not already give enough.
        short_ids = list(dict.fromkeys(short_ids + fetch("search_short", loose)))
    scored += _score(db, terms, short_ids, tier=1.0, long_fields=False)

    # Spaces mended: the same query with two words joined (``be nchmark``), one split
    # (``HaneVisibility``) or a letter moved across a space (``attentio nis``), when the
    # vocabulary says that gives words it knows. Each paper keeps its best score.
    respelled = _respellings(vocab, query, positive)
    if respelled:
        best = {r[0]: r for r in scored}
        for alt in respelled:
            alt_ids = fetch("search_short", " AND ".join(
                t.fts(fuzzy=True, prefix=True) for t in alt))
            for r in _score(db, alt, alt_ids, tier=1.0, long_fields=False):
                if r[0] not in best or r[1] > best[r[0]][1]:
                    best[r[0]] = r
        scored = list(best.values())
        short_ids = list(dict.fromkeys(short_ids + list(best)))

    # Tier 2: words found anywhere (abstract, notes, ids too), when tier 1 is not enough.
    if limit is None or len(scored) < limit:
        # Words are whole here (prefixes are for the short fields: a prefix of a common word
        # over every abstract costs more than it finds), words of three letters or fewer are
        # taken as typed, and common words are checked on the candidates instead.
        common = [t for t in terms if not t.exact and t.word in COMMON_WORDS]
        if len(common) == len(terms):
            common = []
        anywhere = " AND ".join(
            t.fts(fuzzy=len(t.word) > 3, prefix=False, most=_long_expansions(len(t.word)))
            for t in terms if not any(t is c for c in common))
        needed = None if limit is None else max(30, 2 * (limit - len(scored)))
        long_ids = _fetch(db, "search_all", anywhere, filters,
                          needed if cap is None or needed is None else min(cap, needed),
                          short_ids)
        scored += _score(db, terms, long_ids, tier=0.0, long_fields=True, verify=common)

    if not scored and outcome.relax:
        # Nothing has every word: the looser tier, flagged as such.
        outcome.tried_relaxed = True
        scored = _looser(db, vocab, query, terms, respelled, filters, limit)
        outcome.relaxed = bool(scored)
    scored.sort(key=lambda r: (-r[1], -r[0]))
    return scored if limit is None else scored[:limit]


# ---------------------------------------------------------------- mended spaces, looser tier

MAX_RESPELLINGS = 4
LOOSE_CANDIDATES = 400  # papers compared by title in the looser tier
LOOSE_MIN_SIMILARITY = 62  # how close (0-100) a title must be to the query there
LOOSE_SPELLINGS = 5  # near spellings per word there


def _free_words(query: Query) -> list[str] | None:
    """The positive words of the query, in order, or None when it has phrases (their words
    are kept as typed)."""
    positive = query.positive
    if not positive or any(t.exact for t in positive):
        return None
    return [t.words[0] for t in positive]


def _respellings(vocab: Vocabulary, query: Query, positive: Sequence[Any]) -> list[list[_Term]]:
    """The query's words with their spaces mended, when the vocabulary knows the result:
    two words joined (``be nchmark``, ``da.ta``, ``Tool-Us:e``), one split in two
    (``HaneVisibility``, ``ofconditions``), a letter moved across a space (``attentio nis``);
    each fix alone, then all of them together."""
    words = _free_words(query)
    if words is None or len(words) > 24:
        return []
    typing = query.typing and query.terms[-1] is positive[-1]
    n = len(words)
    terms = vocab.terms

    def known(w: str, at_end: bool = False) -> bool:
        return w in terms or (at_end and typing and len(w) >= 2 and vocab.has_prefix(w))

    def near(w: str) -> bool:
        return len(w) >= 5 and w.isascii() and bool(vocab.expand(w, False).fuzzy)

    def broken(i: int) -> bool:
        """Word ``i`` is neither known nor a near spelling of a known word (remembered: the
        strict tier expanded it already)."""
        w = words[i]
        last = typing and i == n - 1
        return not known(w, last) and not vocab.expand(w, last).fuzzy

    fixes: list[tuple[int, int, list[str]]] = []
    for i in range(n - 1):
        a, b = words[i], words[i + 1]
        end = i + 2 == n
        both = a in terms and b in terms
        joined = a + b
        if known(joined, end) and not (both and joined not in terms) or \
                (len(joined) >= 6 and (broken(i) or broken(i + 1)) and near(joined)):
            fixes.append((i, i + 2, [joined]))
        if not both and len(a) >= 2 and len(b) >= 1:
            x, y = a[:-1], a[-1] + b
            if len(x) >= 2 and known(x) and known(y, end):
                fixes.append((i, i + 2, [x, y]))
            if len(b) >= 2:
                x, y = a + b[0], b[1:]
                if known(x) and known(y, end):
                    fixes.append((i, i + 2, [x, y]))
    for i, w in enumerate(words):
        end = i + 1 == n
        if len(w) < 4 or known(w, end) or not w.isascii():
            continue
        # Two known words, the most even split first; else one known word and a near
        # spelling of the other (a slip inside one of the merged words).
        splits = [(w[:j], w[j:]) for j in range(2, len(w) - 1)]
        exact = [(min(len(a), len(b)), a, b) for a, b in splits if a in terms and known(b, end)]
        if exact:
            _, left, right = max(exact)
            fixes.append((i, i + 1, [left, right]))
            continue
        if not broken(i):
            continue  # a near spelling of one word more likely than two merged
        tries = 0
        for left, right in sorted(splits, key=lambda ab: -min(len(ab[0]), len(ab[1]))):
            if left in terms and len(right) >= 5:
                tries += 1
                if near(right):
                    fixes.append((i, i + 1, [left, right]))
                    break
            elif known(right, end) and len(left) >= 5:
                tries += 1
                if near(left):
                    fixes.append((i, i + 1, [left, right]))
                    break
            if tries >= 4:
                break
    if not fixes:
        return []
    spellings: list[list[str]] = []
    for lo, hi, new in fixes[:MAX_RESPELLINGS]:
        spellings.append(words[:lo] + new + words[hi:])
    if len(fixes) > 1:
        out, pos = [], 0
        for lo, hi, new in sorted(fixes):
            if lo >= pos:
                out += words[pos:lo] + new
                pos = hi
        out += words[pos:]
        spellings.append(out)
    unique = list(dict.fromkeys(tuple(s) for s in spellings if s != words))
    return [_terms_of(vocab, list(s), typing) for s in unique]


def _terms_of(vocab: Vocabulary, words: list[str], typing: bool) -> list[_Term]:
    """Terms for mended words: a word the vocabulary has is taken as it is (no near spellings:
    it was mended into a known word); others are expanded as usual."""
    out = []
    for i, w in enumerate(words):
        last = typing and i == len(words) - 1
        exp = Expansion(w) if w in vocab.terms else vocab.expand(w, last)
        out.append(_Term((w,), False, last, exp))
    return out


def _looser(db: sqlite3.Connection, vocab: Vocabulary, query: Query, terms: list[_Term],
            respelled: list[list[_Term]], filters: _Filters,
            limit: int | None) -> list[tuple[int, float, list[str]]]:
    """When no paper has every word: papers with all but one or two of them (each word as
    typed, as a prefix, or a near spelling, also two letters off in words of five or more),
    compared by their titles with the query as typed, spaces ignored. Only titles close enough
    to the query are kept: nothing close, nothing found."""
    # The query as typed, and with its spaces mended if it could be (all fixes at once).
    word_lists = [terms] + respelled[-1:]
    typed = [w for t in terms for w in t.words]
    if not typed:
        return []
    ids: list[int] = []
    for tlist in word_lists:
        usable = [t for t in tlist if len(t.word) >= 2 or t.exact] or tlist
        for t in usable:
            if not t.exact and t.expansion is not None and not t.expansion.fuzzy \
                    and len(t.word) >= 5 and t.word not in vocab.terms:
                t.expansion = _expand_far(vocab, t.word, t.last)
        n = len(usable)
        parts = [t.fts(fuzzy=True, prefix=True, most=LOOSE_SPELLINGS) for t in usable]
        levels = [m for m in (n - 1, n - 2) if m >= max(1, (n + 1) // 2)] or [1]
        for m in levels:
            combos = list(itertools.islice(itertools.combinations(range(n), m), 24))
            match = " OR ".join("(" + " AND ".join(parts[i] for i in c) + ")" for c in combos)
            found = _fetch(db, "search_short", match, filters, LOOSE_CANDIDATES, ())
            ids += [i for i in found if i not in ids]
            if len(ids) >= LOOSE_CANDIDATES // 4:
                break
    if not ids:
        return []
    rows = db.execute("SELECT id, title, authors FROM search_doc "
                      "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)).fetchall()
    text = " ".join(typed)
    bare = text.replace(" ", "")
    out = []
    for pid, title, authors in rows:
        words = " ".join(_tokens(title))
        flat = words.replace(" ", "")
        scorer = fuzz.partial_ratio if len(bare) <= len(flat) else fuzz.ratio
        close = max(scorer(bare, flat),
                    fuzz.token_set_ratio(text, words + " " + " ".join(_tokens(authors))))
        if close >= LOOSE_MIN_SIMILARITY:
            out.append((pid, close / 100.0, ["title"]))
    return out


def _expand_far(vocab: Vocabulary, word: str, typing: bool) -> Expansion:
    """Near spellings up to two letters off, for words of five letters or more (the strict
    tiers allow two only in words of seven or more)."""
    exp = Expansion(word)
    n = len(word)
    pool = list({t for k in range(n - 2, n + 3)
                 for t in (*vocab.by_first.get((k, word[0]), ()),
                           *vocab.by_second.get((k, word[1]), ()))})
    for term, dist, _ in process.extract(word, pool, scorer=OSA.distance, score_cutoff=2,
                                         limit=MAX_EXPANSIONS):
        if term != word:
            exp.fuzzy[term] = int(dist)
    return exp


def _newest(db: sqlite3.Connection, filters: _Filters, limit: int | None) -> list[int]:
    """Papers passing the filters, newest first (a query with no words)."""
    sql = f"SELECT p.id FROM paper p WHERE {filters.where}"
    args: list[Any] = list(filters.params)
    if filters.allowed is not None:
        # Few papers: look each up. Many: walk the papers newest first and test membership.
        lookup = "p.id" if len(filters.allowed) <= 2000 else "+p.id"
        sql += f" AND {lookup} IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(sorted(filters.allowed)))
    sql += " ORDER BY p.added DESC, p.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [r[0] for r in db.execute(sql, args)]


def _fetch(db: sqlite3.Connection, table: str, match: str, filters: _Filters, cap: int | None,
           exclude: Sequence[int]) -> list[int]:
    """Ids of papers whose ``table`` row matches ``match`` and that pass the filters, newest
    first, at most ``cap``. The index drives; the paper row is looked up per match."""
    sql = (f"SELECT s.rowid FROM {table} s JOIN paper p ON p.id = s.rowid "
           f"WHERE {table} MATCH ? AND {filters.where}")
    args: list[Any] = [match, *filters.params]
    if filters.allowed is not None:
        # +rowid: a filter on the index's matches, not one index lookup per allowed paper.
        sql += " AND +s.rowid IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(sorted(filters.allowed)))
    if exclude:
        sql += " AND +s.rowid NOT IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(sorted(exclude)))
    sql += " ORDER BY s.rowid DESC"
    if cap is not None:
        sql += " LIMIT ?"
        args.append(cap)
    return [r[0] for r in db.execute(sql, args)]


def _score(db: sqlite3.Connection, terms: list[_Term], ids: list[int], *, tier: float,
           long_fields: bool, verify: Sequence[_Term] = ()) -> list[tuple[int, float, list[str]]]:
    """Score candidates; those where a term of ``verify`` (left out of the index query) is
    missing are dropped."""
    if not ids:
        return []
    fields = FIELDS if long_fields else SHORT_FIELDS
    rows = db.execute(
        f"SELECT id, {', '.join(fields)} FROM search_doc "
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)).fetchall()
    typed = " ".join(w for t in terms for w in t.words)
    weights = [FIELD_WEIGHT[name] for name in fields]
    out = []
    for row in rows:
        parsed: list[_Field | None] = [None] * len(fields)
        total = 0.0
        matched: set[int] = set()
        for term in terms:
            best, where = 0.0, -1
            for i, weight in enumerate(weights):
                if weight <= best:
                    break
                fld = parsed[i]
                if fld is None:
                    text = row[i + 1]
                    if not text:
                        continue
                    fld = parsed[i] = _Field(text)
                q = term.quality(fld)
                if q and weight * q > best:
                    best, where = weight * q, i
            if where < 0:
                if any(term is v for v in verify):
                    break
                # Matched through a spelling the scorer does not see (tokenizer corner cases).
                best, where = 0.3, (fields.index("abstract") if long_fields else 0)
            total += best
            matched.add(where)
        else:
            out.append(_finish(row[0], tier, total, terms, matched, parsed, fields, typed))
    return out


def _finish(pid: int, tier: float, total: float, terms: list[_Term], matched: set[int],
            parsed: list[_Field | None], fields: Sequence[str],
            typed: str) -> tuple[int, float, list[str]]:
    """The score: the tier, how well the words matched (by field and closeness), and how close
    the title is to the whole query when a word matched there."""
    score = tier + 0.75 * total / len(terms)
    if 0 in matched:
        title = parsed[0]
        assert title is not None
        score += 0.25 * fuzz.ratio(typed, title.words()) / 100.0
    names = sorted(FIELDS.index(fields[i]) for i in matched)
    return (pid, score, [FIELDS[i] for i in names])
