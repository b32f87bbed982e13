"""The undo log across engines: each engine's undo triggers write the statements that restore a
row in its own SQL (SQLite: by ``rowid``, values as ``quote()`` writes them; PostgreSQL: by
primary key, values through ``json_populate_record``; see :mod:`storage.migrations` and
:mod:`storage.pg_schema`). A copy from one engine to the other rewrites every logged statement
for the target, so that ``papershelf undo`` goes on undoing there, step for step.

SQLite names rows by rowid, and three tables (``paper_author``, ``paper_tag``, ``paper_alias``)
have a rowid apart from their key, which another engine does not have. Their statements are
rewritten by primary key: the log is walked newest step first, as undo would run it, over the
keys those tables hold now, so each rowid is resolved to the key its row has at that point of
the undo. The rewritten statements (by key) also run on SQLite, so a library copied to
PostgreSQL and back undoes the same.

A statement that cannot be read or resolved (a log written by some other tool) stops the walk:
that step and the older ones are left out of the copy (they could not be undone correctly), and
the copy says how many.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, select, text

# The primary key of each logged table (the same as storage.pg_schema.PRIMARY_KEYS).
PRIMARY_KEYS = {"paper": ("id",), "paper_author": ("paper_id", "position"), "tag": ("id",),
                "paper_tag": ("paper_id", "tag_id"), "note": ("id",), "feed_entry": ("id",),
                "paper_alias": ("alias",)}
HIDDEN_ROWID = ("paper_author", "paper_tag", "paper_alias")
# Rows that go when a row they point to goes (ON DELETE CASCADE): (table, column) per parent.
CASCADES = {"paper": (("paper_author", "paper_id"), ("paper_tag", "paper_id"),
                      ("paper_alias", "paper_id")),
            "tag": (("paper_tag", "tag_id"),)}


class Unreadable(Exception):
    """A logged statement this module cannot rewrite."""


@dataclass
class Entry:
    """One logged statement, engine-neutral: restore by ``delete``, ``insert`` or ``update``
    the row of ``table`` with primary key ``key``; ``values`` as Python values."""

    op: str
    table: str
    key: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- values and column types


def _kind(table: Table | None, column: str) -> str:
    if table is None or column not in table.c:
        return ""
    name = type(table.c[column].type).__name__.upper()
    for kind in ("DATETIME", "TIMESTAMP", "DATE", "BOOLEAN", "JSON", "INT"):
        if kind in name:
            return {"TIMESTAMP": "DATETIME"}.get(kind, kind)
    return ""


def _typed(value: Any, kind: str) -> Any:
    """A value as stored (SQLite text/numbers, or JSON scalars) as the Python value."""
    if value is None:
        return None
    try:
        if kind == "DATETIME" and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind == "DATE" and isinstance(value, str):
            return date.fromisoformat(value)
        if kind == "BOOLEAN":
            return bool(int(value)) if not isinstance(value, bool) else value
        if kind == "JSON" and isinstance(value, str):
            return json.loads(value)
        if kind == "INT" and isinstance(value, str):
            return int(value)
    except ValueError as err:
        raise Unreadable(f"value {value!r}: {err}") from err
    return value


# ---------------------------------------------------------------- reading SQLite's statements

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_HEX = re.compile(r"X'([0-9A-Fa-f]*)'")
_CAST = re.compile(r"CAST\(X'([0-9A-Fa-f]*)' AS TEXT\)")
_NAME = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)"?')


def _sqlite_literal(sql: str, i: int) -> tuple[Any, int]:
    """The literal ``quote()`` wrote at ``sql[i:]`` (see storage.migrations._literal) and the
    position after it."""
    if sql.startswith("NULL", i):
        return None, i + 4
    if sql.startswith("'", i):
        out, j = [], i + 1
        while True:
            k = sql.find("'", j)
            if k < 0:
                raise Unreadable("unterminated text")
            out.append(sql[j:k])
            if sql.startswith("''", k):
                out.append("'")
                j = k + 2
                continue
            return "".join(out), k + 1
    if m := _CAST.match(sql, i):
        return bytes.fromhex(m.group(1)).decode("utf-8", "surrogateescape"), m.end()
    if m := _HEX.match(sql, i):
        return bytes.fromhex(m.group(1)), m.end()
    if m := _NUMBER.match(sql, i):
        word = m.group(0)
        return (float(word) if any(c in word for c in ".eE") else int(word)), m.end()
    raise Unreadable(f"no value at {sql[i:i + 20]!r}")


def _skip(sql: str, i: int, word: str) -> int:
    while i < len(sql) and sql[i] == " ":
        i += 1
    if not sql.startswith(word, i):
        raise Unreadable(f"expected {word!r} at {sql[i:i + 20]!r}")
    i += len(word)
    while i < len(sql) and sql[i] == " ":
        i += 1
    return i


def _sqlite_values(sql: str, i: int, end: str) -> tuple[list[Any], int]:
    values = []
    while True:
        value, i = _sqlite_literal(sql, i)
        values.append(value)
        if sql.startswith(", ", i):
            i += 2
            continue
        return values, _skip(sql, i, end)


_SQLITE_DELETE = re.compile(r"DELETE FROM (\w+) WHERE rowid = (-?\d+)\Z")
_SQLITE_DELETE_KEY = re.compile(r"DELETE FROM (\w+) WHERE ")
_SQLITE_UPDATE = re.compile(r"UPDATE (\w+) SET ")
_SQLITE_INSERT = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(")
_SQLITE_BY_ROWID = re.compile(r" WHERE rowid = (-?\d+)\Z")


def _sqlite_conditions(sql: str, i: int) -> dict[str, Any]:
    """``a = 1 AND b = 'x'`` to the end of ``sql``."""
    key: dict[str, Any] = {}
    while True:
        n = _NAME.match(sql, i)
        if n is None:
            raise Unreadable("no key column")
        i = _skip(sql, n.end(), "=")
        key[n.group(1)], i = _sqlite_literal(sql, i)
        if sql.startswith(" AND ", i):
            i += 5
            continue
        if i != len(sql):
            raise Unreadable("text after the key")
        return key


def parse_sqlite(sql: str) -> tuple[str, str, int | None, dict[str, Any], dict[str, Any]]:
    """(op, table, rowid, key, raw values) of a statement SQLite's undo triggers wrote (by
    rowid) or this module wrote (by key; then rowid is None)."""
    if m := _SQLITE_DELETE.match(sql):
        return "delete", m.group(1), int(m.group(2)), {}, {}
    if m := _SQLITE_DELETE_KEY.match(sql):
        return "delete", m.group(1), None, _sqlite_conditions(sql, m.end()), {}
    if m := _SQLITE_INSERT.match(sql):
        cols = m.group(2).split(", ")
        values, i = _sqlite_values(sql, m.end(), ")")
        if i != len(sql) or len(values) != len(cols):
            raise Unreadable("columns and values differ")
        row = dict(zip(cols, values, strict=True))
        rowid = row.pop("rowid", None)
        return "insert", m.group(1), None if rowid is None else int(rowid), {}, row
    if m := _SQLITE_UPDATE.match(sql):
        i, row = m.end(), {}
        while True:
            n = _NAME.match(sql, i)
            if n is None:
                raise Unreadable("no column name")
            i = _skip(sql, n.end(), "=")
            row[n.group(1)], i = _sqlite_literal(sql, i)
            if sql.startswith(", ", i):
                i += 2
                continue
            break
        if w := _SQLITE_BY_ROWID.match(sql, i):
            return "update", m.group(1), int(w.group(1)), {}, row
        if sql.startswith(" WHERE ", i):
            return "update", m.group(1), None, _sqlite_conditions(sql, i + 7), row
        raise Unreadable("no row named")
    raise Unreadable(f"not an undo statement: {sql[:40]!r}")


# ---------------------------------------------------------------- reading PostgreSQL's statements

_PG_IDENT = r'(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))'
_PG_LITERAL = re.compile(r"(E?)'((?:[^']|'')*)'")


def _ident(m: re.Match[str], first: int) -> str:
    quoted, bare = m.group(first), m.group(first + 1)
    return quoted.replace('""', '"') if quoted is not None else bare.lower()


def _pg_literal(sql: str, i: int) -> tuple[str | None, int]:
    if sql.startswith("NULL", i):
        return None, i + 4
    m = _PG_LITERAL.match(sql, i)
    if m is None:
        raise Unreadable(f"no value at {sql[i:i + 20]!r}")
    body = m.group(2).replace("''", "'")
    if m.group(1):
        body = body.replace("\\\\", "\\")
    return body, m.end()


def _pg_conditions(sql: str, i: int, prefix: str = "") -> dict[str, Any]:
    key: dict[str, Any] = {}
    cond = re.compile((re.escape(prefix) if prefix else "") + _PG_IDENT + " = ")
    while True:
        m = cond.match(sql, i)
        if m is None:
            raise Unreadable("no key condition")
        key[_ident(m, 1)], i = _pg_literal(sql, m.end())
        if sql.startswith(" AND ", i):
            i += 5
            continue
        if i != len(sql):
            raise Unreadable("text after the key")
        return key


_PG_DELETE = re.compile(r"DELETE FROM " + _PG_IDENT + " WHERE ")
# (json_populate_record; jsonb_ in logs written before the JSON columns were json.)
_PG_INSERT = re.compile(r"INSERT INTO " + _PG_IDENT + r" SELECT \* FROM jsonb?_populate_record"
                        r"\(NULL::" + _PG_IDENT + ", ")
_PG_UPDATE = re.compile(r"UPDATE " + _PG_IDENT + r" SET (.*?) FROM jsonb?_populate_record\(NULL::"
                        + _PG_IDENT + ", ")


def parse_pg(sql: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(op, table, key as text, values from the JSON) of a statement PostgreSQL's undo trigger
    wrote."""
    if m := _PG_DELETE.match(sql):
        return "delete", _ident(m, 1), _pg_conditions(sql, m.end()), {}
    if m := _PG_INSERT.match(sql):
        doc, i = _pg_literal(sql, m.end())
        if doc is None or sql[i:] != ")":
            raise Unreadable("no row")
        return "insert", _ident(m, 1), {}, json.loads(doc)
    if m := _PG_UPDATE.match(sql):
        table = _ident(m, 1)
        doc, i = _pg_literal(sql, m.end())
        if doc is None or not sql.startswith(") r WHERE ", i):
            raise Unreadable("no changed values")
        quoted = '"' + table.replace('"', '""') + '"'
        for prefix in (quoted + ".", table + "."):
            try:
                key = _pg_conditions(sql, i + len(") r WHERE "), prefix)
                break
            except Unreadable:
                continue
        else:
            raise Unreadable("no key")
        return "update", table, key, json.loads(doc)
    raise Unreadable(f"not an undo statement: {sql[:40]!r}")


