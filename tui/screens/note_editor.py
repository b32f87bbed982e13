"""The note editor: Markdown in a TextArea, with an optional quoted passage."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from tui.messages import FLOW
from tui.safe_text import safe_lines
from tui.screens.dialogs import ConfirmDialog, keys_line


@dataclass
class NoteDraft:
    body: str
    quote: str | None = None


class NoteEditor(ModalScreen[NoteDraft | None]):
    """Write or edit a note. ctrl+s saves; esc asks before throwing away changes."""

    BINDINGS = [
        # Not priority bindings: a priority binding runs before the TextArea has handled the
        # keys typed just before it, and would save a note missing its last characters.
        Binding("ctrl+s", "save", "Save", id="editor.save"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
    ]

    def __init__(self, *, heading: str, body: str = "", quote: str | None = None) -> None:
        super().__init__()
        self.heading = heading
        self.original = NoteDraft(body, quote or None)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="note-editor"):
            yield Label(Text(safe_lines(self.heading)), classes="title")
            yield Input(self.original.quote or "", id="note-quote",
                        placeholder="Quoted passage from the paper (optional)")
            yield TextArea(self.original.body, id="note-body", soft_wrap=True,
                           tab_behavior="focus", show_line_numbers=False)
            yield keys_line(("ctrl+s", "save"), ("tab", "next field"), ("esc", "cancel"),
                            ("", "Markdown"))

    def on_mount(self) -> None:
        self.query_one("#note-body", TextArea).focus()

    def draft(self) -> NoteDraft:
        quote = self.query_one("#note-quote", Input).value.strip()
        return NoteDraft(self.query_one("#note-body", TextArea).text, quote or None)

    def action_save(self) -> None:
        draft = self.draft()
        if not draft.body.strip() and not draft.quote:
            self.notify("The note is empty: write something or press esc", severity="warning")
            return
        self.dismiss(draft)

    def action_cancel(self) -> None:
        if self.draft() == self.original:
            self.dismiss(None)
        else:
            self.confirm_discard()

    @work(group=FLOW, exit_on_error=False)
    async def confirm_discard(self) -> None:
        if await self.app.push_screen_wait(ConfirmDialog(
                "Discard the changes to this note?", yes="Discard", no="Keep editing",
                default=False)):
            self.dismiss(None)
