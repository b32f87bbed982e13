"""``papershelf db check`` is quick by default (SQLite's quick_check, the search index's rows
against the papers) and thorough with ``--full`` (integrity_check and FTS5's own checks)."""

from __future__ import annotations

import sqlite3

from storage.db import Library
from tests.conftest import CliRunnerFn


def test_quick_and_full_checks_of_a_sound_library(cli: CliRunnerFn, lib: Library) -> None:
    assert cli("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
               "--year", "2017").code == 0
    quick = cli("db", "check")
    assert quick.code == 0 and quick.out.strip().endswith(
        f"ok (schema {lib.schema_version}, 1 paper)")
    full = cli("db", "check", "--full")
    assert full.code == 0 and full.out.strip().endswith(", full check)")


def test_only_the_full_check_reads_the_search_index_through(cli: CliRunnerFn,
                                                            lib: Library) -> None:
    assert cli("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
               "--year", "2017").code == 0
    conn = sqlite3.connect(lib.path)
    with conn:  # damage FTS5's own data (its index segments), not the papers
        conn.execute("UPDATE search_all_data SET block = x'00ff00ff' WHERE id > 10")
    conn.close()
    assert cli("db", "check").code == 0
    full = cli("db", "check", "--full")
    assert full.code == 2
    assert "problem: search index search_all" in full.out
