"""The library's own commands: add, list, show, tag, note, status, star, rate, key, tags, rm,
undo and db."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reader.errors import BadInput
from reader.record import PaperRecord, split_arxiv_id
from storage import ops
from storage.db import Library
from storage.vocab import STATUSES, parse_date
from tui.cli.common import WordsCommand, echo_json, err, pass_library, say, table
from tui.cli.render import echo_json_stream, stream_papers
from tui.cli.render import show as show_result
from tui.services import edits, json_shapes, reading
from tui.words import count as count_of

STATUS_CHOICE = click.Choice(STATUSES, case_sensitive=False)


def register(cli: click.Group) -> None:
    for command in (add, list_cmd, show, tag, note, status, star, unstar, rate, key, tags, rm,
                    undo, db, whoami):
        cli.add_command(command)


@click.command()
@click.argument("identifiers", nargs=-1)
@click.option("--title", help="The paper's title.")
@click.option("--author", "authors", multiple=True, help="An author, in order (repeat the option).")
@click.option("--year", type=int, help="Year of publication.")
@click.option("--arxiv", "arxiv_id", metavar="ID", help="arXiv id, e.g. 1706.03762.")
@click.option("--doi", help="DOI, e.g. 10.1145/3292500.3330701.")
@click.option("--venue", help="Journal or proceedings.")
@click.option("--abstract", help="The abstract.")
@click.option("--url", help="Link to the paper's page.")
@click.option("--published", metavar="DATE", help="Publication date, YYYY-MM-DD.")
@click.option("--status", "status_", type=STATUS_CHOICE, default="queued", show_default=True,
              help="Status of the new paper.")
@click.option("--tag", "tag_names", multiple=True, help="Tag the paper (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@pass_library
def add(lib: Library, identifiers: tuple[str, ...], title: str | None, authors: tuple[str, ...],
        year: int | None, arxiv_id: str | None, doi: str | None, venue: str | None,
        abstract: str | None, url: str | None, published: str | None, status_: str,
        tag_names: tuple[str, ...], as_json: bool) -> int | None:
    """Add papers by arXiv id or URL, DOI or Hugging Face paper URL, or one by hand with
    --title (a paper already in the library is updated, not duplicated).

    \b
    papershelf add 1706.03762 https://arxiv.org/abs/2106.09685v2 10.1145/3292500.3330701
    papershelf add --title "..." --author "..." --year 2017
    """
    if identifiers:
        if title:
            raise click.UsageError("give identifiers or --title, not both")
        from tui.services.add import add_identifiers  # httpx and the readers: only for add

        added = add_identifiers(lib, identifiers, status=status_, tags=tag_names)
        if as_json:
            echo_json([json_shapes.add_result_json(
                r.identifier, r.outcome, error=str(r.error) if r.error else None,
                paper=r.paper) for r in added.results])
            return added.exit_code
        return show_result(added)
    if not title:
        raise click.UsageError("give identifiers (papershelf add 1706.03762) or the paper's "
                               "--title")
    if arxiv_id and split_arxiv_id(arxiv_id) is None:
        raise BadInput(f"{arxiv_id!r} is not an arXiv id (like 1706.03762 or hep-th/9901001)")
    record = PaperRecord(
        title=title, authors=list(authors), year=year, arxiv_id=arxiv_id, doi=doi, venue=venue,
        abstract=abstract, url_abs=url,
        published=parse_date(published, "--published") if published is not None else None,
        source="manual",
    )
    from tui.services.add import add_by_hand

    done = add_by_hand(lib, record, status=status_, tags=tag_names)
    if as_json and done.paper is not None:
        echo_json(json_shapes.paper_json(done.paper))
        return None
    show_result(done)
    return None


@click.command("list")
@click.option("--status", "status_", type=STATUS_CHOICE, help="Only papers with this status.")
@click.option("--tag", "tag_name", help="Only papers with this tag.")
@click.option("--starred", is_flag=True, help="Only starred papers.")
@click.option("--all", "include_all", is_flag=True, help="Include dismissed papers.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of papers.")
@pass_library
def list_cmd(lib: Library, status_: str | None, tag_name: str | None, starred: bool,
             include_all: bool, as_json: bool) -> None:
    """List papers, newest first (dismissed ones only with --all or --status dismissed)."""
    which = reading.ListFilter(status=status_.lower() if status_ else None, tag=tag_name,
                               include_dismissed=include_all, starred=True if starred else None)
    if as_json:
        echo_json_stream(json_shapes.paper_json(p)
                         for page in reading.list_details(lib, which) for p in page)
    else:
        stream_papers(reading.list_rows(lib, which), key_width=reading.list_key_width(lib, which))


@click.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@pass_library
def show(lib: Library, ref: str, as_json: bool) -> None:
    """Show one paper (by citation key, id, arXiv id or DOI): every field, tags and notes."""
    from tui.cli.edit import show_text
    from tui.services.fields import paper_with_fields

    data = paper_with_fields(lib, ref)
    if as_json:
        echo_json(data)
        return
    say(show_text(data, user=lib.user))


def show_report(report: edits.EditReport) -> int:
    """Print an edit's report: its lines on stdout, its errors on stderr; its exit code."""
    for line in report.lines:
        say(line)
    for line in report.errors:
        err(line)
    return report.exit_code


