"""Pull in the app (`p`, and "pull a date..." from the palette) against a local HTTP server on
127.0.0.1 serving sample Daily Papers JSON and an arXiv Atom feed: the real reader and the same
steps as `papershelf pull`, with the app's progress bar and notifications."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, ProgressBar

import reader.arxiv
import storage.vocab
from storage import ops, pulls
from tests.support.app import TODAY, press, screen_text, settle, type_text
from tests.support.local_server import Gate, LocalServer, Reply, closed_port_url, local_server
from tui.screens.dialogs import InputDialog

DATA = Path(__file__).resolve().parents[1] / "reader" / "data"
JSON = "application/json; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
NOW = {"Retry-After": "0"}  # retries in tests do not wait
DAY = TODAY.isoformat()  # 2024-01-20, "today" for the app and for the pull
# tests/reader/data/daily_papers_new.json, most upvoted first (ties keep the feed's order).
PULLED = [("2406.10002", "A Benchmark Without Summary", 30),
          ("2406.10001", "Sparse Mixtures of Tiny Experts for Long Contexts", 12),
          ("2406.10003", "Tied Votes Keep Their Order", 12)]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The config.toml the reader reads ([sources]); the app's own settings come as Config()."""
    path = tmp_path / "config.toml"
    path.write_text("[sources]\n")
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(path))
    return path


@pytest.fixture
def server(config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    with local_server() as srv:
        for var in ("PAPERSHELF_HF_URL", "PAPERSHELF_ARXIV_URL", "PAPERSHELF_DOI_URL"):
            monkeypatch.setenv(var, srv.url)
        monkeypatch.setattr(reader.arxiv, "INTERVAL", 0.0)
        monkeypatch.setattr(storage.vocab, "utc_today", lambda: TODAY)
        yield srv


def daily_papers(**headers: str) -> Reply:
    return Reply.raw((DATA / "daily_papers_new.json").read_bytes(), JSON, **headers)


def inbox_keys(lib) -> dict[str, str]:
    """arXiv id (or title) -> status of every paper, from the store."""
    with lib.read() as session:
        return {p.arxiv_id or p.title: p.status
                for p in ops.list_papers(session, include_dismissed=True)}


def feed_of(lib, day: str, source: str | None = None) -> list[tuple[str, str, int, int | None]]:
    from datetime import date

    with lib.read() as session:
        return [(paper.arxiv_id or "", entry.source, entry.rank, entry.upvotes)
                for entry, paper in pulls.day_feed(session, day=date.fromisoformat(day),
                                                   source=source)]


def shown(app) -> list[str]:
    papers = app.main.papers
    return [papers.row(pid).title for pid in papers.ids]


def notes_of(app) -> list[tuple[str, str, str]]:
    """(severity, title, message) of each notification."""
    return [(n.severity, n.title, n.message) for n in app._notifications]


async def test_p_pulls_today_into_the_inbox_with_a_progress_bar(lib, sample, make_app, server):
    gate = Gate()
    server.add("/api/daily_papers", daily_papers().held(gate), date=DAY)
    app = make_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert "Inbox · 5 papers" in screen_text(app)
            await pilot.press("p")
            # The request waits at the server: the bar shows, the app answers keys meanwhile.
            assert await asyncio.to_thread(gate.reached.wait, 10)
            await settle(pilot, besides="pull")
            bar = app.main.query_one("#pull-progress", ProgressBar)
            assert bar.display is True
            assert (bar.total, bar.progress) == (1, 0)
            assert f"Inbox · 5 papers · pulling hf {DAY}…" in screen_text(app)
            await pilot.press("y")  # keep the paper under the cursor while the pull waits
            await settle(pilot, besides="pull")
            with lib.read() as session:
                assert ops.find_paper(session, ref="yuan2024self").status == "queued"
            await pilot.press("p")  # a second p while pulling does nothing
            await settle(pilot, besides="pull")
            gate.release()
            await settle(pilot)
            assert len(server.requests) == 1
            assert server.requests[0].query == {"date": DAY, "p": "0", "limit": "100"}
            assert notes_of(app)[-1] == ("information", "Pulled",
                                         "3 new, 0 updated, 0 unchanged, 0 failed")
            assert bar.display is False
            # The new day comes first in the inbox, most upvoted first.
            assert shown(app)[:3] == [title for _, title, _ in PULLED]
            text = screen_text(app)
            assert "Inbox · 7 papers" in text
            assert re.search(rf"{DAY} +3/3", text)  # the new day in the sidebar (3 new of 3)
    finally:
        gate.release()
    assert feed_of(lib, DAY) == [(arxiv_id, "hf", rank, upvotes) for rank, (arxiv_id, _, upvotes)
                                 in enumerate(PULLED, start=1)]
    assert {k: v for k, v in inbox_keys(lib).items() if k.startswith("2406.")} == {
        "2406.10001": "inbox", "2406.10002": "inbox", "2406.10003": "inbox"}


async def test_the_pull_is_one_undo_step(lib, sample, make_app, server):
    server.add("/api/daily_papers", daily_papers(), date=DAY)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "p")
        assert "Inbox · 8 papers" in screen_text(app)
        await press(pilot, "u")
        assert notes_of(app)[-1][2] == f"Undid: pull hf {DAY}"
        assert "Inbox · 5 papers" in screen_text(app)
    assert not any(k.startswith("2406.") for k in inbox_keys(lib))


