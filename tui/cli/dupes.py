"""``papershelf duplicates`` and ``papershelf merge A B``."""

from __future__ import annotations

import click

from storage.db import Library
from tui.cli.common import json_text, pass_library, say
from tui.services.merge import list_duplicates, merge


def register(cli: click.Group) -> None:
    cli.add_command(duplicates)
    cli.add_command(merge_cmd)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the pairs as JSON.")
@pass_library
def duplicates(lib: Library, as_json: bool) -> None:
    """List papers that may be one work (same title or DOI) and why they were kept apart."""
    found = list_duplicates(lib)
    if as_json:
        say(json_text([{"key": d.key, "other": d.other, "reason": d.reason,
                                "certain": d.certain} for d in found], indent=2))
        return
    for d in found:
        say(f"{d.other}: possible duplicate of {d.key}: {d.reason}")
    say(f"{len(found)} possible duplicate{'' if len(found) == 1 else 's'}"
               + (" ('papershelf merge KEEP OTHER' joins two)" if found else ""))


def _show(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 70 else text[:69] + "…"


@click.command("merge")
@click.argument("keep")
@click.argument("other")
@click.option("--dry-run", is_flag=True, help="Say what would be taken; change nothing.")
@pass_library
def merge_cmd(lib: Library, keep: str, other: str, dry_run: bool) -> None:
    """Merge paper OTHER into KEEP (keys or ids): KEEP takes the fields it lacks, OTHER's tags
    and notes, and OTHER's key as another key of it; one undo step."""
    plan = merge(lib, keep, other, dry_run=dry_run)
    verb = "would take" if dry_run else "took"
    for name, value in plan.taken:
        say(f"{plan.keep} {verb} {name} = {_show(value)}")
    if plan.tags:
        say(f"{plan.keep} {verb} tags: {', '.join(plan.tags)}")
    if plan.notes:
        say(f"{plan.keep} {verb} {plan.notes} note{'' if plan.notes == 1 else 's'}")
    keys = ", ".join(repr(k) for k in plan.aliases)
    done = "would be merged into" if dry_run else "merged into"
    say(f"{plan.other} {done} {plan.keep}; {keys} "
               f"{'stay' if len(plan.aliases) > 1 else 'stays'} another key of {plan.keep}"
               + (" (dry run: nothing changed)" if dry_run else ""))
