"""The Textual app: triage the day's papers, read, tag, annotate, search as you type, mark, export.

The app is thin. It reads through :mod:`storage.views` (what the views hold, a screenful of rows
at a time) and :mod:`storage.ops` (one paper, its notes), changes the library through
``Library.action`` (one undo step per user action, the same log as ``papershelf undo``) and asks
:class:`tui.services.Services` for pull, search and export. Everything that may wait on the
database runs in a worker thread; the UI thread only reads single rows.
"""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from reader.errors import BadInput, PapershelfError
from storage import ops, views
from storage.db import Library, utcnow
from storage.views import Counts, View
from tui.config import Config, load_config
from tui.services import ExportReport, ExportRequest, PullReport, Services, open_url
from tui.widgets.detail import DetailPane, NoteCard
from tui.widgets.paper_list import PaperList
from tui.widgets.search_box import SearchBox
from tui.widgets.sidebar import ViewList

if TYPE_CHECKING:
    from textual.command import Provider

    from tui.screens.dialogs import TagChange
    from tui.screens.note_editor import NoteDraft

Session = Any  # a storage session: the app only hands it on to storage functions

# The dialogs and screens are imported when first opened: the app starts faster without them.

WELCOME = """Welcome to papershelf. Your library is empty.

Fill it from a shell, then come back (the app picks changes up by itself):
  papershelf pull                  today's Hugging Face Daily Papers (or p here)
  papershelf import refs.bib       papers from a BibTeX file
  papershelf add 1706.03762        one paper by arXiv id or DOI
  papershelf add --title "..." --author "..." --year 2017

Press ? for every key, ctrl+p for every command, q to quit."""

EMPTY_HINTS = {
    "inbox": "Nothing to triage. p pulls today's papers.",
    "queued": "The queue is empty: k on a paper keeps it here.",
    "reading": "Nothing being read: g on a paper marks it as reading.",
    "read": "Nothing read yet: r on a paper marks it as read.",
    "starred": "No starred papers: s stars the paper under the cursor.",
    "all": "No papers (dismissed ones are hidden).",
    "tag": "No paper carries this tag any more.",
    "day": "Every paper of this day was dismissed.",
}

# Every binding has an id ("group.name") so config.toml [keys] can remap it.
LIBRARY_KEYS = [
    Binding("slash", "search", "Search", id="app.search"),
    Binding("p", "pull", "Pull", id="app.pull"),
    Binding("u,ctrl+z", "undo", "Undo", id="app.undo"),
    Binding("S", "stats", "Stats", show=False, id="app.stats"),
    Binding("question_mark", "help", "Keys", id="app.help"),
    Binding("q", "quit", "Quit", show=False, id="app.quit"),
    Binding("escape", "escape", "Clear", show=False, id="app.clear"),
]
TRIAGE_KEYS = [
    Binding("k", "set_status('queued')", "Keep", id="paper.keep"),
    Binding("d", "set_status('dismissed')", "Dismiss", id="paper.dismiss"),
    Binding("D", "dismiss_day", "Dismiss rest of day", show=False, id="paper.dismiss_day"),
    Binding("t", "tag", "Tag", id="paper.tag"),
]
PAPER_KEYS = [
    Binding("n", "note", "Note", id="paper.note"),
    Binding("g", "set_status('reading')", "Reading", show=False, id="paper.reading"),
    Binding("r", "set_status('read')", "Read", show=False, id="paper.read"),
    Binding("i", "set_status('inbox')", "Back to inbox", show=False, id="paper.inbox"),
    Binding("s", "star", "Star", show=False, id="paper.star"),
    *[Binding(str(n), f"rate({n})", f"Rate {n}" if n else "Clear rating", show=False,
              id=f"paper.rate_{n}") for n in range(6)],
    Binding("o", "open('abs')", "Open abstract page", show=False, id="paper.open"),
    Binding("O", "open('pdf')", "Open PDF", show=False, id="paper.open_pdf"),
    Binding("c", "copy_key", "Copy citation key", show=False, id="paper.copy_key"),
    Binding("C", "copy_bibtex", "Copy BibTeX entry", show=False, id="paper.copy_bibtex"),
    Binding("K", "rename_key", "Rename citation key", show=False, id="paper.rename_key"),
    Binding("enter", "read_paper", "Detail", show=False, id="paper.detail"),
]
MARK_KEYS = [
    Binding("space", "mark", "Mark", id="paper.mark"),
    Binding("e", "export", "Export", id="paper.export"),
]
PAPER_ACTIONS = {"set_status", "dismiss_day", "tag", "note", "star", "rate", "open", "copy_key",
                 "copy_bibtex", "rename_key", "mark", "export", "read_paper"}


