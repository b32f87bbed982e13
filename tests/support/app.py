"""Driving the Textual app in Pilot tests: wait until idle or until something is true (pilot
pauses, never sleeps), press keys, type, and read the screen and the notifications as text.
One module for every test directory (`from tests.support.app import settle, ...`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

TODAY = date(2024, 1, 20)
ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)


async def settle(pilot: Pilot[Any], rounds: int = 200, *, besides: str | None = None) -> None:
    """Wait until no worker is pending or running and the message queues are empty (workers
    start other workers, e.g. a write reloads the list, so this loops until quiet). Workers of
    the group ``besides`` (one held on purpose, e.g. "pull") are not waited for."""
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        # A dialog flow (group "flow") waits for the user while its dialog is up: it is not
        # waited for then, and never with wait() (it may open a dialog meanwhile).
        dialog = len(pilot.app.screen_stack) > 1
        active = [w for w in pilot.app.workers if w.state in ACTIVE and w.group != besides
                  and not (dialog and w.group == "flow")]
        if not active:
            quiet += 1
            if quiet >= 2:
                return
            continue
        quiet = 0
        for worker in active:
            if worker.group == "flow":
                continue  # looked at again after the next pause
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
    raise AssertionError("the app did not settle")


async def wait_for(pilot: Pilot[Any], what: str, ready: Callable[[], bool], *,
                   seconds: float = 60.0) -> None:
    """Let the app run (pilot pauses) until ``ready()``; a bounded wait, not a sleep."""
    for _ in range(int(seconds / 0.05)):
        if ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the app did not get there: {what}")


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one at a time, letting the app settle after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(c, c) for c in text])
    await settle(pilot)


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def notifications(app: App[Any]) -> list[str]:
    """The messages of the notifications shown so far, as text."""
    return [str(n.message) for n in app._notifications]
