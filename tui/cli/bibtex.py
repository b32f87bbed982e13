"""``papershelf export`` and ``papershelf import``: BibTeX out of and into the library.

The format knowledge is in ``exports/``; these commands pick the papers, hand plain records to
it, and merge imported records through the library's record merge.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from exports.bibtex_in import BibParse, read_bibtex_file
from exports.bibtex_out import STYLES, ExportItem, Style, export_bibtex
from exports.merge import merge_into, write_new
from reader.errors import BadInput, PapershelfError
from storage import ops
from storage.aliases import aliases_by_paper, file_key_problem
from storage.db import Library
from storage.models import STATUSES
from storage.search import search_papers
from tui.cli.common import err, pass_library

STATUS_CHOICE = click.Choice(STATUSES, case_sensitive=False)
IMPORT_STATUS = "queued"


@contextmanager
def _bulk() -> Iterator[None]:
    """Thousands of long-lived objects at once (records, rows, entries): the cyclic garbage
    collector would rescan them again and again, about a fifth of an import's time. Reference
    counting still frees everything; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def register(cli: click.Group) -> None:
    cli.add_command(export)
    cli.add_command(import_cmd)


# ------------------------------------------------------------------ export


def _select(session: Any, *, refs: tuple[str, ...], tags: tuple[str, ...], status: str | None,
            include_all: bool, query: str | None = None) -> list[tuple[int, str]]:
    """(id, key) of the papers named (in the order given), then of those a search finds (best
    first), then of those the filters match (by key)."""
    chosen: dict[int, str] = {}
    for ref in refs:
        paper = ops.find_paper(session, ref=ref)
        chosen.setdefault(paper.id or 0, paper.key)
    if query is not None:
        hits = search_papers(session, query=query, limit=None)
        if not hits:
            raise BadInput(f"no paper matches the query {query!r}")
        for hit in hits:
            chosen.setdefault(hit.paper_id, hit.paper.key)
    if tags or status or include_all:
        matched: dict[int, str] = {}
        for tag in tags or (None,):
            for pid, key in ops.list_paper_keys(session, status=status, tag=tag,
                                                include_dismissed=include_all):
                matched.setdefault(pid, key)
        if not matched:
            what = " and ".join(
                ([f"tag {' or '.join(repr(t) for t in tags)}"] if tags else [])
                + ([f"status {status!r}"] if status else []))
            raise BadInput(f"no paper has {what}" if what else "the library has no papers")
        for pid, key in sorted(matched.items(), key=lambda item: item[1].lower()):
            chosen.setdefault(pid, key)
    return list(chosen.items())


def _note_text(body: str, quote: str | None) -> str:
    return f"\u201c{quote.strip()}\u201d {body.strip()}" if quote and quote.strip() else body.strip()


def _items(session: Any, papers: list[tuple[int, str]], *, with_tags: bool,
           with_notes: bool) -> tuple[list[ExportItem], list[str]]:
    """Export items for ``papers`` (id, key), plus the papers they cross-reference (BibTeX
    needs those in the same file); the second list says which were added that way."""
    keys = {key.lower() for _, key in papers}
    added: list[str] = []
    items: list[ExportItem] = []
    batch = list(papers)
    while batch:
        ids = [pid for pid, _ in batch]
        tags = ops.tags_by_paper(session, paper_ids=ids) if with_tags else {}
        notes = ops.notes_by_paper(session, paper_ids=ids) if with_notes else {}
        aliases = aliases_by_paper(session, paper_ids=ids)
        parents: list[tuple[int, str]] = []
        for pid, record in zip(ids, ops.paper_records(session, paper_ids=ids), strict=True):
            items.append(ExportItem(record, tags=tags.get(pid, []),
                                    notes=[_note_text(n.body, n.quote) for n in notes.get(pid, [])],
                                    aliases=aliases.get(pid, [])))
            target = (record.extra_fields or {}).get("crossref", "").strip()
            if target and target.lower() not in keys:
                try:
                    parent = ops.find_paper(session, ref=target)
                except PapershelfError:
                    continue
                if parent.key.lower() not in keys:
                    keys.add(parent.key.lower())
                    parents.append((parent.id or 0, parent.key))
                    added.append(f"{parent.key} (cross-referenced by {record.key})")
        batch = parents
    return items, added


@click.command()
@click.argument("refs", nargs=-1, metavar="[KEYS]...")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Papers with this tag (repeat for any of several tags).")
@click.option("--status", "status_", type=STATUS_CHOICE, help="Papers with this status.")
@click.option("--all", "include_all", is_flag=True,
              help="Every paper in the library (dismissed ones included).")
