"""Every text the app draws meets WCAG AA contrast (4.5:1) against the background it is drawn
on, in every theme the palette offers (issue 15).

The colours are read from the rendered screen, not from a table of styles: the app runs at a
fixed size on the sample library with a cursor row, a marked row, a starred and tagged paper, a
toast, a dialog..., and every text segment of the compositor's output is checked with the
colours the terminal is sent (alpha already blended by Textual; ``reverse`` swapped; ``dim``
modelled as Textual's own dim filter does, half-way to the background). One app run per scene,
the themes switched inside it.

Themes: every theme the command palette lists ("Theme: ..."), i.e. Textual's built-in themes,
with the default (textual-dark) and the light one (textual-light) required to be among them.
The two ANSI themes (ansi-dark, ansi-light) are left out: their colours are the terminal's own
palette, unknown here. The threshold is 4.5:1 for all text, bold included: WCAG's "large text"
(3:1) starts at 14 pt bold, larger than a terminal's cell.

Not checked, on purpose: borders, scrollbars and bar charts (box-drawing and block characters:
not text), emoji (the terminal draws them in their own colours); the faded screen behind a
dialog; the dot of a radio button or checkbox (a state indicator, its "off" drawn as an empty
slot on purpose). A disabled choice is checked like the rest (WCAG would exempt it, but it says
why it is disabled: that is meant to be read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from rich.cells import cell_len
from textual._context import visible_screen_stack
from textual.color import Color
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.theme import BUILTIN_THEMES, Theme
from textual.widget import Widget
from textual.widgets._toggle_button import ToggleButton

from storage.views import View
from tests.support.app import settle, type_text, wait_for
from tui.app import PapershelfApp
from tui.themes import AA, PLAIN_TEXT, contrast, readable_variables
from tui.widgets.paper_list import PaperList, layout_columns

pytestmark = pytest.mark.slow

REQUIRED_THEMES = {"textual-dark", "textual-light"}


def checked_themes(app: Any) -> list[str]:
    """The themes the palette offers, less the ANSI ones (the terminal's own colours)."""
    themes = sorted(name for name in app.available_themes if not name.startswith("ansi"))
    assert set(themes) >= REQUIRED_THEMES, themes
    return themes


def _is_graphic(char: str) -> bool:
    """Box drawing and block elements (borders, scrollbars, sparklines), emoji (drawn in their
    own colours by the terminal): not text in a colour of the theme."""
    return 0x2500 <= ord(char) <= 0x259F or ord(char) >= 0x1F000


@dataclass
class Drawn:
    text: str
    widget: str
    fg: Color
    bg: Color
    ratio: float
    y: int
    style: str

    def __str__(self) -> str:
        return (f"{self.widget}: {self.text[:30]!r} {self.fg.hex} on {self.bg.hex} "
                f"= {self.ratio:.2f}:1 ({self.style or 'plain'})")


def _name(widget: Widget) -> str:
    name = type(widget).__name__
    if widget.id:
        name += f"#{widget.id}"
    elif widget.classes:
        name += "." + ".".join(sorted(widget.classes))
    return name


def drawn_texts(app: Any) -> list[Drawn]:
    """Every text segment on the screen with its colours and the widget under it."""
    visible_screen_stack.set(app._background_screens)
    screen = app.screen
    out: list[Drawn] = []
    for y, strip in enumerate(screen._compositor.render_strips()):
        x = 0
        for segment in strip:
            width = cell_len(segment.text)
            text = "".join(c for c in segment.text if not c.isspace() and not _is_graphic(c))
            style = segment.style
            if text and style is not None and not segment.control:
                widget, _region = screen.get_widget_at(x, y)
                if (isinstance(widget, ModalScreen)
                        or (isinstance(widget, ToggleButton) and text == "●")):
                    x += width
                    continue
                assert style.color is not None and style.bgcolor is not None, (
                    f"{_name(widget)}: {text!r} has no colour of its own (terminal default)")
                fg = Color.from_rich_color(style.color)
                bg = Color.from_rich_color(style.bgcolor)
                if style.reverse:
                    fg, bg = bg, fg
                if style.dim:
                    fg = bg.blend(fg, 0.5)
                attrs = " ".join(a for a in ("bold", "dim", "italic", "reverse")
                                 if getattr(style, a))
                out.append(Drawn(segment.text.strip(), _name(widget), fg, bg,
                                 contrast(fg, bg), y, attrs))
            x += width
    return out


Scene = Callable[[Pilot[Any]], Awaitable[None]]


def shelf(pilot: Pilot[Any]) -> PapershelfApp:
    assert isinstance(pilot.app, PapershelfApp)
    return pilot.app


async def check_scene(make_app: Callable[..., Any], size: tuple[int, int], scene: Scene,
                      expect: Callable[[list[Drawn], Pilot[Any]], None] | None = None,
                      theme: Theme | None = None) -> None:
    """Set up ``scene``, then in each theme (or only ``theme``, registered for the run) check
    every text drawn; fail naming them all."""
    app = make_app()
    failures: list[str] = []
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await scene(pilot)
        await settle(pilot)
        themes = checked_themes(app)
        if theme is not None:
            app.register_theme(theme)
            themes = [theme.name]
        for name in themes:
            app.theme = name
            await settle(pilot)
            texts = drawn_texts(app)
            assert texts, f"{name}: nothing drawn"
            if expect is not None:
                expect(texts, pilot)
            failures += [f"{name} · {t}" for t in texts if t.ratio < AA]
    assert not failures, (f"{len(failures)} texts under {AA}:1:\n"
                          + "\n".join(dict.fromkeys(failures)))


# ------------------------------------------------------------ scenes


async def list_with_cursor_and_marks(pilot: Pilot[Any],
                                     view: Literal["all", "inbox"] = "all") -> None:
    """The All view (tags, a star, notes), or the Inbox (its day column): the list focused, a
    marked row above the cursor's row, the cursor on a tagged paper (the All view); a toast, a
    warning and an error toast up."""
    app = shelf(pilot)
    app.main.show_view(View(view))
    await settle(pilot)
    papers = app.main.query_one(PaperList)
    papers.focus()
    tagged = [i for i, pid in enumerate(papers.ids) if (r := papers.row(pid)) and r.tags]
    if view == "all":
        assert len(tagged) >= 2
    else:
        tagged = [0, 2]
    papers.move_to(tagged[0])
    papers.toggle_mark(papers.ids[tagged[0]])
    papers.move_to(tagged[1])
    app.notify("Tagged 1 paper", timeout=600)
    app.notify("Could not reach huggingface.co", severity="error", timeout=600)
    app.notify("config.toml: using defaults", severity="warning", timeout=600)


def sees_cursor_and_marked_rows(texts: list[Drawn], pilot: Pilot[Any]) -> None:
    """The scene drew what it is meant to check: tags on the cursor row and on a marked row."""
    papers = shelf(pilot).main.query_one(PaperList)
    top = papers.content_region.y + 1 - round(papers.scroll_y)
    cursor_y = top + papers.cursor
    marked_y = top + papers.ids.index(next(iter(papers.marked)))
    rows = {y: [t for t in texts if t.y == y and t.widget.startswith("PaperList")]
            for y in (cursor_y, marked_y)}
    tags_shown = "tags" in [c[0] for c in layout_columns(papers.scrollable_content_region.width)]
    for y, name in ((cursor_y, "cursor"), (marked_y, "marked")):
        row = papers.row(papers.ids[y - top])
        assert row is not None and rows[y], f"no text drawn on the {name} row"
        assert not tags_shown or not row.tags or any(row.tags[0] in t.text for t in rows[y]), (
            f"the {name} row's tags not drawn")
    assert rows[cursor_y][0].bg != rows[marked_y][0].bg


@pytest.mark.parametrize("size", [(100, 30), (200, 50)], ids=["100x30", "200x50"])
async def test_list_cursor_and_marked_rows(sample, make_app, size):
    await check_scene(make_app, size, list_with_cursor_and_marks, sees_cursor_and_marked_rows)


async def inbox_with_cursor_and_marks(pilot: Pilot[Any]) -> None:
    await list_with_cursor_and_marks(pilot, "inbox")


async def test_inbox_day_column(sample, make_app):
    await check_scene(make_app, (100, 30), inbox_with_cursor_and_marks,
                      sees_cursor_and_marked_rows)


async def test_a_theme_of_ones_own(sample, make_app):
    """The fix is not a table of the built-in themes: a murky theme of one's own (grey on grey,
    every text colour under 3:1 as its author wrote it) is drawn readable too."""
    murky = Theme(name="murky", primary="#6a7a8a", secondary="#707a70", accent="#8a7a5a",
                  warning="#8a8050", foreground="#8c8c8c", background="#5a5a5a",
                  surface="#606060", panel="#666666", dark=True)
    await check_scene(make_app, (100, 30), list_with_cursor_and_marks,
                      sees_cursor_and_marked_rows, theme=murky)


async def sidebar_and_notes(pilot: Pilot[Any]) -> None:
    """The Reading view (a paper with notes), a note focused; the sidebar's highlight."""
    app = shelf(pilot)
    app.main.show_view(View("reading"))
    await settle(pilot)
    app.main.action_read_paper()  # focuses the first note


async def sidebar_focused(pilot: Pilot[Any]) -> None:
    app = shelf(pilot)
    app.main.show_view(View("queued"))
    await settle(pilot)
    app.main.query_one("#sidebar").focus()


@pytest.mark.parametrize("scene", [sidebar_and_notes, sidebar_focused],
                         ids=["notes", "sidebar-focused"])
async def test_sidebar_and_detail(sample, make_app, scene):
    await check_scene(make_app, (100, 40), scene)


# ------------------------------------------------------------ dialogs


async def _open(pilot: Pilot[Any], action: str, screen: str) -> None:
    await shelf(pilot).main.run_action(action)
    await wait_for(pilot, f"the {screen} open", lambda: type(pilot.app.screen).__name__ == screen)
    await settle(pilot)


async def tag_dialog(pilot: Pilot[Any]) -> None:
    shelf(pilot).main.show_view(View("queued"))
    await settle(pilot)
    await pilot.press("space", "down", "space")
    await _open(pilot, "tag", "TagDialog")
    await type_text(pilot, "-to-cite")


async def export_dialog(pilot: Pilot[Any]) -> None:
    await _open(pilot, "export", "ExportDialog")


async def help_screen(pilot: Pilot[Any]) -> None:
    await _open(pilot, "help", "HelpScreen")
    await pilot.app.screen.run_action("toggle_ids")  # the binding ids shown too


async def stats_screen(pilot: Pilot[Any]) -> None:
    await _open(pilot, "stats", "StatsScreen")


async def note_editor(pilot: Pilot[Any]) -> None:
    await _open(pilot, "note", "NoteEditor")
    await type_text(pilot, "Read the routing section")


async def field_editor(pilot: Pilot[Any]) -> None:
    await _open(pilot, "edit_fields", "FieldEditor")


async def command_palette(pilot: Pilot[Any]) -> None:
    await pilot.app.run_action("command_palette")
    await wait_for(pilot, "the palette open",
                   lambda: type(pilot.app.screen).__name__ == "CommandPalette")
    await type_text(pilot, "theme")


DIALOGS = [tag_dialog, export_dialog, help_screen, stats_screen, note_editor, field_editor,
           command_palette]


@pytest.mark.parametrize("scene", DIALOGS, ids=[d.__name__ for d in DIALOGS])
async def test_dialogs(sample, make_app, scene):
    await check_scene(make_app, (100, 40), scene)


# ------------------------------------------------------------ the check itself


def test_contrast_ratio_is_wcag():
    """The ratio is WCAG's: black on white 21:1, a colour on itself 1:1, #777 on white 4.48."""
    white, black = Color(255, 255, 255), Color(0, 0, 0)
    assert contrast(black, white) == pytest.approx(21.0)
    assert contrast(white, white) == pytest.approx(1.0)
    assert contrast(Color.parse("#777777"), white) == pytest.approx(4.48, abs=0.01)


async def nothing(pilot: Pilot[Any]) -> None:
    """The app as it opens."""


@pytest.mark.parametrize("scene", [nothing, stats_screen], ids=["welcome", "stats"])
async def test_empty_library(make_app, scene):
    """A new user's first screen (an empty library) and its stats ("no tags yet")."""
    await check_scene(make_app, (100, 30), scene)


def _variables(theme: Theme) -> dict[str, str]:
    """What App.get_css_variables() builds from ``theme``, before the app's fix."""
    return {**theme.to_color_system().generate(), **theme.variables}


@pytest.mark.parametrize("name", sorted(n for n in BUILTIN_THEMES if not n.startswith("ansi")))
def test_fixed_colours_keep_the_theme_and_its_hierarchy(name):
    """The fix moves only what fails: a colour already at AA everywhere is left as the theme
    has it, and muted text stays less contrasted than body text (never above it)."""
    before = _variables(BUILTIN_THEMES[name])
    after = readable_variables(before)
    background = Color.parse(after["background"])
    surface = background + Color.parse(after["surface"])

    def on_surface(variable: str) -> float:
        value = after[variable]
        if value.startswith("auto"):
            color = surface.get_contrast_text(float(value[4:].strip().rstrip("%")) / 100)
        else:
            color = Color.parse(value)
        return contrast(surface + color, surface)

    assert AA <= on_surface("foreground-muted") <= on_surface("foreground") + 0.01
    assert AA <= on_surface("text-muted") <= on_surface("text") + 0.01
    unchanged = 0
    for variable in PLAIN_TEXT:
        value = before[variable]
        if value == after[variable]:
            unchanged += 1
        elif not value.startswith("auto"):
            # Changed only where the theme's colour falls short on one of the app's
            # backgrounds: then it moved toward more contrast, never away.
            old = surface + Color.parse(value)
            new = surface + Color.parse(after[variable])
            assert contrast(new, surface) >= contrast(old, surface) - 0.01, variable
    assert unchanged, "every text colour of the theme was changed"
