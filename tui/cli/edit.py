"""``papershelf edit``: a paper's bibliographic fields in $EDITOR, or ``--set name=value`` for
scripts, or ``--accept FIELD`` to take a source's value; and the text ``show`` prints (every
field, the imported entry's others, and where a source disagrees with the user)."""

from __future__ import annotations

import sys
from typing import Any

import click

from reader.errors import BadInput
from storage.db import Library
from tui.cli.common import pass_library, say
from tui.services import fields
from tui.words import status_word


def register(cli: click.Group) -> None:
    cli.add_command(edit)


@click.command()
@click.argument("ref")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Set a field (repeatable): year=2022, journal=\"...\", authors=\"A; B\"; "
                   "an empty value clears it.")
@click.option("--accept", "accepts", multiple=True, metavar="FIELD",
              help="Take the source's value for a field of yours it disagrees with "
                   "(see show).")
@pass_library
def edit(lib: Library, ref: str, sets: tuple[str, ...], accepts: tuple[str, ...]) -> None:
    """Edit a paper's fields (title, authors, year, venue, entry type, DOI, ...).

    Without options, the fields open in $EDITOR as TOML. Every edit is one undo step, and the
    fields you set are yours: pulls and imports never overwrite them.

    \b
    papershelf edit vaswani2017attention
    papershelf edit 1706.03762 --set year=2017 --set journal="NeurIPS"
    papershelf edit vaswani2017attention --accept year
    """
    if sets and accepts:
        raise click.UsageError("use --set or --accept, not both")
    if accepts:
        report = fields.accept(lib, ref, list(accepts))
    elif sets:
        pairs = []
        for item in sets:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise BadInput(f"--set {item!r}: expected FIELD=VALUE, like year=2022")
            pairs.append((name.strip(), value))
        report = fields.set_fields(lib, ref, pairs)
    else:
        key, before = fields.edit_text(lib, ref)
        if not _terminal():
            raise BadInput("no terminal to open $EDITOR in: use --set FIELD=VALUE")
        after = click.edit(before, extension=".toml")
        if after is None or not after.strip():
            say(f"{key}: nothing changed", err=True)
            return
        report = fields.apply_edit_text(lib, ref, before, after, where=f"{key} (edited)")
    for line in report.lines():
        say(line)


def _terminal() -> bool:
    return sys.stdin.isatty()


# ---------------------------------------------------------------- show


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def show_text(data: dict[str, Any]) -> str:
    """The text ``show`` prints for a paper's JSON (``paper_dict`` plus ``fields.detail``)."""
    lines = [data["title"], ""]
    mine = set(data.get("user_fields", []))
    disagree = data.get("source_values", {})

    def row(label: str, value: Any, name: str | None = None) -> None:
        if value in (None, "", []):
            if name not in disagree:
                return
            value = "(none)"  # cleared by the user, and a source has one
        text = _shown(value)
        if name in mine:
            text += "  (yours)"
        lines.append(f"{label + ':':<10} {text}")
        if name in disagree:
            theirs = disagree[name]
            lines.append(f"{'':<10} {theirs['source']} says: {_shown(theirs['value'])} "
                         f"(papershelf edit {data['key']} --accept {name})")

    row("key", data["key"])
    row("id", data["id"])
    row("authors", data["authors"], "authors")
    row("year", data["year"], "year")
    row("published", data["published"], "published")
    row("type", data.get("entry_type"), "entry_type")
    row("venue", data["venue"], "venue")
    arxiv = (data["arxiv_id"] or "") + (f"v{data['arxiv_version']}" if data["arxiv_id"]
                                        and data["arxiv_version"] else "")
    row("arXiv", arxiv, "arxiv_id")
    row("DOI", data["doi"], "doi")
    # The paper's link (arXiv's or doi.org's when it has none of its own); the user's own value
    # when the field is theirs.
    row("url", data.get("fields", {}).get("url") if "url" in mine else data["url"], "url")
    row("pdf", data["url_pdf"], "url_pdf")
    row("code", data["url_code"], "url_code")
    row("project", data["url_project"], "url_project")
    shown = {"title", "authors", "year", "published", "entry_type", "venue", "arxiv_id", "doi",
             "url", "url_pdf", "url_code", "url_project", "abstract"}
    for name, value in data.get("fields", {}).items():
        if name not in shown:
            row(name, value, name)
    row("status", status_word(data["status"]))
    row("starred", "yes" if data["starred"] else "no")
    row("rating", data["rating"])
    row("tags", ", ".join(data["tags"]))
    row("upvotes", data["upvotes"])
    row("source", data.get("source"))
    row("added", data["added"])
    row("read", data["read_at"])
    for name in ("title", "abstract"):
        if name in disagree:
            lines.append(f"{name + ':':<10} yours differs from {disagree[name]['source']}: "
                         f"{_shown(disagree[name]['value'])} "
                         f"(papershelf edit {data['key']} --accept {name})")
    if data["abstract"]:
        lines += ["", "Abstract" + ("  (yours)" if "abstract" in mine else ""), data["abstract"]]
    if data["ai_summary"]:
        lines += ["", "AI summary", data["ai_summary"]]
    for n in data["notes"]:
        lines += ["", f"Note {n['id']} ({n['updated']})"]
        if n["quote"]:
            lines += ["> " + q for q in n["quote"].splitlines()]
        lines.append(n["body"])
    return "\n".join(lines)
