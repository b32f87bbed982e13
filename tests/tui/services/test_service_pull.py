"""The pull use case, headless: the plan (days, ranges, weeks, arXiv categories), running it
into a temporary library through fake sources, and what the Progress is told."""

from __future__ import annotations

from datetime import date

import pytest
from service_fakes import FakeSources, Recorder, items, record

import storage.vocab
from reader.errors import BadInput, SourceError, SourceUnreachable
from reader.record import FeedItem
from reader.settings import Settings
from storage import ops
from storage.db import Library
from tui.services import pull as pulling

TODAY = date(2024, 6, 16)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.vocab, "utc_today", lambda: TODAY)


def statuses(lib: Library) -> dict[str, str]:
    with lib.read() as session:
        return {p.arxiv_id or "": p.status for p in ops.list_papers(session)}


def test_the_plan_for_each_kind_of_pull(sources: FakeSources) -> None:
    assert [s.label for s in pulling.plan_hf(sources).steps] == ["2024-06-16"]
    ranged = pulling.plan_hf(sources, since="2024-06-14", max_per_day=5)
    assert [s.label for s in ranged.steps] == ["2024-06-14", "2024-06-15", "2024-06-16"]
    assert ranged.params == {"since": date(2024, 6, 14), "until": TODAY, "max": 5}
    assert ranged.max_per_day == 5
    week = pulling.plan_hf(sources, week="2024-W24")
    assert ([s.label for s in week.steps], week.params) == (["2024-W24"], {"week": "2024-W24"})
    arxiv = pulling.plan_arxiv(sources, categories=["cs.CL", "cs.LG"], max_results=7)
    assert (arxiv.source, [s.label for s in arxiv.steps]) == ("arxiv", ["cs.CL", "cs.LG"])
    assert arxiv.params == {"categories": ["cs.CL", "cs.LG"], "max": 7}
    assert sources.fake_hf.asked == []  # planning asks nothing


def test_bad_plans_are_one_line(sources: FakeSources) -> None:
    with pytest.raises(BadInput, match=r"^--date 2024-06-17 is in the future \(today is "
                                       r"2024-06-16 UTC\)$"):
        pulling.plan_hf(sources, day="2024-06-17")
    with pytest.raises(BadInput, match=r"^--since 2024-06-16 is after --until 2024-06-10$"):
        pulling.plan_hf(sources, since="2024-06-16", until="2024-06-10")
    with pytest.raises(BadInput, match=r"^--date must be a date like 2024-06-16, not 'June'$"):
        pulling.plan_hf(sources, day="June")
    with pytest.raises(BadInput, match=r"^name an arXiv category"):
        pulling.plan_arxiv(sources)
    with pytest.raises(BadInput):
        pulling.plan_arxiv(sources, categories=["not a category"])


def test_a_pull_merges_each_day_and_tells_the_progress(lib: Library, sources: FakeSources,
                                                       recorder: Recorder) -> None:
    sources.fake_hf.days = {date(2024, 6, 15): items(date(2024, 6, 15), 1, 2),
                            TODAY: items(TODAY, 2, 3)}
    report = pulling.pull(lib, pulling.plan_hf(sources, since="2024-06-15"), recorder)
    assert (report.new, report.updated, report.unchanged, report.failed) == (3, 0, 1, 0)
    assert report.lines == ["new 3, updated 0, unchanged 1, failed 0"]
    assert (report.exit_code, report.problems, report.errors) == (0, [], [])
    assert recorder.calls == [
        ("start", (2, "pulling hf")),
        ("working_on", "pulling hf 2024-06-15"),
        ("note", "2024-06-15: 2 papers (new 2, updated 0, unchanged 0)"),
        ("advance", ()),
        ("working_on", "pulling hf 2024-06-16"),
        ("note", "2024-06-16: 2 papers (new 1, updated 0, unchanged 1)"),
        ("advance", ()),
        ("close", ()),
    ]
    assert statuses(lib) == {"2406.00001": "inbox", "2406.00002": "inbox", "2406.00003": "inbox"}


def test_max_per_day_keeps_the_best_ranked(lib: Library, sources: FakeSources) -> None:
    sources.fake_hf.days = {TODAY: items(TODAY, 5, 6, 7)}
    report = pulling.pull(lib, pulling.plan_hf(sources, max_per_day=2))
    assert report.new == 2 and set(statuses(lib)) == {"2406.00005", "2406.00006"}


