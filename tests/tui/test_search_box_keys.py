"""Keys typed right after ``/`` go to the search box, none to the list (issue 21): a fast typist
(or a paste) sends ``/keep`` in one burst, before the app has handled the ``/``; the ``k`` used
to keep a paper and the ``d`` of ``/dry`` to dismiss one. The burst here is what a terminal
does: every key is in the app's queue before the first is handled (Pilot's own ``press`` waits
for the app between keys, which hid the race); tests/tui/test_e2e_tmux.py does it for real."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from storage import ops
from tests.support.app import press, settle, wait_for


def statuses(lib) -> dict[str, tuple[str, bool]]:
    with lib.read() as session:
        return {p.key: (p.status, p.starred) for p in ops.list_papers(session, include_dismissed=True)}


def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Queue every key at once, as a terminal's read of ``/keep`` does (no pause between)."""
    for key in keys:
        char = {"slash": "/", "space": " "}.get(key, key if len(key) == 1 else None)
        pilot.app.post_message(events.Key(key, char))


async def test_a_burst_after_slash_goes_to_the_search_box(sample, make_app, lib):
    before = statuses(lib)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        box = app.main.query_one("#search", Input)
        assert app.main.papers.has_focus
        burst(pilot, "slash", "k", "e", "e", "p")
        await settle(pilot)
        assert box.value == "keep" and box.has_focus
        assert statuses(lib) == before
        # Every key of a triage burst: dismiss, star, keep, reading, read, the day, the undo.
        await press(pilot, "escape")
        assert app.main.papers.has_focus and box.value == ""
        burst(pilot, "slash", "d", "s", "y", "k", "g", "r", "D", "u", "i", "space", "e")
        await settle(pilot)
        assert box.value == "dsykgrDui e" and statuses(lib) == before
        assert len(app.screen_stack) == 1  # no dialog (e: export) opened either
        # Pilot's press, keys given at once (it lets the app idle between them).
        await press(pilot, "escape")
        await pilot.press("slash", "k", "e", "e", "p")
        await settle(pilot)
        assert box.value == "keep" and box.has_focus and statuses(lib) == before


async def test_slash_in_the_box_is_typed_and_the_keys_still_work_after(sample, make_app, lib):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        box = app.main.query_one("#search", Input)
        burst(pilot, "slash", "l", "o", "slash", "r", "a")
        await settle(pilot)
        assert box.value == "lo/ra" and box.has_focus  # a second / is text in the box
        box.value = "lora"
        await press(pilot, "enter")  # back to the list: its keys act again
        papers = app.main.papers
        await wait_for(pilot, "the search's result", lambda: len(papers.ids) == 1)
        assert papers.has_focus
        await press(pilot, "s")
        assert statuses(lib)["hu2021lora"][1] is True
