"""The help screen: every key, what it does, and the binding id to remap it in config.toml."""

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

from tui.themes import theme_style


def key_display(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "space": "space", "escape": "esc",
             "ctrl+z": "ctrl+z", "full_stop": "."}
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def help_table(groups: Iterable[tuple[str, list[Binding]]], keymap: dict[str, str],
               muted: Style | str = "dim") -> Table:
    table = Table(box=None, expand=True, padding=(0, 1), show_header=True,
                  header_style="bold")
    table.add_column("Key", no_wrap=True, style="bold")
    table.add_column("Does")
    table.add_column(Text("Binding id (for [keys])"), style=muted, no_wrap=True)
    for title, bindings in groups:
        table.add_row(Text(title, style="bold underline"), "", "")
        for binding in bindings:
            keys = keymap.get(binding.id or "", binding.key)
            table.add_row(key_display(keys), binding.description or binding.action,
                          binding.id or "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, groups: list[tuple[str, list[Binding]]], keymap: dict[str, str]) -> None:
        super().__init__()
        self.groups, self.keymap = groups, keymap

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="help"):
            yield Label("papershelf keys (ctrl+p: every command by name)", classes="title")
            with VerticalScroll():
                yield Static(self._table(), id="help-table")
            yield Static(Text("esc close · ↑↓ scroll · remap any key in config.toml [keys] by its id"),
                         classes="hint")

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _table(self) -> Table:
        # The ids in the theme's muted text colour (a Rich table cannot use CSS variables).
        return help_table(self.groups, self.keymap, theme_style(self.app, "text-muted"))

    def _restyle(self, _theme: object) -> None:
        self.query_one("#help-table", Static).update(self._table())

    def action_close(self) -> None:
        self.dismiss(None)
