"""Paper text in the app is data: markup in a title never runs (no star, no screenshot), shows
with its brackets, and never breaks a dialog; ESC and bidi characters show visibly in the
list instead of reaching the terminal."""

from __future__ import annotations

from reader.record import PaperRecord
from storage import ops
from tests.support.app import press, screen_text, settle
from tui.screens.note_editor import NoteEditor

MARKUP = "[@click=screen.star]Click[/] me [b]now[/b] [/] an [taxonomy] of \x1b]0;pwned\x07"


async def test_markup_in_a_title_is_shown_never_run(lib, make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with lib.action("add") as session:
        ops.merge_record(session, record=PaperRecord(
            title=MARKUP, authors=["Eve [red]Mallory[/red]"], year=2024,
            abstract="We introduce an [taxonomy] of [@click=app.screenshot('x.svg','.')]x[/]."),
            status="inbox")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "[taxonomy]" in text and "[@click=app.screenshot" in text  # brackets kept
        assert "Eve [red]Mallory[/red]" in text
        assert "\x1b" not in text and "␛]0;pwned␇" in text
        await pilot.click("#detail-title")
        await pilot.click("#detail-abstract")
        await settle(pilot)
        await press(pilot, "n")  # the note editor's heading names the title
        assert isinstance(app.screen, NoteEditor)
        assert "[/] an [taxonomy]" in screen_text(app)
        await press(pilot, "escape")
    with lib.read() as session:
        paper = ops.list_papers(session)[0]
        assert not paper.starred  # nothing clicked into an action
    assert not list(tmp_path.glob("*.svg"))