class MainScreen(Screen[None]):
    """The sidebar of views, the paper list, the detail pane."""

    BINDINGS = [*TRIAGE_KEYS, *PAPER_KEYS, *MARK_KEYS, *LIBRARY_KEYS]

    def __init__(self) -> None:
        super().__init__()
        self.view: View = View("inbox")
        # A list that is not a view: search results or one opened paper (title, ids).
        self.results: tuple[str, list[int]] | None = None
        self.query_text = ""
        self.query_error: str | None = None  # why the search box's query cannot be used
        self.counts: Counts | None = None
        self.loaded = False
        self.pulling = False
        self.pulling_what = ""  # what the pull is fetching, for the status line
        self._had_paper = False

    # ------------------------------------------------------------ plumbing

    @property
    def shelf(self) -> PapershelfApp:
        app = self.app
        assert isinstance(app, PapershelfApp)
        return app

    @property
    def lib(self) -> Library:
        return self.shelf.lib

    @property
    def papers(self) -> PaperList:
        return self.query_one("#papers", PaperList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield ViewList(id="sidebar")
            with Container(id="main"):
                with Vertical(id="listbox"):
                    yield SearchBox(id="search", compact=True,
                                    placeholder="/ search: words, tag:x, author:y, year:2024…")
                    yield Static("Loading…", id="list-status")
                    yield ProgressBar(id="pull-progress", show_eta=False)
                    yield PaperList(self._fetch_rows, id="papers")
                yield DetailPane(id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#pull-progress").display = False
        self.papers.focus()
        self.load(first=True)

    def _fetch_rows(self, ids: Iterable[int]) -> dict[int, views.Row]:
        # One small indexed query for the rows on screen: fine on the UI thread.
        with self.lib.read() as session:
            return views.rows_for(session, ids=list(ids))

    def _read(self, fn: Callable[[Session], Any]) -> Any:
        with self.lib.read() as session:
            return fn(session)

    # ------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self, *, keep: int | None = None, index: int | None = None,
             first: bool = False, counts: bool = True) -> None:
        """Read the current list's ids and show them; then, when the library may have changed
        (``counts``), the sidebar's counts (slower on a big library, so they come second)."""
        worker = get_current_worker()
        with self.lib.read() as session:
            statuses = views.status_counts(session)
            view = self.view
            if first and self.results is None:
                view = next((View(k) for k in ("inbox", "queued", "reading") if statuses[k]),
                            View("all"))
            ids = None if self.results else views.view_ids(session, view=view)
        results = self.results
        if results is not None and self.query_text:
            ids = self._search(self.query_text)
            results = (results[0], ids)
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._show_list, sum(statuses.values()), view, results, ids,
                                  keep, index)
        if not counts and self.counts is not None:
            return
        with self.lib.read() as session:
            new_counts = views.view_counts(session)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_counts, new_counts)

    def _show_list(self, library_size: int, view: View,
                   results: tuple[str, list[int]] | None, ids: list[int] | None,
                   keep: int | None, index: int | None) -> None:
        self.view = view
        if results is not None:
            self.results = results
            ids = results[1]
        ids = ids or []
        if library_size == 0:
            empty = WELCOME
        elif results is not None:
            empty = self._no_results()
        else:
            empty = EMPTY_HINTS[view.kind]
        if keep is None and index is None and self.loaded:
            keep = self.papers.paper_id
        self.papers.set_ids(ids, keep=keep, index=index, empty_message=empty)
        self.loaded = True
        self._update_status()
        self.refresh_bindings()
        self.load_detail(self.papers.paper_id)  # its tags, notes, status may have changed

    def _show_counts(self, counts: Counts) -> None:
        sidebar = self.query_one(ViewList)
        if counts == self.counts and sidebar.current == self.view:
            return  # nothing to redraw
        self.counts = counts
        sidebar.show_counts(counts, self.view)

    def _update_status(self) -> None:
        n = len(self.papers.ids)
        if self.results is not None and self.query_text and self.query_error:
            text = f"Search “{self.query_text}” · not a query: see below"
        elif self.results is not None and self.query_text:
            best = "the best " if n >= self.shelf.services.SEARCH_LIMIT else ""
            text = f"Search “{self.query_text}” · {best}{n} result{'s' if n != 1 else ''}"
        elif self.results is not None:
            text = f"{self.results[0]} · {n} result{'s' if n != 1 else ''}"
        else:
            text = f"{self.view.title} · {n} paper{'s' if n != 1 else ''}"
        marked = len(self.papers.marked)
        if marked:
            text += f" · {marked} marked (esc clears)"
        if self.pulling:
            text += f" · pulling {self.pulling_what}…" if self.pulling_what else " · pulling…"
        self.query_one("#list-status", Static).update(Text(text))  # a query may hold "[...]"

    def reload(self, *, keep: int | None = None, index: int | None = None) -> None:
        self.load(keep=keep, index=index)

    @on(PaperList.CursorMoved)
    def cursor_moved(self, event: PaperList.CursorMoved) -> None:
        has_paper = event.paper_id is not None
        if has_paper != self._had_paper:  # the paper keys come and go with the paper
            self._had_paper = has_paper
            self.refresh_bindings()
        self.load_detail(event.paper_id, wait=self.shelf.DETAIL_DELAY)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_detail(self, paper_id: int | None, *, wait: float = 0.0) -> None:
        """Show ``paper_id`` in the detail pane. ``wait``: while the cursor keeps moving (a
        held key), only the paper it stops on is read and drawn."""
        worker = get_current_worker()
        if wait:
            time.sleep(wait)
            if worker.is_cancelled:
                return
        data = None
        days: list[tuple[str, str, int, int | None]] = []
        if paper_id is not None:
            with self.lib.read() as session:
                paper = session.get(ops.Paper, paper_id)
                if paper is not None:
                    data = ops.paper_dict(session, paper=paper)
                    days = views.feed_days(session, paper_id=paper_id)
        if not worker.is_cancelled:
            show: Callable[..., Any] = self.detail.show
            self.app.call_from_thread(show, data, days)

    # ------------------------------------------------------------ views and search

    @on(OptionList.OptionSelected, "#sidebar")
    def view_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and not event.option.id.startswith("-"):
            self.show_view(View.parse(event.option.id))
            self.papers.focus()

    def show_view(self, view: View) -> None:
        self.view = view
        self.results = None
        self.query_text = ""
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        self.load(index=0, counts=False)
        self.query_one(ViewList).highlight_view(view)

    def open_paper(self, paper_id: int, title: str = "Opened paper") -> None:
        """Show one paper (from the command palette), whatever view it is in."""
        self.query_text = ""
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        self.results = (title, [paper_id])
        self.load(keep=paper_id, counts=False)
        self.papers.focus()

    @on(Input.Changed, "#search")
    def search_typed(self, event: Input.Changed) -> None:
        # Only the box changes on a keystroke (no layout); the list follows when the search,
        # debounced in a worker, has its results.
        self.query_text = event.value.strip()
        self.run_search(self.query_text)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def run_search(self, text: str) -> None:
        """Debounced: a new keystroke cancels the search still waiting or running."""
        await asyncio.sleep(self.shelf.SEARCH_DEBOUNCE)
        if not text:
            self.results = None
            self.load(index=0, counts=False)
            return
        ids = await asyncio.to_thread(self._search, text)
        self.results = ("Search", ids)
        self.papers.set_ids(ids, index=0, empty_message=self._no_results())
        self._update_status()
        self.refresh_bindings()

    def _search(self, text: str) -> list[int]:
        """The search box's results; a query the language cannot use finds nothing and says
        why (in the list, once: not a notification per keystroke)."""
        try:
            ids = self.shelf.services.search(text)
        except BadInput as error:
            self.query_error = str(error)
            return []
        self.query_error = None
        return ids

    def _no_results(self) -> str:
        if not self.query_text:
            return ""
        if self.query_error:
            width = max(30, self.papers.size.width - 4)
            return textwrap.fill(f"Not a query: {self.query_error}", width)
        return f"No paper matches “{self.query_text}”."

    @on(Input.Submitted, "#search")
    def search_done(self) -> None:
        self.papers.focus()

    @on(PaperList.Activated)
    def activated(self) -> None:
        self.action_read_paper()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if self.papers.marked:
            self.papers.clear_marks()
            self._update_status()
        elif self.query_text or search.value:
            search.value = ""
            self.papers.focus()
        elif self.focused is not self.papers:
            self.papers.focus()

    def action_read_paper(self) -> None:
        notes = self.detail.query(NoteCard)
        if notes:
            notes.first().focus()
        else:
            self.detail.focus()

    # ------------------------------------------------------------ which keys apply

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PAPER_ACTIONS and not self.loaded:
            return False
        if action in PAPER_ACTIONS and self.papers.paper_id is None:
            return False
        if action == "dismiss_day":
            return self.results is None and self.view.kind in ("inbox", "day")
        if action == "pull":
            return None if self.pulling else True
        return True

    # ------------------------------------------------------------ changing papers

    def targets(self) -> list[int]:
        """The marked papers (in list order), else the one under the cursor."""
        marked = self.papers.marked
        if marked:
            order = {pid: i for i, pid in enumerate(self.papers.ids)}
            return sorted(marked, key=lambda pid: order.get(pid, len(order)))
        pid = self.papers.paper_id
        return [] if pid is None else [pid]

    def _what(self, ids: list[int]) -> str:
        if len(ids) == 1:
            row = self.papers.row(ids[0])
            return row.key if row else f"paper {ids[0]}"
        return f"{len(ids)} papers"

    @work(thread=True, group="write", exit_on_error=False)
    def change(self, description: str, fn: Callable[[Session], Any], *,
               done: Callable[[Any], None] | None = None, keep: int | None = None) -> None:
        """One undoable change in a worker; then reload, keeping the cursor on ``keep``."""
        with self.lib.action(description) as session:
            result = fn(session)
        self.app.call_from_thread(self._changed, result, done, keep)

    def _changed(self, result: Any, done: Callable[[Any], None] | None,
                 keep: int | None) -> None:
        if done is not None:
            done(result)
        self.reload(keep=keep)

    def action_set_status(self, status: str) -> None:
        ids = self.targets()
        if not ids:
            return
        marked = bool(self.papers.marked)
        if not marked and status in ("queued", "dismissed"):
            self.papers.action_cursor_down()  # triage: the cursor moves on
        keep = self.papers.paper_id
        if marked:
            self.papers.clear_marks()
        words = {"queued": "kept", "dismissed": "dismissed", "reading": "reading",
                 "read": "read", "inbox": "back in the inbox"}
        what = self._what(ids)
        self.change(f"status {what} {status}",
                    lambda s: views.set_status_many(s, ids=ids, status=status),
                    done=lambda n: self.notify(f"{what}: {words[status]}", timeout=2),
                    keep=keep)

    def action_star(self) -> None:
        ids = self.targets()
        rows = [self.papers.row(pid) for pid in ids]
        value = not all(r is not None and r.starred for r in rows)

        def star(session: Session) -> None:
            for pid in ids:
                ops.set_starred(session, paper=ops.find_paper(session, ref=pid), starred=value)

        self.change(f"{'star' if value else 'unstar'} {self._what(ids)}", star)

    def action_rate(self, rating: int) -> None:
        pid = self.papers.paper_id
        if pid is None:
            return
        self.change(f"rate {self._what([pid])} {rating}",
                    lambda s: ops.set_rating(s, paper=ops.find_paper(s, ref=pid),
                                             rating=rating or None),
                    done=lambda _: self.notify(
                        f"Rated {rating}" if rating else "Rating cleared", timeout=2))

    def action_tag(self) -> None:
        from tui.screens.dialogs import TagDialog

        ids = self.targets()
        if not ids:
            return

        def ask(data: tuple[list[str], list[str], list[str]]) -> None:
            on_all, on_some, known = data
            self.app.push_screen(TagDialog(count=len(ids), on_all=on_all, on_some=on_some,
                                           known=known), lambda change: self._tag(ids, change))

        self.background(lambda s: (*views.tags_common(s, ids=ids), views.all_tags(s)), ask)

    def _tag(self, ids: list[int], change: TagChange | None) -> None:
        if not change:
            return
        words = " ".join([f"+{n}" for n in change.add] + [f"-{n}" for n in change.remove])
        what = self._what(ids)
        self.change(f"tag {what} {words}",
                    lambda s: views.tag_many(s, ids=ids, add=change.add, remove=change.remove),
                    done=lambda n: self.notify(f"{what}: {words}", timeout=3))

    @work(thread=True, group="read", exit_on_error=False)
    def background(self, fn: Callable[[Session], Any], then: Callable[[Any], None]) -> None:
        """A read that may take a moment, then ``then(result)`` on the UI thread."""
        result = self._read(fn)
        self.app.call_from_thread(then, result)

    def action_note(self) -> None:
        from tui.screens.note_editor import NoteEditor

        pid = self.papers.paper_id
        if pid is None:
            return
        row = self.papers.row(pid)
        title = row.title if row else ""

        def save(draft: NoteDraft | None) -> None:
            if draft is not None:
                self.change(f"note on {self._what([pid])}",
                            lambda s: ops.add_note(s, paper=ops.find_paper(s, ref=pid),
                                                   body=draft.body, quote=draft.quote),
                            done=lambda _: self.notify("Note saved", timeout=2))

        self.app.push_screen(NoteEditor(heading=f"New note on “{title}”"), save)

    @on(NoteCard.Edit)
    def edit_note(self, event: NoteCard.Edit) -> None:
        from tui.screens.note_editor import NoteEditor

        note_id = event.note_id
        note = self._read(lambda s: ops.get_note(s, note_id=note_id))

        def save(draft: NoteDraft | None) -> None:
            if draft is not None:
                self.change(f"edit note {note_id}",
                            lambda s: ops.edit_note(s, note=ops.get_note(s, note_id=note_id),
                                                    body=draft.body, quote=draft.quote),
                            done=lambda _: self.notify("Note saved", timeout=2))

        self.app.push_screen(NoteEditor(heading=f"Edit note {note_id}", body=note.body,
                                        quote=note.quote), save)

    @on(NoteCard.Delete)
    def delete_note(self, event: NoteCard.Delete) -> None:
        from tui.screens.dialogs import ConfirmDialog

        note_id = event.note_id

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(f"delete note {note_id}",
                            lambda s: ops.delete_note(s, note=ops.get_note(s, note_id=note_id)),
                            done=lambda _: self.notify("Note deleted (u brings it back)"))

        self.app.push_screen(ConfirmDialog(f"Delete note {note_id}?", yes="Delete"), answered)

    def action_dismiss_day(self) -> None:
        from tui.screens.dialogs import ConfirmDialog

        pid = self.papers.paper_id
        if self.view.kind == "day":
            day = self.view.value
        elif pid is not None:
            day = self._read(lambda s: views.latest_day(s, paper_id=pid))
        else:
            day = None
        if not day:
            self.notify("This paper did not come from a day's feed", severity="warning")
            return
        count = len(self._read(lambda s: views.inbox_of_day(s, day=day)))
        if not count:
            self.notify(f"Nothing from {day} is left in the inbox")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(f"dismiss the rest of {day}",
                            lambda s: views.dismiss_day(s, day=day),
                            done=lambda n: self.notify(f"Dismissed {n} papers from {day}"),
                            keep=None)

        self.app.push_screen(ConfirmDialog(
            f"Dismiss the {count} paper{'s' if count != 1 else ''} from {day} still in the "
            f"inbox?", yes="Dismiss"), answered)

    def action_open(self, which: str) -> None:
        pid = self.papers.paper_id
        if pid is None:
            return
        paper = self._read(lambda s: s.get(ops.Paper, pid))
        if paper is None:
            return
        url = ops.paper_url(paper) if which == "abs" else views.pdf_url(paper)
        if url is None:
            self.notify("No link for this paper", severity="warning")
        elif open_url(url):
            self.notify(f"Opened {url}", timeout=3)
        else:
            self.notify(f"Could not open {url} (only http and https links open)",
                        severity="warning")

    def action_copy_key(self) -> None:
        ids = self.targets()
        rows = self._fetch_rows(ids)  # one query, however many are marked
        keys = [rows[pid].key for pid in ids if pid in rows]
        if keys:
            self.app.copy_to_clipboard(",".join(keys))
            self.notify(f"Copied {','.join(keys)}", timeout=3)

    def action_copy_bibtex(self) -> None:
        self.copy_bibtex(self.targets())

    @work(thread=True, group="export", exit_on_error=False)
    def copy_bibtex(self, ids: list[int]) -> None:
        text = self.shelf.services.bibtex_of(ids)
        self.app.call_from_thread(self.app.copy_to_clipboard, text)
        self.app.call_from_thread(self.notify, f"Copied the BibTeX of {self._what(ids)}")

    def action_rename_key(self) -> None:
        from tui.screens.dialogs import InputDialog

        current = self.papers.paper_id
        row = self.papers.row(current) if current is not None else None
        if row is None:
            return
        pid, old = row.id, row.key

        def rename(new: str | None) -> None:
            if new and new != old:
                self.change(f"key {old} -> {new}",
                            lambda s: ops.rename_key(s, paper=ops.find_paper(s, ref=pid),
                                                     new_key=new),
                            done=lambda _: self.notify(f"{old} -> {new}"))

        self.app.push_screen(InputDialog(f"New citation key for {old}", value=old), rename)

    def action_mark(self) -> None:
        pid = self.papers.paper_id
        if pid is None:
            return
        self.papers.toggle_mark(pid)
        self.papers.action_cursor_down()
        self._update_status()

    def action_export(self, ids: list[int] | None = None, what: str | None = None) -> None:
        from tui.screens.dialogs import ExportDialog

        ids = ids if ids is not None else self.targets()
        if not ids:
            return
        dialog = ExportDialog(ids, config=self.shelf.config, what=what or self._what(ids))
        self.app.push_screen(dialog, self._export)

    def export_tag(self, tag: str) -> None:
        ids = self._read(lambda s: views.view_ids(s, view=View("tag", tag)))
        self.action_export(ids, what=f"#{tag} ({len(ids)} papers)")

    def _export(self, request: ExportRequest | None) -> None:
        if request is not None:
            self.run_export(request)

    @work(thread=True, group="export", exit_on_error=False)
    def run_export(self, request: ExportRequest) -> None:
        report = self.shelf.services.export(request)
        self.app.call_from_thread(self._exported, request, report)

    def _exported(self, request: ExportRequest, report: ExportReport) -> None:
        from tui.screens.dialogs import PreviewScreen

        if request.target == "preview":
            n = len(request.paper_ids)
            self.app.push_screen(PreviewScreen(f"BibTeX of {n} paper{'s' if n != 1 else ''}",
                                               report.text or ""))
        else:
            self.notify(report.summary(), title="Exported", timeout=6)

    # ------------------------------------------------------------ library-wide

    def action_undo(self) -> None:
        self.undo()

    @work(thread=True, group="write", exit_on_error=False)
    def undo(self) -> None:
        with self.lib.write() as session:
            description = ops.undo_last(session)
        message = f"Undid: {description}" if description else "Nothing to undo"
        self.app.call_from_thread(self.notify, message, timeout=3)
        self.app.call_from_thread(self.reload)

    def action_pull(self, day: date | None = None) -> None:
        if self.pulling:
            return
        self.pulling = True
        self.pulling_what = ""
        bar = self.query_one("#pull-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._update_status()
        self.refresh_bindings()
        self.pull(day)

    def ask_pull_date(self) -> None:
        from tui.screens.dialogs import InputDialog

        def chosen(text: str | None) -> None:
            if not text:
                return
            try:
                day = date.fromisoformat(text)
            except ValueError:
                self.notify(f"Not a date: {text!r} (use YYYY-MM-DD)", severity="error")
                return
            self.action_pull(day)

        self.app.push_screen(InputDialog("Pull the Daily Papers of which day?",
                                         value=self.shelf.today().isoformat(),
                                         placeholder="YYYY-MM-DD"), chosen)

    @work(thread=True, group="pull", exit_on_error=False)
    def pull(self, day: date | None) -> None:
        def progress(done: int, total: int, what: str) -> None:
            self.app.call_from_thread(self._pull_progress, done, total, what)

        try:
            report = self.shelf.services.pull(day=day, progress=progress)
        finally:
            self.app.call_from_thread(self._pull_finished)
        self.app.call_from_thread(self._pulled, report)

    def _pull_progress(self, done: int, total: int, what: str) -> None:
        self.query_one("#pull-progress", ProgressBar).update(total=total or None, progress=done)
        self.pulling_what = what
        self._update_status()
        self.reload()  # new papers appear as they arrive

    def _pull_finished(self) -> None:
        self.pulling = False
        self.query_one("#pull-progress").display = False
        self._update_status()
        self.refresh_bindings()

    def _pulled(self, report: PullReport) -> None:
        severity: SeverityLevel = "information"
        if report.failed or report.errors:  # an error when nothing came, else a warning
            got = report.new + report.updated + report.unchanged
            severity = "warning" if got else "error"
        message = report.summary()
        if report.errors:
            message += "\n" + "\n".join(report.errors[:5])
        self.notify(message, title="Pulled", severity=severity, timeout=8)
        self.reload()

    def action_stats(self) -> None:
        from tui.screens.stats import StatsScreen

        today = self.shelf.today()
        self.background(lambda s: views.stats(s, today=today),
                        lambda stats: self.app.push_screen(StatsScreen(stats)))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(binding_groups(), self.shelf.keymap))

    def action_quit(self) -> None:
        self.app.exit()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.shelf.report_worker_error(event)

    def poll_changes(self) -> None:
        """Pick up changes made elsewhere (the command line) since the last look."""
        watcher = self.shelf.watcher
        if watcher is not None and watcher.changed() and self.loaded:
            self.reload()


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """Every key of the app, grouped as the help screen shows them."""
    from textual.widgets import TextArea  # noqa: F401  (the editor's own keys are standard)

    from tui.screens.dialogs import TagDialog
    from tui.screens.note_editor import NoteEditor

    def listed(items: Iterable[Any]) -> list[Binding]:
        return [b for b in items if isinstance(b, Binding)]

    return [
        ("Library", listed(LIBRARY_KEYS) + [Binding("ctrl+p", "command_palette",
                                                    "Every command by name", id="app.palette")]),
        ("Triage", listed(TRIAGE_KEYS)),
        ("Paper", listed(PAPER_KEYS)),
        ("Marks and export", listed(MARK_KEYS)),
        ("List", listed(PaperList.BINDINGS)),
        ("Notes (in the detail pane)", listed(NoteCard.BINDINGS)),
        ("Note editor", listed(NoteEditor.BINDINGS)),
        ("Tag dialog", listed(TagDialog.BINDINGS)),
    ]


