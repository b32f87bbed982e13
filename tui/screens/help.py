"""The help screen: every key by task, what it does, and (i shows them) the binding id to remap
it in config.toml."""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.bindings import KEY_NAMES
from tui.themes import theme_style


def key_display(keys: str) -> str:
    names = {**KEY_NAMES, "space": "space", "ctrl+z": "ctrl+z"}
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def help_table(groups: Iterable[tuple[str, list[Binding]]], keymap: dict[str, str],
               *, show_ids: bool = True, muted: Style | str = "dim") -> Table:
    table = Table(box=None, expand=True, padding=(0, 1), show_header=True,
                  header_style="bold")
    table.add_column("Key", no_wrap=True, style="bold")
    table.add_column("Does", ratio=1)
    if show_ids:
        table.add_column(Text("Binding id (for [keys])"), style=muted, no_wrap=True)
    for title, bindings in groups:
        table.add_row(Text(title, style="bold underline"), "", *([""] if show_ids else []))
        for binding in bindings:
            keys = keymap.get(binding.id or "", binding.key)
            table.add_row(key_display(keys), binding.description or binding.action,
                          *([binding.id or ""] if show_ids else []))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close"),
                Binding("i", "toggle_ids", "Show/hide binding ids", id="help.ids")]

    def __init__(self, groups: list[tuple[str, list[Binding]]], keymap: dict[str, str]) -> None:
        super().__init__()
        self.groups, self.keymap = groups, keymap
        self.show_ids = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="help"):
            yield Label("papershelf keys (ctrl+p: every command by name)", classes="title")
            with VerticalScroll():
                yield Static(self._table(), id="help-table")
            yield Static(Text("esc close · ↑↓ scroll · i binding ids (remap a key by its id in "
                              "config.toml [keys])"), classes="hint")

    def action_toggle_ids(self) -> None:
        self.show_ids = not self.show_ids
        self.query_one("#help-table", Static).update(self._table())

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _table(self) -> Table:
        # The ids in the theme's muted text colour (a Rich table cannot use CSS variables).
        return help_table(self.groups, self.keymap, show_ids=self.show_ids,
                          muted=theme_style(self.app, "text-muted"))

    def _restyle(self, _theme: object) -> None:
        self.query_one("#help-table", Static).update(self._table())

    def action_close(self) -> None:
        self.dismiss(None)
