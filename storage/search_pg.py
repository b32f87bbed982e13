"""Search and change notices on PostgreSQL: the schema they need and the index half of a search.

The ranking is :mod:`storage.search`'s, unchanged (the same vocabulary of near spellings, the
same tiers, the same rapidfuzz rules on the candidates); what PostgreSQL does itself is the
narrowing, with its own machinery:

* ``search_doc`` holds each paper's text as SQLite's does (the LaTeX and special-letter
  replacements of schema 2, in SQL), so the scorer reads the same text on both engines;
* ``papershelf_words`` turns that text into the words :func:`storage.query.index_words` gives
  (accents stripped through ``normalize(..., NFKD)``, anything but letters and digits a space;
  plain ASCII text only has the few characters PostgreSQL's parser would join words with
  blanked, which gives the same words, checked on random text), and the ``simple``
  configuration folds case;
* two generated, weighted tsvectors over it with GIN indexes: ``tsv_short`` (title A, authors B,
  tags C: what is typed at most, and ``author:`` is a B-weight match) and ``tsv_all`` (those
  plus abstract, notes and ids, weight D); fields are kept one position apart, so a phrase
  never runs from one field into the next (as in FTS5's columns);
* prefixes (``'atten':*``), phrases (``'all' <-> 'you' <-> 'need'``) and the near spellings
  the vocabulary gives are one tsquery each;
* ``pg_trgm`` indexes the vocabulary (``search_term``: every word of the short fields with the
  number of papers it is in, kept by the same re-indexing), so the vocabulary loads from a
  small table and a near spelling or a completion can be looked up on the server
  (:func:`near_terms`);
* re-indexing is the database's own: triggers queue the papers whose text changes
  (``search_pending``), and a deferred constraint trigger re-indexes each once when the
  transaction commits, whoever writes (papershelf, psql, a script).

Live updates: triggers write every change of the library's tables to ``change_log`` (id,
table, paper, when) and send ``NOTIFY papershelf_changes`` once per statement; see
:class:`storage.views.ChangeWatcher`. ``install`` creates all of it; the PostgreSQL migration
(:mod:`storage.pg_schema`) calls it.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

from storage.migrations import V2_LATEX, V2_LETTERS
from storage.query import Qualifier
from storage.search import (
    _DOC_COLUMNS,
    Vocabulary,
    _Filters,
    _Index,
    _tokens,
    _vocab_lock,
    _vocabularies,
)

CHANNEL = "papershelf_changes"
# The tables whose changes the app shows (papers, their authors, tags, notes, feed days, keys).
LOGGED_TABLES = {"paper": "id", "paper_author": "paper_id", "tag": "", "paper_tag": "paper_id",
                 "note": "paper_id", "feed_entry": "paper_id", "paper_alias": "paper_id"}
CHANGE_LOG_KEEP = 100_000  # rows of change_log kept (older ones are trimmed as new ones come)
# Longer abstracts or notes are indexed up to here (a tsvector holds at most 1 MB); the scorer
# still reads them whole.
TSV_MAX_CHARS = 100_000


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _combining_class() -> str:
    """A regular expression class of every combining character (what strip_accents drops)."""
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"


def _replace_chain(expr: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for old, new in pairs:
        expr = f"replace({expr}, {_text(old)}, {_text(new)})"
    return expr


def _text_function() -> str:
    """``papershelf_text``: the search text of one field, as schema 2 makes it for SQLite: its
    LaTeX replacements when the text has a backslash or a brace, its letter replacements when
    it is not plain ASCII (a function, so a field's subquery in search_raw runs once)."""
    latex = " OR ".join(f"strpos(s, {_text(ch)}) > 0" for ch in ("\\", "{", "}"))
    return f"""
CREATE FUNCTION papershelf_text(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    s text COLLATE "default" := t;  -- (tag names are case-insensitive: nondeterministic)
BEGIN
    IF {latex} THEN
        s := {_replace_chain("s", V2_LATEX)};
    END IF;
    IF octet_length(s) <> char_length(s) THEN
        s := {_replace_chain("s", V2_LETTERS)};
    END IF;
    RETURN s;
END $$"""


# Characters PostgreSQL's parser reads as part of a token (1.5, a-b, x/y, ~u, &amp;, <b>):
# blanked in ASCII text, every other one is a separator already.
_JOINERS = "+-./~&<>"


def _words_function() -> str:
    return f"""
CREATE FUNCTION papershelf_words(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN octet_length(t) = char_length(t)
        THEN {_replace_chain('t COLLATE "default"', tuple((c, " ") for c in _JOINERS))}
        ELSE regexp_replace(regexp_replace(normalize(t COLLATE "default", NFKD),
                                           {_text(_combining_class())}, '', 'g'),
                            '[^[:alnum:]]+', ' ', 'g') END
$$"""


def _tsv(parts: Sequence[tuple[str, str]]) -> str:
    """A weighted tsvector of folded columns, one position apart (a lexeme ``_``, which no
    folded text holds, is put between them and taken out)."""
    vectors = [f"setweight(to_tsvector('simple', papershelf_words(left({col}, {TSV_MAX_CHARS}))),"
               f" '{w}')"
               for col, w in parts]
    gap = " || '_:1'::tsvector || "
    return f"ts_delete({gap.join(vectors)}, '_')"


SHORT = (("title", "A"), ("authors", "B"), ("tags", "C"))
ALL = (*SHORT, ("abstract", "D"), ("notes", "D"), ("ids", "D"))


def schema() -> list[str]:
    """The statements that create the search index and the change log (fresh database)."""
    folded = ", ".join(f"papershelf_text({c}) AS {c}"
                       for c in ("title", "authors", "tags", "abstract", "notes"))
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        _text_function(),
        _words_function(),
        "CREATE TABLE search_state (id integer PRIMARY KEY CHECK (id = 1), "
        "generation bigint NOT NULL)",
        "INSERT INTO search_state (id, generation) VALUES (1, 0)",
        f"""CREATE TABLE search_doc (
            id bigint PRIMARY KEY, title text NOT NULL, authors text NOT NULL,
            tags text NOT NULL, abstract text NOT NULL, notes text NOT NULL, ids text NOT NULL,
            seq bigint NOT NULL DEFAULT 0,
            tsv_short tsvector GENERATED ALWAYS AS ({_tsv(SHORT)}) STORED,
            tsv_all tsvector GENERATED ALWAYS AS ({_tsv(ALL)}) STORED)""",
        "CREATE INDEX ix_search_doc_seq ON search_doc (seq)",
        "CREATE INDEX ix_search_doc_short ON search_doc USING gin (tsv_short)",
        "CREATE INDEX ix_search_doc_all ON search_doc USING gin (tsv_all)",
        "CREATE TABLE search_term (term text PRIMARY KEY, docs bigint NOT NULL)",
        "CREATE INDEX ix_search_term_trgm ON search_term USING gin (term gin_trgm_ops)",
        "CREATE TABLE search_pending (id bigint PRIMARY KEY)",
        # A search's candidates are checked against their paper's status: from this index alone.
        "CREATE INDEX ix_paper_search ON paper (id) INCLUDE (status)",
        # Each paper's text as the library holds it (like SQLite's search_raw), then folded.
        """CREATE VIEW search_raw AS SELECT
            p.id AS id, p.title AS title,
            coalesce((SELECT string_agg(name, ' ; ' ORDER BY position) FROM paper_author
                      WHERE paper_id = p.id), '') AS authors,
            coalesce((SELECT string_agg(t.name, ' ; ' ORDER BY lower(t.name)) FROM paper_tag pt
                      JOIN tag t ON t.id = pt.tag_id WHERE pt.paper_id = p.id), '') AS tags,
            coalesce(p.abstract, '') AS abstract,
            coalesce((SELECT string_agg(coalesce(quote, '') || ' ' || body, ' ; ' ORDER BY id)
                      FROM note WHERE paper_id = p.id), '') AS notes,
            p.key || ' ' || coalesce(p.arxiv_id, '') || ' ' || coalesce(p.doi, '') || ' '
                || coalesce(p.year::text, '') AS ids
        FROM paper p""",
        f"CREATE VIEW search_source AS SELECT id, {folded}, ids FROM search_raw",
        _REINDEX,
        _QUEUE,
        _FLUSH,
        "CREATE CONSTRAINT TRIGGER search_pending_flush AFTER INSERT ON search_pending "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION papershelf_search_flush()",
        *_queue_triggers(),
        "SELECT papershelf_search_reindex(NULL)",
        # The change log and its notices.
        "CREATE TABLE change_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "tbl text NOT NULL, paper_id bigint, at timestamptz NOT NULL DEFAULT now())",
        _LOG,
        _NOTIFY,
        *[s for table, key in LOGGED_TABLES.items() for s in log_triggers(table, key)],
    ]


