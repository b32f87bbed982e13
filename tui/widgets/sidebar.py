"""The sidebar: the views (Inbox, Queued, Reading, Read, Starred, All, each tag, each pulled day)
with their counts, and the key that shows each main view."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from storage.views import Counts, View
from tui.words import count as count_of

MAIN_VIEWS = [View("inbox"), View("queued"), View("reading"), View("read"), View("starred"),
              View("all")]


def _label(title: str, count: int, width: int, *, note: str = "", key: str = "") -> Text:
    """The view's name on the left (cut to fit), its count on the right, in ``width`` cells;
    the key that shows it, if any, after the name."""
    number = f"{count}" if not note else f"{note}/{count}"
    hint = f" {key}" if key else ""
    room = max(3, width - len(number) - 1 - len(hint))
    shown = title if len(title) <= room else title[: room - 1] + "…"
    text = Text(shown, no_wrap=True)
    # The key hint in italic, the count in the label's own colour: dim (or any muted colour)
    # falls under WCAG AA on the highlighted view's background in most themes
    # (tests/tui/test_contrast.py).
    text.append(hint, style="italic")
    text.append(" " * (room - len(shown)) + " ")
    text.append(number)
    return text


class ViewList(OptionList):
    """The sidebar. Option ids are view ids (``inbox``, ``tag:llm``, ``day:2024-06-16``)."""

    DEFAULT_CSS = """
    ViewList { width: 24; height: 1fr; border: none; padding: 0; }
    ViewList:focus { border: none; }
    """

    BINDINGS = [
        Binding("enter", "select", "Show the view", show=False, id="views.select"),
        Binding("right", "leave", "Back to the list", show=False, id="views.leave"),
    ]

    class Leave(Message):
        """Back to the list, on the view shown."""

    DAYS_SHOWN = 30  # the newest pulled days; older ones are in the command palette

    # Bound from the main screen (data_bind): its counts and its current view.
    counts: var[Counts | None] = var(None, init=False)
    current: var[View | None] = var(None, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown_width = 0
        self.view_keys: dict[str, str] = {}  # view id -> the key that shows it, as displayed

    def action_leave(self) -> None:
        self.post_message(self.Leave())

    def watch_counts(self, counts: Counts | None) -> None:
        if counts is not None and self.current is not None:
            self.show_counts(counts, self.current)

    def watch_current(self, view: View | None) -> None:
        if view is not None:
            self.highlight_view(view)

    def _width(self) -> int:
        width = self.scrollable_content_region.width or 22
        self._shown_width = width
        return max(8, width - 1)

    def on_resize(self) -> None:
        self._fit_labels()
        # A scrollbar that comes or goes while it is laid out (shown again after b or v)
        # changes the room without a resize of its own: look once more when it is drawn.
        self.call_after_refresh(self._fit_labels)

    def _fit_labels(self) -> None:
        width = self.scrollable_content_region.width
        if (self.counts is not None and self.current is not None and width
                and width != self._shown_width):
            self.show_counts(self.counts, self.current)

    def highlight_view(self, view: View) -> None:
        """Move the highlight to ``view`` (rebuilding only when it is not listed)."""
        try:
            self.highlighted = self.get_option_index(view.id)
            self.set_reactive(ViewList.current, view)
        except OptionDoesNotExist:
            if self.counts is not None:
                self.show_counts(self.counts, view)

    def show_counts(self, counts: Counts, current: View) -> None:
        """Rebuild the options from ``counts``, keeping the highlight on ``current``."""
        self.set_reactive(ViewList.counts, counts)
        self.set_reactive(ViewList.current, current)
        width = self._width()
        options: list[Option | None] = [
            Option(_label(v.title, counts.of(v), width, key=self.view_keys.get(v.id, "")),
                   id=v.id) for v in MAIN_VIEWS]
        if counts.tags:
            options.append(None)
            options.append(Option(Text("Tags", style="bold"), id="-tags", disabled=True))
            options += [Option(_label(f"#{name}", n, width), id=View("tag", name).id)
                        for name, n in counts.tags]
        if counts.days:
            options.append(None)
            options.append(Option(Text("Days (inbox/all)", style="bold"), id="-days",
                                  disabled=True))
            days = counts.days[:self.DAYS_SHOWN]
            if current.kind == "day" and all(d != current.value for d, _n, _i in days):
                days += [d for d in counts.days if d[0] == current.value]
            options += [Option(_label(day, n, width, note=str(inbox)), id=View("day", day).id)
                        for day, n, inbox in days]
            if len(counts.days) > len(days):
                options.append(Option(Text(f"{count_of(len(counts.days) - len(days), 'older day')}: ctrl+p"),
                                      id="-older", disabled=True))
        highlighted = self.highlighted
        self.set_options(options)
        # Many days make a scrollbar appear, which narrows the room without a resize: fit the
        # labels again once drawn (once: the scrollbar stays, the width then matches).
        self.call_after_refresh(self._fit_labels)
        try:
            self.highlighted = self.get_option_index(current.id)
        except OptionDoesNotExist:
            self.highlighted = highlighted if highlighted is not None else 0
