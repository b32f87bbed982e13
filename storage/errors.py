"""Errors raised by the library."""

from __future__ import annotations

from reader.errors import BadInput, PapershelfError


class LibraryError(PapershelfError):
    """The library file cannot be used (not a database, another application's, too new, ...)."""


class UnknownPaper(BadInput):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no paper with key or id {ref!r}")
        self.ref = ref


class UnknownNote(BadInput):
    def __init__(self, note_id: int) -> None:
        super().__init__(f"no note with id {note_id}")
        self.note_id = note_id