def install(conn: Any) -> None:
    """Create the search index and the change log through ``conn`` (anything with
    ``execute(sql)``: a psycopg connection or cursor), inside the caller's transaction."""
    for statement in schema():
        conn.execute(statement)


# Re-index the papers ``ids`` (NULL: every paper) from search_source; keeps search_term's
# counts and bumps the generation the vocabularies of open processes follow.
_REINDEX = """
CREATE FUNCTION papershelf_search_reindex(which bigint[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    gen bigint;
    n bigint;
BEGIN
    UPDATE search_state SET generation = generation + 1 RETURNING generation INTO gen;
    WITH gone AS (
        DELETE FROM search_doc d WHERE which IS NULL OR d.id = ANY (which)
        RETURNING d.tsv_short),
    words AS (
        SELECT w, count(*) AS n FROM gone g, unnest(tsvector_to_array(g.tsv_short)) AS w
        GROUP BY w)
    UPDATE search_term t SET docs = t.docs - words.n FROM words WHERE t.term = words.w;
    IF which IS NULL THEN  -- every paper: building the GIN indexes afresh is much faster
        DROP INDEX ix_search_doc_short;
        DROP INDEX ix_search_doc_all;
    END IF;
    INSERT INTO search_doc (id, title, authors, tags, abstract, notes, ids, seq)
        SELECT s.id, s.title, s.authors, s.tags, s.abstract, s.notes, s.ids, gen
        FROM search_source s WHERE which IS NULL OR s.id = ANY (which);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF which IS NULL THEN
        CREATE INDEX ix_search_doc_short ON search_doc USING gin (tsv_short);
        CREATE INDEX ix_search_doc_all ON search_doc USING gin (tsv_all);
    END IF;
    INSERT INTO search_term (term, docs)
        SELECT w, count(*) FROM search_doc d,
            unnest(tsvector_to_array(d.tsv_short)) AS w
        WHERE d.seq = gen GROUP BY w
        ON CONFLICT (term) DO UPDATE SET docs = search_term.docs + excluded.docs;
    DELETE FROM search_term WHERE docs <= 0;
    RETURN n;
END $$"""

