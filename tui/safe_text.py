"""Terminal-safe text: paper text shown on a terminal is data, never control.

A title or an author name comes from the network or from someone else's file. Written raw to a
terminal, an ESC sequence in it can set the clipboard (OSC 52), the window title, clear the
screen or move the cursor; a bidi override can make text read backwards; a backspace or a
carriage return can hide what came before. :func:`safe_text` shows every such character visibly
instead, so what the user sees is what the text holds:

* C0 controls U+0000..U+001F and DEL as their Control Pictures (``␀ ␁ ... ␟``, ``␡``): ESC is
  ``␛``, BEL ``␇``, BS ``␈``, CR ``␍``; tab and newline become ``␉`` and ``␤`` unless the
  caller keeps them (``keep_tabs``, ``keep_newlines``);
* C1 controls U+0080..U+009F (CSI is U+009B, OSC U+009D) as ``<U+009B>``;
* bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), the bidi marks
  (U+200E, U+200F, U+061C) and the line/paragraph separators (U+2028, U+2029) as ``<U+202E>``;
* lone surrogates (from a file read with ``surrogateescape``) as ``<U+DC9B>``.

Everything else, printable non-ASCII included, passes unchanged. The function is pure Python
(no click, rich or textual) so the CLI, the app and tests can share it; ``--json`` output needs
none of it (JSON escapes controls itself).
"""

from __future__ import annotations

import re

# Control Pictures: U+2400 + code for C0, U+2421 for DEL; U+2424 (NL) for a newline.
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_PICTURES[0x7F] = "\u2421"
_PICTURES[0x0A] = "\u2424"

BIDI = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
SEPARATORS = frozenset([0x2028, 0x2029])

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def _shown(char: str, *, keep_tabs: bool, keep_newlines: bool) -> str:
    code = ord(char)
    if code == 0x09 and keep_tabs:
        return char
    if code == 0x0A and keep_newlines:
        return char
    picture = _PICTURES.get(code)
    if picture is not None:
        return picture
    return f"<U+{code:04X}>"


def safe_text(text: str, *, keep_tabs: bool = False, keep_newlines: bool = False) -> str:
    """``text`` with every control, ESC, C1 and bidi character shown visibly (see the module
    docstring). Idempotent: ``safe_text(safe_text(t)) == safe_text(t)``."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: _shown(m.group(0), keep_tabs=keep_tabs,
                                        keep_newlines=keep_newlines), text)


def is_safe(text: str, *, allow_tabs: bool = False, allow_newlines: bool = False) -> bool:
    """Whether ``text`` can go to a terminal as it is."""
    for m in _UNSAFE.finditer(text):
        char = m.group(0)
        if (char == "\t" and allow_tabs) or (char == "\n" and allow_newlines):
            continue
        return False
    return True


def safe_lines(text: str) -> str:
    """For multi-line human output (an abstract, a note): newlines and tabs kept, every other
    control shown visibly."""
    return safe_text(text, keep_tabs=True, keep_newlines=True)
