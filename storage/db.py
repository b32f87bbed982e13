"""Opening a library file: checks, pragmas, migrations, and the sessions everything else uses.

The engine is made by :func:`open_library`, never at import. Writes run in ``BEGIN IMMEDIATE``
transactions so two writers queue on the busy timeout instead of failing; WAL lets readers go on
while one writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from storage import migrations
from storage.errors import LibraryError
from storage.search import index_problems, sync_index

BUSY_TIMEOUT_S = 30.0
UNDO_KEEP = 500  # actions kept in the undo log


def default_db_path() -> Path:
    return platformdirs.user_data_path("papershelf") / "library.db"


def resolve_db_path(option: str | os.PathLike[str] | None) -> Path:
    """``--db`` if given, then ``PAPERSHELF_DB``, then the platformdirs default."""
    if option:
        return Path(option).expanduser()
    env = os.environ.get("PAPERSHELF_DB")
    if env:
        return Path(env).expanduser()
    return default_db_path()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class FileState:
    exists: bool
    application_id: int = 0
    user_version: int = 0
    tables: list[str] = field(default_factory=list)


def inspect_file(path: Path) -> FileState:
    """What is at ``path``, without changing it. Raises :class:`LibraryError` for a file that
    is not a papershelf library."""
    if not path.exists():
        return FileState(exists=False)
    if path.is_dir():
        raise LibraryError(f"{path} is a directory, not a library file")
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as err:
        raise LibraryError(f"cannot read {path}: {err.strerror}") from err
    if header and header != b"SQLite format 3\x00":
        raise LibraryError(f"{path} is not a papershelf library (not an SQLite database)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise LibraryError(f"{path} is not a usable papershelf library ({err})") from err
    state = FileState(True, app_id, version, tables)
    if tables and app_id != migrations.APPLICATION_ID:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise LibraryError(
            f"{path} is not a papershelf library (it is an SQLite database of another "
            f"application, with tables {shown})")
    if version > migrations.latest_version():
        raise LibraryError(
            f"{path} was written by a newer papershelf (schema {version}; this version reads up "
            f"to {migrations.latest_version()}): upgrade papershelf to open it")
    return state


def _configure(dbapi_conn: sqlite3.Connection) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    dbapi_conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA synchronous = NORMAL")


def _make_engine(path: Path, *, begin: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        poolclass=NullPool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        _configure(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Library:
    """An open library file. Use :meth:`read` for queries, :meth:`action` for a change the user
    can undo, :meth:`write` for bookkeeping that is not undoable (pull logs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader = _make_engine(path, begin="BEGIN")
        self._writer = _make_engine(path, begin="BEGIN IMMEDIATE")

    def close(self) -> None:
        self._reader.dispose()
        self._writer.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session
            session.flush()
            sync_index(session.connection())

    @contextmanager
    def action(self, description: str) -> Iterator[Session]:
        """One undoable change: everything written inside is one transaction and one undo step."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            conn = session.connection()
            conn.exec_driver_sql(
                "INSERT INTO undo_action (description, created, open) VALUES (?, ?, 1)",
                (description, utcnow().isoformat(sep=" ")),
            )
            yield session
            session.flush()
            sync_index(conn)  # re-index the papers this action changed (search index)
            conn.exec_driver_sql("UPDATE undo_action SET open = 0 WHERE open = 1")
            # An action that wrote nothing is not worth an undo step.
            conn.exec_driver_sql(
                "DELETE FROM undo_action WHERE id = (SELECT max(id) FROM undo_action) AND NOT "
                "EXISTS (SELECT 1 FROM undo_entry WHERE action_id = undo_action.id)")
            conn.exec_driver_sql(
                "DELETE FROM undo_action WHERE id <= (SELECT max(id) FROM undo_action) - ?",
                (UNDO_KEEP,))

    def raw(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the library's pragmas (for backup and checks)."""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        _configure(conn)
        return conn

    def backup(self, dest: Path) -> None:
        """A consistent copy made with SQLite's online backup, written beside ``dest`` first and
        renamed into place."""
        dest = dest.expanduser()
        if dest.exists() and dest.is_dir():
            raise LibraryError(f"{dest} is a directory; name the backup file")
        if not dest.parent.exists():
            raise LibraryError(f"cannot write {dest}: folder {dest.parent} does not exist")
        tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
        src = self.raw()
        try:
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)
                out.execute("PRAGMA journal_mode = DELETE")
            finally:
                out.close()
            os.replace(tmp, dest)
        except OSError as err:
            raise LibraryError(f"cannot write {dest}: {err.strerror}") from err
        finally:
            src.close()
            if tmp.exists():
                tmp.unlink()

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity and foreign key checks (empty when sound)."""
        conn = self.raw()
        try:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
            for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"{table} row {rowid} points to a missing {parent}")
            orphans = conn.execute(
                "SELECT count(*) FROM paper WHERE NOT EXISTS "
                "(SELECT 1 FROM paper_author WHERE paper_id = paper.id) "
                "AND source NOT IN ('page', 'manual')").fetchone()[0]
            if orphans:
                problems.append(f"{orphans} pulled or imported paper(s) have no authors")
            problems += index_problems(conn)
            return problems
        finally:
            conn.close()

    @property
    def schema_version(self) -> int:
        conn = self.raw()
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()


def _create_parent(path: Path) -> None:
    parent = path.parent
    if parent.exists():
        return
    try:
        parent.mkdir(parents=True, mode=0o700)
    except OSError as err:
        raise LibraryError(f"cannot create folder {parent}: {err.strerror}") from err


def open_library(path: Path, *, upgrade: bool = True) -> Library:
    """Open (creating if needed) the library at ``path``, upgrading an older schema after
    copying the file aside (``<name>.v<N>.bak``)."""
    path = path.expanduser()
    state = inspect_file(path)
    if not state.exists:
        _create_parent(path)
    needs = state.user_version < migrations.latest_version()
    if needs and not upgrade:
        raise LibraryError(
            f"{path} is at schema {state.user_version}; run 'papershelf db migrate' to upgrade")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as err:
        raise LibraryError(f"cannot open {path}: {err}") from err
    try:
        _configure(conn)
        if needs:
            if state.user_version > 0:
                backup_path = path.with_name(f"{path.name}.v{state.user_version}.bak")
                copy = sqlite3.connect(backup_path)
                try:
                    conn.backup(copy)
                finally:
                    copy.close()
            migrations.migrate(conn)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as err:
        raise LibraryError(f"cannot write {path}: {err}") from err
    finally:
        conn.close()
    return Library(path)