# Row triggers: which papers' text a change touches (TG_ARGV[0]: how to find the paper).
_QUEUE = """
CREATE FUNCTION papershelf_search_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'tag' THEN
        INSERT INTO search_pending (id) SELECT paper_id FROM paper_tag WHERE tag_id = NEW.id
            ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF TG_ARGV[0] = 'id' THEN
            INSERT INTO search_pending (id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO search_pending (id) VALUES (OLD.paper_id) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF TG_ARGV[0] = 'id' THEN
            INSERT INTO search_pending (id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO search_pending (id) VALUES (NEW.paper_id) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$"""

# At commit: the first queued paper's trigger re-indexes every queued paper, once each.
_FLUSH = """
CREATE FUNCTION papershelf_search_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    WITH done AS (DELETE FROM search_pending RETURNING id)
    SELECT array_agg(id) INTO ids FROM done;
    IF ids IS NOT NULL THEN
        PERFORM papershelf_search_reindex(ids);
    END IF;
    RETURN NULL;
END $$"""


def _queue_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}"
                          for c in ("id", "title", "abstract", "key", "arxiv_id", "doi", "year"))
    out = [
        "CREATE TRIGGER search_paper_ins AFTER INSERT OR DELETE ON paper FOR EACH ROW "
        "EXECUTE FUNCTION papershelf_search_queue('id')",
        f"CREATE TRIGGER search_paper_upd AFTER UPDATE ON paper FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION papershelf_search_queue('id')",
        "CREATE TRIGGER search_tag_upd AFTER UPDATE OF name ON tag FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION papershelf_search_queue('tag')",
    ]
    for table in ("paper_author", "paper_tag", "note"):
        out.append(f"CREATE TRIGGER search_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION papershelf_search_queue('paper_id')")
    return out


_LOG = """
CREATE FUNCTION papershelf_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pid bigint;
BEGIN
    IF TG_ARGV[0] = 'id' THEN
        IF TG_OP = 'DELETE' THEN pid := OLD.id; ELSE pid := NEW.id; END IF;
    ELSIF TG_ARGV[0] = 'paper_id' THEN
        IF TG_OP = 'DELETE' THEN pid := OLD.paper_id; ELSE pid := NEW.paper_id; END IF;
    END IF;
    INSERT INTO change_log (tbl, paper_id) VALUES (TG_TABLE_NAME, pid);
    RETURN NULL;
END $$"""

_NOTIFY = f"""
CREATE FUNCTION papershelf_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One notice per transaction (PostgreSQL folds equal ones), sent when it commits.
    PERFORM pg_notify('{CHANNEL}', '');
    DELETE FROM change_log WHERE id < (SELECT max(id) FROM change_log) - {CHANGE_LOG_KEEP};
    RETURN NULL;
END $$"""


