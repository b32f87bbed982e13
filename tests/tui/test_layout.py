"""What the main screen shows: views with counts, the list, the detail pane, the first run."""

from __future__ import annotations

from storage.views import View
from tests.support.app import press, screen_text, settle
from tui.widgets.detail import NoteCard
from tui.widgets.paper_list import PaperList


async def test_opens_on_the_inbox_by_feed_day_and_upvotes(sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        assert main.view == View("inbox")
        titles = [main.papers.row(pid).title for pid in main.papers.ids]
        # 2024-01-19 by upvotes (140, 87, 52, 11), then 2024-01-09.
        assert titles == [
            "Self-Rewarding Language Models",
            "Lumiere: A Space-Time Diffusion Model for Video Generation",
            "MambaByte: Token-free Selective State Space Model",
            "Orion-14B: Open-source Multilingual Large Language Models",
            "Mixtral of Experts",
        ]
        text = screen_text(app)
        lines = text.splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        assert "Inbox · 5 papers" in text
        # The inbox's columns at 80 columns (the sidebar collapsed): title, day, upvotes,
        # first author.
        assert "Title" in text and "Day" in text and "First author" in text
        assert "Self-Rewarding Language Models" + " " * 21 + "01-19  140 Weizhe Yuan" in text
        # The detail pane shows the paper under the cursor.
        assert "key       yuan2024self" in text
        # The footer names the keys that apply.
        assert lines[-1] == ("y Keep d Dismiss t Tag space Mark e Export v Views / Search "
                             "p Pull u Undo ? Keys")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        # The sidebar: each view with its key and count, each tag, each day (new/all).
        for label, count in [("Inbox I", "5"), ("Queued Q", "3"), ("Reading G", "1"),
                             ("Read R", "1"), ("Starred *", "1"), ("All A", "10"),
                             ("#to-cite", "2"), ("#vision", "1"), ("2024-01-19", "4/4"),
                             ("2024-01-09", "1/1")]:
            assert any(line.startswith(label) and line.split("▕")[0].rstrip().endswith(count)
                       for line in lines), (label, count)


async def test_detail_pane_shows_abstract_summary_links_and_notes(sample, make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        app.main.show_view(View("all"))
        await settle(pilot)
        papers = app.main.papers
        papers.move_to(papers.ids.index(sample["Attention Is All You Need"]))
        await settle(pilot)
        text = screen_text(app)
        assert "Attention Is All You Need" in text
        assert "authors   Ashish Vaswani, Noam Shazeer" in text
        assert "status    reading  ★ starred  ●●●●●" in text
        assert "tags      #to-cite, #transformers" in text
        assert "arXiv     1706.03762v7" in text
        assert "pdf       https://arxiv.org/pdf/1706.03762" in text
        assert "The dominant sequence transduction models" in text
        assert "Notes (1)" in text
        # The note, rendered as Markdown: the quote as a block quote, bold without stars.
        assert "We chose the sinusoidal version" in text
        assert "The positional encoding trick" in text and "**" not in text
        assert len(app.main.detail.query(NoteCard)) == 1
        papers.move_to(papers.ids.index(sample["Mixtral of Experts"]))
        await settle(pilot)
        text = screen_text(app)
        assert "AI summary" in text and "Mixtral routes each token" in text


async def test_wide_terminal_puts_the_detail_beside_the_list(sample, make_app):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        papers = app.main.query_one(PaperList)
        detail = app.main.detail
        assert detail.region.x > papers.region.right - 1
        assert detail.region.height > 30
        # The wide list has room for tags.
        assert "Tags" in screen_text(app)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        papers = app.main.query_one(PaperList)
        assert app.main.detail.region.y >= papers.region.bottom


async def test_first_run_on_an_empty_library_explains_how_to_fill_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Your library is empty." in text
        assert "p   pull today's Hugging Face Daily Papers" in text  # (test_keys_layout.py)
        assert "papershelf import refs.bib" in text
        assert "papershelf add 1706.03762" in text
        assert app.main.view == View("all")


async def test_choosing_views_in_the_sidebar(sample, make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sidebar = app.main.query_one("#sidebar")
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index("tag:to-cite")
        await press(pilot, "enter")
        main = app.main
        assert main.view == View("tag", "to-cite")
        assert sorted(main.papers.row(p).key for p in main.papers.ids) == [
            "hu2021lora", "vaswani2017attention"]
        assert main.papers.has_focus
        assert "#to-cite · 2 papers" in screen_text(app)
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index("day:2024-01-09")
        await press(pilot, "enter")
        assert [main.papers.row(p).key for p in main.papers.ids] == ["jiang2024mixtral"]


async def test_list_cursor_keys_and_scrolling(lib, make_app):
    from reader.record import PaperRecord
    from storage import ops

    with lib.action("many") as session:
        for i in range(60):
            ops.merge_record(session, record=PaperRecord(title=f"Paper number {i:02d}",
                                                         authors=["A. Author"], year=2020),
                             status="queued")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        papers = app.main.papers
        assert len(papers.ids) == 60
        await press(pilot, "end")
        assert papers.cursor == 59
        assert "Paper number 00" in screen_text(app)  # newest first: 00 is the oldest
        await press(pilot, "home", "down", "down")
        assert papers.cursor == 2
        await press(pilot, "pagedown")
        assert papers.cursor > 2 and "Paper number" in screen_text(app)
