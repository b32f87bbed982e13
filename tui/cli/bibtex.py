"""``papershelf export`` and ``papershelf import``: click over :mod:`tui.services.export` and
:mod:`tui.services.imports`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from exports.bibtex_out import STYLES, Style
from storage.db import Library
from storage.vocab import STATUSES
from tui.cli.common import WordsCommand, pass_library
from tui.cli.render import show
from tui.safe_text import safe_lines
from tui.services.export import ExportRequest, ExportTarget, Selection
from tui.services.export import export as run_export
from tui.services.imports import IMPORT_STATUS, import_bib, import_page

STATUS_CHOICE = click.Choice(STATUSES, case_sensitive=False)


def register(cli: click.Group) -> None:
    cli.add_command(export)
    cli.add_command(import_cmd)


@click.command(cls=WordsCommand, long_words=False)
@click.argument("refs", nargs=-1, metavar="[KEYS]...")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Papers with this tag (repeat for any of several tags).")
@click.option("--status", "status_", type=STATUS_CHOICE, help="Papers with this status.")
@click.option("--all", "include_all", is_flag=True,
              help="Every paper in the library (dismissed ones included).")
@click.option("--query", metavar="Q", help="Papers a search finds, e.g. 'tag:rlhf year:2024'.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a new .bib file instead of printing (an existing FILE only with "
                   "--force).")
@click.option("--into", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Append the entries FILE lacks; its existing text is kept byte for byte.")
@click.option("--force", is_flag=True,
              help="With -o: replace an existing FILE (the old one is kept as FILE.bak).")
@click.option("--style", type=click.Choice(STYLES), default="bibtex", show_default=True,
              help="bibtex: for classic .bst styles (arXiv note, LaTeX accents); "
                   "biblatex: for biber (eprinttype, UTF-8).")
@click.option("--with-notes", is_flag=True, help="Put the papers' notes into 'annote'.")
@click.option("--with-tags", is_flag=True, help="Put the papers' tags into 'keywords'.")
@pass_library
def export(lib: Library, refs: tuple[str, ...], tags: tuple[str, ...], status_: str | None,
           include_all: bool, query: str | None, output: Path | None, into: Path | None,
           force: bool, style: Style, with_notes: bool, with_tags: bool) -> int:
    """Export papers as BibTeX: by citation key or id, --tag, --status, --query or --all.

    Prints to stdout unless -o FILE (a new file) or --into FILE (merge into an existing
    refs.bib: only missing entries are appended, nothing else in it changes).
    """
    if output and into:
        raise click.UsageError("use either -o FILE (a new file) or --into FILE (merge), not both")
    if force and not output:
        raise click.UsageError("--force goes with -o FILE")
    negations = [ref for ref in refs if ref.startswith("-")]
    if query is not None and negations:  # export --query tag:llm -tag:old: one query, unquoted
        whole = shlex.quote(" ".join([query, *negations]))
        raise click.UsageError(f"{negations[0]!r} is no option of export; a query of several "
                               f"words goes in quotes: --query {whole}")
    selection = Selection(refs=refs, tags=tags, status=status_.lower() if status_ else None,
                          include_all=include_all, query=query)
    if selection.empty:
        raise click.UsageError("name the papers: KEYS, --tag, --status, --query or --all")
    target: ExportTarget = "merge" if into else "file" if output else "preview"
    report = run_export(lib, ExportRequest([], target, style, path=into or output,
                                           with_tags=with_tags, with_notes=with_notes,
                                           force=force, selection=selection))
    code = show(report)
    if report.text is not None:  # on a terminal, a control in an imported field shows as ␛
        click.echo(safe_lines(report.text) if sys.stdout.isatty() else report.text, nl=False)
    return code


@click.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would be added, merged and skipped; "
                                               "change nothing.")
@click.option("--status", "status_", type=STATUS_CHOICE, default=IMPORT_STATUS,
              show_default=True, help="Status of the papers the file adds.")
@click.option("--page", type=click.Path(path_type=Path), metavar="FILE",
              help="Import a saved Daily Papers page (HTML or copied text) instead of a .bib.")
@click.option("--resolve", is_flag=True, help="With --page: look the papers up online.")
@click.option("--year", type=click.IntRange(1991, 2100),
              help="With --page: year of dates written without one (default: this year).")
@click.option("--encoding", metavar="NAME",
              help="The .bib file's encoding when it is neither UTF-8 nor Latin-1 (e.g. gbk).")
@pass_library
def import_cmd(lib: Library, file: Path | None, dry_run: bool, status_: str, page: Path | None,
               resolve: bool, year: int | None, encoding: str | None) -> int:
    """Import a .bib file: each entry is merged into the library (no duplicates; the file's
    keys are kept when free). Entries that cannot be read are reported with their line."""
    if page is not None:
        if file is not None or dry_run:
            raise click.UsageError("--page FILE imports a saved page; give no .bib FILE and "
                                   "no --dry-run with it")
        return show(import_page(lib, page, resolve=resolve, year=year))
    if resolve or year is not None:
        raise click.UsageError("--resolve and --year go with --page FILE")
    if file is None:
        raise click.UsageError("give the .bib FILE to import (or --page FILE)")
    return show(import_bib(lib, file, status=status_, dry_run=dry_run, encoding=encoding))
