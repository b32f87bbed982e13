"""The small library the search tests share (tests/storage/data/search_library.json): real-looking
papers with LaTeX and accented authors, tags, notes, stars, statuses and feed days, plus papers
that put one word (wombat, quokka) in different fields and spellings for the ranking tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from reader.record import PaperRecord
from storage import ops
from storage.db import Library, open_library
from tests.support.pg import PgServer

DATA = Path(__file__).parent / "data" / "search_library.json"


def load_search_library(lib: Library) -> list[str]:
    """Add every paper (one undoable action each); returns their keys in order."""
    keys = []
    for item in json.loads(DATA.read_text(encoding="utf-8")):
        record = PaperRecord(
            title=item["title"], authors=item["authors"], year=item.get("year"),
            arxiv_id=item.get("arxiv_id"), abstract=item.get("abstract"),
            source=item.get("source", "manual"))
        with lib.action(f"add {item['title']}") as session:
            paper = ops.merge_record(session, record=record, status=item["status"]).paper
            if item.get("tags"):
                ops.change_tags(session, paper=paper, add=item["tags"])
            for note in item.get("notes", []):
                ops.add_note(session, paper=paper, body=note["body"], quote=note.get("quote"))
            if item.get("starred"):
                ops.set_starred(session, paper=paper, starred=True)
            for source, day in item.get("feed", []):
                ops.record_feed(session, paper=paper, source=source, day=date.fromisoformat(day),
                                rank=1, upvotes=None)
            keys.append(paper.key)
    return keys


@pytest.fixture(scope="session")
def search_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The search sample library, built once per run."""
    path = tmp_path_factory.mktemp("search") / "template.db"
    lib = open_library(path)
    try:
        load_search_library(lib)
        lib.backup(path.with_name("copy.db"))
    finally:
        lib.close()
    return path.with_name("copy.db")


@pytest.fixture
def search_lib(search_template: Path, db_path: Path) -> Iterator[Library]:
    """A fresh copy of the search sample library at ``db_path`` (so ``cli`` sees it too)."""
    db_path.write_bytes(search_template.read_bytes())
    lib = open_library(db_path)
    yield lib
    lib.close()


# ---------------------------------------------------------------- the same on PostgreSQL


@pytest.fixture(scope="session")
def pg_search_template(pg_server: PgServer) -> str:
    """The search sample library in a PostgreSQL database, built once per test process (a
    template: each test gets a copy)."""
    url = pg_server.new_database()
    lib = open_library(url)
    try:
        load_search_library(lib)
    finally:
        lib.close()
    return url


def _pg_copy(server: PgServer, template_url: str) -> str:
    import psycopg

    name = f"{template_url.rsplit('/', 1)[1]}_copy{next(_copies)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.rsplit("/", 1)[1]}"')
    return server.url(name)


_copies = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_search_lib(request: pytest.FixtureRequest) -> Iterator[Library]:
    """The search sample library on each engine in turn (SQLite: ``search_lib``)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("search_lib")
        return
    server = request.getfixturevalue("pg_server")
    url = _pg_copy(server, request.getfixturevalue("pg_search_template"))
    lib = open_library(url)
    yield lib
    lib.close()
    server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_lib(request: pytest.FixtureRequest) -> Iterator[Library]:
    """An empty library on each engine in turn (SQLite: ``lib``)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("lib")
        return
    lib = open_library(request.getfixturevalue("pg_url"))
    yield lib
    lib.close()


def reopen(lib: Library) -> Library:
    """Another :class:`Library` on the same library (another connection, as another process
    would have)."""
    url = getattr(lib, "url", None)
    return open_library(url) if url else Library(lib.path)
