"""Morning triage: keep, dismiss, tag, and dismiss the rest of a day; the cursor moves on."""

from __future__ import annotations

from storage import ops
from tests.support.app import notifications, press, screen_text, settle
from tui.screens.dialogs import ConfirmDialog


def statuses(lib, *titles_ids):
    with lib.read() as session:
        return [ops.find_paper(session, ref=pid).status for pid in titles_ids]


async def test_keep_queues_and_dismiss_hides_and_the_cursor_moves_on(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        papers = app.main.papers
        assert papers.paper_id == sample["Self-Rewarding Language Models"]
        await press(pilot, "y")
        # Kept: it leaves the inbox, the cursor is on the next paper of the day.
        assert papers.paper_id == sample["Lumiere: A Space-Time Diffusion Model for Video Generation"]
        await press(pilot, "d")
        assert papers.paper_id == sample["MambaByte: Token-free Selective State Space Model"]
        assert statuses(lib, sample["Self-Rewarding Language Models"],
                        sample["Lumiere: A Space-Time Diffusion Model for Video Generation"]) == [
            "queued", "dismissed"]
        text = screen_text(app)
        assert "Inbox · 3 papers" in text
        assert "Self-Rewarding" not in text.split("Inbox · 3 papers")[1].split("▔")[0]
        assert "Lumiere" not in text
        # The detail follows the cursor.
        assert "key       wang2024mambabyte" in text
        # Sidebar counts follow too.
        # (the sidebar, collapsed at 80 columns, holds them all the same)
        queue = app.main.query_one("#sidebar").get_option("queued").prompt
        assert str(queue).startswith("Queue") and str(queue).rstrip().endswith(" 4")


async def test_keep_in_a_view_that_keeps_the_paper_moves_to_the_next_row(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        from storage.views import View

        app.main.show_view(View("day", "2024-01-19"))
        await settle(pilot)
        papers = app.main.papers
        first, second = papers.ids[0], papers.ids[1]
        await press(pilot, "y")
        assert papers.ids[0] == first  # still in the day's list, now queued
        assert papers.paper_id == second
        assert papers.row(first).status == "queued"
        assert "queued" in screen_text(app)


async def test_dismiss_the_rest_of_the_day_asks_first(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "y")  # keep Self-Rewarding
        await press(pilot, "D")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Dismiss the 3 papers from 2024-01-19 still in the inbox?" in screen_text(app)
        await press(pilot, "n")  # no: nothing changes
        assert statuses(lib, sample["Lumiere: A Space-Time Diffusion Model for Video Generation"]) == ["inbox"]
        await press(pilot, "D")
        await press(pilot, "y")
        assert statuses(
            lib, sample["Self-Rewarding Language Models"],
            sample["Lumiere: A Space-Time Diffusion Model for Video Generation"],
            sample["MambaByte: Token-free Selective State Space Model"],
            sample["Orion-14B: Open-source Multilingual Large Language Models"],
            sample["Mixtral of Experts"]) == ["queued", "dismissed", "dismissed", "dismissed",
                                              "inbox"]
        assert "Dismissed 3 papers from 2024-01-19" in notifications(app)
        # The other day is untouched and is what the inbox shows now.
        assert [app.main.papers.row(p).title for p in app.main.papers.ids] == ["Mixtral of Experts"]
        # One undo step brings the whole day back.
        await press(pilot, "u")
        assert statuses(lib, sample["Orion-14B: Open-source Multilingual Large Language Models"]) == ["inbox"]
        assert len(app.main.papers.ids) == 4


async def test_dismiss_day_only_applies_where_there_is_a_day(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        from storage.views import View

        app.main.show_view(View("queued"))
        await settle(pilot)
        await press(pilot, "D")
        assert not isinstance(app.screen, ConfirmDialog)
        assert "D" not in screen_text(app).splitlines()[-1].split()


async def test_status_keys_star_and_rating(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pid = app.main.papers.paper_id
        await press(pilot, "g")
        assert statuses(lib, pid) == ["reading"]
        from storage.views import View

        app.main.show_view(View("reading"))
        await settle(pilot)
        app.main.papers.move_to(app.main.papers.ids.index(pid))
        await settle(pilot)
        await press(pilot, "s", "4")
        with lib.read() as session:
            paper = ops.find_paper(session, ref=pid)
            assert (paper.starred, paper.rating) == (True, 4)
        assert "★ starred  ●●●●○" in screen_text(app)
        await press(pilot, "s", "0", "r")
        with lib.read() as session:
            paper = ops.find_paper(session, ref=pid)
            assert (paper.starred, paper.rating, paper.status) == (False, None, "read")
            assert paper.read_at is not None
        # It left the Reading view: the cursor is on the other paper being read.
        assert app.main.papers.paper_id == sample["Attention Is All You Need"]
        await press(pilot, "i")
        assert statuses(lib, sample["Attention Is All You Need"], pid) == ["inbox", "read"]
