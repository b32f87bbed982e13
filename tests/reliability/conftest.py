"""The reliability suite prints what it tried at the end of a run (kills survived, inputs tried,
time taken): the figures docs/reliability.md quotes."""

from __future__ import annotations

from typing import Any

from .harness import RESULTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability figures")
    for row in RESULTS:
        figures = ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("kind", "name"))
        write(f"{row['kind']:<12} {row['name']}: {figures}")
