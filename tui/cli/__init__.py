"""``papershelf``: the command line. With no subcommand it opens the app."""

from __future__ import annotations

import importlib
import sys

import click

from reader.errors import PapershelfError
from tui import __version__
from tui.cli.common import DB_HELP, err

# Each subcommand: the module that defines it (loaded only when the command runs) and the
# first paragraph of its help, so ``papershelf --help`` lists them without importing any of them.
# tests/tui/test_cli_startup.py checks this table against the commands themselves.
COMMANDS: dict[str, tuple[str, str]] = {
    'add': ('library', 'Add papers by arXiv id or URL, DOI or Hugging Face paper URL, or one by hand with --title (a paper already in the library is updated, not duplicated).'),
    'db': ('library', 'The library file: path, backup FILE, check, migrate, copy --to TARGET.'),
    'duplicates': ('dupes', 'List papers that may be one work (same title or DOI) and why they were kept apart.'),
    'edit': ('edit', "Edit a paper's fields (title, authors, year, venue, entry type, DOI, ...)."),
    'export': ('bibtex', 'Export papers as BibTeX: by citation key or id, --tag, --status, --query or --all.'),
    'feed': ('pull', "What a day's feed held, most upvoted first, with your status for each paper."),
    'import': ('bibtex', "Import a .bib file: each entry is merged into the library (no duplicates; the file's keys are kept when free). Entries that cannot be read are reported with their line."),
    'key': ('library', "Rename a paper's citation key (the only way a key ever changes)."),
    'list': ('library', 'List papers, newest first (dismissed ones only with --all or --status dismissed).'),
    'merge': ('dupes', "Merge paper OTHER into KEEP (keys or ids): KEEP takes the fields it lacks, OTHER's tags and notes, and OTHER's key as another key of it; one undo step."),
    'note': ('library', 'Write a note on a paper (Markdown); or --edit / --delete a note by its id.'),
    'pull': ('pull', "Pull the day's papers into the inbox (new papers as inbox; nothing of yours touched)."),
    'rate': ('library', 'Rate a paper 1 to 5 (0 clears the rating).'),
    'reindex': ('search', 'Rebuild the search index from the library (if `papershelf db check` finds it out of date). Not undoable, and not needed: the index follows every change by itself.'),
    'resolve': ('pull', 'Fill in ids and authors of papers that have only a title (from copied page text).'),
    'rm': ('library', 'Remove papers with their notes and tags (`papershelf undo` brings them back).'),
    'search': ('search', 'Find papers: fuzzy words, "exact phrases" and qualifiers, best match first.'),
    'show': ('library', 'Show one paper (by citation key, id, arXiv id or DOI): every field, tags and notes.'),
    'star': ('library', 'Star papers.'),
    'status': ('library', 'Set the status of papers: inbox, queued, reading, read or dismissed.'),
    'tag': ('library', 'Add (+name) and remove (-name) tags on papers: papershelf tag KEY... +llm +to-cite -old.'),
    'tags': ('library', 'Every tag with its number of papers (dismissed ones aside, as the app counts); `tags rename A B`, `tags merge A B`.'),
    'undo': ('library', 'Revert the last change, whatever command made it; repeat to go further back.'),
    'unstar': ('library', 'Remove the star from papers.'),
    'whoami': ('library', 'Print the name your changes (notes, undo steps) are recorded as.'),
}


class LazyGroup(click.Group):
    """Loads a subcommand's module (and what it imports: the database layer, httpx,
    bibtexparser, ...) only when that command runs, so ``--version``, ``--help`` and
    ``papershelf`` alone (the app) start without them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(f"tui.cli.{COMMANDS[cmd_name][0]}")
            module.register(self)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                text = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            else:
                text = self.commands[name].get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", default=None, metavar="PATH|URL", help=DB_HELP)
@click.option("--user", default=None, metavar="NAME",
              help="Who your changes are recorded as (default: [user] name in config.toml, "
                   "then your login name; see `papershelf whoami`).")
@click.version_option(__version__, prog_name="papershelf")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None) -> None:
    """papershelf: your reading list of research papers, in the terminal.

    Run it alone to open the app; every action is also a subcommand below.
    """
    if ctx.invoked_subcommand is None:
        from storage.db import open_library, resolve_db_path
        from tui.app import run_app
        from tui.services.whoami import current_user

        lib = open_library(resolve_db_path(db))
        try:
            lib.user = current_user(user).name
            run_app(lib)
        finally:
            lib.close()


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
