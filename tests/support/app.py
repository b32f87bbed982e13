"""Driving the Textual app in Pilot tests: wait until the app has nothing left to do or until
something is true (never a sleep), press keys, type, and read the screen and the notifications as
text.
One module for every test directory (`from tests.support.app import settle, ...`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.message_pump import MessagePump
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

TODAY = date(2024, 1, 20)
ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)

# How these helpers wait. Textual's own pilot.press() and pilot.pause() wait for the process to
# look idle: 20 ms sleeps until one passes with under 1 ms of CPU, twice per key and once per
# pause, so a test spent most of its time asleep (a key cost about 0.1 s, a typed word a second).
# Here the waits are on what the app still has to do, and end the moment it has nothing: every
# message queued on the app and on the widgets of every screen handled, the current screen laid
# out and painted (what its 1/60 s update timer would do), no animation running, no worker
# pending or running (a thread worker is waited for with worker.wait()). Written against Textual
# 8.2.8's internals (pinned in pyproject.toml): _wait_for_screen, _message_queue,
# _on_timer_update, the screen's dirty flags and the animator's tables.
SETTLE_SECONDS = 60.0  # a bound, not a sleep: settle() fails rather than hang


def _pumps(app: App[Any]) -> Iterator[MessagePump]:
    """The app and every widget of every screen (a screen under a dialog gets messages too)."""
    yield app
    for screen in app.screen_stack:
        yield from screen.walk_children(with_self=True)


def _unpainted(app: App[Any]) -> bool:
    screen = app.screen
    return bool(screen._layout_required or screen._scroll_required or screen._repaint_required
                or screen._recompose_required or screen._dirty_widgets or screen._callbacks)


def _animating(app: App[Any]) -> bool:
    return bool(app._animator._animations or app._animator._scheduled)


def _queued(app: App[Any]) -> bool:
    """A message not handled yet; or a callback the current screen runs after its next message
    (the next round's _wait_for_screen sends it one)."""
    current = [app, *app.screen.walk_children(with_self=True)]
    return (any(not pump._message_queue.empty() for pump in _pumps(app))
            or any(pump._next_callbacks for pump in current))


async def _handled(pilot: Pilot[Any]) -> None:
    """What is queued now on the current screen and the app is handled."""
    await pilot._wait_for_screen()
    await asyncio.sleep(0)  # callbacks from worker threads (call_from_thread) get their turn


async def _paint(pilot: Pilot[Any]) -> None:
    """Lay out and paint what changed now (what the screen's update timer does 1/60 s later),
    and let any animation finish."""
    pilot.app.screen._on_timer_update()
    await pilot.app._animator.wait_until_complete()


async def settle(pilot: Pilot[Any], *, besides: str | None = None) -> None:
    """Wait until no worker is pending or running, every message queue is empty and the screen
    is painted (workers start other workers, e.g. a write reloads the list, so this loops until
    quiet). Workers of the group ``besides`` (one held on purpose, e.g. "pull") are not waited
    for. The screen is painted once the rest is quiet (painting every intermediate state cost
    about a tenth of a Pilot test's CPU); meanwhile the app paints as it does in a terminal."""
    app = pilot.app
    deadline = time.monotonic() + SETTLE_SECONDS
    quiet = 0
    while time.monotonic() < deadline:
        await _handled(pilot)
        # A dialog flow (group "flow") waits for the user while its dialog is up: it is not
        # waited for then, and never with wait() (it may open a dialog meanwhile).
        dialog = len(app.screen_stack) > 1
        active = [w for w in app.workers if w.state in ACTIVE and w.group != besides
                  and not (dialog and w.group == "flow")]
        if not active and not _queued(app):
            if _unpainted(app) or _animating(app):
                await _paint(pilot)
                quiet = 0  # painting may queue more (callbacks after refresh, a resize)
                continue
            quiet += 1
            if quiet >= 2:
                return
            continue
        quiet = 0
        waitable = [w for w in active if w.group != "flow"]
        for worker in waitable:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        if not waitable:
            await asyncio.sleep(0.001)  # a flow between dialogs, a message on its way: look again
    raise AssertionError("the app did not settle")


async def wait_for(pilot: Pilot[Any], what: str, ready: Callable[[], bool], *,
                   seconds: float = 60.0) -> None:
    """Let the app run until ``ready()`` (for what the app does not start itself: another
    process's write, a held server); a bounded wait, not a sleep."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        await _handled(pilot)
        await _paint(pilot)
        if ready():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the app did not get there: {what}")


def _key_event(key: str) -> events.Key:
    """The event a terminal's key gives, built as Textual's pilot.press() builds it."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    char: str | None
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def _send(pilot: Pilot[Any], key: str) -> None:
    """One key, as the terminal driver delivers it, handled by the screen before this returns."""
    event = _key_event(key)
    event.set_sender(pilot.app)
    driver = pilot.app._driver
    assert driver is not None
    driver.send_message(event)
    await _handled(pilot)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one at a time, letting the app settle after each."""
    for key in keys:
        await _send(pilot, key)
        await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key as a quick typist does: each key is handled before the next,
    without waiting for the work a key starts (a search a later key cancels), then settle."""
    for char in text:
        await _send(pilot, {" ": "space"}.get(char, char))
    await settle(pilot)


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def notifications(app: App[Any]) -> list[str]:
    """The messages of the notifications shown so far, as text."""
    return [str(n.message) for n in app._notifications]
