"""Schema upgrades: a library made at an older version opens at the latest with nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import storage.db
from storage import migrations, ops
from storage.db import open_library
from storage.search import index_problems, search_papers
from tests.storage.search_data import load_search_library


def snapshot(path: Path, tables: list[str] | None = None,
             like: Path | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` (default: all); with ``like``, only the columns the tables have
    in that file (a later step may add columns: the old ones must be unchanged)."""
    conn = sqlite3.connect(path)
    old = sqlite3.connect(like) if like is not None else conn
    try:
        if tables is None:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for t in tables:
            cols = ", ".join(f'"{r[1]}"' for r in old.execute(f"PRAGMA table_info({t})"))
            out[t] = conn.execute(f"SELECT rowid, {cols} FROM {t} ORDER BY rowid").fetchall()
        return out
    finally:
        conn.close()
        if like is not None:
            old.close()


# Columns later schema steps add to tables of schema 1. The fixture's papershelf of schema 1 is
# today's code, whose models know them: they exist while it fills the library, then go.
LATER_COLUMNS = {"paper": ("user_fields JSON NOT NULL DEFAULT '[]'",
                           "source_values JSON NOT NULL DEFAULT '{}'",
                           "key_case_twin INTEGER"),
                 "note": ("author TEXT",), "undo_action": ("author TEXT",)}


def _later_columns(path: Path, add: bool) -> None:
    conn = sqlite3.connect(path)
    try:
        for table, columns in LATER_COLUMNS.items():
            for column in columns:
                name = column.split()[0]
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}" if add else
                             f"ALTER TABLE {table} DROP COLUMN {name}")
        conn.commit()
    finally:
        conn.close()


