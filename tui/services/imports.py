"""Importing: a ``.bib`` file (each entry merged into the library, a dry run that changes
nothing) and a saved Daily Papers page (HTML or copied text, optionally resolved online)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exports.bibtex_in import BibParse, read_bibtex_file
from reader.errors import BadInput
from reader.page import PageError, parse_page
from storage import ops, pulls, vocab
from storage.aliases import file_key_problem
from storage.db import Library
from tui.services.pull import Sources
from tui.services.report import Report
from tui.services.resolve import resolve_papers
from tui.words import count as count_of

IMPORT_STATUS = "queued"


@contextmanager
def bulk() -> Iterator[None]:
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


# ---------------------------------------------------------------- .bib


@dataclass
class BibImportReport(Report):
    added: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


def _merge_all(session: Any, parsed: BibParse, *, status: str, dry_run: bool,
               out: BibImportReport) -> None:
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
            if result.outcome == "unchanged" and not result.alias:
                out.unchanged += 1
            else:
                out.merged += 1
            state = result.describe()  # each field changed or kept, or "no change"
            if result.alias:
                state = "updated" if state == "no change" else state
                state += f"; {result.alias!r} kept as another key of {paper.key}"
            verb = "would merge" if dry_run else "merged"
            out.lines.append(f"{verb} {target} ({result.reason}): {state}")
        for other, reason in result.possible[:3]:
            out.lines.append(f"{paper.key}: possible duplicate of {other}: {reason} "
                             f"(kept apart; 'papershelf merge {other} {paper.key}' joins them)")


def import_bib(lib: Library, file: Path, *, status: str = IMPORT_STATUS,
               dry_run: bool = False, encoding: str | None = None) -> BibImportReport:
    """Merge the file's records in one undoable step (or, for a dry run, in a transaction that
    is rolled back, so the report is exactly what the import would do). Entries that cannot be
    read are problems with their line; the import goes on without them (exit 1)."""
    status = vocab.check_status(status)
    report = BibImportReport()
    with bulk():
        parsed = read_bibtex_file(file, encoding=encoding)
        if dry_run:
            try:
                with lib.write() as session:
                    _merge_all(session, parsed, status=status, dry_run=True, out=report)
                    raise _DryRun
            except _DryRun:
                pass
        elif parsed.entries:
            with lib.action(f"import {file.name} ({count_of(len(parsed.entries), 'entry')})") as session:
                _merge_all(session, parsed, status=status, dry_run=False, out=report)
    report.problems += [f"{file}:{p.line}: warning: {p.message}" for p in parsed.warnings]
    report.problems += [f"{file}:{p.line}: {p.message}" for p in parsed.skipped]
    report.skipped = len(parsed.skipped)
    verb = ("would add", "would merge", "would skip") if dry_run else ("added", "merged",
                                                                       "skipped")
    unchanged = f"unchanged {report.unchanged}, " if report.unchanged else ""
    summary = (f"{file}: {verb[0]} {report.added}, {verb[1]} {report.merged}, {unchanged}"
               f"{verb[2]} {report.skipped}")
    if dry_run:
        summary += " (dry run: nothing changed)"
    elif report.added:
        summary += f"; new papers are {status!r}"
    report.lines.append(summary)
    report.exit_code = 1 if parsed.skipped else 0
    return report


# ---------------------------------------------------------------- saved pages


@dataclass
class PageImportReport(Report):
    counts: pulls.Counts = field(default_factory=pulls.Counts)
    papers: int = 0


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory, not a saved page") from None
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadInput(f"{path}:{line}: not UTF-8 text") from None


def import_page(lib: Library, path: Path, *, resolve: bool = False, year: int | None = None,
                sources: Sources | None = None) -> PageImportReport:
    """Import a saved Daily Papers page (HTML or copied text) into the inbox in one undoable
    step; with ``resolve``, look up the ids and authors of papers that came without them. A
    file that is no such page raises :class:`BadInput` (``file:line``) and changes nothing."""
    text = _read_text(path)
    try:
        page = parse_page(text, year=year)
    except PageError as error:
        where = f"{path}:{error.line}" if error.line else f"{path}"
        raise BadInput(f"{where}: {error}") from None
    if not page.entries:
        raise BadInput(f"{path}: no papers found (expected a Daily Papers page saved from the "
                       f"browser, or text copied from one)")
    report = PageImportReport(papers=len(page.entries))
    counts = report.counts
    for line, why in page.skipped:
        report.problems.append(f"{path}:{line}: skipped {why}")
        counts.failed += 1
    for line, what in page.incomplete:  # imported, but without all its lines
        report.problems.append(f"{path}:{line}: {what}")  # said, but not a failure
    title_only: set[int] = set()
    with lib.action(f"import page {path.name}") as session:
        for entry in page.entries:
            result = ops.merge_record(session, record=entry.record, status="inbox")
            if entry.day is not None:
                ops.record_feed(session, paper=result.paper, source="hf", day=entry.day,
                                rank=entry.rank or 0, upvotes=entry.upvotes)
            counts.count(result.outcome, result.paper.key)
            if result.paper.id is not None and not entry.record.arxiv_id:
                title_only.add(result.paper.id)
    kind = "saved page" if page.kind == "html" else "copied text"
    report.lines += [f"{path.name}: {count_of(len(page.entries), 'paper')} ({kind})", counts.summary()]
    report.exit_code = 1 if counts.failed else 0
    if resolve:
        with lib.read() as session:
            todo = [p.id for p in pulls.title_only_papers(session)
                    if p.id is not None and p.id in title_only]
        if todo:
            own = sources is None
            sources = sources or Sources()
            try:
                done = resolve_papers(lib, sources, todo)
            finally:
                if own:
                    sources.close()
            report.lines += [*done.lines, done.summary]
            report.notes += done.notes
            report.problems += done.problems
            report.exit_code = max(report.exit_code, done.exit_code)
    return report
