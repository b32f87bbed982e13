"""Opening a library file: checks, pragmas, migrations, and the sessions everything else uses.

The engine is made by :func:`open_library`, never at import. Writes run in ``BEGIN IMMEDIATE``
transactions so two writers queue on the busy timeout instead of failing; WAL lets readers go on
while one writes.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import platformdirs
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from reader.errors import BadInput
from storage import migrations
from storage.errors import LibraryError
from storage.search import index_problems, sync_index

BUSY_TIMEOUT_S = 30.0
UNDO_KEEP = 500  # actions kept in the undo log


def _read_only_uri(path: Path) -> str:
    """An SQLite ``file:`` URI for ``path``, read-only. The path is percent-encoded, so ``%``,
    ``#``, ``?``, spaces and non-ASCII letters in it stay part of the file name."""
    return f"file:{pathname2url(os.fspath(path))}?mode=ro"


def default_db_path() -> Path:
    return platformdirs.user_data_path("papershelf") / "library.db"


URL_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a library file."""
    return isinstance(location, str) and location.startswith(URL_PREFIXES)


_OTHER_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")


def _location(text: str | os.PathLike[str], where: str) -> Path | str:
    if is_url(text):
        return str(text)
    other = _OTHER_URL.match(os.fspath(text))
    if other:
        raise BadInput(f"{where}: {other.group(1)}:// is not a kind of library papershelf opens "
                       f"(a library file's path, or a postgresql:// URL)")
    return Path(text).expanduser()


def resolve_db_path(option: str | os.PathLike[str] | None) -> Path | str:
    """``--db`` if given, then ``PAPERSHELF_DB``, then ``[library] url`` in config.toml, then
    the platformdirs default. A file is a :class:`Path`; a PostgreSQL URL stays the text."""
    if option:
        return _location(option, "--db")
    env = os.environ.get("PAPERSHELF_DB")
    if env:
        return _location(env, "PAPERSHELF_DB")
    from reader.settings import library_url

    url = library_url()
    if url:
        return url
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
        at_rest = _at_rest(path)
        with path.open("rb") as fh:
            header = fh.read(100)
        size = path.stat().st_size
        at_rest = at_rest and _at_rest(path) and path.stat().st_size == size
    except OSError as err:
        raise LibraryError(f"cannot read {path}: {err.strerror}") from err
    if header and header[:16] != b"SQLite format 3\x00":
        raise LibraryError(f"{path} is not a papershelf library (not an SQLite database)")
    if at_rest:
        _check_length(path, header, size)
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise explain(path, err, opening=True) from err
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


# SQLite result codes that describe the file or the machine, not a bug in papershelf: they become
# one clear line (a LibraryError). Anything else (a constraint failing, bad SQL) is a bug and keeps
# its traceback.
_FILE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN",
                "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_PERM", "SQLITE_TOOBIG",
                "SQLITE_NOMEM")


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def explain(path: Path, err: sqlite3.Error, *, opening: bool = False) -> LibraryError:
    """One line saying what went wrong with the library file and what to do about it."""
    name = getattr(err, "sqlite_errorname", "") or ""
    folder = path.parent
    unchanged = "" if opening else "; nothing was changed"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return LibraryError(
            f"{path} is busy: another program kept it locked for {BUSY_TIMEOUT_S:.0f} s"
            f"{unchanged}; try again")
    if name.startswith("SQLITE_FULL"):
        return LibraryError(f"cannot write {path}: the disk is full{unchanged}")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        if folder.is_dir() and not _writable(folder):
            return LibraryError(
                f"cannot use {path}: its folder {folder} is read-only (papershelf keeps its "
                f"journal beside the library file); make the folder writable or copy the library "
                f"to one that is")
        if path.exists() and not _writable(path):
            return LibraryError(f"cannot write {path}: the file is read-only{unchanged}")
        return LibraryError(f"cannot open {path}: {err}")
    if name.startswith("SQLITE_IOERR"):
        return LibraryError(
            f"cannot write {path}: the disk reported an input/output error (is it full, or "
            f"failing?){unchanged}")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return LibraryError(
            f"{path} is damaged ({err}): restore a backup (see 'Where your data lives' in the "
            f"README)")
    if name.startswith("SQLITE_TOOBIG"):
        return LibraryError(f"cannot write {path}: a field is too big to store{unchanged}")
    if opening:
        return LibraryError(f"{path} is not a usable papershelf library ({err})")
    return LibraryError(f"{path}: {err}")


def _is_file_error(err: sqlite3.Error) -> bool:
    return str(getattr(err, "sqlite_errorname", "") or "").startswith(_FILE_ERRORS)


def _bad_text(err: UnicodeEncodeError) -> BadInput:
    text = err.object if isinstance(err.object, str) else str(err.object)
    shown = text[max(0, err.start - 30): err.end + 30]
    return BadInput(
        f"cannot store {shown!r}: it is not valid UTF-8 text (the character "
        f"{text[err.start]!r}); nothing was changed")


_TOO_BIG = f"a number is too large to store (the largest is {2**63 - 1}); nothing was changed"


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn what SQLite says about the file (full disk, read-only, damaged, busy) and text that
    cannot be stored into one clear :class:`PapershelfError`; leave bugs alone."""
    try:
        yield
    except DBAPIError as err:
        if isinstance(err.orig, sqlite3.Error) and _is_file_error(err.orig):
            raise explain(path, err.orig) from err
        raise
    except StatementError as err:
        if isinstance(err.orig, UnicodeEncodeError):
            raise _bad_text(err.orig) from err
        if isinstance(err.orig, OverflowError):
            raise BadInput(_TOO_BIG) from err
        raise
    except UnicodeEncodeError as err:
        raise _bad_text(err) from err
    except OverflowError as err:  # an int beyond SQLite's 64 bits
        raise BadInput(_TOO_BIG) from err
    except sqlite3.Error as err:
        if _is_file_error(err):
            raise explain(path, err) from err
        raise


