"""The app on a PostgreSQL library, live: a paper added by ``papershelf --db URL add`` in
another process appears in the open app by itself (the app's one-second timer, the server's
notice); when the server goes away the app says so on a line of its own, and when it is back
the line goes and changes show up again, with no restart."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.record import PaperRecord
from storage import ops
from storage.db import Library, open_library
from tests.support.app import screen_text, settle, wait_for
from tests.support.pg import PgServer, find_bin_dir
from tui.app import PapershelfApp

REPO = Path(__file__).resolve().parents[2]
CLI = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"


async def papershelf(*args: str) -> subprocess.CompletedProcess[str]:
    """``papershelf ARGS`` in another process (this worktree's code), off the app's loop."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CLI, *args], cwd=REPO, capture_output=True,
        text=True, timeout=120)


def seeded(url: str) -> Library:
    lib = open_library(url)
    with lib.action("add") as session:
        ops.merge_record(session, record=PaperRecord(title="Attention Is All You Need",
                                                     authors=["Ashish Vaswani"]))
    return lib


async def test_a_paper_added_by_another_process_appears(
        pg_url: str, make_app: Callable[..., PapershelfApp]) -> None:
    lib = seeded(pg_url)
    try:
        app = make_app(library=lib, watch=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, "the first paper listed",
                           lambda: "Attention Is All You Need" in screen_text(app))
            assert "Inbox · 1 paper" in screen_text(app)
            done = await papershelf("--db", pg_url, "add", "--title",
                                    "From Elsewhere", "--author", "Ada Lovelace",
                                    "--status", "inbox")
            assert done.returncode == 0, done.stderr
            # Nobody calls poll_changes here: the app's own timer picks the change up.
            await wait_for(pilot, "the other process's paper listed",
                           lambda: "From Elsewhere" in screen_text(app))
            await settle(pilot)
            assert "Inbox · 2 papers" in screen_text(app)
            assert "unreachable" not in screen_text(app)
    finally:
        lib.close()


# ---------------------------------------------------------------- a server that goes away


class RestartableServer(PgServer):
    """A cluster of this test's own (stopping the shared one would hurt other tests), which can
    stop and start again on the same port."""

    def pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args)

    def down(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def up(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=50 -c shared_buffers=32MB")
        self.pg_ctl("-l", str(self.folder / "server.log"), "-o", options, "start")


@pytest.fixture
def own_server(pg_server: PgServer) -> Iterator[RestartableServer]:
    # (pg_server first: it skips, or fails under CI, with its reason when PostgreSQL is absent)
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    server = RestartableServer(bin_dir, Path(tempfile.mkdtemp(prefix="papershelf-pg-own-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


async def test_the_server_going_away_and_coming_back(
        own_server: RestartableServer, make_app: Callable[..., PapershelfApp]) -> None:
    url = own_server.new_database()
    lib = seeded(url)
    try:
        app = make_app(library=lib, watch=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, "the first paper listed",
                           lambda: "Attention Is All You Need" in screen_text(app))
            await asyncio.to_thread(own_server.down)
            await wait_for(pilot, "the line saying the server is away",
                           lambda: "unreachable" in screen_text(app))
            line: Any = app.main.query_one("#connection-status")
            assert f"127.0.0.1:{own_server.port}" in str(line.render())
            assert "reconnecting" in str(line.render())
            await asyncio.to_thread(own_server.up)
            await wait_for(pilot, "the line gone once the server is back",
                           lambda: not app.main.query("#connection-status"))
            done = await papershelf("--db", url, "add", "--title", "After Restart",
                                    "--author", "Ada Lovelace", "--status", "inbox")
            assert done.returncode == 0, done.stderr
            await wait_for(pilot, "a change after the restart listed",
                           lambda: "After Restart" in screen_text(app))
            assert app.watcher is not None and app.watcher.status is None
    finally:
        lib.close()
