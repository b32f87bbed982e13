"""Schema 6: notes and undo steps record who wrote them. A library of schema 5 upgrades with
every note kept (its author unknown: NULL) and its undo log still undoing; new notes and steps
carry the name changes are recorded as."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage import migrations, ops
from storage.db import open_library


def _v5_library(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert migrations.migrate(conn, target=5) == [1, 2, 3, 4, 5]
        with conn:
            conn.execute("INSERT INTO paper (id, key, title, title_norm, added, modified) VALUES "
                         "(1, 'turing1950computing', 'Computing Machinery and Intelligence', "
                         "'computing machinery and intelligence', '2024-01-01 10:00:00', "
                         "'2024-01-01 10:00:00')")
            conn.execute("INSERT INTO note (id, paper_id, body, quote, created, updated) VALUES "
                         "(1, 1, 'the imitation game', 'Can machines think?', "
                         "'2024-01-02 10:00:00', '2024-01-02 10:00:00')")
            # An undo step of the old schema (the triggers log only while an action is open).
            conn.execute("INSERT INTO undo_action (description, created, open) VALUES "
                         "('note on turing1950computing', '2024-01-03 10:00:00', 1)")
            conn.execute("INSERT INTO note (id, paper_id, body, created, updated) VALUES "
                         "(2, 1, 'second thoughts', '2024-01-03 10:00:00', "
                         "'2024-01-03 10:00:00')")
            conn.execute("UPDATE undo_action SET open = 0")
    finally:
        conn.close()


def test_schema_5_upgrades_with_notes_and_undo_kept(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    _v5_library(path)
    lib = open_library(path)
    try:
        assert lib.schema_version == migrations.latest_version() >= 6
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT id, body, quote, author FROM note ORDER BY id").fetchall() \
                == [(1, "the imitation game", "Can machines think?", None),
                    (2, "second thoughts", None, None)]
            assert conn.execute("SELECT description, author FROM undo_action").fetchall() == [
                ("note on turing1950computing", None)]
        finally:
            conn.close()
        # The step recorded before the upgrade still undoes (the regenerated triggers and the
        # old statements agree on the note's columns).
        with lib.write() as session:
            assert ops.undo_last(session) == "note on turing1950computing"
        with lib.read() as session:
            assert [n.id for n in ops.notes_of(session, paper_id=1)] == [1]
        # New notes and steps carry the author; undoing a note restores its author too.
        lib.user = "ada"
        with lib.action("note by ada") as session:
            note = ops.add_note(session, paper=ops.find_paper(session, ref=1), body="hello",
                                author=lib.user)
            note_id = note.id
        with lib.action("delete ada's note") as session:
            ops.delete_note(session, note=ops.get_note(session, note_id=note_id or 0))
        with lib.write() as session:
            assert ops.undo_last(session) == "delete ada's note"
        with lib.read() as session:
            assert [(n.body, n.author) for n in ops.notes_of(session, paper_id=1)] == [
                ("the imitation game", None), ("hello", "ada")]
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT description, author FROM undo_action").fetchall() == [
                ("note by ada", "ada")]
        finally:
            conn.close()
    finally:
        lib.close()
