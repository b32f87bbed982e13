"""Shared test fixtures: a temporary library, the command line run in-process, and the real
recorded fixtures in ../shared/fixtures (skipped with a reason when absent, required in CI)."""

from __future__ import annotations

import json
import os
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
from tui.cli import main

pytest_plugins = ["tests.support.pg"]  # pg_server, pg_url: a throwaway PostgreSQL (pg helper)

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


@pytest.fixture
def lib(db_path: Path) -> Iterator[Library]:
    library = open_library(db_path)
    yield library
    library.close()


@pytest.fixture
def cli(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunnerFn:
    """Run ``papershelf ARGS`` in-process against the temporary library (``--db`` is added
    unless the test passes its own)."""
    monkeypatch.delenv("PAPERSHELF_DB", raising=False)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
            db: bool = True) -> CliResult:
        argv: Sequence[str] = (["--db", str(db_path)] if db else []) + list(args)
        runner = CliRunner()
        with runner.isolation(input=input, env=env) as (out, err, _mixed):
            code = main(list(argv))
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())

    return run


@pytest.fixture
def shared_fixtures() -> Path:
    """The real recorded responses and .bib files. Absent on a user's fresh clone: skip there;
    in CI they must be present."""
    if not SHARED_FIXTURES.is_dir():
        if IN_CI:
            pytest.fail(f"CI=true but the shared fixtures are missing at {SHARED_FIXTURES}")
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES} (set PAPERSHELF_FIXTURES)")
    return SHARED_FIXTURES
