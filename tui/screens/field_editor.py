"""The field editor (``E`` on a paper): every bibliographic field of the paper as a line to edit,
the ones you set marked, and what a source says where it disagrees. ctrl+s saves the changed
fields as one undo step (the same rules as ``papershelf edit KEY --set``); esc cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui.safe_text import safe_lines
from tui.screens.dialogs import discard_or_stay, keys_line
from tui.services.fields import FieldRow


class FieldEditor(ModalScreen[list[tuple[str, str]] | None]):
    """Edit a paper's fields; dismissed with the (name, new text) pairs that changed."""

    DEFAULT_CSS = """
    FieldEditor .field-row { height: auto; }
    FieldEditor .field-name { width: 16; padding: 1 1 0 0; }
    FieldEditor .field-row Input { width: 1fr; }
    FieldEditor .field-source { color: $text-muted; padding: 0 0 0 16; }
    FieldEditor #fields { height: 1fr; max-height: 30; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="fields.save"),
        Binding("escape", "cancel", "Cancel", id="fields.cancel"),
    ]

    def __init__(self, rows: list[FieldRow], *, what: str) -> None:
        super().__init__()
        self.rows = rows
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="field-editor"):
            yield Label(Text(safe_lines(f"Fields of {self.what}")), classes="title")
            with VerticalScroll(id="fields"):
                for i, row in enumerate(self.rows):
                    with Horizontal(classes="field-row"):
                        mark = " *" if row.yours else ""
                        yield Static(Text(f"{row.name}{mark}"), classes="field-name")
                        yield Input(row.text, id=f"field-{i}", compact=True)
                    if row.source_text is not None:
                        yield Static(Text(safe_lines(
                            f"{row.source or 'a source'} says: {row.source_text}")),
                            classes="field-source")
            yield Static("* yours: sources never change it", classes="hint")
            yield keys_line(("ctrl+s", "save"), ("tab", "next field"), ("esc", "cancel"))

    def on_mount(self) -> None:
        if self.rows:
            self.query_one("#field-0", Input).focus()

    def changed(self) -> list[tuple[str, str]]:
        out = []
        for i, row in enumerate(self.rows):
            text = self.query_one(f"#field-{i}", Input).value
            if text != row.text:
                out.append((row.name, text))
        return out

    def action_save(self) -> None:
        self.dismiss(self.changed())

    def action_cancel(self) -> None:
        discard_or_stay(self, changed=bool(self.changed()), what="the changed fields")
