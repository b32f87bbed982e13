"""Field provenance: which bibliographic fields of a paper the user set, and what a source said
when it disagreed.

Each paper keeps two small JSON columns (schema step in :mod:`storage.migrations`):

* ``user_fields``: the names of the fields the user typed or edited last (``["title", "year"]``).
  A source never overwrites them; every other field belongs to its source and is refreshed by
  pulls, imports and resolve.
* ``source_values``: for a user's field a source disagrees with, the source's value and which
  source said it (``{"year": {"value": 2023, "source": "bibtex"}}``), so that ``papershelf edit
  KEY --accept year`` can take it.

Field names are the paper's column names (``title``, ``authors``, ``year``, ``venue``,
``entry_type``, ``doi``, ``arxiv_id``, ``abstract``, ``published``, ``url_abs``, ...) and, for the
fields of an imported entry that have no column, their BibTeX names (``publisher``, ``pages``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# The columns a user may set and a source may refresh, with provenance.
COLUMN_FIELDS = (
    "title", "authors", "year", "published", "entry_type", "venue", "doi", "arxiv_id",
    "abstract", "url_abs", "url_pdf", "url_code", "url_project",
)


def is_plain_extra(name: str) -> bool:
    """Whether an ``extra_fields`` key is a field of its own (``publisher``), not the library's
    bookkeeping of an imported entry (``"original title"``, ``"original entry type"``: a key with
    a space is never a BibTeX field name)."""
    return bool(name) and " " not in name


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def to_json(value: Any) -> Any:
    """A field value as JSON stores it (dates as ISO text)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def from_json(name: str, value: Any) -> Any:
    """The inverse of :func:`to_json` for field ``name``."""
    if name == "published" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


@dataclass(frozen=True)
class FieldChange:
    """One field a merge changed (``old`` -> ``new``), or left as the user's (``old`` is the
    user's value, ``new`` the source's)."""

    name: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        """The name users see (``show --json``'s): ``url`` for the ``url_abs`` column."""
        return "url" if self.name == "url_abs" else self.name

    def text(self) -> str:
        return f"{self.label} {show_value(self.old)} -> {show_value(self.new)}"


def show_value(value: Any, width: int = 40) -> str:
    """A short, one-line rendering of a field value for reports."""
    if empty(value):
        return "(none)"
    if isinstance(value, list):
        names = [str(v) for v in value]
        text = "; ".join(names[:2]) + (f"; ... ({len(names)} in all)" if len(names) > 2 else "")
        return text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = " ".join(str(value).split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return repr(text) if " " in text or not text else text


def describe(changes: list[FieldChange], kept: list[FieldChange]) -> str:
    """The merge report of one paper: each field changed, each of the user's fields a source
    disagreed with (kept), or ``no change``."""
    parts = [c.text() for c in changes]
    parts += [f"kept your {c.label} {show_value(c.old)} (source: {show_value(c.new)})"
              for c in kept]
    return ", ".join(parts) if parts else "no change"