WORDS = {"cls": WordsCommand}


@click.command(**WORDS)
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_library
def tag(lib: Library, words: tuple[str, ...]) -> int:
    """Add (+name) and remove (-name) tags on papers: papershelf tag KEY... +llm +to-cite -old.

    The papers come first; every tag change starts with + or -. A word without one names a
    paper, so an unknown one is an error and nothing changes.
    """
    return show_report(edits.tag(lib, words))


@click.command()
@click.argument("ref", required=False)
@click.option("-m", "--message", help="The note's text (Markdown). Without it, $EDITOR opens.")
@click.option("--quote", help="A passage from the paper the note is about.")
@click.option("--edit", "edit_id", type=int, metavar="NOTE_ID", help="Edit an existing note.")
@click.option("--delete", "delete_id", type=int, metavar="NOTE_ID", help="Delete a note.")
@pass_library
def note(lib: Library, ref: str | None, message: str | None, quote: str | None,
         edit_id: int | None, delete_id: int | None) -> int:
    """Write a note on a paper (Markdown); or --edit / --delete a note by its id."""
    if delete_id is not None:
        return show_report(edits.delete_note(lib, delete_id))
    if edit_id is not None:
        body = message if message is not None else _editor(edits.note_text(lib, edit_id).body)
        return show_report(edits.edit_note(lib, edit_id, body,
                                           quote if quote is not None else edits.KEEP))
    if not ref:
        raise click.UsageError("name the paper: papershelf note KEY -m TEXT")
    edits.resolve(lib, [ref])  # fail before opening an editor
    body = message if message is not None else _editor("")
    return show_report(edits.add_note(lib, ref, body, quote))


def _editor(text: str) -> str:
    if not sys.stdin.isatty():
        raise BadInput("no -m given and no terminal to open $EDITOR in")
    edited = click.edit(text, extension=".md")
    if edited is None or not edited.strip():
        raise BadInput("empty note: nothing saved")
    return edited


@click.command(**WORDS)
@click.argument("refs", nargs=-1, required=True, type=click.UNPROCESSED)
@click.argument("new_status", metavar="STATUS", type=STATUS_CHOICE)
@pass_library
def status(lib: Library, refs: tuple[str, ...], new_status: str) -> int:
    """Set the status of papers: inbox, queued, reading, read or dismissed."""
    return show_report(edits.set_status(lib, refs, new_status))


