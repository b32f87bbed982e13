"""The search box: an Input that never re-lays out the screen while you type."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SearchBox(Input):
    """Textual's Input sets its virtual size to the text's width on every keystroke, and that
    re-lays out (and redraws) the whole screen. The box has a fixed size (CSS), so a change of
    virtual size only needs a repaint of the box itself."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
