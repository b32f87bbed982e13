"""Schema versions. Each step is plain SQL run in one transaction; ``PRAGMA user_version`` holds
the version a file is at. A new step is appended, never edited, and comes with a test that opens
a database of the previous version and upgrades it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

APPLICATION_ID = 0x50535046  # "PSPF": marks a file as a papershelf library

# Tables whose changes the undo log records (pull_log and the undo tables themselves are not).
UNDO_TABLES = ("paper", "paper_author", "tag", "paper_tag", "note", "feed_entry")

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


# MIGRATIONS[i] brings a database from version i to version i + 1.
MIGRATIONS: list[Step] = [_v1]


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

    They log only while an undo action is open (see :func:`storage.library.Library.action`), so
    migrations, the undo itself and index maintenance are not recorded. Each logged statement
    restores one row by rowid; undo runs them newest first.
    """
    open_action = "(SELECT id FROM undo_action WHERE open = 1 ORDER BY id DESC LIMIT 1)"
    when = "WHEN EXISTS (SELECT 1 FROM undo_action WHERE open = 1)"
    for table in UNDO_TABLES:
        cols = _columns(conn, table)
        for kind in ("insert", "update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS undo_{table}_{kind}")
        insert_sql = f"'DELETE FROM {table} WHERE rowid = ' || new.rowid"
        sets = " || ', ' || ".join(f"'{c} = ' || {_literal(f'old.{c}')}" for c in cols)
        update_sql = f"'UPDATE {table} SET ' || {sets} || ' WHERE rowid = ' || old.rowid"
        values = " || ', ' || ".join(_literal(f"old.{c}") for c in cols)
        delete_sql = (
            f"'INSERT INTO {table} (rowid, {', '.join(cols)}) VALUES (' || old.rowid || ', ' || "
            f"{values} || ')'"
        )
        for kind, sql in (("insert", insert_sql), ("update", update_sql), ("delete", delete_sql)):
            conn.execute(
                f"CREATE TRIGGER undo_{table}_{kind} AFTER {kind.upper()} ON {table} {when} "
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
