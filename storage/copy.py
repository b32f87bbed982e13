"""Copying a library, row for row, from one database to another (SQLite or PostgreSQL).

Every table the migrations create is copied with its ids, except the search index, which is
derived from the others and rebuilt on the target. The rows are read in one read transaction on
the source (one consistent snapshot, even while the app writes) and written in one transaction on
the target, which must be empty. Before that transaction commits, each table is checked on the
target: its row count and a checksum of its content, computed the same way on both sides, must
match the source's; anything else rolls the copy back.

The checksum of a table is the sum (modulo 2**256) of the SHA-256 of each row, so it does not
depend on the order rows come back in (PostgreSQL orders text keys by its collation, SQLite by
bytes). A row is hashed as the ``repr`` of its values in column order, read through
SQLAlchemy's types between engines (dates, times, booleans, JSON documents as Python values),
so the same row hashes the same whichever engine holds it; between two SQLite files, as stored.
JSON documents keep their key order (a .bib entry's extra fields are exported in that order), so
a store that reorders keys fails the check.

Only SQLAlchemy Core is used here; the engine-specific parts are few and named: SQLite's hidden
``rowid`` of the tables whose key is not an integer (the undo log names rows by it) is copied
when both sides are SQLite; PostgreSQL's sequences are moved past the copied ids.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    MetaData,
    Table,
    column,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy import table as lightweight_table
from sqlalchemy.exc import DBAPIError

from reader.errors import BadInput
from storage.db import Library, inspect_file, open_library
from storage.errors import LibraryError
from storage.search import rebuild_index

# Tables copied, in an order that satisfies their foreign keys. The undo tables come last: an
# undo action left open in the source would otherwise make the target's undo triggers log the
# copy itself. A table a later migration adds is copied too (after these, by name); a test
# checks that every table of a new library is either here or derived.
COPY_ORDER = ("meta", "paper", "paper_author", "paper_alias", "tag", "paper_tag", "note",
              "feed_entry", "pull_log")
LAST = ("undo_action", "undo_entry")
# Tables derived from the others (the search index and its bookkeeping), rebuilt on the target.
DERIVED_PREFIXES = ("search_", "sqlite_")
DERIVED = ("change_log",)  # PostgreSQL's log of changes for live updates (its own per server)
# The bookkeeping table a new library writes itself (``application``, on PostgreSQL its
# schema): the source's rows are added where the target has none of that name, and left out of
# the emptiness check.
META = "meta"
ENGINE_META = ("schema_version",)  # PostgreSQL's schema version (SQLite's is in the file header)
CHUNK = 2000
ROWID = "rowid"


@dataclass
class TableCheck:
    name: str
    rows: int
    checksum: str  # hex, the first 16 digits are shown


@dataclass
class CopyResult:
    tables: list[TableCheck] = field(default_factory=list)
    papers: int = 0
    indexed: int = 0
    undo_rewritten: int = 0  # undo statements written in the target's SQL (between engines)
    undo_dropped: int = 0  # undo steps left out (their statements could not be rewritten)
    undo_reason: str = ""

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


Progress = Callable[[int], None]  # called with the number of rows just written


def is_derived(name: str) -> bool:
    return name.startswith(DERIVED_PREFIXES) or name in DERIVED


def library_tables(conn: Connection) -> list[str]:
    """The tables a copy moves, in copying order."""
    names = [n for n in inspect(conn).get_table_names() if not is_derived(n)]
    known = [n for n in COPY_ORDER if n in names]
    later = sorted(n for n in names if n not in COPY_ORDER and n not in LAST)
    return known + later + [n for n in LAST if n in names]


def _reflect(conn: Connection, names: Iterable[str]) -> dict[str, Table]:
    meta = MetaData()
    return {name: Table(name, meta, autoload_with=conn) for name in names}


def _is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _rowid_table(conn: Connection, table: Table) -> bool:
    """A SQLite table whose rows have a hidden rowid apart from their key (the undo log names
    rows by rowid, so the copy keeps it)."""
    if not _is_sqlite(conn):
        return False
    pk = list(table.primary_key.columns)
    return not (len(pk) == 1 and str(pk[0].type).upper().startswith("INT"))


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    return value


class _Sum:
    """An order-independent checksum of rows."""

    def __init__(self) -> None:
        self.total = 0
        self.rows = 0

    def add(self, names: Sequence[str], row: Sequence[Any]) -> None:
        # The values in column order (``names``, the same on both sides), as Python writes
        # them: repr is exact for text, numbers, dates, times and JSON documents (key order
        # kept), and ASCII. A boolean counts as 0/1 (SQLite has no booleans of its own).
        doc = repr(tuple(int(v) if v.__class__ is bool else v for v in row))
        digest = hashlib.sha256(doc.encode("ascii", "backslashreplace")).digest()
        self.total = (self.total + int.from_bytes(digest, "big")) % (1 << 256)
        self.rows += 1

    @property
    def hex(self) -> str:
        return f"{self.total:064x}"


def _order(table: Table) -> list[Any]:
    pk = list(table.primary_key.columns)
    return pk or list(table.columns)


def _stream(conn: Connection, table: Table, names: Sequence[str], rowid: bool, *,
            raw: bool = False) -> Iterator[Sequence[Any]]:
    """The rows of ``table`` (columns ``names``, then the rowid if asked), by primary key:
    as Python values through the column types, or (``raw``) as the engine holds them."""
    if raw:
        cols: list[Any] = [column(n) for n in names]
        order: list[Any] = [column(c.name) for c in _order(table)]
        query = select(*cols, *([literal_column(ROWID)] if rowid else [])).select_from(
            lightweight_table(table.name)).order_by(*order)
    else:
        cols = [table.c[n] for n in names]
        if rowid:
            cols.append(literal_column(ROWID))
        query = select(*cols).order_by(*_order(table))
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    try:
        yield from result
    finally:
        result.close()


def _sqlite_value(value: Any) -> Any:
    """A Python value as a SQLite library stores it: times as papershelf writes them
    (``2024-06-16 09:30:00``, the fraction only when there is one), dates as ISO, JSON
    documents as SQLAlchemy's JSON type writes them, booleans as 0/1."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond
                               else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _empty_problem(conn: Connection, tables: Sequence[str]) -> str | None:
    """What the target already holds, when it holds anything (``None`` when it is empty)."""
    for name in tables:
        if name == META:
            continue
        count = conn.execute(select(func.count()).select_from(text(name))).scalar_one()
        if count:
            if name == "paper":
                return f"it already holds a library ({count} papers)"
            return f"it is not empty (table {name} has {count} rows)"
    return None


