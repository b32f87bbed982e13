"""The project's own rules, checked on every test run: lint, types, the layer contract, and the
README's test command being the one CI runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_ruff_is_clean() -> None:
    result = _run(_tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_layer_contract_is_kept() -> None:
    """Only tui imports textual, only storage touches SQL, only reader does HTTP, BibTeX syntax
    only in exports (the contracts are in pyproject.toml)."""
    result = _run(_tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_layer_contract_catches_a_violation(tmp_path) -> None:
    """The contract is not vacuous: a storage module importing textual breaks it."""
    bad = REPO / "storage" / "_contract_probe.py"
    bad.write_text("import textual  # noqa: F401\n")
    try:
        result = _run(_tool("lint-imports"))
    finally:
        bad.unlink()
    assert result.returncode != 0
    assert "Only tui imports textual BROKEN" in result.stdout


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```\n(.*?)\n```", readme, flags=re.S)
    test_cmd = next(b for b in blocks if "pytest" in b and "\n" not in b)
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci, f"{test_cmd!r} is not a line of .ci/run"
