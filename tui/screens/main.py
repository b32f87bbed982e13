"""The main screen: the sidebar of views, the paper list with its search box and status line,
the detail pane.

It reads through :mod:`storage.views` (what the views hold, a screenful of rows at a time) and
changes the library through :mod:`tui.services.edits` (see :mod:`tui.screens.flows`). Its state
is reactive (``view``, ``results``, ``query_text``, ``pulling``...), the status line bound to it;
everything that may wait on the database runs in a worker, which hands its result back to the
UI thread (``call_from_thread`` or a message) instead of writing attributes.
"""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import Footer, Input, OptionList, ProgressBar
from textual.worker import Worker, get_current_worker

from reader.errors import BadInput
from storage import ops, views
from storage.views import Counts, View
from tui.bindings import MAIN_KEYS, PAPER_ACTIONS, VIEW_KEYS, shown_key
from tui.messages import LibraryChanged
from tui.screens.flows import PaperScreen
from tui.widgets.detail import DetailPane, NoteCard
from tui.widgets.list_status import ListStatus
from tui.widgets.paper_list import PaperList
from tui.widgets.search_box import SearchBox
from tui.widgets.sidebar import ViewList

WELCOME = """Welcome to papershelf. Your library is empty. Fill it, one key each:
  {pull:<4}pull today's Hugging Face Daily Papers
  {bib:<4}import a BibTeX file (.bib)
  {page:<4}import a saved Daily Papers page (.html)

Or from a shell (the app picks changes up by itself):
  papershelf add 1706.03762        one paper by arXiv id or DOI
  papershelf import refs.bib       papers from a BibTeX file

Press ? for every key, ctrl+p for every command, q to quit."""

SIDEBAR_COLLAPSE = 100  # below this many columns the sidebar collapses by itself
WIDE = 140  # from this many columns the detail pane is beside the list (app.tcss: -wide)

EMPTY_HINTS = {
    "inbox": "Nothing to triage. p pulls today's papers.",
    "queued": "The queue is empty: {keep} on a paper keeps it here.",
    "reading": "Nothing being read: g on a paper marks it as reading.",
    "read": "Nothing read yet: r on a paper marks it as read.",
    "starred": "No starred papers: s stars the paper under the cursor.",
    "all": "No papers (dismissed ones are hidden).",
    "tag": "No paper carries this tag any more.",
    "day": "Every paper of this day was dismissed.",
}

# A search's ids, why the query cannot be used, and whether they are only the closest papers.
Found = tuple[list[int], str | None, bool]


