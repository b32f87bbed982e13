"""What every command shares: the ``--db`` option (before or after the subcommand), opening the
library, printing JSON and tables, and turning a user's mistake into one line and an exit code."""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "Library file (default: $PAPERSHELF_DB, then the platform's data folder)."


def db_path_from(ctx: click.Context, own: str | None) -> str | None:
    return own or ctx.find_root().params.get("db")


def pass_library(func: F) -> F:
    """Open the library for a command; the command gets it as its first argument. Adds ``--db``
    so the option works after the subcommand too."""

    @click.option("--db", "db_here", default=None, metavar="PATH", help=DB_HELP)
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, /, *args: Any, db_here: str | None = None, **kwargs: Any) -> Any:
        from storage.db import open_library, resolve_db_path

        lib = open_library(resolve_db_path(db_path_from(ctx, db_here)))
        ctx.call_on_close(lib.close)
        return ctx.invoke(func, lib, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def err(message: str) -> None:
    click.echo(f"papershelf: {message}", err=True)


def shorten(text: str, width: int) -> str:
    if width <= 1:
        return text[:width]
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, flex: int = 1) -> str:
    """A plain aligned table fitted to the terminal; column ``flex`` takes what room is left."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    total = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 160
    others = sum(w for i, w in enumerate(widths) if i != flex) + 2 * (len(widths) - 1)
    widths[flex] = max(12, min(widths[flex], total - others))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in rows:
        lines.append("  ".join(shorten(c, widths[i]).ljust(widths[i])
                               for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