@click.command(**WORDS)
@click.argument("refs", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_library
def star(lib: Library, refs: tuple[str, ...]) -> int:
    """Star papers."""
    return show_report(edits.set_starred(lib, refs, True))


@click.command(**WORDS)
@click.argument("refs", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_library
def unstar(lib: Library, refs: tuple[str, ...]) -> int:
    """Remove the star from papers."""
    return show_report(edits.set_starred(lib, refs, False))


@click.command()
@click.argument("ref")
@click.argument("rating", type=int)
@pass_library
def rate(lib: Library, ref: str, rating: int) -> int:
    """Rate a paper 1 to 5 (0 clears the rating)."""
    return show_report(edits.rate(lib, ref, rating))


@click.command()
@click.argument("ref")
@click.argument("new_key")
@pass_library
def key(lib: Library, ref: str, new_key: str) -> int:
    """Rename a paper's citation key (the only way a key ever changes)."""
    return show_report(edits.rename_key(lib, ref, new_key))


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of {name, count}.")
@click.pass_context
def tags(ctx: click.Context, as_json: bool) -> None:
    """Every tag with its number of papers (dismissed ones aside, as the app counts);
    `tags rename A B`, `tags merge A B`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(_list_tags, as_json=as_json)


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of {name, count}.")
@pass_library
def _list_tags(lib: Library, as_json: bool) -> None:
    """List tags with counts."""
    with lib.read() as session:
        counts = ops.tag_counts(session)
    if as_json:
        echo_json(json_shapes.tag_counts_json(counts))
    elif not counts:
        say("no tags", err=True)
    else:
        say(table(["TAG", "PAPERS"], [[n, str(c)] for n, c in counts], flex=0))


@tags.command("rename")
@click.argument("old")
@click.argument("new")
@pass_library
def tags_rename(lib: Library, old: str, new: str) -> int:
    """Rename a tag (merges into NEW when NEW exists)."""
    return show_report(edits.rename_tag(lib, old, new))


@tags.command("merge")
@click.argument("source")
@click.argument("target")
@pass_library
def tags_merge(lib: Library, source: str, target: str) -> int:
    """Merge tag SOURCE into TARGET: papers tagged SOURCE get TARGET, SOURCE goes away."""
    return show_report(edits.merge_tags(lib, source, target))


tags.add_command(_list_tags)


@click.command(**WORDS)
@click.argument("refs", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("-y", "--yes", is_flag=True, help="Do not ask.")
@pass_library
def rm(lib: Library, refs: tuple[str, ...], yes: bool) -> int:
    """Remove papers with their notes and tags (`papershelf undo` brings them back)."""
    papers = edits.resolve(lib, refs)
    if not yes:
        if not sys.stdin.isatty():
            raise BadInput("rm asks before removing; pass --yes to remove without asking")
        names = "\n".join(f"  {p.key}: {p.title}" for p in papers)
        click.confirm(f"Remove {count_of(len(papers), 'paper')}?\n{names}\n", abort=True)
    return show_report(edits.remove(lib, [p.id for p in papers]))


@click.command()
@click.option("--list", "show_list", is_flag=True, help="Show what undo would revert, newest first.")
@pass_library
def undo(lib: Library, show_list: bool) -> int:
    """Revert the last change, whatever command made it; repeat to go further back."""
    if show_list:
        history = edits.undo_history(lib)
        for _id, description, created in history:
            say(f"{created}  {description}")
        if not history:
            say("nothing to undo", err=True)
        return 0
    return show_report(edits.undo(lib))


@click.group()
def db() -> None:
    """The library file: path, backup FILE, check, migrate, copy --to TARGET."""


@db.command("path")
@click.option("--db", "db_here", default=None, metavar="PATH", help="Library file.")
@click.pass_context
def db_path(ctx: click.Context, db_here: str | None) -> None:
    """Print where the library file is."""
    from storage.db import resolve_db_path
    from tui.cli.common import db_path_from

    where = resolve_db_path(db_path_from(ctx, db_here))
    if isinstance(where, str):  # a PostgreSQL URL: never print its password
        from storage.pg import shown_url

        where = shown_url(where)
    say(str(where))


@db.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace an existing DEST (the old one is kept as DEST.bak).")
@pass_library
def db_backup(lib: Library, dest: Path, force: bool) -> int:
    """Copy the library to DEST with SQLite's online backup (safe while the app is open).

    An existing DEST is replaced only with --force. To restore, quit papershelf and copy DEST
    over the library file (see `papershelf db path`).
    """
    from tui.services.files import backup_library

    return show_result(backup_library(lib, dest, force=force))


@db.command("check")
@click.option("--full", is_flag=True,
              help="Also SQLite's integrity_check and the search indexes' own checks, which "
                   "read the whole file (seconds on a big library).")
@pass_library
def db_check(lib: Library, full: bool) -> None:
    """Check the library file: SQLite's quick and foreign key checks and the search index
    (--full for the thorough checks); say what they found."""
    problems = lib.check(full=full)
    if problems:
        for p in problems:
            say(f"problem: {p}")
        raise BadInput(f"{lib.where}: {count_of(len(problems), 'problem')} found")
    with lib.read() as session:
        count = ops.count_papers(session)
    say(f"{lib.where}: ok (schema {lib.schema_version}, {count_of(count, 'paper')}"
               f"{', full check' if full else ''})")


@db.command("migrate")
@pass_library
def db_migrate(lib: Library) -> None:
    """Upgrade the library to this version's schema (done on open; this says so)."""
    say(f"{lib.where}: at schema {lib.schema_version}, the latest")


@db.command("copy")
@click.option("--to", "target", required=True, metavar="TARGET",
              help="A new library file, or an empty PostgreSQL database (postgresql://...).")
@click.option("--from", "source", metavar="SOURCE",
              help="The library to copy (a file or a postgresql:// URL; default: the current "
                   "library).")
@click.option("--db", "db_here", default=None, metavar="PATH", help="Library file.")
@click.pass_context
def db_copy(ctx: click.Context, target: str, source: str | None, db_here: str | None) -> int:
    """Copy the library, row for row with its ids, to TARGET, and verify the copy.

    \b
    papershelf db copy --to postgresql://lab-db/papers
    papershelf db copy --from postgresql://lab-db/papers --to laptop.db

    TARGET must be new or empty: a library is never merged into or replaced. The copy is
    written in one transaction (a new file under a temporary name, renamed when done), then
    every table's row count and checksum are compared with the source's. The search index is
    rebuilt on the target.
    """
    from storage.db import resolve_db_path
    from tui.cli.common import db_path_from
    from tui.cli.progress import Progress
    from tui.services.copy import copy_library, open_source

    spec = source or str(resolve_db_path(db_path_from(ctx, db_here)))
    lib = open_source(spec)
    try:
        return show_result(copy_library(lib, target, source_name=spec, progress=Progress()))
    finally:
        lib.close()


@click.command()
@click.pass_context
def whoami(ctx: click.Context) -> None:
    """Print the name your changes (notes, undo steps) are recorded as.

    It is --user NAME if given, else [user] name in config.toml, else your login name.
    """
    from tui.services.whoami import current_user

    say(current_user(ctx.find_root().params.get("user")).name)