def version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def v1_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library made by a papershelf whose schema stops at version 1, filled through the
    library's own operations (papers, LaTeX and accented authors, tags, notes with quotes,
    stars, feed entries, an undo log) plus a pull log."""
    path = tmp_path / "library.db"
    conn = sqlite3.connect(path)
    try:
        assert migrations.migrate(conn, target=1) == [1]
        # Today's merge code looks up key aliases (schema 3); the papershelf of schema 1 had
        # none. The table is there while the library is filled, and gone after.
        conn.execute("CREATE TABLE paper_alias (alias TEXT PRIMARY KEY, paper_id INTEGER)")
        conn.commit()
    finally:
        conn.close()
    _later_columns(path, add=True)
    with monkeypatch.context() as m:
        # The papershelf of schema 1: no later steps, no search index to keep.
        m.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
        m.setattr(storage.db, "sync_index", lambda conn: 0)
        lib = open_library(path)
        try:
            load_search_library(lib)
            with lib.write() as session:
                session.connection().exec_driver_sql(
                    "INSERT INTO pull_log (source, params, started, finished, new, errors) "
                    "VALUES ('hf', 'date=2024-06-16', '2024-06-16 08:00:00', "
                    "'2024-06-16 08:00:05', 3, '[\"one failed\"]')")
        finally:
            lib.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM paper_alias").fetchone() == (0,)
        conn.execute("DROP TABLE paper_alias")
        conn.commit()
    finally:
        conn.close()
    _later_columns(path, add=False)
    assert version(path) == 1
    return path


def test_v1_has_the_tables_of_schema_1(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "fresh.db")
    try:
        assert migrations.migrate(conn, target=1) == [1]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert tables == {"meta", "paper", "paper_author", "tag", "paper_tag", "note", "feed_entry",
                      "pull_log", "undo_action", "undo_entry"}


def test_upgrading_v1_keeps_every_row_and_builds_the_index(v1_library: Path) -> None:
    before = snapshot(v1_library)
    assert len(before["paper"]) == 18 and len(before["paper_author"]) == 32
    assert len(before["note"]) == 3 and len(before["paper_tag"]) == 11
    assert len(before["feed_entry"]) == 3 and len(before["pull_log"]) == 1
    assert len(before["undo_action"]) == 18 and before["undo_entry"]

    lib = open_library(v1_library)
    try:
        assert version(v1_library) == migrations.latest_version() >= 5
        # Every table of schema 1, every row, unchanged.
        assert snapshot(v1_library, list(before), like=v1_library.with_name("library.db.v1.bak")) == before
        # The copy made before upgrading is the untouched version-1 file.
        backup = v1_library.with_name("library.db.v1.bak")
        assert version(backup) == 1 and snapshot(backup) == before
        # The index holds every paper, folded, and is consistent.
        docs = snapshot(v1_library, ["search_doc"])["search_doc"]
        assert [d[0] for d in docs] == [p[0] for p in before["paper"]]
        by_id = {d[0]: d for d in docs}
        assert by_id[4][3] == "Nick Bostrom"  # was Bostr{\"o}m
        assert by_id[5][3] == "Nick Boström"  # the tokenizer folds the accent
        with lib.read() as session:
            assert index_problems(session.connection().connection.driver_connection,
                              thorough=True) == []
            found = search_papers(session, query="atention is al")
            assert [h.paper.key for h in found] == ["vaswani2017attention"]
            assert [h.paper.key for h in search_papers(session, query="bostrom")] == [
                "bostrom2013existential", "bostrom2014superintelligence"]
            assert [h.paper.key for h in search_papers(
                session, query="noise schedule tag:diffusion day:2024-06-17")] == [
                "ho2020denoising"]
        assert lib.check() == []

        # Undo steps recorded before the upgrade still undo, and the index follows.
        with lib.write() as session:
            assert ops.undo_last(session) == "add Qokka counts"
        with lib.read() as session:
            assert search_papers(session, query="qokka counts") == []
        # And new changes are undoable with the regenerated undo triggers.
        with lib.action("tag quokka") as session:
            ops.change_tags(session, paper=ops.find_paper(session, ref="island2018quokka"),
                            add=["rottnest-fauna"])
        with lib.read() as session:
            assert [h.paper.key for h in search_papers(session, query="tag:rottnest-fauna")] == [
                "island2018quokka"]
        with lib.write() as session:
            assert ops.undo_last(session) == "tag quokka"
        with lib.read() as session:
            assert search_papers(session, query="fauna") == []
        assert lib.check() == []
    finally:
        lib.close()


def test_upgrading_an_empty_v1_library(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    conn = sqlite3.connect(path)
    try:
        migrations.migrate(conn, target=1)
    finally:
        conn.close()
    lib = open_library(path)
    try:
        assert version(path) == migrations.latest_version()
        with lib.read() as session:
            assert search_papers(session, query="anything") == []
            assert search_papers(session, query="") == []
        assert lib.check() == []
    finally:
        lib.close()


def test_a_failed_upgrade_changes_nothing(v1_library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(v1_library)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], broken])
    with pytest.raises(Exception, match="simulated"):
        open_library(v1_library)
    assert version(v1_library) == 1
    assert snapshot(v1_library) == before


def test_schema_7_finds_keys_by_prefix_from_indexes_case_twins_included(
        v1_library: Path) -> None:
    """A new key's candidates (the keys in use that start with its base, ignoring case) come
    from a range of the case-insensitive index and of schema 7's index of the case twins it
    leaves out, never from a scan of every key; and a twin's key still counts."""
    lib = open_library(v1_library)
    try:
        assert lib.schema_version == migrations.latest_version() >= 7
        conn = sqlite3.connect(v1_library)
        try:
            plan = " ".join(row[-1] for row in conn.execute(
                "EXPLAIN QUERY PLAN " + ops.KEYS_FROM_SQL, ("a", "a\U0010ffff", "a",
                                                            "a\U0010ffff", "a*")))
            assert "ix_paper_key_nocase" in plan and "ix_paper_key_case_twins" in plan, plan
            assert "SCAN paper" not in plan.replace("SCAN paper_alias", ""), plan
            # A case twin as schema 5 marks an old library's second "Vaswani2017attention".
            first = conn.execute("SELECT min(id) FROM paper").fetchone()[0]
            conn.execute("UPDATE paper SET key = 'vaswani2017attentiona' WHERE id = ?", (first,))
            last = "(SELECT max(id) FROM paper)"
            conn.execute(f"UPDATE paper SET key = 'VASWANI2017Attention' WHERE id = {last}")
            conn.execute(f"UPDATE paper SET key_case_twin = 1 WHERE id = {last}")
            conn.commit()
        finally:
            conn.close()
        with lib.read() as session:
            assert ops._keys_from(session, "vaswani2017attention") == {
                "vaswani2017attention", "vaswani2017attentiona"}
            assert ops._keys_from(session, "Vaswani2017") == {
                "vaswani2017attention", "vaswani2017attentiona"}
            assert ops._keys_from(session, "vaswani2018") == set()
    finally:
        lib.close()