# ---------------------------------------------------------------- writing each engine's SQL


def _quote_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sqlite_literal(value: Any) -> str:
    from storage.copy import _sqlite_value

    value = _sqlite_value(value)
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return "X'" + value.hex().upper() + "'"
    text_value = str(value)
    if "\x00" in text_value:
        return f"CAST(X'{text_value.encode('utf-8', 'surrogateescape').hex().upper()}' AS TEXT)"
    return _quote_text(text_value)


def render_sqlite(entry: Entry) -> str:
    """The statement in SQLite's SQL, by primary key (the tables' names are plain words)."""
    where = " AND ".join(f"{k} = {sqlite_literal(v)}" for k, v in entry.key.items())
    if entry.op == "delete":
        return f"DELETE FROM {entry.table} WHERE {where}"
    if entry.op == "insert":
        cols = ", ".join(entry.values)
        vals = ", ".join(sqlite_literal(v) for v in entry.values.values())
        return f"INSERT INTO {entry.table} ({cols}) VALUES ({vals})"
    sets = ", ".join(f"{c} = {sqlite_literal(v)}" for c, v in entry.values.items())
    return f"UPDATE {entry.table} SET {sets} WHERE {where}"


def _pg_json(values: dict[str, Any]) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if isinstance(v, bytes):
            raise Unreadable("binary value")
        return v
    return json.dumps({k: plain(v) for k, v in values.items()}, ensure_ascii=False)


