"""What the app asks of the engines below it, in one place: pull, search, export, and opening a
link. The app never calls the reader, the search engine or the BibTeX code directly; it calls a
:class:`Services` object (tests may hand the app a subclass).

Pull runs the same steps as ``papershelf pull`` (:mod:`tui.cli.pull`), search the same engine
as ``papershelf search`` (:mod:`storage.search`), export the same code as ``papershelf export``
(:mod:`exports`).
"""

from __future__ import annotations

import unicodedata
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from reader.errors import BadInput
from storage import views
from storage.db import Library
from tui.config import Config

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


class _AppProgress:
    """The pull's progress interface (see ``tui.cli.pull.Progress``), reported to the app as
    ``callback(done, total, what)``."""

    def __init__(self, total: int, callback: Progress | None) -> None:
        self.total, self.done, self.callback = total, 0, callback
        self.what = ""

    def note(self, line: str) -> None:
        pass  # the per-day lines of the command line; the app shows the summary instead

    def working_on(self, description: str) -> None:
        self.what = description.removeprefix("pulling ")  # "hf 2024-06-16", "arxiv cs.CL"
        if self.callback:
            self.callback(self.done, self.total, self.what)

    def advance(self) -> None:
        self.done += 1
        if self.callback:
            self.callback(self.done, self.total, self.what)

    def close(self) -> None:
        pass


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
    path: Path | None = None  # the file written or merged into
    merged: bool = False  # into an existing file (only what it lacked was appended)
    added: list[str] = field(default_factory=list)  # keys written
    skipped: list[str] = field(default_factory=list)  # "key (why)": already in the file

    def summary(self) -> str:
        """One line (two with skipped entries) saying what was written where."""
        n = len(self.added)
        entries = f"{n} {'entry' if n == 1 else 'entries'}"
        if self.path is None:
            return entries
        if not self.merged:
            return f"Wrote {entries} to {self.path}"
        text = (f"Added {entries} to {self.path} ({_some(self.added)})" if n else
                f"Nothing added to {self.path}")
        if self.skipped:
            text += f"\n{len(self.skipped)} already there: {_some(self.skipped)}"
        return text


def _some(items: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


class Services:
    """The engines, as the app sees them. Every method may be slow: the app calls them from
    worker threads, never from the UI thread."""

    SEARCH_LIMIT = 200  # the search box's best results (loading more costs ~0.4 ms each)

    def __init__(self, lib: Library, config: Config | None = None) -> None:
        self.lib = lib
        self.config = config or Config()

    # -- pull
    def pull(self, *, day: date | None = None, progress: Progress | None = None) -> PullReport:
        """Pull ``day``'s Daily Papers (today, UTC, when ``None``) and, for today, the arXiv
        categories of the config file, calling ``progress(done, total, what)`` as it goes. The
        same steps as ``papershelf pull`` (and ``--source arxiv``): each day is merged in its own
        undoable transaction; a step that fails is listed in the report and the others go on.
        A bad config file or a day in the future raises ``BadInput``."""
        from reader.settings import load_settings
        from tui.cli import pull as pulling

        today = pulling.utc_today()
        if day is not None and day > today:
            raise BadInput(f"cannot pull {day}: it is in the future (today is {today} UTC)")
        sources = pulling.Sources(load_settings())
        try:
            runs: list[tuple[str, list[pulling.Step], dict[str, object]]] = [("hf", pulling._hf_days(sources, [day or today]),
                {"date": day or today, "app": True})]
            categories = list(sources.settings.arxiv_categories)
            if categories and day is None:
                most = pulling.DEFAULT_ARXIV_MAX
                runs.append(("arxiv", pulling._arxiv_steps(sources, categories, most),
                             {"categories": categories, "max": most, "app": True}))
            bar = _AppProgress(sum(len(steps) for _, steps, _ in runs), progress)
            report = PullReport()
            for source, steps, params in runs:
                outcome = pulling.run_steps(self.lib, source=source, steps=steps, params=params,
                                            progress=bar)
                counts = outcome.counts
                report.new += counts.new
                report.updated += counts.updated
                report.unchanged += counts.unchanged
                report.failed += counts.failed
                report.errors += outcome.errors
                if outcome.not_pulled:
                    report.errors.append(f"not pulled: {', '.join(outcome.not_pulled)}")
        finally:
            sources.close()
        return report

    # -- search
    def search(self, query: str, *, limit: int | None = None) -> list[int]:
        """Paper ids matching ``query`` (the query language of ``papershelf search``: fuzzy
        words, "phrases", tag:, author:, year:, ...), best first; dismissed papers only when
        the query asks for them. Raises ``BadInput`` for a malformed query."""
        from storage.search import search_papers

        with self.lib.read() as session:
            hits = search_papers(session, query=query, limit=limit or self.SEARCH_LIMIT)
            return [hit.paper_id for hit in hits]

    # -- export
    def export(self, request: ExportRequest) -> ExportReport:
        """Write (or preview) the BibTeX of ``request.paper_ids`` with the same code as
        ``papershelf export``: "preview" returns the text, "file" writes a new file (temporary
        file, then renamed), "merge" appends what ``request.path`` lacks and keeps its bytes.
        A file that cannot be written raises ``BadInput`` (and nothing is written)."""
        from exports.bibtex_out import Style, export_bibtex
        from exports.merge import merge_into, write_new
        from tui.cli.bibtex import _items

        style: Style = "biblatex" if request.style == "biblatex" else "bibtex"
        with self.lib.read() as session:
            keyed = views.keys_of(session, paper_ids=request.paper_ids)
            items, _parents = _items(session, keyed, with_tags=False, with_notes=False)
        keys = [item.record.key or "" for item in items]
        if request.target == "preview":
            return ExportReport(text=export_bibtex(items, style=style), added=keys)
        if request.path is None:
            raise BadInput("no file to export to: name one (or set [export] file in config.toml)")
        path = request.path.expanduser().absolute()
        if request.target == "file":
            write_new(path, items, style=style)
            return ExportReport(path=path, added=keys)
        report = merge_into(path, items, style=style)
        return ExportReport(path=path, merged=True, added=list(report.added),
                            skipped=[f"{s.key} ({s.reason})" for s in report.skipped])

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
