"""Waiting for the app to be idle in Pilot tests: every worker done, every message handled."""

from __future__ import annotations

import contextlib

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)


async def settle(pilot: Pilot, rounds: int = 100) -> None:
    """Wait until no worker is pending or running and the message queues are empty (workers
    start other workers, e.g. a write reloads the list, so this loops until quiet)."""
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        active = [w for w in pilot.app.workers if w.state in ACTIVE]
        if not active:
            quiet += 1
            if quiet >= 2:
                return
            continue
        quiet = 0
        for worker in active:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
    raise AssertionError("the app did not settle")
