"""Small dialogs: confirm, one line of input, tags, export, a text preview."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
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


def keys_line(*pairs: tuple[str, str]) -> Static:
    """The line every dialog shows with its keys: ``enter apply · tab complete · esc cancel``."""
    return Static(Text(" · ".join(f"{key} {does}".strip() for key, does in pairs)), classes="hint keys")


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y (or enter on the focused answer) says yes, n or esc says no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No",
                 default: bool = True) -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm"):
            yield Static(Text(safe_lines(self.question)), id="confirm-question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button(f"{self.no} (n)", id="no")
            yield keys_line(("y", self.yes.lower()), ("n/esc", self.no.lower()),
                            ("enter", "the highlighted one"))

    def on_mount(self) -> None:
        self.query_one("#yes" if self.default else "#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class InputDialog(ModalScreen[str | None]):
    """One line of text (a new key, a date); enter accepts, esc cancels (asking first when the
    text was changed)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, prompt: str, *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.prompt, self.value, self.placeholder = prompt, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="input-dialog"):
            yield Label(Text(safe_lines(self.prompt)))
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield keys_line(("enter", "accept"), ("esc", "cancel"))

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        typed = self.query_one("#dialog-input", Input).value
        discard_or_stay(self, changed=typed.strip() != self.value.strip(), what="the typed text")


def discard_or_stay(screen: ModalScreen[Any], *, changed: bool, what: str) -> None:
    """esc in a dialog: close it at once when nothing was typed, else ask first (y discards and
    closes, n or esc goes back to the dialog with what was typed)."""
    if not changed:
        screen.dismiss(None)
        return

    def answered(discard: bool | None) -> None:
        if discard:
            screen.dismiss(None)

    screen.app.push_screen(ConfirmDialog(f"Discard {what}?", yes="Discard", no="Keep editing",
                                         default=False), answered)


# ---------------------------------------------------------------- tags


@dataclass
class TagChange:
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


_SEPARATORS = re.compile(r"[,\s]+")


def parse_tags(text: str) -> list[tuple[str, str]]:
    """``"llm, -old +rlhf"`` -> ``[("+", "llm"), ("-", "old"), ("+", "rlhf")]``: tags are
    separated by commas or spaces; ``-tag`` removes, ``+tag`` (or just ``tag``) adds."""
    out = []
    for token in _SEPARATORS.split(text):
        sign = "+"
        if token[:1] in ("+", "-"):
            sign, token = token[0], token[1:]
        if token:
            out.append((sign, token))
    return out


