"""Editing a paper's bibliographic fields (``papershelf edit``; the app's field editor can call
the same functions): the fields as a readable TOML text and back, ``name=value`` changes for
scripts, checks (a year is a year, a DOI is a DOI) with errors naming the field, and taking a
source's value where it disagrees with the user's. Each edit is one undo step. Headless: no
click, textual or rich.

Field names are those of ``show --json``: ``title``, ``authors``, ``year``, ``published``,
``entry_type``, ``venue``, ``doi``, ``arxiv_id``, ``abstract``, ``url``, ``url_pdf``,
``url_code``, ``url_project``, and any other BibTeX field (``publisher``, ``pages``, ...).
Aliases: ``author``, ``journal``/``booktitle`` (venue), ``type``, ``arxiv``/``eprint``,
``date``, ``pdf``, ``code``, ``project``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reader.errors import BadInput
from reader.record import normalise_doi, split_arxiv_id
from storage import fieldedit, ops
from storage.db import Library
from storage.provenance import COLUMN_FIELDS, FieldChange, is_plain_extra, to_json

# Display (JSON) name -> storage name; the order is the editor's.
FIELDS = {"title": "title", "authors": "authors", "year": "year", "published": "published",
          "entry_type": "entry_type", "venue": "venue", "doi": "doi", "arxiv_id": "arxiv_id",
          "url": "url_abs", "url_pdf": "url_pdf", "url_code": "url_code",
          "url_project": "url_project", "abstract": "abstract"}
DISPLAY = {v: k for k, v in FIELDS.items()}
ALIASES = {"author": "authors", "journal": "venue", "journaltitle": "venue",
           "booktitle": "venue", "type": "entry_type", "entrytype": "entry_type",
           "arxiv": "arxiv_id", "eprint": "arxiv_id", "date": "published", "pdf": "url_pdf",
           "code": "url_code", "project": "url_project", "url_abs": "url"}
ENTRY_TYPES = ("article", "book", "booklet", "inbook", "incollection", "inproceedings",
               "conference", "manual", "mastersthesis", "misc", "phdthesis", "proceedings",
               "techreport", "unpublished", "online", "report", "thesis", "collection",
               "dataset", "software", "patent", "periodical")
_EXTRA_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# Extra fields that are the library's own BibTeX bookkeeping, never edited as fields.
_NOT_EXTRA = {"keywords", "annote"}


def display_name(storage: str) -> str:
    return DISPLAY.get(storage, storage)


def storage_name(text: str) -> str:
    """The storage name of the field the user named (display name or alias, any case)."""
    name = text.strip().lower()
    name = ALIASES.get(name, name)
    if name in FIELDS:
        return FIELDS[name]
    if name in ("key", "id", "status", "starred", "rating", "tags", "notes"):
        raise BadInput(f"{name}: not a bibliographic field (use papershelf key/status/star/"
                       f"rate/tag/note)")
    if not _EXTRA_NAME.match(name) or name in _NOT_EXTRA:
        raise BadInput(f"{text!r} is not a field name (title, authors, year, venue, doi, ... "
                       f"or a BibTeX field such as publisher)")
    return name


@dataclass
class Value:
    value: Any
    arxiv_version: int | None = None


def parse_value(name: str, raw: Any) -> Value:
    """Check and convert what the user typed for field ``name`` (storage name). ``raw`` is text
    (from ``--set``) or a TOML value. Empty text clears the field."""
    label = display_name(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        if name == "title":
            raise BadInput("title: a paper needs a title")
        return Value(None)
    if name == "authors":
        if isinstance(raw, list):
            names = [" ".join(str(a).split()) for a in raw]
        else:
            text = str(raw)
            names = [" ".join(a.split()) for a in re.split(r";|\s+and\s+|\n", text)]
        names = [n for n in names if n]
        if not names:
            raise BadInput("authors: no names given (separate them with ';' or ' and ')")
        return Value(names)
    if isinstance(raw, list | dict):
        raise BadInput(f"{label}: expected text, not a list")
    if name == "year":
        text = str(raw).strip()
        if isinstance(raw, bool) or not re.fullmatch(r"\d{4}", text) or not (
                1000 <= int(text) <= date.today().year + 5):
            raise BadInput(f"year: {raw!r} is not a year (four digits, like 2017)")
        return Value(int(text))
    if name == "published":
        if isinstance(raw, date):
            return Value(raw)
        try:
            return Value(date.fromisoformat(str(raw).strip()))
        except ValueError:
            raise BadInput(f"published: {raw!r} is not a date like 2017-06-12") from None
    text = " ".join(str(raw).split()) if name != "abstract" else str(raw).strip()
    if name == "doi":
        doi = normalise_doi(text)
        if not doi or not _DOI.match(doi):
            raise BadInput(f"doi: {raw!r} is not a DOI (like 10.1145/3292500.3330701)")
        return Value(doi)
    if name == "arxiv_id":
        split = split_arxiv_id(text)
        if split is None:
            raise BadInput(f"arxiv_id: {raw!r} is not an arXiv id (like 1706.03762 or "
                           f"hep-th/9901001)")
        return Value(split[0], split[1])
    if name == "entry_type":
        kind = text.lower().lstrip("@")
        if kind not in ENTRY_TYPES:
            raise BadInput(f"entry_type: {raw!r} is not a BibTeX entry type (one of "
                           f"{', '.join(ENTRY_TYPES[:12])}, ...)")
        return Value(kind)
    if name.startswith("url"):
        if not re.match(r"^https?://\S+$", text):
            raise BadInput(f"{label}: {raw!r} is not an http(s) link")
        return Value(text)
    return Value(text)


# ---------------------------------------------------------------- what a paper has


@dataclass
class Disagreement:
    name: str  # display name
    yours: Any
    theirs: Any
    source: str


def _json_value(value: Any) -> Any:
    return to_json(value)


def fields_of(session: Any, paper: Any) -> dict[str, Any]:
    """Every bibliographic field of ``paper`` that has a value (display names, JSON values),
    the editor's fields first, then the imported entry's others (publisher, pages, ...)."""
    out: dict[str, Any] = {}
    for shown, stored in FIELDS.items():
        value = fieldedit.field_value(session, paper=paper, name=stored)
        if value not in (None, "", []):
            out[shown] = _json_value(value)
    for name, value in (paper.extra_fields or {}).items():
        if is_plain_extra(name) and name not in _NOT_EXTRA and value not in (None, ""):
            out[name] = value
    return out


def disagreements_of(session: Any, paper: Any) -> list[Disagreement]:
    out = []
    for name, entry in sorted((paper.source_values or {}).items()):
        if not isinstance(entry, dict):
            continue
        yours = fieldedit.field_value(session, paper=paper, name=name)
        out.append(Disagreement(display_name(name), _json_value(yours), entry.get("value"),
                                str(entry.get("source") or "a source")))
    return out


def paper_with_fields(lib: Library, ref: str) -> dict[str, Any]:
    """A paper's JSON shape with what ``show`` adds (see :func:`detail`)."""
    from storage.details import paper_details
    from tui.services.json_shapes import paper_json

    with lib.read() as session:
        paper = ops.find_paper(session, ref=ref)
        data = paper_json(paper_details(session, paper_ids=[paper.id or 0])[0])
        data.update(detail(session, paper))
    return data