# Fault injection for the crash tests (tests/reliability/harness.py). With PAPERSHELF_CRASH_AFTER=N
# in the environment, the process SIGKILLs itself just before its N-th step, a step being an SQL
# statement (COMMITs included) or a connection closing (so a kill can land right after a COMMIT).
# Inert when the variable is unset: no callback is installed and nothing is counted.
CRASH_ENV = "PAPERSHELF_CRASH_AFTER"
steps_seen = 0


def _crash_tick(_sql: str | None = None) -> None:
    global steps_seen
    limit = os.environ.get(CRASH_ENV, "")
    if not limit.isdigit():
        return
    steps_seen += 1
    if steps_seen >= int(limit):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def _crash_hook(dbapi_conn: sqlite3.Connection) -> None:
    if os.environ.get(CRASH_ENV, "").isdigit():
        dbapi_conn.set_trace_callback(lambda sql: _crash_tick(sql))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # (another process may remove its WAL at any moment)
        return 0


def _at_rest(path: Path) -> bool:
    """No journal or WAL with content beside the file: nothing is writing it now."""
    return not any(_size(path.with_name(path.name + side)) > 0 for side in ("-wal", "-journal"))


def _check_length(path: Path, header: bytes, size: int) -> None:
    """Refuse a file cut short. SQLite reads missing pages at the end as zeros, so a truncated
    file can pass for a sound one and hand back garbage. Checked only on a file at rest (before
    and after reading it): then its length must be a whole number of pages, at least as many
    as its header counts."""
    if size < 100:
        return
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if page_size < 512:
        return  # not a valid header: SQLite itself will say so
    header_valid = pages > 0 and header[24:28] == header[92:96]
    expected = max(pages * page_size if header_valid else 0, -(-size // page_size) * page_size)
    if size < expected:
        raise LibraryError(
            f"{path} is damaged (the file is cut short: {size} of {expected} bytes): restore a "
            f"backup (see 'Where your data lives' in the README)")


def _configure(dbapi_conn: sqlite3.Connection) -> None:
    _crash_hook(dbapi_conn)
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    dbapi_conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA synchronous = NORMAL")


def _make_engine(path: Path, *, begin: str) -> Engine:
    # The URL is built from its parts, never parsed from text: a parsed "sqlite:///..." would
    # read ``%20`` in a file name as a space and ``?``/``#`` as the start of a query. (A
    # ``creator`` connecting by hand loses the file-database handling of SQLite's dialect:
    # a process killed right after COMMIT then lost the commit; tests/reliability/test_crash.)
    url = URL.create("sqlite", database=os.fspath(path))
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        _configure(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: Any, _record: Any) -> None:
        _crash_tick()

    return engine


class Library:
    """An open library file. Use :meth:`read` for queries, :meth:`action` for a change the user
    can undo, :meth:`write` for bookkeeping that is not undoable (pull logs)."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader = _make_engine(path, begin="BEGIN")
        self._writer = _make_engine(path, begin="BEGIN IMMEDIATE")

    @property
    def where(self) -> str:
        """The library as messages name it: its file, or its database's URL."""
        return str(self.path)

    def close(self) -> None:
        self._reader.dispose()
        self._writer.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translate_errors(self.path), Session(self._reader, expire_on_commit=False) as session, \
                session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with translate_errors(self.path), Session(self._writer, expire_on_commit=False) as session, \
                session.begin():
            yield session
            session.flush()
            sync_index(session.connection())

    @contextmanager
    def action(self, description: str) -> Iterator[Session]:
        """One undoable change: everything written inside is one transaction and one undo step."""
        with translate_errors(self.path), Session(self._writer, expire_on_commit=False) as session, \
                session.begin():
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
        with translate_errors(self.path):
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            _configure(conn)
        return conn

    def refuse_own(self, dest: Path) -> None:
        """:class:`LibraryError` when ``dest`` is the library's own file or its journal."""
        dest = dest.expanduser()
        for own in (self.path, *(self.path.with_name(self.path.name + s)
                                 for s in ("-wal", "-shm", "-journal"))):
            if dest.exists() and own.exists() and os.path.samefile(dest, own) or (
                    dest.resolve() == own.resolve()):
                raise LibraryError(f"refusing to back up {self.path} onto {dest}: that is the "
                                   f"library's own file; name another file")

    def backup(self, dest: Path) -> None:
        """A consistent copy made with SQLite's online backup, written beside ``dest`` first and
        renamed into place."""
        dest = dest.expanduser()
        if dest.exists() and dest.is_dir():
            raise LibraryError(f"{dest} is a directory; name the backup file")
        if not dest.parent.exists():
            raise LibraryError(f"cannot write {dest}: folder {dest.parent} does not exist")
        self.refuse_own(dest)
        src = self.raw()
        try:
            if _is_stream(dest):
                _backup_to_stream(src, dest)
            else:
                copy_database(src, dest)
        finally:
            src.close()

    def check(self, *, full: bool = False) -> list[str]:
        """Problems found by SQLite's integrity and foreign key checks and the search index's
        own check (empty when sound). By default the quick checks (SQLite's ``quick_check``,
        the index's rows against the papers); ``full`` adds SQLite's ``integrity_check`` (also
        index contents) and FTS5's own check of both search indexes, which read the whole file
        (seconds on a big library)."""
        conn = self.raw()
        try:
            check = "PRAGMA integrity_check" if full else "PRAGMA quick_check"
            problems = [r[0] for r in conn.execute(check) if r[0] != "ok"]
            for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"{table} row {rowid} points to a missing {parent}")
            # (A paper without authors is not a problem: a .bib entry, a Daily Papers item or an
            # arXiv entry may have none. A paper's authors are written in the same transaction
            # as the paper; tests/reliability/test_crash.py shows no kill separates them.)
            problems += index_problems(conn, thorough=full, fts=full)
            problems += key_case_clashes(conn)
            return problems
        except sqlite3.DatabaseError as err:
            if not _is_file_error(err):
                raise
            return [f"the file is damaged: {err}"]
        finally:
            conn.close()

    @property
    def schema_version(self) -> int:
        conn = self.raw()
        try:
            with translate_errors(self.path):
                return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()


def _is_stream(path: Path) -> bool:
    """A FIFO, a device or /dev/stdout: written as a stream, never replaced by a file."""
    if str(path) in ("/dev/stdout", "/dev/stderr") or str(path).startswith(("/dev/fd/",
                                                                             "/proc/self/fd/")):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _backup_to_stream(src: sqlite3.Connection, dest: Path) -> None:
    """A consistent copy (online backup to a temporary file), then its bytes to ``dest``."""
    with tempfile.TemporaryDirectory(prefix="papershelf-backup-") as folder:
        copy = Path(folder) / "library.db"
        copy_database(src, copy)
        try:
            regular = stat.S_ISREG(os.stat(dest).st_mode)
            fd = os.open(dest, os.O_WRONLY | (os.O_APPEND if regular else 0))
        except OSError as err:
            raise LibraryError(f"cannot write {dest}: {err.strerror}") from err
        try:
            with copy.open("rb") as fh:
                while chunk := fh.read(1 << 16):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
        except OSError as err:
            raise LibraryError(f"cannot write {dest}: {err.strerror}") from err
        finally:
            os.close(fd)


def key_case_clashes(conn: sqlite3.Connection) -> list[str]:
    """Citation keys that differ only in case (BibTeX takes them as one key: "Repeated entry").
    A library upgraded from schema 2 may hold such pairs; nothing renames them silently."""
    problems = []
    for (group,) in conn.execute(
            "SELECT group_concat(quote(key) || ' (paper ' || id || ')', ', ') FROM "
            "(SELECT id, key FROM paper ORDER BY id) GROUP BY key COLLATE NOCASE "
            "HAVING count(*) > 1"):
        problems.append(f"citation keys {group} differ only in case (BibTeX takes them as one "
                        f"key): rename all but one with 'papershelf key KEY NEW_KEY'")
    return problems


def copy_database(src: sqlite3.Connection, dest: Path) -> None:
    """Copy the database behind ``src`` to ``dest`` with SQLite's online backup: written to a
    temporary file beside ``dest``, made a single self-contained file (no WAL), then renamed over
    ``dest``, so ``dest`` is always either what it was or the complete copy."""
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
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
    except sqlite3.Error as err:
        if not _is_file_error(err):
            raise
        raise explain(dest, err) from err
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            if leftover.exists():
                leftover.unlink()


def _create_parent(path: Path) -> None:
    """Make the library's folder (and any missing parents) readable by its owner only."""
    parent = path.parent
    if parent.exists():
        return
    try:
        parent.mkdir(parents=True, mode=0o700)
        parent.chmod(0o700)  # whatever the umask
    except OSError as err:
        raise LibraryError(f"cannot create folder {parent}: {err.strerror}") from err


def _copy_aside(conn: sqlite3.Connection, path: Path) -> None:
    """Before an upgrade, copy the library to ``<name>.v<N>.bak``: a failed or unwanted upgrade
    is undone by putting that file back. Done holding the write lock (nothing is written), so
    that another process cannot upgrade the file between the version read and the copy."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < migrations.latest_version():
            reader = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
            try:
                copy_database(reader, path.with_name(f"{path.name}.v{version}.bak"))
            finally:
                reader.close()
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def _remove_new_file(path: Path) -> None:
    """Take away a library file this run created but could not set up (a full disk, say), as
    long as it is still empty: another process may have made it a library meanwhile."""
    try:
        if path.stat().st_size > 0:
            conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=1)
            try:
                if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    return
            finally:
                conn.close()
    except (OSError, sqlite3.Error):
        return
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        with suppress(OSError):
            leftover.unlink()


def open_library(path: Path | str, *, upgrade: bool = True) -> Library:
    """Open (creating if needed) the library at ``path``, upgrading an older schema after
    copying the file aside (``<name>.v<N>.bak``). A PostgreSQL URL opens that database
    (:mod:`storage.pg`, imported only then)."""
    if is_url(path):
        from storage.pg import open_pg_library

        return open_pg_library(str(path), upgrade=upgrade)
    path = Path(path).expanduser()
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
        raise explain(path, err, opening=True) from err
    try:
        _configure(conn)
        if needs:
            if state.user_version > 0:
                _copy_aside(conn, path)
            migrations.migrate(conn)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as err:
        conn.close()
        if not state.exists:
            _remove_new_file(path)
        if not _is_file_error(err):
            raise
        raise explain(path, err, opening=not needs) from err
    except BaseException:
        conn.close()
        if not state.exists:
            _remove_new_file(path)
        raise
    conn.close()
    return Library(path)
