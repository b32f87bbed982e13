"""Before risky steps: an upgrade copies the library aside first, and `papershelf db backup` plus
the restore the README documents ("Where your data lives") get a user back to a known state."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import migrations

from .harness import (
    KILLED,
    REPO,
    Result,
    clean_env,
    copy_library,
    dump,
    run,
    run_inproc,
    sidecars,
    trace_steps,
)

pytestmark = pytest.mark.slow  # the reliability suite is left out of the fast lane

LATEST = migrations.latest_version()


def old_library(db: Path) -> None:
    """A library of this papershelf's schema, with papers, tags and notes written by the CLI."""
    for args in (["add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
                  "--author", "Noam Shazeer", "--year", "2017", "--arxiv", "1706.03762",
                  "--tag", "transformers"],
                 ["add", "--title", "LoRA", "--author", "Edward Hu", "--year", "2021"],
                 ["note", "vaswani2017attention", "-m", "positional encodings"],
                 ["star", "hu2021lora"]):
        assert run_inproc(db, *args).code == 0


def _fake_next(conn: sqlite3.Connection) -> None:
    """A schema step newer than any this papershelf has."""
    conn.execute("ALTER TABLE paper ADD COLUMN fake_next TEXT")
    conn.execute("UPDATE paper SET fake_next = 'upgraded'")


def _columns(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[1] for r in conn.execute("PRAGMA table_info(paper)")]
    finally:
        conn.close()


def _version(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_upgrade_copies_the_library_aside_first(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A library opened by a papershelf one schema step newer (a fake step after the real
    ones): the library is copied aside first, as one self-contained file equal to the library
    before; putting it back gives the old library to the older papershelf."""
    start = LATEST
    db = tmp_path / "library.db"
    old_library(db)
    before = dump(db)
    listed = run_inproc(db, "list", "--json").out
    newest = LATEST + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, _fake_next])

    assert run_inproc(db, "list", "--json").out == listed  # opening upgrades, nothing lost
    assert _version(db) == newest and "fake_next" in _columns(db)
    assert run_inproc(db, "db", "migrate").out == f"{db}: at schema {newest}, the latest\n"
    upgraded = dump(db)
    upgraded["paper"] = [row[:-1] for row in upgraded["paper"]]  # fake_next is the last column
    assert upgraded == before

    bak = tmp_path / f"library.db.v{start}.bak"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".bak")) == [bak.name]
    assert sidecars(bak) == []  # one self-contained file
    assert _version(bak) == start and "fake_next" not in _columns(bak)
    assert dump(bak) == before  # exactly the library as it was before the upgrade

    # Going back: the older papershelf opens the copy put back in place.
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:start])
    shutil.copyfile(bak, db)
    for side in sidecars(db):
        (tmp_path / side).unlink()
    assert run_inproc(db, "list", "--json").out == listed
    assert dump(db) == before


def v1_library(db: Path) -> None:
    """A library of the first schema as the first papershelf left it (written with SQL: this
    papershelf's commands need the later steps)."""
    conn = sqlite3.connect(db, isolation_level=None)
    migrations.migrate(conn, target=1)
    conn.executescript("""
        BEGIN;
        INSERT INTO paper (id, key, title, title_norm, arxiv_id, year, status, starred, added,
                           modified)
        VALUES (1, 'vaswani2017attention', 'Attention Is All You Need',
                'attention is all you need', '1706.03762', 2017, 'queued', 0,
                '2024-06-01 10:00:00', '2024-06-01 10:00:00'),
               (2, 'hu2021lora', 'LoRA: Low-Rank Adaptation of Large Language Models',
                'lora low rank adaptation of large language models', NULL, 2021, 'inbox', 1,
                '2024-06-02 10:00:00', '2024-06-02 10:00:00');
        INSERT INTO paper_author VALUES (1, 0, 'Ashish Vaswani'), (1, 1, 'Noam Shazeer'),
                                        (2, 0, 'Edward Hu');
        INSERT INTO tag VALUES (1, 'transformers');
        INSERT INTO paper_tag VALUES (1, 1);
        INSERT INTO note VALUES (1, 1, 'positional encodings', NULL, '2024-06-03 10:00:00',
                                 '2024-06-03 10:00:00');
        COMMIT;""")
    conn.close()


@pytest.mark.skipif(LATEST < 2, reason="no real upgrade step yet")
def test_the_real_upgrades_copy_aside_and_keep_everything(tmp_path: Path) -> None:
    """A first-schema library opened by this papershelf: copied aside as `library.db.v1.bak`
    (equal to the library before), then upgraded with every row kept, and the new steps work
    on the old rows (the search index of schema 2 finds them)."""
    db = tmp_path / "library.db"
    v1_library(db)
    before = dump(db)
    check = run_inproc(db, "db", "check")
    assert (check.code, check.out) == (0, f"{db}: ok (schema {LATEST}, 2 papers)\n")
    bak = tmp_path / "library.db.v1.bak"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".bak")) == [bak.name]
    assert sidecars(bak) == [] and _version(bak) == 1
    assert dump(bak) == before
    upgraded = dump(db)
    # Schema 3 adds the field provenance columns at the end of paper: papers added by hand
    # (these two) keep every field they have as the user's; schema 5 adds paper.key_case_twin.
    papers = upgraded.pop("paper")
    assert [row[-3:] for row in papers] == [
        ('["arxiv_id", "authors", "title", "year"]', "{}", None),
        ('["authors", "title", "year"]', "{}", None)]
    assert [row[:-3] for row in papers] == before.pop("paper")
    # Schema 6 adds note.author at the end: an old note has no author (nobody to name).
    assert [row[-1] for row in upgraded["note"]] == [None]
    upgraded["note"] = [row[:-1] for row in upgraded.pop("note")]
    assert upgraded == before
    found = run_inproc(db, "search", "atention", "--json").json()
    assert [p["key"] for p in found] == ["vaswani2017attention"]
    assert found[0]["tags"] == ["transformers"]
    assert [n["body"] for n in found[0]["notes"]] == ["positional encodings"]


def test_a_failed_upgrade_leaves_the_library_as_it_was(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "library.db"
    old_library(db)
    before = dump(db)

    def broken_next(conn: sqlite3.Connection) -> None:
        _fake_next(conn)  # half done...
        raise RuntimeError("a bug in the new step")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken_next])
    with pytest.raises(RuntimeError, match="a bug in the new step"):
        run_inproc(db, "list")
    assert _version(db) == LATEST and "fake_next" not in _columns(db)
    assert dump(db) == before
    assert dump(tmp_path / f"library.db.v{LATEST}.bak") == before


