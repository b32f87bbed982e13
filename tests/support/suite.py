"""How the suite runs: in parallel (pytest-xdist, ``-n auto --dist loadgroup`` in pyproject.toml),
with the tests marked ``serial`` held back and run last, one after another on one worker, once
every other worker has finished and left: they have the machine to themselves (timing-sensitive
tests, tmux, crash tests that run their own processes in parallel and count kills). At the end
it prints the figures of the run: wall time, workers, load average, and the reliability suite's
figures gathered from every worker.

The hooks are imported into tests/conftest.py. Without xdist (``-n 0``) the tests run in
collection order in one process and ``serial`` changes nothing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import pytest

try:
    from xdist.scheduler import LoadGroupScheduling
except ImportError:  # pragma: no cover (xdist is in the test extra)
    LoadGroupScheduling = object

SERIAL = "serial"
RELIABILITY = "tests.reliability.harness"


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STARTED] = (time.monotonic(), _load())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every ``serial`` test joins one xdist group (before xdist reads the groups); every
    ``toolchain`` test (real bibtex and biber runs) is ``slow`` too, so the fast lane leaves
    them out (tryfirst: before ``-m`` deselects)."""
    for item in items:
        if item.get_closest_marker(SERIAL) is not None:
            item.add_marker(pytest.mark.xdist_group(SERIAL))
        if item.get_closest_marker("toolchain") is not None:
            item.add_marker(pytest.mark.slow)


class SerialLastScheduling(LoadGroupScheduling):  # type: ignore[misc, valid-type]
    """xdist's loadgroup scheduling, except that the ``serial`` group waits until it is the only
    work left, and then goes to one worker (the runner) only after every other worker has shut
    down. A worker keeps its last test until it gets more work or is shut down (pytest needs the
    next item to tear fixtures down), so the others are shut down, not just left idle."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.runner: Any = None

    def _assign_work_unit(self, node: Any) -> None:
        if SERIAL in self.workqueue:
            self.workqueue.move_to_end(SERIAL)
            if len(self.workqueue) == 1 and not self._serial_may_start(node):
                return
        super()._assign_work_unit(node)

    def _serial_may_start(self, node: Any) -> bool:
        if self.runner is None or self.runner not in self.assigned_work:
            self.runner = node
        if node is not self.runner:
            node.shutdown()  # finishes what it holds, then leaves (see remove_node)
            return False
        return len(self.assigned_work) == 1

    def remove_node(self, node: Any) -> str | None:
        crashitem = super().remove_node(node)
        if list(self.workqueue) == [SERIAL]:
            for other in self.nodes:
                self._reschedule(other)
        return crashitem


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") == "loadgroup" and LoadGroupScheduling is not object:
        return SerialLastScheduling(config, log)
    return None


# ---------------------------------------------------------------- figures of the run

_STARTED = pytest.StashKey[tuple[float, str]]()
_FIGURES = pytest.StashKey[list[dict[str, Any]]]()


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "unknown"


def _reliability_results() -> list[dict[str, Any]]:
    harness = sys.modules.get(RELIABILITY)
    return list(getattr(harness, "RESULTS", []))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand the reliability figures it gathered to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability_figures"] = _reliability_results()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    figures = getattr(node, "workeroutput", {}).get("reliability_figures", [])
    node.config.stash.setdefault(_FIGURES, []).extend(figures)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    rows = config.stash.get(_FIGURES, []) + _reliability_results()
    write = terminalreporter.write_line
    if rows:
        terminalreporter.section("reliability figures")
        for row in sorted(rows, key=lambda r: (str(r["kind"]), str(r["name"]))):
            figures = ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("kind", "name"))
            write(f"{row['kind']:<12} {row['name']}: {figures}")
    started, load_before = config.stash[_STARTED]
    workers = getattr(config.option, "numprocesses", None) or 0
    terminalreporter.section("suite figures")
    write(f"wall {time.monotonic() - started:.1f} s with {workers or 'no'} xdist workers on "
          f"{os.cpu_count()} cores; load average (1, 5, 15 min) {load_before} at the start, "
          f"{_load()} at the end")