class MainScreen(PaperScreen):
    """The sidebar of views, the paper list, the detail pane."""

    BINDINGS = [*MAIN_KEYS]

    def __init__(self) -> None:
        super().__init__()
        self._had_paper = False
        # The sidebar shown or hidden for this session only (b in a narrow terminal, v on a
        # collapsed sidebar), over config.toml's [ui] sidebar; None: the setting decides.
        self._sidebar_override: bool | None = None
        self._sidebar_peek = False  # shown by v on a collapsed sidebar: collapses again after
        self._detail_peek = False  # shown by enter while hidden: hides again on esc

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield ViewList(id="sidebar").data_bind(counts=MainScreen.counts,
                                                   current=MainScreen.view)
            with Container(id="main"):
                with Vertical(id="listbox"):
                    yield SearchBox(id="search", compact=True,
                                    placeholder="/ search: words, tag:x, author:y, year:2024…")
                    yield ListStatus(id="list-status").data_bind(
                        text=MainScreen.list_text, marked=MainScreen.marked,
                        pulling=MainScreen.pulling, pulling_what=MainScreen.pulling_what)
                    yield ProgressBar(id="pull-progress", show_eta=False)
                    yield PaperList(self.fetch_rows, id="papers")
                yield DetailPane(id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#pull-progress").display = False
        keymap = self.shelf.keymap
        self.query_one(ViewList).view_keys = {
            b.action.split("'")[1]: shown_key(b.id or "", keymap) for b in VIEW_KEYS}
        self.apply_layout()
        self.papers.focus()
        self.load(first=True)

    def key(self, binding_id: str) -> str:
        return shown_key(binding_id, self.shelf.keymap)

    # ------------------------------------------------------------ layout

    def on_resize(self) -> None:
        self.apply_layout()

    def sidebar_shown(self) -> bool:
        if self._sidebar_override is not None:
            return self._sidebar_override
        return self.shelf.config.sidebar and self.size.width >= SIDEBAR_COLLAPSE

    def apply_layout(self) -> None:
        """The sidebar (shown, hidden, collapsed in a narrow terminal) and the detail pane's
        place and size, from config.toml's [ui] and this session's keys."""
        config = self.shelf.config
        self.query_one(ViewList).display = self.sidebar_shown()
        detail = self.detail
        detail.display = config.detail or self._detail_peek
        listbox = self.query_one("#listbox")
        size = f"{config.detail_size}%"
        if self.size.width >= WIDE:  # beside the list
            detail.styles.width, detail.styles.height = size, "1fr"
        else:  # under it
            detail.styles.width, detail.styles.height = "1fr", size
        listbox.styles.width = listbox.styles.height = "1fr"

    def action_toggle_sidebar(self) -> None:
        shown = not self.sidebar_shown()
        if self.size.width < SIDEBAR_COLLAPSE:
            self._sidebar_override = shown  # a narrow terminal: for now, not saved
        else:
            self._sidebar_override = None
            self.shelf.config.sidebar = shown
            self.shelf.save_ui(sidebar=shown)
        self._sidebar_peek = False
        if not shown and self.query_one(ViewList).has_focus:
            self.papers.focus()
        self.apply_layout()

    def action_toggle_detail(self) -> None:
        config = self.shelf.config
        config.detail = not (config.detail or self._detail_peek)
        self._detail_peek = False
        if not config.detail and self.detail.has_focus_within:
            self.papers.focus()
        self.shelf.save_ui(detail=config.detail)
        self.apply_layout()

    def action_resize_detail(self, step: int) -> None:
        from tui.config import DETAIL_SIZES

        config = self.shelf.config
        low, high = DETAIL_SIZES
        config.detail_size = max(low, min(high, config.detail_size + step))
        config.detail = True
        self._detail_peek = False
        self.shelf.save_ui(detail=True, detail_size=config.detail_size)
        self.apply_layout()

    def _collapse_peek(self) -> None:
        if self._sidebar_peek:
            self._sidebar_peek = False
            self._sidebar_override = None
            self.apply_layout()

    def focus_list(self) -> None:
        self.papers.focus()
        self._collapse_peek()
        if self._detail_peek:
            self._detail_peek = False
            self.apply_layout()

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
            days = (views.inbox_days(session) if not self.results and view.kind == "inbox"
                    else None)
        results = self.results
        error = self.query_error
        if results is not None and self.query_text:
            ids, error, _relaxed = self._search(self.query_text)
            results = (results[0], ids)
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._show_list, worker, sum(statuses.values()), view,
                                  results, ids, error, keep, index, days)
        if not counts and self.counts is not None:
            return
        with self.lib.read() as session:
            new_counts = views.view_counts(session)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_counts, new_counts)

    def _show_list(self, worker: Worker[Any], library_size: int, view: View,
                   results: tuple[str, list[int]] | None, ids: list[int] | None,
                   error: str | None, keep: int | None, index: int | None,
                   days: dict[int, str] | None = None) -> None:
        if worker.is_cancelled:
            # A newer load replaced this one after it had read. Workers are cancelled on the
            # main thread, where this runs too, so the check is exact: an older list never
            # lands over a newer one.
            return
        self.view = view
        self.query_error = error
        if results is not None:
            self.results = results
            ids = results[1]
        ids = ids or []
        if library_size == 0:
            empty = WELCOME.format(pull=self.key("app.pull"), bib=self.key("app.import_bib"),
                                   page=self.key("app.import_page"))
        elif results is not None:
            empty = self._no_results()
            days = None
        else:
            empty = EMPTY_HINTS[view.kind].format(keep=self.key("paper.keep"))
        if keep is None and index is None and self.loaded:
            keep = self.papers.paper_id
        self.papers.set_ids(ids, keep=keep, index=index, empty_message=empty,
                            days=days if results is None else None)
        self.loaded = True
        self._update_status()
        self.refresh_bindings()
        self.load_detail(self.papers.paper_id)  # its tags, notes, status may have changed

    def _show_counts(self, counts: Counts) -> None:
        self.counts = counts  # the sidebar, bound to it, redraws when they changed

    def _update_status(self) -> None:
        n = len(self.papers.ids)
        if self.results is not None and self.query_text and self.query_error:
            text = f"Search “{self.query_text}” · not a query: see below"
        elif self.results is not None and self.query_text and self.relaxed and n:
            text = f"Search “{self.query_text}” · no exact match; closest papers ({n})"
        elif self.results is not None and self.query_text:
            best = "the best " if n >= self.shelf.services.SEARCH_LIMIT else ""
            text = f"Search “{self.query_text}” · {best}{n} result{'s' if n != 1 else ''}"
        elif self.results is not None:
            text = f"{self.results[0]} · {n} result{'s' if n != 1 else ''}"
        else:
            text = f"{self.view.title} · {n} paper{'s' if n != 1 else ''}"
        self.list_text = text
        self.marked = len(self.papers.marked)

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
            self.focus_list()

    @on(ViewList.Leave)
    def sidebar_left(self) -> None:
        self.focus_list()

    def action_focus_sidebar(self) -> None:
        sidebar = self.query_one(ViewList)
        if not sidebar.display:
            self._sidebar_override = True
            self._sidebar_peek = True  # collapses again once a view is chosen
            self.apply_layout()
        sidebar.focus()

    def action_view(self, kind: str) -> None:
        self.show_view(View(kind))  # type: ignore[arg-type]
        self.focus_list()

    def action_step_day(self, step: int) -> None:
        """The next older (``step`` 1) or newer (-1) pulled day; from any other view, the
        newest day."""
        days = [d for d, _n, _i in (self.counts.days if self.counts is not None else [])]
        if not days:
            self.notify("No pulled days yet: p pulls today's papers.")
            return
        index = 0
        if self.results is None and self.view.kind == "day" and self.view.value in days:
            index = days.index(self.view.value) + step
            if not 0 <= index < len(days):
                self.notify("That was the oldest pulled day." if step > 0 else
                            "That was the newest pulled day.")
                return
        self.show_view(View("day", days[index]))
        self.focus_list()

    # ------------------------------------------------------------ filling the library

    def action_import_bib(self) -> None:
        self.import_flow("bib")

    def action_import_page(self) -> None:
        self.import_flow("page")

    @work(group="flow", exit_on_error=False)
    async def import_flow(self, what: str) -> None:
        from pathlib import Path

        from tui.screens.dialogs import InputDialog

        prompt = ("Import which BibTeX file? (its entries go to the queue)" if what == "bib"
                  else "Import which saved Daily Papers page? (its papers go to the inbox)")
        hint = "~/papers/refs.bib" if what == "bib" else "~/Downloads/daily-papers.html"
        text = await self.app.push_screen_wait(InputDialog(prompt, placeholder=hint))
        if not text:
            return
        path = Path(text).expanduser()
        services = self.shelf.services
        if what == "bib":
            report: Any = await asyncio.to_thread(services.import_bib, path)
        else:
            report = await asyncio.to_thread(services.import_page, path)
        lines = [*report.lines, *report.problems]
        self.notify("\n".join(lines[:6]) or "Nothing to import.",
                    title=f"Imported {path.name}",
                    severity="warning" if report.problems else "information", timeout=8)
        self.show_view(View("queued" if what == "bib" else "inbox"))  # where they went

    def _clear_search(self) -> None:
        self.query_text = ""
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""

    def show_view(self, view: View) -> None:
        self.view = view
        self.results = None
        self._clear_search()
        self.load(index=0, counts=False)
        self.query_one(ViewList).highlight_view(view)  # also when it was the view already

    def open_paper(self, paper_id: int, title: str = "Opened paper") -> None:
        """Show one paper (from the command palette), whatever view it is in."""
        self._clear_search()
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
            # Back to the view, on the paper the search had under the cursor (found in the full
            # list), or its first row when the view does not hold it.
            was_search = self.results is not None
            keep = self.papers.paper_id if was_search else None
            self.results = None
            self.relaxed = False
            self.load(keep=keep, index=0, counts=False)
            return
        ids, self.query_error, self.relaxed = await asyncio.to_thread(self._search, text)
        self.results = ("Search", ids)
        self.papers.set_ids(ids, index=0, empty_message=self._no_results())
        self._update_status()
        self.refresh_bindings()

    def _search(self, text: str) -> Found:
        """The search box's results; a query the language cannot use finds nothing and says
        why (in the list, once: not a notification per keystroke)."""
        try:
            ids, relaxed = self.shelf.services.find(text)
            return ids, None, relaxed
        except BadInput as error:
            return [], str(error), False

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
        self.query_one("#search", SearchBox).take_keys()  # at once: the keys after / go there

    def action_escape(self) -> None:
        if self.focused is not self.papers and (self._sidebar_peek or self._detail_peek):
            self.focus_list()
            return
        search = self.query_one("#search", Input)
        if self.papers.marked:
            self.papers.clear_marks()
            self._update_status()
        elif self.query_text or search.value:
            search.value = ""
            self.papers.focus()
        elif self.results is not None:  # a paper opened from the palette: back to the view
            keep = self.papers.paper_id
            self.results = None
            self.load(keep=keep, index=0, counts=False)
            self.papers.focus()
        elif self.focused is not self.papers:
            self.focus_list()

    def action_read_paper(self) -> None:
        if not self.detail.display:
            self._detail_peek = True  # shown until esc (z shows it for good)
            self.apply_layout()
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

    # ------------------------------------------------------------ library-wide

    def action_stats(self) -> None:
        self.show_stats()

    @work(group="read", exit_on_error=False)
    async def show_stats(self) -> None:
        from tui.screens.stats import StatsScreen

        today = self.shelf.today()
        stats = await asyncio.to_thread(self._read, lambda s: views.stats(s, today=today))
        self.app.push_screen(StatsScreen(stats))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen
        from tui.screens.keys import binding_groups

        self.app.push_screen(HelpScreen(binding_groups(), self.shelf.keymap))

    def action_quit(self) -> None:
        self.app.exit()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.shelf.report_worker_error(event)

    def poll_changes(self) -> None:
        """Pick up changes made elsewhere (the command line) since the last look."""
        watcher = self.shelf.watcher
        if watcher is not None and watcher.changed() and self.loaded:
            self.post_message(LibraryChanged())