def _shown_value(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _check_text(table: str, names: Sequence[str], row: Sequence[Any]) -> None:
    """PostgreSQL text cannot hold a NUL character; say where one is instead of failing later
    with the driver's words."""
    for name, value in zip(names, row, strict=False):
        if isinstance(value, str) and "\x00" in value:
            key = dict(zip(names, row, strict=False)).get("id")
            where = f"{table} row {key}" if key is not None else f"a {table} row"
            raise BadInput(f"cannot copy {where}: its {name} {_shown_value(value)} holds a NUL "
                           f"character, which PostgreSQL cannot store; edit it and copy again "
                           f"(nothing was written)")


def count_rows(source: Connection) -> dict[str, int]:
    return {name: int(source.execute(select(func.count()).select_from(text(name))).scalar_one())
            for name in library_tables(source)}


def checksums(conn: Connection, tables: Sequence[str] | None = None, *,
              raw: bool = False) -> dict[str, TableCheck]:
    """The row count and checksum of each table (all copied tables by default) as the copy
    computes them: of the Python values, or (``raw``, a copy between two SQLite files) of the
    values as stored, SQLite's hidden rowids included."""
    names = list(tables) if tables is not None else library_tables(conn)
    reflected = _reflect(conn, names)
    out = {}
    for name, table in reflected.items():
        cols = sorted(c.name for c in table.columns)
        rowid = raw and _rowid_table(conn, table)
        summed = _Sum()
        for row in _stream(conn, table, cols, rowid, raw=raw):
            summed.add([*cols, ROWID] if rowid else cols, row)
        out[name] = TableCheck(name, summed.rows, summed.hex)
    return out


def _insert(target: Connection, table: Table, keys: Sequence[str], rows: list[dict[str, Any]],
            target_name: str, progress: Progress | None, *, raw: bool) -> None:
    if not rows:
        return
    if target.dialect.name == "postgresql" and not raw:
        _copy_in(target, table, keys, rows, target_name)
        if progress is not None:
            progress(len(rows))
        rows.clear()
        return
    statement = (lightweight_table(table.name, *(column(k) for k in keys)).insert() if raw
                 else table.insert())
    try:
        target.execute(statement, rows)
    except DBAPIError as error:
        first = (str(error.orig).strip().splitlines() or [""])[0] if error.orig else str(error)
        raise LibraryError(f"cannot copy table {table.name} to {target_name}: {first}; "
                           f"nothing was written") from error
    if progress is not None:
        progress(len(rows))
    rows.clear()


def _copy_in(target: Connection, table: Table, keys: Sequence[str], rows: list[dict[str, Any]],
             target_name: str) -> None:
    """PostgreSQL: the rows through ``COPY ... FROM STDIN`` on the transaction's connection (a
    tenth of the time of one INSERT per row)."""
    import psycopg
    from psycopg.types.json import Json

    conn = target.connection.driver_connection
    assert isinstance(conn, psycopg.Connection)
    names = ", ".join('"' + k.replace('"', '""') + '"' for k in keys)
    try:
        with conn.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as cp:
            for row in rows:
                cp.write_row([Json(v) if isinstance(v, dict | list) else v
                              for v in (row[k] for k in keys)])
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise LibraryError(f"cannot copy table {table.name} to {target_name}: {first}; "
                           f"nothing was written") from error


def _columns(source: Connection, src: Table, dst: Table, target_name: str) -> list[str]:
    """The columns copied: the source's that the target has. A source column the target lacks
    is refused when it holds anything (nothing is dropped silently)."""
    dst_cols = {c.name for c in dst.columns}
    for col in (c.name for c in src.columns if c.name not in dst_cols):
        used = source.execute(select(func.count()).select_from(src)
                              .where(src.c[col].is_not(None))).scalar_one()
        if used:
            raise LibraryError(
                f"cannot copy to {target_name}: its table {src.name} has no column {col}, which "
                f"holds values in {used} rows of the source; nothing was written")
    return sorted(c.name for c in src.columns if c.name in dst_cols)


def copy_rows(source: Connection, target: Connection, *, target_name: str,
              progress: Progress | None = None,
              phase: Callable[[str], None] | None = None) -> CopyResult:
    """Copy every table of ``source`` into ``target`` (both inside their transactions; the
    caller commits ``target``). Refuses a target that is not empty, and a source column the
    target has no place for (unless it is empty everywhere). Verifies what it wrote before
    returning; raises :class:`LibraryError` on any difference (the caller rolls back).
    ``progress`` counts each row twice: once written, once read back and checked."""
    names = library_tables(source)
    target_names = set(library_tables(target))
    missing = [n for n in names if n not in target_names]
    if missing:
        raise LibraryError(f"cannot copy to {target_name}: it has no table {missing[0]} (its "
                           f"schema differs from the source's); nothing was written")
    held = _empty_problem(target, library_tables(target))
    if held:
        raise LibraryError(f"refusing to copy into {target_name}: {held}; papershelf copies "
                           f"only into a new file or an empty database, never over a library")
    src_tables = _reflect(source, names)
    dst_tables = _reflect(target, names)
    # Between two SQLite files the values move as stored (byte for byte, hidden rowids too);
    # between engines, as Python values through the column types.
    raw = _is_sqlite(source) and _is_sqlite(target)
    to_sqlite = _is_sqlite(target) and not raw
    check_nul = not _is_sqlite(target)
    plan: dict[str, tuple[list[str], bool]] = {}
    expected: dict[str, _Sum] = {}
    # Between engines the undo log's statements are rewritten in the target's SQL.
    undo = None
    if not raw and "undo_entry" in names:
        from storage.undo_copy import rewrite

        undo = rewrite(source, src_tables, to_sqlite=_is_sqlite(target))
    for name in names:
        src, dst = src_tables[name], dst_tables[name]
        cols = _columns(source, src, dst, target_name)
        rowid = raw and _rowid_table(source, src)
        plan[name] = (cols, rowid)
        keys = [*cols, ROWID] if rowid else cols
        own = {r[0] for r in target.execute(select(dst.c.name))} if name == META else set()
        summed = expected[name] = _Sum()
        batch: list[dict[str, Any]] = []
        for got in _stream(source, src, cols, rowid, raw=raw):
            row: Sequence[Any] | None = got
            if undo is not None and name in ("undo_action", "undo_entry"):
                row = _rewritten(name, cols, got, undo)
            if row is None or name == META and row[cols.index("name")] in ENGINE_META:
                continue
            summed.add(keys, row)
            if name == META and row[cols.index("name")] in own:
                if progress is not None:
                    progress(1)
                continue  # the target's own bookkeeping (written when it was made) stays
            if check_nul:
                _check_text(name, cols, row)
            values = [_sqlite_value(v) for v in row] if to_sqlite else row
            batch.append(dict(zip(keys, values, strict=True)))
            if len(batch) >= CHUNK:
                _insert(target, dst, keys, batch, target_name, progress, raw=raw or to_sqlite)
        _insert(target, dst, keys, batch, target_name, progress, raw=raw or to_sqlite)
    if not _is_sqlite(target):
        _advance_sequences(target, dst_tables)
    # Verify: the target's rows, read back inside the same transaction, against the source's.
    if phase is not None:
        phase("verifying")
    result = CopyResult()
    for name in names:
        cols, rowid = plan[name]
        want = expected[name]
        if name == META:
            if progress is not None:
                progress(want.rows)
            there = {r[0] for r in target.execute(select(dst_tables[name].c.name))}
            lost = [r[0] for r in source.execute(select(src_tables[name].c.name))
                    if r[0] not in there and r[0] not in ENGINE_META]
            if lost:
                raise LibraryError(f"the copy to {target_name} does not match the source: "
                                   f"meta {lost[0]!r} is missing there; nothing was written")
        else:
            there_sum = _Sum()
            for back in _stream(target, dst_tables[name], cols, rowid, raw=raw):
                there_sum.add([*cols, ROWID] if rowid else cols, back)
                if progress is not None and there_sum.rows % CHUNK == 0:
                    progress(CHUNK)
            if progress is not None:
                progress(there_sum.rows % CHUNK)
            if (there_sum.rows, there_sum.hex) != (want.rows, want.hex):
                where = ("" if there_sum.rows != want.rows else
                         _first_difference(source, target, src_tables[name], dst_tables[name],
                                           cols, rowid, raw, undo))
                raise LibraryError(
                    f"the copy to {target_name} does not match the source: table {name} has "
                    f"{there_sum.rows} rows there, {want.rows} here"
                    + (f", and {where}" if where else " with different content")
                    + "; nothing was written")
        result.tables.append(TableCheck(name, want.rows, want.hex))
    result.papers = next((t.rows for t in result.tables if t.name == "paper"), 0)
    if undo is not None:
        result.undo_rewritten = len(undo.statements)
        result.undo_dropped = len(undo.dropped)
        result.undo_reason = undo.reason
    return result


def _first_difference(source: Connection, target: Connection, src: Table, dst: Table,
                      cols: list[str], rowid: bool, raw: bool, undo: Any) -> str:
    """Which row and column differ (the first by key), said for a person."""
    pk = [c.name for c in _order(src)]
    keys = [*cols, ROWID] if rowid else cols

    def rows(conn: Connection, table: Table, rewrite: bool) -> dict[tuple[Any, ...], Any]:
        out = {}
        for got in _stream(conn, table, cols, rowid, raw=raw):
            row: Sequence[Any] | None = got
            if rewrite and undo is not None and table.name in ("undo_action", "undo_entry"):
                row = _rewritten(table.name, cols, got, undo)
            if row is None:
                continue
            values = dict(zip(keys, row, strict=True))
            out[tuple(_norm(values[k]) for k in pk)] = values
        return out

    here, there = rows(source, src, True), rows(target, dst, False)
    for key in sorted(here, key=repr):
        a, b = here[key], there.get(key)
        named = ", ".join(f"{k} {v}" for k, v in zip(pk, key, strict=True))
        if b is None:
            return f"row {named} is missing there"
        for col in keys:
            if _doc(a[col]) != _doc(b[col]):
                return (f"row {named} has another {col} there ({_shown_value(b[col])}, here "
                        f"{_shown_value(a[col])})")
    return ""


def _doc(value: Any) -> str:
    return json.dumps(_norm(value), ensure_ascii=False, default=str)


def _rewritten(name: str, cols: list[str], row: Sequence[Any], undo: Any) -> list[Any] | None:
    """An undo row as the target gets it (``None``: a step left out)."""
    values = dict(zip(cols, row, strict=True))
    if name == "undo_action":
        return None if values["id"] in undo.dropped else list(row)
    if values["action_id"] in undo.dropped:
        return None
    values["statement"] = undo.statements[values["id"]]
    return [values[c] for c in cols]


def _advance_sequences(target: Connection, tables: dict[str, Table]) -> None:
    """PostgreSQL: the next id a sequence gives is past the copied ones."""
    for name, table in tables.items():
        if "id" not in table.c:
            continue
        seq = target.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                             {"t": name}).scalar()
        if seq:
            target.execute(text(f"SELECT setval(:s, coalesce((SELECT max(id) FROM {name}), 0) "
                                f"+ 1, false)"), {"s": seq})


