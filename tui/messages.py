"""The app's own messages (pull progress, library changes) and what a screen may ask of the
app (:class:`Shelf`), so screens and the palette never import the app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Protocol

from textual.message import Message
from textual.worker import Worker

if TYPE_CHECKING:
    from storage.db import Library
    from storage.views import ChangeWatcher
    from tui.config import Config
    from tui.services.edits import EditReport
    from tui.services.facade import Services
    from tui.services.pull import PullReport

FLOW = "flow"  # the worker group of dialog flows (they wait on a dialog the user answers)


class Shelf(Protocol):
    """The app, as its screens see it."""

    lib: Library
    config: Config
    services: Services
    today: Callable[[], date]
    keymap: dict[str, str]
    watcher: ChangeWatcher | None
    SEARCH_DEBOUNCE: ClassVar[float]
    DETAIL_DELAY: ClassVar[float]

    def report_worker_error(self, event: Worker.StateChanged) -> None: ...

    def save_ui(self, **settings: object) -> bool: ...


class LibraryChanged(Message):
    """The library changed: by an edit made here (``report``, shown as a toast for ``say``
    seconds unless ``say`` is None) or by another process (no report). ``keep``: the paper the
    cursor stays on."""

    def __init__(self, report: EditReport | None = None, *, keep: int | None = None,
                 say: float | None = None) -> None:
        super().__init__()
        self.report, self.keep, self.say = report, keep, say


class PullProgress(Message):
    """A pull has done ``done`` of ``total`` steps and is fetching ``what``."""

    def __init__(self, done: int, total: int, what: str) -> None:
        super().__init__()
        self.done, self.total, self.what = done, total, what


class PullFinished(Message):
    """A pull ended: with its report, or None when it failed (the error funnel says why)."""

    def __init__(self, report: PullReport | None) -> None:
        super().__init__()
        self.report = report
