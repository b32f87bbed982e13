"""Two at once: several processes writing one library. No "database is locked" reaches the user,
no write is lost; a writer kept waiting too long gets one clear line and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.support.app import notifications, screen_text, wait_for

from . import library_data as data
from .harness import REPO, Job, Result, clean_env, record, run_inproc

# serial: several processes on one library, timing-sensitive: run alone.
# slow: the reliability suite is left out of the fast lane.
pytestmark = [pytest.mark.serial, pytest.mark.slow]

# One process running many papershelf commands one after another, each exactly as the command
# line runs it (its own library opening, transaction and exit code), printing what each returned.
WRITER = """
import json, sys
from click.testing import CliRunner
from tui.cli import main
db, commands = sys.argv[1], json.loads(sys.argv[2])
results = []
for args in commands:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(["--db", db, *args])
    results.append([code, err.getvalue().decode()])
print(json.dumps(results))
"""


def start_writer(db: Path, commands: list[list[str]]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db), json.dumps(commands)],
                            cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> list[tuple[int, str]]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return [(code, text) for code, text in json.loads(out)]


def test_two_command_line_writers_on_one_library(tmp_path: Path) -> None:
    """Three processes at once on ten papers: two tag, note and star (84 commands each), a third
    lists and rates (60). Every command succeeds; afterwards every tag and every note is there, once."""
    db = tmp_path / "library.db"
    keys = data.build(db, 10, notes=False)
    rounds = 40
    plans: dict[str, list[list[str]]] = {"A": [], "B": []}
    for who, plan in plans.items():
        for i in range(rounds):
            key = keys[i % 10]
            plan.append(["tag", key, f"+{who.lower()}{i}", "+shared"])
            plan.append(["note", key, "-m", f"{who} note {i}: 'quoted'; and more"])
            if i % 10 == 0:
                plan.append(["star" if who == "A" else "unstar", key])
    third = []
    for i in range(30):
        third.append(["list", "--json"])
        third.append(["rate", keys[i % 10], str(1 + i % 5)])
    procs = [start_writer(db, plans["A"]), start_writer(db, plans["B"]), start_writer(db, third)]
    results = [finish(p) for p in procs]
    for plan, got in zip([plans["A"], plans["B"], third], results, strict=True):
        for args, (code, err) in zip(plan, got, strict=True):
            assert (code, err) == (0, ""), f"{args}: exit {code}: {err}"
            assert "locked" not in err
    papers = {p["key"]: p for p in run_inproc(db, "list", "--json").json()}
    for n, key in enumerate(keys):
        want_tags = {"shared"} | {f"{w}{i}" for w in "ab" for i in range(n, rounds, 10)}
        assert set(papers[key]["tags"]) == want_tags
        bodies = sorted(note["body"] for note in papers[key]["notes"])
        assert bodies == sorted(f"{w} note {i}: 'quoted'; and more"
                                for w in "AB" for i in range(n, rounds, 10))
    writes = sum(len(p) for p in plans.values()) + 30
    assert run_inproc(db, "db", "check").code == 0
    # Every write is one undo step: the log holds them all, newest first, none torn.
    history = run_inproc(db, "undo", "--list").out.splitlines()
    assert len(history) == 20  # the listing shows the last 20
    record("concurrency", "3 processes, 1 library", writes=writes, reads=30, failures=0)


def test_writers_racing_to_create_a_new_library(tmp_path: Path) -> None:
    """Four processes start on a library that does not exist yet: one creates it, the others
    wait for it; all four adds land."""
    db = tmp_path / "new" / "library.db"
    procs = [start_writer(db, [["add", "--title", f"Paper {n}", "--author", f"Ann Lee{n}"]])
             for n in range(4)]
    for proc in procs:
        assert finish(proc) == [(0, "")]
    titles = sorted(p["title"] for p in run_inproc(db, "list", "--json").json())
    assert titles == [f"Paper {n}" for n in range(4)]


# Another program holding the library's write lock mid-transaction until told to finish.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE paper SET rating = 5 WHERE id = 2")
print("locked", flush=True)
conn.execute(sys.stdin.readline().strip())  # COMMIT or ROLLBACK
print("done", flush=True)
"""


def hold_lock(db: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def release(holder: subprocess.Popen[str], how: str) -> None:
    out, _ = holder.communicate(f"{how}\n", timeout=60)
    assert out == "done\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() to follow the waiting writer")
