"""Every key of the app, grouped by task as the help screen shows them (triage, reading,
search, library, moving around, the app itself, then the dialogs' own keys), and every binding
id config.toml [keys] may remap."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.binding import Binding

from tui.bindings import MAIN_KEYS, PALETTE_KEY
from tui.screens.dialogs import ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, TagDialog
from tui.screens.help import HelpScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.stats import StatsScreen
from tui.widgets.detail import DetailPane, NoteCard
from tui.widgets.paper_list import PaperList
from tui.widgets.sidebar import ViewList

# The main screen's keys by task: binding ids, in the order shown. A test checks that every
# key of the main screen, the list and the sidebar is in one of them.
TASKS: list[tuple[str, list[str]]] = [
    ("Triage (the inbox)", ["paper.keep", "paper.dismiss", "paper.dismiss_day", "paper.tag",
                            "paper.inbox", "app.pull", "app.undo"]),
    ("Reading", ["paper.detail", "paper.reading", "paper.read", "paper.star",
                 *[f"paper.rate_{n}" for n in range(6)], "paper.note", "paper.open",
                 "paper.open_pdf"]),
    ("Search", ["app.search", "app.clear", "app.palette"]),
    ("Library", ["paper.mark", "paper.export", "paper.copy_key", "paper.copy_bibtex",
                 "paper.rename_key", "paper.edit_fields", "app.import_bib", "app.import_page",
                 "app.stats"]),
    ("Moving around", ["views.focus", "view.inbox", "view.queued", "view.reading", "view.read",
                       "view.starred", "view.all", "day.older", "day.newer", "list.up",
                       "list.down", "list.page_up", "list.page_down", "list.first",
                       "list.last", "views.select", "views.leave"]),
    ("App", ["app.sidebar", "app.detail", "app.detail_bigger", "app.detail_smaller",
             "app.help", "app.quit"]),
]


def _listed(items: Iterable[Any]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding)]


def _main_bindings() -> dict[str, Binding]:
    found = [*MAIN_KEYS, PALETTE_KEY, *_listed(PaperList.BINDINGS), *_listed(ViewList.BINDINGS)]
    return {b.id: b for b in found if b.id}


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """Every key of the app, grouped by task as the help screen shows them."""
    by_id = _main_bindings()
    groups = [(title, [by_id[i] for i in ids]) for title, ids in TASKS]
    return [
        *groups,
        ("Notes (in the detail pane)", _listed(NoteCard.BINDINGS)),
        ("Note editor", _listed(NoteEditor.BINDINGS)),
        ("Tag dialog", _listed(TagDialog.BINDINGS)),
    ]


def binding_ids() -> set[str]:
    """Every binding id config.toml [keys] may remap."""
    ids = {b.id for _, group in binding_groups() for b in group if b.id}
    ids |= set(_main_bindings())
    from tui.screens.field_editor import FieldEditor

    for cls in (ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, HelpScreen, StatsScreen,
                ViewList, DetailPane, FieldEditor):
        ids |= {b.id for b in _listed(cls.BINDINGS) if b.id}
    return ids
