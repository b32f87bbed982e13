"""The shape every use case answers with: what to print and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """What a use case did, as lines to show. ``lines`` are the result (stdout of the command
    line); ``notes`` say what happened on the way (stderr, as they are); ``problems`` say what
    failed, each one line naming what and where (stderr, after ``papershelf: ``). ``exit_code``
    follows the design: 0 done, 1 partly done, 2 bad input, 3 a source unreachable."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0
