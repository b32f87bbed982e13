"""The app's field editor (E on a paper): the same fields and rules as `papershelf edit`; a saved
field becomes the user's (an import then keeps it), a bad value saves nothing, esc cancels."""

from __future__ import annotations

from textual.widgets import Input

from tests.support.app import notifications, press, settle
from tui.screens.field_editor import FieldEditor


def field_input(app, name: str) -> Input:
    editor = app.screen
    assert isinstance(editor, FieldEditor)
    index = next(i for i, row in enumerate(editor.rows) if row.name == name)
    return editor.query_one(f"#field-{index}", Input)


async def test_the_field_editor_saves_checks_and_cancels(cli, lib, make_app):
    assert cli("add", "--title", "Attention Is All You Need", "--author", "Ashish Vaswani",
               "--arxiv", "1706.03762").code == 0
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.main.papers.focus()
        await press(pilot, "E")
        assert isinstance(app.screen, FieldEditor)
        assert field_input(app, "title").value == "Attention Is All You Need"
        field_input(app, "year").value = "20x7"  # not a year: nothing saved
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, FieldEditor)
        assert notifications(app)[-1].startswith("Nothing saved:")
        assert "year" in notifications(app)[-1]
        await press(pilot, "E")
        field_input(app, "year").value = "2017"
        field_input(app, "venue").value = "NeurIPS"
        await press(pilot, "ctrl+s")
        assert "year (none) -> 2017" in notifications(app)[-1]
        assert "venue (none) -> NeurIPS" in notifications(app)[-1]
        await press(pilot, "E")
        field_input(app, "year").value = "1999"
        await press(pilot, "escape")  # cancelled: nothing saved
    shown = cli("show", "1706.03762", "--json").json()
    assert shown["year"] == 2017 and shown["venue"] == "NeurIPS"
    assert "year" in shown["user_fields"]
    undone = cli("undo")
    assert undone.code == 0 and "edit" in undone.out  # one undo step for the two fields
    assert cli("show", "1706.03762", "--json").json()["year"] is None
