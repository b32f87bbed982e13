"""Pulling papers, headless: the source clients, the pull plan (Hugging Face days, ranges, weeks,
months; arXiv categories) and running it into the library, reporting through a
:class:`Progress` instead of printing.

Network work happens outside any write transaction; each day a step brings is then merged in
one undoable step, so a pull that fails midway keeps the days it finished. ``papershelf pull``
and the app's pull both come here; a change to how a pull works is a change to this module
(and to ``reader/`` for a new source).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from reader.arxiv import ArxivClient, check_category, listing_items
from reader.doi import DoiClient
from reader.errors import BadInput, PapershelfError, SourceUnreachable
from reader.hf import DailyPapers, Parsed, check_month, check_week
from reader.record import FeedItem
from reader.settings import Settings, config_path, load_settings
from storage import pulls, vocab
from storage.db import Library
from tui.services.report import Report

SOURCES = ("hf", "arxiv")
DEFAULT_ARXIV_MAX = 100


# ---------------------------------------------------------------- sources and progress


class Sources:
    """The source clients, made from the settings on first use (tests pass their own)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._hf: DailyPapers | None = None
        self._arxiv: ArxivClient | None = None
        self._doi: DoiClient | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def hf(self) -> DailyPapers:
        if self._hf is None:
            self._hf = DailyPapers.from_settings(self.settings)
        return self._hf

    @property
    def arxiv(self) -> ArxivClient:
        if self._arxiv is None:
            self._arxiv = ArxivClient.from_settings(self.settings)
        return self._arxiv

    @property
    def doi(self) -> DoiClient:
        if self._doi is None:
            self._doi = DoiClient.from_settings(self.settings)
        return self._doi

    def close(self) -> None:
        for client in (self._hf, self._arxiv, self._doi):
            if client is not None:
                client.close()


class Progress(Protocol):
    """What a pull says as it goes. The command line draws a bar and prints the lines; the app
    moves its progress bar; tests record the calls."""

    def start(self, total: int, label: str) -> None:
        """``total`` steps are about to run (``label``: "pulling hf")."""

    def working_on(self, description: str) -> None:
        """The step now running ("pulling hf 2024-06-16")."""

    def note(self, line: str) -> None:
        """A line of what happened ("2024-06-16: 3 papers (new 3, ...)")."""

    def problem(self, line: str) -> None:
        """A line about something that failed ("2024-06-16: cannot reach ...")."""

    def advance(self) -> None:
        """One step finished (well or not)."""

    def close(self) -> None:
        """The pull is over."""


class NoProgress:
    """A :class:`Progress` that says nothing."""

    def start(self, total: int, label: str) -> None:
        pass

    def working_on(self, description: str) -> None:
        pass

    def note(self, line: str) -> None:
        pass

    def problem(self, line: str) -> None:
        pass

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- the plan


@dataclass
class Step:
    """One fetch of a pull (a day, a week, a month, a category) and what it is called."""

    label: str
    fetch: Callable[[], tuple[list[FeedItem], list[str]]]


@dataclass
class PullPlan:
    """What one pull of one source will fetch, and what the pull log records about it."""

    source: str
    steps: list[Step]
    params: dict[str, Any]
    max_per_day: int | None = None


def _parsed(fetch: Callable[[], Parsed]) -> Callable[[], tuple[list[FeedItem], list[str]]]:
    def run() -> tuple[list[FeedItem], list[str]]:
        parsed = fetch()
        return parsed.items, parsed.skipped
    return run


def hf_days(sources: Sources, days: Sequence[date]) -> list[Step]:
    """One step per Daily Papers day."""
    def fetch_day(day: date) -> Callable[[], Parsed]:
        return lambda: sources.hf.day(day)
    return [Step(day.isoformat(), _parsed(fetch_day(day))) for day in days]


def arxiv_steps(sources: Sources, categories: Sequence[str], max_results: int) -> list[Step]:
    """One step per arXiv category: its newest ``max_results`` submissions."""
    def fetch_category(cat: str) -> Callable[[], tuple[list[FeedItem], list[str]]]:
        def fetch() -> tuple[list[FeedItem], list[str]]:
            return listing_items(sources.arxiv.listing(cat, max_results=max_results)), []
        return fetch
    return [Step(cat, fetch_category(cat)) for cat in categories]


