"""Export in the app: the export dialog's three targets (a preview, a new file, a merge into the
configured refs.bib) and its style, "copy BibTeX" (C), and "export tag..." from the palette. The
app runs the same code as `papershelf export`, so each result is compared with the command's."""

from __future__ import annotations

from pathlib import Path

import bibtexparser
from textual import events
from textual.command import CommandPalette
from textual.widgets import Input, TextArea

from storage.views import View
from tests.support.app import press, screen_text, settle, type_text
from tui.config import Config
from tui.screens.dialogs import ConfirmDialog, ExportDialog, PreviewScreen

TWO = ["yuan2024self", "tal2024lumiere"]  # the first two papers of the inbox


def notes_of(app) -> list[tuple[str, str, str]]:
    """(severity, title, message) of each notification."""
    return [(n.severity, n.title, n.message) for n in app._notifications]


def entries(text: str) -> dict[str, dict[str, str]]:
    """key -> fields of each entry, read by bibtexparser (not by our own reader)."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    return {e.key: {f.key: f.value for f in e.fields} for e in library.entries}


def exported(cli, *args: str) -> str:
    """What `papershelf export ARGS` prints."""
    result = cli("export", *args)
    assert result.code == 0, result.err
    return result.out


async def test_preview_shows_the_bibtex_and_c_copies_it(sample, make_app, cli):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        assert isinstance(app.screen, ExportDialog)
        assert "Export yuan2024self as BibTeX" in screen_text(app)
        await press(pilot, "ctrl+s")  # the preview is the default target
        assert isinstance(app.screen, PreviewScreen)
        text = app.screen.query_one(TextArea).text
        assert text == exported(cli, "yuan2024self")
        shown = screen_text(app)
        assert "BibTeX of 1 paper" in shown
        assert "@misc{yuan2024self," in shown
        assert "  archivePrefix = {arXiv}," in shown
        await press(pilot, "c")
        assert app.clipboard == text
        await press(pilot, "escape")
        assert not isinstance(app.screen, PreviewScreen)


async def test_the_style_is_chosen_in_the_dialog(sample, make_app, cli):
    app = make_app()  # [export] style is bibtex by default
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space", "e")
        assert "Export 2 papers as BibTeX" in screen_text(app)
        # Keys only: tab to the style (past the target and the file), down to biblatex; enter
        # on it exports with it (to the target chosen, the preview).
        await press(pilot, "tab", "tab", "down", "enter")
        assert isinstance(app.screen, PreviewScreen)
        text = app.screen.query_one(TextArea).text
        assert text == exported(cli, "--style", "biblatex", *TWO)
        got = entries(text)
        assert list(got) == TWO
        assert (got["yuan2024self"]["eprinttype"], got["yuan2024self"]["date"]) == (
            "arxiv", "2024-01-18")
        assert "archivePrefix" not in got["yuan2024self"]


async def test_marked_papers_go_to_a_new_file(sample, make_app, cli, tmp_path: Path,
                                             monkeypatch):
    monkeypatch.chdir(tmp_path)  # the file box says "refs.bib": here
    out = tmp_path / "out.bib"
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space", "e")
        # Down and enter choose "Write a file" and export to it, also when the keys come at
        # once (typed fast, or pasted by a terminal multiplexer).
        for key in ("down", "enter"):
            app.post_message(events.Key(key, None))
        await settle(pilot)
        assert not isinstance(app.screen, ExportDialog)
        assert notes_of(app)[-1] == ("information", "Exported",
                                     f"Wrote 2 entries to {tmp_path / 'refs.bib'}")
        # enter in the file box writes that file.
        await press(pilot, "e", "tab")
        box = app.screen.query_one("#export-path", Input)
        assert app.focused is box
        box.value = str(out)
        await press(pilot, "enter")
        assert notes_of(app)[-1] == ("information", "Exported", f"Wrote 2 entries to {out}")
        assert "2 marked" in screen_text(app)  # the marks stay
    cli("export", *TWO, "-o", str(tmp_path / "by-cli.bib"))
    assert out.read_bytes() == (tmp_path / "by-cli.bib").read_bytes()
    assert (tmp_path / "refs.bib").read_bytes() == out.read_bytes()
    got = entries(out.read_text(encoding="utf-8"))
    assert list(got) == TWO
    assert got["tal2024lumiere"]["title"] == (
        "Lumiere: A Space-Time Diffusion Model for Video Generation")
    assert got["yuan2024self"]["eprint"] == "2401.10020"


async def test_merge_into_the_configured_refs_bib_keeps_the_old_bytes(lib, sample, make_app,
                                                                     tmp_path: Path):
    refs = tmp_path / "thesis" / "refs.bib"
    refs.parent.mkdir()
    old = (b"% my thesis references\r\n"
           b"@string{nips = {Advances in Neural Information Processing Systems}}\r\n\r\n"
           b"@inproceedings{vaswani2017attention,\r\n"
           b"  author = {Vaswani, Ashish and others},\r\n"
           b"  title  = {Attention is All you Need},\r\n"
           b"  booktitle = nips, year = 2017\r\n"
           b"}\r\n")
    refs.write_bytes(old)
    app = make_app(config=Config(export_file=refs, export_style="biblatex"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.main.show_view(View("tag", "to-cite"))
        await settle(pilot)
        await press(pilot, "space", "space", "e")
        assert str(app.screen.query_one("#target-merge").label) == f"Merge into {refs}"
        assert "Merge into /tmp/" in screen_text(app)
        assert app.screen.query_one("#style-biblatex").value is True  # the configured style
        await press(pilot, "down", "down", "enter", "ctrl+s")
        assert notes_of(app)[-1] == (
            "information", "Exported",
            f"Added 1 entry to {refs} (hu2021lora)\n"
            "1 already there: vaswani2017attention (the file has this key already, line 4)")
        merged = refs.read_bytes()
        # Again: nothing to add, the file stays as it is.
        await press(pilot, "e", "down", "down", "enter", "ctrl+s")
        assert notes_of(app)[-1][2] == (
            f"Nothing added to {refs}\n2 already there: hu2021lora (the file has this key "
            "already, line 10), vaswani2017attention (the file has this key already, line 4)")
    assert merged.startswith(old)
    added = merged[len(old):].decode()
    assert added.startswith("\r\n@misc{hu2021lora,\r\n")
    assert "\n" not in added.replace("\r\n", "")  # the file's line endings
    assert list(entries(added.replace("\r\n", "\n"))) == ["hu2021lora"]
    assert entries(added.replace("\r\n", "\n"))["hu2021lora"]["eprinttype"] == "arxiv"
    assert refs.read_bytes() == merged


async def test_a_file_that_cannot_be_written_is_one_message(sample, make_app, tmp_path: Path):
    missing = tmp_path / "no-such-folder" / "out.bib"
    app = make_app()  # no [export] file configured
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        merge = app.screen.query_one("#target-merge")
        assert merge.disabled
        assert "Merge into refs.bib: needs [export] file in config.toml" in screen_text(app)
        await press(pilot, "tab")
        app.screen.query_one("#export-path", Input).value = str(missing)
        await press(pilot, "enter")
        assert notes_of(app)[-1] == (
            "error", "", f"cannot write {missing}: folder {missing.parent} does not exist")
        # An empty file name is refused in the dialog, which stays open.
        await press(pilot, "e", "tab")
        app.screen.query_one("#export-path", Input).value = ""
        await press(pilot, "enter")
        assert isinstance(app.screen, ExportDialog)
        assert notes_of(app)[-1][2] == "Name the file to write"
    assert not missing.parent.exists()


async def test_copy_bibtex_puts_the_entries_on_the_clipboard(sample, make_app, cli):
    app = make_app(config=Config(export_style="biblatex"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "C")
        assert app.clipboard == exported(cli, "--style", "biblatex", "yuan2024self")
        assert notes_of(app)[-1][2] == "Copied the BibTeX of yuan2024self"
        await press(pilot, "space", "space", "C")  # every marked paper
        assert app.clipboard == exported(cli, "--style", "biblatex", *TWO)
        assert list(entries(app.clipboard)) == TWO
        assert notes_of(app)[-1][2] == "Copied the BibTeX of 2 papers"


async def test_palette_exports_a_tag(sample, make_app, cli, tmp_path: Path):
    out = tmp_path / "to-cite.bib"
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "export tag")
        await press(pilot, "enter")
        await type_text(pilot, "to-cite")
        await press(pilot, "enter")
        assert isinstance(app.screen, ExportDialog)
        assert "Export #to-cite (2 papers) as BibTeX" in screen_text(app)
        await press(pilot, "tab")
        app.screen.query_one("#export-path", Input).value = str(out)
        await press(pilot, "enter")
        assert notes_of(app)[-1][2] == f"Wrote 2 entries to {out}"
    assert out.read_text(encoding="utf-8") == exported(cli, "--tag", "to-cite")
    assert sorted(entries(out.read_text(encoding="utf-8"))) == ["hu2021lora",
                                                                 "vaswani2017attention"]


async def test_writing_onto_an_existing_file_asks_first(sample, make_app, cli, tmp_path: Path):
    mine = tmp_path / "mine.bib"
    own = "% my own bibliography\n@book{mine, title = {Mine}, year = {1999}}\n"
    mine.write_text(own, encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e", "tab")
        app.screen.query_one("#export-path", Input).value = str(mine)
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question.startswith(f"{mine} exists. Replace it?")
        assert "Replace it?" in screen_text(app)
        await press(pilot, "n")  # keep it
        assert notes_of(app)[-1][2] == f"Nothing written: {mine} is as it was"
        assert mine.read_text(encoding="utf-8") == own
        assert not (tmp_path / "mine.bib.bak").exists()
        await press(pilot, "e", "tab")
        app.screen.query_one("#export-path", Input).value = str(mine)
        await press(pilot, "enter", "y")  # replace it
        assert notes_of(app)[-1][:2] == ("information", "Exported")
    assert (tmp_path / "mine.bib.bak").read_text(encoding="utf-8") == own
    cli("export", "yuan2024self", "-o", str(tmp_path / "by-cli.bib"))
    assert mine.read_bytes() == (tmp_path / "by-cli.bib").read_bytes()
