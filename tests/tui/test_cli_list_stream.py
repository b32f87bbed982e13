"""``papershelf list`` streams: its first lines are out before the last rows are read, a page of
a thousand papers costs a fixed handful of statements, and the streamed table and JSON hold
exactly the papers, in order, that the unstreamed reads give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from reader.record import PaperRecord
from storage import ops
from storage.db import Library
from tests.conftest import CliRunnerFn
from tui.cli import render


def fill(lib: Library, count: int) -> None:
    records = [PaperRecord(title=f"Streaming paper number {n}", authors=[f"Ada Writer{n}",
                                                                        "Bo Second"],
                           year=2000 + n % 25, arxiv_id=f"2401.{n:05d}", source="test")
               for n in range(1, count + 1)]
    with lib.action("fill") as session:
        results = ops.merge_records(session, records=records, status="queued")
        for result in results[::7]:
            ops.change_tags(session, paper=result.paper, add=["every-seventh"])


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    yield seen
    event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.slow  # 2,500 papers to make
def test_list_prints_before_it_has_read_every_page(cli: CliRunnerFn, lib: Library,
                                                   statements: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fill(lib, 2500)
    with lib.read() as session:
        expected = [key for _pid, key in ops.list_paper_keys(session)]
    seen_at_echo: list[int] = []
    real_echo = click.echo

    def echo(*args: Any, **kwargs: Any) -> None:
        seen_at_echo.append(len(statements))
        real_echo(*args, **kwargs)

    monkeypatch.setattr(render.click, "echo", echo)
    statements.clear()
    done = cli("list")
    assert done.code == 0
    lines = done.out.splitlines()
    assert lines[0].split() == ["KEY", "TITLE", "FIRST", "AUTHOR", "YEAR", "STATUS", "TAGS"]
    assert [line.split()[0] for line in lines[1:]] == expected  # every paper, newest first
    tagged = [line for line in lines[1:] if line.endswith("every-seventh")]
    assert len(tagged) == len(range(1, 2501, 7))
    newest = lines[1]  # the last paper made is the newest: its first author, not the second
    assert "Streaming paper number 2500" in newest and "Ada Writer2500" in newest
    assert "Bo Second" not in done.out
    assert len(seen_at_echo) == 3  # a page of a thousand at a time
    assert seen_at_echo[0] < seen_at_echo[-1] <= len(statements)  # the first page went first
    assert len(statements) <= 15, "list must not issue a query per paper"


@pytest.mark.slow
def test_list_json_streams_the_same_array(cli: CliRunnerFn, lib: Library) -> None:
    fill(lib, 1200)
    done = cli("list", "--json")
    assert done.code == 0
    papers = json.loads(done.out)
    with lib.read() as session:
        keys = [key for _pid, key in ops.list_paper_keys(session)]
    assert [p["key"] for p in papers] == keys
    assert done.out == json.dumps(papers, ensure_ascii=False, indent=2) + "\n"


def test_an_empty_list_says_so(cli: CliRunnerFn) -> None:
    human = cli("list")
    assert human.code == 0 and human.out == "" and "no papers" in human.err
    as_json = cli("list", "--json")
    assert as_json.code == 0 and as_json.out == "[]\n"
