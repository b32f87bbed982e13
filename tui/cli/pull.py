"""Pulling papers: ``pull``, ``feed``, ``resolve``, ``import --page``, and the identifiers form of
``add`` (:func:`add_identifiers`).

Network work happens outside any write transaction; each day of a pull is then merged in one
undoable step, so a pull that fails midway keeps the days it finished. Progress goes to stderr
(a bar on a terminal, plain lines otherwise); the summary line goes to stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from exports.bibtex_in import parse_bibtex_entry_text
from exports.csl import record_from_csl
from reader.arxiv import ArxivClient, ArxivQueryError, check_category, listing_items
from reader.doi import DoiClient
from reader.errors import BadInput, NotFound, PapershelfError, SourceError, SourceUnreachable
from reader.hf import DailyPapers, Parsed, check_month, check_week, exact_match
from reader.identifiers import Identifier, parse_identifier
from reader.page import PageError, parse_page
from reader.record import FeedItem, PaperRecord
from reader.settings import Settings, config_path, load_settings
from storage import ops, pulls
from storage.db import Library
from tui.cli.common import echo_json, err, pass_library, table

SOURCES = ("hf", "arxiv")
DEFAULT_ARXIV_MAX = 100


def register(cli: click.Group) -> None:
    for command in (pull, feed, resolve):
        cli.add_command(command)


def utc_today() -> date:
    return datetime.now(UTC).date()


# ---------------------------------------------------------------- sources and progress


class Sources:
    """The source clients, made from the settings on first use."""

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


class Progress:
    """A progress bar on a terminal, plain lines when stderr is not one."""

    def __init__(self, total: int, label: str, *, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        if self.tty and total > 0:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            console = Console(file=self.stream, force_terminal=True, highlight=False)
            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def note(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False)
        else:
            click.echo(line, file=self.stream)

    def working_on(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# ---------------------------------------------------------------- pull


@dataclass
class Step:
    """One fetch of a pull (a day, a week, a month, a category) and what it is called."""

    label: str
    fetch: Callable[[], tuple[list[FeedItem], list[str]]]


@dataclass
class PullOutcome:
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


def _parse_day(value: str, option: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{option} must be a date like 2024-06-16, not {value!r}") from None
    if day > utc_today():
        raise BadInput(f"{option} {day} is in the future (today is {utc_today()} UTC)")
    return day


def run_steps(lib: Library, *, source: str, steps: Sequence[Step], params: dict[str, Any],
              max_per_day: int | None = None, stream: Any = None,
              progress: Any = None) -> PullOutcome:
    """Fetch each step, then merge each day it holds in its own undoable transaction. A step
    that fails is reported and the others go on, unless the source cannot be reached at all
    (then the rest are listed as not pulled)."""
    outcome = PullOutcome()
    pull_id = pulls.start_pull(lib, source=source, params=params)
    if progress is None:
        progress = Progress(len(steps), f"pulling {source}", stream=stream)
    try:
        for index, step in enumerate(steps):
            progress.working_on(f"pulling {source} {step.label}")
            try:
                items, skipped = step.fetch()
            except PapershelfError as error:
                outcome.failures.append(error)
                outcome.errors.append(f"{step.label}: {error}")
                outcome.counts.failed += 1
                progress.note(f"papershelf: {step.label}: {error}")
                progress.advance()
                if type(error) is SourceUnreachable:  # no connection: stop here
                    outcome.not_pulled = [s.label for s in steps[index + 1:]]
                    outcome.counts.failed += len(outcome.not_pulled)
                    break
                continue
            for why in skipped:
                outcome.errors.append(f"{step.label}: skipped {why}")
                outcome.counts.failed += 1
                progress.note(f"papershelf: {step.label}: skipped {why}")
            by_day: dict[date, list[FeedItem]] = {}
            for item in items:
                by_day.setdefault(item.day, []).append(item)
            if not by_day:
                progress.note(f"{step.label}: no papers")
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
                    progress.note(f"papershelf: {day.isoformat()}: {error}")
                    continue
                outcome.counts.add(counts)
                noun = "paper" if len(group) == 1 else "papers"
                progress.note(f"{day.isoformat()}: {len(group)} {noun} (new {counts.new}, "
                              f"updated {counts.updated}, unchanged {counts.unchanged})")
            outcome.done += 1
            progress.advance()
    finally:
        progress.close()
        pulls.finish_pull(lib, pull_id, counts=outcome.counts, errors=outcome.errors)
    return outcome


def _hf_days(sources: Sources, days: Sequence[date]) -> list[Step]:
    def fetch_day(day: date) -> Callable[[], tuple[list[FeedItem], list[str]]]:
        def fetch() -> tuple[list[FeedItem], list[str]]:
            parsed = sources.hf.day(day)
            return parsed.items, parsed.skipped
        return fetch
    return [Step(day.isoformat(), fetch_day(day)) for day in days]


def _hf_period(label: str, fetch: Callable[[], Parsed]) -> Step:
    def run() -> tuple[list[FeedItem], list[str]]:
        parsed = fetch()
        return parsed.items, parsed.skipped
    return Step(label, run)


def _arxiv_steps(sources: Sources, categories: Sequence[str], max_results: int) -> list[Step]:
    def fetch_category(cat: str) -> Callable[[], tuple[list[FeedItem], list[str]]]:
        def fetch() -> tuple[list[FeedItem], list[str]]:
            return listing_items(sources.arxiv.listing(cat, max_results=max_results)), []
        return fetch
    return [Step(cat, fetch_category(cat)) for cat in categories]


@click.command()
@click.option("--date", "date_", metavar="DATE", help="One day, YYYY-MM-DD (default: today, UTC).")
@click.option("--since", metavar="DATE", help="First day of a range (to --until or today).")
@click.option("--until", metavar="DATE", help="Last day of a range (with --since).")
@click.option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2024-W25.")
@click.option("--month", metavar="YYYY-MM", help="A month, e.g. 2024-06.")
@click.option("--source", "source", type=click.Choice(SOURCES), default="hf", show_default=True,
              help="hf: Hugging Face Daily Papers; arxiv: the newest submissions of a category.")
@click.option("--category", "categories", multiple=True, metavar="CAT",
              help="arXiv category (repeatable; default: arxiv_categories in the config file).")
@click.option("--max", "max_", type=click.IntRange(min=1), metavar="N",
              help=f"At most N papers per day (hf) or per category (arxiv, default "
                   f"{DEFAULT_ARXIV_MAX}).")
@pass_library
def pull(lib: Library, date_: str | None, since: str | None, until: str | None,
         week: str | None, month: str | None, source: str, categories: tuple[str, ...],
         max_: int | None) -> int:
    """Pull the day's papers into the inbox (new papers as inbox; nothing of yours touched).

    \b
    papershelf pull                       today's Hugging Face Daily Papers
    papershelf pull --date 2024-06-16     one day; --since D [--until D] for a range
    papershelf pull --week 2024-W25       or --month 2024-06
    papershelf pull --source arxiv --category cs.CL [--max 50]
    """
    chosen = [name for name, value in (("--date", date_), ("--since", since),
                                       ("--week", week), ("--month", month)) if value]
    if len(chosen) > 1:
        raise click.UsageError(f"give one of --date, --since, --week, --month (not "
                               f"{' and '.join(chosen)})")
    if until and not since:
        raise click.UsageError("--until goes with --since")
    sources = Sources(load_settings())  # a bad config file stops here, before any request
    try:
        if source == "arxiv":
            if chosen:
                raise click.UsageError("arXiv listings are the newest submissions: --source "
                                       "arxiv takes --category and --max, not dates")
            cats = [check_category(c) for c in categories] or list(
                sources.settings.arxiv_categories)
            if not cats:
                raise BadInput(f"name an arXiv category: --category cs.CL (or set "
                               f"arxiv_categories in [sources] of {config_path()})")
            max_results = max_ or DEFAULT_ARXIV_MAX
            outcome = run_steps(lib, source="arxiv",
                                steps=_arxiv_steps(sources, cats, max_results),
                                params={"categories": cats, "max": max_results})
        else:
            if categories:
                raise click.UsageError("--category is for --source arxiv")
            params: dict[str, Any]
            if week:
                w = check_week(week)
                steps = [_hf_period(w, lambda: sources.hf.week(w))]
                params = {"week": w}
            elif month:
                m = check_month(month)
                steps = [_hf_period(m, lambda: sources.hf.month(m))]
                params = {"month": m}
            elif since:
                first = _parse_day(since, "--since")
                last = _parse_day(until, "--until") if until else utc_today()
                if last < first:
                    raise BadInput(f"--since {first} is after --until {last}")
                days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
                steps = _hf_days(sources, days)
                params = {"since": first, "until": last}
            else:
                day = _parse_day(date_, "--date") if date_ else utc_today()
                steps = _hf_days(sources, [day])
                params = {"date": day}
            if max_:
                params["max"] = max_
            outcome = run_steps(lib, source="hf", steps=steps, params=params, max_per_day=max_)
    finally:
        sources.close()
    if outcome.not_pulled:
        err(f"not pulled: {', '.join(outcome.not_pulled)}")
    click.echo(outcome.counts.summary())
    return outcome.exit_code


# ---------------------------------------------------------------- feed


@click.command()
@click.option("--date", "date_", metavar="DATE", help="The day, YYYY-MM-DD (default: today, UTC).")
@click.option("--source", type=click.Choice(SOURCES), help="Only this source's feed.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of papers with 'feed'.")
@pass_library
def feed(lib: Library, date_: str | None, source: str | None, as_json: bool) -> None:
    """What a day's feed held, most upvoted first, with your status for each paper."""
    day = _parse_day(date_, "--date") if date_ else utc_today()
    with lib.read() as session:
        rows = pulls.day_feed(session, day=day, source=source)
        items = []
        for entry, paper in rows:
            data = ops.paper_dict(session, paper=paper)
            data["feed"] = {"source": entry.source, "day": entry.day.isoformat(),
                            "rank": entry.rank, "upvotes": entry.upvotes}
            items.append(data)
    if as_json:
        echo_json(items)
        return
    if not items:
        click.echo(f"nothing in the feed for {day} (pull it: papershelf pull --date {day})",
                   err=True)
        return
    body = [[str(p["feed"]["upvotes"]) if p["feed"]["upvotes"] is not None else "-",
             p["key"], p["title"], p["status"] + (" ★" if p["starred"] else ""),
             ", ".join(p["tags"])] for p in items]
    click.echo(table(["UPVOTES", "KEY", "TITLE", "STATUS", "TAGS"], body, flex=2))