def plan_hf(sources: Sources, *, day: str | None = None, since: str | None = None,
            until: str | None = None, week: str | None = None, month: str | None = None,
            max_per_day: int | None = None) -> PullPlan:
    """The Daily Papers to fetch: one ``week``, one ``month``, the days ``since`` .. ``until``
    (or today), or one ``day`` (today, UTC, by default). Dates as the user typed them; a bad
    one, or one in the future, raises :class:`BadInput`."""
    params: dict[str, Any]
    if week:
        w = check_week(week)
        steps = [Step(w, _parsed(lambda: sources.hf.week(w)))]
        params = {"week": w}
    elif month:
        m = check_month(month)
        steps = [Step(m, _parsed(lambda: sources.hf.month(m)))]
        params = {"month": m}
    elif since:
        first = vocab.parse_past_day(since, "--since")
        last = vocab.parse_past_day(until, "--until") if until else vocab.utc_today()
        if last < first:
            raise BadInput(f"--since {first} is after --until {last}")
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        steps = hf_days(sources, days)
        params = {"since": first, "until": last}
    else:
        one = vocab.parse_past_day(day, "--date") if day else vocab.utc_today()
        steps = hf_days(sources, [one])
        params = {"date": one}
    if max_per_day:
        params["max"] = max_per_day
    return PullPlan("hf", steps, params, max_per_day)


def plan_arxiv(sources: Sources, *, categories: Sequence[str] = (),
               max_results: int | None = None) -> PullPlan:
    """The newest submissions of ``categories`` (default: ``arxiv_categories`` of the config
    file); :class:`BadInput` when there are none or one is not a category."""
    cats = [check_category(c) for c in categories] or list(sources.settings.arxiv_categories)
    if not cats:
        raise BadInput(f"name an arXiv category: --category cs.CL (or set "
                       f"arxiv_categories in [sources] of {config_path()})")
    most = max_results or DEFAULT_ARXIV_MAX
    return PullPlan("arxiv", arxiv_steps(sources, cats, most), {"categories": cats, "max": most})


# ---------------------------------------------------------------- running it


@dataclass
class PullOutcome:
    """What one plan did."""

    counts: pulls.Counts = field(default_factory=pulls.Counts)
    errors: list[str] = field(default_factory=list)
    failures: list[PapershelfError] = field(default_factory=list)
    not_pulled: list[str] = field(default_factory=list)
    done: int = 0  # steps that finished

    @property
    def exit_code(self) -> int:
        if not self.failures:
            return 1 if self.counts.failed else 0  # items skipped: partly done
        if self.done:
            return 1
        return self.failures[0].exit_code


def run_plan(lib: Library, plan: PullPlan, progress: Progress | None = None) -> PullOutcome:
    """Fetch each step, then merge each day it holds in its own undoable transaction. A step
    that fails is reported and the others go on, unless the source cannot be reached at all
    (then the rest are listed as not pulled)."""
    return run_steps(lib, source=plan.source, steps=plan.steps, params=plan.params,
                     max_per_day=plan.max_per_day, progress=progress)


def run_steps(lib: Library, *, source: str, steps: Sequence[Step], params: dict[str, Any],
              max_per_day: int | None = None, progress: Progress | None = None) -> PullOutcome:
    """:func:`run_plan` for steps made by hand (tests, the app's combined pull)."""
    outcome = PullOutcome()
    bar: Progress = progress if progress is not None else NoProgress()
    pull_id = pulls.start_pull(lib, source=source, params=params)
    bar.start(len(steps), f"pulling {source}")
    try:
        for index, step in enumerate(steps):
            bar.working_on(f"pulling {source} {step.label}")
            try:
                items, skipped = step.fetch()
            except PapershelfError as error:
                outcome.failures.append(error)
                outcome.errors.append(f"{step.label}: {error}")
                outcome.counts.failed += 1
                bar.problem(f"{step.label}: {error}")
                bar.advance()
                if isinstance(error, SourceUnreachable):  # no connection: stop here
                    outcome.not_pulled = [s.label for s in steps[index + 1:]]
                    outcome.counts.failed += len(outcome.not_pulled)
                    break
                continue
            for why in skipped:
                outcome.errors.append(f"{step.label}: skipped {why}")
                outcome.counts.failed += 1
                bar.problem(f"{step.label}: skipped {why}")
            _merge_days(lib, source, step, items, max_per_day, outcome, bar)
            outcome.done += 1
            bar.advance()
    finally:
        bar.close()
        pulls.finish_pull(lib, pull_id, counts=outcome.counts, errors=outcome.errors)
    return outcome


