"""The app's edits are the command line's edits (tui.services.edits): the same undo step, in
the same words, whichever front made it; and a dialog flow that is cancelled writes nothing."""

from __future__ import annotations

from tests.support.app import notifications, press, settle, type_text
from tui.screens.dialogs import ConfirmDialog, TagDialog


def last_step(cli) -> str:
    return cli("undo", "--list").out.splitlines()[0].split("  ", 1)[1]


async def test_marked_papers_tagged_and_starred_in_the_app_read_as_the_command_would(
        lib, sample, make_app, cli):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        papers = app.main.papers
        first, second = (papers.row(pid).key for pid in papers.ids[:2])
        await press(pilot, "space", "space", "t")
        assert isinstance(app.screen, TagDialog)
        await type_text(pilot, "thesis")
        await press(pilot, "enter", "enter")
        assert last_step(cli) == f"tag {first} {second} +thesis"
        assert notifications(app)[-1] == "2 papers: +thesis"
        # The same change from the command line is the same step, word for word.
        assert cli("tag", first, second, "-thesis").code == 0
        assert last_step(cli) == f"tag {first} {second} -thesis"
        await press(pilot, "escape")  # the marks go; the cursor back to the first paper
        papers.move_to(0)
        await press(pilot, "space", "space", "s")
        assert last_step(cli) == f"star {first} {second}"
        await press(pilot, "u")
        assert notifications(app)[-1] == f"Undid: star {first} {second}"
        assert not any(papers.row(pid).starred for pid in papers.ids[:2])


async def test_a_cancelled_flow_writes_nothing(lib, sample, make_app, cli):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = cli("undo", "--list").out
        await press(pilot, "D")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")
        await press(pilot, "K", "escape", "t", "escape")
        assert not isinstance(app.screen, (ConfirmDialog, TagDialog))
        assert cli("undo", "--list").out == before
        await press(pilot, "D", "y")
        assert last_step(cli) == "dismiss the rest of 2024-01-19"