def log_triggers(table: str, key: str) -> list[str]:
    """The triggers that log every change of ``table`` (``key``: its paper column, ``id`` for
    the paper table itself, empty when it has none) and send the notice. A later migration
    adding a table the app shows calls this for it."""
    return [
        f"CREATE TRIGGER change_log_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION papershelf_change_log('{key}')",
        f"CREATE TRIGGER change_notify_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION papershelf_change_notify()",
    ]


# ---------------------------------------------------------------- the index half of a search


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class PgIndex(_Index):
    """PostgreSQL: ``tsv_short`` / ``tsv_all`` of ``search_doc`` (GIN), through the session's
    psycopg connection."""

    ph = "%s"
    true = "true"

    def __init__(self, db: Any) -> None:
        self.db = db

    def word(self, word: str, prefix: bool = False) -> str:
        return _lexeme(word) + (":*" if prefix else "")

    def phrase(self, words: Sequence[str], prefix: bool = False) -> str:
        out = " <-> ".join(_lexeme(w) for w in words)
        return out + (":*" if prefix else "")

    def all_of(self, parts: Sequence[str]) -> str:
        return " & ".join(parts)

    def any_of(self, parts: Sequence[str], group: bool = True) -> str:
        joined = " | ".join(parts)
        return joined if len(parts) == 1 or not group else f"({joined})"

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, tuple(args)).fetchall())

    def vocabulary(self) -> Vocabulary:
        return _vocabulary(self.db)

    def fetch(self, short: bool, match: str, filters: _Filters, cap: int | None,
              exclude: Sequence[int]) -> list[int]:
        column = "tsv_short" if short else "tsv_all"
        sql = (f"SELECT d.id FROM search_doc d JOIN paper p ON p.id = d.id "
               f"WHERE d.{column} @@ %s::tsquery AND {filters.where}")
        args: list[Any] = [match, *filters.params]
        if filters.allowed is not None:
            sql += " AND d.id = ANY (%s)"
            args.append(sorted(filters.allowed))
        if exclude:
            sql += " AND NOT d.id = ANY (%s)"
            args.append(sorted(exclude))
        sql += " ORDER BY d.id DESC"
        if cap is not None:
            sql += " LIMIT %s"
            args.append(cap)
        # Never a prepared statement: its generic plan would not know which words it looks for.
        return [r[0] for r in self.db.execute(sql, args, prepare=False)]

    def docs(self, ids: Sequence[int], columns: Sequence[str]) -> list[tuple[Any, ...]]:
        return self.rows(f"SELECT id, {', '.join(columns)} FROM search_doc WHERE id = ANY (%s)",
                         (list(ids),))

    def newest(self, filters: _Filters, limit: int | None) -> list[int]:
        sql = f"SELECT p.id FROM paper p WHERE {filters.where}"
        args: list[Any] = list(filters.params)
        if filters.allowed is not None:
            sql += " AND p.id = ANY (%s)"
            args.append(sorted(filters.allowed))
        sql += " ORDER BY p.added DESC, p.id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return [r[0] for r in self.db.execute(sql, args)]

    def _author_match(self, words: Sequence[str]) -> str:
        return " & ".join(_lexeme(w) + ":*B" for w in words)

    def narrow_sql(self, q: Qualifier) -> tuple[str, list[Any]]:
        value: Any = q.value
        if q.name == "tag":
            return ("SELECT pt.paper_id FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
                    "WHERE lower(t.name) = lower(%s)", [value])
        if q.name == "author":
            return ("SELECT id FROM search_doc WHERE tsv_short @@ %s::tsquery",
                    [self._author_match(value)])
        if q.name == "is":
            return "SELECT id FROM paper WHERE starred", []
        if q.name == "day":
            params: list[Any] = []
            return f"SELECT paper_id FROM feed_entry WHERE {self.range_sql('day', value, params)}", \
                params
        if q.name == "arxiv":
            return "SELECT id FROM paper WHERE arxiv_id = %s", [value]
        if q.name == "year":
            params = []
            return f"SELECT id FROM paper WHERE {self.range_sql('year', value, params)}", params
        if q.name == "status":
            return "SELECT id FROM paper WHERE status = ANY (%s)", [list(value)]
        raise AssertionError(q.name)  # pragma: no cover

    def row_sql(self, q: Qualifier, params: list[Any]) -> str:
        value: Any = q.value
        if q.name == "tag":
            params.append(value)
            sql = ("EXISTS (SELECT 1 FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id "
                   "WHERE pt.paper_id = p.id AND lower(t.name) = lower(%s))")
        elif q.name == "author":
            params.append(self._author_match(value))
            sql = "p.id IN (SELECT id FROM search_doc WHERE tsv_short @@ %s::tsquery)"
        elif q.name == "status":
            params.append(list(value))
            sql = "p.status = ANY (%s)"
        elif q.name == "year":
            sql = self.range_sql("p.year", value, params)
        elif q.name == "is":
            sql = "p.starred"
        elif q.name == "day":
            inner = self.range_sql("f.day", value, params)
            sql = f"EXISTS (SELECT 1 FROM feed_entry f WHERE f.paper_id = p.id AND {inner})"
        elif q.name == "source":
            params.append(list(value))
            params.append(list(value))
            sql = ("(p.source = ANY (%s) OR EXISTS (SELECT 1 FROM feed_entry f "
                   "WHERE f.paper_id = p.id AND f.source = ANY (%s)))")
        elif q.name == "arxiv":
            params.append(value)
            sql = "p.arxiv_id = %s"
        else:  # pragma: no cover - the parser knows no other names
            raise AssertionError(q.name)
        return f"NOT coalesce(({sql}), false)" if q.negated else f"coalesce(({sql}), false)"

    def negated_words(self, match: str, params: list[Any]) -> str:
        params.append(match)
        return "p.id NOT IN (SELECT id FROM search_doc WHERE tsv_all @@ %s::tsquery)"