# ---------------------------------------------------------------- SQLite files as targets


def _finish_file(tmp: Path, dest: Path) -> None:
    """Put the finished copy ``tmp`` at ``dest``, never over a file that appeared meanwhile
    (a hard link fails on an existing name; a file system without links gets a last check and
    a rename)."""
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no WAL beside it
    finally:
        conn.close()
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise LibraryError(f"refusing to copy to {dest}: a file of that name appeared during "
                           f"the copy; nothing was replaced") from None
    except OSError:
        if dest.exists():
            raise LibraryError(f"refusing to copy to {dest}: a file of that name appeared "
                               f"during the copy; nothing was replaced") from None
        os.replace(tmp, dest)
    else:
        tmp.unlink()


def copy_to_file(source: Library, dest: Path, *, start: Callable[[int], None] | None = None,
                 progress: Progress | None = None,
                 phase: Callable[[str], None] | None = None) -> CopyResult:
    """Copy ``source`` into the SQLite library at ``dest``: a new file (written under a
    temporary name beside it and renamed when complete and verified) or an existing library
    with no rows (written in one transaction)."""
    dest = dest.expanduser()
    if dest.exists():
        if dest.is_dir():
            raise LibraryError(f"{dest} is a directory; name the library file to copy to")
        with contextlib.suppress(OSError):
            if os.path.samefile(dest, source.path):
                raise LibraryError(f"refusing to copy {source.path} onto itself; name another "
                                   f"file")
        inspect_file(dest)  # a file that is not a papershelf library is refused here
        if dest.stat().st_size == 0:
            raise LibraryError(f"refusing to copy to {dest}: the file exists (empty); remove it "
                               f"or name a new file")
    elif not dest.parent.is_dir():
        raise LibraryError(f"cannot write {dest}: folder {dest.parent} does not exist")
    new = not dest.exists()
    path = dest.with_name(f".{dest.name}.copy-{os.getpid()}") if new else dest
    try:
        target = open_library(path)
        try:
            with source.read() as session_in, target.write() as session_out:
                conn_in = session_in.connection()
                if start is not None:
                    start(2 * sum(count_rows(conn_in).values()))
                conn_out = session_out.connection()
                # The search index is rebuilt whole below: its triggers on the copied tables
                # (which queue each changed paper) are left out while the rows go in.
                triggers = conn_out.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                    "'search\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'search\\_%' ESCAPE '\\'"
                ).all()
                for name, _sql in triggers:
                    conn_out.exec_driver_sql(f'DROP TRIGGER "{name}"')
                result = copy_rows(conn_in, conn_out, target_name=str(dest), progress=progress,
                                   phase=phase)
                for _name, sql in triggers:
                    conn_out.exec_driver_sql(sql)
                if phase is not None:
                    phase("rebuilding the search index")
                result.indexed = rebuild_index(session_out)
        finally:
            target.close()
        if new:
            _finish_file(path, dest)
    finally:
        if new:
            for leftover in (path, *(path.with_name(path.name + s)
                                     for s in ("-wal", "-shm", "-journal"))):
                with contextlib.suppress(OSError):
                    leftover.unlink()
    return result