def test_unreachable_stops_a_source_error_does_not(lib: Library, sources: FakeSources,
                                                   recorder: Recorder) -> None:
    sources.fake_hf.days = {
        date(2024, 6, 12): SourceError("hf.test answered HTTP 500 for 2024-06-12"),
        date(2024, 6, 13): items(date(2024, 6, 13), 1),
        date(2024, 6, 14): SourceUnreachable("cannot reach hf.test: connection refused"),
    }
    report = pulling.pull(lib, pulling.plan_hf(sources, since="2024-06-12"), recorder)
    # 12th failed and the pull went on; 14th unreachable: 15th and 16th never asked
    assert sources.fake_hf.asked == ["2024-06-12", "2024-06-13", "2024-06-14"]
    assert report.problems == ["not pulled: 2024-06-15, 2024-06-16"]
    assert report.errors == ["2024-06-12: hf.test answered HTTP 500 for 2024-06-12",
                             "2024-06-14: cannot reach hf.test: connection refused",
                             "not pulled: 2024-06-15, 2024-06-16"]
    assert (report.new, report.failed, report.exit_code) == (1, 4, 1)
    assert [c for c in recorder.calls if c[0] == "problem"] == [
        ("problem", "2024-06-12: hf.test answered HTTP 500 for 2024-06-12"),
        ("problem", "2024-06-14: cannot reach hf.test: connection refused")]


def test_nothing_reached_is_the_sources_exit_code(lib: Library, sources: FakeSources) -> None:
    sources.fake_hf.days = {TODAY: SourceUnreachable("cannot reach hf.test: offline")}
    report = pulling.pull(lib, pulling.plan_hf(sources))
    assert (report.exit_code, report.failed, report.new) == (3, 1, 0)


def test_a_day_that_cannot_be_merged_is_rolled_back_alone(lib: Library) -> None:
    good = FeedItem(record(1), "hf", TODAY, 1)
    bad = FeedItem(record(2, title=" "), "hf", date(2024, 6, 15), 1)
    outcome = pulling.run_steps(lib, source="hf", params={"week": "2024-W24"},
                                steps=[pulling.Step("2024-W24", lambda: ([good, bad], []))])
    assert outcome.errors == ["2024-06-15: a paper needs a title"]
    assert (outcome.counts.new, outcome.counts.failed, outcome.exit_code) == (1, 1, 1)
    assert statuses(lib) == {"2406.00001": "inbox"}


def test_the_apps_pull_adds_the_configured_categories_for_today(lib: Library,
                                                                recorder: Recorder) -> None:
    sources = FakeSources(Settings(arxiv_categories=("cs.CL",)))
    sources.fake_hf.days = {TODAY: items(TODAY, 1)}
    report = pulling.pull_today(lib, sources, progress=recorder)
    assert sources.fake_arxiv.asked == ["cs.CL max 100"]
    assert (report.new, report.failed) == (1, 1)
    assert report.errors == ["cs.CL: export.arxiv.test answered HTTP 503 for cs.CL"]
    assert recorder.calls[0] == ("start", (2, "pulling"))
    assert [c for c in recorder.calls if c[0] == "close"] == [("close", ())]  # once, at the end
    past = pulling.pull_today(lib, sources, day=date(2024, 6, 1))
    assert sources.fake_arxiv.asked == ["cs.CL max 100"]  # a past day: Daily Papers only
    assert past.lines == ["new 0, updated 0, unchanged 0, failed 0"]
    with pytest.raises(BadInput, match=r"^cannot pull 2024-06-17: it is in the future"):
        pulling.pull_today(lib, sources, day=date(2024, 6, 17))


def test_the_two_source_problems_are_siblings() -> None:
    from reader.errors import PapershelfError, SourceProblem

    assert not issubclass(SourceError, SourceUnreachable)
    assert not issubclass(SourceUnreachable, SourceError)
    for kind in (SourceError, SourceUnreachable):
        assert issubclass(kind, SourceProblem) and issubclass(kind, PapershelfError)
        assert kind("x").exit_code == 3
