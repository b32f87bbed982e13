"""The library's own commands: add, list, show, tag, note, status, star, rate, key, tags, rm,
undo and db."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from reader.errors import BadInput
from reader.record import PaperRecord, split_arxiv_id
from storage import ops
from storage.db import Library
from storage.models import STATUSES
from tui.cli.common import echo_json, pass_library, table

STATUS_CHOICE = click.Choice(STATUSES, case_sensitive=False)


def register(cli: click.Group) -> None:
    for command in (add, list_cmd, show, tag, note, status, star, unstar, rate, key, tags, rm,
                    undo, db):
        cli.add_command(command)


def _parse_date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{what} must be a date like 2024-06-16, not {value!r}") from None


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
        from tui.cli.pull import add_identifiers

        return add_identifiers(lib, identifiers, status=status_.lower(), tags=tag_names,
                               as_json=as_json)
    if not title:
        raise click.UsageError("give identifiers (papershelf add 1706.03762) or the paper's "
                               "--title")
    if arxiv_id and split_arxiv_id(arxiv_id) is None:
        raise BadInput(f"{arxiv_id!r} is not an arXiv id (like 1706.03762 or hep-th/9901001)")
    record = PaperRecord(
        title=title, authors=list(authors), year=year, arxiv_id=arxiv_id, doi=doi, venue=venue,
        abstract=abstract, url_abs=url, published=_parse_date(published, "--published"),
        source="manual",
    )
    with lib.action(f"add {title[:60]}") as session:
        result = ops.merge_record(session, record=record, status=status_.lower(), by_user=True)
        if tag_names:
            ops.change_tags(session, paper=result.paper, add=tag_names)
        data = ops.paper_dict(session, paper=result.paper)
    if as_json:
        echo_json(data)
    elif result.outcome == "new":
        click.echo(f"added {data['key']}: {data['title']}")
    else:
        click.echo(f"already in the library as {data['key']} ({result.describe()})")
    return None


def _paper_rows(items: list[dict]) -> list[list[str]]:
    rows = []
    for p in items:
        state = p["status"] + (" ★" if p["starred"] else "")
        rows.append([p["key"], p["title"], (p["authors"] or [""])[0], str(p["year"] or ""),
                     state, ", ".join(p["tags"])])
    return rows


def print_papers(items: list[dict]) -> None:
    if not items:
        click.echo("no papers", err=True)
        return
    click.echo(table(["KEY", "TITLE", "FIRST AUTHOR", "YEAR", "STATUS", "TAGS"],
                     _paper_rows(items), flex=1))


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
    with lib.read() as session:
        papers = ops.list_papers(session, status=status_.lower() if status_ else None,
                                 tag=tag_name, include_dismissed=include_all,
                                 starred=True if starred else None)
        items = [ops.paper_dict(session, paper=p) for p in papers]
    if as_json:
        echo_json(items)
    else:
        print_papers(items)


@click.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@pass_library
def show(lib: Library, ref: str, as_json: bool) -> None:
    """Show one paper (by citation key, id, arXiv id or DOI): every field, tags and notes."""
    from tui.cli.edit import show_text
    from tui.services.fields import detail

    with lib.read() as session:
        paper = ops.find_paper(session, ref=ref)
        data = ops.paper_dict(session, paper=paper)
        data.update(detail(session, paper))
    if as_json:
        echo_json(data)
        return
    click.echo(show_text(data))


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("ref")
@click.argument("changes", nargs=-1, required=True)
@pass_library
def tag(lib: Library, ref: str, changes: tuple[str, ...]) -> None:
    """Add (+name) and remove (-name) tags: papershelf tag KEY +llm +to-cite -old.

    A bare name adds it.
    """
    add_names = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    remove_names = [c[1:] for c in changes if c.startswith("-")]
    with lib.action(f"tag {ref} {' '.join(changes)}") as session:
        paper = ops.find_paper(session, ref=ref)
        ops.change_tags(session, paper=paper, add=add_names, remove=remove_names)
        now = ops.tags_of(session, paper_id=paper.id or 0)
    click.echo(f"{paper.key}: {', '.join(now) if now else '(no tags)'}")


@click.command()
@click.argument("ref", required=False)
@click.option("-m", "--message", help="The note's text (Markdown). Without it, $EDITOR opens.")
@click.option("--quote", help="A passage from the paper the note is about.")
@click.option("--edit", "edit_id", type=int, metavar="NOTE_ID", help="Edit an existing note.")
@click.option("--delete", "delete_id", type=int, metavar="NOTE_ID", help="Delete a note.")
@pass_library
def note(lib: Library, ref: str | None, message: str | None, quote: str | None,
         edit_id: int | None, delete_id: int | None) -> None:
    """Write a note on a paper (Markdown); or --edit / --delete a note by its id."""
    if delete_id is not None:
        with lib.action(f"delete note {delete_id}") as session:
            ops.delete_note(session, note=ops.get_note(session, note_id=delete_id))
        click.echo(f"deleted note {delete_id}")
        return
    if edit_id is not None:
        with lib.read() as session:
            old = ops.get_note(session, note_id=edit_id)
        body = message if message is not None else _editor(old.body)
        with lib.action(f"edit note {edit_id}") as session:
            current = ops.get_note(session, note_id=edit_id)
            ops.edit_note(session, note=current, body=body,
                          quote=quote if quote is not None else current.quote)
        click.echo(f"saved note {edit_id}")
        return
    if not ref:
        raise click.UsageError("name the paper: papershelf note KEY -m TEXT")
    with lib.read() as session:
        ops.find_paper(session, ref=ref)  # fail before opening an editor
    body = message if message is not None else _editor("")
    with lib.action(f"note on {ref}") as session:
        paper = ops.find_paper(session, ref=ref)
        new = ops.add_note(session, paper=paper, body=body, quote=quote)
    click.echo(f"added note {new.id} to {paper.key}")


def _editor(text: str) -> str:
    if not sys.stdin.isatty():
        raise BadInput("no -m given and no terminal to open $EDITOR in")
    edited = click.edit(text, extension=".md")
    if edited is None or not edited.strip():
        raise BadInput("empty note: nothing saved")
    return edited


@click.command()
@click.argument("refs", nargs=-1, required=True)
@click.argument("new_status", metavar="STATUS", type=STATUS_CHOICE)
@pass_library
def status(lib: Library, refs: tuple[str, ...], new_status: str) -> None:
    """Set the status of papers: inbox, queued, reading, read or dismissed."""
    new_status = new_status.lower()
    with lib.action(f"status {' '.join(refs)} {new_status}") as session:
        papers = [ops.find_paper(session, ref=r) for r in refs]
        for paper in papers:
            ops.set_status(session, paper=paper, status=new_status)
    for paper in papers:
        click.echo(f"{paper.key}: {new_status}")


@click.command()
@click.argument("refs", nargs=-1, required=True)
@pass_library
def star(lib: Library, refs: tuple[str, ...]) -> None:
    """Star papers."""
    _star(lib, refs, True)


@click.command()
@click.argument("refs", nargs=-1, required=True)
@pass_library
def unstar(lib: Library, refs: tuple[str, ...]) -> None:
    """Remove the star from papers."""
    _star(lib, refs, False)


def _star(lib: Library, refs: tuple[str, ...], value: bool) -> None:
    word = "star" if value else "unstar"
    with lib.action(f"{word} {' '.join(refs)}") as session:
        papers = [ops.find_paper(session, ref=r) for r in refs]
        for paper in papers:
            ops.set_starred(session, paper=paper, starred=value)
    for paper in papers:
        click.echo(f"{paper.key}: {'starred' if value else 'not starred'}")


@click.command()
@click.argument("ref")
@click.argument("rating", type=int)
@pass_library
def rate(lib: Library, ref: str, rating: int) -> None:
    """Rate a paper 1 to 5 (0 clears the rating)."""
    with lib.action(f"rate {ref} {rating}") as session:
        paper = ops.find_paper(session, ref=ref)
        ops.set_rating(session, paper=paper, rating=rating or None)
    click.echo(f"{paper.key}: rating {rating or 'cleared'}")


@click.command()
@click.argument("ref")
@click.argument("new_key")
@pass_library
def key(lib: Library, ref: str, new_key: str) -> None:
    """Rename a paper's citation key (the only way a key ever changes)."""
    with lib.action(f"key {ref} -> {new_key}") as session:
        paper = ops.find_paper(session, ref=ref)
        old = paper.key
        ops.rename_key(session, paper=paper, new_key=new_key)
    click.echo(f"{old} -> {new_key}")


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of {name, count}.")
@click.pass_context
def tags(ctx: click.Context, as_json: bool) -> None:
    """Every tag with its number of papers; `tags rename A B`, `tags merge A B`."""
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
        echo_json([{"name": n, "count": c} for n, c in counts])
    elif not counts:
        click.echo("no tags", err=True)
    else:
        click.echo(table(["TAG", "PAPERS"], [[n, str(c)] for n, c in counts], flex=0))


