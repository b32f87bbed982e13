"""Small dialogs: confirm, one line of input, tags, export, a text preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from tui.config import EXPORT_STYLES, Config
from tui.safe_text import safe_lines
from tui.services.export import ExportRequest, ExportTarget


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y or enter says yes, n or esc says no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm"):
            yield Static(Text(safe_lines(self.question)), id="confirm-question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class InputDialog(ModalScreen[str | None]):
    """One line of text (a new key, a date); enter accepts, esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, prompt: str, *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.prompt, self.value, self.placeholder = prompt, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="input-dialog"):
            yield Label(Text(safe_lines(self.prompt)))
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield Static("enter accepts · esc cancels", classes="hint")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------- tags


@dataclass
class TagChange:
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


def parse_tags(text: str) -> list[tuple[str, str]]:
    """``"llm, -old, +rlhf"`` -> ``[("+", "llm"), ("-", "old"), ("+", "rlhf")]``."""
    out = []
    for part in text.split(","):
        token = " ".join(part.split())
        sign = "+"
        if token[:1] in "+-" and token:
            sign, token = token[0], token[1:].strip()
        if token:
            out.append((sign, token))
    return out


def suggest_tags(typed: str, known: list[str], *, limit: int = 8) -> list[str]:
    """Existing tags that complete ``typed``: prefixes first, then fuzzy matches."""
    query = typed.strip().lower()
    if not query:
        return known[:limit]
    scored = process.extract(query, known, scorer=fuzz.WRatio, processor=str.lower,
                             limit=None, score_cutoff=50)
    ranked = sorted(scored, key=lambda m: (not m[0].lower().startswith(query), -m[1], m[0]))
    return [m[0] for m in ranked[:limit]]


