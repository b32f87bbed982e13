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
from tui.app import PapershelfApp
from tui.config import Config


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the real user's config.toml or library."""
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("PAPERSHELF_DB", raising=False)


@pytest.fixture
def sample(lib: Library) -> dict[str, int]:
    """The sample papers in the temporary library: title -> id."""
    return build_sample(lib)


@pytest.fixture
def make_app(lib: Library) -> Callable[..., PapershelfApp]:
    def make(**kwargs: Any) -> PapershelfApp:
        kwargs.setdefault("config", Config())
        kwargs.setdefault("today", lambda: TODAY)
        kwargs.setdefault("watch", False)
        app = PapershelfApp(kwargs.pop("library", lib), **kwargs)
        app.SEARCH_DEBOUNCE = 0.0
        return app

    return make


@pytest.fixture
def other_lib(db_path: Path) -> Iterator[Library]:
    """A second handle on the same file (another process, as far as the app can tell)."""
    second = open_library(db_path)
    yield second
    second.close()