def papershelf(env_db: Path, *args: str, **extra: str) -> Result:
    """`papershelf ARGS` with the library chosen by PAPERSHELF_DB, as a user sets it up."""
    proc = subprocess.run([sys.executable, "-m", "tui", *args], cwd=REPO,
                          env=clean_env(PAPERSHELF_DB=str(env_db), **extra),
                          capture_output=True, text=True, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def state(db: Path) -> tuple[str, str, list[str]]:
    """What a user sees: every paper, every tag, and the undo history (times dropped)."""
    history = [re.sub(r"^\S+ \S+  ", "", line)
               for line in run_inproc(db, "undo", "--list").out.splitlines()]
    return (run_inproc(db, "list", "--all", "--json").out,
            run_inproc(db, "tags", "--json").out, history)


def test_backup_and_the_documented_restore(tmp_path: Path) -> None:
    """README, 'Where your data lives': back up with `papershelf db backup FILE` (while the
    library is in use); to restore, quit papershelf, copy the backup over the file `papershelf db
    path` names, and delete any library.db-wal / library.db-shm beside it. Followed to the
    letter, after later changes and a crash that left a WAL behind."""
    data_dir = tmp_path / "data"
    library = data_dir / "library.db"
    for args in (["add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
                  "--year", "2017", "--tag", "to-cite"],
                 ["add", "--title", "Deep Residual Learning", "--author", "Kaiming He",
                  "--year", "2016", "--tag", "vision"],
                 ["note", "vaswani2017attention", "-m", "sinusoids; why not learned?"],
                 ["rate", "he2016deep", "5"]):
        assert papershelf(library, *args).code == 0
    known = state(library)

    # The backup, taken while another program is reading the library mid-transaction.
    backup = tmp_path / "backups" / "2024-06-16.db"
    backup.parent.mkdir()
    reader = sqlite3.connect(library)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM paper").fetchone()
    made = papershelf(library, "db", "backup", str(backup))
    reader.close()
    assert (made.code, made.out) == (0, f"backed up {library} to {backup}\n")

    # Life goes on: more changes, then a crash right after a commit leaves a WAL beside the file.
    assert papershelf(library, "rm", "--yes", "he2016deep").code == 0
    assert papershelf(library, "tag", "vaswani2017attention", "-to-cite", "+read").code == 0
    last = ["add", "--title", "Committed, then killed", "--author", "Zoë Li"]
    probe = tmp_path / "probe" / "library.db"
    copy_library(library, probe)
    _result, steps = trace_steps(probe, *last)
    after_commit = max(i for i, sql in enumerate(steps, 1) if sql == "COMMIT") + 1
    killed = run(library, *last, crash_after=after_commit)
    assert killed.code == KILLED
    assert Path(f"{library}-wal").stat().st_size > 0  # the commit sits in the WAL
    assert state(library) != known

    # The restore, as documented.
    where = papershelf(library, "db", "path")
    assert where.code == 0
    named = Path(where.out.strip())
    assert named == library
    shutil.copyfile(backup, named)
    for side in ("library.db-wal", "library.db-shm"):
        (named.parent / side).unlink(missing_ok=True)

    assert state(library) == known
    check = papershelf(library, "db", "check")
    assert (check.code, check.out) == (0, f"{library}: ok (schema {LATEST}, 2 papers)\n")


def test_backup_refuses_a_missing_folder_and_a_directory(tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    assert run_inproc(db, "add", "--title", "x").code == 0
    missing = tmp_path / "nope" / "b.db"
    r = run_inproc(db, "db", "backup", str(missing))
    assert (r.code, r.one_error_line()) == (
        2, f"papershelf: cannot write {missing}: folder {missing.parent} does not exist")
    r = run_inproc(db, "db", "backup", str(tmp_path))
    assert r.code == 2 and "is a directory" in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.db"]