class TagDialog(ModalScreen[TagChange | None]):
    """Add and remove several tags at once, with fuzzy completion of the existing ones.

    Type a tag (``-tag`` removes); tab completes the highlighted suggestion; enter adds what was
    typed to the changes; enter on an empty line (or ctrl+s) applies them."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="tags.apply"),
        Binding("tab", "complete", "Complete", id="tags.complete"),
        Binding("down", "suggestion(1)", "Next suggestion", show=False, id="tags.next"),
        Binding("up", "suggestion(-1)", "Previous suggestion", show=False, id="tags.previous"),
    ]

    def __init__(self, *, count: int, on_all: list[str], on_some: list[str],
                 known: list[str]) -> None:
        super().__init__()
        self.count = count
        self.on_all, self.on_some, self.known = on_all, on_some, known
        self.change = TagChange()

    def compose(self) -> ComposeResult:
        what = "this paper" if self.count == 1 else f"{self.count} marked papers"
        with Vertical(classes="dialog", id="tag-dialog"):
            yield Label(Text(safe_lines(f"Tags for {what}")), classes="title")
            yield Static(self._current(), id="tags-current")
            yield Input(placeholder="tag, or -tag to remove (commas for several)",
                        id="tag-input")
            yield OptionList(id="tag-suggestions")
            yield Static(self._pending(), id="tags-pending")
            yield Static("tab completes · enter adds to the list · enter on an empty line "
                         "applies · esc cancels", classes="hint")

    def on_mount(self) -> None:
        self._suggest("")

    # Content, not Text: its colours are the theme's ($foreground-muted...), readable in every theme.
    def _current(self) -> Content:
        parts: list[str | tuple[str, str]] = [("on all: ", "$foreground-muted"),
                                              ", ".join(self.on_all) or "(none)"]
        if self.on_some:
            parts += [("   on some: ", "$foreground-muted"), ", ".join(self.on_some)]
        return Content.assemble(*parts)

    def _pending(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        if not self.change:
            parts.append(("no changes yet", "$foreground-muted"))
        parts += [(f"+{name} ", "$text-success") for name in self.change.add]
        parts += [(f"-{name} ", "$text-error") for name in self.change.remove]
        return Content.assemble(*parts)

    def _suggest(self, typed: str) -> None:
        token = typed.rsplit(",", 1)[-1].strip()
        removing = token.startswith("-")
        word = token.lstrip("+-")
        pool = (self.on_all + self.on_some) if removing else self.known
        names = suggest_tags(word, pool)
        suggestions = self.query_one("#tag-suggestions", OptionList)
        suggestions.set_options([Option(("-" if removing else "") + n, id=n) for n in names])
        if names:
            suggestions.highlighted = 0

    @on(Input.Changed, "#tag-input")
    def typed(self, event: Input.Changed) -> None:
        self._suggest(event.value)

    def action_suggestion(self, step: int) -> None:
        suggestions = self.query_one("#tag-suggestions", OptionList)
        if suggestions.option_count:
            current = suggestions.highlighted or 0
            suggestions.highlighted = (current + step) % suggestions.option_count

    def action_complete(self) -> None:
        suggestions = self.query_one("#tag-suggestions", OptionList)
        option = suggestions.highlighted_option
        if option is None:
            return
        box = self.query_one("#tag-input", Input)
        head, _, token = box.value.rpartition(",")
        sign = "-" if token.strip().startswith("-") else ""
        prefix = (head + ", ") if head else ""
        box.value = f"{prefix}{sign}{option.id}"
        box.cursor_position = len(box.value)

    def _take(self, text: str) -> None:
        for sign, name in parse_tags(text):
            low = name.lower()
            self.change.add = [n for n in self.change.add if n.lower() != low]
            self.change.remove = [n for n in self.change.remove if n.lower() != low]
            (self.change.add if sign == "+" else self.change.remove).append(name)
        self.query_one("#tags-pending", Static).update(self._pending())

    @on(Input.Submitted, "#tag-input")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._take(event.value)
            event.input.value = ""
        else:
            self.action_apply()

    def action_apply(self) -> None:
        box = self.query_one("#tag-input", Input)
        if box.value.strip():
            self._take(box.value)
        self.dismiss(self.change if self.change else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------- export


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Where and how to export: a preview, a file, or a merge into the configured refs.bib."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "export", "Export", id="export.run"),
    ]

    def __init__(self, paper_ids: list[int], *, config: Config, what: str) -> None:
        super().__init__()
        self.paper_ids = paper_ids
        self.config = config
        self.what = what

    def compose(self) -> ComposeResult:
        merge_file = self.config.export_file
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label(Text(safe_lines(f"Export {self.what} as BibTeX")), classes="title")
            with RadioSet(id="export-target"):
                yield RadioButton("Preview here", id="target-preview", value=True)
                yield RadioButton("Write a file", id="target-file")
                yield RadioButton(
                    Text(f"Merge into {merge_file}" if merge_file else
                         "Merge into refs.bib (set [export] file in config.toml)"),
                    id="target-merge", disabled=merge_file is None)
            yield Label("File")
            yield Input(str(merge_file or "refs.bib"), id="export-path")
            yield Label("Style")
            with RadioSet(id="export-style"):
                for style in EXPORT_STYLES:
                    yield RadioButton(style, id=f"style-{style}",
                                      value=style == self.config.export_style)
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export", variant="primary")
                yield Button("Cancel", id="cancel")

    def _chosen(self, radio_set: str, prefix: str) -> str | None:
        """The choice of a radio set, also just after a key turned a button on (the set hears
        of it a message later, so a quick ctrl+s must not read its old choice)."""
        radios = self.query_one(radio_set, RadioSet)
        on = [b for b in radios.query(RadioButton) if b.value]
        newest = [b for b in on if b is not radios.pressed_button] or on
        return (newest[0].id or "").removeprefix(prefix) if newest else None

    def _target(self) -> ExportTarget:
        name = self._chosen("#export-target", "target-")
        return "file" if name == "file" else "merge" if name == "merge" else "preview"

    def action_export(self, target: ExportTarget | None = None) -> None:
        target = target or self._target()
        style = self._chosen("#export-style", "style-") or self.config.export_style
        path: Path | None = None
        if target == "file":
            text = self.query_one("#export-path", Input).value.strip()
            if not text:
                self.notify("Name the file to write", severity="error")
                return
            path = Path(text).expanduser()
        elif target == "merge":
            path = self.config.export_file
        self.dismiss(ExportRequest(list(self.paper_ids), target, style=style, path=path))

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self.action_export()
        else:
            self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    def path_entered(self) -> None:
        self.query_one("#target-file", RadioButton).value = True
        self.action_export("file")

    def action_cancel(self) -> None:
        self.dismiss(None)


class PreviewScreen(ModalScreen[None]):
    """Read-only text (a BibTeX preview); c copies it, esc closes."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="preview.close"),
        Binding("c", "copy", "Copy", id="preview.copy"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="preview"):
            yield Label(Text(safe_lines(self.title_text)), classes="title")
            yield TextArea(self.text, read_only=True, id="preview-text")
            yield Static("c copies · esc closes", classes="hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("Copied to the clipboard")

    def action_close(self) -> None:
        self.dismiss(None)
