"""``papershelf db copy``: a library copied row for row, with its ids, to a new file or an empty
PostgreSQL database and back, verified; never into a library that holds anything; nothing half
written when interrupted; and ``undo`` goes on working on the copy, step for step.

The PostgreSQL tests use the throwaway cluster of tests/support/pg.py (skipped with a reason
where PostgreSQL is not installed, required in CI)."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reader.record import PaperRecord
from storage import ops
from storage.db import Library, open_library
from tests.conftest import IN_CI, SHARED_FIXTURES, CliRunnerFn
from tests.reliability.harness import run
from tests.support.shelf_sample import build_sample

# Every table a copy moves (the search index is rebuilt, not copied), by its key.
TABLES = {"meta": "name", "paper": "id", "paper_author": "paper_id, position",
          "paper_alias": "alias", "tag": "id", "paper_tag": "paper_id, tag_id", "note": "id",
          "feed_entry": "id", "pull_log": "id", "undo_action": "id", "undo_entry": "id"}
_FRACTION = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.000000$")


def _value(value: Any) -> Any:
    """A stored value compared by what it means: a time with or without a zero fraction is
    the same time, a JSON document the same document (key order kept)."""
    if isinstance(value, str):
        if m := _FRACTION.match(value):
            return m.group(1)
        if value[:1] in "[{":
            try:
                return json.dumps(json.loads(value), ensure_ascii=False)
            except ValueError:
                return value
    return value


def dump(path: Path, *, exact: bool = False, statements: bool = True) -> dict[str, list[Any]]:
    """Every row of every copied table, read with sqlite3 (not papershelf). ``exact``: as
    stored, SQLite's hidden rowids included; else by meaning. ``statements``: the text of the
    undo log (rewritten between engines) included."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table, key in TABLES.items():
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            if table == "meta" and not exact:
                key = "name"
            if table == "undo_entry" and not statements:
                cols = [c for c in cols if c != "statement"]
            rows = conn.execute(f"SELECT {'rowid, ' if exact else ''}{', '.join(cols)} "
                                f"FROM {table} ORDER BY {key}").fetchall()
            out[table] = rows if exact else [tuple(_value(v) for v in r) for r in rows]
        return out
    finally:
        conn.close()


def shown(cli: CliRunnerFn, db: str, ids: list[int]) -> list[Any]:
    out = []
    for pid in ids:
        result = cli("--db", db, "show", str(pid), "--json", db=False)
        assert result.code == 0, result.err
        out.append(result.json())
    return out


def fill(lib: Library) -> list[int]:
    """The sample library plus what it lacks: an alias (a merge), a note edited, a paper
    removed, a pull log (undo has steps of every kind to go back through)."""
    build_sample(lib)
    with lib.action("add two twins") as session:
        for title in ("Deep Residual Learning", "Deep residual learning."):
            ops.merge_record(session, record=PaperRecord(
                title=title, authors=["Kaiming He", "Xiangyu Zhang"], year=2016,
                source="manual"), status="queued", now=ops.utcnow())
    with lib.read() as session:
        ids = [p.id for p in ops.list_papers(session, include_dismissed=True)]
    assert all(isinstance(i, int) for i in ids)
    return sorted(i for i in ids if i is not None)


@pytest.fixture
def source(tmp_path: Path, cli: CliRunnerFn, db_path: Path) -> Path:
    lib = open_library(db_path)
    try:
        fill(lib)
    finally:
        lib.close()
    twins = cli("list", "--json").json()
    a, b = sorted(p["key"] for p in twins if p["title"].lower().startswith("deep residual"))
    assert cli("merge", a, b).code == 0  # the second's key becomes an alias of the first
    assert cli("tag", a, "+resnet", "+vision", "-missing").code in (0, 1)
    assert cli("note", a, "-m", "skip connections", "--quote", "F(x) + x").code == 0
    assert cli("--user", "alice", "note", a, "-m", "read it for the group").code == 0
    notes = cli("show", a, "--json").json()["notes"]
    assert cli("note", "--edit", str(notes[0]["id"]), "-m", "skip connections, again").code == 0
    keys = [p["key"] for p in cli("list", "--json").json()]
    assert cli("rm", "--yes", keys[-1]).code == 0
    assert cli("star", a).code == 0 and cli("rate", a, "4").code == 0
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO pull_log (source, params, started, finished, new, errors) "
                     "VALUES ('hf', 'date=2024-06-16', '2024-06-16 08:00:00', "
                     "'2024-06-16 08:00:05', 3, '[\"one failed\"]')")
    conn.close()
    return db_path


