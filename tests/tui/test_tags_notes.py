"""The tag dialog (fuzzy completion, several at once, marked papers) and the note editor."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from storage import ops
from tests.support.app import notifications, press, screen_text, settle, type_text
from tui.screens.dialogs import ConfirmDialog, TagDialog, parse_tags, suggest_tags
from tui.screens.note_editor import NoteEditor
from tui.widgets.detail import NoteCard


def tags(lib, pid):
    with lib.read() as session:
        return ops.tags_of(session, paper_id=pid)


def test_parse_and_suggest():
    assert parse_tags("llm, -old , +rlhf,, to  cite") == [
        ("+", "llm"), ("-", "old"), ("+", "rlhf"), ("+", "to"), ("+", "cite")]
    assert parse_tags("  ") == [] and parse_tags("- + -x") == [("-", "x")]
    known = ["fine-tuning", "graphs", "to-cite", "transformers", "vision"]
    assert suggest_tags("tr", known)[0] == "transformers"
    assert suggest_tags("trnsfrm", known)[0] == "transformers"  # fuzzy, with typos
    assert suggest_tags("vison", known)[0] == "vision"
    assert suggest_tags("", known) == known
    assert suggest_tags("zzzz", known) == []


@pytest.mark.slow  # one of the slowest of the fast lane (--durations)
async def test_tag_dialog_completes_adds_and_removes_several(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pid = app.main.papers.paper_id
        await press(pilot, "t")
        assert isinstance(app.screen, TagDialog)
        await type_text(pilot, "trnsf")
        assert "transformers" in screen_text(app)
        await press(pilot, "tab")
        assert app.screen.query_one("#tag-input", Input).value == "transformers"
        await type_text(pilot, " rlhf, self-play")
        assert "enter applies: +transformers +rlhf +self-play" in screen_text(app)
        await press(pilot, "enter")  # one enter applies everything typed
        assert not isinstance(app.screen, TagDialog)
        assert tags(lib, pid) == ["rlhf", "self-play", "transformers"]
        assert "tags      #rlhf, #self-play, #transformers" in screen_text(app)
        # Remove one, add one, in one go; completion of a removal offers the paper's tags.
        await press(pilot, "t")
        await type_text(pilot, "to-read -self")
        await press(pilot, "tab")
        assert app.screen.query_one("#tag-input", Input).value == "to-read -self-play"
        await press(pilot, "enter")
        assert tags(lib, pid) == ["rlhf", "to-read", "transformers"]
        # esc with nothing typed closes at once and changes nothing.
        await press(pilot, "t", "escape")
        assert not isinstance(app.screen, TagDialog)
        assert tags(lib, pid) == ["rlhf", "to-read", "transformers"]


async def test_tags_apply_to_all_marked_papers(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        papers = app.main.papers
        first, second, third = papers.ids[:3]
        await press(pilot, "space", "space")
        assert papers.marked == {first, second}
        text = screen_text(app)
        assert "2 marked" in text and text.count("● ") >= 2
        await press(pilot, "t")
        assert "Tags for 2 marked papers" in screen_text(app)
        await type_text(pilot, "batch")
        await press(pilot, "enter")
        assert tags(lib, first) == ["batch"] and tags(lib, second) == ["batch"]
        assert tags(lib, third) == []
        # The dialog knows what is on all and on some of the marked papers.
        papers.toggle_mark(first)
        papers.toggle_mark(third)
        await press(pilot, "t")
        assert "on all: (none)   on some: batch" in screen_text(app)
        await press(pilot, "escape", "escape")
        assert papers.marked == set()


async def test_write_a_note_with_a_quote_and_edit_it(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        pid = app.main.papers.paper_id
        await press(pilot, "n")
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        editor.query_one("#note-quote", Input).value = "superhuman feedback"
        editor.query_one("#note-body", TextArea).insert("Self-play for *reward* models.\n\n- try it")
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, NoteEditor)
        with lib.read() as session:
            notes = ops.notes_of(session, paper_id=pid)
        assert [(n.body, n.quote) for n in notes] == [
            ("Self-play for *reward* models.\n\n- try it", "superhuman feedback")]
        # The list has most of the height: enter goes to the note, scrolled into view.
        await press(pilot, "enter")
        text = screen_text(app)
        assert "Notes (1)" in text and "Self-play for reward models." in text
        assert "superhuman feedback" in text
        # enter on a note edits it.
        card = app.main.detail.query_one(NoteCard)
        card.focus()
        await press(pilot, "enter")
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        assert editor.query_one("#note-body", TextArea).text.startswith("Self-play")
        area = editor.query_one("#note-body", TextArea)
        area.text = "Rewritten."
        await press(pilot, "ctrl+s")
        with lib.read() as session:
            notes = ops.notes_of(session, paper_id=pid)
        assert [(n.body, n.quote) for n in notes] == [("Rewritten.", "superhuman feedback")]
        assert "Rewritten." in screen_text(app)


async def test_esc_asks_before_throwing_a_note_away(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        pid = app.main.papers.paper_id
        # Unchanged: esc just closes.
        await press(pilot, "n", "escape")
        assert not isinstance(app.screen, NoteEditor)
        await press(pilot, "n")
        await type_text(pilot, "half a thought")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard the changes to this note?" in screen_text(app)
        await press(pilot, "n")  # keep editing
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.query_one("#note-body", TextArea).text == "half a thought"
        await press(pilot, "escape", "y")
        assert not isinstance(app.screen, (NoteEditor, ConfirmDialog))
        with lib.read() as session:
            assert ops.notes_of(session, paper_id=pid) == []
        # An empty note is not saved.
        await press(pilot, "n", "ctrl+s")
        assert isinstance(app.screen, NoteEditor)
        assert "The note is empty" in " ".join(notifications(app))


async def test_delete_a_note_asks_and_undo_brings_it_back(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        from storage.views import View

        app.main.show_view(View("reading"))
        await settle(pilot)
        pid = sample["Attention Is All You Need"]
        assert app.main.papers.paper_id == pid
        await press(pilot, "enter")  # enter on the paper goes to its first note
        assert isinstance(app.focused, NoteCard)
        await press(pilot, "delete")
        assert "Delete note 1?" in screen_text(app)
        await press(pilot, "y")
        with lib.read() as session:
            assert ops.notes_of(session, paper_id=pid) == []
        await press(pilot, "escape", "u")
        with lib.read() as session:
            assert [n.id for n in ops.notes_of(session, paper_id=pid)] == [1]
