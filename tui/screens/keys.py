"""Every key of the app, grouped as the help screen shows them, and every binding id
config.toml [keys] may remap."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.binding import Binding

from tui.bindings import LIBRARY_KEYS, MARK_KEYS, PALETTE_KEY, PAPER_KEYS, TRIAGE_KEYS
from tui.screens.dialogs import ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, TagDialog
from tui.screens.help import HelpScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.stats import StatsScreen
from tui.widgets.detail import DetailPane, NoteCard
from tui.widgets.paper_list import PaperList
from tui.widgets.sidebar import ViewList


def _listed(items: Iterable[Any]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding)]


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """Every key of the app, grouped as the help screen shows them."""
    return [
        ("Library", _listed(LIBRARY_KEYS) + [PALETTE_KEY]),
        ("Triage", _listed(TRIAGE_KEYS)),
        ("Paper", _listed(PAPER_KEYS)),
        ("Marks and export", _listed(MARK_KEYS)),
        ("List", _listed(PaperList.BINDINGS)),
        ("Notes (in the detail pane)", _listed(NoteCard.BINDINGS)),
        ("Note editor", _listed(NoteEditor.BINDINGS)),
        ("Tag dialog", _listed(TagDialog.BINDINGS)),
    ]


def binding_ids() -> set[str]:
    """Every binding id config.toml [keys] may remap."""
    ids = {b.id for _, group in binding_groups() for b in group if b.id}
    from tui.screens.field_editor import FieldEditor

    for cls in (ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, HelpScreen, StatsScreen,
                ViewList, DetailPane, FieldEditor):
        ids |= {b.id for b in _listed(cls.BINDINGS) if b.id}
    return ids
