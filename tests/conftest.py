"""Shared test fixtures: a temporary library, the command line run in-process, and the real
recorded fixtures in ../shared/fixtures (skipped with a reason when absent, required in CI)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from storage.db import Library, open_library
from tests.support.suite import (  # noqa: F401 (the hooks that run the suite in parallel)
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
    pytest_xdist_make_scheduler,
)
from tests.support.templates import copy_library
from tui.cli import main

pytest_plugins = ["tests.support.pg"]  # pg_server, pg_url: a throwaway PostgreSQL (pg helper)

def _sendable(text: str) -> str:
    """``text`` with lone surrogates escaped: a failing example of hostile text (a lone
    surrogate) must reach the report, not crash the worker's channel (execnet sends UTF-8)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.longrepr is not None:
        text = str(report.longrepr)
        if _sendable(text) != text:
            report.longrepr = _sendable(text)
    report.sections = [(title, _sendable(body)) for title, body in report.sections]


REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = Path(os.environ.get("PAPERSHELF_FIXTURES", REPO.parent / "shared" / "fixtures"))
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


CliRunnerFn = Callable[..., CliResult]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture(scope="session")
def empty_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new library at the latest schema, made once per run: ``lib`` starts from a copy of the
    file (a few milliseconds) instead of running every migration with its fsyncs (about 50 ms of
    CPU and 0.2 s of waiting on the disk, per test)."""
    path = tmp_path_factory.mktemp("empty") / "library.db"
    open_library(path).close()
    return path


@pytest.fixture
def lib(db_path: Path, empty_library: Path) -> Iterator[Library]:
    copy_library(empty_library, db_path)
    library = open_library(db_path)
    yield library
    library.close()


def run_cli(db_path: Path) -> CliRunnerFn:
    """``papershelf ARGS`` run in-process against ``db_path`` (``--db`` is added unless the
    caller passes ``db=False``)."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
            db: bool = True) -> CliResult:
        argv: Sequence[str] = (["--db", str(db_path)] if db else []) + list(args)
        runner = CliRunner()
        with runner.isolation(input=input, env=env) as (out, err, _mixed):
            code = main(list(argv))
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())

    return run


@pytest.fixture
def cli(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunnerFn:
    """Run ``papershelf ARGS`` in-process against the temporary library (``--db`` is added
    unless the test passes its own)."""
    monkeypatch.delenv("PAPERSHELF_DB", raising=False)
    return run_cli(db_path)


@pytest.fixture(scope="session")
def library_template(tmp_path_factory: pytest.TempPathFactory
                     ) -> Callable[[str, Callable[[CliRunnerFn], None]], Path]:
    """``library_template(name, fill)``: the library ``fill(cli)`` makes through the command line,
    built once per run (no user config, no PAPERSHELF_DB) and closed; a fixture copies it to
    ``db_path`` with ``copy_library`` before the test runs its commands."""
    built: dict[str, Path] = {}

    def template(name: str, fill: Callable[[CliRunnerFn], None]) -> Path:
        if name not in built:
            folder = tmp_path_factory.mktemp(name)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("PAPERSHELF_CONFIG", str(folder / "no-config.toml"))
                patch.delenv("PAPERSHELF_DB", raising=False)
                fill(run_cli(folder / "library.db"))
            copy = folder / "template.db"
            with contextlib.closing(sqlite3.connect(folder / "library.db")) as source, \
                    contextlib.closing(sqlite3.connect(copy)) as target:
                source.backup(target)  # one file, whatever the write-ahead log still held
            built[name] = copy
        return built[name]

    return template


@pytest.fixture
def shared_fixtures() -> Path:
    """The real recorded responses and .bib files. Absent on a user's fresh clone: skip there;
    in CI they must be present."""
    if not SHARED_FIXTURES.is_dir():
        if IN_CI:
            pytest.fail(f"CI=true but the shared fixtures are missing at {SHARED_FIXTURES}")
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES} (set PAPERSHELF_FIXTURES)")
    return SHARED_FIXTURES
