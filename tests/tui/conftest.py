"""Pilot test helpers: the sample library, the app on it at a frozen date, and the screen as
text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.db import Library, open_library
from tests.support.app import TODAY
from tests.support.shelf_sample import build_sample
from tests.support.templates import copy_library
from tui.app import PapershelfApp
from tui.config import Config


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the real user's config.toml or library."""
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("PAPERSHELF_DB", raising=False)


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The sample library, built once per run (each build is a dozen committed writes) and
    copied for every test that asks for ``sample``: the file and its title -> id."""
    path = tmp_path_factory.mktemp("sample") / "built.db"
    built = open_library(path)
    try:
        ids = build_sample(built)
        built.backup(path.with_name("template.db"))
    finally:
        built.close()
    return path.with_name("template.db"), ids


@pytest.fixture
def lib(db_path: Path, empty_library: Path, request: pytest.FixtureRequest) -> Iterator[Library]:
    """The temporary library; a fresh copy of the sample library when the test uses ``sample``."""
    if "sample" in request.fixturenames:
        template, _ids = request.getfixturevalue("sample_template")
        copy_library(template, db_path)
    else:
        copy_library(empty_library, db_path)
    library = open_library(db_path)
    yield library
    library.close()


@pytest.fixture
def sample(lib: Library, sample_template: tuple[Path, dict[str, int]]) -> dict[str, int]:
    """The sample papers in the temporary library: title -> id."""
    return dict(sample_template[1])


@pytest.fixture
def make_app(lib: Library) -> Callable[..., PapershelfApp]:
    def make(**kwargs: Any) -> PapershelfApp:
        kwargs.setdefault("config", Config())
        kwargs.setdefault("today", lambda: TODAY)
        kwargs.setdefault("watch", False)
        app = PapershelfApp(kwargs.pop("library", lib), **kwargs)
        app.SEARCH_DEBOUNCE = 0.0  # settle() waits for the search worker, not for a timer
        app.DETAIL_DELAY = 0.0  # the same for the detail pane (30 ms asleep per cursor move)
        return app

    return make


@pytest.fixture
def other_lib(db_path: Path) -> Iterator[Library]:
    """A second handle on the same file (another process, as far as the app can tell)."""
    second = open_library(db_path)
    yield second
    second.close()
