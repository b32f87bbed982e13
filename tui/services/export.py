"""Exporting BibTeX: choosing the papers (named, found by a query, filtered) with the papers
they cross-reference, and writing them: a preview (stdout), a new file (``-o``: an existing one
only with ``force``, kept as ``FILE.bak``), or a merge into an existing ``refs.bib``
(``--into``: only what it lacks is appended, its bytes kept)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from exports.bibtex_out import ExportItem, Style, export_bibtex
from exports.merge import merge_into, write_new
from reader.errors import BadInput, PapershelfError
from storage import ops, views
from storage.aliases import aliases_by_paper
from storage.db import Library
from storage.search import search_papers
from tui.services.files import guard_existing, keep_old
from tui.services.imports import bulk
from tui.services.report import Report

ExportTarget = Literal["preview", "file", "merge"]


# ---------------------------------------------------------------- choosing the papers


@dataclass
class Selection:
    """Which papers: named (key or id, in that order), then a search's (best first), then the
    filters' (by key). At least one part must be given."""

    refs: Sequence[str] = ()
    tags: Sequence[str] = ()
    status: str | None = None
    include_all: bool = False
    query: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.refs or self.tags or self.status or self.include_all
                    or self.query is not None)


def select_papers(session: Any, selection: Selection) -> list[tuple[int, str]]:
    """(id, key) of the papers ``selection`` names; :class:`BadInput` when a part matches
    nothing."""
    chosen: dict[int, str] = {}
    for ref in selection.refs:
        paper = ops.find_paper(session, ref=ref)
        chosen.setdefault(paper.id or 0, paper.key)
    if selection.query is not None:
        hits = search_papers(session, query=selection.query, limit=None)
        if not hits:
            raise BadInput(f"no paper matches the query {selection.query!r}")
        for hit in hits:
            chosen.setdefault(hit.paper_id, hit.paper.key)
    tags, status = tuple(selection.tags), selection.status
    if tags or status or selection.include_all:
        matched: dict[int, str] = {}
        for tag in tags or (None,):
            for pid, key in ops.list_paper_keys(session, status=status, tag=tag,
                                                include_dismissed=selection.include_all):
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


def export_items(session: Any, papers: list[tuple[int, str]], *, with_tags: bool = False,
                 with_notes: bool = False) -> tuple[list[ExportItem], list[str]]:
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


# ---------------------------------------------------------------- writing


@dataclass
class ExportRequest:
    """What to export and where. ``paper_ids`` (the app's marks) or ``selection`` (the command
    line's arguments); ``path``: the file ("file") or the refs.bib to merge into ("merge")."""

    paper_ids: list[int]
    target: ExportTarget
    style: str = "bibtex"
    path: Path | None = None
    with_tags: bool = False
    with_notes: bool = False
    force: bool = False  # "file": replace an existing file (kept as FILE.bak)
    selection: Selection | None = None


def _some(items: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


@dataclass
class ExportReport(Report):
    text: str | None = None  # the BibTeX, for a preview
    path: Path | None = None  # the file written or merged into
    merged: bool = False  # into an existing file (only what it lacked was appended)
    created: bool = False  # the merge made the file
    added: list[str] = field(default_factory=list)  # keys written
    skipped: list[str] = field(default_factory=list)  # "key (why)": already in the file
    backup: Path | None = None  # the replaced file, kept

    def summary(self) -> str:
        """One line (two with skipped entries) saying what was written where (the app's)."""
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


def export(lib: Library, request: ExportRequest) -> ExportReport:
    """Write (or preview) the BibTeX of the request's papers. A file that cannot be written, or
    an existing one for "file" without ``force``, raises :class:`BadInput` (nothing written)."""
    style: Style = "biblatex" if request.style == "biblatex" else "bibtex"
    tags, notes = request.with_tags, request.with_notes
    report = ExportReport()
    with bulk():
        with lib.read() as session:
            if request.selection is not None:
                keyed = select_papers(session, request.selection)
            else:
                keyed = views.keys_of(session, paper_ids=request.paper_ids)
            items, also = export_items(session, keyed, with_tags=request.with_tags,
                                       with_notes=request.with_notes)
        report.notes += [f"also exported {note}" for note in also]
        keys = [item.record.key or "" for item in items]
        if request.target == "preview":
            report.text = export_bibtex(items, style=style, with_tags=tags, with_notes=notes)
            report.added = keys
            return report
        if request.path is None:
            raise BadInput("no file to export to: name one (or set [export] file in config.toml)")
        shown = request.path
        path = request.path.expanduser().absolute()
        report.path = path
        if request.target == "file":
            if guard_existing(path, force=request.force, merge_hint=True, bib=True):
                report.backup = keep_old(path)
            count = write_new(path, items, style=style, with_tags=tags, with_notes=notes)
            report.added = keys
            report.notes.append(f"wrote {count} entr{'y' if count == 1 else 'ies'} to {shown}")
            if report.backup is not None:
                report.notes.append(f"kept the old file as {shown}.bak")
            return report
        merge = merge_into(path, items, style=style, with_tags=tags, with_notes=notes)
    report.merged, report.created = True, merge.created
    report.added = list(merge.added)
    report.skipped = [f"{s.key} ({s.reason})" for s in merge.skipped]
    report.notes += [f"added {key}" for key in merge.added]
    report.notes += [f"skipped {s.key}: {s.reason}" for s in merge.skipped]
    made = " (new file)" if merge.created and merge.added else ""
    report.notes.append(f"{shown}{made}: {len(merge.added)} added, {len(merge.skipped)} already "
                        "there")
    return report


def bibtex_of(lib: Library, paper_ids: Sequence[int], *, style: str = "bibtex") -> str:
    """The BibTeX entries of papers, for the clipboard."""
    return export(lib, ExportRequest(list(paper_ids), "preview", style)).text or ""