async def test_p_also_pulls_the_configured_arxiv_categories(lib, sample, make_app, server,
                                                            config):
    config.write_text('[sources]\narxiv_categories = ["cs.CL"]\n')
    server.add("/api/daily_papers", daily_papers(), date=DAY)
    server.add("/api/query", Reply.raw((DATA / "arxiv_feed.atom.xml").read_bytes(), ATOM))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "p")
        # LoRA is in the sample library already: updated, its status (queued) kept.
        assert notes_of(app)[-1] == ("information", "Pulled",
                                     "4 new, 1 updated, 0 unchanged, 0 failed")
    assert [r.query.get("search_query") for r in server.requests] == [None, "cat:cs.CL"]
    assert server.requests[1].query["max_results"] == "100"
    assert feed_of(lib, "2021-06-17") == [("2106.09685", "arxiv", 1, None)]
    assert feed_of(lib, DAY, "arxiv") == []
    statuses = inbox_keys(lib)
    assert statuses["2106.09685"] == "queued"
    assert statuses["hep-th/9901001"] == "inbox"


async def test_a_pull_that_partly_failed_is_titled_so(lib, sample, make_app, server, config):
    config.write_text('[sources]\narxiv_categories = ["cs.CL"]\n')
    server.add("/api/daily_papers", daily_papers(), date=DAY)
    server.add("/api/query", Reply.raw(b"down", "text/plain", 503, **NOW))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "p")
        severity, title, message = notes_of(app)[-1]
        assert (severity, title) == ("warning", "Pulled, with errors")
        assert message.startswith("3 new, 0 updated, 0 unchanged, 1 failed\n")


@pytest.mark.parametrize("reply, what", [
    (Reply.raw(b"down", "text/plain", 503, **NOW),
     "{host} answered HTTP 503 Service Unavailable for {url}/api/daily_papers?date=2024-01-20&p=0"
     "&limit=100 (3 tries)"),
    (Reply.raw(b"<!doctype html><p>maintenance", "text/html"),
     "{host} answered with an HTML page, not JSON, for {url}/api/daily_papers?date=2024-01-20&p=0"
     "&limit=100"),
], ids=["http-503", "html-page"])
async def test_a_failing_server_shows_what_failed(lib, sample, make_app, server, reply, what):
    server.add("/api/daily_papers", reply)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "p")
        host = server.url.removeprefix("http://")
        assert notes_of(app)[-1] == (
            "error", "Pull failed", "0 new, 0 updated, 0 unchanged, 1 failed\n"
            f"{DAY}: " + what.format(host=host, url=server.url))
        assert app.main.query_one("#pull-progress", ProgressBar).display is False
        assert "Inbox · 5 papers" in screen_text(app)
        # Not stuck: p pulls again (and now the server answers).
        server.routes.clear()
        server.add("/api/daily_papers", daily_papers())
        await press(pilot, "p")
        assert notes_of(app)[-1] == ("information", "Pulled",
                                     "3 new, 0 updated, 0 unchanged, 0 failed")
    with lib.read() as session:
        latest, earlier = pulls.pull_history(session)[:2]
    assert (earlier.source, earlier.new, earlier.failed) == ("hf", 0, 1)
    assert earlier.errors[0].startswith(f"{DAY}: {server.url.removeprefix('http://')} answered")
    assert (latest.new, latest.failed, latest.errors) == (3, 0, [])


async def test_an_unreachable_source_and_a_bad_config_say_so(lib, sample, make_app, server,
                                                             config, monkeypatch):
    nowhere = closed_port_url()
    monkeypatch.setenv("PAPERSHELF_HF_URL", nowhere)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "p")
        severity, title, message = notes_of(app)[-1]
        assert (severity, title) == ("error", "Pull failed")
        first, second = message.split("\n")
        assert first == "0 new, 0 updated, 0 unchanged, 1 failed"
        assert second.startswith(f"{DAY}: cannot reach {nowhere.removeprefix('http://')}: ")
        # A config file that does not parse: one message naming the line; nothing fetched.
        config.write_text('[sources]\narxiv_categories = ["cs.CL"\n')
        await press(pilot, "p")
        severity, _title, message = notes_of(app)[-1]
        assert severity == "error"
        assert message.startswith(f"{config}:3: bad config file: ")
        assert app.main.query_one("#pull-progress", ProgressBar).display is False
        assert app.main.pulling is False
        assert "Inbox · 5 papers" in screen_text(app)
    assert server.requests == []


async def test_palette_pulls_a_date(lib, sample, make_app, server):
    server.add("/api/daily_papers", daily_papers(), date="2024-01-18")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "pull a date")
        await press(pilot, "enter")
        assert isinstance(app.screen, InputDialog)
        box = app.screen.query_one(Input)
        assert box.value == DAY  # today, frozen
        box.value = "2024-01-18"
        await press(pilot, "enter")
        assert notes_of(app)[-1] == ("information", "Pulled",
                                     "3 new, 0 updated, 0 unchanged, 0 failed")
        assert re.search(r"2024-01-18 +3/3", screen_text(app))
        # A day to come is refused with one message, and nothing is fetched.
        await press(pilot, "ctrl+p")
        await type_text(pilot, "pull a date")
        await press(pilot, "enter")
        app.screen.query_one(Input).value = "2024-01-21"
        await press(pilot, "enter")
        assert notes_of(app)[-1][:1] == ("error",)
        assert notes_of(app)[-1][2] == ("cannot pull 2024-01-21: it is in the future (today is "
                                        "2024-01-20 UTC)")
    assert [r.query["date"] for r in server.requests] == ["2024-01-18"]
    assert [a for a, *_ in feed_of(lib, "2024-01-18")] == [a for a, _, _ in PULLED]
