"""Dialogs that finish with enter and ask before throwing typed text away, choices that act on
enter (and disabled ones that say why), one word per status across the app and the command
line, counts with the right plural, and toasts with the right cause (issue 15)."""

from __future__ import annotations

import re
import webbrowser
from pathlib import Path

from textual.widgets import Input, RadioButton

from storage import ops
from storage.views import View
from tests.support.app import notifications, press, screen_text, settle, type_text
from tui.config import Config
from tui.screens.dialogs import ConfirmDialog, ExportDialog, InputDialog, PreviewScreen, TagDialog
from tui.words import STATUS_WORDS, count

FIRST = "yuan2024self"  # the paper under the cursor when the app opens on the sample library


def tags(lib, pid: int) -> list[str]:
    with lib.read() as session:
        return ops.tags_of(session, paper_id=pid)


def keys_line(app) -> str:
    """The dialog's own line of keys (the footer is the main screen's)."""
    return str(app.screen.query_one(".keys").render())


# ---------------------------------------------------------------- the tag dialog


async def test_one_enter_adds_a_tag_and_removes_another(lib, sample, make_app):
    pid = sample["Attention Is All You Need"]  # tags: to-cite, transformers
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.main.show_view(View("reading"))
        await settle(pilot)
        assert app.main.papers.paper_id == pid
        await press(pilot, "t")
        assert isinstance(app.screen, TagDialog)
        assert keys_line(app) == "enter apply · tab complete · ↑↓ suggestion · esc cancel"
        await type_text(pilot, "seminal -to-cite,classic")
        await press(pilot, "enter")
        assert not isinstance(app.screen, TagDialog)
        assert tags(lib, pid) == ["classic", "seminal", "transformers"]
        assert "Attention" in screen_text(app)  # back on the list, one undo step made
        await press(pilot, "u")
        assert tags(lib, pid) == ["to-cite", "transformers"]


