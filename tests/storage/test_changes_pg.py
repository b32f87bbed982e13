"""Changes on a PostgreSQL library (storage/changes_pg.py): every commit, by anyone, is noticed
through LISTEN/NOTIFY; one committed while the watcher was cut off is caught up from the change
log when it reconnects, which it does by itself, saying meanwhile that the server is away."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from reader.record import PaperRecord
from storage import ops, views
from storage.db import Library, open_library


def until(what: str, ready: Callable[[], bool], seconds: float = 30.0) -> None:
    """A bounded wait for another thread (the watcher's), not a sleep."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if ready():
            return
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def pg_lib(pg_url: str) -> Iterator[Library]:
    lib = open_library(pg_url)
    yield lib
    lib.close()


def add(lib: Library, title: str) -> None:
    with lib.action(f"add {title}") as session:
        ops.merge_record(session, record=PaperRecord(title=title, authors=["Ada Lovelace"]))


def test_every_commit_is_noticed_once_and_logged(pg_lib: Library, pg_url: str) -> None:
    watcher = views.ChangeWatcher(pg_lib)
    try:
        assert watcher.changed() is False and watcher.status is None
        add(open_library(pg_url), "From another process")  # another engine, another pool
        until("the notice", watcher.changed)
        assert watcher.changed() is False  # once per change, not once per look
        with psycopg.connect(pg_url, autocommit=True) as conn:  # psql, a script
            conn.execute("UPDATE paper SET starred = TRUE")
            until("a change from psql", watcher.changed)
            log = conn.execute("SELECT tbl, paper_id IS NOT NULL FROM change_log ORDER BY id"
                               ).fetchall()
        assert log[0] == ("paper", True) and ("paper_author", True) in log
        assert log[-1] == ("paper", True)
        with pg_lib.read() as session:  # a read changes nothing
            views.view_counts(session)
        assert watcher.changed() is False
    finally:
        watcher.close()


def test_a_change_made_while_cut_off_is_caught_up_from_the_log(pg_lib: Library,
                                                              pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    admin_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    watcher = views.ChangeWatcher(pg_lib)
    try:
        with psycopg.connect(admin_url, autocommit=True) as admin, \
                psycopg.connect(pg_url, autocommit=True) as writer:
            # Cut the watcher off and keep it off: no notice can reach it now.
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = %s AND application_name LIKE 'papershelf (watching%%'",
                          (name,))
            until("the watcher says the server is away", lambda: watcher.status is not None)
            assert "unreachable" in (watcher.status or "")
            writer.execute("INSERT INTO tag (name) VALUES ('written while away')")
            assert watcher.changed() is False
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            until("back", lambda: watcher.status is None)
        assert watcher.changed() is True  # from the change log: the notice went nowhere
        assert watcher.changed() is False
        add(pg_lib, "After the reconnection")
        until("notices again", watcher.changed)
    finally:
        watcher.close()
