"""Driving the Textual app in the reliability suite: bounded waits (pilot pauses, never
sleeps) and the screen as text."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)


async def wait_for(pilot: Any, what: str, ready: Callable[[], bool], *,
                   seconds: float = 60.0) -> None:
    """Let the app run (pilot pauses) until ``ready()``; a bounded wait, not a sleep."""
    for _ in range(int(seconds / 0.05)):
        if ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the app did not get there: {what}")


async def settle(pilot: Any, rounds: int = 200) -> None:
    """Until no worker is pending or running and the message queues are empty."""
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        # A dialog flow (group "flow") waits for the user while its dialog is up: it is not
        # waited for then, and never with wait() (it may open a dialog meanwhile).
        dialog = len(pilot.app.screen_stack) > 1
        active = [w for w in pilot.app.workers if w.state in ACTIVE
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


def screen_text(app: Any) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def notifications(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]
