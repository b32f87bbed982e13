"""The Textual app: triage the day's papers, read, tag, annotate, search as you type, mark, export.

The app is thin: it holds the configuration (theme, keymap), watches the library for changes
made elsewhere, and is the one place worker errors become messages. What it shows is the main
screen (:mod:`tui.screens.main`); what it does to the library goes through
:mod:`tui.services` (the same use cases as the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from reader.errors import BadInput, PapershelfError
from storage import views
from storage.db import Library, utcnow
from tui.config import Config, load_config, save_ui
from tui.screens.main import MainScreen
from tui.services.facade import Services
from tui.themes import readable_variables

if TYPE_CHECKING:
    from textual.command import Provider

__all__ = ["MainScreen", "PapershelfApp", "run_app"]


class PapershelfApp(App[None]):
    """papershelf's terminal UI."""

    TITLE = "papershelf"

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every message is plain text: a toast naming a paper shows its title as it is, and
        markup in a title (``[@click=...]``) never runs."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {lambda: _paper_commands()}
    # Below 100 columns the sidebar collapses (shown by b or v, it is the slim one); from 140
    # the detail pane is beside the list.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (140, "-wide")]
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
        self._theme_applied = False  # from here on, a theme change is the user's: saved

    def get_css_variables(self) -> dict[str, str]:
        # Every theme's text colours nudged to WCAG AA on the app's backgrounds (tui/themes.py).
        self.theme_variables = readable_variables(super().get_css_variables())
        return self.theme_variables

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
            self.set_interval(self.POLL_SECONDS, self.poll_changes)
        if self.problems:
            self.notify("\n".join(self.problems), title="config.toml: using defaults for",
                        severity="warning", timeout=20)

    def poll_changes(self) -> None:
        """What the timer runs every second: the line saying the library's server is away (the
        watcher reconnects by itself), then the main screen's reload if anything changed."""
        watcher = self.watcher
        if watcher is None:
            return
        self.show_connection(watcher.status)
        self.main.poll_changes()

    def show_connection(self, status: str | None) -> None:
        from tui.widgets.connection_status import ConnectionStatus

        shown = self.main.query(ConnectionStatus)
        if status is None:
            shown.remove()
        elif shown:
            shown.first().update(status)
        else:
            self.main.mount(ConnectionStatus(status, id="connection-status", markup=False))

    def _apply_config(self) -> None:
        from tui.bindings import PRESETS
        from tui.screens.keys import binding_ids  # the dialogs load when first needed

        config = self.config
        if config.theme:
            if config.theme in self.available_themes:
                self.theme = config.theme
            else:
                self.problems.append(
                    f"{config.where('ui.theme')}: unknown theme {config.theme!r} (known: "
                    f"{', '.join(sorted(self.available_themes))})")
        self._theme_applied = True
        known = binding_ids() if config.keys else set()
        keymap = dict(PRESETS.get(config.preset, {}))
        for binding_id, keys in config.keys.items():
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                self.problems.append(f"{config.where('keys.' + binding_id)}: unknown binding id "
                                     f"{binding_id!r} in [keys] (? lists them)")
        self.keymap = keymap
        self.problems += _clashes(keymap, set(config.keys), config)
        if keymap:
            self.set_keymap(keymap)

    def watch_theme(self, theme: str) -> None:
        """A theme picked in the palette is saved to config.toml, used at the next start."""
        if self._theme_applied and theme != self.config.theme:
            self.config.theme = theme
            self.save_ui(theme=theme)

    def save_ui(self, **settings: object) -> bool:
        """Save ``[ui]`` settings to the user's config.toml (their comments and other settings
        kept); a file that cannot be written is said once, the app goes on. Settings not read
        from a file (a ``Config`` made in code, as tests do) are kept for the session only."""
        path = self.config.path
        if path is None:
            return False
        try:
            save_ui(path, **settings)
        except BadInput as error:
            self.notify(str(error), title="Setting not saved", severity="warning", timeout=8)
            return False
        return True

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


def _clashes(keymap: dict[str, str], own: set[str], config: Config) -> list[str]:
    """A key of the user's [keys] that another key of the list or the main screen already has:
    one of the two would never run (the list's keys win where both apply)."""
    from tui.bindings import KEY_NAMES, MAIN_KEYS
    from tui.widgets.paper_list import PaperList

    holders: dict[str, list[str]] = {}
    for binding in [*MAIN_KEYS, *PaperList.BINDINGS]:
        if isinstance(binding, Binding) and binding.id:
            for key in keymap.get(binding.id, binding.key).split(","):
                holders.setdefault(key.strip(), []).append(binding.id)
    problems = []
    for key, ids in holders.items():
        mine = [i for i in ids if i in own]
        if len(ids) > 1 and mine:
            others = ", ".join(i for i in ids if i != mine[0])
            problems.append(f"{config.where('keys.' + mine[0])}: [keys] {mine[0]}: "
                            f"{KEY_NAMES.get(key, key)!r} is also the key of {others} "
                            f"(remap that one too)")
    return problems


def _paper_commands() -> type[Provider]:
    from tui.commands import PaperCommands

    return PaperCommands


def run_app(lib: Library) -> None:
    """Open the app on ``lib`` with the user's config.toml."""
    config, problems = load_config()
    PapershelfApp(lib, config=config, problems=problems).run()
