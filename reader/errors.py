"""The error every layer raises for a user's mistake or an outside failure.

The command line turns a :class:`PapershelfError` into one line on stderr and its exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class PapershelfError(Exception):
    """A problem the user can act on. ``str(err)`` says what and where."""

    exit_code = 2


class BadInput(PapershelfError):
    """Input that cannot be used as given (exit 2)."""


class SourceUnreachable(PapershelfError):
    """A source could not be reached or answered with an error (exit 3)."""

    exit_code = 3


class SourceError(SourceUnreachable):
    """A source answered, but with an error or with something unusable (exit 3)."""


class NotFound(BadInput):
    """A source has no such paper (exit 2 when it is the only thing asked for)."""
