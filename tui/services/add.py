"""Adding papers: by identifier (arXiv id or URL, DOI, Hugging Face paper URL), fetched from the
sources and merged in one undoable step; or one paper by hand (``--title``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from exports.bibtex_in import parse_bibtex_entry_text
from exports.csl import record_from_csl
from reader.arxiv import ArxivQueryError
from reader.errors import NotFound, PapershelfError, SourceError
from reader.identifiers import Identifier, parse_identifier
from reader.record import PaperRecord
from storage import ops, pulls, vocab
from storage.db import Library
from storage.details import PaperDetail, paper_details
from tui.services.pull import Sources
from tui.services.report import Report


@dataclass
class Added:
    """One identifier's outcome: "new", "updated", "unchanged" or "failed"."""

    identifier: str
    outcome: str
    paper: PaperDetail | None = None
    error: PapershelfError | None = None


@dataclass
class AddReport(Report):
    results: list[Added] = field(default_factory=list)
    counts: pulls.Counts = field(default_factory=pulls.Counts)


# ---------------------------------------------------------------- fetching


def _doi_record(sources: Sources, doi: str) -> PaperRecord:
    """A DOI's metadata through content negotiation: CSL-JSON, or BibTeX (parsed by
    ``exports.bibtex_in``) from agencies that have no CSL-JSON."""
    try:
        return record_from_csl(sources.doi.csl(doi))
    except SourceError as no_csl:
        try:
            text = sources.doi.bibtex(doi)
        except SourceError:
            raise no_csl from None
        record = parse_bibtex_entry_text(text)
        record.source = "doi"
        record.key = None  # the agency's key is not the user's; the library makes one
        return record


def _arxiv_records(sources: Sources, idents: Sequence[Identifier]
                   ) -> dict[str, PaperRecord | PapershelfError]:
    """arXiv ids looked up in one request (each alone when arXiv rejects the batch)."""
    out: dict[str, PaperRecord | PapershelfError] = {}
    if not idents:
        return out
    queries = list(dict.fromkeys(i.arxiv_query for i in idents))
    try:
        found = sources.arxiv.lookup(queries)
    except ArxivQueryError as error:
        if len(queries) == 1:
            return {queries[0]: error}
        found = {}
        for query in queries:
            try:
                found.update(sources.arxiv.lookup([query]))
            except PapershelfError as one:
                out[query] = one
    except PapershelfError as error:
        return {q: error for q in queries}
    for ident in idents:
        if ident.arxiv_query in out:
            continue
        record = found.get(ident.value)
        out[ident.arxiv_query] = record if record is not None else NotFound(
            f"arXiv has no paper {ident.arxiv_query}")
    return out


def fetch_identifiers(sources: Sources, texts: Sequence[str]
                      ) -> list[tuple[str, PaperRecord | PapershelfError]]:
    """Each identifier with its record or the error that stopped it, in the order given."""
    parsed: list[tuple[str, Identifier | PapershelfError]] = []
    for text in texts:
        try:
            parsed.append((text, parse_identifier(text)))
        except PapershelfError as error:
            parsed.append((text, error))
    arxiv = _arxiv_records(sources, [i for _t, i in parsed
                                     if isinstance(i, Identifier) and i.kind == "arxiv"])
    results: list[tuple[str, PaperRecord | PapershelfError]] = []
    for text, ident in parsed:
        if not isinstance(ident, Identifier):
            results.append((text, ident))
            continue
        try:
            if ident.kind == "arxiv":
                results.append((text, arxiv[ident.arxiv_query]))
            elif ident.kind == "hf":
                try:
                    results.append((text, sources.hf.paper(ident.value)))
                except NotFound:
                    results.append((text, sources.arxiv.paper(ident.arxiv_query)))
            else:
                results.append((text, _doi_record(sources, ident.value)))
        except PapershelfError as error:
            results.append((text, error))
    return results


# ---------------------------------------------------------------- the use cases

_WORD = {"new": "added", "updated": "updated", "unchanged": "already in the library:"}


def add_identifiers(lib: Library, identifiers: Sequence[str], *, status: str = "queued",
                    tags: Sequence[str] = (), sources: Sources | None = None) -> AddReport:
    """Fetch each identifier, then merge them all in one undoable step. One failure does not
    stop the others (exit 1 when some were added, else the failure's own code)."""
    status = vocab.check_status(status)
    own = sources is None
    sources = sources or Sources()
    try:
        fetched = fetch_identifiers(sources, identifiers)
    finally:
        if own:
            sources.close()
    report = AddReport()
    good = [(text, r) for text, r in fetched if isinstance(r, PaperRecord)]
    merged: dict[str, tuple[str, int]] = {}
    changed: dict[str, str] = {}  # what each merge did, field by field
    details: dict[int, PaperDetail] = {}
    if good:
        label = " ".join(identifiers)
        with lib.action(f"add {label[:80]}") as session:
            for text, record in good:
                merge = ops.merge_record(session, record=record, status=status)
                if tags:
                    ops.change_tags(session, paper=merge.paper, add=tags)
                merged[text] = (merge.outcome, merge.paper.id or 0)
                changed[text] = merge.describe()
            session.flush()
            ids = [pid for _o, pid in merged.values()]
            details = {d.id: d for d in paper_details(session, paper_ids=ids)}
    failures: list[PapershelfError] = []
    for text, result in fetched:
        if isinstance(result, PapershelfError):
            failures.append(result)
            report.counts.failed += 1
            report.results.append(Added(text, "failed", error=result))
            report.problems.append(f"{text}: {result}")
            continue
        outcome, pid = merged[text]
        paper = details[pid]
        report.counts.count(outcome, paper.key)
        report.results.append(Added(text, outcome, paper=paper))
        detail = f": {changed[text]}" if changed[text] not in ("new", "no change") else ""
        report.lines.append(f"{text}: {_WORD[outcome]} {paper.key} ({paper.title}){detail}")
    if len(identifiers) > 1:
        report.lines.append(report.counts.summary())
    if failures:
        report.exit_code = 1 if good else failures[0].exit_code
    return report


@dataclass
class ManualAdd(Report):
    outcome: str = "new"
    paper: PaperDetail | None = None


def add_by_hand(lib: Library, record: PaperRecord, *, status: str = "queued",
                tags: Sequence[str] = ()) -> ManualAdd:
    """One paper typed in by the user (``add --title``); an existing match is updated, not
    duplicated."""
    status = vocab.check_status(status)
    with lib.action(f"add {record.title[:60]}") as session:
        result = ops.merge_record(session, record=record, status=status, by_user=True)
        if tags:
            ops.change_tags(session, paper=result.paper, add=tags)
        session.flush()
        paper = paper_details(session, paper_ids=[result.paper.id or 0])[0]
    report = ManualAdd(outcome=result.outcome, paper=paper)
    if result.outcome == "new":
        report.lines.append(f"added {paper.key}: {paper.title}")
    else:
        report.lines.append(f"already in the library as {paper.key} ({result.describe()})")
    return report