def _merge_days(lib: Library, source: str, step: Step, items: list[FeedItem],
                max_per_day: int | None, outcome: PullOutcome, bar: Progress) -> None:
    by_day: dict[date, list[FeedItem]] = {}
    for item in items:
        by_day.setdefault(item.day, []).append(item)
    if not by_day:
        bar.note(f"{step.label}: no papers")
    for day, group in sorted(by_day.items()):
        group.sort(key=lambda it: it.rank)
        if max_per_day is not None:
            group = group[:max_per_day]
        try:
            counts = pulls.merge_feed_day(lib, source=source, day=day, items=group)
        except PapershelfError as error:  # that day is rolled back; others go on
            outcome.failures.append(error)
            outcome.errors.append(f"{day.isoformat()}: {error}")
            outcome.counts.failed += 1
            bar.problem(f"{day.isoformat()}: {error}")
            continue
        outcome.counts.add(counts)
        noun = "paper" if len(group) == 1 else "papers"
        bar.note(f"{day.isoformat()}: {len(group)} {noun} (new {counts.new}, "
                 f"updated {counts.updated}, unchanged {counts.unchanged})")


# ---------------------------------------------------------------- the use cases


@dataclass
class PullReport(Report):
    """What a pull did, over every source it ran: counts, every error (each one line), and the
    lines and exit code of ``papershelf pull`` (the per-day lines went to the progress)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: PullOutcome) -> None:
        counts = outcome.counts
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.failed += counts.failed
        self.errors += outcome.errors
        if outcome.not_pulled:
            line = f"not pulled: {', '.join(outcome.not_pulled)}"
            self.errors.append(line)
            self.problems.append(line)
        self.exit_code = max(self.exit_code, outcome.exit_code)
        self.lines = [f"new {self.new}, updated {self.updated}, unchanged {self.unchanged}, "
                      f"failed {self.failed}"]

    def summary(self) -> str:
        """The counts, as the app shows them."""
        return (f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.failed} failed")


def pull(lib: Library, plan: PullPlan, progress: Progress | None = None) -> PullReport:
    """Run one plan (``papershelf pull``)."""
    report = PullReport()
    report.add(run_plan(lib, plan, progress))
    return report


def pull_today(lib: Library, sources: Sources, *, day: date | None = None,
               progress: Progress | None = None) -> PullReport:
    """The app's pull: ``day``'s Daily Papers (today, UTC, when ``None``) and, for today, the
    arXiv categories of the config file, as one progress. A day in the future raises
    :class:`BadInput`."""
    today = vocab.utc_today()
    if day is not None and day > today:
        raise BadInput(f"cannot pull {day}: it is in the future (today is {today} UTC)")
    plans = [PullPlan("hf", hf_days(sources, [day or today]), {"date": day or today, "app": True})]
    categories = list(sources.settings.arxiv_categories)
    if categories and day is None:
        plans.append(PullPlan("arxiv", arxiv_steps(sources, categories, DEFAULT_ARXIV_MAX),
                              {"categories": categories, "max": DEFAULT_ARXIV_MAX, "app": True}))
    bar = _Combined(progress, sum(len(p.steps) for p in plans))
    report = PullReport()
    try:
        for plan in plans:
            report.add(run_plan(lib, plan, bar))
    finally:
        if progress is not None:
            progress.close()
    return report


class _Combined:
    """Several plans as one progress: ``start`` once with every step, ``close`` at the end."""

    def __init__(self, inner: Progress | None, total: int) -> None:
        self.inner = inner or NoProgress()
        self.inner.start(total, "pulling")

    def start(self, total: int, label: str) -> None:
        pass

    def working_on(self, description: str) -> None:
        self.inner.working_on(description)

    def note(self, line: str) -> None:
        self.inner.note(line)

    def problem(self, line: str) -> None:
        self.inner.problem(line)

    def advance(self) -> None:
        self.inner.advance()

    def close(self) -> None:
        pass
