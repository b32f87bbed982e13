"""``papershelf search``: the query language of storage.query over the library."""

from __future__ import annotations

import click

from storage.db import Library
from storage.search import rebuild_index
from tui.cli.common import WordsCommand, echo_json, pass_library, say
from tui.cli.render import print_papers
from tui.services import json_shapes, reading
from tui.words import count as count_of


def register(cli: click.Group) -> None:
    cli.add_command(search)
    cli.add_command(reindex)


@click.command(cls=WordsCommand, long_words=False)
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="At most this many papers, best first (0: all).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array of papers, each with its score, matched fields and "
                   "relaxed (true: no paper had every word; these are the closest).")
@click.option("--all", "include_all", is_flag=True, help="Include dismissed papers.")
@pass_library
def search(lib: Library, words: tuple[str, ...], limit: int, as_json: bool,
           include_all: bool) -> None:
    """Find papers: fuzzy words, "exact phrases" and qualifiers, best match first.

    \b
    Words match title, authors, tags, abstract and notes, typos and all:
      papershelf search atention is al
    Qualifiers narrow; a leading - negates anything (no quotes needed):
      tag:llm -tag:read author:hinton status:queued is:starred
      year:2024 year:2020..2023 year:2020.. day:2024-06-16 source:hf arxiv:1706.03762
    Dismissed papers only with --all or status:dismissed. Options go anywhere among the
    words; every other word is a search word, -author:hinton and -h too (a word that
    begins with -- only after --: papershelf search -- --x).
    """
    answer = reading.find(lib, " ".join(words), limit=limit or None,
                          include_dismissed=include_all)
    if as_json:
        echo_json([json_shapes.search_hit_json(f.paper, score=f.score, matched=f.matched,
                                               relaxed=answer.relaxed) for f in answer.found])
    else:
        if answer.relaxed:
            say("no exact match; closest papers", err=True)
        print_papers([f.paper for f in answer.found])


@click.command()
@pass_library
def reindex(lib: Library) -> None:
    """Rebuild the search index from the library (if `papershelf db check` finds it out of
    date). Not undoable, and not needed: the index follows every change by itself."""
    with lib.write() as session:
        count = rebuild_index(session)
    say(f"reindexed {count_of(count, 'paper')}")
