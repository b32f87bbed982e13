"""The command palette, the help screen and the stats view (pull from the palette: test_app_pull.py;
export tag: test_app_export.py)."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from storage import ops
from storage.views import View
from tests.support.app import notifications, press, screen_text, settle, type_text
from tui.screens.dialogs import ExportDialog, InputDialog
from tui.screens.help import HelpScreen
from tui.screens.keys import binding_groups, binding_ids
from tui.screens.stats import StatsScreen


async def palette(pilot, text: str) -> str:
    await press(pilot, "ctrl+p")
    assert isinstance(pilot.app.screen, CommandPalette)
    await type_text(pilot, text)
    return screen_text(pilot.app)


@pytest.mark.slow  # one of the slowest of the fast lane (--durations)
async def test_palette_runs_actions_and_opens_papers_by_title(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = await palette(pilot, "residual")
        assert "Open: Deep Residual Learning for Image Recognition" in text
        await press(pilot, "enter")
        assert app.main.papers.paper_id == sample["Deep Residual Learning for Image Recognition"]
        assert "Deep Residual Learning for Image Recognition · 1 result" in screen_text(app)
        # "Open paper…" asks for a title in a second palette.
        await palette(pilot, "open paper")
        await press(pilot, "enter")
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "lora")
        await press(pilot, "enter")
        assert app.main.papers.paper_id == sample["LoRA: Low-Rank Adaptation of Large Language Models"]
        # esc leaves the opened paper: back to the view it was opened from.
        await press(pilot, "escape")
        assert "Inbox · 5 papers" in screen_text(app) and app.main.results is None
        await palette(pilot, "open paper")
        await press(pilot, "enter")
        await type_text(pilot, "lora")
        await press(pilot, "enter")
        # Every action is a command: "star" stars the paper under the cursor.
        text = await palette(pilot, "star")
        assert "key: s" in text
        await press(pilot, "enter")
        with lib.read() as session:
            assert ops.find_paper(session, ref="hu2021lora").starred is True
        # Views and themes.
        await palette(pilot, "show queue")
        await press(pilot, "enter")
        assert app.main.view == View("queued")
        await palette(pilot, "theme: nord")
        await press(pilot, "enter")
        assert app.theme == "nord"


@pytest.mark.slow  # one of the slowest of the fast lane (--durations)
async def test_palette_opens_papers_fuzzily(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # Fuzzy, through the search engine: typos find the paper meant, best first.
        await palette(pilot, "open paper")
        await press(pilot, "enter")
        await type_text(pilot, "mixtrl of expert")
        assert "Mixtral of Experts" in screen_text(app)
        await press(pilot, "enter")
        assert app.main.papers.paper_id == sample["Mixtral of Experts"]
        assert "Mixtral of Experts · 1 result" in screen_text(app)
        text = await palette(pilot, "resdual lerning")
        assert "Open: Deep Residual Learning for Image Recognition" in text
        await press(pilot, "enter")
        assert app.main.papers.paper_id == sample["Deep Residual Learning for Image Recognition"]
        # A query the language cannot use yet (typing "year:2024") offers no paper, no error.
        text = await palette(pilot, "year:2")
        assert "Open:" not in text
        assert notifications(app) == []
        await press(pilot, "escape")


async def test_help_lists_every_key_with_its_id(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        from tui.screens.help import help_table

        table = help_table(app.screen.groups, app.screen.keymap)
        console = Console(width=96, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        console.print(table)
        text = console.export_text()
        for _group, bindings in binding_groups():
            for binding in bindings:
                assert binding.id and binding.id in text, binding
        shown = screen_text(app)
        assert "y" in shown and "Keep" in shown  # grouped by task; ids on i (test_keys_layout)
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
    assert {"paper.keep", "paper.dismiss", "app.undo", "note.edit", "editor.save",
            "tags.complete", "list.down"} <= binding_ids()


async def test_stats_show_weeks_tags_and_backlog(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "S")
        assert isinstance(app.screen, StatsScreen)
        stats = app.screen.stats
        assert stats.weeks[-1] == "2024-01-15"  # the week of the frozen today
        assert stats.added[-1] == 10 and sum(stats.added) == 10
        assert stats.read[-1] == 1
        assert stats.top_tags[0] == ("to-cite", 2)
        text = screen_text(app)
        assert "5 papers wait in the inbox (oldest pulled 2024-01-09)" in text
        assert "10 papers in the library (dismissed ones aside), 1 read" in text
        assert "#to-cite" in text


def test_every_binding_has_an_id():
    from textual.binding import Binding

    from tui.app import MainScreen
    from tui.screens.dialogs import (
        ConfirmDialog,
        PreviewScreen,
        TagDialog,
    )
    from tui.screens.help import HelpScreen
    from tui.screens.note_editor import NoteEditor
    from tui.screens.stats import StatsScreen
    from tui.widgets.detail import DetailPane, NoteCard
    from tui.widgets.paper_list import PaperList
    from tui.widgets.sidebar import ViewList

    classes = [MainScreen, ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, TagDialog,
               HelpScreen, NoteEditor, StatsScreen, DetailPane, NoteCard, PaperList, ViewList]
    seen: dict[str, str] = {}
    for cls in classes:
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding) and binding.id, (cls.__name__, binding)
            assert seen.setdefault(binding.id, cls.__name__) == cls.__name__ or \
                binding.id == "dialog.cancel", binding.id
    assert set(seen) <= binding_ids()
