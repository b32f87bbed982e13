"""The sidebar: the views (Inbox, Queue, Reading, Read, Starred, All, each tag, each pulled day)
with their counts."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from storage.views import Counts, View

MAIN_VIEWS = [View("inbox"), View("queued"), View("reading"), View("read"), View("starred"),
              View("all")]


def _label(title: str, count: int, *, note: str = "") -> Table:
    """The view's name on the left (cut to fit), its count on the right."""
    number = f"{count}" if not note else f"{note}/{count}"
    grid = Table.grid(expand=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_row(Text(title, no_wrap=True, overflow="ellipsis"), number)
    return grid


class ViewList(OptionList):
    """The sidebar. Option ids are view ids (``inbox``, ``tag:llm``, ``day:2024-06-16``)."""

    DEFAULT_CSS = """
    ViewList { width: 24; height: 1fr; border: none; padding: 0; }
    ViewList:focus { border: none; }
    """

    BINDINGS = [
        Binding("enter", "select", "Show view", show=False, id="views.select"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: Counts | None = None

    def show_counts(self, counts: Counts, current: View) -> None:
        """Rebuild the options from ``counts``, keeping the highlight on ``current``."""
        self.counts = counts
        options: list[Option | None] = [
            Option(_label(v.title, counts.of(v)), id=v.id) for v in MAIN_VIEWS]
        if counts.tags:
            options.append(None)
            options.append(Option(Text("Tags", style="bold"), id="-tags", disabled=True))
            options += [Option(_label(f"#{name}", n), id=View("tag", name).id)
                        for name, n in counts.tags]
        if counts.days:
            options.append(None)
            options.append(Option(Text("Days (new/all)", style="bold"), id="-days",
                                  disabled=True))
            options += [Option(_label(day, n, note=str(inbox)), id=View("day", day).id)
                        for day, n, inbox in counts.days]
        highlighted = self.highlighted
        self.set_options(options)
        try:
            self.highlighted = self.get_option_index(current.id)
        except OptionDoesNotExist:
            self.highlighted = highlighted if highlighted is not None else 0
