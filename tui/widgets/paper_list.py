"""The paper list: a virtualised table on Textual's Line API.

It holds only the ids of the papers in the current view (a list of ints, cheap even at 100,000)
and asks for the row data of the lines on screen, a screenful at a time, through the ``fetch``
callable it is given (one small SQLite query). Nothing is built per paper, so opening a view of
any size costs the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from storage.views import Row
from tui.safe_text import safe_text
from tui.words import STATUS_WORDS

Fetch = Callable[[Sequence[int]], dict[int, Row]]

# Columns after the title, in the order they are dropped when the list is narrow (last first).
# (name, header, width)
OPTIONAL_COLUMNS: list[tuple[str, str, int]] = [
    ("year", "Year", 4),
    ("author", "First author", 14),
    ("status", "Status", 7),
    ("upvotes", "▲", 4),
    ("tags", "Tags", 18),
]
# The inbox is sorted by feed day, then upvotes: those two come first (the day shown where it
# changes, so the days read as groups), its status is always the same.
INBOX_COLUMNS: list[tuple[str, str, int]] = [
    ("day", "Day", 5),
    ("upvotes", "▲", 4),
    ("author", "First author", 14),
    ("year", "Year", 4),
    ("tags", "Tags", 18),
]
MIN_TITLE = 46  # an 80-column terminal (the sidebar collapsed) shows 45 characters of a title
ROOMY_TITLE = 90  # past this, the tags column gets some of the room too
STATUS_SHOWN = STATUS_WORDS  # one word per status, the command line's (tui/words.py)


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells, cut with an ellipsis when too long; controls, ESC
    and bidi characters of paper text shown visibly (``␛``), never sent to the terminal."""
    if width <= 0:
        return ""
    text = safe_text(text)
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


@lru_cache(maxsize=32)
def layout_columns(width: int, inbox: bool = False) -> list[tuple[str, str, int]]:
    """Which columns fit in ``width`` cells, title first, each with its width; a wide list
    gives the title the room (the tags column only grows past :data:`ROOMY_TITLE`)."""
    chosen: list[tuple[str, str, int]] = []
    used = 2 + 2  # the mark and the star
    for column in INBOX_COLUMNS if inbox else OPTIONAL_COLUMNS:
        if width - used - (column[2] + 1) >= MIN_TITLE:
            chosen.append(column)
            used += column[2] + 1
        else:
            break
    title = max(1, width - used)
    if "tags" in (c[0] for c in chosen) and title > ROOMY_TITLE:
        # A big terminal: give the tags some of the room.
        extra = min(title - ROOMY_TITLE, 22)
        chosen = [(n, h, w + extra if n == "tags" else w) for n, h, w in chosen]
        title -= extra
    return [("title", "Title", title), *chosen]


