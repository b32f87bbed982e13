"""The user's edits of a paper's bibliographic fields, and taking a source's value instead.

Names are the storage names of :mod:`storage.provenance` (columns, ``authors``, and the plain
BibTeX names of an imported entry's other fields). Values come typed and checked
(:mod:`tui.services.fields` parses what the user typed); a field set here becomes the user's,
so no pull or import overwrites it. The caller holds the unit of work (one undo step)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from reader.errors import BadInput
from storage import ops
from storage.models import Paper
from storage.provenance import COLUMN_FIELDS, FieldChange, empty, from_json, is_plain_extra
from storage.text import normalise_title

# The fields of an imported entry (kept as "original <name>") that carry each column: clearing
# the column clears them too, so that an export does not write the entry's old value back.
ORIGINALS = {
    "title": ("title",), "authors": ("author",), "year": ("year", "date"),
    "published": ("date",), "venue": ("journal", "journaltitle", "booktitle"),
    "doi": ("doi",), "arxiv_id": ("eprint", "archiveprefix", "eprinttype", "primaryclass",
                                  "eprintclass"),
    "url_abs": ("url",), "abstract": ("abstract",),
}


def field_value(session: Session, *, paper: Paper, name: str) -> Any:
    if name == "authors":
        return ops.authors_of(session, paper_id=ops._id(paper))
    if name in COLUMN_FIELDS:
        return getattr(paper, name)
    return (paper.extra_fields or {}).get(name)


def _mark_user(paper: Paper, name: str, mine: bool) -> None:
    user = set(paper.user_fields or [])
    if mine:
        user.add(name)
    else:
        user.discard(name)
    paper.user_fields = sorted(user)
    pending = dict(paper.source_values or {})
    if pending.pop(name, None) is not None:
        paper.source_values = pending


def _write(session: Session, paper: Paper, name: str, value: Any) -> None:
    if name == "authors":
        ops._set_authors(session, paper_id=ops._id(paper), authors=list(value or []))
        return
    if name in COLUMN_FIELDS:
        if name in ("doi", "arxiv_id") and value is not None:
            other = session.exec(select(Paper).where(getattr(Paper, name) == value,
                                                     Paper.id != paper.id)).first()
            if other is not None:
                label = "arxiv_id" if name == "arxiv_id" else "doi"
                raise BadInput(f"{label}: {value} is already the {label} of {other.key}")
        if name == "title":
            if empty(value):
                raise BadInput("title: a paper needs a title")
            paper.title_norm = normalise_title(value)
        setattr(paper, name, value)
        if name == "arxiv_id" and value is None:
            paper.arxiv_version = None
        if empty(value):
            extra = dict(paper.extra_fields or {})
            for field in ORIGINALS.get(name, ()):
                extra.pop(f"original {field}", None)
            paper.extra_fields = extra
        return
    if not is_plain_extra(name):
        raise BadInput(f"{name!r} is not a field name")
    extra = dict(paper.extra_fields or {})
    if empty(value):
        extra.pop(name, None)
    else:
        extra[name] = str(value)
    paper.extra_fields = extra


def set_field(session: Session, *, paper: Paper, name: str, value: Any,
              arxiv_version: int | None = None) -> FieldChange | None:
    """Set field ``name`` to ``value`` (``None`` or empty clears it) as the user's. Returns
    what changed, or ``None`` when it already had that value (it becomes the user's anyway)."""
    old = field_value(session, paper=paper, name=name)
    if empty(value):
        value = [] if name == "authors" else None
    same = (empty(old) and empty(value)) or old == value
    if not same:
        _write(session, paper, name, value)
        if name == "arxiv_id" and arxiv_version is not None:
            paper.arxiv_version = arxiv_version
    _mark_user(paper, name, True)
    ops._touch(session, paper)
    return None if same else FieldChange(name, old, value)


def accept_source(session: Session, *, paper: Paper, name: str) -> FieldChange | None:
    """Take the value a source gave for the user's field ``name`` (kept when it disagreed);
    the field is the source's again, so later pulls refresh it."""
    pending = (paper.source_values or {}).get(name)
    if not isinstance(pending, dict) or "value" not in pending:
        raise BadInput(f"{name}: no source disagrees with your value, nothing to accept")
    value = from_json(name, pending["value"])
    old = field_value(session, paper=paper, name=name)
    if old != value:
        _write(session, paper, name, value)
    _mark_user(paper, name, False)
    ops._touch(session, paper)
    return None if old == value else FieldChange(name, old, value)
