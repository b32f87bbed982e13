"""``papershelf search``: words, qualifiers, --json, --limit, --all, bad queries, and the index
following the other commands (add, tag, note, rm, undo)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from storage.migrations import latest_version
from tests.storage.search_data import search_lib, search_template

CliRunnerFn = Callable[..., Any]  # the ``cli`` fixture of tests/conftest.py

__all__ = ["search_lib", "search_template"]

pytestmark = pytest.mark.usefixtures("search_lib")


def keys(cli: CliRunnerFn, *args: str) -> list[str]:
    r = cli("search", *args, "--json")
    assert r.code == 0, r.err
    return [p["key"] for p in r.json()]


def test_typos_find_the_paper_first_in_a_table(cli: CliRunnerFn) -> None:
    r = cli("search", "atention", "is", "al")
    assert r.code == 0 and r.err == ""
    lines = r.out.splitlines()
    assert lines[0].split() == ["KEY", "TITLE", "FIRST", "AUTHOR", "YEAR", "STATUS", "TAGS"]
    assert lines[1].split()[0] == "vaswani2017attention"
    assert "Attention Is All You Need" in lines[1] and "queued ★" in lines[1]
    assert len(lines) == 2


def test_json_has_the_paper_shape_plus_score_and_matched(cli: CliRunnerFn) -> None:
    r = cli("search", "wombat", "--json")
    assert r.code == 0
    data = r.json()
    assert [(p["key"], p["matched"]) for p in data] == [
        ("digger2019wombat", ["title"]), ("wombat2019soil", ["authors"]),
        ("night2019nocturnal", ["tags"]), ("field2019grazing", ["abstract"]),
        ("post2019fence", ["notes"])]
    first = data[0]
    assert first["title"] == "Wombat burrows and their architects"
    assert first["authors"] == ["Ruth Digger"] and first["year"] == 2019
    assert {"id", "key", "title", "authors", "year", "published", "arxiv_id", "doi", "url",
            "status", "starred", "rating", "tags", "notes", "upvotes", "added", "score",
            "matched"} <= set(first)
    assert [p["score"] for p in data] == sorted((p["score"] for p in data), reverse=True)
    assert data[4]["notes"][0]["body"] == "A wombat pushed through the fence here."


def test_accents_latex_and_qualifiers(cli: CliRunnerFn) -> None:
    both = ["bostrom2013existential", "bostrom2014superintelligence"]
    assert keys(cli, "bostrom") == both
    assert keys(cli, "Boström") == both
    assert keys(cli, 'Bostr{\\"o}m') == both
    assert keys(cli, "tag:llm -tag:transformers") == ["brown2020language"]
    assert keys(cli, "author:vaswani", "year:2015..2020", "is:starred") == ["vaswani2017attention"]
    assert keys(cli, '"noise schedule"', "status:queued", "day:2024-06-17", "source:hf") == [
        "ho2020denoising"]
    assert keys(cli, "attention", "-translation") == ["vaswani2017attention", "ho2020denoising"]
    assert keys(cli, "year:2020..", "-tag:llm") == ["ho2020denoising"]


def test_limit_all_and_dismissed(cli: CliRunnerFn) -> None:
    assert keys(cli, "attention", "--limit", "2") == ["vaswani2017attention", "luong2015effective"]
    assert len(keys(cli, "year:..2030", "--limit", "0")) == 17
    assert keys(cli, "transferable") == []
    assert keys(cli, "transferable", "--all") == ["radford2021learning"]
    assert keys(cli, "transferable status:dismissed") == ["radford2021learning"]


def test_no_results(cli: CliRunnerFn) -> None:
    r = cli("search", "xyzzy")
    assert (r.code, r.out, r.err) == (0, "", "no papers\n")
    r = cli("search", "xyzzy", "--json")
    assert (r.code, r.json(), r.err) == (0, [], "")


@pytest.mark.parametrize(("args", "message"), [
    (("attention", "year:20x"), "papershelf: bad year '20x' in 'year:20x': use year:2024, "
                                "year:2020..2023, year:2020.. or year:..2019\n"),
    (("tga:llm",), "papershelf: unknown qualifier 'tga:' in 'tga:llm': did you mean tag:?\n"),
    (("status:finished",), "papershelf: unknown status 'finished' in 'status:finished' (use one "
                           "of: inbox, queued, reading, read, dismissed)\n"),
    (("source:hugging",), "papershelf: unknown source 'hugging' in the query (sources: arxiv, "
                          "bibtex, doi, hf, manual, page)\n"),
])
def test_bad_queries_exit_2_with_one_line(cli: CliRunnerFn, args: tuple[str, ...],
                                          message: str) -> None:
    r = cli("search", *args)
    assert (r.code, r.out, r.err) == (2, "", message)


def test_usage_errors(cli: CliRunnerFn) -> None:
    r = cli("search")
    assert r.code == 2 and "Missing argument 'WORDS...'" in r.err
    r = cli("search", "x", "--limit", "-1")
    assert r.code == 2 and "--limit" in r.err


def test_the_index_follows_the_other_commands(cli: CliRunnerFn) -> None:
    r = cli("add", "--title", "Capybara social structures", "--author", "Rosa Zoologist",
            "--year", "2024", "--arxiv", "2401.00001")
    assert r.code == 0, r.err
    key = "zoologist2024capybara"
    assert keys(cli, "capybra") == [key]
    # edit: the same arXiv id with a new title refreshes it
    assert cli("add", "--title", "Capybara and marmot social structures", "--author",
               "Rosa Zoologist", "--arxiv", "2401.00001").code == 0
    assert keys(cli, "marmot") == [key]
    assert cli("tag", key, "+rodents").code == 0
    assert keys(cli, "tag:rodents") == [key] and keys(cli, "rodents") == [key]
    assert cli("note", key, "-m", "Ask about llamas").code == 0
    assert keys(cli, "llamas") == [key]
    assert cli("rm", key, "--yes").code == 0
    assert keys(cli, "capybara") == [] and keys(cli, "llamas") == []
    r = cli("db", "check")
    assert r.code == 0 and r.out.endswith(f": ok (schema {latest_version()}, 18 papers)\n")
    # undo brings each step back, the index with it
    assert cli("undo").out == f"undid: rm {key}\n"
    assert keys(cli, "llamas") == [key] and keys(cli, "tag:rodents marmot") == [key]
    assert cli("undo").out == f"undid: note on {key}\n"
    assert keys(cli, "llamas") == []
    assert cli("undo").out == f"undid: tag {key} +rodents\n"
    assert keys(cli, "rodents") == []
    assert cli("undo").out == "undid: add Capybara and marmot social structures\n"
    assert keys(cli, "marmot") == [] and keys(cli, "capybara") == [key]
    assert cli("undo").out == "undid: add Capybara social structures\n"
    assert keys(cli, "capybara") == []
    r = cli("db", "check")
    assert r.code == 0 and r.out.endswith(f": ok (schema {latest_version()}, 18 papers)\n")


def test_reindex(cli: CliRunnerFn) -> None:
    r = cli("reindex")
    assert (r.code, r.out, r.err) == (0, "reindexed 18 papers\n", "")
    assert cli("db", "check").code == 0
    assert keys(cli, "atention is al") == ["vaswani2017attention"]
