"""``papershelf``: the command line. With no subcommand it opens the app."""

from __future__ import annotations

import sys

import click

from reader.errors import PapershelfError
from tui import __version__
from tui.cli.common import DB_HELP, err


class LazyGroup(click.Group):
    """Loads the subcommands (and what they import: httpx, bibtexparser, ...) only when one is
    asked for or listed, so ``papershelf`` alone starts the app without them."""

    _loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            _register(self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", default=None, metavar="PATH", help=DB_HELP)
@click.version_option(__version__, prog_name="papershelf")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """papershelf: your reading list of research papers, in the terminal.

    Run it alone to open the app; every action is also a subcommand below.
    """
    if ctx.invoked_subcommand is None:
        from storage.db import open_library, resolve_db_path
        from tui.app import run_app

        lib = open_library(resolve_db_path(db))
        try:
            run_app(lib)
        finally:
            lib.close()


def _register(group: click.Group) -> None:
    from tui.cli import bibtex, dupes, library, pull, search

    library.register(group)
    pull.register(group)
    bibtex.register(group)
    search.register(group)
    dupes.register(group)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; user mistakes become one line on stderr and an exit code."""
    try:
        result = cli.main(args=argv, prog_name="papershelf", standalone_mode=False)
    except PapershelfError as error:
        err(str(error))
        return error.exit_code
    except click.exceptions.Abort:
        err("aborted")
        return 1
    except click.exceptions.ClickException as error:
        error.show()
        return 2 if isinstance(error, click.UsageError) else error.exit_code or 1
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    return result if isinstance(result, int) else 0