@click.option("--query", metavar="Q", help="Papers a search finds, e.g. 'tag:rlhf year:2024'.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a new .bib file (replacing FILE) instead of printing.")
@click.option("--into", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Append the entries FILE lacks; its existing text is kept byte for byte.")
@click.option("--style", type=click.Choice(STYLES), default="bibtex", show_default=True,
              help="bibtex: for classic .bst styles (arXiv note, LaTeX accents); "
                   "biblatex: for biber (eprinttype, UTF-8).")
@click.option("--with-notes", is_flag=True, help="Put the papers' notes into 'annote'.")
@click.option("--with-tags", is_flag=True, help="Put the papers' tags into 'keywords'.")
@pass_library
def export(lib: Library, refs: tuple[str, ...], tags: tuple[str, ...], status_: str | None,
           include_all: bool, query: str | None, output: Path | None, into: Path | None,
           style: Style, with_notes: bool, with_tags: bool) -> None:
    """Export papers as BibTeX: by citation key or id, --tag, --status, --query or --all.

    Prints to stdout unless -o FILE (a new file) or --into FILE (merge into an existing
    refs.bib: only missing entries are appended, nothing else in it changes).
    """
    if output and into:
        raise click.UsageError("use either -o FILE (a new file) or --into FILE (merge), not both")
    if not (refs or tags or status_ or include_all or query is not None):
        raise click.UsageError("name the papers: KEYS, --tag, --status, --query or --all")
    with _bulk(), lib.read() as session:
        papers = _select(session, refs=refs, tags=tags,
                         status=status_.lower() if status_ else None, include_all=include_all,
                         query=query)
        items, also = _items(session, papers, with_tags=with_tags, with_notes=with_notes)
    for note in also:
        click.echo(f"also exported {note}", err=True)
    with _bulk():
        _write_export(items, style=style, with_tags=with_tags, with_notes=with_notes,
                      output=output, into=into)


def _write_export(items: list[ExportItem], *, style: Style, with_tags: bool, with_notes: bool,
                  output: Path | None, into: Path | None) -> None:
    if into:
        report = merge_into(into, items, style=style, with_tags=with_tags,
                            with_notes=with_notes)
        for key in report.added:
            click.echo(f"added {key}", err=True)
        for skipped in report.skipped:
            click.echo(f"skipped {skipped.key}: {skipped.reason}", err=True)
        made = " (new file)" if report.created and report.added else ""
        click.echo(f"{into}{made}: {len(report.added)} added, {len(report.skipped)} already "
                   "there", err=True)
    elif output:
        count = write_new(output, items, style=style, with_tags=with_tags,
                          with_notes=with_notes)
        click.echo(f"wrote {count} entr{'y' if count == 1 else 'ies'} to {output}", err=True)
    else:
        click.echo(export_bibtex(items, style=style, with_tags=with_tags,
                                 with_notes=with_notes), nl=False)


# ------------------------------------------------------------------ import


@dataclass
class _Outcome:
    lines: list[str] = field(default_factory=list)
    added: int = 0
    merged: int = 0
    unchanged: int = 0


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


def _merge_all(session: Any, parsed: BibParse, *, status: str, dry_run: bool) -> _Outcome:
    out = _Outcome()
    results = ops.merge_records(session, records=[e.record for e in parsed.entries],
                                status=status)
    for entry, result in zip(parsed.entries, results, strict=True):
        record = entry.record
        paper = result.paper
        file_key = record.key or ""
        if result.outcome == "new":
            out.added += 1
            note = ""
            if result.key_changed:
                note = f" (the file's key {result.wanted_key!r} is taken by another paper)"
            elif file_key and paper.key != file_key:  # merge_record did not take it as a key
                note = f" (not the file's key: {file_key_problem(file_key)})"
            verb = "would add" if dry_run else "added"
            out.lines.append(f"{verb} {paper.key}{note}: {record.title}")
        else:
            target = f"{file_key} into {paper.key}" if file_key != paper.key else paper.key
            if result.outcome == "unchanged":
                out.unchanged += 1
                state = "no change"
            else:
                out.merged += 1
                state = "updated"
            if result.alias:
                state += f"; {result.alias!r} kept as another key of {paper.key}"
            verb = "would merge" if dry_run else "merged"
            out.lines.append(f"{verb} {target} ({result.reason}): {state}")
        for other, reason in result.possible[:3]:
            out.lines.append(f"{paper.key}: possible duplicate of {other}: {reason} "
                             f"(kept apart; 'papershelf merge {other} {paper.key}' joins them)")
    return out


def _import(lib: Library, file: Path, parsed: BibParse, *, status: str,
            dry_run: bool) -> _Outcome:
    """Merge the file's records in one undoable step (or, for a dry run, in a transaction
    that is rolled back, so the report is exactly what the import would do)."""
    if dry_run:
        outcome = _Outcome()
        try:
            with lib.write() as session:
                outcome = _merge_all(session, parsed, status=status, dry_run=True)
                raise _DryRun
        except _DryRun:
            pass
        return outcome
    if not parsed.entries:
        return _Outcome()
    with lib.action(f"import {file.name} ({len(parsed.entries)} entries)") as session:
        return _merge_all(session, parsed, status=status, dry_run=False)


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
        from tui.cli.pull import import_page  # the saved-page reader's command

        return import_page(lib, page, resolve=resolve, year=year)
    if resolve or year is not None:
        raise click.UsageError("--resolve and --year go with --page FILE")
    if file is None:
        raise click.UsageError("give the .bib FILE to import (or --page FILE)")
    with _bulk():
        parsed = read_bibtex_file(file, encoding=encoding)
        outcome = _import(lib, file, parsed, status=status_.lower(), dry_run=dry_run)
    for line in outcome.lines:
        click.echo(line)
    for problem in parsed.warnings:
        err(f"{file}:{problem.line}: warning: {problem.message}")
    for problem in parsed.skipped:
        err(f"{file}:{problem.line}: {problem.message}")
    verb = ("would add", "would merge", "would skip") if dry_run else ("added", "merged",
                                                                       "skipped")
    unchanged = f"unchanged {outcome.unchanged}, " if outcome.unchanged else ""
    summary = (f"{file}: {verb[0]} {outcome.added}, {verb[1]} {outcome.merged}, {unchanged}"
               f"{verb[2]} {len(parsed.skipped)}")
    if dry_run:
        summary += " (dry run: nothing changed)"
    elif outcome.added:
        summary += f"; new papers are {status_.lower()!r}"
    click.echo(summary)
    if parsed.skipped:
        return 1
    return 0