def detail(session: Any, paper: Any) -> dict[str, Any]:
    """What ``show`` adds to the paper's JSON: ``fields`` (every field with a value, imported
    extras included), ``user_fields`` (the ones the user set) and ``source_values`` (a
    source's value for one of them where it disagrees)."""
    return {
        "entry_type": paper.entry_type,
        "fields": fields_of(session, paper),
        "user_fields": sorted(display_name(n) for n in paper.user_fields or []),
        "source_values": {d.name: {"value": d.theirs, "source": d.source}
                          for d in disagreements_of(session, paper)},
    }


@dataclass
class FieldRow:
    """One row of a field editor (the app's form): the field, its value as text to edit, whether
    it is the user's, and what a source says instead (``None`` when no source disagrees)."""

    name: str  # display name, as set_fields takes it
    text: str  # authors joined with "; ", dates ISO, "" when empty
    yours: bool
    source_text: str | None = None
    source: str | None = None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def field_rows(lib: Library, ref: str) -> list[FieldRow]:
    """The rows of a field editor for paper ``ref``: every editable field (empty ones too),
    then the imported entry's other fields. Save with ``set_fields(lib, ref, [(row.name,
    new_text), ...])`` for the rows whose text changed (one undo step; ``BadInput`` names
    the field of a bad value, and nothing is saved)."""
    with lib.read() as session:
        paper = ops.find_paper(session, ref=ref)
        mine = set(paper.user_fields or [])
        theirs = {d.name: d for d in disagreements_of(session, paper)}
        names = list(FIELDS.values()) + [
            n for n in (paper.extra_fields or {}) if is_plain_extra(n) and n not in _NOT_EXTRA]
        rows = []
        for stored in names:
            shown = display_name(stored)
            other = theirs.get(shown)
            rows.append(FieldRow(
                shown, _as_text(fieldedit.field_value(session, paper=paper, name=stored)),
                stored in mine, _as_text(other.theirs) if other else None,
                other.source if other else None))
        return rows


# ---------------------------------------------------------------- changing fields


