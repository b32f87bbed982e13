"""Adding by identifier and resolving title-only papers, headless, through fake sources."""

from __future__ import annotations

from service_fakes import FakeSources, record

from reader.errors import SourceUnreachable
from reader.record import PaperRecord
from storage import ops
from storage.db import Library
from tui.services.add import add_by_hand, add_identifiers
from tui.services.resolve import resolve_papers, resolve_refs


def test_add_fetches_each_identifier_and_merges_them_in_one_step(lib: Library,
                                                                sources: FakeSources) -> None:
    sources.fake_arxiv.known = {"1706.03762": record(1, title="Attention Is All You Need",
                                                     authors=["Ashish Vaswani"], year=2017)}
    report = add_identifiers(lib, ["1706.03762", "not-an-id", "10.1145/x.y"], tags=["llm"],
                             sources=sources)
    assert [(r.identifier, r.outcome) for r in report.results] == [
        ("1706.03762", "new"), ("not-an-id", "failed"), ("10.1145/x.y", "failed")]
    paper = report.results[0].paper
    assert paper is not None and (paper.key, paper.status, paper.tags) == (
        "vaswani2017attention", "queued", ["llm"])
    assert report.lines == ["1706.03762: added vaswani2017attention (Attention Is All You Need)",
                            "new 1, updated 0, unchanged 0, failed 2"]
    assert report.problems[1] == "10.1145/x.y: cannot reach doi.test: connection refused"
    assert report.exit_code == 1  # partly done
    assert sources.fake_arxiv.asked == ["lookup 1706.03762"]  # one request for the arXiv ids
    with lib.read() as session:
        assert ops.undo_history(session)[0][1] == "add 1706.03762 not-an-id 10.1145/x.y"
    again = add_identifiers(lib, ["1706.03762"], sources=sources)
    assert again.lines == ["1706.03762: already in the library: vaswani2017attention "
                           "(Attention Is All You Need)"]
    only_failures = add_identifiers(lib, ["10.1145/x.y"], sources=sources)
    assert only_failures.exit_code == 3  # the source's own code


def test_add_by_hand(lib: Library) -> None:
    report = add_by_hand(lib, PaperRecord(title="A Hand Made Paper", authors=["Ann Smith"],
                                          year=2020), status="reading", tags=["mine"])
    assert report.outcome == "new" and report.paper is not None
    assert (report.paper.status, report.paper.tags) == ("reading", ["mine"])
    assert report.lines == [f"added {report.paper.key}: A Hand Made Paper"]
    same = add_by_hand(lib, PaperRecord(title="A hand made paper", authors=["Ann Smith"],
                                        year=2020))
    assert same.lines == [f"already in the library as {report.paper.key} "
                          "(title 'A Hand Made Paper' -> 'A hand made paper')"]
    assert same.paper is not None and same.paper.id == report.paper.id  # not a duplicate


def title_only(lib: Library, *titles: str) -> list[int]:
    with lib.action("titles") as session:
        return [ops.merge_record(session, record=PaperRecord(title=t), status="inbox").paper.id
                or 0 for t in titles]


def test_resolve_fills_exact_titles_and_says_which_it_could_not(lib: Library,
                                                                sources: FakeSources) -> None:
    ids = title_only(lib, "Found Paper", "Missing Paper")
    sources.fake_hf.titles = {"Found Paper": [record(9, title="found  paper",
                                                     authors=["A B", "C D"])]}
    report = resolve_papers(lib, sources, ids)
    with lib.read() as session:
        found = ops.find_paper(session, ref=str(ids[0]))
        assert (found.arxiv_id, ops.authors_of(session, paper_id=ids[0])) == (
            "2406.00009", ["A B", "C D"])
    assert report.resolved == [found.key] and len(report.unresolved) == 1
    assert report.lines == [f"resolved {found.key}: arXiv 2406.00009, 2 authors"]
    assert report.problems == [f"could not resolve {report.unresolved[0]}: no paper titled "
                               f"'Missing Paper' on hf.test"]
    assert report.exit_code == 1


def test_resolve_stops_when_the_source_is_unreachable(lib: Library,
                                                      sources: FakeSources) -> None:
    ids = title_only(lib, "One", "Two", "Three")
    sources.fake_hf.titles = {"One": SourceUnreachable("cannot reach hf.test: offline")}
    report = resolve_papers(lib, sources, ids)
    assert sources.fake_hf.asked == ["search One"]
    assert report.problems[-1].startswith("not resolved: ")
    assert len(report.unresolved) == 3 and report.exit_code == 3


def test_resolve_refs_skips_papers_with_ids(lib: Library, sources: FakeSources) -> None:
    with lib.action("add") as session:
        ops.merge_record(session, record=record(1), status="inbox")
    assert resolve_refs(lib, [], sources=sources).notes == ["no papers without ids to resolve"]
