"""A library on a PostgreSQL server: ``papershelf --db postgresql://host/db`` (or
``[library] url`` in config.toml).

The URL is handed to psycopg as given, so libpq finds the credentials (``~/.pgpass``,
``PGSERVICE``, ``PGPASSWORD``...) and every connection option it knows. This module and psycopg
are imported only when a PostgreSQL library is opened: SQLite users never load them.

:class:`PgLibrary` has the same unit-of-work methods as :class:`storage.db.Library`
(``read``, ``write``, ``action``) over the same SQL: the statements the store writes for
SQLite's driver (``?`` placeholders) are rewritten for psycopg's (``%s``) as they are sent,
and the schema (:mod:`storage.pg_schema`) provides what they rely on. Writers take one
transaction-level advisory lock, as SQLite's ``BEGIN IMMEDIATE`` does: one writer at a time,
the others wait, each one's reads and writes in one transaction.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, StatementError
from sqlmodel import Session

from reader.errors import BadInput
from storage import pg_schema
from storage.backend import pg_sync_index
from storage.db import _TOO_BIG, UNDO_KEEP, Library, _bad_text, utcnow
from storage.errors import LibraryError

WRITE_LOCK = 0x50535046  # pg_advisory_xact_lock key: one writer at a time ("PSPF")
MIGRATE_LOCK = WRITE_LOCK + 1


def shown_url(url: str) -> str:
    """The URL as it may be printed: any password in it replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True).replace(
            "postgresql+psycopg://", "postgresql://", 1)
    except ArgumentError:
        return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def _driver_url(url: str) -> Any:
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise BadInput(f"{shown_url(url)} is not a usable database URL ({err})") from err
    return parsed.set(drivername="postgresql+psycopg")


# ---------------------------------------------------------------- SQLite's placeholders on psycopg


