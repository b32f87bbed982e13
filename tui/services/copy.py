"""``db copy``: a library moved, row for row and verified, to a new SQLite file or an empty
PostgreSQL database (and back). The rows, the checks and the files are storage's
(:mod:`storage.copy`); this says what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from storage.copy import CopyResult, copy_to_file
from storage.db import Library
from tui.services.report import Report

PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class CopyProgress(Protocol):
    def start(self, total: int, label: str) -> None:
        """``total`` rows are about to be copied."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more rows were written."""

    def close(self) -> None:
        """The copy is over (done or not)."""


class NoProgress:
    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def is_url(spec: str) -> bool:
    return spec.lower().startswith(PG_SCHEMES)


def shown(spec: str) -> str:
    """A target as it may be printed: a URL without its password."""
    if not is_url(spec):
        return spec
    from sqlalchemy.engine import make_url

    try:
        return make_url(spec).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (an unparsable URL is reported where it is opened)
        return spec


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
        f"copied {result.papers:,} papers ({result.rows:,} rows in {len(result.tables)} tables) "
        f"from {shown(source_name)} to {shown(target)}; verified: every table's row count and "
        f"checksum match; search index rebuilt ({result.indexed:,} papers)")
    return report


def _copy(source: Library, target: str, bar: CopyProgress) -> CopyResult:
    def start(total: int) -> None:
        bar.start(total, "copying")

    if is_url(target):
        from storage.copy import copy_to_url

        return copy_to_url(source, target, start=start, progress=bar.advance)
    return copy_to_file(source, Path(target), start=start, progress=bar.advance)


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