def binding_ids() -> set[str]:
    from tui.screens.dialogs import ConfirmDialog, ExportDialog, InputDialog, PreviewScreen
    from tui.screens.help import HelpScreen
    from tui.screens.stats import StatsScreen

    ids = {b.id for _, group in binding_groups() for b in group if b.id}
    for cls in (ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, HelpScreen, StatsScreen,
                ViewList, DetailPane):
        ids |= {b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id}
    return ids


class PapershelfApp(App[None]):
    """papershelf's terminal UI."""

    TITLE = "papershelf"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {lambda: _paper_commands()}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    SEARCH_DEBOUNCE = 0.15  # seconds of quiet before the search box searches
    DETAIL_DELAY = 0.03  # seconds the cursor rests on a paper before the detail pane follows
    POLL_SECONDS = 1.0  # how often to look for changes made by the command line

    def __init__(self, lib: Library, *, config: Config | None = None,
                 problems: list[str] | None = None, services: Services | None = None,
                 today: Callable[[], date] | None = None, watch: bool = True) -> None:
        super().__init__()
        self.lib = lib
        self.config = config or Config()
        self.problems = list(problems or [])
        self.services = services or Services(lib, self.config)
        self.today = today or (lambda: utcnow().date())
        self.watch_changes = watch
        self.watcher: views.ChangeWatcher | None = None
        self.keymap: dict[str, str] = {}

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen()

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        self._apply_config()
        if self.watch_changes:
            self.watcher = views.ChangeWatcher(self.lib)
            self.set_interval(self.POLL_SECONDS, self.main.poll_changes)
        if self.problems:
            self.notify("\n".join(self.problems), title="config.toml: using defaults for",
                        severity="warning", timeout=20)

    def _apply_config(self) -> None:
        config = self.config
        if config.theme:
            if config.theme in self.available_themes:
                self.theme = config.theme
            else:
                self.problems.append(
                    f"{config.where('ui.theme')}: unknown theme {config.theme!r} (known: "
                    f"{', '.join(sorted(self.available_themes))})")
        known = binding_ids()
        keymap = {}
        for binding_id, keys in config.keys.items():
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                self.problems.append(f"{config.where('keys.' + binding_id)}: unknown binding id "
                                     f"{binding_id!r} in [keys] (? lists them)")
        self.keymap = keymap
        if keymap:
            self.set_keymap(keymap)

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_error(event)

    def report_worker_error(self, event: Worker.StateChanged) -> None:
        """The one place worker errors become messages."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, BadInput | PapershelfError):
            self.notify(str(error), severity="error", timeout=8)
        else:
            self.log.error(f"worker {event.worker.name} failed: {error!r}")
            self.notify(f"Something went wrong: {error!r}", severity="error", timeout=10)


def _paper_commands() -> type[Provider]:
    from tui.commands import PaperCommands

    return PaperCommands


def run_app(lib: Library) -> None:
    """Open the app on ``lib`` with the user's config.toml."""
    config, problems = load_config()
    PapershelfApp(lib, config=config, problems=problems).run()
