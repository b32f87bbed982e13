"""The use cases bundled for the app (:class:`Services`; tests may hand the app a subclass),
and a pull's progress as the app's progress bar needs it."""


from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from storage.db import Library
from tui.config import Config
from tui.services.add import AddReport, add_identifiers
from tui.services.export import ExportReport, ExportRequest, ExportTarget, Selection
from tui.services.export import bibtex_of as _bibtex_of
from tui.services.export import export as _export
from tui.services.imports import BibImportReport, PageImportReport, import_bib, import_page
from tui.services.links import open_url, safe_url
from tui.services.pull import PullReport, Sources, pull_today
from tui.services.report import Report
from tui.services.resolve import ResolveReport, resolve_papers

__all__ = ["AddReport", "AppProgress", "BibImportReport", "ExportReport", "ExportRequest",
           "ExportTarget", "PageImportReport", "PullReport", "Report", "ResolveReport",
           "Selection", "Services", "Sources", "open_url", "safe_url"]

ProgressCallback = Callable[[int, int, str], None]  # done, total, what is being fetched


class AppProgress:
    """A pull's :class:`~tui.services.pull.Progress` reported as ``callback(done, total,
    what)``: what the app's progress bar needs."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.total = self.done = 0
        self.what = ""

    def _tell(self) -> None:
        if self.callback:
            self.callback(self.done, self.total, self.what)

    def start(self, total: int, label: str) -> None:
        self.total = total

    def working_on(self, description: str) -> None:
        self.what = description.removeprefix("pulling ")  # "hf 2024-06-16", "arxiv cs.CL"
        self._tell()

    def note(self, line: str) -> None:
        pass  # the per-day lines of the command line; the app shows the summary instead

    def problem(self, line: str) -> None:
        pass  # listed in the report's errors

    def advance(self) -> None:
        self.done += 1
        self._tell()

    def close(self) -> None:
        pass


class Services:
    """The use cases, as the app sees them. Every method may be slow: the app calls them from
    worker threads, never from the UI thread."""

    SEARCH_LIMIT = 200  # the search box's best results (loading more costs ~0.4 ms each)

    def __init__(self, lib: Library, config: Config | None = None) -> None:
        self.lib = lib
        self.config = config or Config()

    def sources(self) -> Sources:
        """The source clients (from config.toml's ``[sources]``); the caller closes them."""
        return Sources()

    # -- pull
    def pull(self, *, day: date | None = None,
             progress: ProgressCallback | None = None) -> PullReport:
        """Pull ``day``'s Daily Papers (today, UTC, when ``None``) and, for today, the arXiv
        categories of the config file, calling ``progress(done, total, what)`` as it goes. Each
        day is merged in its own undoable transaction; a step that fails is listed in the
        report and the others go on. A bad config file or a day in the future raises
        ``BadInput``."""
        sources = self.sources()
        try:
            sources.settings  # noqa: B018  (a bad config file stops here, before any request)
            return pull_today(self.lib, sources, day=day, progress=AppProgress(progress))
        finally:
            sources.close()

    # -- search
    def find(self, query: str, *, limit: int | None = None) -> tuple[list[int], bool]:
        """What the search box shows: paper ids best first, and whether they are only the
        closest papers (no paper had every word; the looser tier answered)."""
        from storage.search import search

        with self.lib.read() as session:
            result = search(session, query=query, limit=limit or self.SEARCH_LIMIT)
            return [hit.paper_id for hit in result.hits], result.relaxed

    def search(self, query: str, *, limit: int | None = None) -> list[int]:
        """Paper ids matching ``query`` (the query language of ``papershelf search``), best
        first; dismissed papers only when the query asks for them. Raises ``BadInput`` for a
        malformed query."""
        from storage.search import search_papers

        with self.lib.read() as session:
            hits = search_papers(session, query=query, limit=limit or self.SEARCH_LIMIT)
            return [hit.paper_id for hit in hits]

    # -- export
    def export(self, request: ExportRequest) -> ExportReport:
        """Write (or preview) BibTeX with the same code as ``papershelf export`` (see
        :func:`tui.services.export.export`)."""
        return _export(self.lib, request)

    def bibtex_of(self, paper_ids: Sequence[int], *, style: str | None = None) -> str:
        """The BibTeX entries of papers, for the clipboard."""
        return _bibtex_of(self.lib, paper_ids, style=style or self.config.export_style)

    # -- add, import, resolve (the command line's use cases, for the app to offer too)
    def add(self, identifiers: Sequence[str], *, status: str = "queued",
            tags: Sequence[str] = ()) -> AddReport:
        """Add papers by arXiv id or URL, DOI or Hugging Face paper URL (one undoable step)."""
        sources = self.sources()
        try:
            return add_identifiers(self.lib, identifiers, status=status, tags=tags,
                                   sources=sources)
        finally:
            sources.close()

    def import_bib(self, path: Path, *, status: str = "queued",
                   dry_run: bool = False) -> BibImportReport:
        return import_bib(self.lib, path, status=status, dry_run=dry_run)

    def import_page(self, path: Path, *, resolve: bool = False) -> PageImportReport:
        sources = self.sources()
        try:
            return import_page(self.lib, path, resolve=resolve, sources=sources)
        finally:
            sources.close()

    def resolve(self, paper_ids: Sequence[int]) -> ResolveReport:
        """Fill in ids and authors of title-only papers by an exact title search."""
        sources = self.sources()
        try:
            return resolve_papers(self.lib, sources, paper_ids)
        finally:
            sources.close()

    # -- links
    def open_url(self, url: str | None) -> bool:
        return open_url(url)
