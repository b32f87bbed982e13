"""Damaged or foreign files: a truncated or damaged library, another application's database, a
library from a newer papershelf, a read-only data folder or file, a full disk. Each gets one clear
line on stderr, a non-zero exit, and the file stays byte for byte as it was."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import migrations

from . import library_data as data
from .harness import Result, copy_library, record, run, run_inproc, sha256, sidecars

pytestmark = pytest.mark.slow  # the reliability suite is left out of the fast lane

DAMAGED = ("is damaged (database disk image is malformed): restore a backup (see 'Where your "
           "data lives' in the README)")
# What each command is asked to do to a file it must refuse.
COMMANDS: list[tuple[str, ...]] = [
    ("list",), ("show", "1"), ("add", "--title", "New paper", "--author", "Ann Lee"),
    ("tag", "1", "+new"), ("note", "1", "-m", "a note"), ("rm", "--yes", "1"), ("undo",),
    ("tags", "merge", "a", "b"), ("db", "check"), ("db", "migrate"),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sound library of 40 papers (about 200 KB), closed cleanly (no WAL beside it)."""
    db = tmp_path_factory.mktemp("sample") / "library.db"
    data.build(db, 40, tags={"a": range(0, 40, 2), "b": range(0, 40, 3)})
    assert sidecars(db) == []
    return db


def refused_unchanged(what: str, db: Path, expected: str,
                      commands: list[tuple[str, ...]] = COMMANDS,
                      runner: Callable[..., Result] = run_inproc) -> None:
    """Every command fails with exactly ``papershelf: {db} {expected}`` (or the line given in
    full), exit 2, and leaves the file's bytes alone."""
    before = sha256(db)
    line = expected if expected.startswith("papershelf: ") else f"papershelf: {db} {expected}"
    for args in commands:
        result = runner(db, *args)
        assert result.code == 2, (args, result)
        assert result.one_error_line() == line, args
        assert result.out == "", args
        assert sha256(db) == before, f"{args} changed the file"
        # SQLite may leave an empty -wal (and its -shm) beside a WAL-mode file it could only
        # read; never anything with content.
        wal = db.with_name(db.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    record("damaged", what, commands=len(commands), refused=len(commands))


# ---------------------------------------------------------------- damaged


@pytest.mark.parametrize("cut", [100, 4096, 4096 * 3, 4096 * 3 + 1000, -4096, -1])
def test_truncated_library(sample: Path, tmp_path: Path, cut: int) -> None:
    db = tmp_path / "library.db"
    copy_library(sample, db)
    size = db.stat().st_size
    with db.open("r+b") as fh:
        fh.truncate(cut if cut > 0 else size + cut)
    refused_unchanged(f"cut to {db.stat().st_size} of {size} bytes", db,
                      f"is damaged (the file is cut short: {db.stat().st_size} of {size} "
                          f"bytes): restore a backup (see 'Where your data lives' in the README)")


def _page_of(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0])
    finally:
        conn.close()


def test_damaged_page_in_the_middle(sample: Path, tmp_path: Path) -> None:
    """Garbage over the paper table's first page: reading papers fails with the damage message,
    and `db check` names the problem."""
    db = tmp_path / "library.db"
    copy_library(sample, db)
    page = _page_of(db, "paper")
    with db.open("r+b") as fh:
        fh.seek((page - 1) * 4096)
        fh.write(b"\xff" * 4096)
    before = sha256(db)
    for args in [("list",), ("show", "1"), ("list", "--json")]:
        result = run_inproc(db, *args)
        assert (result.code, result.one_error_line()) == (2, f"papershelf: {db} {DAMAGED}"), args
    check = run_inproc(db, "db", "check")
    assert check.code == 2
    assert check.out.startswith("problem: "), check.out
    found = check.one_error_line()
    assert found.endswith(" problems found") or found.endswith(" 1 problem found"), found
    assert sha256(db) == before
    record("damaged", "garbage over a page of the paper table", commands=4, refused=4)


