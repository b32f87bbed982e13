"""The detail pane: everything about the paper under the cursor, and its notes as Markdown."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.safe_text import safe_lines
from tui.services.links import safe_url
from tui.words import status_word


def note_markdown(note: dict[str, Any]) -> str:
    parts = []
    if note.get("quote"):
        parts.append("\n".join("> " + line for line in str(note["quote"]).splitlines()))
    if note.get("body"):
        parts.append(str(note["body"]))
    return "\n\n".join(parts)


class NoteCard(Vertical, can_focus=True):
    """One note: focus it and press enter to edit, delete to delete."""

    DEFAULT_CSS = """
    NoteCard { height: auto; border-left: outer $primary 50%; padding: 0 1; margin: 1 0 0 0; }
    NoteCard:focus { border-left: outer $accent; background: $boost; }
    NoteCard > .note-head { color: $text-muted; }
    NoteCard > Markdown { margin: 0; padding: 0; }
    """

    BINDINGS = [
        Binding("enter", "edit", "Edit note", id="note.edit"),
        Binding("delete", "delete", "Delete note", id="note.delete"),
    ]

    class Edit(Message):
        def __init__(self, note_id: int) -> None:
            super().__init__()
            self.note_id = note_id

    class Delete(Message):
        def __init__(self, note_id: int) -> None:
            super().__init__()
            self.note_id = note_id

    def __init__(self, note: dict[str, Any]) -> None:
        super().__init__(id=f"note-{note['id']}")
        self.note = note

    def compose(self) -> ComposeResult:
        stamp = str(self.note.get("updated") or "").replace("T", " ").rstrip("Z")[:16]
        from textual.widgets import Markdown  # only when there is a note to show

        # A note someone else wrote says who (a shared library); yours and older ones do not.
        author = self.note.get("author")
        you = getattr(getattr(self.app, "lib", None), "user", None)
        by = f" — {author}" if author and author != you else ""
        yield Static(Text(f"Note {self.note['id']} · {stamp}{by}"), classes="note-head")
        yield Markdown(note_markdown(self.note))

    def action_edit(self) -> None:
        self.post_message(self.Edit(int(self.note["id"])))

    def action_delete(self) -> None:
        self.post_message(self.Delete(int(self.note["id"])))


def meta_table(data: dict[str, Any], days: list[tuple[str, str, int, int | None]],
               label_style: Style | str = "dim") -> Table:
    """The paper's fields as label/value lines (values wrap under themselves); the labels in
    ``label_style`` (the pane passes the theme's muted text colour)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=label_style, no_wrap=True)
    grid.add_column(ratio=1)

    def field(label: str, value: Any, style: str = "") -> None:
        if value not in (None, "", []):
            grid.add_row(label, Text(safe_lines(str(value)), style=style))

    authors = data.get("authors") or []
    shown = ", ".join(authors[:12]) + (f" and {len(authors) - 12} more" if len(authors) > 12
                                        else "")
    field("authors", shown)
    field("key", data.get("key"), "bold")
    state = status_word(data["status"])
    if data.get("starred"):
        state += "  ★ starred"
    if data.get("rating"):
        state += "  " + "●" * int(data["rating"]) + "○" * (5 - int(data["rating"]))
    field("status", state)
    field("tags", ", ".join(f"#{t}" for t in data.get("tags") or []), "italic")
    field("published", data.get("published"))
    field("added", (data.get("added") or "")[:10])
    field("read", (data.get("read_at") or "")[:10])
    field("venue", data.get("venue"))
    arxiv = data.get("arxiv_id")
    if arxiv and data.get("arxiv_version"):
        arxiv = f"{arxiv}v{data['arxiv_version']}"
    field("arXiv", arxiv)
    field("DOI", data.get("doi"))
    field("upvotes", data.get("upvotes"))
    if days:
        field("pulled", ", ".join(f"{day} ({source})" for source, day, _r, _u in days[:4]))
    for label, key in (("abstract", "url"), ("pdf", "url_pdf"), ("code", "url_code"),
                       ("project", "url_project")):
        url = safe_url(data.get(key))
        if url:
            grid.add_row(label, Text(url, style=Style(underline=True, link=url)))
    return grid


class DetailPane(VerticalScroll):
    """Title, authors, dates, links, tags, abstract, AI summary and notes of one paper."""

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; background: $surface; }
    DetailPane > #detail-title { text-style: bold; color: $text; margin-bottom: 1; }
    DetailPane > .section { text-style: bold; color: $text-primary; margin-top: 1; }
    DetailPane > #detail-empty { color: $text-muted; }
    DetailPane > .detail-pane--label { color: $text-muted; }
    DetailPane > #detail-notes { height: auto; }
    """

    COMPONENT_CLASSES = {"detail-pane--label"}

    BINDINGS = [
        Binding("up", "scroll_up", "Scroll up", show=False, id="detail.up"),
        Binding("down", "scroll_down", "Scroll down", show=False, id="detail.down"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.paper: dict[str, Any] | None = None
        self._days: list[tuple[str, str, int, int | None]] = []
        self._lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static("No paper selected.", id="detail-empty")
        yield Static("", id="detail-title")
        yield Static("", id="detail-meta")
        yield Static("Abstract", classes="section", id="detail-abstract-head")
        yield Static("", id="detail-abstract")
        yield Static("AI summary", classes="section", id="detail-summary-head")
        yield Static("", id="detail-summary")
        yield Static("", classes="section", id="detail-notes-head")
        yield Vertical(id="detail-notes")

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _meta(self, data: dict[str, Any]) -> Table:
        return meta_table(data, self._days, self.get_component_rich_style("detail-pane--label"))

    def _restyle(self, _theme: object) -> None:
        """A new theme: the fields' labels take its muted colour (the table holds colours)."""
        if self.paper is not None:
            self._set("detail-meta", self._meta(self.paper))

    def _set(self, name: str, value: Any, *, head: str | None = None) -> None:
        """Show ``value`` in widget ``#name`` (and its heading), or hide them when empty."""
        widget = self.query_one(f"#{name}", Static)
        shown = value not in (None, "")
        if shown:  # paper text is plain text, never markup
            widget.update(Text(safe_lines(value)) if isinstance(value, str) else value)
        widget.display = shown
        if head is not None:
            self.query_one(f"#{head}", Static).display = shown

    async def show(self, data: dict[str, Any] | None,
                   days: list[tuple[str, str, int, int | None]] | None = None) -> None:
        """Show a paper (``None``: nothing selected). The widgets stay; only their content
        changes, and the notes are rebuilt only when they changed."""
        async with self._lock:  # two shows must not interleave their removes and mounts
            await self._show(data, days)

    async def _show(self, data: dict[str, Any] | None,
                    days: list[tuple[str, str, int, int | None]] | None) -> None:
        same_paper = (data is not None and self.paper is not None
                      and data["id"] == self.paper["id"])
        self.paper = data
        with self.app.batch_update():
            self.query_one("#detail-empty").display = data is None
            if data is None:
                for name in ("detail-title", "detail-meta", "detail-abstract", "detail-summary"):
                    self._set(name, None)
                for name in ("detail-abstract-head", "detail-summary-head", "detail-notes-head"):
                    self.query_one(f"#{name}").display = False
            else:
                self._set("detail-title", data["title"])
                self._days = days or []
                self._set("detail-meta", self._meta(data))
                self._set("detail-abstract", data.get("abstract"), head="detail-abstract-head")
                self._set("detail-summary", data.get("ai_summary"), head="detail-summary-head")
                notes = data.get("notes") or []
                head = self.query_one("#detail-notes-head", Static)
                head.display = True
                head.update(f"Notes ({len(notes)})" if notes else
                            "Notes: none yet (n writes one)")
            await self._show_notes([] if data is None else data.get("notes") or [])
        if not same_paper:
            self.scroll_home(animate=False)

    async def _show_notes(self, notes: list[dict[str, Any]]) -> None:
        box = self.query_one("#detail-notes", Vertical)
        shown = [(card.note["id"], card.note.get("updated"), card.note.get("body"),
                  card.note.get("quote"), card.note.get("author")) for card in box.query(NoteCard)]
        wanted = [(n["id"], n.get("updated"), n.get("body"), n.get("quote"), n.get("author"))
                  for n in notes]
        if shown == wanted:
            return
        focused = self.app.focused.id if isinstance(self.app.focused, NoteCard) else None
        await box.remove_children()
        if notes:
            await box.mount_all([NoteCard(n) for n in notes])
        if focused:
            matches = box.query(f"#{focused}")
            if matches:
                matches.first().focus()