@tags.command("rename")
@click.argument("old")
@click.argument("new")
@pass_library
def tags_rename(lib: Library, old: str, new: str) -> None:
    """Rename a tag (merges into NEW when NEW exists)."""
    with lib.action(f"rename tag {old} -> {new}") as session:
        count = ops.rename_tag(session, old=old, new=new)
    click.echo(f"{old} -> {new} ({count} papers)")


@tags.command("merge")
@click.argument("source")
@click.argument("target")
@pass_library
def tags_merge(lib: Library, source: str, target: str) -> None:
    """Merge tag SOURCE into TARGET: papers tagged SOURCE get TARGET, SOURCE goes away."""
    with lib.action(f"merge tag {source} into {target}") as session:
        count = ops.rename_tag(session, old=source, new=target)
    click.echo(f"merged {source} into {target} ({count} papers)")


tags.add_command(_list_tags)


@click.command()
@click.argument("refs", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask.")
@pass_library
def rm(lib: Library, refs: tuple[str, ...], yes: bool) -> None:
    """Remove papers with their notes and tags (`papershelf undo` brings them back)."""
    with lib.read() as session:
        papers = [ops.find_paper(session, ref=r) for r in refs]
    if not yes:
        if not sys.stdin.isatty():
            raise BadInput("rm asks before removing; pass --yes to remove without asking")
        names = "\n".join(f"  {p.key}: {p.title}" for p in papers)
        click.confirm(f"Remove {len(papers)} paper(s)?\n{names}\n", abort=True)
    with lib.action(f"rm {' '.join(p.key for p in papers)}") as session:
        for p in papers:
            ops.remove_paper(session, paper=ops.find_paper(session, ref=str(p.id)))
    for p in papers:
        click.echo(f"removed {p.key} (papershelf undo brings it back)")


@click.command()
@click.option("--list", "show_list", is_flag=True, help="Show what undo would revert, newest first.")
@pass_library
def undo(lib: Library, show_list: bool) -> None:
    """Revert the last change, whatever command made it; repeat to go further back."""
    if show_list:
        with lib.read() as session:
            history = ops.undo_history(session)
        for _id, description, created in history:
            click.echo(f"{created}  {description}")
        if not history:
            click.echo("nothing to undo", err=True)
        return
    with lib.write() as session:
        undone = ops.undo_last(session)
    if undone is None:
        raise BadInput("nothing to undo")
    click.echo(f"undid: {undone}")


@click.group()
def db() -> None:
    """The library file: path, backup FILE, check, migrate."""


@db.command("path")
@click.option("--db", "db_here", default=None, metavar="PATH", help="Library file.")
@click.pass_context
def db_path(ctx: click.Context, db_here: str | None) -> None:
    """Print where the library file is."""
    from storage.db import resolve_db_path
    from tui.cli.common import db_path_from

    click.echo(str(resolve_db_path(db_path_from(ctx, db_here))))


@db.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@pass_library
def db_backup(lib: Library, dest: Path) -> None:
    """Copy the library to DEST with SQLite's online backup (safe while the app is open).

    To restore, quit papershelf and copy DEST over the library file (see `papershelf db path`).
    """
    lib.backup(dest)
    click.echo(f"backed up {lib.path} to {dest}")


@db.command("check")
@pass_library
def db_check(lib: Library) -> None:
    """Run SQLite's integrity and foreign key checks and say what they found."""
    problems = lib.check()
    if problems:
        for p in problems:
            click.echo(f"problem: {p}")
        raise BadInput(f"{lib.path}: {len(problems)} problem(s) found")
    with lib.read() as session:
        count = len(ops.list_papers(session, include_dismissed=True))
    click.echo(f"{lib.path}: ok (schema {lib.schema_version}, {count} papers)")


@db.command("migrate")
@pass_library
def db_migrate(lib: Library) -> None:
    """Upgrade the library to this version's schema (done on open; this says so)."""
    click.echo(f"{lib.path}: at schema {lib.schema_version}, the latest")