def paper_ids(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM paper ORDER BY id")]
    finally:
        conn.close()


def undo_all_the_way(cli: CliRunnerFn, db: str, steps: int) -> list[str]:
    said = []
    for _ in range(steps):
        result = cli("--db", db, "undo", db=False)
        assert result.code == 0, result.err
        said.append(result.out.strip())
    return said


# ---------------------------------------------------------------- SQLite to SQLite


def test_a_copy_to_a_new_file_is_the_same_library(cli: CliRunnerFn, source: Path,
                                                  tmp_path: Path) -> None:
    target = tmp_path / "copy" / "library.db"
    target.parent.mkdir()
    result = cli("db", "copy", "--to", str(target))
    assert result.code == 0, result.err
    last = result.out.strip().splitlines()[-1]
    assert last.startswith(f"copied {len(paper_ids(source))} papers (")
    assert "verified: every table's row count and checksum match" in last
    assert "search index rebuilt" in last
    for table in TABLES:
        assert re.search(rf"^  {table} +[\d,]+ rows  checksum [0-9a-f]{{16}}$", result.out,
                         re.M), table
    # Byte for byte, hidden rowids included (the undo log names rows by them).
    assert dump(target, exact=True) == dump(source, exact=True)
    ids = paper_ids(source)
    assert shown(cli, str(target), ids) == shown(cli, str(source), ids)
    assert cli("--db", str(target), "db", "check", "--full", db=False).code == 0
    found = cli("--db", str(target), "search", "mixtrl of experts", "--json", db=False).json()
    assert found and found[0]["title"] == "Mixtral of Experts"
    assert not list(target.parent.glob(".library.db.copy-*"))
    # Undo goes back through every step the same way on both.
    steps = len(dump(source)["undo_action"])
    assert steps >= 10
    assert undo_all_the_way(cli, str(target), steps) == undo_all_the_way(cli, str(source), steps)
    assert dump(target, exact=True) == dump(source, exact=True)


def test_an_existing_empty_library_is_filled(cli: CliRunnerFn, source: Path,
                                             tmp_path: Path) -> None:
    target = tmp_path / "empty.db"
    open_library(target).close()
    result = cli("db", "copy", "--to", str(target))
    assert result.code == 0, result.err
    assert dump(target, exact=True) == dump(source, exact=True)


def test_copy_from_another_file(cli: CliRunnerFn, source: Path, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    result = cli("--db", str(tmp_path / "unused.db"), "db", "copy", "--from", str(source),
                 "--to", str(target), db=False)
    assert result.code == 0, result.err
    assert dump(target, exact=True) == dump(source, exact=True)
    assert not (tmp_path / "unused.db").exists()


def test_a_library_that_holds_anything_is_refused(cli: CliRunnerFn, source: Path,
                                                  tmp_path: Path) -> None:
    target = tmp_path / "other.db"
    assert cli("--db", str(target), "add", "--title", "Mine", db=False).code == 0
    before = target.read_bytes()
    result = cli("db", "copy", "--to", str(target))
    assert result.code == 2 and result.out == ""
    assert result.err.strip() == (
        f"papershelf: refusing to copy into {target}: it already holds a library (1 papers); "
        f"papershelf copies only into a new file or an empty database, never over a library")
    assert target.read_bytes() == before


@pytest.mark.parametrize("what", ["itself", "text file", "folder", "no folder", "no source"])
def test_bad_targets_and_sources_are_one_line(cli: CliRunnerFn, source: Path, tmp_path: Path,
                                              what: str) -> None:
    args = ["db", "copy", "--to"]
    if what == "itself":
        args.append(str(source))
        expect = "onto itself; name another file"
    elif what == "text file":
        (tmp_path / "notes.txt").write_text("my notes\n" * 100, encoding="utf-8")
        args.append(str(tmp_path / "notes.txt"))
        expect = "is not a papershelf library (not an SQLite database)"
    elif what == "folder":
        args.append(str(tmp_path))
        expect = "is a directory"
    elif what == "no folder":
        args.append(str(tmp_path / "nowhere" / "x.db"))
        expect = "does not exist"
    else:
        args = ["db", "copy", "--from", str(tmp_path / "none.db"), "--to",
                str(tmp_path / "x.db")]
        expect = f"no library at {tmp_path / 'none.db'} to copy from"
    result = cli(*args)
    assert result.code == 2, result.err
    assert expect in result.err and result.err.count("\n") == 1 and "Traceback" not in result.err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "x.db").exists()


def test_a_copy_killed_anywhere_leaves_no_half_library(source: Path, tmp_path: Path) -> None:
    """SIGKILL at steps spread over the whole copy (tests/reliability's crash hook): the target
    is either absent or the whole verified copy, never part of one."""
    from tests.reliability.harness import trace_steps

    whole = dump(source, exact=True)
    _result, steps = trace_steps(source, "db", "copy", "--to", str(tmp_path / "traced.db"))
    inserts = [i for i, sql in enumerate(steps, 1) if sql.startswith("INSERT INTO")]
    commits = [i for i, sql in enumerate(steps, 1) if sql == "COMMIT"]
    assert len(inserts) > 10 and commits
    # Before the copy, amid its inserts, around each commit, at the end.
    points = [5, inserts[0], inserts[len(inserts) // 2], inserts[-1], *commits,
              *(c + 1 for c in commits), len(steps), 10**6]
    outcomes = set()
    for n, step in enumerate(points):
        target = tmp_path / f"t{n}.db"
        result = run(source, "db", "copy", "--to", str(target), crash_after=step)
        if target.exists():
            assert dump(target, exact=True) == whole
            outcomes.add("whole")
        else:
            assert result.code != 0
            outcomes.add("none")
    assert outcomes == {"none", "whole"}


def test_every_table_of_a_library_is_copied_or_derived(lib: Library) -> None:
    from storage.copy import is_derived, library_tables

    with lib.read() as session:
        copied = library_tables(session.connection())
    assert copied == list(TABLES)
    conn = sqlite3.connect(lib.path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert names - set(copied) == {n for n in names if is_derived(n)}
    assert all(n.startswith("search_") for n in names - set(copied))


# ---------------------------------------------------------------- SQLite -> PostgreSQL -> SQLite


def test_round_trip_through_postgresql(cli: CliRunnerFn, source: Path, tmp_path: Path,
                                       pg_url: str) -> None:
    there = cli("db", "copy", "--to", pg_url)
    assert there.code == 0, there.err
    assert "verified: every table's row count and checksum match" in there.out
    assert "rewritten for the target's engine" in there.err
    ids = paper_ids(source)
    assert shown(cli, pg_url, ids) == shown(cli, str(source), ids)
    again = cli("db", "copy", "--to", pg_url)
    assert again.code == 2 and "refusing to copy into postgresql://" in again.err
    assert "it already holds a library" in again.err

    back = tmp_path / "back.db"
    result = cli("db", "copy", "--from", pg_url, "--to", str(back))
    assert result.code == 0, result.err
    # Every field of every row, every note (with its author), the undo log's steps.
    assert dump(back, statements=False) == dump(source, statements=False)
    assert shown(cli, str(back), ids) == shown(cli, str(source), ids)
    assert cli("--db", str(back), "db", "check", "--full", db=False).code == 0
    # And undo on the round-tripped file goes back exactly as on the original, to the start.
    steps = len(dump(source)["undo_action"])
    assert undo_all_the_way(cli, str(back), steps) == undo_all_the_way(cli, str(source), steps)
    assert dump(back, statements=False) == dump(source, statements=False)
    assert paper_ids(back) == []


def test_a_copy_to_postgresql_killed_anywhere_writes_no_row(source: Path, pg_server: Any
                                                            ) -> None:
    """SIGKILL at steps spread over the copy to a server: the database then holds no paper or
    all of them (the server rolls back the open transaction of a dead client)."""
    import psycopg

    from tests.reliability.harness import trace_steps

    papers = len(paper_ids(source))
    # The steps of the copy (the crash hook counts the source's SQL statements): kill before
    # each of the reads that feed the inserts, before the reads of the check, before the commit.
    traced = pg_server.new_database()
    _result, steps = trace_steps(source, "db", "copy", "--to", traced)
    pg_server.drop_database(traced)
    first = next(i for i, sql in enumerate(steps, 1) if sql.startswith("SELECT paper."))
    points = [first - 20, first, first + 1, first + 4, first + 8, len(steps) - 1, 10**6]
    seen = set()
    for step in points:
        url = pg_server.new_database()
        try:
            result = run(source, "db", "copy", "--to", url, crash_after=step)
            with psycopg.connect(url) as pg:
                exists = pg.execute("SELECT to_regclass('paper')").fetchone()
                count = pg.execute("SELECT count(*) FROM paper").fetchone()[0] if exists and \
                    exists[0] else 0
            assert count in (0, papers), (step, count)
            # (A kill after the server committed leaves the whole copy, unannounced.)
            assert result.code != 0 or count == papers, (step, result.err)
            seen.add(count)
        finally:
            pg_server.drop_database(url)
    assert seen == {0, papers}


def test_undo_works_on_postgresql_after_the_copy(cli: CliRunnerFn, source: Path, tmp_path: Path,
                                                 pg_url: str) -> None:
    assert cli("db", "copy", "--to", pg_url).code == 0
    ids = paper_ids(source)
    for _ in range(4):  # rate, star, rm (a paper back with authors and tags), note edit
        on_pg = cli("--db", pg_url, "undo", db=False)
        here = cli("undo")
        assert on_pg.code == 0 and on_pg.out == here.out, on_pg.err
        assert shown(cli, pg_url, paper_ids(source)) == shown(cli, str(source),
                                                              paper_ids(source))
    assert len(paper_ids(source)) == len(ids) + 1  # the removed paper is back
    back = tmp_path / "back.db"
    assert cli("db", "copy", "--from", pg_url, "--to", str(back)).code == 0
    assert dump(back, statements=False) == dump(source, statements=False)


def test_a_nul_in_text_is_refused_by_name_before_writing(cli: CliRunnerFn, source: Path,
                                                          pg_url: str) -> None:
    conn = sqlite3.connect(source)
    with conn:
        conn.execute("UPDATE paper SET abstract = 'a' || char(0) || 'b' WHERE id = 2")
    conn.close()
    result = cli("db", "copy", "--to", pg_url)
    assert result.code == 2
    assert "cannot copy paper row 2: its abstract 'a\\x00b' holds a NUL character" in result.err
    import psycopg

    with psycopg.connect(pg_url) as pg:
        assert pg.execute("SELECT count(*) FROM paper").fetchone() == (0,)


def test_imported_entries_keep_their_fields_and_order(cli: CliRunnerFn, db_path: Path,
                                                      pg_url: str, tmp_path: Path) -> None:
    """An imported .bib entry keeps every field in the file's order (the export writes them
    back so): through PostgreSQL and back, the export is the same, byte for byte."""
    data = Path(__file__).resolve().parents[1] / "exports" / "data"
    for bib in ("clean.bib", "sample.bib"):
        assert cli("import", str(data / bib)).code in (0, 1)
    mine = cli("export", "--all")
    assert mine.code == 0 and mine.out.count("@") >= 5
    assert cli("db", "copy", "--to", pg_url).code == 0
    assert cli("--db", pg_url, "export", "--all", db=False).out == mine.out
    back = tmp_path / "back.db"
    assert cli("db", "copy", "--from", pg_url, "--to", str(back)).code == 0
    assert cli("--db", str(back), "export", "--all", db=False).out == mine.out
    assert dump(back, statements=False) == dump(db_path, statements=False)


def _hf_records() -> list[PaperRecord]:
    corpus = SHARED_FIXTURES / "hf-corpus" / "hf_daily_papers_2024-05-27_2026-03-31.jsonl.gz"
    if not corpus.exists():
        if IN_CI:
            pytest.fail(f"CI=true but the shared fixtures are missing at {corpus}")
        pytest.skip(f"shared fixtures not found at {corpus} (set PAPERSHELF_FIXTURES)")
    records: dict[str, PaperRecord] = {}
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            day = json.loads(line)
            if not "2025-02-01" <= day["date"] <= "2025-02-28":
                continue
            for item in day["items"]:
                p = item["paper"]
                records.setdefault(p["id"], PaperRecord(
                    title=" ".join(p["title"].split()), arxiv_id=p["id"],
                    authors=[a["name"] for a in p["authors"] if a.get("name")],
                    abstract=p.get("summary"), upvotes=p.get("upvotes"),
                    ai_summary=p.get("ai_summary"), ai_keywords=p.get("ai_keywords") or [],
                    source="hf"))
    return list(records.values())


def test_real_daily_papers_round_trip(cli: CliRunnerFn, db_path: Path, tmp_path: Path,
                                      pg_url: str) -> None:
    records = _hf_records()
    lib = open_library(db_path)
    try:
        with lib.action("pull") as session:
            merged = ops.merge_records(session, records=records, status="inbox")
        with lib.action("triage") as session:
            for m in merged[::7]:
                ops.change_tags(session, paper=m.paper, add=["reading-group"])
                ops.add_note(session, paper=m.paper, body=f"about {m.paper.title[:30]}",
                             author="bob")
    finally:
        lib.close()
    assert len(paper_ids(db_path)) == len(records) > 250
    assert cli("db", "copy", "--to", pg_url).code == 0
    back = tmp_path / "back.db"
    assert cli("db", "copy", "--from", pg_url, "--to", str(back)).code == 0
    assert dump(back, statements=False) == dump(db_path, statements=False)
    assert undo_all_the_way(cli, str(back), 2) == undo_all_the_way(cli, str(db_path), 2)
    assert dump(back, statements=False) == dump(db_path, statements=False)
