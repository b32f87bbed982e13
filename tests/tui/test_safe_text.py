"""tui.safe_text: paper text never reaches the terminal as control."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from tui.safe_text import is_safe, safe_lines, safe_text

# What an attacker puts in a title: escapes, C1, bidi, plus ordinary text around them.
HOSTILE = st.sampled_from([
    "\x1b]52;c;ZWNobyBoaQ==\x07", "\x1b]0;pwned\x07", "\x1b[2J", "\x1b[H", "\x9b31m", "\x9d0;t\x9c",
    "\x08\x08\x08", "\r", "\x00", "\x7f", "\u202e", "\u2066", "\u2069", "\u200f", "\u2028",
    "\ud83d", "\t", "\n",
])
TEXT = st.lists(st.one_of(st.text(), HOSTILE), max_size=8).map("".join)


def _terminal_active(text: str, *, allow: str = "") -> list[str]:
    """Characters a terminal would act on (C0, DEL, C1, bidi controls, separators, surrogates)."""
    return [c for c in text if c not in allow and (
        ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or unicodedata.category(c) in ("Cs", "Zl", "Zp")
        or unicodedata.bidirectional(c) in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI",
                                            "FSI", "PDI")
        or c in "\u200e\u200f\u061c")]


@given(TEXT)
def test_output_holds_nothing_a_terminal_acts_on(text: str) -> None:
    shown = safe_text(text)
    assert _terminal_active(shown) == []
    assert is_safe(shown)


@given(TEXT)
def test_multi_line_keeps_only_newlines_and_tabs(text: str) -> None:
    shown = safe_lines(text)
    assert _terminal_active(shown, allow="\n\t") == []
    assert shown.count("\n") == text.count("\n")


@given(TEXT)
def test_idempotent_and_safe_text_unchanged(text: str) -> None:
    once = safe_text(text)
    assert safe_text(once) == once
    if not _terminal_active(text):
        assert once == text  # ordinary text (accents, CJK, emoji) passes as it is


@given(st.text())
def test_each_unsafe_character_is_shown_not_dropped(text: str) -> None:
    # Every character a terminal acts on becomes a visible mark, so nothing is silently lost.
    shown = safe_text(text)
    active = _terminal_active(text)
    assert len(shown) >= len(text)
    assert sum(shown.count(m) for m in ("<U+",)) + sum(
        1 for c in shown if 0x2400 <= ord(c) <= 0x2424) >= len(active)


def test_examples_are_visible() -> None:
    assert safe_text("a\x1b]52;c;x\x07b") == "a\u241b]52;c;x\u2407b"
    assert safe_text("\u202eevil") == "<U+202E>evil"
    assert safe_text("\x9b2J") == "<U+009B>2J"
    assert safe_text("one\ntwo") == "one\u2424two"
    assert safe_lines("one\ntwo\x1b[2J") == "one\ntwo\u241b[2J"
    assert safe_text("Boström 注意 🙂") == "Boström 注意 🙂"
