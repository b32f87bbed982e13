"""The parallel run keeps its promise about ``serial`` tests (tests/support/suite.py): with two
xdist workers, they start only after every other test has finished, and one at a time. Checked
by running a small generated suite with the project's hooks in a real pytest process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CONFTEST = """
from tests.support.suite import (  # noqa: F401
    pytest_collection_modifyitems, pytest_configure, pytest_sessionfinish,
    pytest_terminal_summary, pytest_testnodedown, pytest_xdist_make_scheduler,
)
"""

TESTS = """
import os
from pathlib import Path

import pytest

LOG = Path(os.environ["SCHEDULING_LOG"])
NORMAL = 12


def log(line):
    with LOG.open("a") as f:
        f.write(line + "\\n")


def lines():
    return LOG.read_text().splitlines() if LOG.exists() else []


@pytest.mark.parametrize("n", range(NORMAL))
def test_normal(n):
    log(f"start normal {n}")
    log(f"end normal {n}")


@pytest.mark.serial
@pytest.mark.parametrize("n", range(3))
def test_serial(n):
    seen = lines()
    assert sum(1 for x in seen if x.startswith("end normal")) == NORMAL, seen
    started = sum(1 for x in seen if x.startswith("start serial"))
    ended = sum(1 for x in seen if x.startswith("end serial"))
    assert started == ended, seen  # none running beside this one
    log(f"start serial {n}")
    log(f"end serial {n}")
"""


@pytest.mark.slow
def test_serial_tests_run_last_and_one_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_generated.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    serial: run last, alone\n    slow: slow\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    env.update(PYTHONPATH=str(REPO), SCHEDULING_LOG=str(tmp_path / "log.txt"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2",
         "--dist", "loadgroup", "test_generated.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "15 passed" in result.stdout, result.stdout
    log = (tmp_path / "log.txt").read_text().splitlines()
    first_serial = min(i for i, line in enumerate(log) if "serial" in line)
    assert all("normal" in line for line in log[:first_serial])
    assert all("serial" in line for line in log[first_serial:])