def _pg_key_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def render_pg(entry: Entry) -> str:
    """The statement as PostgreSQL's undo trigger writes it (storage.pg_schema)."""
    t = '"' + entry.table + '"'
    if entry.op == "delete":
        where = " AND ".join(f'"{k}" = {_quote_text(_pg_key_text(v))}'
                             for k, v in entry.key.items())
        return f"DELETE FROM {t} WHERE {where}"
    doc = _quote_text(_pg_json(entry.values))
    if entry.op == "insert":
        return f"INSERT INTO {t} SELECT * FROM json_populate_record(NULL::{t}, {doc})"
    sets = ", ".join(f'"{c}" = r."{c}"' for c in entry.values)
    where = " AND ".join(f'{t}."{k}" = {_quote_text(_pg_key_text(v))}'
                         for k, v in entry.key.items())
    return f"UPDATE {t} SET {sets} FROM json_populate_record(NULL::{t}, {doc}) r WHERE {where}"


# ---------------------------------------------------------------- walking a log


@dataclass
class Rewritten:
    statements: dict[int, str] = field(default_factory=dict)  # undo_entry id -> statement
    dropped: set[int] = field(default_factory=set)  # undo_action ids left out
    reason: str = ""


def _log(source: Connection) -> list[tuple[int, list[tuple[int, str]]]]:
    """The undo steps newest first, each with its statements newest first (as undo runs)."""
    steps: dict[int, list[tuple[int, str]]] = {
        int(a): [] for (a,) in source.execute(text("SELECT id FROM undo_action"))}
    for eid, aid, statement in source.execute(
            text("SELECT id, action_id, statement FROM undo_entry ORDER BY id DESC")):
        steps.setdefault(int(aid), []).append((int(eid), str(statement)))
    return sorted(steps.items(), reverse=True)


