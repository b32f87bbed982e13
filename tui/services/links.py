"""Opening a link: only http(s) links, handed to the browser through ``webbrowser`` (never a
shell)."""

from __future__ import annotations

import unicodedata
import webbrowser


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link, else ``None`` (never hand anything else to a
    browser)."""
    if not url:
        return None
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    host = rest.split("/", 1)[0]
    if sep and scheme.lower() in ("http", "https") and host and not any(
            c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in text):
        return text
    return None


def open_url(url: str | None) -> bool:
    """Open an http(s) link in the browser; ``False`` when it is not one or none opened."""
    checked = safe_url(url)
    if checked is None:
        return False
    return bool(webbrowser.open(checked, new=2))
