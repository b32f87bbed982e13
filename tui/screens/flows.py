"""What the main screen does to papers and the library: every edit (through
:mod:`tui.services.edits`, the same use cases as the command line), the dialogs that ask first
as linear flows (``@work`` + ``push_screen_wait``), links, copying, export, pull and undo.

A flow runs on the UI thread and waits for its dialog; a read it needs first runs in a thread
(``asyncio.to_thread``), and the write it ends with runs in a thread worker that posts
:class:`~tui.messages.LibraryChanged` with its report. No worker thread writes an attribute.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, cast

from textual import on, work
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import ProgressBar

from reader.errors import BadInput
from storage import ops, views
from storage.db import Library
from storage.views import Counts, View
from tui.messages import FLOW, LibraryChanged, PullFinished, PullProgress, Shelf
from tui.services import edits
from tui.services.edits import EditReport
from tui.services.export import ExportRequest
from tui.services.links import open_url, safe_url
from tui.widgets.detail import DetailPane, NoteCard
from tui.widgets.paper_list import PaperList
from tui.words import count as count_of

Session = Any  # a storage session: the screen only hands it on to storage functions


class PaperScreen(Screen[None]):
    """The main screen's state and its changes to the library (see :class:`MainScreen`)."""

    view: var[View] = var(View("inbox"))
    # A list that is not a view: search results or one opened paper (title, ids).
    results: var[tuple[str, list[int]] | None] = var(None)
    query_text = var("")
    query_error: var[str | None] = var(None)  # why the search box's query cannot be used
    relaxed = var(False)  # the search box shows only the closest papers (no exact match)
    counts: var[Counts | None] = var(None)
    loaded = var(False)
    pulling = var(False, init=False)
    pulling_what = var("")  # what the pull is fetching, for the status line
    list_text = var("Loading…")  # the status line's account of the list
    marked = var(0)

    # ------------------------------------------------------------ plumbing

    @property
    def shelf(self) -> Shelf:
        return cast(Shelf, self.app)

    @property
    def lib(self) -> Library:
        return self.shelf.lib

    @property
    def papers(self) -> PaperList:
        return self.query_one("#papers", PaperList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    def fetch_rows(self, ids: Iterable[int]) -> dict[int, views.Row]:
        # One small indexed query for the rows on screen: fine on the UI thread.
        with self.lib.read() as session:
            return views.rows_for(session, ids=list(ids))

    def _read(self, fn: Callable[[Session], Any]) -> Any:
        with self.lib.read() as session:
            return fn(session)

    def reload(self, *, keep: int | None = None, index: int | None = None) -> None:
        raise NotImplementedError  # the main screen's

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
        return count_of(len(ids), "paper")

    # ------------------------------------------------------------ edits

    @work(thread=True, group="write", exit_on_error=False)
    def edit(self, change: Callable[[], EditReport], *, keep: int | None = None,
             say: float | None = 2.0) -> None:
        """One edit (one undo step) in a worker; the list reloads, the cursor on ``keep``."""
        self.post_message(LibraryChanged(change(), keep=keep, say=say))

    @on(LibraryChanged)
    def library_changed(self, event: LibraryChanged) -> None:
        if event.report is not None and event.say is not None:
            self.notify(event.report.message, timeout=event.say)
        self.reload(keep=event.keep)

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
        self.edit(lambda: edits.set_status(self.lib, ids, status), keep=keep)

    def action_star(self) -> None:
        ids = self.targets()
        rows = [self.papers.row(pid) for pid in ids]
        value = not all(r is not None and r.starred for r in rows)
        self.edit(lambda: edits.set_starred(self.lib, ids, value), say=None)

    def action_rate(self, rating: int) -> None:
        pid = self.papers.paper_id
        if pid is not None:
            self.edit(lambda: edits.rate(self.lib, pid, rating))

    def action_tag(self) -> None:
        ids = self.targets()
        if ids:
            self.tag_flow(ids)

    @work(group=FLOW, exit_on_error=False)
    async def tag_flow(self, ids: list[int]) -> None:
        from tui.screens.dialogs import TagDialog

        on_all, on_some, known = await asyncio.to_thread(
            self._read, lambda s: (*views.tags_common(s, ids=ids), views.all_tags(s)))
        change = await self.app.push_screen_wait(
            TagDialog(count=len(ids), on_all=on_all, on_some=on_some, known=known))
        if change:
            self.edit(lambda: edits.change_tags(self.lib, ids, add=change.add,
                                                remove=change.remove), say=3)

    def action_note(self) -> None:
        pid = self.papers.paper_id
        if pid is not None:
            row = self.papers.row(pid)
            self.note_flow(pid, row.title if row else "")

    @work(group=FLOW, exit_on_error=False)
    async def note_flow(self, pid: int, title: str) -> None:
        from tui.screens.note_editor import NoteEditor

        draft = await self.app.push_screen_wait(NoteEditor(heading=f"New note on “{title}”"))
        if draft is not None:
            self.edit(lambda: edits.add_note(self.lib, pid, draft.body, draft.quote))

    @on(NoteCard.Edit)
    def edit_note(self, event: NoteCard.Edit) -> None:
        self.edit_note_flow(event.note_id)

    @work(group=FLOW, exit_on_error=False)
    async def edit_note_flow(self, note_id: int) -> None:
        from tui.screens.note_editor import NoteEditor

        note = await asyncio.to_thread(edits.note_text, self.lib, note_id)
        draft = await self.app.push_screen_wait(
            NoteEditor(heading=f"Edit note {note_id}", body=note.body, quote=note.quote))
        if draft is not None:
            self.edit(lambda: edits.edit_note(self.lib, note_id, draft.body, draft.quote))

    @on(NoteCard.Delete)
    def delete_note(self, event: NoteCard.Delete) -> None:
        self.delete_note_flow(event.note_id)

    @work(group=FLOW, exit_on_error=False)
    async def delete_note_flow(self, note_id: int) -> None:
        from tui.screens.dialogs import ConfirmDialog

        if await self.app.push_screen_wait(ConfirmDialog(f"Delete note {note_id}?",
                                                         yes="Delete")):
            self.edit(lambda: edits.delete_note(self.lib, note_id),
                      say=self.app.NOTIFICATION_TIMEOUT)

    def action_dismiss_day(self) -> None:
        self.dismiss_day_flow(self.view.value if self.view.kind == "day" else None,
                              self.papers.paper_id)

    @work(group=FLOW, exit_on_error=False)
    async def dismiss_day_flow(self, day: str | None, pid: int | None) -> None:
        from tui.screens.dialogs import ConfirmDialog

        day, count = await asyncio.to_thread(edits.day_to_dismiss, self.lib, day=day,
                                             paper_id=pid)
        if not day:
            self.notify("This paper did not come from a day's feed", severity="warning")
            return
        if not count:
            self.notify(f"Nothing from {day} is left in the inbox")
            return
        question = f"Dismiss the {count_of(count, 'paper')} from {day} still in the inbox?"
        if await self.app.push_screen_wait(ConfirmDialog(question, yes="Dismiss")):
            self.edit(lambda: edits.dismiss_day(self.lib, day),
                      say=self.app.NOTIFICATION_TIMEOUT)

    def action_rename_key(self) -> None:
        current = self.papers.paper_id
        row = self.papers.row(current) if current is not None else None
        if row is not None:
            self.rename_key_flow(row.id, row.key)

    @work(group=FLOW, exit_on_error=False)
    async def rename_key_flow(self, pid: int, old: str) -> None:
        from tui.screens.dialogs import InputDialog

        new = await self.app.push_screen_wait(InputDialog(f"New citation key for {old}",
                                                          value=old))
        if new and new != old:
            self.edit(lambda: edits.rename_key(self.lib, pid, new),
                      say=self.app.NOTIFICATION_TIMEOUT)

    def action_edit_fields(self) -> None:
        current = self.papers.paper_id
        row = self.papers.row(current) if current is not None else None
        if row is not None:
            self.edit_fields_flow(row.id, row.key)

    @work(group=FLOW, exit_on_error=False)
    async def edit_fields_flow(self, pid: int, key: str) -> None:
        """The field editor: the changed fields saved as one undo step, checked first (a bad
        value is one message naming the field, and nothing is saved)."""
        from tui.screens.field_editor import FieldEditor
        from tui.services import fields

        rows = await asyncio.to_thread(fields.field_rows, self.lib, str(pid))
        changes = await self.app.push_screen_wait(FieldEditor(rows, what=key))
        if not changes:
            return
        try:
            report = await asyncio.to_thread(fields.set_fields, self.lib, str(pid), changes,
                                             description=f"edit {key}")
        except BadInput as error:
            self.notify(f"Nothing saved: {error}", severity="error", timeout=8)
            return
        self.notify("\n".join(report.lines()), title="Fields saved", timeout=5)
        self.reload(keep=pid)

    def action_undo(self) -> None:
        self.edit(lambda: edits.undo(self.lib), say=3)

    # ------------------------------------------------------------ links, copies, marks

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
        elif safe_url(url) is None:
            self.notify(f"Could not open {url} (only http and https links open)",
                        severity="warning")
        else:
            self.open_link(url)

    @work(group="open", exit_on_error=False)
    async def open_link(self, url: str) -> None:
        """Hand an http(s) link to the browser (in a thread: a browser command may take its
        time); when no browser takes it, say so and put the link on the clipboard."""
        if await asyncio.to_thread(open_url, url):
            self.notify(f"Opened {url}", timeout=3)
        else:
            self.app.copy_to_clipboard(url)
            self.notify(f"No web browser opened {url} (set BROWSER to your browser's "
                        f"command); the link is on the clipboard", severity="warning",
                        timeout=8)

    def action_copy_key(self) -> None:
        ids = self.targets()
        rows = self.fetch_rows(ids)  # one query, however many are marked
        keys = [rows[pid].key for pid in ids if pid in rows]
        if keys:
            self.app.copy_to_clipboard(",".join(keys))
            self.notify(f"Copied {','.join(keys)}", timeout=3)

    def action_copy_bibtex(self) -> None:
        self.copy_bibtex(self.targets())

    @work(group="export", exit_on_error=False)
    async def copy_bibtex(self, ids: list[int]) -> None:
        text = await asyncio.to_thread(self.shelf.services.bibtex_of, ids)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the BibTeX of {self._what(ids)}")

    def action_mark(self) -> None:
        pid = self.papers.paper_id
        if pid is None:
            return
        self.papers.toggle_mark(pid)
        self.papers.action_cursor_down()
        self.marked = len(self.papers.marked)

    # ------------------------------------------------------------ export

    def action_export(self, ids: list[int] | None = None, what: str | None = None) -> None:
        ids = ids if ids is not None else self.targets()
        if ids:
            self.export_flow(ids, what or self._what(ids))

    def export_tag(self, tag: str) -> None:
        ids = self._read(lambda s: views.view_ids(s, view=View("tag", tag)))
        self.action_export(ids, what=f"#{tag} ({count_of(len(ids), 'paper')})")

    @work(group=FLOW, exit_on_error=False)
    async def export_flow(self, ids: list[int], what: str) -> None:
        from tui.screens.dialogs import ExportDialog

        request = await self.app.push_screen_wait(
            ExportDialog(ids, config=self.shelf.config, what=what))
        if request is None:
            return
        if request.target == "file" and request.path is not None and request.path.exists():
            from tui.screens.dialogs import ConfirmDialog

            question = (f"{request.path} exists. Replace it? (The old file is kept as "
                        f"{request.path.name}.bak; to add to it instead, merge into it.)")
            if not await self.app.push_screen_wait(
                    ConfirmDialog(question, yes="Replace", no="Keep it")):
                self.notify(f"Nothing written: {request.path} is as it was", timeout=4)
                return
            request = dataclasses.replace(request, force=True)
        self.run_export(request)

    @work(group="export", exit_on_error=False)
    async def run_export(self, request: ExportRequest) -> None:
        from tui.screens.dialogs import PreviewScreen

        report = await asyncio.to_thread(self.shelf.services.export, request)
        if request.target == "preview":
            n = len(request.paper_ids)
            self.app.push_screen(PreviewScreen(f"BibTeX of {count_of(n, 'paper')}",
                                               report.text or ""))
        else:
            self.notify(report.summary(), title="Exported", timeout=6)

    # ------------------------------------------------------------ pull

    def action_pull(self, day: date | None = None) -> None:
        if self.pulling:
            return
        self.pulling_what = ""
        bar = self.query_one("#pull-progress", ProgressBar)
        bar.update(total=None, progress=0)
        self.pulling = True
        self.pull(day)

    def watch_pulling(self, pulling: bool) -> None:
        self.query_one("#pull-progress").display = pulling
        self.refresh_bindings()

    def ask_pull_date(self) -> None:
        self.pull_date_flow()

    @work(group=FLOW, exit_on_error=False)
    async def pull_date_flow(self) -> None:
        from tui.screens.dialogs import InputDialog

        text = await self.app.push_screen_wait(InputDialog(
            "Pull the Daily Papers of which day?", value=self.shelf.today().isoformat(),
            placeholder="YYYY-MM-DD"))
        if not text:
            return
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.notify(f"Not a date: {text!r} (use YYYY-MM-DD)", severity="error")
            return
        self.action_pull(day)

    @work(thread=True, group="pull", exit_on_error=False)
    def pull(self, day: date | None) -> None:
        def progress(done: int, total: int, what: str) -> None:
            self.post_message(PullProgress(done, total, what))

        report = None
        try:
            report = self.shelf.services.pull(day=day, progress=progress)
        finally:
            self.post_message(PullFinished(report))

    @on(PullProgress)
    def pull_progress(self, event: PullProgress) -> None:
        self.query_one("#pull-progress", ProgressBar).update(total=event.total or None,
                                                             progress=event.done)
        self.pulling_what = event.what
        self.reload()  # new papers appear as they arrive

    @on(PullFinished)
    def pull_finished(self, event: PullFinished) -> None:
        self.pulling = False
        report = event.report
        if report is None:
            return
        severity: SeverityLevel = "information"
        title = "Pulled"
        if report.failed or report.errors:  # an error when nothing came, else a warning
            got = report.new + report.updated + report.unchanged
            severity = "warning" if got else "error"
            title = "Pulled, with errors" if got else "Pull failed"
        message = report.summary()
        if report.errors:
            message += "\n" + "\n".join(report.errors[:5])
        self.notify(message, title=title, severity=severity, timeout=8)
        self.reload()
