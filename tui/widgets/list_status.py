"""The line above the paper list: what the list holds, the marks, a pull under way. Its state
is bound from the main screen's reactives (``data_bind``)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static


class ListStatus(Static):
    text = var("Loading…")  # what the list holds: "Inbox · 5 papers", "Search “x” · 3 results"
    marked = var(0)
    pulling = var(False)
    pulling_what = var("")  # what the pull is fetching

    def _redraw(self) -> None:
        line = self.text
        if self.marked:
            line += f" · {self.marked} marked (esc clears)"
        if self.pulling:
            line += f" · pulling {self.pulling_what}…" if self.pulling_what else " · pulling…"
        self.update(Text(line))  # a query may hold "[...]"

    def on_mount(self) -> None:
        self._redraw()

    def watch_text(self) -> None:
        self._redraw()

    def watch_marked(self) -> None:
        self._redraw()

    def watch_pulling(self) -> None:
        self._redraw()

    def watch_pulling_what(self) -> None:
        self._redraw()
