"""The main screen's keys, in one table per group, each with an id ("group.name") so
config.toml [keys] can remap it. The main screen and the command palette read these tables
(neither imports the app); :mod:`tui.screens.keys` gathers them with the keys of the dialogs
and widgets for the help screen."""

from __future__ import annotations

from textual.binding import Binding

LIBRARY_KEYS = [
    # priority: run before the app takes the next key, so keys typed after / reach the box
    # (tui/widgets/search_box.py: SearchBox.take_keys)
    Binding("slash", "search", "Search", id="app.search", priority=True),
    Binding("p", "pull", "Pull", id="app.pull"),
    Binding("u,ctrl+z", "undo", "Undo", id="app.undo"),
    Binding("S", "stats", "Stats", show=False, id="app.stats"),
    Binding("question_mark", "help", "Keys", id="app.help"),
    Binding("q", "quit", "Quit", show=False, id="app.quit"),
    Binding("escape", "escape", "Clear", show=False, id="app.clear"),
]
TRIAGE_KEYS = [
    Binding("k", "set_status('queued')", "Keep", id="paper.keep"),
    Binding("d", "set_status('dismissed')", "Dismiss", id="paper.dismiss"),
    Binding("D", "dismiss_day", "Dismiss rest of day", show=False, id="paper.dismiss_day"),
    Binding("t", "tag", "Tag", id="paper.tag"),
]
PAPER_KEYS = [
    Binding("n", "note", "Note", id="paper.note"),
    Binding("g", "set_status('reading')", "Reading", show=False, id="paper.reading"),
    Binding("r", "set_status('read')", "Read", show=False, id="paper.read"),
    Binding("i", "set_status('inbox')", "Back to inbox", show=False, id="paper.inbox"),
    Binding("s", "star", "Star", show=False, id="paper.star"),
    *[Binding(str(n), f"rate({n})", f"Rate {n}" if n else "Clear rating", show=False,
              id=f"paper.rate_{n}") for n in range(6)],
    Binding("o", "open('abs')", "Open abstract page", show=False, id="paper.open"),
    Binding("O", "open('pdf')", "Open PDF", show=False, id="paper.open_pdf"),
    Binding("c", "copy_key", "Copy citation key", show=False, id="paper.copy_key"),
    Binding("C", "copy_bibtex", "Copy BibTeX entry", show=False, id="paper.copy_bibtex"),
    Binding("K", "rename_key", "Rename citation key", show=False, id="paper.rename_key"),
    Binding("E", "edit_fields", "Edit fields", show=False, id="paper.edit_fields"),
    Binding("enter", "read_paper", "Detail", show=False, id="paper.detail"),
]
MARK_KEYS = [
    Binding("space", "mark", "Mark", id="paper.mark"),
    Binding("e", "export", "Export", id="paper.export"),
]
MAIN_KEYS = [*TRIAGE_KEYS, *PAPER_KEYS, *MARK_KEYS, *LIBRARY_KEYS]
# The actions that need a paper under the cursor.
PAPER_ACTIONS = {"set_status", "dismiss_day", "tag", "note", "star", "rate", "open", "copy_key",
                 "copy_bibtex", "rename_key", "edit_fields", "mark", "export", "read_paper"}
PALETTE_KEY = Binding("ctrl+p", "command_palette", "Every command by name", id="app.palette")