# ---------------------------------------------------------------- resolve


@dataclass
class ResolveOutcome:
    resolved: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    failures: list[PapershelfError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.failures and not self.resolved:
            return self.failures[0].exit_code
        return 1 if self.unresolved or self.failures else 0


def resolve_papers(lib: Library, sources: Sources, paper_ids: Sequence[int]) -> ResolveOutcome:
    """Look each title-only paper up with the Daily Papers search; fill ids and authors where
    the title matches exactly (ignoring case and whitespace). Says which could not be."""
    outcome = ResolveOutcome()
    with lib.read() as session:
        chosen = [ops.find_paper(session, ref=str(pid)) for pid in paper_ids]
        papers = [(p.id, p.key, p.title) for p in chosen if p.id is not None]
    found: list[tuple[int, str, PaperRecord]] = []
    for index, (pid, key, title) in enumerate(papers):
        try:
            match = exact_match(title, sources.hf.search(title))
        except PapershelfError as error:
            outcome.failures.append(error)
            err(f"{key}: {error}")
            if type(error) is SourceUnreachable:
                rest = [k for _p, k, _t in papers[index:]]
                outcome.unresolved.extend(rest)
                err(f"not resolved: {', '.join(rest)}")
                break
            outcome.unresolved.append(key)
            continue
        if match is None:
            outcome.unresolved.append(key)
            err(f"could not resolve {key}: no paper titled {title!r} on {sources.hf.http.host}")
            continue
        found.append((pid, key, match))
    if found:
        with lib.action(f"resolve {len(found)} paper(s)") as session:
            for pid, key, record in found:
                paper = ops.find_paper(session, ref=str(pid))
                result = pulls.resolve_paper(session, paper=paper, record=record)
                if result.outcome == "duplicate" and result.other is not None:
                    outcome.unresolved.append(key)
                    err(f"could not resolve {key}: arXiv {record.arxiv_id} is already in the "
                        f"library as {result.other.key} (left both as they are)")
                    continue
                outcome.resolved.append(key)
                ident = f"arXiv {record.arxiv_id}" if record.arxiv_id else record.url_abs
                count = len(record.authors)
                click.echo(f"resolved {key}: {ident}, {count} author{'' if count == 1 else 's'}")
    return outcome


@click.command()
@click.argument("refs", nargs=-1)
@pass_library
def resolve(lib: Library, refs: tuple[str, ...]) -> int:
    """Fill in ids and authors of papers that have only a title (from copied page text).

    Each title is looked up with the Hugging Face Daily Papers search and filled in when a
    result has exactly the same title (ignoring case and whitespace). Without REFS, every paper
    with no arXiv id, no DOI and no authors is tried.
    """
    with lib.read() as session:
        chosen = pulls.title_only_papers(session, refs=refs)
    ids = []
    for paper in chosen:
        if paper.arxiv_id or paper.doi:
            click.echo(f"{paper.key} already has an arXiv id or DOI", err=True)
        elif paper.id is not None:
            ids.append(paper.id)
    if not ids:
        click.echo("no papers without ids to resolve", err=True)
        return 0
    sources = Sources(load_settings())
    try:
        outcome = resolve_papers(lib, sources, ids)
    finally:
        sources.close()
    click.echo(f"resolved {len(outcome.resolved)}, not resolved {len(outcome.unresolved)}")
    return outcome.exit_code


# ---------------------------------------------------------------- saved pages


def import_page(lib: Library, path: Path, *, resolve: bool, year: int | None = None,
                sources: Sources | None = None) -> int:
    """Import a saved Daily Papers page (HTML or copied text) into the inbox; with
    ``resolve``, look up the ids and authors of papers that came without them. Returns the
    exit code."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory, not a saved page") from None
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadInput(f"{path}:{line}: not UTF-8 text") from None
    try:
        page = parse_page(text, year=year)
    except PageError as error:
        where = f"{path}:{error.line}" if error.line else f"{path}"
        raise BadInput(f"{where}: {error}") from None
    if not page.entries:
        raise BadInput(f"{path}: no papers found (expected a Daily Papers page saved from the "
                       f"browser, or text copied from one)")
    counts = pulls.Counts()
    for line, why in page.skipped:
        err(f"{path}:{line}: skipped {why}")
        counts.failed += 1
    for line, what in page.incomplete:  # imported, but without all its lines
        err(f"{path}:{line}: {what}")
    title_only: set[int] = set()
    with lib.action(f"import page {path.name}") as session:
        for entry in page.entries:
            result = ops.merge_record(session, record=entry.record, status="inbox")
            if entry.day is not None:
                ops.record_feed(session, paper=result.paper, source="hf", day=entry.day,
                                rank=entry.rank or 0, upvotes=entry.upvotes)
            counts.count(result.outcome, result.paper.key)
            if result.paper.id is not None and not entry.record.arxiv_id:
                title_only.add(result.paper.id)
    kind = "saved page" if page.kind == "html" else "copied text"
    click.echo(f"{path.name}: {len(page.entries)} papers ({kind})")
    click.echo(counts.summary())
    code = 1 if counts.failed else 0
    if resolve:
        with lib.read() as session:
            todo = [p.id for p in pulls.title_only_papers(session)
                    if p.id is not None and p.id in title_only]
        if todo:
            own = sources is None
            sources = sources or Sources(load_settings())
            try:
                outcome = resolve_papers(lib, sources, todo)
            finally:
                if own:
                    sources.close()
            click.echo(f"resolved {len(outcome.resolved)}, not resolved "
                       f"{len(outcome.unresolved)}")
            code = max(code, outcome.exit_code)
    return code


# ---------------------------------------------------------------- add by identifier


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


def add_identifiers(lib: Library, identifiers: Sequence[str], *, status: str = "queued",
                    tags: Sequence[str] = (), as_json: bool = False,
                    sources: Sources | None = None) -> int:
    """``papershelf add ID...``: fetch each identifier (arXiv id or URL, DOI, Hugging Face
    paper URL), then merge them all in one undoable step. One failure does not stop the
    others. Returns the exit code (0 all added, 1 some failed)."""
    own = sources is None
    sources = sources or Sources(load_settings())
    try:
        fetched = fetch_identifiers(sources, identifiers)
    finally:
        if own:
            sources.close()
    reports: list[dict[str, Any]] = []
    failures: list[PapershelfError] = []
    counts = pulls.Counts()
    good = [(text, r) for text, r in fetched if isinstance(r, PaperRecord)]
    merged: dict[str, tuple[str, dict[str, Any]]] = {}
    changed: dict[str, str] = {}  # what each merge did, field by field
    if good:
        label = " ".join(identifiers)
        with lib.action(f"add {label[:80]}") as session:
            for text, record in good:
                merge = ops.merge_record(session, record=record, status=status)
                if tags:
                    ops.change_tags(session, paper=merge.paper, add=tags)
                merged[text] = (merge.outcome, ops.paper_dict(session, paper=merge.paper))
                changed[text] = merge.describe()
    for text, result in fetched:
        if isinstance(result, PapershelfError):
            failures.append(result)
            counts.failed += 1
            reports.append({"identifier": text, "outcome": "failed", "error": str(result),
                            "paper": None})
            if not as_json:
                err(f"{text}: {result}")
            continue
        outcome, data = merged[text]
        counts.count(outcome, data["key"])
        reports.append({"identifier": text, "outcome": outcome, "error": None, "paper": data})
        if not as_json:
            word = {"new": "added", "updated": "updated", "unchanged": "already in the library:"
                    }[outcome]
            detail = f": {changed[text]}" if changed[text] not in ("new", "no change") else ""
            click.echo(f"{text}: {word} {data['key']} ({data['title']}){detail}")
    if as_json:
        echo_json(reports)
    elif len(identifiers) > 1:
        click.echo(counts.summary())
    if not failures:
        return 0
    return 1 if good else failures[0].exit_code
