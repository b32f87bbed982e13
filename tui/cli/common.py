"""What every command shares: the ``--db`` option (before or after the subcommand), opening the
library, printing JSON and tables, and turning a user's mistake into one line and an exit code."""

from __future__ import annotations

import functools
import json
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from tui.safe_text import safe_lines, safe_text

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = ("Library file, or a PostgreSQL URL (postgresql://host/db) (default: $PAPERSHELF_DB, "
           "then [library] url in config.toml, then the platform's data folder).")


def db_path_from(ctx: click.Context, own: str | None) -> str | None:
    return own or ctx.find_root().params.get("db")


def pass_library(func: F) -> F:
    """Open the library for a command; the command gets it as its first argument. Adds ``--db``
    so the option works after the subcommand too."""

    @click.option("--db", "db_here", default=None, metavar="PATH|URL", help=DB_HELP)
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, /, *args: Any, db_here: str | None = None, **kwargs: Any) -> Any:
        from storage.db import open_library, resolve_db_path

        lib = open_library(resolve_db_path(db_path_from(ctx, db_here)))
        ctx.call_on_close(lib.close)
        return ctx.invoke(func, lib, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


# Characters JSON may carry raw that a terminal acts on (C1 controls, bidi overrides, line
# separators): written as \\uXXXX escapes, the same JSON value, inert on a terminal.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON (UTF-8 kept readable), with nothing in it a terminal would act on."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


def say(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """Human output: text from papers (titles, authors, keys from someone's .bib) is data,
    never control, so every control, ESC, C1 and bidi character is shown visibly (``␛``);
    newlines and tabs are kept."""
    click.echo(safe_lines(str(message)), err=err, nl=nl)


def err(message: str) -> None:
    click.echo(f"papershelf: {safe_lines(message)}", err=True)


def shorten(text: str, width: int) -> str:
    text = safe_text(text)
    if width <= 1:
        return text[:width]
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, flex: int = 1) -> str:
    """A plain aligned table fitted to the terminal; column ``flex`` takes what room is left."""
    rows = [[safe_text(c) for c in row] for row in rows]
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


