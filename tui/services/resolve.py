"""Resolving title-only papers (from copied page text): look each title up with the Daily
Papers search and fill in ids and authors where a result has exactly the same title."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reader.errors import PapershelfError, SourceUnreachable
from reader.hf import exact_match
from reader.record import PaperRecord
from storage import ops, pulls
from storage.db import Library
from tui.services.pull import Sources
from tui.services.report import Report
from tui.words import count as count_of


@dataclass
class ResolveReport(Report):
    resolved: list[str] = field(default_factory=list)  # keys
    unresolved: list[str] = field(default_factory=list)
    failures: list[PapershelfError] = field(default_factory=list)

    def finish(self) -> ResolveReport:
        if self.failures and not self.resolved:
            self.exit_code = self.failures[0].exit_code
        else:
            self.exit_code = 1 if self.unresolved or self.failures else 0
        return self

    @property
    def summary(self) -> str:
        return f"resolved {len(self.resolved)}, not resolved {len(self.unresolved)}"


def resolve_papers(lib: Library, sources: Sources, paper_ids: Sequence[int]) -> ResolveReport:
    """Look each paper up by its title; fill ids and authors where the title matches exactly
    (ignoring case and whitespace), all in one undoable step. Says which could not be."""
    report = ResolveReport()
    with lib.read() as session:
        chosen = [ops.find_paper(session, ref=str(pid)) for pid in paper_ids]
        papers = [(p.id, p.key, p.title) for p in chosen if p.id is not None]
    found: list[tuple[int, str, PaperRecord]] = []
    for index, (pid, key, title) in enumerate(papers):
        try:
            match = exact_match(title, sources.hf.search(title))
        except PapershelfError as error:
            report.failures.append(error)
            report.problems.append(f"{key}: {error}")
            if isinstance(error, SourceUnreachable):
                rest = [k for _p, k, _t in papers[index:]]
                report.unresolved.extend(rest)
                report.problems.append(f"not resolved: {', '.join(rest)}")
                break
            report.unresolved.append(key)
            continue
        if match is None:
            report.unresolved.append(key)
            report.problems.append(f"could not resolve {key}: no paper titled {title!r} on "
                                   f"{sources.hf.http.host}")
            continue
        found.append((pid, key, match))
    if found:
        with lib.action(f"resolve {count_of(len(found), 'paper')}") as session:
            for pid, key, record in found:
                paper = ops.find_paper(session, ref=str(pid))
                result = pulls.resolve_paper(session, paper=paper, record=record)
                if result.outcome == "duplicate" and result.other is not None:
                    report.unresolved.append(key)
                    report.problems.append(
                        f"could not resolve {key}: arXiv {record.arxiv_id} is already in the "
                        f"library as {result.other.key} (left both as they are)")
                    continue
                report.resolved.append(key)
                ident = f"arXiv {record.arxiv_id}" if record.arxiv_id else record.url_abs
                count = len(record.authors)
                report.lines.append(f"resolved {key}: {ident}, {count} "
                                    f"author{'' if count == 1 else 's'}")
    return report.finish()


def resolve_refs(lib: Library, refs: Sequence[str], *, sources: Sources | None = None
                 ) -> ResolveReport:
    """``papershelf resolve [REFS]``: the papers named (or every title-only paper) that have
    no arXiv id or DOI, resolved; the report ends with the summary line."""
    report = ResolveReport()
    with lib.read() as session:
        chosen = pulls.title_only_papers(session, refs=refs)
    ids = []
    for paper in chosen:
        if paper.arxiv_id or paper.doi:
            report.notes.append(f"{paper.key} already has an arXiv id or DOI")
        elif paper.id is not None:
            ids.append(paper.id)
    if not ids:
        report.notes.append("no papers without ids to resolve")
        return report
    own = sources is None
    sources = sources or Sources()
    try:
        done = resolve_papers(lib, sources, ids)
    finally:
        if own:
            sources.close()
    done.notes[:0] = report.notes
    done.lines.append(done.summary)
    return done
