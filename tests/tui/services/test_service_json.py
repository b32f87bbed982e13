"""The documented JSON shapes from typed, batch-loaded paper details: the same for any number
of papers, in a constant number of SQL statements."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from service_fakes import record
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage import ops
from storage.db import Library
from storage.details import paper_details
from tests.conftest import CliRunnerFn
from tui.services import json_shapes

DESIGN_FIELDS = ["id", "key", "title", "authors", "year", "published", "arxiv_id", "doi", "url",
                 "status", "starred", "rating", "tags", "notes", "upvotes", "added"]


def fill(lib: Library, count: int, start: int = 1) -> None:
    with lib.action("fill") as session:
        results = ops.merge_records(session, records=[record(n) for n in range(start,
                                                                                start + count)],
                                    status="queued")
        for result in results[::10]:
            ops.change_tags(session, paper=result.paper, add=["a", "b"])
        for result in results[::25]:
            ops.add_note(session, paper=result.paper, body="note", quote="q")


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    yield seen
    event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.slow  # a thousand papers to make
def test_list_json_is_a_constant_number_of_statements(cli: CliRunnerFn, lib: Library,
                                                      statements: list[str]) -> None:
    fill(lib, 10)
    statements.clear()
    few = cli("list", "--json")
    at_ten = len(statements)
    assert few.code == 0 and len(few.json()) == 10
    fill(lib, 990, start=11)
    statements.clear()
    many = cli("list", "--json")
    assert many.code == 0 and len(many.json()) == 1000
    assert len(statements) == at_ten, "list --json must not issue a query per paper"
    search = cli("search", "paper", "--json", "--limit", "0")
    assert search.code == 0 and len(search.json()) == 1000


def test_the_shapes_match_the_docs_and_the_old_dict(lib: Library) -> None:
    fill(lib, 6)
    with lib.read() as session:
        papers = ops.list_papers(session)
        details = paper_details(session, paper_ids=[p.id or 0 for p in papers])
        shapes = json_shapes.papers_json(details)
        assert shapes == [ops.paper_dict(session, paper=p) for p in papers]  # the app's shim
        assert paper_details(session, paper_ids=[]) == []
    assert list(shapes[0])[:len(DESIGN_FIELDS)] == DESIGN_FIELDS
    tagged = next(s for s in shapes if s["tags"])
    assert tagged["tags"] == ["a", "b"]
    noted = next(s for s in shapes if s["notes"])
    assert set(noted["notes"][0]) == {"id", "body", "quote", "created", "updated", "author"}
    assert noted["notes"][0]["created"].endswith("Z") and shapes[0]["added"].endswith("Z")