def test_a_writer_waits_for_the_lock_instead_of_failing(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the write lock (mid-transaction) when `papershelf tag` starts: the
    command waits at BEGIN IMMEDIATE, then runs; both writes are kept."""
    import storage.db as storage_db

    db = tmp_path / "library.db"
    data.build(db, 2, notes=False)
    holder = hold_lock(db)
    # The (forked) command signals through a pipe when it reaches BEGIN IMMEDIATE: the crash
    # hook's step counter sees each statement just before it runs.
    read_end, write_end = os.pipe()

    def tick(sql: str | None = None) -> None:
        if sql == "BEGIN IMMEDIATE":
            os.write(write_end, b"w")

    monkeypatch.setattr(storage_db, "_crash_tick", tick)
    job = Job(db, ["tag", "1", "+waited"], env={storage_db.CRASH_ENV: str(10**15)}, fork=True)
    assert os.read(read_end, 1) == b"w"  # it is at the lock now
    release(holder, "COMMIT")
    result = job.wait()
    os.close(read_end)
    os.close(write_end)
    assert (result.code, result.err) == (0, "")
    papers = {p["id"]: p for p in run_inproc(db, "list", "--json").json()}
    assert papers[1]["tags"] == ["waited"] and papers[2]["rating"] == 5


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() to shorten the busy timeout")
def test_a_writer_kept_waiting_too_long_says_so(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """When the lock is held past the busy timeout (30 s; shortened here), the command gives up
    with one line that says what happened, not SQLite's 'database is locked', and writes
    nothing."""
    import storage.db as storage_db

    db = tmp_path / "library.db"
    data.build(db, 2, notes=False)
    before = run_inproc(db, "list", "--json").out
    holder = hold_lock(db)
    monkeypatch.setattr(storage_db, "BUSY_TIMEOUT_S", 0.2)  # the forked command inherits it
    result: Result = Job(db, ["tag", "1", "+never"], fork=True).wait()
    monkeypatch.undo()
    release(holder, "ROLLBACK")
    assert result.code == 2
    assert result.one_error_line() == (
        f"papershelf: {db} is busy: another program kept it locked for 0 s; nothing was changed; "
        f"try again")
    assert run_inproc(db, "list", "--json").out == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() to follow the import")
def test_commands_wait_for_a_big_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process tags and notes while `papershelf import` of a 10,000-entry .bib holds
    the write lock for its one transaction: the commands wait and then run (the import is far
    shorter than the 30 s busy timeout); the import and every command land."""
    import storage.db as storage_db

    db = tmp_path / "library.db"
    keys = data.build(db, 5, notes=False)
    bib = data.bib_file(tmp_path / "big.bib", 10_000)
    read_end, write_end = os.pipe()

    def tick(sql: str | None = None) -> None:
        if sql == "BEGIN IMMEDIATE":
            os.write(write_end, b"w")

    monkeypatch.setattr(storage_db, "_crash_tick", tick)
    importer = Job(db, ["import", str(bib)], env={storage_db.CRASH_ENV: str(10**15)}, fork=True)
    monkeypatch.undo()
    os.read(read_end, 1)  # the import's transaction has begun (pull_log aside, it has one)
    plan = [args for key in keys for args in (["tag", key, "+during-import"],
                                              ["note", key, "-m", "written during the import"])]
    writer = start_writer(db, plan)
    imported = importer.wait()
    os.close(read_end)
    os.close(write_end)
    assert imported.code == 0, imported
    assert imported.out.endswith(f"{bib}: added 10000, merged 0, skipped 0; new papers are "
                                 "'queued'\n")
    for args, (code, err) in zip(plan, finish(writer), strict=True):
        assert (code, err) == (0, ""), args
    check = run_inproc(db, "db", "check")
    assert check.out.endswith(", 10005 papers)\n"), check
    for key in keys:
        paper = run_inproc(db, "show", key, "--json").json()
        assert paper["tags"] == ["during-import"]
        assert [n["body"] for n in paper["notes"]] == ["written during the import"]
    record("concurrency", "10 writes while a 10,000-entry import holds the lock",
           writes=len(plan), imported=10_000, failures=0)


async def test_app_shows_changes_made_by_the_command_line(tmp_path: Path) -> None:
    """The app open on a library (its own change watcher on, polling each second) while other
    processes write to it: one runs `papershelf tag` and `note` on every paper, another
    `papershelf pull --date D` (five papers from a 127.0.0.1 server), and the app itself stars
    papers meanwhile. Every command exits 0 with nothing on stderr, the app shows no error, no
    write is lost, and the app shows the other processes' papers, tags and notes without a
    restart."""
    from storage.db import open_library
    from tests.support.local_server import Reply, local_server
    from tui.app import PapershelfApp
    from tui.config import Config

    db = tmp_path / "library.db"
    keys = data.build(db, 6, notes=False, status="inbox")
    day = date(2024, 6, 16)
    config = tmp_path / "config.toml"
    config.write_text("[sources]\n", encoding="utf-8")
    pulled = data.daily_papers(day, 5)
    cli_plan = [args for i, key in enumerate(keys)
                for args in (["tag", key, f"+cli-{i}"], ["note", key, "-m", f"cli note {i}"])]
    lib = open_library(db)
    try:
        app = PapershelfApp(lib, config=Config(), today=lambda: day, watch=True)
        with local_server() as server:
            server.add("/api/daily_papers", Reply.json(pulled), date=day.isoformat())
            async with app.run_test(size=(140, 40)) as pilot:
                await wait_for(pilot, "the inbox listed", lambda: app.main.loaded and len(
                    app.main.papers.ids) == 6)
                writer = start_writer(db, cli_plan)
                puller = subprocess.Popen(
                    [sys.executable, "-m", "tui", "--db", str(db), "pull", "--date", str(day)],
                    cwd=REPO, env=clean_env(PAPERSHELF_HF_URL=server.url,
                                            PAPERSHELF_CONFIG=str(config)),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                # Meanwhile the app writes too: star three papers, one after another.
                starred = []
                for _ in range(3):
                    pid = app.main.papers.paper_id
                    assert pid is not None
                    starred.append(pid)
                    await pilot.press("s")
                    await wait_for(pilot, f"paper {pid} starred", lambda pid=pid: (
                        (row := app.main.papers.row(pid)) is not None and row.starred))
                    await pilot.press("down")
                await wait_for(pilot, "the other processes done",
                                lambda: writer.poll() is not None and puller.poll() is not None,
                                seconds=120)
                out, err = puller.communicate()
                assert (puller.returncode, out) == (0, "new 5, updated 0, unchanged 0, failed 0\n")
                assert err == f"{day}: 5 papers (new 5, updated 0, unchanged 0)\n"
                for args, (code, text) in zip(cli_plan, finish(writer), strict=True):
                    assert (code, text) == (0, ""), args

                def shows_everything() -> bool:
                    rows = [app.main.papers.row(pid) for pid in app.main.papers.ids]
                    tags = {t for r in rows if r is not None for t in r.tags}
                    return len(rows) == 11 and tags >= {f"cli-{i}" for i in range(6)}

                # The app's timer notices the other processes' commits within a second or so.
                await wait_for(pilot, "the pulled papers and the tags shown", shows_everything)
                titles = {app.main.papers.row(pid).title for pid in app.main.papers.ids}
                assert {p["paper"]["title"] for p in pulled} <= titles
                # The cursor stayed on the paper it was on; its detail pane shows the note
                # written elsewhere.
                current = app.main.papers.row(app.main.papers.paper_id)
                assert current is not None and current.key in keys
                number = keys.index(current.key)
                await wait_for(pilot, "the note shown", lambda: f"cli note {number}" in
                                screen_text(app))
                messages = notifications(app)
                assert not [m for m in messages if "lock" in m or "busy" in m or
                            "went wrong" in m], messages
    finally:
        lib.close()
    # Nothing lost: every write of all three is in the library.
    final = {p["key"]: p for p in run_inproc(db, "list", "--all", "--json").json()}
    assert len(final) == 11
    for i, key in enumerate(keys):
        assert final[key]["tags"] == [f"cli-{i}"]
        assert [n["body"] for n in final[key]["notes"]] == [f"cli note {i}"]
    assert sorted(p["id"] for p in final.values() if p["starred"]) == sorted(starred)
    record("concurrency", "app open + 2 writing processes", cli_writes=len(cli_plan),
           pulled=5, app_writes=3, failures=0)

