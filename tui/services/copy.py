"""``db copy``: a library moved, row for row and verified, to a new SQLite file or an empty
PostgreSQL database (and back). The rows, the checks and the files are storage's
(:mod:`storage.copy`); this says what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from storage.copy import CopyResult, copy_to_file
from storage.db import Library
from tui.services.report import Report
from tui.words import plural


class CopyProgress(Protocol):
    def start(self, total: int, label: str) -> None:
        """``total`` rows are about to be copied."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more rows were written (or read back and checked)."""

    def working_on(self, description: str) -> None:
        """What the copy does now ("verifying")."""

    def close(self) -> None:
        """The copy is over (done or not)."""


class NoProgress:
    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def working_on(self, description: str) -> None:
        pass

    def close(self) -> None:
        pass


def is_url(spec: str) -> bool:
    from storage.db import is_url as names_database

    return names_database(spec)


def shown(spec: str) -> str:
    """A target as it may be printed: a URL without its password."""
    if not is_url(spec):
        return spec
    from storage.pg import shown_url

    return shown_url(spec)


def copy_library(source: Library, target: str, *, source_name: str,
                 progress: CopyProgress | None = None) -> Report:
    """Copy ``source`` to ``target`` (a library path or a postgresql:// URL)."""
    bar = progress or NoProgress()
    try:
        result = _copy(source, target, bar)
    finally:
        bar.close()
    report = Report()
    width = max(len(t.name) for t in result.tables)
    for t in result.tables:
        report.lines.append(f"  {t.name:<{width}}  {t.rows:>9,} rows  checksum {t.checksum[:16]}")
    report.lines.append(
        f"copied {result.papers:,} {plural(result.papers, 'paper')} ({result.rows:,} "
        f"{plural(result.rows, 'row')} in {len(result.tables)} tables) "
        f"from {shown(source_name)} to {shown(target)}; verified: every table's row count and "
        f"checksum match; " + (f"search index rebuilt ({result.indexed:,} "
                               f"{plural(result.indexed, 'paper')})"
                              if result.indexed >= 0 else "the server indexes them for search"))
    if result.undo_rewritten:
        report.notes.append(f"the undo log's {result.undo_rewritten:,} statements were "
                            f"rewritten for the target's engine: undo goes on working there")
    if result.undo_dropped:
        report.notes.append(
            f"{result.undo_dropped:,} oldest undo steps were left out: their statements could "
            f"not be rewritten ({result.undo_reason})")
    return report


def _copy(source: Library, target: str, bar: CopyProgress) -> CopyResult:
    def start(total: int) -> None:
        bar.start(total, "copying")

    if is_url(target):
        from storage.copy import copy_to_url

        return copy_to_url(source, target, start=start, progress=bar.advance,
                           phase=bar.working_on)
    return copy_to_file(source, Path(target), start=start, progress=bar.advance,
                        phase=bar.working_on)


def open_source(spec: str) -> Library:
    """The library to copy from: a path (which must exist: a copy never creates its source)
    or a postgresql:// URL."""
    from storage.db import open_library
    from storage.errors import LibraryError

    if is_url(spec):
        from storage.copy import open_url

        return open_url(spec)
    path = Path(spec).expanduser()
    if not path.exists():
        raise LibraryError(f"no library at {path} to copy from")
    return open_library(path)