@lru_cache(maxsize=512)
def to_format_style(sql: str) -> str:
    """``sql`` written for SQLite's driver (``?`` placeholders) as psycopg wants it (``%s``, and
    a literal ``%`` doubled). A ``?`` inside a quoted string or name stays."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


def _make_engine(url: str) -> Engine:
    engine = create_engine(_driver_url(url), pool_pre_ping=True, pool_size=2, max_overflow=4)

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _placeholders(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                      executemany: bool) -> tuple[str, Any]:
        # Only the statements the store wrote as text for SQLite (exec_driver_sql) and that
        # carry parameters; SQLAlchemy's own are already in psycopg's style.
        if parameters and context is not None and context.compiled is None:
            return to_format_style(statement), parameters
        return statement, parameters

    return engine


# ---------------------------------------------------------------- errors


def _first_line(err: BaseException) -> str:
    orig = getattr(err, "orig", None) or err
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def explain(where: str, err: BaseException, *, opening: bool = False) -> LibraryError | BadInput:
    """One line for what PostgreSQL said about the connection, the rights or the data."""
    import psycopg

    orig = getattr(err, "orig", err)
    unchanged = "" if opening else "; nothing was changed"
    if isinstance(orig, psycopg.errors.InsufficientPrivilege | psycopg.errors.ReadOnlySqlTransaction):
        return LibraryError(f"cannot write {where}: {_first_line(orig)} (you may only read this "
                            f"library){unchanged}")
    if isinstance(orig, psycopg.errors.NumericValueOutOfRange):
        return BadInput(_TOO_BIG)
    if isinstance(orig, psycopg.errors.UntranslatableCharacter | psycopg.errors.CharacterNotInRepertoire):
        return BadInput(f"cannot store text in {where}: {_first_line(orig)}{unchanged}")
    if isinstance(orig, psycopg.DataError) and "NUL" in str(orig):
        return BadInput(f"cannot store text holding a NUL character (\\x00) in {where} "
                        f"(PostgreSQL text cannot hold one){unchanged}")
    if isinstance(orig, psycopg.errors.DiskFull):
        return LibraryError(f"cannot write {where}: the server's disk is full{unchanged}")
    if isinstance(orig, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected
                  | psycopg.errors.QueryCanceled):
        return LibraryError(f"{where} is busy: {_first_line(orig)}{unchanged}; try again")
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
        return LibraryError(f"cannot reach {where}: {_first_line(orig)}")
    return LibraryError(f"{where}: {_first_line(orig)}")


def _is_server_problem(err: BaseException) -> bool:
    """What the server, the network or the user's rights say, not a bug in papershelf (a bug,
    such as bad SQL or a constraint failing, keeps its traceback)."""
    import psycopg

    orig = getattr(err, "orig", err)
    return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError
                      | psycopg.errors.InsufficientPrivilege | psycopg.errors.ReadOnlySqlTransaction
                      | psycopg.errors.NumericValueOutOfRange | psycopg.errors.DiskFull
                      | psycopg.errors.UntranslatableCharacter
                      | psycopg.errors.CharacterNotInRepertoire) or (
        isinstance(orig, psycopg.DataError) and "NUL" in str(orig))


@contextmanager
def translate_errors(where: str) -> Iterator[None]:
    try:
        yield
    except DBAPIError as err:
        if _is_server_problem(err):
            raise explain(where, err) from err
        raise
    except StatementError as err:
        if isinstance(err.orig, UnicodeEncodeError):
            raise _bad_text(err.orig) from err
        if isinstance(err.orig, OverflowError):
            raise BadInput(_TOO_BIG) from err
        if err.orig is not None and _is_server_problem(err.orig):
            raise explain(where, err.orig) from err
        raise
    except UnicodeEncodeError as err:  # text that is not UTF-8 (psycopg encodes every string)
        raise _bad_text(err) from err
    except OverflowError as err:
        raise BadInput(_TOO_BIG) from err


# ---------------------------------------------------------------- the library


class PgLibrary(Library):
    """A library in a PostgreSQL database (see the module's docstring)."""

    backend = "postgresql"

    def __init__(self, url: str) -> None:  # (Library's file setup does not apply)
        self.url = url
        self._where = shown_url(url)
        self._reader = self._writer = _make_engine(url)

    @property
    def where(self) -> str:
        return self._where

    @property
    def path(self) -> Path:
        raise LibraryError(f"{self._where} is a PostgreSQL database, not a library file")

    @path.setter
    def path(self, _value: Path) -> None:
        raise AttributeError("path")

    def close(self) -> None:
        self._writer.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translate_errors(self._where), Session(self._reader, expire_on_commit=False) \
                as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with translate_errors(self._where), Session(self._writer, expire_on_commit=False) \
                as session, session.begin():
            session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            yield session
            session.flush()
            pg_sync_index(session.connection())

    @contextmanager
    def action(self, description: str) -> Iterator[Session]:
        """One undoable change: one transaction, one undo step (the triggers log it)."""
        with translate_errors(self._where), Session(self._writer, expire_on_commit=False) \
                as session, session.begin():
            conn = session.connection()
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            action_id = conn.exec_driver_sql(
                "INSERT INTO undo_action (description, created, open) VALUES (?, ?, TRUE) "
                "RETURNING id", (description, utcnow())).scalar_one()
            conn.exec_driver_sql("SELECT set_config('papershelf.undo_action', ?, true)",
                                 (str(action_id),))
            yield session
            session.flush()
            pg_sync_index(conn)  # the search index follows (as SQLite's sync_index here)
            conn.exec_driver_sql("SELECT set_config('papershelf.undo_action', '', true)")
            conn.exec_driver_sql("UPDATE undo_action SET open = FALSE WHERE id = ?", (action_id,))
            # An action that wrote nothing is not worth an undo step.
            conn.exec_driver_sql(
                "DELETE FROM undo_action WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM undo_entry WHERE action_id = ?)", (action_id, action_id))
            conn.exec_driver_sql("DELETE FROM undo_action WHERE id <= ?",
                                 (int(action_id) - UNDO_KEEP,))

    def raw(self) -> NoReturn:
        raise LibraryError(f"{self._where} is a PostgreSQL database: this needs an SQLite "
                           f"library file")

    def refuse_own(self, dest: Path) -> None:
        self.backup(dest)

    def backup(self, dest: Path) -> None:
        raise LibraryError(
            f"'db backup' copies an SQLite library file, and {self._where} is a PostgreSQL "
            f"database: copy it with 'papershelf db copy --to FILE' or the server's pg_dump")

    def check(self, *, full: bool = False) -> list[str]:
        """What can go wrong here that PostgreSQL does not prevent itself (it enforces keys
        and constraints on every write, and checks its own pages): a table or an undo trigger
        gone (someone's hand-made change), citation keys that differ only in case."""
        from storage.backend import key_case_clashes
        from storage.models import SQLModel

        with self.read() as session:
            conn = session.connection()
            tables = set(conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars())
            problems = [f"table {t} is missing" for t in
                        sorted({t.name for t in SQLModel.metadata.sorted_tables} - tables)]
            triggers = set(conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())
            problems += [f"the undo trigger undo_{t} is missing (undo would not restore "
                         f"{t}): open the library once as its owner to restore it"
                         for t in pg_schema.PRIMARY_KEYS if f"undo_{t}" not in triggers]
            if problems:
                return problems
            return key_case_clashes(conn)

    @property
    def schema_version(self) -> int:
        with self.read() as session:
            return int(session.connection().exec_driver_sql(
                "SELECT value FROM meta WHERE name = 'schema_version'").scalar_one())


# ---------------------------------------------------------------- opening and migrating


def _refuse_foreign(conn: Any, where: str) -> None:
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")]
    if tables and "meta" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise LibraryError(f"{where} is not a papershelf library (its schema has other tables: "
                           f"{shown}); name an empty database or a papershelf one")


def _version(conn: Any, where: str) -> int:
    if conn.execute("SELECT to_regclass('meta')").fetchone()[0] is None:
        return 0
    rows = dict(conn.execute("SELECT name, value FROM meta WHERE name IN "
                             "('application', 'schema_version')").fetchall())
    if rows.get("application") != "papershelf":
        raise LibraryError(f"{where} is not a papershelf library (its meta table is another "
                           f"application's)")
    return int(rows.get("schema_version") or 0)


def migrate(conn: Any, where: str, *, upgrade: bool = True) -> list[int]:
    """Bring the database behind the psycopg connection ``conn`` to the latest schema, in one
    transaction holding the migration lock (two processes opening a fresh database at once
    migrate it once). Returns the versions reached."""
    import psycopg

    latest = pg_schema.latest_version()
    reached: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        version = _version(conn, where)
        if version > latest:
            raise LibraryError(
                f"{where} was written by a newer papershelf (schema {version}; this version "
                f"reads up to {latest}): upgrade papershelf to open it")
        if version == latest:
            have = {r[0] for r in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'undo%'")}
            if have < {f"undo_{t}" for t in pg_schema.PRIMARY_KEYS}:
                # One was dropped by hand: put them back if this user may (``db check``
                # reports them to one who may not).
                with contextlib.suppress(psycopg.errors.InsufficientPrivilege), \
                        conn.transaction():
                    for statement in pg_schema.undo_triggers():
                        conn.execute(statement)
            return reached
        if version == 0:
            _refuse_foreign(conn, where)
        if not upgrade:
            raise LibraryError(
                f"{where} is at schema {version}; run 'papershelf db migrate' to upgrade")
        for goal, step in pg_schema.STEPS:
            if version == 0 or goal > version:
                step(conn)
                version = goal
                reached.append(goal)
        for statement in pg_schema.undo_triggers():
            conn.execute(statement)
        conn.execute("INSERT INTO meta (name, value) VALUES ('schema_version', %s) "
                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (str(version),))
    return reached


def _connect_failed(where: str, err: BaseException) -> NoReturn:
    raise LibraryError(f"cannot open {where}: {_first_line(err)}") from err


def open_pg_library(url: str, *, upgrade: bool = True) -> PgLibrary:
    """Open the library in the database at ``url``, creating its tables in an empty database
    and upgrading an older schema (PostgreSQL's DDL is transactional: an upgrade that fails
    changes nothing)."""
    try:
        import psycopg
    except ImportError as err:  # pragma: no cover - a core dependency
        raise LibraryError("PostgreSQL libraries need psycopg: pip install 'psycopg[binary]'") \
            from err
    where = shown_url(url)
    dsn = _driver_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as err:
        _connect_failed(where, err)
    try:
        migrate(conn, where, upgrade=upgrade)
    except psycopg.Error as err:
        if _is_server_problem(err):
            raise explain(where, err, opening=True) from err
        raise
    finally:
        conn.close()
    return PgLibrary(url)
