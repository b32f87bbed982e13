"""One line at the bottom of the screen while the library's server cannot be reached: what the
change watcher says (it reconnects by itself; the line goes when it is back)."""

from __future__ import annotations

from textual.widgets import Static


class ConnectionStatus(Static):
    DEFAULT_CSS = """
    ConnectionStatus {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $error;
        color: auto 90%;
    }
    """