def test_text_file_is_not_a_library(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my reading notes\n" * 50)
    refused_unchanged("a text file", db, "is not a papershelf library (not an SQLite database)")


def test_database_of_another_application(tmp_path: Path) -> None:
    db = tmp_path / "places.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);"
                       "CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER);"
                       "INSERT INTO moz_places (url) VALUES ('https://arxiv.org');")
    conn.close()
    refused_unchanged("another application's database", db,
                      "is not a papershelf library (it is an SQLite database of another "
                          "application, with tables moz_bookmarks, moz_places)")


def test_library_from_a_newer_papershelf(sample: Path, tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    copy_library(sample, db)
    newer = migrations.latest_version() + 1
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    refused_unchanged("a newer papershelf's library", db,
                      f"was written by a newer papershelf (schema {newer}; this version reads up "
                      f"to {migrations.latest_version()}): upgrade papershelf to open it")


def test_a_folder_named_as_the_library(tmp_path: Path) -> None:
    refused_unchanged_dir = tmp_path / "library.db"
    refused_unchanged_dir.mkdir()
    for args in COMMANDS[:3]:
        result = run_inproc(refused_unchanged_dir, *args)
        assert (result.code, result.one_error_line()) == (
            2, f"papershelf: {refused_unchanged_dir} is a directory, not a library file")
    assert list(refused_unchanged_dir.iterdir()) == []


def test_an_empty_file_becomes_a_new_library(tmp_path: Path) -> None:
    """SQLite's own rule, kept: a zero-byte file is an empty database, so papershelf sets it up
    (what `touch library.db` then `papershelf` should do)."""
    db = tmp_path / "library.db"
    db.touch()
    result = run_inproc(db, "add", "--title", "First")
    assert (result.code, result.out) == (0, "added anonfirst: First\n")


# ---------------------------------------------------------------- read-only


def _drop_file_capabilities() -> None:
    """For root: lose CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH in the child (before exec), so
    file modes apply to it as they would to a user. Runs between fork and exec."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def as_user(tmp_path: Path) -> Callable[..., Result]:
    """Run papershelf so that read-only modes bind (dropping root's override capabilities);
    skip when this machine cannot make a folder read-only for the command."""
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0o500)
    try:
        attempt = subprocess.run([sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
                                 preexec_fn=_drop_file_capabilities, capture_output=True)
    except (OSError, subprocess.SubprocessError) as err:
        pytest.skip(f"cannot drop file capabilities here: {err}")
    finally:
        probe.chmod(0o700)
    if attempt.returncode == 0:
        pytest.skip("a read-only folder is writable for this user here (cannot simulate it)")

    def runner(db: Path, *args: str) -> Result:
        return run(db, *args, preexec_fn=_drop_file_capabilities)

    return runner


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    yield folder
    folder.chmod(0o700)
    for f in folder.iterdir():
        f.chmod(0o600)


def test_read_only_data_folder(sample: Path, read_only: Path, as_user: Callable[..., Result]) -> None:
    """A library in a folder the user may not write: SQLite keeps its journal beside the file,
    so papershelf says so, for reads and writes alike, and touches nothing."""
    db = read_only / "library.db"
    copy_library(sample, db)
    read_only.chmod(0o500)
    refused_unchanged(
        "read-only data folder", db, f"papershelf: cannot use {db}: its folder {read_only} is read-only (papershelf keeps its journal "
            f"beside the library file); make the folder writable or copy the library to one that is",
        commands=[("list",), ("add", "--title", "x"), ("tag", "1", "+x")], runner=as_user)
    assert sidecars(db) == []
    new = read_only / "new.db"
    result = as_user(new, "add", "--title", "x")
    assert (result.code, result.one_error_line()) == (
        2, f"papershelf: cannot use {new}: its folder {read_only} is read-only (papershelf keeps "
           f"its journal beside the library file); make the folder writable or copy the library "
           f"to one that is")
    assert not new.exists()
    nested = read_only / "papershelf" / "library.db"
    result = as_user(nested, "list")
    assert (result.code, result.one_error_line()) == (
        2, f"papershelf: cannot create folder {nested.parent}: Permission denied")


def test_read_only_library_file(sample: Path, tmp_path: Path,
                                as_user: Callable[..., Result]) -> None:
    """A read-only library file in a writable folder: reading works, every write says the file
    is read-only and changes nothing."""
    db = tmp_path / "library.db"
    copy_library(sample, db)
    db.chmod(0o400)
    before = sha256(db)
    listed = as_user(db, "list", "--json")
    assert listed.code == 0 and len(listed.out) > 1000
    refused_unchanged("read-only library file", db,
                      f"papershelf: cannot write {db}: the file is read-only; nothing was changed",
                      commands=[("add", "--title", "x"), ("tag", "1", "+x"), ("rm", "--yes", "1"),
                                ("undo",)], runner=as_user)
    assert sha256(db) == before


# ---------------------------------------------------------------- full disk


def _file_size_limit(limit: int) -> Callable[[], None]:
    """Simulate a disk that fills up at ``limit`` bytes per file (RLIMIT_FSIZE: writes past it
    fail with EFBIG, as a full disk fails them with ENOSPC). No privileges, no loop device."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


FULL = {"the disk is full; nothing was changed",
        "the disk reported an input/output error (is it full, or failing?); nothing was changed"}


def test_full_disk_while_writing(sample: Path, tmp_path: Path) -> None:
    """The write that does not fit fails with one line, the library keeps every byte, and the
    next command (with room again) works."""
    db = tmp_path / "library.db"
    copy_library(sample, db)
    before = sha256(db)
    big = ["add", "--title", "A long one", "--abstract", "x" * 100_000]
    full = run(db, *big, preexec_fn=_file_size_limit(64 * 1024))
    assert full.code == 2, full
    line = full.one_error_line()
    assert line.startswith(f"papershelf: cannot write {db}: ")
    assert line.split(f"{db}: ", 1)[1] in FULL
    assert sha256(db) == before
    assert sidecars(db) == []
    again = run_inproc(db, *big)
    assert (again.code, again.out) == (0, "added anonlong: A long one\n")
    record("damaged", "full disk while writing (RLIMIT_FSIZE)", commands=1, refused=1)


def test_full_disk_when_creating_a_library(tmp_path: Path) -> None:
    db = tmp_path / "new" / "library.db"
    full = run(db, "add", "--title", "x", preexec_fn=_file_size_limit(2048))
    assert full.code == 2
    assert full.one_error_line().split(f"{db}: ", 1)[1] in FULL
    assert list(db.parent.iterdir()) == []  # no half-made library left behind
    record("damaged", "full disk creating a library", commands=1, refused=1)


def test_full_disk_during_backup(sample: Path, tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    copy_library(sample, db)
    dest = tmp_path / "backup.db"
    dest.write_bytes(b"an older backup")
    full = run(db, "db", "backup", str(dest), "--force",  # an existing file: asked to replace it
               preexec_fn=_file_size_limit(64 * 1024))
    assert full.code == 2
    assert full.one_error_line().split(f"{dest}: ", 1)[1] in FULL
    assert dest.read_bytes() == b"an older backup"  # the old backup is kept whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.db", "library.db"]
    record("damaged", "full disk during db backup", commands=1, refused=1)


def test_database_full_inside_sqlite(sample: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own 'database or disk is full' (SQLITE_FULL, what ENOSPC gives), made by capping
    the file's pages on every connection: the same one line."""
    import storage.db as storage_db

    db = tmp_path / "library.db"
    copy_library(sample, db)
    pages = db.stat().st_size // 4096
    configure = storage_db._configure

    def capped(conn: sqlite3.Connection) -> None:
        configure(conn)
        conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(storage_db, "_configure", capped)
    before = run_inproc(db, "list", "--json").json()
    result = run_inproc(db, "add", "--title", "Big", "--abstract", "y" * 400_000)
    assert (result.code, result.one_error_line()) == (
        2, f"papershelf: cannot write {db}: the disk is full; nothing was changed")
    assert run_inproc(db, "list", "--json").json() == before
    record("damaged", "SQLITE_FULL (max_page_count)", commands=1, refused=1)
