"""Undo keeps only what changed; citation keys are unique ignoring case (schema 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage.db
from reader.record import PaperRecord
from storage import migrations, ops
from tests.conftest import CliRunnerFn

BIG = 10 * 1024 * 1024  # a 10 MB abstract


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal"))
               if p.exists())


@pytest.mark.slow  # huge input: a 10 MB abstract, 43 commands on it (~8 s CPU)
def test_star_toggles_do_not_copy_a_big_abstract_into_the_undo_log(
        cli: CliRunnerFn, db_path: Path, tmp_path: Path) -> None:
    abstract = ("lorem ipsum dolor sit amet " * (BIG // 27 + 1))[:BIG]
    bib = tmp_path / "big.bib"
    bib.write_text("@misc{big2024,\n  title = {A Paper With a Long Abstract},\n"
                   "  author = {Doe, Jane},\n  year = {2024},\n"
                   f"  abstract = {{{abstract}}}\n}}\n", encoding="utf-8")
    assert cli("import", str(bib)).code == 0
    before = _size(db_path)
    for _ in range(20):
        assert cli("star", "big2024").code == 0
        assert cli("unstar", "big2024").code == 0
    growth = _size(db_path) - before
    # Before schema 3 each toggle logged the whole row: 40 x 10 MB. Now a few bytes each.
    assert growth < 1024 * 1024, f"library grew by {growth} bytes"
    conn = sqlite3.connect(db_path)
    try:
        longest = conn.execute("SELECT max(length(statement)) FROM undo_entry").fetchone()[0]
    finally:
        conn.close()
    assert longest < 1000
    # And undo still restores exactly what the toggles changed.
    assert cli("star", "big2024").code == 0
    assert cli("undo").code == 0
    shown = cli("show", "big2024", "--json").json()
    assert shown["starred"] is False
    assert len(shown.get("abstract") or "") == BIG


@pytest.fixture
def v2_library_with_case_twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library of schema 2 holding keys that differ only in case (it allowed them)."""
    path = tmp_path / "library.db"
    conn = sqlite3.connect(path)
    try:
        migrations.migrate(conn, target=2)
    finally:
        conn.close()
    conn = sqlite3.connect(path)  # rows written as schema 2 had them (no later tables)
    try:
        with conn:
            for pid, (title, key) in enumerate((
                    ("Attention Is All You Need", "vaswani2017attention"),
                    ("Attention Is All You Need Too", "Vaswani2017attention"),
                    ("Something Else", "other")), start=1):
                conn.execute(
                    "INSERT INTO paper (id, key, title, title_norm, year, source, status, starred,"
                    " added, modified, categories, ai_keywords, extra_fields) VALUES "
                    "(?, ?, ?, ?, 2017, 'bibtex', 'queued', 0, '2024-06-16 08:00:00',"
                    " '2024-06-16 08:00:00', '[]', '[]', '{}')",
                    (pid, key, title, title.lower()))
                conn.execute("INSERT INTO paper_author (paper_id, position, name) VALUES "
                             "(?, 0, 'Ashish Vaswani')", (pid,))
        keys = [r[0] for r in conn.execute("SELECT key FROM paper ORDER BY id")]
    finally:
        conn.close()
    assert keys == ["vaswani2017attention", "Vaswani2017attention", "other"]
    return path


def test_upgrade_keeps_case_twins_and_db_check_reports_them(
        v2_library_with_case_twins: Path, cli: CliRunnerFn) -> None:
    path = v2_library_with_case_twins
    r = cli("--db", str(path), "db", "check", db=False)
    assert r.code == 2, r
    assert "'vaswani2017attention' (paper 1), 'Vaswani2017attention' (paper 2)" in r.out
    assert "differ only in case" in r.out and "Traceback" not in r.err
    # Neither key was renamed by the upgrade.
    keys = [p["key"] for p in cli("--db", str(path), "list", "--json", db=False).json()]
    assert sorted(keys) == ["Vaswani2017attention", "other", "vaswani2017attention"]
    assert storage.db.open_library(path).schema_version == migrations.latest_version()
    # A new paper never takes a case twin of a key in use...
    bib = path.with_name("new.bib")
    bib.write_text("@misc{OTHER, title = {Third}, author = {Roe, Richard}, year = {2020}}\n"
                   "@misc{x, title = {Attention Is All You Need Again}, "
                   "author = {Vaswani, Ashish}, year = {2017}}\n", encoding="utf-8")
    r = cli("--db", str(path), "import", str(bib), db=False)
    assert r.code == 0, r
    new_keys = {p["key"] for p in cli("--db", str(path), "list", "--json", db=False).json()}
    assert new_keys == {"vaswani2017attention", "Vaswani2017attention", "other", "OTHERa", "x"}
    # ...nor does a rename...
    r = cli("--db", str(path), "key", "x", "OTHERA", db=False)
    assert r.code == 2 and "already used" in r.err
    # ...and renaming one of the twins clears the problem (and then the index holds it).
    assert cli("--db", str(path), "key", "Vaswani2017attention", "vaswani2017too",
               db=False).code == 0
    assert cli("--db", str(path), "db", "check", db=False).code == 0


def test_the_index_refuses_case_twins_written_by_any_connection(lib: storage.db.Library) -> None:
    with lib.action("add") as session:
        ops.merge_record(session, record=PaperRecord(title="T", key="abc", source="bibtex"))
    conn = lib.raw()
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE paper SET key = 'ABC2' WHERE key = 'abc'")
            conn.execute("INSERT INTO paper (key, title, title_norm, added, modified) "
                         "VALUES ('ABC2', 't', 't', '2024-01-01', '2024-01-01')")
    finally:
        conn.close()