@dataclass
class EditReport:
    key: str
    changes: list[FieldChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # set to the value they had

    def lines(self) -> list[str]:
        out = [f"{self.key}: {display_name(c.name)} {_short(c.old)} -> {_short(c.new)}"
               for c in self.changes]
        if not out:
            out.append(f"{self.key}: nothing changed")
        return out


def _short(value: Any) -> str:
    from storage.provenance import show_value

    return show_value(value)


def set_fields(lib: Library, ref: str, changes: list[tuple[str, Any]],
               *, description: str | None = None) -> EditReport:
    """Set fields (``(name, raw value)`` pairs, names as the user typed them), all checked
    before anything is written, in one undo step. Each becomes the user's."""
    parsed: list[tuple[str, Value]] = []
    for name, raw in changes:
        stored = storage_name(name)
        parsed.append((stored, parse_value(stored, raw)))
    with lib.action(description or f"edit {ref}") as session:
        paper = ops.find_paper(session, ref=ref)
        report = EditReport(paper.key)
        for stored, value in parsed:
            change = fieldedit.set_field(session, paper=paper, name=stored, value=value.value,
                                         arxiv_version=value.arxiv_version)
            if change is None:
                report.unchanged.append(display_name(stored))
            else:
                report.changes.append(FieldChange(stored, change.old, change.new))
    return report


def accept(lib: Library, ref: str, names: list[str]) -> EditReport:
    """Take the sources' values for the user's fields ``names`` (one undo step)."""
    stored = [storage_name(n) for n in names]
    with lib.action(f"accept {' '.join(names)} for {ref}") as session:
        paper = ops.find_paper(session, ref=ref)
        report = EditReport(paper.key)
        for name in stored:
            change = fieldedit.accept_source(session, paper=paper, name=name)
            if change is None:
                report.unchanged.append(display_name(name))
            else:
                report.changes.append(change)
    return report


# ---------------------------------------------------------------- the editor's text

HEADER = """\
# papershelf edit {key}: change values, save and quit (an empty file changes nothing).
# A field set to "" (or a deleted line) is cleared. Fields you change here are yours:
# pulls and imports never overwrite them. Other BibTeX fields may be added as name = "value".
"""


def _toml_string(value: str) -> str:
    if "\n" in value and "'''" not in value:
        return "'''\n" + value + "'''"
    return json.dumps(value, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_string(str(v)) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return _toml_string("" if value is None else str(value))


def edit_text(lib: Library, ref: str) -> tuple[str, str]:
    """The paper's key and its fields as the editor's TOML text."""
    with lib.read() as session:
        paper = ops.find_paper(session, ref=ref)
        lines = [HEADER.format(key=paper.key)]
        for shown, stored in FIELDS.items():
            value = fieldedit.field_value(session, paper=paper, name=stored)
            if shown == "year" and value is None:
                lines.append('year = ""')
                continue
            lines.append(f"{shown} = {_toml_value(value if value is not None else '')}")
        extras = [(n, v) for n, v in (paper.extra_fields or {}).items()
                  if is_plain_extra(n) and n not in _NOT_EXTRA]
        if extras:
            lines.append("")
            lines.append("# The entry's other fields")
            for name, value in extras:
                lines.append(f"{name} = {_toml_value(str(value))}")
        return paper.key, "\n".join(lines) + "\n"


def _line_of(text: str, name: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=", re.MULTILINE)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def parse_edit_text(text: str, *, where: str = "edited fields") -> dict[str, Any]:
    """The editor's text as ``{display name: value}``. Bad TOML or a value that is not text,
    number, date or list of names: one error with the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{where}: {error}") from None
    for name, value in data.items():
        if isinstance(value, dict):
            line = _line_of(text, name)
            raise BadInput(f"{where}:{line or '?'}: {name}: expected a value, not a table")
    return data


def apply_edit_text(lib: Library, ref: str, before: str, after: str,
                    *, where: str = "edited fields") -> EditReport:
    """Apply what the user changed between the editor's text ``before`` and ``after``: only
    the fields whose value changed (a deleted line clears its field); one undo step."""
    old = parse_edit_text(before)
    new = parse_edit_text(after, where=where)
    changes: list[tuple[str, Any]] = []
    for name, value in new.items():
        if old.get(name) != value:
            changes.append((name, value))
    for name in old:
        if name not in new:
            changes.append((name, ""))
    checked: list[tuple[str, Any]] = []
    for name, value in changes:
        try:
            stored = storage_name(name)
            parse_value(stored, value)
        except BadInput as error:
            line = _line_of(after, name)
            raise BadInput(f"{where}:{line}: {error}" if line else f"{where}: {error}") from None
        checked.append((name, value))
    with lib.read() as session:
        key = ops.find_paper(session, ref=ref).key
    if not checked:
        return EditReport(key)
    return set_fields(lib, ref, checked, description=f"edit {key}")


__all__ = ["COLUMN_FIELDS", "EditReport", "FieldRow", "accept", "apply_edit_text", "detail",
           "edit_text", "field_rows", "parse_edit_text", "set_fields"]
