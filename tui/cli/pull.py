"""``pull``, ``feed`` and ``resolve``: click over :mod:`tui.services.pull` and
:mod:`tui.services.resolve`. Progress goes to stderr (a bar on a terminal, plain lines
otherwise); the summary line goes to stdout."""

from __future__ import annotations

import click

from storage import vocab
from storage.db import Library
from tui.cli.common import pass_library, say, table
from tui.cli.progress import Progress
from tui.cli.render import echo_json, show
from tui.services import json_shapes, reading
from tui.services.pull import DEFAULT_ARXIV_MAX, SOURCES, Sources, plan_arxiv, plan_hf
from tui.services.pull import pull as run_pull
from tui.services.resolve import resolve_refs
from tui.words import status_word

__all__ = ["Progress", "register"]


def register(cli: click.Group) -> None:
    for command in (pull, feed, resolve):
        cli.add_command(command)


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
    if source == "arxiv" and chosen:
        raise click.UsageError("arXiv listings are the newest submissions: --source "
                               "arxiv takes --category and --max, not dates")
    if source == "hf" and categories:
        raise click.UsageError("--category is for --source arxiv")
    sources = Sources()
    try:
        sources.settings  # noqa: B018  (a bad config file stops here, before any request)
        if source == "arxiv":
            plan = plan_arxiv(sources, categories=categories, max_results=max_)
        else:
            plan = plan_hf(sources, day=date_, since=since, until=until, week=week,
                           month=month, max_per_day=max_)
        report = run_pull(lib, plan, Progress())
    finally:
        sources.close()
    return show(report)


@click.command()
@click.option("--date", "date_", metavar="DATE", help="The day, YYYY-MM-DD (default: today, UTC).")
@click.option("--source", type=click.Choice(SOURCES), help="Only this source's feed.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of papers with 'feed'.")
@pass_library
def feed(lib: Library, date_: str | None, source: str | None, as_json: bool) -> None:
    """What a day's feed held, most upvoted first, with your status for each paper."""
    day = vocab.parse_past_day(date_, "--date") if date_ else vocab.utc_today()
    rows = reading.day_feed(lib, day, source=source)
    if as_json:
        echo_json([json_shapes.feed_entry_json(r.paper, source=r.source, day=r.day, rank=r.rank,
                                               upvotes=r.upvotes) for r in rows])
        return
    if not rows:
        say(f"nothing in the feed for {day} (pull it: papershelf pull --date {day})",
                   err=True)
        return
    body = [[str(r.upvotes) if r.upvotes is not None else "-", r.paper.key, r.paper.title,
             status_word(r.paper.status) + (" ★" if r.paper.starred else ""), ", ".join(r.paper.tags)]
            for r in rows]
    say(table(["UPVOTES", "KEY", "TITLE", "STATUS", "TAGS"], body, flex=2))


@click.command()
@click.argument("refs", nargs=-1)
@pass_library
def resolve(lib: Library, refs: tuple[str, ...]) -> int:
    """Fill in ids and authors of papers that have only a title (from copied page text).

    Each title is looked up with the Hugging Face Daily Papers search and filled in when a
    result has exactly the same title (ignoring case and whitespace). Without REFS, every paper
    with no arXiv id, no DOI and no authors is tried.
    """
    return show(resolve_refs(lib, refs))
