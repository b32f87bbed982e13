"""Files: streams are written as streams, the library is never an export target, concurrent
``--into`` and an appending writer lose nothing, and library paths are plain paths."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import CliRunnerFn

REPO = Path(__file__).resolve().parents[2]


def tui(db: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PAPERSHELF_DB", "PAPERSHELF_CRASH_AFTER")}
    return subprocess.run([sys.executable, "-m", "tui", "--db", str(db), *args], cwd=REPO,
                          env=env, capture_output=True, timeout=120, **kwargs)  # type: ignore[call-overload]


def make_bib(path: Path, count: int) -> list[str]:
    keys = [f"paper{n:03d}" for n in range(count)]
    path.write_text("".join(f"@misc{{{k},\n  title = {{Paper {k}}},\n  author = {{Doe, Jane}},"
                            f"\n  year = {{2024}}\n}}\n\n" for k in keys), encoding="utf-8")
    return keys


@pytest.mark.parametrize("name", ["lib%20x.db", "lib#1.db", "what?.db", "my lib ü.db",
                                  "a%b#c?d e ü%41.db"])
def test_library_paths_are_plain_paths(cli: CliRunnerFn, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / name
    assert cli("--db", str(db), "add", "--title=A Paper", "--author=Ann Lee", db=False).code == 0
    again = cli("--db", str(db), "list", "--json", db=False)  # opened again, by the same name
    assert again.code == 0, again.err
    assert [p["title"] for p in again.json()] == ["A Paper"]
    assert cli("--db", str(db), "db", "check", db=False).code == 0
    assert {p.name for p in folder.iterdir()} <= {name, f"{name}-wal", f"{name}-shm"}
    assert db.read_bytes().startswith(b"SQLite format 3\x00")


@pytest.fixture
def shelf(cli: CliRunnerFn, tmp_path: Path, db_path: Path) -> list[str]:
    keys = make_bib(tmp_path / "in.bib", 40)
    assert cli("import", str(tmp_path / "in.bib")).code == 0
    return keys


@pytest.mark.slow  # hostile targets through four `python -m tui` processes (~5 s CPU)
def test_export_to_a_fifo_a_device_and_dev_stdout_streams(shelf: list[str], db_path: Path,
                                                          tmp_path: Path) -> None:
    fifo = tmp_path / "refs.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = tui(db_path, "export", "--all", "-o", str(fifo))
    reader.join(60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO, not replaced by a file
    assert got and got[0].count(b"@misc{") == 40
    assert [p.name for p in tmp_path.iterdir() if "papershelf" in p.name] == []

    out = tui(db_path, "export", "--all", "-o", "/dev/stdout")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(b"@misc{") == 40

    null = tui(db_path, "export", "--all", "-o", "/dev/null")
    assert null.returncode == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)

    backup = tui(db_path, "db", "backup", "/dev/stdout")
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.startswith(b"SQLite format 3\x00")
    copy = tmp_path / "copy.db"
    copy.write_bytes(backup.stdout[:backup.stdout.rindex(b"backed up")] if b"backed up" in
                     backup.stdout else backup.stdout)
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("SELECT count(*) FROM paper").fetchone()[0] == 40
    finally:
        conn.close()


def test_the_library_and_its_journal_are_never_export_targets(
        shelf: list[str], cli: CliRunnerFn, db_path: Path) -> None:
    before = db_path.read_bytes()
    for args in (["-o", str(db_path)], ["-o", f"{db_path}-wal"], ["-o", f"{db_path}-shm"],
                 ["--into", str(db_path)]):
        r = cli("export", "--all", *args)
        assert r.code == 2, (args, r)
        assert "refusing to write" in r.err and "Traceback" not in r.err
        assert r.err.count("\n") == 1
    assert db_path.read_bytes() == before
    assert len(cli("list", "--json").json()) == 40
    r = cli("db", "backup", str(db_path))
    assert r.code == 2 and "own file" in r.err
    assert len(cli("list", "--json").json()) == 40


def append_lines(path: Path, round_: int, stop: threading.Event, appended: list[bytes]) -> None:
    """An editor appending to the file, a line every 2 ms until stopped. It takes the advisory
    lock papershelf takes (``flock`` on the file's folder), as a tool that locks would. (One
    that does not lock can still lose a line written in the instant between papershelf's last
    check of the file and its rename: no rename-based rewrite can see that write; the checks
    before and after the rename keep every line written outside that instant.)"""
    n = 0
    while not stop.is_set():
        line = f"% appended {round_} {n}\n".encode()
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        finally:
            os.close(folder)  # (closing it releases the lock)
        appended.append(line)
        n += 1
        stop.wait(0.002)


@pytest.mark.serial  # three writers racing: timing-sensitive, run alone
@pytest.mark.slow  # 50 rounds of three writers
def test_two_concurrent_into_and_an_appending_writer_lose_nothing(
        shelf: list[str], db_path: Path, tmp_path: Path) -> None:
    first, second = shelf[:20], shelf[20:]
    refs = tmp_path / "refs.bib"
    head = re.compile(rb"^@misc\{(\w+),", re.MULTILINE)
    for round_ in range(50):
        refs.write_bytes(b"% my own refs\n")
        stop = threading.Event()
        appended: list[bytes] = []
        writer = threading.Thread(target=append_lines, args=(refs, round_, stop, appended),
                                  daemon=True)
        writer.start()
        env = {k: v for k, v in os.environ.items()
               if k not in ("PAPERSHELF_DB", "PAPERSHELF_CRASH_AFTER")}
        procs = [subprocess.Popen([sys.executable, "-m", "tui", "--db", str(db_path), "export",
                                   *keys, "--into", str(refs)], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for keys in (first, second)]
        results = [p.communicate(timeout=120) for p in procs]
        stop.set()
        writer.join(10)
        assert [p.returncode for p in procs] == [0, 0], results
        data = refs.read_bytes()
        keys = [k.decode() for k in head.findall(data)]
        assert sorted(keys) == sorted(shelf), f"round {round_}: {len(keys)} of 40 entries"
        missing = [ln for ln in appended if ln not in data]
        assert missing == [], f"round {round_}: lost {len(missing)} of {len(appended)} lines"
        assert data.startswith(b"% my own refs\n")
