"""Search as you type, marks, copying and renaming keys, links, undo, live changes (export:
test_app_export.py)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from storage.views import View
from tests.support.app import notifications, press, screen_text, settle, type_text, wait_for


def keys_shown(app) -> list[str]:
    papers = app.main.papers
    return [papers.row(p).key for p in papers.ids]


def main_text(app) -> str:
    """The screen right of the sidebar, its rows joined by spaces (for wrapped messages)."""
    rows = [line.partition("▕")[2] or line for line in screen_text(app).splitlines()]
    return " ".join(" ".join(rows).split())


async def search_for(pilot, text: str) -> None:
    """Replace what the search box holds with ``text``, typed key by key."""
    box = pilot.app.main.query_one("#search", Input)
    if not box.has_focus:
        await press(pilot, "slash")
    box.value = ""
    await settle(pilot)
    await type_text(pilot, text)


@pytest.mark.slow  # one of the slowest of the fast lane (--durations)
async def test_search_box_filters_as_you_type_and_esc_clears(sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        assert app.focused is app.main.query_one("#search", Input)
        await type_text(pilot, "lora")
        assert keys_shown(app) == ["hu2021lora"]
        assert "Search “lora” · 1 result" in screen_text(app)
        # Authors match too, in any case; the search covers every view.
        await search_for(pilot, "HINTON")
        assert keys_shown(app) == ["hinton2015distilling"]
        # Typos: the search engine finds the paper meant (issue 5's ranking).
        await search_for(pilot, "atention is al")
        assert keys_shown(app) == ["vaswani2017attention"]
        await search_for(pilot, "resdual lerning")
        assert keys_shown(app) == ["he2015deep"]
        # Ranked: the first author called Wang first, then co-authors.
        await search_for(pilot, "wang")
        assert keys_shown(app) == ["wang2024mambabyte", "hu2021lora", "yuan2024self"]
        await press(pilot, "enter")  # to the list
        papers = app.main.papers
        assert papers.has_focus
        await type_text(pilot, "s")  # and the keys act on the result
        assert papers.row(papers.ids[0]).starred is True
        await search_for(pilot, "no such paper at all")
        assert "No paper matches “no such paper at all”." in screen_text(app)
        await press(pilot, "escape")
        assert app.main.query_one("#search", Input).value == ""
        assert "Inbox · 5 papers" in screen_text(app)
        assert papers.has_focus


@pytest.mark.slow  # one of the slowest of the fast lane (--durations)
async def test_qualifiers_work_in_the_search_box(sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search_for(pilot, "tag:to-cite")  # qualifiers alone: newest first
        assert keys_shown(app) == ["hu2021lora", "vaswani2017attention"]
        assert "Search “tag:to-cite” · 2 results" in screen_text(app)
        await search_for(pilot, "tag:to-cite atention")
        assert keys_shown(app) == ["vaswani2017attention"]
        await search_for(pilot, "-tag:to-cite status:queued")
        assert keys_shown(app) == ["muller2020ein", "hinton2015distilling"]
        await search_for(pilot, "year:2024 author:wang")
        assert keys_shown(app) == ["wang2024mambabyte"]  # a word of the name: no Pang
        await search_for(pilot, "is:starred")
        assert keys_shown(app) == ["vaswani2017attention"]
        # Text in brackets is shown as typed (not read as markup).
        await search_for(pilot, "[x]")
        assert "Search “[x]” · 3 results" in screen_text(app)


async def test_the_search_box_shows_the_best_results(sample, make_app):
    app = make_app()
    app.services.SEARCH_LIMIT = 2  # 200 in the app
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search_for(pilot, "wang")
        assert keys_shown(app) == ["wang2024mambabyte", "hu2021lora"]
        assert "Search “wang” · the best 2 results" in screen_text(app)
        await search_for(pilot, "lora")
        assert "Search “lora” · 1 result" in screen_text(app)


async def test_a_bad_query_shows_one_message(sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await search_for(pilot, "year:2")  # on its way to year:2024
        assert keys_shown(app) == []
        text = main_text(app)
        assert "Search “year:2” · not a query: see below" in text
        assert text.count(
            "Not a query: bad year '2' in 'year:2': use year:2024, year:2020..2023, year:2020.. "
            "or year:..2019") == 1
        await type_text(pilot, "024")
        assert keys_shown(app) == ["chen2024orion", "tal2024lumiere", "wang2024mambabyte",
                                   "yuan2024self", "jiang2024mixtral"]  # newest first
        assert "Not a query" not in screen_text(app)
        await search_for(pilot, "tga:llm")
        assert "Not a query: unknown qualifier 'tga:' in 'tga:llm': did you mean tag:?" \
            in main_text(app)
        # A change while the bad query is shown keeps the message (the list is reloaded).
        app.main.reload()
        await settle(pilot)
        assert "Not a query: unknown qualifier 'tga:'" in screen_text(app)
        assert notifications(app) == []  # no toast per keystroke


async def test_a_new_keystroke_cancels_the_pending_search(sample, make_app):
    app = make_app()
    app.SEARCH_DEBOUNCE = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        calls = []
        real = app.services.find

        def counting(query, **kw):
            calls.append(query)
            return real(query, **kw)

        app.services.find = counting  # type: ignore[method-assign]
        # Three keystrokes in a row (no pause between them): only the last one searches.
        for text in ("m", "mi", "mixt"):
            app.main.query_one("#search", Input).value = text
        await settle(pilot)
        assert calls == ["mixt"]  # the debounced worker only searched once, for the last text
        assert keys_shown(app) == ["jiang2024mixtral"]


async def test_copy_and_rename_the_citation_key(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        assert app.clipboard == "yuan2024self"
        await press(pilot, "space", "space", "c")
        assert app.clipboard == "yuan2024self,tal2024lumiere"
        await press(pilot, "escape", "home", "K")
        box = app.screen.query_one(Input)
        assert box.value == "yuan2024self"
        box.value = "yuan2024selfrewarding"
        await press(pilot, "enter")
        assert "key       yuan2024selfrewarding" in screen_text(app)
        # A key another paper has is refused with a message; nothing changes.
        await press(pilot, "K")
        app.screen.query_one(Input).value = "hu2021lora"
        await press(pilot, "enter")
        assert "key 'hu2021lora' is already used by another paper" in notifications(app)
        assert app.main.papers.row(app.main.papers.paper_id).key == "yuan2024selfrewarding"


async def test_open_links_only_http(lib, sample, make_app, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0: opened.append(url) or True)
    from storage import ops

    with lib.action("bad link") as session:
        paper = ops.find_paper(session, ref=sample["Orion-14B: Open-source Multilingual Large Language Models"])
        paper.url_abs = "javascript:alert(1)"
        paper.url_pdf = "file:///etc/passwd"
        session.add(paper)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "o", "O")
        assert opened == ["https://arxiv.org/abs/2401.10020", "https://arxiv.org/pdf/2401.10020"]
        app.main.papers.move_to(3)  # Orion
        await settle(pilot)
        await press(pilot, "o", "O")
        assert len(opened) == 2
        assert notifications(app)[-1].startswith("Could not open file:///etc/passwd")
        assert "javascript" not in screen_text(app)


async def test_undo_in_the_app_is_the_command_lines_undo(lib, sample, make_app, cli):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "y")
        history = cli("undo", "--list").out.splitlines()
        assert history[0].endswith("status yuan2024self queued")
        await press(pilot, "u")
        assert "Undid: status yuan2024self queued" in notifications(app)
        assert app.main.papers.row(app.main.papers.ids[0]).status == "inbox"
        assert "Inbox · 5 papers" in screen_text(app)
        assert cli("show", "muller2020ein").code == 0
        await press(pilot, "ctrl+z")  # the step before: the last sample paper's setup
        assert notifications(app)[-1] == "Undid: sample 9"
        assert cli("show", "muller2020ein").code == 2


async def test_changes_from_the_command_line_show_up(lib, sample, make_app, cli):
    app = make_app(watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.watcher is not None
        app.main.poll_changes()
        await settle(pilot)
        assert "Inbox · 5 papers" in screen_text(app)
        r = cli("add", "--title", "A Paper From The Shell", "--author", "Ada Lovelace",
                "--status", "inbox")
        assert r.code == 0, r.err
        cli("tag", "yuan2024self", "+from-shell")
        app.main.poll_changes()  # what the app's timer calls every second
        await settle(pilot)
        text = screen_text(app)
        assert "Inbox · 6 papers" in text
        assert "A Paper From The Shell" in text
        assert "#from-shell" in text
        # Nothing new: no reload.
        assert app.watcher.changed() is False


async def test_the_cursors_paper_stays_in_sight_when_the_shell_adds_papers_above_it(
        lib, sample, make_app, cli):
    app = make_app(watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app.main.show_view(View("all"))  # newest first: new papers come above
        await settle(pilot)
        papers = app.main.papers
        await press(pilot, "down")
        before = papers.paper_id
        title = papers.row(before).title
        shown = len(papers.ids)
        for n in range(25):
            assert cli("add", "--title", f"Shell Paper Number {n}", "--author", "Ada Lovelace",
                       "--status", "inbox").code == 0
        app.main.poll_changes()  # the app's own timer may have looked first: either will do
        await wait_for(pilot, "the 25 new papers listed", lambda: len(papers.ids) == shown + 25)
        await settle(pilot)
        assert papers.paper_id == before
        assert papers.cursor > 10  # the new papers came above it
        assert title[:30] in screen_text(app)


async def test_esc_after_a_search_returns_to_the_paper_it_had(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.main.show_view(View("all"))
        await settle(pilot)
        papers = app.main.papers
        everything = keys_shown(app)
        assert everything.index("he2015deep") > 2  # not on the first rows of the view
        await search_for(pilot, "resdual lerning")
        assert keys_shown(app) == ["he2015deep"]
        await press(pilot, "escape")
        assert keys_shown(app) == everything  # the whole view again ...
        assert papers.row(papers.paper_id).key == "he2015deep"  # ... at the paper searched for
        # A search whose paper the view does not hold (a dismissed one) goes back to the top.
        app.main.show_view(View("inbox"))
        await settle(pilot)
        inbox = keys_shown(app)
        await press(pilot, "down")
        await search_for(pilot, "atention is al")
        assert keys_shown(app) == ["vaswani2017attention"] and "vaswani2017attention" not in inbox
        await press(pilot, "escape")
        assert keys_shown(app) == inbox and papers.cursor == 0


async def test_a_search_with_nothing_exact_shows_the_closest_and_says_so(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search_for(pilot, "attention is all you need zebra")  # one word matches nothing
        assert keys_shown(app)[0] == "vaswani2017attention"
        assert "no exact match; closest papers" in screen_text(app)
        await search_for(pilot, "qqqqq zzzzzz xxxxxxx")  # nothing close: nothing at all
        assert keys_shown(app) == []