async def test_esc_with_typed_tags_asks_and_keeps_or_discards(lib, sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pid = app.main.papers.paper_id
        await press(pilot, "t")
        await type_text(pilot, "half-typed")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard the typed tags?" in screen_text(app)
        assert keys_line(app) == "y discard · n/esc keep editing · enter the highlighted one"
        await press(pilot, "n")  # keep editing: the text is still there
        assert isinstance(app.screen, TagDialog)
        assert app.screen.query_one("#tag-input", Input).value == "half-typed"
        await press(pilot, "escape", "enter")  # enter takes the highlighted answer: keep
        assert isinstance(app.screen, TagDialog)
        await press(pilot, "escape", "y")  # discard: closed, nothing written
        assert not isinstance(app.screen, (TagDialog, ConfirmDialog))
        assert tags(lib, pid) == []
        # Nothing typed: esc closes at once.
        await press(pilot, "t", "escape")
        assert not isinstance(app.screen, (TagDialog, ConfirmDialog))


async def test_esc_in_a_one_line_dialog_asks_only_when_the_text_changed(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "K")  # rename the key: the box holds the old key
        assert isinstance(app.screen, InputDialog)
        assert keys_line(app) == "enter accept · esc cancel"
        await press(pilot, "escape")  # unchanged: closes at once
        assert not isinstance(app.screen, (InputDialog, ConfirmDialog))
        await press(pilot, "K", "x", "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "y")
        assert not isinstance(app.screen, (InputDialog, ConfirmDialog))
        assert app.main.papers.row(app.main.papers.paper_id).key == FIRST


async def test_esc_in_the_field_editor_asks_before_dropping_changed_fields(lib, sample,
                                                                          make_app):
    from tui.screens.field_editor import FieldEditor

    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        pid = app.main.papers.paper_id
        await press(pilot, "E")
        assert isinstance(app.screen, FieldEditor)
        assert keys_line(app) == "ctrl+s save · tab next field · esc cancel"
        await press(pilot, "escape")  # nothing changed: closes at once
        assert not isinstance(app.screen, (FieldEditor, ConfirmDialog))
        await press(pilot, "E", "end", "x", "escape")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard the changed fields?" in screen_text(app)
        await press(pilot, "n")
        assert app.screen.query_one("#field-0", Input).value.endswith("x")
        await press(pilot, "escape", "y")
        assert not isinstance(app.screen, (FieldEditor, ConfirmDialog))
    with lib.read() as session:
        assert ops.find_paper(session, ref=str(pid)).title == "Self-Rewarding Language Models"


# ---------------------------------------------------------------- the export dialog


async def test_export_is_chosen_by_enter(sample, make_app, cli, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the file box says "refs.bib": here
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        assert isinstance(app.screen, ExportDialog)
        assert keys_line(app) == "↑↓ choose · enter export · tab next · esc cancel"
        await press(pilot, "enter")  # enter on the highlighted choice (the preview)
        assert isinstance(app.screen, PreviewScreen)
        assert keys_line(app) == "c copy · esc close"
        await press(pilot, "escape", "e", "down", "enter")  # "Write a file", enter
        assert not isinstance(app.screen, ExportDialog)
        assert notifications(app)[-1] == f"Wrote 1 entry to {tmp_path / 'refs.bib'}"
    by_cli = tmp_path / "by-cli.bib"
    cli("export", FIRST, "-o", str(by_cli))
    assert (tmp_path / "refs.bib").read_bytes() == by_cli.read_bytes()


async def test_a_disabled_choice_looks_disabled_says_why_and_cannot_be_chosen(
        sample, make_app, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(config=Config())  # no [export] file: merging has nowhere to go
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        merge = app.screen.query_one("#target-merge", RadioButton)
        enabled = app.screen.query_one("#target-file", RadioButton)
        assert merge.disabled
        assert "Merge into refs.bib: needs [export] file in config.toml" in (
            screen_text(app))
        # Drawn apart: italic, in the muted colour (not dim, which falls under WCAG AA
        # contrast in light themes: tests/tui/test_contrast.py).
        assert merge.rich_style.italic and not enabled.rich_style.italic
        assert merge.rich_style.color != enabled.rich_style.color
        # The arrows pass over it (down, down: back round to the preview, never the merge).
        await press(pilot, "down", "down")
        assert not merge.value
        await press(pilot, "enter")
        assert isinstance(app.screen, PreviewScreen)
        assert not (tmp_path / "refs.bib").exists()
        # Clicking it does nothing either.
        await press(pilot, "escape", "e")
        await pilot.click("#target-merge")
        await settle(pilot)
        assert isinstance(app.screen, ExportDialog)
        assert not app.screen.query_one("#target-merge", RadioButton).value


async def test_esc_in_the_export_dialog_asks_when_the_file_name_was_typed(sample, make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e", "escape")
        assert not isinstance(app.screen, (ExportDialog, ConfirmDialog))
        await press(pilot, "e", "tab", "end", "x", "escape")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard the file name you typed?" in screen_text(app)
        await press(pilot, "n")
        assert app.screen.query_one("#export-path", Input).value == "refs.bibx"


# ---------------------------------------------------------------- one word per status


async def test_status_words_match_across_list_pane_sidebar_and_command_line(
        lib, sample, make_app, cli):
    listed = {}
    for line in cli("list").out.splitlines()[1:]:
        key, *_rest = line.split()
        listed[key] = line
    app = make_app()
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "in the inbox" not in text and not re.search(r"\bnew\b", text)
        assert "Queued " in text and "Queue " not in text  # the sidebar's view names
        assert "Days (inbox/all)" in text
        for status in ("inbox", "queued", "reading", "read"):
            app.main.show_view(View(status))
            await settle(pilot)
            papers = app.main.papers
            row = papers.row(papers.paper_id)
            word = STATUS_WORDS[status]
            assert word == status  # the command line's name, the one users type
            text = screen_text(app)
            # The list's status column, the detail pane's status line, the command line's row.
            in_list = [r.split("▕", 1)[-1].split("▏")[0] for r in text.splitlines()]
            line = next(r for r in in_list if row.title[:30] in r)
            if status != "inbox":  # the inbox's list has no status column: all are inbox
                assert re.search(rf"\s{word}\s", line), line
            assert re.search(rf"status\s+{word}\b", text), status
            assert re.search(rf"\s{word}\b", listed[row.key]), listed[row.key]
        # A status change says the same word.
        await press(pilot, "i")
        assert notifications(app)[-1].endswith(": inbox")


async def test_the_stats_screen_and_the_sidebar_count_tags_alike(lib, sample, make_app, cli):
    # A dismissed paper's tag counts nowhere: not in the sidebar, the stats or `papershelf tags`.
    assert cli("tag", "hu2021lora", "+vision").code == 0
    assert cli("status", "hu2021lora", "dismissed").code == 0
    assert re.search(r"^vision\s+1$", cli("tags").out, re.M), cli("tags").out
    assert {"name": "vision", "count": 1} in cli("tags", "--json").json()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert dict(app.main.counts.tags)["vision"] == 1
        assert re.search(r"#vision\s+1\b", screen_text(app))
        await press(pilot, "S")
        stats = screen_text(app)
        assert re.search(r"#vision\s+1\b", stats), stats


# ---------------------------------------------------------------- plurals and causes


async def test_one_of_a_thing_is_singular(lib, sample, make_app, cli):
    assert count(1, "paper") == "1 paper" and count(2, "entry") == "2 entries"
    assert count(0, "paper") == "0 papers"
    # The command line.
    assert cli("tags", "rename", "vision", "sight").out.strip() == "vision -> sight (1 paper)"
    # The app: the rest of a day with one paper left, the stats' backlog of one paper.
    for key in ("tal2024lumiere", "wang2024mambabyte", "chen2024orion"):
        result = cli("status", key, "queued")
        assert result.code == 0, result.err
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.main.show_view(View("day", "2024-01-19"))
        await settle(pilot)
        await press(pilot, "D")
        assert "Dismiss the 1 paper from 2024-01-19 still in the inbox?" in screen_text(app)
        await press(pilot, "y")
        assert notifications(app)[-1] == "Dismissed 1 paper from 2024-01-19"
        await press(pilot, "S")
        assert "1 paper waits in the inbox" in screen_text(app)


async def test_o_without_a_browser_says_so(sample, make_app, monkeypatch):
    # The real webbrowser module, with one browser: a command that fails (as BROWSER=false).
    monkeypatch.setattr(webbrowser, "_tryorder", [])
    monkeypatch.setattr(webbrowser, "_browsers", {})
    webbrowser.register("false", None, webbrowser.GenericBrowser("false"), preferred=True)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "o")
        url = "https://arxiv.org/abs/2401.10020"
        message = notifications(app)[-1]
        assert message.startswith(f"No web browser opened {url}"), message
        assert "http" not in message.split(url)[1]  # not "only http(s) links open"
        assert app.clipboard == url


def test_one_word_per_status_the_command_lines():
    from storage.vocab import STATUSES

    assert {s: s for s in STATUSES} == STATUS_WORDS
