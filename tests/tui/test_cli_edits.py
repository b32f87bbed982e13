"""The edit commands' argument syntax through the real command line: papers first, then tag
changes each with + or -; words that begin with "-" are tags or keys, never options."""

from __future__ import annotations

import pytest

from tests.conftest import CliRunnerFn


@pytest.fixture
def shelf(cli: CliRunnerFn) -> CliRunnerFn:
    for title, author, year in [("Attention Is All You Need", "Ashish Vaswani", "2017"),
                                ("LoRA: Low-Rank Adaptation", "Edward J. Hu", "2021")]:
        assert cli("add", "--title", title, "--author", author, "--year", year).code == 0
    return cli


def tags_of(cli: CliRunnerFn, key: str) -> list[str]:
    return cli("show", key, "--json").json()["tags"]


def test_tag_several_papers_at_once(shelf: CliRunnerFn) -> None:
    r = shelf("tag", "vaswani2017attention", "hu2021lora", "+multi")
    assert (r.code, r.out) == (0, "vaswani2017attention: multi\nhu2021lora: multi\n")
    assert tags_of(shelf, "hu2021lora") == ["multi"]
    assert shelf("tags", "--json").json() == [{"name": "multi", "count": 2}]
    undo = shelf("undo")
    assert undo.out == "undid: tag vaswani2017attention hu2021lora +multi\n"


def test_a_word_without_plus_or_minus_is_a_paper(shelf: CliRunnerFn) -> None:
    before = shelf("undo", "--list").out
    r = shelf("tag", "vaswani2017attention", "K2", "+multi")
    assert (r.code, r.out, r.err) == (2, "", "papershelf: no paper with key or id 'K2'\n")
    r = shelf("tag", "vaswani2017attention", "transformers")
    assert r.code == 2 and r.err.startswith("papershelf: no tag change given")
    r = shelf("tag", "vaswani2017attention", "+x", "hu2021lora")
    assert r.code == 2 and "name the papers first" in r.err
    assert shelf("tags", "--json").json() == []
    assert shelf("undo", "--list").out == before


def test_removing_a_tag_that_looks_like_an_option(shelf: CliRunnerFn) -> None:
    assert shelf("tag", "vaswani2017attention", "+rlhf", "+h", "+x").code == 0
    r = shelf("tag", "vaswani2017attention", "-rlhf")
    assert (r.code, r.out) == (0, "vaswani2017attention: h, x\n")
    r = shelf("tag", "vaswani2017attention", "-h", "--db-x")  # not help, not the --db option
    assert (r.code, r.out) == (0, "vaswani2017attention: x\n")
    assert "Usage:" in shelf("tag", "--help").out


def test_db_after_the_words_still_names_the_library(shelf: CliRunnerFn, tmp_path) -> None:
    other = tmp_path / "other.db"
    r = shelf("tag", "vaswani2017attention", "-old", "--db", str(other))
    assert r.code == 2 and "no paper with key or id 'vaswani2017attention'" in r.err
    assert shelf("status", "vaswani2017attention", "hu2021lora", "read").code == 0


def test_status_star_rm_take_several_keys(shelf: CliRunnerFn) -> None:
    r = shelf("status", "vaswani2017attention", "hu2021lora", "reading")
    assert r.out == "vaswani2017attention: reading\nhu2021lora: reading\n"
    r = shelf("star", "vaswani2017attention", "hu2021lora")
    assert r.out == "vaswani2017attention: starred\nhu2021lora: starred\n"
    r = shelf("star", "vaswani2017attention", "-x")
    assert (r.code, r.err) == (2, "papershelf: no paper with key or id '-x'\n")
    r = shelf("rm", "-y", "vaswani2017attention", "hu2021lora")
    assert r.code == 0 and shelf("list", "--json").json() == []
    assert shelf("undo").out == "undid: rm vaswani2017attention hu2021lora\n"
    assert len(shelf("list", "--json").json()) == 2
