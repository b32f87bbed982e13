"""The project's own rules about itself. ruff, mypy and lint-imports run as their own CI step
(.ci/run, before the test command); here: that CI does run them, and runs exactly the README's
test command, and that the layer contracts in pyproject.toml really catch a violation (checked
on a temporary copy of the source, never by writing into the source tree)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("reader", "storage", "exports", "tui")


def _readme_test_command() -> str:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```\n(.*?)\n```", readme, flags=re.S)
    return next(b for b in blocks if "pytest" in b and "\n" not in b)


def _ci_lines() -> list[str]:
    return [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_cmd = _readme_test_command()
    assert test_cmd in _ci_lines(), f"{test_cmd!r} is not a line of .ci/run"


def test_ci_checks_lint_types_and_contracts_before_the_tests() -> None:
    """ruff, mypy and lint-imports are a CI step of their own, failing CI (set -e) before the
    test command starts."""
    lines = _ci_lines()
    assert "set -euo pipefail" in lines
    tests_at = lines.index(_readme_test_command())
    for check in ("ruff check .", "mypy", "lint-imports"):
        assert check in lines, f"{check!r} is not a line of .ci/run"
        assert lines.index(check) < tests_at, f"{check!r} runs after the tests"


def _lint_imports() -> str:
    found = shutil.which("lint-imports") or shutil.which(
        "lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    return found


def test_layer_contract_catches_a_violation(tmp_path: Path) -> None:
    """The contracts are not vacuous: in a copy of the source with one storage module importing
    textual, lint-imports fails and names that import."""
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "storage" / "_contract_probe.py").write_text("import textual  # noqa: F401\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSHELF_")}
    env["PYTHONPATH"] = str(tmp_path)  # the copy, not the installed package
    result = subprocess.run([_lint_imports(), "--no-cache"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Only tui imports textual BROKEN" in result.stdout, result.stdout
    assert "storage._contract_probe -> textual" in result.stdout, result.stdout
    assert not (REPO / "storage" / "_contract_probe.py").exists()
