"""What the app asks of the engines below it, in one place: pull, search, export, and opening a
link. The app never calls the reader, the search engine or the BibTeX code directly; it calls a
:class:`Services` object (tests may hand the app a subclass).

Three engines land in parallel with the app (the reader with ``pull``, the search engine, the
BibTeX export). Until each is merged, its method here either uses a plain stand-in that gives
real, if simpler, results (search) or says it is not available yet (pull, export). Every such
place is marked ``# SEAM(pull)``, ``# SEAM(search)`` or ``# SEAM(export)``.
"""

from __future__ import annotations

import unicodedata
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from reader.errors import BadInput, PapershelfError
from storage import views
from storage.db import Library
from tui.config import Config


class NotAvailable(PapershelfError):
    """An engine the app needs is not available."""


class _AppProgress:
    """The pull's progress interface (see ``tui.cli.pull.Progress``), reported to the app."""

    def __init__(self, total: int, callback: Progress | None) -> None:
        self.total, self.done, self.callback = total, 0, callback
        self.what = ""

    def note(self, line: str) -> None:
        self.what = line

    def working_on(self, description: str) -> None:
        self.what = description
        if self.callback:
            self.callback(self.done, self.total, description)

    def advance(self) -> None:
        self.done += 1
        if self.callback:
            self.callback(self.done, self.total, self.what)

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- pull

Progress = Callable[[int, int, str], None]  # done, total, what is being fetched


@dataclass
class PullReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.failed} failed")
        return text


# ---------------------------------------------------------------- export

ExportTarget = Literal["preview", "file", "merge"]


@dataclass
class ExportRequest:
    paper_ids: list[int]
    target: ExportTarget
    style: str = "bibtex"
    path: Path | None = None  # the file ("file") or the configured refs.bib ("merge")


@dataclass
class ExportReport:
    text: str | None = None  # the BibTeX, for a preview
    path: Path | None = None
    added: list[str] = field(default_factory=list)  # keys written
    skipped: list[str] = field(default_factory=list)  # keys already in the file, with why

    def summary(self) -> str:
        if self.path is None:
            return f"{len(self.added)} entries"
        parts = [f"wrote {len(self.added)} entries to {self.path}"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} already there")
        return "; ".join(parts)


class Services:
    """The engines, as the app sees them. Every method may be slow: the app calls them from
    worker threads, never from the UI thread."""

    SEARCH_LIMIT = 1000

    def __init__(self, lib: Library, config: Config | None = None) -> None:
        self.lib = lib
        self.config = config or Config()

    # -- pull
    def can_pull(self) -> bool:
        return True

    def pull(self, *, day: date | None = None, progress: Progress | None = None) -> PullReport:
        """Pull ``day``'s Daily Papers (today when ``None``) and the configured arXiv categories,
        calling ``progress(done, total, what)`` as it goes. The same steps as ``papershelf
        pull``: each day is merged in its own undoable transaction."""
        from reader.settings import load_settings
        from tui.cli import pull as pulling

        sources = pulling.Sources(load_settings())
        try:
            steps = pulling._hf_days(sources, [day or pulling.utc_today()])
            categories = list(sources.settings.arxiv_categories)
            if categories and day is None:
                steps += pulling._arxiv_steps(sources, categories, pulling.DEFAULT_ARXIV_MAX)
            outcome = pulling.run_steps(
                self.lib, source="hf", steps=steps,
                params={"date": day or pulling.utc_today(), "app": True},
                progress=_AppProgress(len(steps), progress))
        finally:
            sources.close()
        counts = outcome.counts
        return PullReport(new=counts.new, updated=counts.updated, unchanged=counts.unchanged,
                          failed=counts.failed, errors=list(outcome.errors))

    # -- search
    def search(self, query: str, *, limit: int | None = None) -> list[int]:
        """Paper ids matching ``query``, best first. Raises ``BadInput`` for a malformed query."""
        # SEAM(search): replace with the search engine (issue 5):
        #   from storage.search import search_papers
        #   with self.lib.read() as s:
        #       return [h.paper_id for h in search_papers(s, query=query, limit=limit)]
        # Until then: a case-insensitive substring of the title or an author name.
        with self.lib.read() as session:
            return views.substring_ids(session, text=query, limit=limit or self.SEARCH_LIMIT)

    # -- export
    def can_export(self) -> bool:
        return True

    def export(self, request: ExportRequest) -> ExportReport:
        """Write (or preview) the BibTeX of ``request.paper_ids`` with the same code as
        ``papershelf export``: "preview" returns the text, "file" writes a new file (temporary
        file, then renamed), "merge" appends what ``request.path`` lacks and keeps its bytes."""
        from exports.bibtex_out import export_bibtex
        from exports.merge import merge_into, write_new
        from tui.cli.bibtex import _items

        style = request.style if request.style in ("bibtex", "biblatex") else "bibtex"
        with self.lib.read() as session:
            keyed = views.keys_of(session, paper_ids=request.paper_ids)
            items, _parents = _items(session, keyed, with_tags=False, with_notes=False)
        if request.target == "preview":
            return ExportReport(text=export_bibtex(items, style=style),  # type: ignore[arg-type]
                                added=[k for _, k in keyed])
        if request.path is None:
            raise BadInput("no file to export to: name one (or set [export] file in config.toml)")
        path = request.path.expanduser()
        if request.target == "file":
            write_new(path, items, style=style)  # type: ignore[arg-type]
            return ExportReport(path=path, added=[i.record.key or "" for i in items])
        report = merge_into(path, items, style=style)  # type: ignore[arg-type]
        return ExportReport(path=path, added=list(report.added),
                            skipped=[f"{s.key}: {s.reason}" for s in report.skipped])

    def bibtex_of(self, paper_ids: Sequence[int], *, style: str | None = None) -> str:
        """The BibTeX entries of papers, for the clipboard."""
        report = self.export(ExportRequest(list(paper_ids), "preview",
                                           style or self.config.export_style))
        return report.text or ""


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link, else ``None`` (never hand anything else to a
    browser)."""
    if not url:
        return None
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    host = rest.split("/", 1)[0]
    if sep and scheme.lower() in ("http", "https") and host and not any(
            c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in text):
        return text
    return None


def open_url(url: str | None) -> bool:
    """Open an http(s) link in the browser (through ``webbrowser``, never a shell)."""
    checked = safe_url(url)
    if checked is None:
        return False
    return bool(webbrowser.open(checked, new=2))
