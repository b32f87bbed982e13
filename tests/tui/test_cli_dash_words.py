"""Words beginning with ``-`` are words (issue 21): ``papershelf search attention
-author:vaswani`` unquoted negates, wherever the negation stands, with the real options still
options before and after the words; a mistyped ``--jsn`` is an error naming ``--json``, not a
search word; ``--`` ends the options. ``export --query`` takes one argument: an unquoted
several-word query is refused with the quoted form to type, and nothing is exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.storage.search_data import search_lib, search_template

CliRunnerFn = Callable[..., Any]  # the ``cli`` fixture of tests/conftest.py
REPO = Path(__file__).resolve().parents[2]

__all__ = ["search_lib", "search_template"]

pytestmark = pytest.mark.usefixtures("search_lib")

NOT_VASWANI = ["luong2015effective", "bahdanau2014neural", "ho2020denoising"]


def keys(cli: CliRunnerFn, *args: str) -> list[str]:
    r = cli("search", *args)
    assert r.code == 0, r.err
    return [p["key"] for p in r.json()]


def test_a_negation_first_middle_or_last_is_a_search_word(cli: CliRunnerFn) -> None:
    # "-author:vaswani" holds an h: read as options it was "-a -u -t -h ...", the help, exit 0.
    quoted = keys(cli, "-author:vaswani attention", "--json")
    assert quoted == NOT_VASWANI
    assert keys(cli, "-author:vaswani", "attention", "--json") == quoted  # first
    assert keys(cli, "attention", "-author:vaswani", "--json") == quoted  # last
    assert keys(cli, "--json", "attention", "-author:vaswani") == quoted  # options before
    assert keys(cli, "attention", "-author:vaswani", "-tag:diffusion", "--json") == [
        "luong2015effective", "bahdanau2014neural"]
    assert keys(cli, "tag:llm", "-tag:transformers", "--json") == ["brown2020language"]
    # In the middle, between options and words; --limit N and --limit=N both options.
    assert keys(cli, "attention", "--limit", "2", "-author:vaswani", "--json") == NOT_VASWANI[:2]
    assert keys(cli, "--limit=1", "attention", "-author:vaswani", "year:2014..",
                "--json") == ["luong2015effective"]


def test_the_table_and_h_words_are_not_the_help(cli: CliRunnerFn) -> None:
    r = cli("search", "attention", "-author:vaswani")
    assert r.code == 0 and "Usage:" not in r.out
    assert [line.split()[0] for line in r.out.splitlines()[1:]] == NOT_VASWANI
    r = cli("search", "attention", "-h")  # the word h negated, not the help
    assert r.code == 0 and "Usage:" not in r.out and r.out.startswith("KEY")
    assert "Usage:" in cli("search", "-h").out  # alone, it still asks for the help
    assert "Usage:" in cli("search", "--help").out


def test_db_after_the_words_is_the_option(cli: CliRunnerFn, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    r = cli("search", "attention", "-author:vaswani", "--db", str(other), "--json", db=False)
    assert (r.code, r.json()) == (0, [])  # the other (new, empty) library was searched


def test_a_mistyped_option_is_an_error_not_a_word(cli: CliRunnerFn) -> None:
    r = cli("search", "attention", "--jsn")
    assert r.code == 2 and r.out == ""
    assert "No such option '--jsn'. Did you mean '--json'?" in r.err
    assert "put it after --: papershelf search -- --jsn" in r.err
    r = cli("search", "--limt", "3", "attention")
    assert r.code == 2 and "Did you mean '--limit'?" in r.err


def test_double_dash_ends_the_options(cli: CliRunnerFn) -> None:
    assert keys(cli, "--json", "--", "-author:vaswani", "attention") == NOT_VASWANI
    r = cli("search", "attention", "--", "--jsn")  # a word now: a negation that excludes none
    assert r.code == 0 and r.err == "" and r.out.startswith("KEY")
    # --limit after -- is a word, not the option: the same as the query quoted whole.
    assert keys(cli, "--json", "attention", "--", "--limit", "1") == keys(
        cli, "--json", "attention --limit 1") != keys(cli, "--json", "attention", "--limit", "1")


def test_export_query_negations(cli: CliRunnerFn, tmp_path: Path) -> None:
    r = cli("export", "--query", "-tag:llm", "--with-tags")  # one word: click takes it as the value
    assert r.code == 0 and "@" in r.out and "keywords = {llm" not in r.out
    out = tmp_path / "refs.bib"
    r = cli("export", "--query", "tag:llm", "-tag:transformers", "-o", str(out))
    assert (r.code, r.out) == (2, "")
    assert ("'-tag:transformers' is no option of export; a query of several words goes in "
            "quotes: --query 'tag:llm -tag:transformers'") in r.err
    assert not out.exists()
    r = cli("export", "--query", "tag:llm", "-hinton")  # an h: once the help, exit 0
    assert r.code == 2 and "--query 'tag:llm -hinton'" in r.err and "Usage:" in r.err
    r = cli("export", "--query", "tag:llm -tag:transformers", "-o", str(out))
    assert r.code == 0 and "wrote 1 entry" in r.err
    assert "brown2020language" in out.read_text(encoding="utf-8")
    r = cli("export", "--quer", "tag:llm")
    assert r.code == 2 and "Did you mean '--query'?" in r.err


def test_the_real_command_takes_an_unquoted_negation(db_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PAPERSHELF_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "tui", "search", "attention", "-author:vaswani", "--db",
         str(db_path), "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert [p["key"] for p in json.loads(done.stdout)] == NOT_VASWANI
    done = subprocess.run([sys.executable, "-m", "tui", "--db", str(db_path), "search",
                           "attention", "--jsn"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "Did you mean '--json'?" in done.stderr and "Traceback" not in done.stderr