# ---------------------------------------------------------------- PostgreSQL


def _pg_has_library(url: str) -> bool:
    """Whether the database at ``url`` holds a papershelf schema (without creating one)."""
    import psycopg

    from storage.pg import _driver_url, shown_url

    dsn = _driver_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass('meta')").fetchone()
    except psycopg.Error as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise LibraryError(f"cannot open {shown_url(url)}: {first}") from err
    return row is not None and row[0] is not None


def open_url(url: str) -> Library:
    """The PostgreSQL library at ``url`` to copy from: it must exist (a copy never creates its
    source)."""
    from storage.pg import shown_url

    if not _pg_has_library(url):
        raise LibraryError(f"no library at {shown_url(url)} to copy from (the database has no "
                           f"papershelf tables)")
    return open_library(url)


def copy_to_url(source: Library, url: str, *, start: Callable[[int], None] | None = None,
                progress: Progress | None = None,
                phase: Callable[[str], None] | None = None) -> CopyResult:
    """Copy ``source`` into the PostgreSQL database at ``url``: an empty database gets the
    library's tables first (committed on their own: an interrupted copy leaves them empty,
    never half filled); the rows go in one transaction, verified before it commits. The
    server's search index follows the rows as they are committed."""
    from storage.pg import shown_url

    where = shown_url(url)
    if getattr(source, "url", None) == url:
        raise LibraryError(f"refusing to copy {where} onto itself; name another database")
    target = open_library(url)
    try:
        with source.read() as session_in, target.write() as session_out:
            conn_in = session_in.connection()
            if start is not None:
                start(2 * sum(count_rows(conn_in).values()))
            result = copy_rows(conn_in, session_out.connection(), target_name=where,
                               progress=progress, phase=phase)
            if phase is not None:
                phase("committing (the server indexes the papers)")
            result.indexed = -1  # the server indexes at commit
    finally:
        target.close()
    return result