class PaperList(ScrollView, can_focus=True):
    """The list of papers in a view, with a cursor and marks."""

    DEFAULT_CSS = """
    PaperList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;
        background: $surface;
    }
    PaperList > .paper-list--header { text-style: bold; color: $text-muted; }
    PaperList > .paper-list--cursor { background: $boost; text-style: bold; }
    PaperList:focus > .paper-list--cursor { background: $block-cursor-background;
                                            color: $block-cursor-foreground; }
    PaperList > .paper-list--mark { color: $text-accent; text-style: bold; }
    PaperList > .paper-list--marked { background: $accent 20%; }
    PaperList > .paper-list--dim { color: $text-muted; }
    PaperList > .paper-list--star { color: $text-warning; }
    PaperList > .paper-list--tag { color: $text-secondary; }
    PaperList > .paper-list--empty { color: $text-muted; }
    PaperList > .paper-list--day { color: $text-muted; text-style: bold; }
    """

    COMPONENT_CLASSES = {
        "paper-list--header", "paper-list--cursor", "paper-list--mark", "paper-list--marked",
        "paper-list--dim", "paper-list--star", "paper-list--tag", "paper-list--empty",
        "paper-list--day",
    }

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("home", "first", "First paper", show=False, id="list.first"),
        Binding("end", "last", "Last paper", show=False, id="list.last"),
    ]

    cursor: reactive[int] = reactive(0, always_update=False)

    class CursorMoved(Message):
        """The paper under the cursor changed (``paper_id`` is None when the list is empty)."""

        def __init__(self, paper_list: PaperList, paper_id: int | None) -> None:
            super().__init__()
            self.paper_list = paper_list
            self.paper_id = paper_id

        @property
        def control(self) -> PaperList:
            return self.paper_list

    class Activated(Message):
        """Enter (or a double click) on a paper."""

        def __init__(self, paper_list: PaperList, paper_id: int) -> None:
            super().__init__()
            self.paper_list = paper_list
            self.paper_id = paper_id

    def __init__(self, fetch: Fetch, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._fetch = fetch
        self.ids: list[int] = []
        self._rows: dict[int, Row] = {}
        self.marked: set[int] = set()
        self.empty_message = ""
        # The feed day of each paper (ISO), when the list is the inbox (sorted by day).
        self.days: dict[int, str] | None = None
        self._last_posted: int | None | bool = False
        # Drawn lines, by what they depend on: redrawing the screen (every layout does) must
        # not rebuild them.
        self._strips: dict[tuple[object, ...], Strip] = {}
        self._styles: dict[str, Style] = {}

    # ------------------------------------------------------------ data

    @property
    def paper_id(self) -> int | None:
        if 0 <= self.cursor < len(self.ids):
            return self.ids[self.cursor]
        return None

    def set_ids(self, ids: list[int], *, keep: int | None = None, index: int | None = None,
                empty_message: str = "", days: dict[int, str] | None = None) -> None:
        """Show ``ids``. The cursor stays on paper ``keep`` when it is still there, else goes to
        ``index`` (clamped), else to the top. Cached rows are dropped (they may have changed).
        ``days``: each paper's feed day, for a list sorted by day (the inbox): a day column."""
        self.ids = ids
        self.days = days
        self._rows.clear()
        self.empty_message = empty_message
        if keep is not None and keep in ids:
            target = ids.index(keep)
        elif index is not None:
            target = index
        else:
            target = 0
        self.virtual_size = Size(self.size.width, len(ids) + 1)
        self.set_reactive(PaperList.cursor, max(0, min(target, len(ids) - 1)))
        self._scroll_to_cursor()
        # The new virtual size is applied on the next refresh; until then a scroll past the old
        # end is clamped, so scroll again once it is (the cursor's paper stays in sight).
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()
        self._post_cursor()

    def forget_rows(self, ids: Sequence[int] | None = None) -> None:
        """Drop cached rows (all, or those of ``ids``) so they are read again."""
        if ids is None:
            self._rows.clear()
        else:
            for pid in ids:
                self._rows.pop(pid, None)
        self.refresh()

    def row(self, paper_id: int) -> Row | None:
        if paper_id not in self._rows:
            self._rows.update(self._fetch([paper_id]))
        return self._rows.get(paper_id)

    def _ensure_rows(self, start: int, end: int) -> None:
        """Fetch the rows of list positions ``start``..``end`` (and a page around) not cached."""
        page = max(10, self.size.height)
        lo, hi = max(0, start - page), min(len(self.ids), end + page)
        missing = [pid for pid in self.ids[lo:hi] if pid not in self._rows]
        if missing:
            if len(self._rows) > 5000:
                self._rows.clear()
            self._rows.update(self._fetch(missing))

    # ------------------------------------------------------------ cursor

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self._post_cursor()

    def _post_cursor(self) -> None:
        pid = self.paper_id
        if pid != self._last_posted:
            self._last_posted = pid
            self.post_message(self.CursorMoved(self, pid))

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        rows = self._visible_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows:
            self.scroll_to(y=self.cursor - rows + 1, animate=False)

    def move_to(self, index: int) -> None:
        if self.ids:
            self.cursor = max(0, min(index, len(self.ids) - 1))

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_to(self.cursor - self._visible_rows())

    def action_page_down(self) -> None:
        self.move_to(self.cursor + self._visible_rows())

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.ids) - 1)

    def on_click(self, event: events.Click) -> None:
        line = event.y
        if line < 1:
            return
        index = round(self.scroll_y) + line - 1
        if 0 <= index < len(self.ids):
            self.cursor = index
            if event.chain == 2:
                self.post_message(self.Activated(self, self.ids[index]))

    def key_enter(self) -> None:
        pid = self.paper_id
        if pid is not None:
            self.post_message(self.Activated(self, pid))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.ids) + 1)
        self._scroll_to_cursor()

    # ------------------------------------------------------------ marks

    def toggle_mark(self, paper_id: int) -> None:
        if paper_id in self.marked:
            self.marked.discard(paper_id)
        else:
            self.marked.add(paper_id)
        self.refresh()

    def clear_marks(self) -> None:
        self.marked.clear()
        self.refresh()

    # ------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name)
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        if not self.ids:
            return self._empty_line(y - 1, width)
        top = round(self.scroll_y)
        index = top + y - 1
        if index >= len(self.ids):
            return Strip.blank(width, self.rich_style)
        pid = self.ids[index]
        if pid not in self._rows:
            self._ensure_rows(top, top + self._visible_rows())
        row = self._rows.get(pid)
        day = self._day_label(index, top)
        key = (row, index == self.cursor, self.has_focus, pid in self.marked, width, day)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 2000:
                self._strips.clear()
            strip = self._strips[key] = self._line(row, pid, index, width, day)
        return strip

    def _day_label(self, index: int, top: int) -> str | None:
        """The day column of row ``index``: the day on the first row of each day (and on the
        top row on screen), blank under it; None when the list has no days."""
        if self.days is None:
            return None
        day = self.days.get(self.ids[index], "")
        if index > 0 and index != top and self.days.get(self.ids[index - 1], "") == day:
            return ""
        return day[5:] if day else "–"

    def day_of(self, paper_id: int | None) -> str | None:
        return None if self.days is None or paper_id is None else self.days.get(paper_id)

    def _header(self, width: int) -> Strip:
        style = self._style("paper-list--header")
        segments = [Segment("    ", style)]
        for _name, header, w in layout_columns(width, self.days is not None):
            segments.append(Segment(fit(header, w) + " ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def _empty_line(self, y: int, width: int) -> Strip:
        lines = self.empty_message.splitlines()
        style = self._style("paper-list--empty")
        text = ("  " + lines[y]) if y < len(lines) else ""
        return Strip([Segment(fit(text, width), style)])

    def _line(self, row: Row | None, pid: int, index: int, width: int,
              day: str | None = None) -> Strip:
        base = self.rich_style
        if index == self.cursor:
            base = base + self._style("paper-list--cursor")
        elif pid in self.marked:
            base = base + self._style("paper-list--marked")
        # On the focused cursor row the cursor's colour wins: a muted or coloured column on
        # the cursor's background would be hard to read (WCAG AA, tests/tui/test_contrast.py).
        cursor_color = self._style("paper-list--cursor").color if index == self.cursor else None

        def colour(name: str) -> Style:
            return base + Style(color=cursor_color or self._style(name).color)

        dim = colour("paper-list--dim")
        mark = Segment("● " if pid in self.marked else "  ",
                       base + self._style("paper-list--mark") + colour("paper-list--mark"))
        if row is None:
            return Strip([mark, Segment(fit("(removed)", width - 2), dim)])
        star = Segment("★ " if row.starred else "  ", colour("paper-list--star"))
        segments = [mark, star]
        for name, _header, w in layout_columns(width, self.days is not None):
            if name == "title":
                segments.append(Segment(fit(row.title, w) + " ", base))
            elif name == "day":
                day_style = colour("paper-list--day") + Style(bold=True)
                segments.append(Segment(fit(day or "", w) + " ", day_style))
            elif name == "year":
                segments.append(Segment(fit(str(row.year or ""), w) + " ", dim))
            elif name == "author":
                segments.append(Segment(fit(row.first_author, w) + " ", base))
            elif name == "status":
                segments.append(Segment(fit(STATUS_SHOWN.get(row.status, row.status), w) + " ",
                                        dim))
            elif name == "upvotes":
                text = "" if row.upvotes is None else str(row.upvotes)
                segments.append(Segment(text.rjust(w)[-w:] + " ", dim))
            elif name == "tags":
                tag_style = colour("paper-list--tag")
                segments.append(Segment(fit(", ".join(row.tags), w) + " ", tag_style))
        return Strip(segments).adjust_cell_length(width, base)
