"""The errors every layer raises for a user's mistake or an outside failure: one family.

The command line turns a :class:`PapershelfError` into one line on stderr and its exit code;
anything else is a bug and keeps its traceback.

```
PapershelfError                 exit 2 unless said otherwise
├── BadInput                    input that cannot be used as given
│   └── NotFound                a source has no such paper
└── SourceProblem               exit 3: a source did not give us what we asked for
    ├── SourceUnreachable       no answer at all (connection, DNS, timeout): stop asking
    └── SourceError             an answer, but an error status or something unusable
```

A pull stops at the first :class:`SourceUnreachable` (the next request would fail the same way)
and goes on after a :class:`SourceError` (the next day may be fine). Catch
:class:`SourceProblem` for "any trouble with a source".
"""

from __future__ import annotations


class PapershelfError(Exception):
    """A problem the user can act on. ``str(err)`` says what and where."""

    exit_code = 2


class BadInput(PapershelfError):
    """Input that cannot be used as given (exit 2)."""


class NotFound(BadInput):
    """A source has no such paper (exit 2 when it is the only thing asked for)."""


class SourceProblem(PapershelfError):
    """A source did not give what was asked (exit 3): one of its two kinds below."""

    exit_code = 3


class SourceUnreachable(SourceProblem):
    """A source could not be reached at all: connection refused, DNS, timeout (exit 3)."""


class SourceError(SourceProblem):
    """A source answered, but with an error or with something unusable (exit 3)."""
