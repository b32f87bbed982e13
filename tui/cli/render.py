"""Showing a use case's report on the terminal: its lines on stdout, its notes and problems on
stderr (problems after ``papershelf: ``), then its exit code; JSON through one printer; the
paper table."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from storage.details import PaperDetail
from storage.listing import ListRow
from tui.cli.common import echo_json, err, json_text, say, shorten, table
from tui.services.report import Report
from tui.words import status_word

__all__ = ["echo_json", "echo_json_stream", "paper_rows", "print_papers", "show",
           "stream_papers"]


def show(report: Report, *, lines: bool = True) -> int:
    """Print ``report`` (stderr first: notes, then problems) and return its exit code."""
    for note in report.notes:
        say(note, err=True)
    for problem in report.problems:
        err(problem)
    if lines:
        for line in report.lines:
            say(line)
    return report.exit_code


def paper_rows(papers: Sequence[PaperDetail]) -> list[list[str]]:
    return [[p.key, p.title, (p.authors or [""])[0], str(p.year or ""),
             status_word(p.status) + (" ★" if p.starred else ""), ", ".join(p.tags)] for p in papers]


def print_papers(papers: Sequence[PaperDetail]) -> None:
    if not papers:
        say("no papers", err=True)
        return
    say(table(["KEY", "TITLE", "FIRST AUTHOR", "YEAR", "STATUS", "TAGS"],
                     paper_rows(papers), flex=1))


AUTHOR_WIDTH = 24
STATUS_WIDTH = len("dismissed ★")


def stream_papers(pages: Iterable[Sequence[ListRow]], *, key_width: int) -> None:
    """The paper table, printed a page at a time as the rows are read: column widths are fixed
    up front (the key column fits the longest key, so keys are never cut; title and first
    author are shortened to fit the terminal, 160 columns when piped)."""
    total = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 160
    key_w = max(len("KEY"), key_width)
    fixed = key_w + AUTHOR_WIDTH + 4 + STATUS_WIDTH + 2 * 5 + len("TAGS") + 8
    title_w = max(12, total - fixed)
    widths = [key_w, title_w, AUTHOR_WIDTH, 4, STATUS_WIDTH]

    def line(cells: Sequence[str]) -> str:
        padded = [shorten(c, widths[i]).ljust(widths[i]) if i else c.ljust(widths[i])
                  for i, c in enumerate(cells[:-1])]
        return "  ".join([*padded, cells[-1]]).rstrip()

    shown = False
    for page in pages:
        if not page:
            continue
        out = [] if shown else [line(["KEY", "TITLE", "FIRST AUTHOR", "YEAR", "STATUS", "TAGS"])]
        shown = True
        out += [line([r.key, r.title, r.first_author, str(r.year or ""),
                      status_word(r.status) + (" ★" if r.starred else ""), ", ".join(r.tags)]) for r in page]
        say("\n".join(out))
    if not shown:
        say("no papers", err=True)


def echo_json_stream(items: Iterable[Any]) -> None:
    """A JSON array printed element by element, exactly as :func:`echo_json` prints the
    whole list (``indent=2``), so a long list starts at once and is never held whole."""
    first = True
    for item in items:
        text = json_text(item).replace("\n", "\n  ")
        click.echo(("[\n  " if first else ",\n  ") + text, nl=False)
        first = False
    click.echo("[]" if first else "\n]")
