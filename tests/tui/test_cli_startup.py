"""What a command loads: ``--version`` and ``--help`` start without the database layer or any
source client, a one-paper command without httpx, and ``papershelf --help`` lists every command
with its own help (the table in tui/cli/__init__.py cannot drift from the commands)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from tui.cli import COMMANDS, cli

REPO = Path(__file__).resolve().parents[2]

HEAVY = ("sqlalchemy", "sqlmodel", "httpx", "bibtexparser", "rapidfuzz", "textual", "storage.db")


def loaded_by(*argv: str) -> set[str]:
    """The modules a whole ``python -m tui ARGV`` process has imported when it exits."""
    probe = ("import atexit, sys, runpy\n"
             "atexit.register(lambda: sys.__stderr__.write('\\nMODULES ' + ' '.join(sys.modules)))\n"
             f"sys.argv = ['papershelf', *{list(argv)!r}]\n"
             "runpy.run_module('tui', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    line = done.stderr.rsplit("MODULES ", 1)
    assert len(line) == 2, done.stderr
    return set(line[1].split())


@pytest.mark.parametrize("argv", [("--version",), ("--help",)])
def test_version_and_help_load_no_database_or_source_code(argv: tuple[str, ...]) -> None:
    modules = loaded_by(*argv)
    assert "click" in modules
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}


def test_a_one_paper_command_loads_no_http_client(tmp_path: Path) -> None:
    modules = loaded_by("--db", str(tmp_path / "lib.db"), "list")
    assert "storage.db" in modules
    assert not {m for m in modules if m.split(".")[0] in ("httpx", "bibtexparser", "textual")}


def test_the_help_table_names_every_command_with_its_own_help() -> None:
    ctx = click.Context(cli)
    for name, (module, text) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.callback is not None and command.callback.__module__ == f"tui.cli.{module}"
        assert click.Command(name, help=text).get_short_help_str(300) == \
            command.get_short_help_str(300), name
    assert set(cli.commands) == set(COMMANDS)  # every registered command is in the table
