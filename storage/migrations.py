"""Schema versions. Each step is plain SQL run in one transaction; ``PRAGMA user_version`` holds
the version a file is at. A new step is appended, never edited, and comes with a test that opens
a database of the previous version and upgrades it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

APPLICATION_ID = 0x50535046  # "PSPF": marks a file as a papershelf library

# Tables whose changes the undo log records (pull_log and the undo tables themselves are not).
UNDO_TABLES = ("paper", "paper_author", "tag", "paper_tag", "note", "feed_entry",
               "paper_alias")

SCHEMA_V1 = """
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE paper (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    title_norm TEXT NOT NULL,
    abstract TEXT,
    arxiv_id TEXT UNIQUE,
    arxiv_version INTEGER,
    doi TEXT UNIQUE,
    published DATE,
    updated DATE,
    year INTEGER,
    venue TEXT,
    entry_type TEXT,
    primary_category TEXT,
    categories JSON NOT NULL DEFAULT '[]',
    journal_ref TEXT,
    url_abs TEXT,
    url_pdf TEXT,
    url_code TEXT,
    url_project TEXT,
    upvotes INTEGER,
    comments INTEGER,
    ai_summary TEXT,
    ai_keywords JSON NOT NULL DEFAULT '[]',
    source TEXT NOT NULL DEFAULT 'manual',
    extra_fields JSON NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'inbox'
        CHECK (status IN ('inbox', 'queued', 'reading', 'read', 'dismissed')),
    starred BOOLEAN NOT NULL DEFAULT 0,
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    added DATETIME NOT NULL,
    modified DATETIME NOT NULL,
    read_at DATETIME
);
CREATE INDEX ix_paper_title_norm ON paper (title_norm);
CREATE INDEX ix_paper_status ON paper (status);
CREATE TABLE paper_author (
    paper_id INTEGER NOT NULL REFERENCES paper (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (paper_id, position)
);
CREATE INDEX ix_paper_author_name ON paper_author (name);
CREATE TABLE tag (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE paper_tag (
    paper_id INTEGER NOT NULL REFERENCES paper (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    PRIMARY KEY (paper_id, tag_id)
);
CREATE INDEX ix_paper_tag_tag ON paper_tag (tag_id);
CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES paper (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    quote TEXT,
    created DATETIME NOT NULL,
    updated DATETIME NOT NULL
);
CREATE INDEX ix_note_paper_id ON note (paper_id);
CREATE TABLE feed_entry (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    day DATE NOT NULL,
    paper_id INTEGER NOT NULL REFERENCES paper (id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    upvotes INTEGER,
    UNIQUE (source, day, paper_id)
);
CREATE INDEX ix_feed_entry_paper ON feed_entry (paper_id);
CREATE TABLE pull_log (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    params TEXT NOT NULL,
    started DATETIME NOT NULL,
    finished DATETIME,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    errors JSON NOT NULL DEFAULT '[]'
);
CREATE TABLE undo_action (
    id INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    created DATETIME NOT NULL,
    open BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE undo_entry (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES undo_action (id) ON DELETE CASCADE,
    statement TEXT NOT NULL
);
CREATE INDEX ix_undo_entry_action_id ON undo_entry (action_id);
"""

Step = Callable[[sqlite3.Connection], None]


def _v1(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA_V1.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO meta (name, value) VALUES ('application', 'papershelf')")


# ---------------------------------------------------------------- v2: the search index
# One row per paper in ``search_doc`` holds its searchable text, folded; two FTS5 indexes use it
# as external content: ``search_short`` (title, authors, tags: small, typed at most) and
# ``search_all`` (every field). Triggers on the base tables put the id of every paper whose text
# changes in ``search_pending``; the library's write transactions re-index those papers, once
# each, just before they commit (storage.search.sync_index). So the index follows every write,
# undo included, with no rebuild, and a paper added with ten authors is indexed once, not
# eleven times.
#
# Folding happens in SQL, not in a Python function, so any connection (the sqlite3 shell, a
# backup tool, a connection someone opens without papershelf's setup) can still write the
# library: nested replace() calls turn LaTeX accents (Bostr{\"o}m) and letters Unicode does not
# decompose (ß, ø, ł, ...) into plain letters, and the unicode61 tokenizer with
# remove_diacritics 2 folds case and accents (Boström -> bostrom). storage/query.py
# ``index_words`` applies the same steps to a query. These tuples are frozen with schema 2: a
# change is a new migration.

V2_LATEX = (
    ("\\c{", "{"), ("\\v{", "{"), ("\\u{", "{"), ("\\H{", "{"), ("\\k{", "{"),
    ("\\r{", "{"), ("\\d{", "{"), ("\\b{", "{"), ("\\t{", "{"),
    ('\\"', ""), ("\\'", ""), ("\\`", ""), ("\\^", ""), ("\\~", ""), ("\\=", ""),
    ("\\.", ""), ("\\aa", "a"), ("\\AA", "A"), ("\\", ""), ("{", ""), ("}", ""),
)
V2_LETTERS = (
    ("ß", "ss"), ("ø", "o"), ("Ø", "O"), ("ł", "l"), ("Ł", "L"), ("đ", "d"), ("Đ", "D"),
    ("æ", "ae"), ("Æ", "AE"), ("œ", "oe"), ("Œ", "OE"), ("ı", "i"), ("þ", "th"), ("Þ", "Th"),
)
V2_TOKENIZE = "unicode61 remove_diacritics 2"
V2_TEXT_COLUMNS = ("title", "authors", "tags", "abstract", "notes")
V2_ALL_COLUMNS = (*V2_TEXT_COLUMNS, "ids")
V2_SHORT_COLUMNS = ("title", "authors", "tags")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _replace_chain(expr: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for old, new in pairs:
        expr = f"replace({expr}, {_sql_text(old)}, {_sql_text(new)})"
    return expr


def _v2_queue(paper_id: str, when: str = "1") -> str:
    """SQL (inside a trigger) that marks paper ``paper_id`` for re-indexing (if ``when``)."""
    return f"INSERT OR IGNORE INTO search_pending (id) SELECT {paper_id} WHERE {when};"


def _v2(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
                 "generation INTEGER NOT NULL)")
    conn.execute("INSERT INTO search_state (id, generation) VALUES (1, 0)")
    conn.execute(
        "CREATE TABLE search_doc (id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
        "authors TEXT NOT NULL, tags TEXT NOT NULL, abstract TEXT NOT NULL, notes TEXT NOT NULL, "
        "ids TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0)")
    conn.execute("CREATE INDEX ix_search_doc_seq ON search_doc (seq)")
    conn.execute("CREATE TABLE search_pending (id INTEGER PRIMARY KEY)")
    # Indexes for the qualifiers (year:, is:starred, day:) and for listing newest first.
    conn.execute("CREATE INDEX ix_paper_year ON paper (year)")
    conn.execute("CREATE INDEX ix_paper_added ON paper (added, id)")
    conn.execute("CREATE INDEX ix_paper_starred ON paper (id) WHERE starred = 1")
    conn.execute("CREATE INDEX ix_feed_entry_day ON feed_entry (day)")
    # The text of each paper, unfolded, then in two folding layers (one deep replace() chain
    # would overflow SQLite's parser stack).
    conn.execute("""
        CREATE VIEW search_raw AS SELECT
            p.id AS id,
            p.title AS title,
            coalesce((SELECT group_concat(name, ' ; ') FROM (SELECT name FROM paper_author
                      WHERE paper_id = p.id ORDER BY position)), '') AS authors,
            coalesce((SELECT group_concat(name, ' ; ') FROM (SELECT t.name AS name
                      FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id
                      WHERE pt.paper_id = p.id ORDER BY t.name COLLATE NOCASE)), '') AS tags,
            coalesce(p.abstract, '') AS abstract,
            coalesce((SELECT group_concat(text, ' ; ') FROM (SELECT coalesce(quote, '') || ' '
                      || body AS text FROM note WHERE paper_id = p.id ORDER BY id)), '') AS notes,
            p.key || ' ' || coalesce(p.arxiv_id, '') || ' ' || coalesce(p.doi, '') || ' '
                || coalesce(p.year, '') AS ids
        FROM paper p""")
    # Most text has none of these characters: one GLOB scan spares it the replace() calls.
    latex = "*[" + "".join(sorted({c for old, _ in V2_LATEX for c in old[:1]})) + "]*"
    letters = "*[" + "".join(old for old, _ in V2_LETTERS) + "]*"
    text = ", ".join(f"CASE WHEN {c} GLOB {_sql_text(latex)} THEN {_replace_chain(c, V2_LATEX)} "
                     f"ELSE {c} END AS {c}" for c in V2_TEXT_COLUMNS)
    conn.execute(f"CREATE VIEW search_latex AS SELECT id, {text}, ids FROM search_raw")
    text = ", ".join(f"CASE WHEN {c} GLOB {_sql_text(letters)} THEN "
                     f"{_replace_chain(c, V2_LETTERS)} ELSE {c} END AS {c}"
                     for c in V2_TEXT_COLUMNS)
    conn.execute(f"CREATE VIEW search_source AS SELECT id, {text}, ids FROM search_latex")

    cols = ", ".join(V2_ALL_COLUMNS)
    conn.execute(f"INSERT INTO search_doc (id, {cols}) SELECT id, {cols} FROM search_source")
    for name, columns, extra in (("search_all", V2_ALL_COLUMNS, ""),
                                 ("search_short", V2_SHORT_COLUMNS, ", prefix = '1 2 3'")):
        conn.execute(
            f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(columns)}, content = 'search_doc', "
            f"content_rowid = 'id', tokenize = '{V2_TOKENIZE}'{extra})")
        conn.execute(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")
        # One segment: later writes then merge little (a fresh rebuild leaves many segments).
        conn.execute(f"INSERT INTO {name} ({name}) VALUES ('optimize')")
    conn.execute("CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_short, 'row')")

    # search_doc -> the two indexes (external content: a delete names the old values).
    ins, dele = [], []
    for name, columns in (("search_all", V2_ALL_COLUMNS), ("search_short", V2_SHORT_COLUMNS)):
        names = ", ".join(columns)
        ins.append(f"INSERT INTO {name} (rowid, {names}) VALUES "
                   f"(new.id, {', '.join('new.' + c for c in columns)});")
        dele.append(f"INSERT INTO {name} ({name}, rowid, {names}) VALUES "
                    f"('delete', old.id, {', '.join('old.' + c for c in columns)});")
    bump = "UPDATE search_state SET generation = generation + 1;"
    conn.execute(f"CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN "
                 f"{' '.join(ins)} {bump} END")
    conn.execute(f"CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN "
                 f"{' '.join(dele)} {bump} END")
    conn.execute(f"CREATE TRIGGER search_doc_au AFTER UPDATE ON search_doc BEGIN "
                 f"{' '.join(dele)} {' '.join(ins)} {bump} END")

    # The base tables -> search_pending (storage.search.sync_index does the re-indexing).
    changed = " OR ".join(f"old.{c} IS NOT new.{c}"
                          for c in ("id", "title", "abstract", "key", "arxiv_id", "doi", "year"))
    triggers = {
        "search_paper_ai": f"AFTER INSERT ON paper BEGIN {_v2_queue('new.id')} END",
        "search_paper_au": (f"AFTER UPDATE ON paper WHEN {changed} BEGIN "
                            f"{_v2_queue('old.id', 'old.id IS NOT new.id')} "
                            f"{_v2_queue('new.id')} END"),
        "search_paper_ad": f"AFTER DELETE ON paper BEGIN {_v2_queue('old.id')} END",
        "search_tag_au": (
            "AFTER UPDATE OF name ON tag WHEN old.name IS NOT new.name BEGIN "
            "INSERT OR IGNORE INTO search_pending (id) "
            "SELECT paper_id FROM paper_tag WHERE tag_id = new.id; END"),
    }
    for table in ("paper_author", "paper_tag", "note"):
        triggers[f"search_{table}_ai"] = (
            f"AFTER INSERT ON {table} BEGIN {_v2_queue('new.paper_id')} END")
        triggers[f"search_{table}_au"] = (
            f"AFTER UPDATE ON {table} BEGIN "
            f"{_v2_queue('old.paper_id', 'old.paper_id IS NOT new.paper_id')} "
            f"{_v2_queue('new.paper_id')} END")
        triggers[f"search_{table}_ad"] = (
            f"AFTER DELETE ON {table} BEGIN {_v2_queue('old.paper_id')} END")
    for name, body in triggers.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")


# ---------------------------------------------------------------- v3: field provenance
# Two JSON columns on paper (see storage.provenance): ``user_fields``, the names of the fields the
# user set (a source never overwrites them), and ``source_values``, a source's value for one of
# them when it disagreed. Upgrading: a paper added by hand (source 'manual') keeps every field it
# has as the user's; the fields of pulled and imported papers count as their source's. The field
# list is frozen with schema 3.

V3_FIELDS = ("title", "year", "published", "entry_type", "venue", "doi", "arxiv_id", "abstract",
             "url_abs", "url_pdf", "url_code", "url_project")


def _v3(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE paper ADD COLUMN user_fields JSON NOT NULL DEFAULT '[]'")
    conn.execute("ALTER TABLE paper ADD COLUMN source_values JSON NOT NULL DEFAULT '{}'")
    cols = ", ".join(V3_FIELDS)
    rows = conn.execute(
        f"SELECT id, {cols}, EXISTS (SELECT 1 FROM paper_author a WHERE a.paper_id = paper.id) "
        f"FROM paper WHERE source = 'manual'").fetchall()
    for row in rows:
        names = [name for name, value in zip(V3_FIELDS, row[1:-1], strict=True)
                 if value is not None and value != ""]
        if row[-1]:
            names.append("authors")
        if names:
            conn.execute("UPDATE paper SET user_fields = ? WHERE id = ?",
                         (json.dumps(sorted(names)), row[0]))


# ---------------------------------------------------------------- v4: key aliases
# A key once given out is never lost: when two entries turn out to be one paper (an import, or
# ``papershelf merge``), the key of the one merged away stays with the paper as an alias, so
# ``show``/search by it still find the paper and the export still writes it (see docs/bibtex.md).
def _v4(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE paper_alias (alias TEXT PRIMARY KEY, "
        "paper_id INTEGER NOT NULL REFERENCES paper (id) ON DELETE CASCADE)")
    conn.execute("CREATE INDEX ix_paper_alias_paper_id ON paper_alias (paper_id)")


# ---------------------------------------------------------------- v5: keys unique ignoring case,
# and an undo log that keeps only what changed
# BibTeX compares keys ignoring case ("Repeated entry"), so the library does too: a unique index
# on ``key COLLATE NOCASE``. A library may already hold keys that differ only in case; neither is
# renamed here (a key, once given, changes only when the user renames it): the later ones of each
# such group are marked (``key_case_twin = 1``) and left out of the index, and
# ``papershelf db check`` reports each group. Renaming a marked paper clears its mark, so its new
# key is held to the index like any other. New keys avoid every key ignoring case (storage.ops).
# (``key_case_twin`` is not in storage.models: papershelf never sets it; this step and the
# trigger below own it, and a library opened by code of an older schema still inserts papers.)
# The undo triggers themselves are refreshed after every step (install_undo_triggers); from this
# version an UPDATE logs only the columns it changed (a star toggle no longer copies the
# abstract into the undo log), so this step also brings old files those triggers.


def _v5(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE paper ADD COLUMN key_case_twin INTEGER")
    # One pass over the keys (a GROUP BY), not a comparison of every pair: a self-join here was
    # quadratic, hours on a 100,000-paper library.
    conn.execute(
        "UPDATE paper SET key_case_twin = 1 WHERE id IN (SELECT p.id FROM paper p JOIN "
        "(SELECT key COLLATE NOCASE AS folded, min(id) AS first FROM paper "
        "GROUP BY key COLLATE NOCASE HAVING count(*) > 1) g "
        "ON p.key = g.folded COLLATE NOCASE AND p.id > g.first)")
    conn.execute("CREATE UNIQUE INDEX ix_paper_key_nocase ON paper (key COLLATE NOCASE) "
                 "WHERE key_case_twin IS NULL")
    conn.execute(
        "CREATE TRIGGER paper_key_case_twin_renamed AFTER UPDATE OF key ON paper "
        "WHEN new.key_case_twin IS NOT NULL AND old.key IS NOT new.key "
        "BEGIN UPDATE paper SET key_case_twin = NULL WHERE id = new.id; END")


# ---------------------------------------------------------------- v6: who wrote it
# A library may be shared (PostgreSQL, issue 16): each note records who wrote it and each undo
# step who made it (``papershelf whoami``; ``--user`` or ``[user] name`` in config.toml, else the
# login name). Rows written before are NULL: written by the library's one user, shown as
# nobody's in particular. A note keeps its author when someone else edits it.
def _v6(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE note ADD COLUMN author TEXT")
    conn.execute("ALTER TABLE undo_action ADD COLUMN author TEXT")


# ---------------------------------------------------------------- v7: keys by prefix, fast
# A new key (``unique_key``) needs the keys in use that start with its base, ignoring case.
# Schema 5's case-insensitive index leaves case twins out (it is unique); this small index holds
# just them, so both halves are a range of an index instead of a scan of every key (at 100,000
# papers the scan was 19 ms of each add).
def _v7(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE INDEX ix_paper_key_case_twins ON paper (key COLLATE NOCASE) "
                 "WHERE key_case_twin IS NOT NULL")


# MIGRATIONS[i] brings a database from version i to version i + 1. Each new step has its
# PostgreSQL counterpart under the same number in storage/pg_schema.py (STEPS); a test checks
# that both reach the same version.
MIGRATIONS: list[Step] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7]


def latest_version() -> int:
    return len(MIGRATIONS)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _literal(ref: str) -> str:
    """SQL that turns the value ``ref`` into an SQL literal. ``quote()`` stops at a NUL
    character, so text holding one is written as its UTF-8 bytes cast back to text."""
    return (f"CASE WHEN typeof({ref}) = 'text' AND instr({ref}, char(0)) > 0 "
            f"THEN 'CAST(' || quote(CAST({ref} AS BLOB)) || ' AS TEXT)' ELSE quote({ref}) END")


def install_undo_triggers(conn: sqlite3.Connection) -> None:
    """(Re)create the triggers that write the inverse of every change into ``undo_entry``.

    They log only while an undo action is open (see :func:`storage.ops.Library.action`), so
    migrations, the undo itself and index maintenance are not recorded. Each logged statement
    restores one row by rowid; undo runs them newest first. An UPDATE logs only the columns it
    changed (and nothing when it changed none), so toggling a star on a paper with a 10 MB
    abstract logs a few bytes, not the abstract.
    """
    open_action = "(SELECT id FROM undo_action WHERE open = 1 ORDER BY id DESC LIMIT 1)"
    when = "WHEN EXISTS (SELECT 1 FROM undo_action WHERE open = 1)"
    for table in UNDO_TABLES:
        cols = _columns(conn, table)
        if not cols:
            continue  # a table of a later step (an upgrade installs the triggers at each step)
        for kind in ("insert", "update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS undo_{table}_{kind}")
        insert_sql = f"'DELETE FROM {table} WHERE rowid = ' || new.rowid"
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in cols)
        sets = " || ".join(
            f"CASE WHEN old.{c} IS NOT new.{c} THEN ', {c} = ' || {_literal(f'old.{c}')} "
            f"ELSE '' END" for c in cols)
        update_sql = (f"'UPDATE {table} SET ' || substr({sets}, 3) || ' WHERE rowid = ' || "
                      f"new.rowid")
        values = " || ', ' || ".join(_literal(f"old.{c}") for c in cols)
        delete_sql = (
            f"'INSERT INTO {table} (rowid, {', '.join(cols)}) VALUES (' || old.rowid || ', ' || "
            f"{values} || ')'"
        )
        for kind, sql, extra in (("insert", insert_sql, ""),
                                 ("update", update_sql, f" AND ({changed})"),
                                 ("delete", delete_sql, "")):
            conn.execute(
                f"CREATE TRIGGER undo_{table}_{kind} AFTER {kind.upper()} ON {table} {when}{extra} "
                f"BEGIN INSERT INTO undo_entry (action_id, statement) VALUES ({open_action}, {sql}); END"
            )


def migrate(conn: sqlite3.Connection, *, target: int | None = None) -> list[int]:
    """Upgrade ``conn`` step by step to ``target`` (default: the latest). Returns the versions
    reached. Each step and the trigger refresh run in one transaction."""
    goal = latest_version() if target is None else target
    reached: list[int] = []
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read inside the write lock: another process may have upgraded the file meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= goal:
                conn.execute("COMMIT")
                return reached
            MIGRATIONS[version](conn)
            version += 1
            install_undo_triggers(conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                conn.execute("ROLLBACK")
            raise
        reached.append(version)
