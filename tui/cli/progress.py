"""A pull's progress on the terminal: a bar (rich) on a terminal, plain lines otherwise. It is
the command line's :class:`tui.services.pull.Progress`."""

from __future__ import annotations

import sys
from typing import Any

import click


class Progress:
    """A progress bar on a terminal, plain lines when the stream (stderr) is not one."""

    def __init__(self, total: int | None = None, label: str = "", *,
                 stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        if total is not None:
            self.start(total, label)

    def start(self, total: int, label: str) -> None:
        if self._bar is not None or not self.tty or total <= 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        console = Console(file=self.stream, force_terminal=True, highlight=False)
        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def note(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False)
        else:
            click.echo(line, file=self.stream)

    def problem(self, line: str) -> None:
        self.note(f"papershelf: {line}")

    def working_on(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=steps)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