def _vocabulary(db: Any) -> Vocabulary:
    """The vocabulary of this database (see storage.search._vocabulary): loaded once from
    ``search_term``, then brought up to date from the rows re-indexed since."""
    generation, schema = db.execute(
        "SELECT generation, current_schema() FROM search_state").fetchone()
    info = db.info
    key = ("postgresql", info.host, info.port, info.dbname, schema)
    with _vocab_lock:
        vocab = _vocabularies.get(key)
        if vocab is not None and vocab.generation >= generation:
            return vocab
        if vocab is None:
            vocab = Vocabulary()
            docs = dict(db.execute("SELECT term, docs FROM search_term").fetchall())
            vocab.add(docs, docs)
        else:
            rows = db.execute("SELECT title, authors, tags FROM search_doc WHERE seq > %s",
                              (vocab.generation,))
            vocab.add(w for row in rows for text in row for w in _tokens(text))
        vocab.generation = generation
        _vocabularies[key] = vocab
        return vocab


def near_terms(db: Any, word: str, *, limit: int = 16) -> list[tuple[str, int]]:
    """Words of the short fields like ``word`` by pg_trgm (the vocabulary's table, its trigram
    index): (term, papers), the most similar first. For tools and the server side; the ranking
    itself uses the in-process vocabulary, so both engines expand a word the same way."""
    return [(str(t), int(n)) for t, n in db.execute(
        "SELECT term, docs FROM search_term WHERE term %% %s "
        "ORDER BY similarity(term, %s) DESC, docs DESC, term LIMIT %s", (word, word, limit))]


# ---------------------------------------------------------------- upkeep


def rebuild_index(db: Any) -> int:
    """Recompute the whole index in the caller's transaction; the number of papers indexed."""
    db.execute("DELETE FROM search_pending")
    db.execute("DELETE FROM search_term")
    return int(db.execute("SELECT papershelf_search_reindex(NULL)").fetchone()[0])


def index_problems(db: Any, *, thorough: bool = False) -> list[str]:
    """What is wrong with the index (the same findings as SQLite's, without FTS5's own check:
    PostgreSQL keeps its GIN indexes itself)."""
    problems = []
    missing = db.execute("SELECT count(*) FROM paper p WHERE NOT EXISTS "
                         "(SELECT 1 FROM search_doc d WHERE d.id = p.id)").fetchone()[0]
    extra = db.execute("SELECT count(*) FROM search_doc d WHERE NOT EXISTS "
                       "(SELECT 1 FROM paper p WHERE p.id = d.id)").fetchone()[0]
    if thorough:
        missing += db.execute(
            "SELECT count(*) FROM search_source s JOIN search_doc d ON d.id = s.id WHERE "
            + " OR ".join(f"d.{c} IS DISTINCT FROM s.{c}"
                          for c in _DOC_COLUMNS.split(", "))).fetchone()[0]
    if missing or extra:
        problems.append(f"search index out of date: {missing} paper(s) missing or stale, "
                        f"{extra} row(s) left over")
    return problems