def _typed_row(table: Table | None, values: dict[str, Any]) -> dict[str, Any]:
    return {c: _typed(v, _kind(table, c)) for c, v in values.items()}


def rewrite(source: Connection, tables: dict[str, Table], *, to_sqlite: bool) -> Rewritten:
    """Every statement of ``source``'s undo log written for the other engine (``tables``: the
    source's tables, reflected, for the column types)."""
    out = Rewritten()
    from_sqlite = source.dialect.name == "sqlite"
    render = render_sqlite if to_sqlite else render_pg
    # SQLite: the keys behind the hidden rowids, now (the walk moves them back in time).
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    if from_sqlite:
        for name in HIDDEN_ROWID:
            if name not in tables:
                continue
            table = tables[name]
            cols = sorted({*PRIMARY_KEYS[name], "paper_id"} & set(table.c.keys()))
            rows[name] = {int(r[0]): dict(zip(cols, r[1:], strict=True)) for r in source.execute(
                select(text("rowid"), *[table.c[c] for c in cols]).select_from(table))}
    log = _log(source)
    for n, (action_id, statements) in enumerate(log):
        try:
            done = {}
            for entry_id, sql in statements:
                entry = (_from_sqlite(sql, tables, rows) if from_sqlite
                         else _from_pg(sql, tables))
                done[entry_id] = render(entry)
        except Unreadable as err:
            out.dropped = {a for a, _ in log[n:]}
            out.reason = f"undo step {action_id}: {err}"
            return out
        out.statements.update(done)
    return out


def _from_sqlite(sql: str, tables: dict[str, Table],
                 rows: dict[str, dict[int, dict[str, Any]]]) -> Entry:
    op, name, rowid, raw_key, raw = parse_sqlite(sql)
    if name not in PRIMARY_KEYS:
        raise Unreadable(f"table {name} is not logged")
    table = tables.get(name)
    pk = PRIMARY_KEYS[name]
    state = rows.get(name)
    if op == "insert":
        key = {c: raw.get(c) for c in pk}
    elif rowid is None:  # written by key already
        key = raw_key
    elif state is None:  # an integer key: the rowid is the id
        key = {"id": rowid}
    else:
        if rowid not in state:
            raise Unreadable(f"{name} row {rowid} is not there")
        key = {c: state[rowid][c] for c in pk}
    if set(key) != set(pk):
        raise Unreadable(f"{name} is not named by its key")
    # Move the walk back past this statement.
    if state is not None:
        if rowid is None and op != "insert":
            rowid = next((r for r, row in state.items()
                          if all(row.get(c) == key[c] for c in pk)), None)
            if rowid is None:
                raise Unreadable(f"{name} row {key} is not there")
        if op == "delete":
            del state[rowid]  # type: ignore[arg-type]
        elif op == "insert":
            new_rowid = rowid if rowid is not None else -len(state) - 1
            state[new_rowid] = {c: raw.get(c) for c in state_columns(name)}
        else:
            state[rowid].update({c: v for c, v in raw.items()  # type: ignore[index]
                                 if c in state[rowid]})  # type: ignore[index]
    if op == "delete":
        parent = key.get("id")
        for child, column in CASCADES.get(name, ()):
            if child in rows and parent is not None:
                for r in [r for r, row in rows[child].items() if row.get(column) == parent]:
                    del rows[child][r]
    return Entry(op, name, _typed_row(table, key), _typed_row(table, raw))


def state_columns(name: str) -> Sequence[str]:
    return sorted({*PRIMARY_KEYS[name], "paper_id"})


def _from_pg(sql: str, tables: dict[str, Table]) -> Entry:
    op, name, key_text, doc = parse_pg(sql)
    if name not in PRIMARY_KEYS:
        raise Unreadable(f"table {name} is not logged")
    table = tables.get(name)
    values = {c: v if _kind(table, c) == "JSON" else _typed(v, _kind(table, c))
              for c, v in doc.items()}
    if op == "insert":
        key = {c: values.get(c) for c in PRIMARY_KEYS[name]}
    else:
        key = {c: _typed(v, _kind(table, c) or "") for c, v in key_text.items()}
    return Entry(op, name, key, values)
