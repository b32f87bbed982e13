"""The command palette (ctrl+p): every action by name, the views, "open paper..." (fuzzy, by the
search engine), "pull a date...", "export tag...", and the themes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from reader.errors import BadInput
from storage import views
from storage.views import View
from tui.bindings import LIBRARY_KEYS, MARK_KEYS, PAPER_KEYS, TRIAGE_KEYS
from tui.words import count as count_of

if TYPE_CHECKING:
    from tui.messages import Shelf
    from tui.screens.main import MainScreen

Command = tuple[str, str, Callable[[], Any]]  # name, help, callback
PAPER_HITS = 20  # papers offered per query


def _main(provider: Provider) -> MainScreen | None:
    from tui.screens.main import MainScreen

    app = provider.app
    for screen in reversed(app.screen_stack):
        if isinstance(screen, MainScreen):
            return screen
    return None


def _shelf(provider: Provider) -> Shelf:
    return cast("Shelf", provider.app)


class PaperCommands(Provider):
    """Every action of the main screen, the views, papers by title, tags to export, themes."""

    def _commands(self) -> Iterator[Command]:
        main = _main(self)
        if main is None:
            return
        yield ("Open paper…", "Find a paper (typos and all) and show it",
               partial(self.app.push_screen, CommandPalette(
                   providers=[OpenPaperProvider], placeholder="Open paper: type its title…")))
        yield ("Pull a date…", "Pull the Daily Papers of a day you name", main.ask_pull_date)
        yield ("Export tag…", "Export every paper with a tag as BibTeX",
               partial(self.app.push_screen, CommandPalette(
                   providers=[ExportTagProvider], placeholder="Export tag: type its name…")))
        for binding in [*LIBRARY_KEYS, *TRIAGE_KEYS, *PAPER_KEYS, *MARK_KEYS]:
            if not isinstance(binding, Binding) or binding.action in ("escape",):
                continue
            if main.check_action(binding.action.split("(")[0], ()) is False:
                continue
            keys = _shelf(self).keymap.get(binding.id or "", binding.key)
            yield (binding.description, f"key: {keys}",
                   partial(self.app.run_action, binding.action, main))
        counts = main.counts
        for view in [View("inbox"), View("queued"), View("reading"), View("read"),
                     View("starred"), View("all")]:
            n = counts.of(view) if counts else 0
            yield (f"Show {view.title}", count_of(n, "paper"), partial(main.show_view, view))
        if counts:
            for name, n in counts.tags:
                yield (f"Show #{name}", count_of(n, "paper"), partial(main.show_view, View("tag", name)))
            for day, n, _inbox in counts.days[:30]:
                yield (f"Show day {day}", count_of(n, "paper"), partial(main.show_view, View("day", day)))
        for theme in sorted(self.app.available_themes):
            yield (f"Theme: {theme}", "Switch the colour theme",
                   partial(setattr, self.app, "theme", theme))

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if name.startswith(("Show day", "Theme:", "Show #")):
                continue
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        if len(query.strip()) >= 3:
            async for hit in paper_hits(self, query, prefix="Open: ", weight=0.9):
                yield hit


async def paper_hits(provider: Provider, query: str, *, prefix: str = "",
                     weight: float = 1.0) -> Hits:
    """The papers the search engine finds for ``query`` (typos and all), as palette hits in
    the engine's order."""
    main = _main(provider)
    if main is None:
        return
    shelf = _shelf(provider)

    def find() -> list[views.Row]:
        ids = shelf.services.search(query, limit=PAPER_HITS)
        with shelf.lib.read() as session:
            rows = views.rows_for(session, ids=ids)
        return [rows[i] for i in ids if i in rows]

    try:
        rows = await asyncio.to_thread(find)
    except BadInput:  # a query the language cannot use (yet, while typing): no paper hits
        return
    matcher = provider.matcher(query)
    for rank, row in enumerate(rows):
        label = f"{prefix}{row.title}"
        yield Hit(weight * (0.9 - rank * 0.9 / PAPER_HITS),
                  matcher.highlight(label) if prefix == "" else label,
                  partial(main.open_paper, row.id, row.title),
                  text=label, help=f"{row.first_author} {row.year or ''} · {row.key}")


class OpenPaperProvider(Provider):
    async def search(self, query: str) -> Hits:
        if query.strip():
            async for hit in paper_hits(self, query):
                yield hit


class ExportTagProvider(Provider):
    def _tags(self) -> list[tuple[str, int]]:
        main = _main(self)
        return main.counts.tags if main is not None and main.counts else []

    async def discover(self) -> Hits:
        main = _main(self)
        if main is None:
            return
        for name, n in self._tags():
            yield DiscoveryHit(f"#{name}", partial(main.export_tag, name), help=count_of(n, "paper"))

    async def search(self, query: str) -> Hits:
        main = _main(self)
        if main is None:
            return
        matcher = self.matcher(query)
        for name, n in self._tags():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(f"#{name}"), partial(main.export_tag, name),
                          text=f"#{name}", help=count_of(n, "paper"))