def tag_change(text: str) -> TagChange:
    """What ``text`` asks for; a later mention of a tag wins over an earlier one."""
    change = TagChange()
    for sign, name in parse_tags(text):
        low = name.lower()
        change.add = [n for n in change.add if n.lower() != low]
        change.remove = [n for n in change.remove if n.lower() != low]
        (change.add if sign == "+" else change.remove).append(name)
    return change


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

    Type tags separated by commas or spaces (``-tag`` removes); tab completes the word being
    typed with the highlighted suggestion; enter applies everything typed; esc cancels (asking
    first when something was typed)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "apply", "Apply", show=False, id="tags.apply"),
        Binding("tab", "complete", "Complete", id="tags.complete"),
        Binding("down", "suggestion(1)", "Next suggestion", show=False, id="tags.next"),
        Binding("up", "suggestion(-1)", "Previous suggestion", show=False, id="tags.previous"),
    ]

    def __init__(self, *, count: int, on_all: list[str], on_some: list[str],
                 known: list[str]) -> None:
        super().__init__()
        self.count = count
        self.on_all, self.on_some, self.known = on_all, on_some, known

    def compose(self) -> ComposeResult:
        what = "this paper" if self.count == 1 else f"{self.count} marked papers"
        with Vertical(classes="dialog", id="tag-dialog"):
            yield Label(Text(safe_lines(f"Tags for {what}")), classes="title")
            yield Static(self._current(), id="tags-current")
            yield Input(placeholder="tags to add, -tag to remove (commas or spaces between)",
                        id="tag-input")
            yield OptionList(id="tag-suggestions")
            yield Static(self._pending(TagChange()), id="tags-pending")
            yield keys_line(("enter", "apply"), ("tab", "complete"), ("↑↓", "suggestion"),
                            ("esc", "cancel"))

    def on_mount(self) -> None:
        self._suggest("")

    # Content, not Text: its colours are the theme's ($foreground-muted...), readable in every theme.
    def _current(self) -> Content:
        parts: list[str | tuple[str, str]] = [("on all: ", "$foreground-muted"),
                                              ", ".join(self.on_all) or "(none)"]
        if self.on_some:
            parts += [("   on some: ", "$foreground-muted"), ", ".join(self.on_some)]
        return Content.assemble(*parts)

    @staticmethod
    def _pending(change: TagChange) -> Content:
        if not change:
            return Content.styled("enter applies what you type", "$foreground-muted")
        parts: list[str | tuple[str, str]] = [("enter applies: ", "$foreground-muted")]
        parts += [(f"+{name} ", "$text-success") for name in change.add]
        parts += [(f"-{name} ", "$text-error") for name in change.remove]
        return Content.assemble(*parts)

    def _suggest(self, typed: str) -> None:
        token = _SEPARATORS.split(typed)[-1]
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
        self.query_one("#tags-pending", Static).update(self._pending(tag_change(event.value)))

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
        token = _SEPARATORS.split(box.value)[-1]
        head = box.value[:len(box.value) - len(token)]
        sign = "-" if token.startswith("-") else ""
        box.value = f"{head}{sign}{option.id}"
        box.cursor_position = len(box.value)

    @on(OptionList.OptionSelected, "#tag-suggestions")
    def picked(self, event: OptionList.OptionSelected) -> None:
        """A suggestion clicked (or entered): it completes the word being typed."""
        event.option_list.highlighted = event.option_index
        self.action_complete()
        self.query_one("#tag-input", Input).focus()

    @on(Input.Submitted, "#tag-input")
    def submitted(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        change = tag_change(self.query_one("#tag-input", Input).value)
        self.dismiss(change if change else None)

    def action_cancel(self) -> None:
        typed = self.query_one("#tag-input", Input).value
        discard_or_stay(self, changed=bool(typed.strip()), what="the typed tags")


# ---------------------------------------------------------------- export


class ChoiceSet(RadioSet):
    """A radio set whose enter chooses the highlighted choice and acts (posts :class:`Chosen`);
    space only turns it on. Disabled choices are skipped by the arrows and cannot be chosen."""

    BINDINGS = [Binding("enter", "choose", "Choose", show=False, id="choice.choose")]

    class Chosen(Message):
        def __init__(self, choice_set: ChoiceSet, button: RadioButton) -> None:
            super().__init__()
            self.choice_set, self.button = choice_set, button

        @property
        def control(self) -> ChoiceSet:
            return self.choice_set

    def action_choose(self) -> None:
        buttons = list(self.query(RadioButton))
        index = self._selected
        if index is None or not 0 <= index < len(buttons):
            return
        button = buttons[index]
        if button.disabled:
            return
        button.value = True
        self.post_message(self.Chosen(self, button))


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Where and how to export: a preview, a file, or a merge into the configured refs.bib.
    Enter on a choice exports with it; enter in the file name writes that file."""

    DEFAULT_CSS = """
    ExportDialog RadioButton:disabled { text-style: italic; color: $text-muted; }
    ExportDialog #export-file-row { height: 1; margin: 1 0; }
    ExportDialog #export-file-row Label { width: auto; padding-right: 1; }
    ExportDialog #export-path { width: 1fr; }
    ExportDialog ChoiceSet { border-title-color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "export", "Export", show=False, id="export.run"),
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
            with ChoiceSet(id="export-target") as targets:
                targets.border_title = "Export to"
                yield RadioButton("Preview here", id="target-preview", value=True)
                yield RadioButton("Write a file", id="target-file")
                yield RadioButton(
                    Text(f"Merge into {merge_file}" if merge_file else
                         "Merge into refs.bib: needs [export] file in config.toml"),
                    id="target-merge", disabled=merge_file is None)
            with Horizontal(id="export-file-row"):
                yield Label("File")
                yield Input(str(merge_file or "refs.bib"), id="export-path", compact=True)
            with ChoiceSet(id="export-style") as styles:
                styles.border_title = "Style"
                for style in EXPORT_STYLES:
                    yield RadioButton(style, id=f"style-{style}",
                                      value=style == self.config.export_style)
            with Horizontal(classes="buttons", id="export-buttons"):
                yield Button("Export", id="export", variant="primary")
                yield Button("Cancel", id="cancel")
            yield keys_line(("↑↓", "choose"), ("enter", "export"), ("tab", "next"),
                            ("esc", "cancel"))

    def on_mount(self) -> None:
        # At 80x24 every line counts: the keys line must show under the buttons. (Inline
        # styles: the app's .dialog rules would win over DEFAULT_CSS.)
        for widget in (self.query_one("#export-buttons"), self.query_one(".keys")):
            widget.styles.margin = (0, 0, 0, 0)

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
            if self.config.export_file is None:
                self.notify("Merging needs a file: set [export] file in config.toml",
                            severity="warning")
                return
            path = self.config.export_file
        self.dismiss(ExportRequest(list(self.paper_ids), target, style=style, path=path))

    @on(ChoiceSet.Chosen)
    def chosen(self) -> None:
        self.action_export()

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
        typed = self.query_one("#export-path", Input).value
        discard_or_stay(self, changed=typed != str(self.config.export_file or "refs.bib"),
                        what="the file name you typed")


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
            yield keys_line(("c", "copy"), ("esc", "close"))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("Copied to the clipboard")

    def action_close(self) -> None:
        self.dismiss(None)
