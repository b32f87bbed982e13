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
        from tui.services.whoami import current_user

        user = current_user(ctx.find_root().params.get("user")).name
        lib = open_library(resolve_db_path(db_path_from(ctx, db_here)))
        ctx.call_on_close(lib.close)
        lib.user = user
        return ctx.invoke(func, lib, *args, **kwargs)

    return wrapper  # type: ignore[return-value]



class WordsCommand(click.Command):
    """A command whose arguments are words that may begin with ``-`` (``tag KEY -rlhf``,
    ``search attention -author:hinton``, a key like ``-x``): only the command's own options,
    spelled exactly (``--json``, ``--limit 5``, ``--limit=5``, ``-o FILE``, ``--db PATH``,
    ``--help``), are options, before, between or after the words; every other
    word is an argument, never an option cluster (``-rlhf`` is not ``-r -l -h -f``, so it never
    prints the help). Everything after ``--`` is a word.

    With ``long_words=False`` a word beginning with ``--`` that is no option of the command is
    an error naming the option meant (``--jsn``: did you mean ``--json``?) and how to give it as
    a word (after ``--``), not a word taken silently."""

    def __init__(self, *args: Any, long_words: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.long_words = long_words

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not (param.is_flag or param.count)
        options: list[str] = []
        words: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                words.extend(args[i + 1:])
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if name == "-h" and len(args) > 1:
                name = ""  # "tag KEY -h" removes the tag h; "tag -h" alone asks for help
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
            elif not self.long_words and len(name) > 2 and name.startswith("--"):
                raise self._no_such_option(ctx, arg, name, takes_value)
            else:
                words.append(arg)
            i += 1
        return super().parse_args(ctx, [*options, "--", *words])

    def _no_such_option(self, ctx: click.Context, arg: str, name: str,
                        takes_value: dict[str, bool]) -> click.UsageError:
        import difflib

        meant = difflib.get_close_matches(name, [o for o in takes_value if o.startswith("--")])
        guess = f" Did you mean {meant[0]!r}?" if meant else ""
        return click.UsageError(f"No such option {name!r}.{guess} To give {arg!r} as a word, "
                                f"put it after --: {ctx.command_path} -- {arg}", ctx)


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


