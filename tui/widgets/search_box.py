"""The search box: an Input that never re-lays out the screen while you type, and that takes
every key typed after ``/`` from the ``/`` on."""

from __future__ import annotations

from textual.actions import SkipAction
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input, TextArea


class SearchBox(Input):
    """Textual's Input sets its virtual size to the text's width on every keystroke, and that
    re-lays out (and redraws) the whole screen. The box has a fixed size (CSS), so a change of
    virtual size only needs a repaint of the box itself.

    Keys typed right after ``/`` (a fast typist's ``/keep``, a paste) are already in the app's
    queue when the ``/`` is handled. The app hands each key to the widget focused at the moment
    it takes the key from its queue, so the box must have the focus before the app takes the
    next key: ``/`` is a priority binding (run by the app itself, before it goes on to the next
    key, where an ordinary binding runs only after the key has bubbled up from the list) and
    :meth:`take_keys` moves the focus at once (``Widget.focus()`` only schedules it, after
    the keys already queued)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def take_keys(self) -> None:
        """Focus the box now, so the next key the app takes comes here. While a text field has
        the focus (this box, or any other the screen holds), the key is text for it: the
        binding skips and the key is typed there."""
        if isinstance(self.screen.focused, (Input, TextArea)):
            raise SkipAction()
        self.screen.set_focus(self)
