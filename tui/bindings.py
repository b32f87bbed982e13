"""The main screen's keys, in one table per group, each with an id ("group.name") so
config.toml [keys] can remap it, and the built-in keymap presets ([keys] preset = "vim"). The
main screen and the command palette read these tables (neither imports the app);
:mod:`tui.screens.keys` gathers them with the keys of the dialogs and widgets for the help
screen, grouped by task.

The default set is chosen so that no key means two things: arrows and j/k move in the list
(j/k as in vim, less, mutt), and every letter does one thing wherever the list has the focus.
"""

from __future__ import annotations

from textual.binding import Binding

LIBRARY_KEYS = [
    # priority: run before the app takes the next key, so keys typed after / reach the box
    # (tui/widgets/search_box.py: SearchBox.take_keys)
    Binding("slash", "search", "Search", id="app.search", priority=True),
    Binding("p", "pull", "Pull", id="app.pull"),
    Binding("u,ctrl+z", "undo", "Undo", id="app.undo"),
    Binding("S", "stats", "Stats", show=False, id="app.stats"),
    Binding("B", "import_bib", "Import a .bib file", show=False, id="app.import_bib"),
    Binding("P", "import_page", "Import a saved Daily Papers page", show=False,
            id="app.import_page"),
    Binding("question_mark", "help", "Keys", id="app.help"),
    Binding("q", "quit", "Quit", show=False, id="app.quit"),
    Binding("escape", "escape", "Clear", show=False, id="app.clear"),
]
TRIAGE_KEYS = [
    Binding("y", "set_status('queued')", "Keep", id="paper.keep"),
    Binding("d", "set_status('dismissed')", "Dismiss", id="paper.dismiss"),
    Binding("D", "dismiss_day", "Dismiss rest of day", show=False, id="paper.dismiss_day"),
    Binding("t", "tag", "Tag", id="paper.tag"),
]
PAPER_KEYS = [
    Binding("n", "note", "Note", show=False, id="paper.note"),
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
# The sidebar's views, one key each (also shown beside each view in the sidebar).
VIEW_KEYS = [
    Binding("I", "view('inbox')", "Inbox", show=False, id="view.inbox"),
    Binding("Q", "view('queued')", "Queued", show=False, id="view.queued"),
    Binding("G", "view('reading')", "Reading", show=False, id="view.reading"),
    Binding("R", "view('read')", "Read", show=False, id="view.read"),
    Binding("asterisk", "view('starred')", "Starred", show=False, id="view.starred"),
    Binding("A", "view('all')", "All papers", show=False, id="view.all"),
]
NAV_KEYS = [
    Binding("v", "focus_sidebar", "Views", id="views.focus"),
    Binding("left_square_bracket", "step_day(1)", "Older day", show=False, id="day.older"),
    Binding("right_square_bracket", "step_day(-1)", "Newer day", show=False, id="day.newer"),
]
LAYOUT_KEYS = [
    Binding("b", "toggle_sidebar", "Hide/show the sidebar", show=False, id="app.sidebar"),
    Binding("z", "toggle_detail", "Hide/show the detail pane", show=False, id="app.detail"),
    Binding("plus,equals_sign", "resize_detail(5)", "Detail pane bigger", show=False,
            id="app.detail_bigger"),
    Binding("minus", "resize_detail(-5)", "Detail pane smaller", show=False,
            id="app.detail_smaller"),
]
MAIN_KEYS = [*TRIAGE_KEYS, *PAPER_KEYS, *MARK_KEYS, *NAV_KEYS, *LIBRARY_KEYS, *VIEW_KEYS,
             *LAYOUT_KEYS]
# The actions that need a paper under the cursor.
PAPER_ACTIONS = {"set_status", "dismiss_day", "tag", "note", "star", "rate", "open", "copy_key",
                 "copy_bibtex", "rename_key", "edit_fields", "mark", "export", "read_paper"}
PALETTE_KEY = Binding("ctrl+p", "command_palette", "Every command by name", id="app.palette")

# Built-in keymaps, chosen in config.toml ([keys] preset = "vim"); the user's own [keys] apply
# over the preset. Each preset keeps every key meaning one thing (a test checks it).
PRESETS: dict[str, dict[str, str]] = {
    "default": {},
    "vim": {
        "list.first": "g,home",
        "list.last": "G,end",
        "list.page_down": "ctrl+f,ctrl+d,pagedown",
        "list.page_up": "ctrl+b,ctrl+u,pageup",
        "paper.reading": "w",
        "view.reading": "W",
        "views.focus": "h,v",
        "views.leave": "l,right",
    },
}

KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "asterisk": "*",
              "left_square_bracket": "[", "right_square_bracket": "]", "plus": "+",
              "minus": "-", "equals_sign": "=", "full_stop": "."}


def shown_key(binding_id: str, keymap: dict[str, str]) -> str:
    """The first key of ``binding_id`` as the user types it (after the preset and [keys])."""
    binding = next((b for b in MAIN_KEYS if b.id == binding_id), None)
    keys = keymap.get(binding_id) or (binding.key if binding else "")
    first = keys.split(",")[0].strip()
    return KEY_NAMES.get(first, first)
