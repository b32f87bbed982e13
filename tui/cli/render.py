"""Showing a use case's report on the terminal: its lines on stdout, its notes and problems on
stderr (problems after ``papershelf: ``), then its exit code; JSON through one printer; the
paper table."""

from __future__ import annotations

from collections.abc import Sequence

import click

from storage.details import PaperDetail
from tui.cli.common import echo_json, err, table
from tui.services.report import Report

__all__ = ["echo_json", "paper_rows", "print_papers", "show"]


def show(report: Report, *, lines: bool = True) -> int:
    """Print ``report`` (stderr first: notes, then problems) and return its exit code."""
    for note in report.notes:
        click.echo(note, err=True)
    for problem in report.problems:
        err(problem)
    if lines:
        for line in report.lines:
            click.echo(line)
    return report.exit_code


def paper_rows(papers: Sequence[PaperDetail]) -> list[list[str]]:
    return [[p.key, p.title, (p.authors or [""])[0], str(p.year or ""),
             p.status + (" ★" if p.starred else ""), ", ".join(p.tags)] for p in papers]


def print_papers(papers: Sequence[PaperDetail]) -> None:
    if not papers:
        click.echo("no papers", err=True)
        return
    click.echo(table(["KEY", "TITLE", "FIRST AUTHOR", "YEAR", "STATUS", "TAGS"],
                     paper_rows(papers), flex=1))
