"""End to end: the real `papershelf` command in a real terminal (tmux). Types a search, tags a
paper (one tag added and one removed with one enter; esc on typed tags asks first), writes a
note, marks two papers, exports them to a file by enter on the choice, quits, then checks the
file and the database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest

from storage import ops
from storage.db import open_library
from tests.support.shelf_sample import build_sample

# serial: a real terminal, waits with timeouts: run alone. slow: not in the fast lane.
pytestmark = [pytest.mark.serial, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


class Terminal:
    """A tmux session running one command, driven by keys and read as text. It runs on its own
    tmux server (socket), so nobody else's tmux settings or clients can change its size."""

    def __init__(self, name: str) -> None:
        self.name = name

    def tmux(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.name, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=check)

    def keys(self, *keys: str, literal: bool = False) -> None:
        args = ["send-keys", "-t", self.name]
        if literal:
            args.append("-l")
        self.tmux(*args, *keys, check=True)

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name).stdout

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.name).returncode == 0

    def wait_for(self, what: str, timeout: float = 30.0) -> str:
        """Poll the screen until ``what`` shows (a real terminal has no idle signal)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.text()
            if what in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{what!r} never showed; the screen was:\n{self.text()}")

    def wait_exit(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return
            time.sleep(0.1)
        raise AssertionError(f"the app did not quit; the screen was:\n{self.text()}")


@pytest.fixture
def terminal(tmp_path: Path, lib) -> Iterator[tuple[Terminal, Path]]:
    if shutil.which("tmux") is None:
        if IN_CI:
            pytest.fail("CI=true but tmux is not installed")
        pytest.skip("tmux is not installed")
    build_sample(lib)
    name = f"papershelf-e2e-{uuid.uuid4().hex[:8]}"
    env = {"PYTHONPATH": str(REPO), "PAPERSHELF_CONFIG": str(tmp_path / "no-config.toml"),
           "TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8"}
    # COLUMNS/LINES (set by some test runners) would override the real terminal's size.
    command = " ".join(["env", "-u", "COLUMNS", "-u", "LINES"] +
                       [f"{k}={v}" for k, v in env.items()] +
                       [sys.executable, "-m", "tui", "--db", str(lib.path)])
    term = Terminal(name)
    # The pane gets its size first, then the app starts in it (an app started with the
    # session can see the terminal before it is resized).
    term.tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "50", "-c", str(tmp_path),
              "sleep 600", check=True)
    term.tmux("set-option", "-g", "escape-time", "0")
    term.tmux("respawn-pane", "-k", "-t", name, "-c", str(tmp_path), command, check=True)
    try:
        yield term, tmp_path
    finally:
        term.tmux("kill-server")


def test_search_tag_note_mark_export_quit(terminal, lib):
    term, folder = terminal
    term.wait_for("Inbox · 5 papers")
    term.wait_for("key       yuan2024self")  # the detail pane: the app is up
    # Search as you type.
    term.keys("/")
    term.wait_for("/ Search ^z Undo")  # the footer of the focused search box
    term.keys("lora", literal=True)
    term.wait_for("Search “lora” · 1 result")
    term.keys("Enter")
    term.wait_for("y Keep d Dismiss")  # the list has the focus again
    # Tag it: one tag added and one removed, with one enter.
    term.keys("t")
    term.wait_for("Tags for this paper")
    term.wait_for("enter apply · tab complete")  # the dialog shows its keys
    term.keys("e2e-tag -to-cite", literal=True)
    term.wait_for("enter applies: +e2e-tag -to-cite")
    term.keys("Enter")
    term.wait_for("#e2e-tag, #fine-tuning")
    # esc on typed tags asks first; n goes back to them, y throws them away.
    term.keys("t")
    term.wait_for("Tags for this paper")
    term.keys("never", literal=True)
    term.keys("Escape")
    term.wait_for("Discard the typed tags?")
    term.keys("y")
    term.wait_for("y Keep d Dismiss")
    # Write a note.
    term.keys("n")
    term.wait_for("New note on")
    term.keys("Written in *tmux*.", literal=True)
    term.keys("C-s")
    term.wait_for("Note saved")
    # The list has most of the height: + makes the detail pane bigger, to show the note.
    term.keys("++++++", literal=True)
    term.wait_for("Notes (1)")
    term.wait_for("Written in tmux.")
    # Back to the inbox, mark two papers.
    term.keys("Escape")  # clears the search
    term.wait_for("Inbox · 5 papers")
    term.keys("Space")
    term.keys("Space")
    term.wait_for("2 marked")
    # Export them to a file: "Write a file" (down, enter) to the file box's "refs.bib", which
    # is in the folder the app runs in. The keys arrive at once, as a fast typist's would.
    term.keys("e")
    term.wait_for("Export 2 papers as BibTeX")
    term.keys("Down")  # the target list: preview -> file
    term.keys("Enter")  # enter on a choice exports with it
    out = folder / "refs.bib"
    term.wait_for("Wrote 2 entries to")
    # Quit (the dialog closed when it exported).
    term.wait_for("y Keep d Dismiss")
    term.keys("q")
    term.wait_exit()
    # The database holds what was done.
    check = open_library(lib.path)
    try:
        with check.read() as session:
            paper = ops.find_paper(session, ref="hu2021lora")
            assert ops.tags_of(session, paper_id=paper.id) == ["e2e-tag", "fine-tuning"]
            assert [n.body for n in ops.notes_of(session, paper_id=paper.id)] == [
                "Written in *tmux*."]
            assert ops.find_paper(session, ref="yuan2024self").status == "inbox"
    finally:
        check.close()
    library = bibtexparser.parse_string(out.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    got = {e.key: {f.key: f.value for f in e.fields} for e in library.entries}
    assert list(got) == ["yuan2024self", "tal2024lumiere"]
    assert (got["yuan2024self"]["title"], got["yuan2024self"]["eprint"]) == (
        "Self-Rewarding Language Models", "2401.10020")
    assert (got["tal2024lumiere"]["title"], got["tal2024lumiere"]["eprint"]) == (
        "Lumiere: A Space-Time Diffusion Model for Video Generation", "2401.12945")
    assert got["tal2024lumiere"]["author"] == "Bar-Tal, Omer and Chefer, Hila and Tov, Omer"


def test_keys_typed_with_the_slash_go_to_the_search_box(terminal, lib):
    """``/`` and a word in one write, as a fast typist or a paste sends them: every key goes
    to the search box (the ``y`` of ``/yield`` would keep a paper, the ``d`` of ``/dry`` dismiss
    one), none to the list."""
    term, _folder = terminal
    with lib.read() as session:
        before = {p.key: p.status for p in ops.list_papers(session, include_dismissed=True)}
    term.wait_for("Inbox · 5 papers")
    term.wait_for("key       yuan2024self")
    term.keys("/yield", literal=True)
    term.wait_for("“yield”")
    term.keys("Escape")
    term.wait_for("Inbox · 5 papers")
    term.keys("/dry", literal=True)
    term.wait_for("“dry”")
    screen = term.text()
    assert "/ Search ^z Undo" in screen  # the box has the focus: its footer
    term.keys("Escape")
    term.wait_for("y Keep d Dismiss")
    term.keys("q")
    term.wait_exit()
    check = open_library(lib.path)
    try:
        with check.read() as session:
            after = {p.key: p.status for p in ops.list_papers(session, include_dismissed=True)}
    finally:
        check.close()
    assert after == before
