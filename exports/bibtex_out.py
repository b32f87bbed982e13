"""BibTeX out: library records as entries that ``bibtex`` and ``biber`` accept.

Two styles:

* ``bibtex`` (classic BibTeX styles such as ``plain.bst``): arXiv preprints as ``@misc`` with
  ``eprint``, ``archivePrefix = {arXiv}``, ``primaryClass``, ``url`` (and ``doi`` when known) plus
  ``howpublished = {arXiv preprint arXiv:1706.03762}``, which classic styles print; non-ASCII
  letters as LaTeX (``Bostr{\\"o}m``).
* ``biblatex`` (biber): the same ``@misc`` with biblatex's own ``eprinttype``/``eprintclass`` and a
  full ``date`` beside the ``year`` when the day is known; text stays UTF-8 (biber reads it).
  It stays readable by classic BibTeX too (``journal``, ``year``), so a ``plain.bst`` run
  over it does not complain.

In both, ``& % $ # _`` are escaped outside math, math (``$\\mathcal{O}(n)$``) is left intact,
capitals and acronyms in titles are braced (``{BERT}``, ``{LoRA}``), authors are written
``Last, First and ...`` with organisations braced (``{Qwen Team}``) and ``and others`` kept.

An entry imported from a ``.bib`` file (see :mod:`exports.bibtex_in`; recognised by the
``"original ..."`` keys in its ``extra_fields``) comes back as it was: every field with its
original text, in its original order. Only what the library learnt or changed since the import
(a new arXiv id or DOI, a corrected title) is written from the library instead. A record from
another source may carry extra fields too (``volume``, ``publisher`` from CSL-JSON); those are
plain text and are escaped like the rest. The key is always the record's own key; the export
never invents one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from exports.bibtex_in import (
    ENTRY_TYPE_KEY,
    MONTHS,
    is_imported,
    original_fields,
    record_from_fields,
)
from exports.latex import braces_balanced, encode_text, encode_verbatim
from exports.names import NAME_FIELDS, bibtex_name_list, format_authors
from reader.record import PaperRecord

Style = Literal["bibtex", "biblatex"]
STYLES: tuple[Style, ...] = ("bibtex", "biblatex")

# Which fields of an imported entry carry which part of the library's record ("aspect").
ASPECT_FIELDS: dict[str, tuple[str, ...]] = {
    "authors": ("author",),
    "title": ("title",),
    "venue": ("journal", "journaltitle", "booktitle"),
    "year": ("year", "date"),
    "arxiv": ("eprint", "archiveprefix", "eprinttype", "primaryclass", "eprintclass"),
    "doi": ("doi",),
    "url": ("url",),
    "abstract": ("abstract",),
}
ASPECT_OF = {name: aspect for aspect, names in ASPECT_FIELDS.items() for name in names}
ASPECT_ORDER = tuple(ASPECT_FIELDS)

# Fields whose text is an identifier or a path, never escaped.
VERBATIM_FIELDS = frozenset({
    "url", "doi", "eprint", "file", "pdf", "isbn", "issn", "crossref", "xref", "urldate",
    "archiveprefix", "eprinttype", "primaryclass", "eprintclass", "month",
})

# Fields another source may bring that an entry type does not have (biblatex's data model;
# classic styles ignore them).
_NOT_FOR_TYPE = {"article": frozenset({"publisher", "address"})}

_CONFERENCE = re.compile(
    r"\b(proc(eedings)?|conference|workshop|symposium|neurips|nips|icml|iclr|acl|emnlp|naacl|"
    r"coling|cvpr|iccv|eccv|aaai|ijcai|sigir|kdd|www|interspeech|icassp|uai|aistats|colt)\b",
    re.IGNORECASE)
# Field names are case-insensitive; these are written the way arXiv and most tools write them.
_FIELD_CASE = {"archiveprefix": "archivePrefix", "primaryclass": "primaryClass"}
_IN_BOOK_TYPES = {"inproceedings", "conference", "incollection", "inbook"}


@dataclass
class ExportItem:
    """One paper to export: its record, and its tags and notes (used with ``with_tags`` /
    ``with_notes``)."""

    record: PaperRecord
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The paper's other keys (entries merged into it): written so that every \cite works.
    aliases: list[str] = field(default_factory=list)


@dataclass
class Entry:
    """An entry ready to be written: type, key and fields (name, value) in order."""

    entry_type: str
    key: str
    fields: list[tuple[str, str]]

    def text(self) -> str:
        lines = [f"@{self.entry_type}{{{self.key},"]
        for i, (name, value) in enumerate(self.fields):
            comma = "," if i < len(self.fields) - 1 else ""
            lines.append(f"  {_FIELD_CASE.get(name, name)} = {_value(name, value)}{comma}")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _value(name: str, value: str) -> str:
    if name == "month" and value in MONTHS:
        return value  # the month macro, bare
    if not braces_balanced(value):
        value = encode_verbatim(value)
    return "{" + value + "}"


def entry_type_of(record: PaperRecord) -> str:
    """The record's own entry type, or a guess: a venue makes it a journal article or (for a
    conference) ``inproceedings``; otherwise (an arXiv preprint, say) ``misc``."""
    if record.entry_type:
        return record.entry_type.lower()
    if record.venue:
        return "inproceedings" if _CONFERENCE.search(record.venue) else "article"
    return "misc"


def _is_preprint(record: PaperRecord, entry_type: str) -> bool:
    return bool(record.arxiv_id) and entry_type in ("misc", "online", "unpublished") \
        and not record.venue


def _generated(record: PaperRecord, entry_type: str, style: Style, *,
               abstract: bool) -> dict[str, list[tuple[str, str]]]:
    """Every aspect's fields written from the library's columns."""
    classic = style == "bibtex"
    gen: dict[str, list[tuple[str, str]]] = {a: [] for a in ASPECT_ORDER}
    if record.authors:
        gen["authors"].append(("author", format_authors(record.authors, ascii_only=classic)))
    if record.title:
        gen["title"].append(("title", encode_text(record.title, ascii_only=classic,
                                                  protect=True)))
    if record.venue:
        venue = encode_text(record.venue, ascii_only=classic)
        if entry_type == "article":
            gen["venue"].append(("journal", venue))  # biber reads it as journaltitle
        elif entry_type in _IN_BOOK_TYPES:
            gen["venue"].append(("booktitle", venue))
        else:
            gen["venue"].append(("howpublished", venue))
    if record.year is not None:
        gen["year"].append(("year", str(record.year)))
        if not classic and record.published and record.published.year == record.year:
            gen["year"].append(("date", record.published.isoformat()))  # biblatex prefers it
    if record.arxiv_id:
        if classic:
            gen["arxiv"] += [("eprint", record.arxiv_id), ("archivePrefix", "arXiv")]
            if record.primary_category:
                gen["arxiv"].append(("primaryClass", encode_verbatim(record.primary_category)))
            if _is_preprint(record, entry_type):
                gen["arxiv"].append(("howpublished", f"arXiv preprint arXiv:{record.arxiv_id}"))
        else:
            gen["arxiv"] += [("eprint", record.arxiv_id), ("eprinttype", "arxiv")]
            if record.primary_category:
                gen["arxiv"].append(("eprintclass", encode_verbatim(record.primary_category)))
    if record.doi:
        gen["doi"].append(("doi", encode_verbatim(record.doi)))
    url = record.url_abs or (f"https://arxiv.org/abs/{record.arxiv_id}" if record.arxiv_id
                             else None)
    if url:
        gen["url"].append(("url", encode_verbatim(url)))
    if abstract and record.abstract:
        gen["abstract"].append(("abstract", encode_text(record.abstract, ascii_only=classic)))
    return gen


def _changed(aspect: str, record: PaperRecord, base: PaperRecord) -> bool:
    """Whether the library knows something about ``aspect`` that the imported entry does not
    say (an emptied column never removes what the entry says)."""
    if aspect == "title":
        return bool(record.title) and record.title != base.title
    if aspect == "authors":
        return bool(record.authors) and record.authors != base.authors
    if aspect == "venue":
        return bool(record.venue) and record.venue != base.venue
    if aspect == "year":
        return record.year is not None and record.year != base.year
    if aspect == "arxiv":
        return bool(record.arxiv_id) and (
            record.arxiv_id != base.arxiv_id
            or bool(record.primary_category) and record.primary_category != base.primary_category)
    if aspect == "doi":
        return bool(record.doi) and record.doi != base.doi
    if aspect == "url":
        return bool(record.url_abs) and record.url_abs != base.url_abs
    if aspect == "abstract":
        return bool(record.abstract) and base.abstract is not None \
            and record.abstract != base.abstract
    raise KeyError(aspect)


def _join_list(existing: str | None, more: Iterable[str], sep: str) -> str:
    items = [existing] if existing else []
    seen = {x.strip().lower() for x in (existing or "").split(",")}
    for value in more:
        if value.strip().lower() not in seen:
            items.append(value)
            seen.add(value.strip().lower())
    return sep.join(items)


def build_entry(item: ExportItem | PaperRecord, *, style: Style = "bibtex",
                with_tags: bool = False, with_notes: bool = False) -> Entry:
    """The entry for one paper."""
    if isinstance(item, PaperRecord):
        item = ExportItem(item)
    record = item.record
    if not record.key:
        raise ValueError(f"record {record.title!r} has no citation key")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    classic = style == "bibtex"
    entry_type = entry_type_of(record)
    originals = original_fields(record.extra_fields)
    imported = is_imported(record.extra_fields)
    plain = {name for name in originals if name not in ASPECT_OF}
    if imported:
        base = record_from_fields(entry_type, record.key, originals)
        changed = {a for a in ASPECT_ORDER if _changed(a, record, base)}
    else:
        changed = set(ASPECT_ORDER) - {"abstract"}
    gen = _generated(record, entry_type, style, abstract="abstract" in changed)

    out: list[tuple[str, str]] = []
    placed: set[str] = set()

    def place(aspect: str) -> None:
        if aspect in placed:
            return
        placed.add(aspect)
        if plain:
            out.extend((n, v) for n, v in gen[aspect] if n.lower() not in plain)
        else:
            out.extend(gen[aspect])

    if not imported:
        for aspect in ASPECT_ORDER:
            if aspect in changed:
                place(aspect)
    for name, value in originals.items():
        field_aspect = ASPECT_OF.get(name)
        if field_aspect is not None and field_aspect in changed:
            place(field_aspect)
            continue
        if name in ("keywords", "annote") and (
                (name == "keywords" and with_tags) or (name == "annote" and with_notes)):
            continue  # written below, with the tags / notes added
        if classic and imported and name in NAME_FIELDS:
            value = bibtex_name_list(value) or value  # biblatex's given=..., family=...
        if not imported and name not in VERBATIM_FIELDS:
            # Extra fields from another source (CSL-JSON, say) are plain text, not BibTeX.
            if name in _NOT_FOR_TYPE.get(entry_type, ()):
                continue
            value = encode_text(value, ascii_only=classic)
        out.append((name, value))
    for aspect in ASPECT_ORDER:
        if aspect in changed:
            place(aspect)

    if with_tags and item.tags:
        tags = [encode_text(t, ascii_only=classic) for t in item.tags]
        out.append(("keywords", _join_list(originals.get("keywords"), tags, ", ")))
    elif with_tags and "keywords" in originals:
        out.append(("keywords", originals["keywords"]))
    if with_notes and item.notes:
        notes = [encode_text(n.strip(), ascii_only=classic) for n in item.notes if n.strip()]
        existing = [originals["annote"]] if originals.get("annote") else []
        out.append(("annote", "\n\n".join(existing + notes)))
    elif with_notes and "annote" in originals:
        out.append(("annote", originals["annote"]))
    if item.aliases and not classic:
        # biblatex: one entry, its other keys in ``ids`` (biber resolves \cite{alias}).
        present = [i.strip() for i in originals.get("ids", "").split(",") if i.strip()]
        ids = present + [a for a in item.aliases if a not in present and a != record.key]
        if ids != present:
            out = [(n, v) for n, v in out if n != "ids"]
            out.append(("ids", ", ".join(ids)))
    written = record.extra_fields.get(ENTRY_TYPE_KEY, "")
    return Entry(written if written.lower() == entry_type else entry_type, record.key, out)


def _follow_aliases(entries: list[Entry], main_key: dict[str, str]) -> None:
    """crossref, xref and related naming another key of an exported paper name its key."""
    if not main_key:
        return
    for entry in entries:
        for i, (name, value) in enumerate(entry.fields):
            if name in ("crossref", "xref"):
                target = main_key.get(value.strip())
                if target:
                    entry.fields[i] = (name, target)
            elif name == "related":
                parts = [p.strip() for p in value.split(",")]
                new = [main_key.get(p, p) for p in parts]
                if new != parts:
                    entry.fields[i] = (name, ",".join(new))


def _crossref_last(entries: Sequence[Entry]) -> list[Entry]:
    """BibTeX wants a cross-referenced entry after every entry that refers to it."""
    targets = {v.strip().lower() for e in entries for n, v in e.fields if n == "crossref"}
    if not targets:
        return list(entries)
    return ([e for e in entries if e.key.lower() not in targets]
            + [e for e in entries if e.key.lower() in targets])


def export_entries(items: Iterable[ExportItem | PaperRecord], *, style: Style = "bibtex",
                   with_tags: bool = False, with_notes: bool = False) -> list[Entry]:
    """The entries for ``items``. A paper with other keys (aliases) gets them in ``ids``
    (biblatex), or (classic BibTeX, which has no aliases) one more entry per alias, a copy
    under that key. crossref/xref/related naming an alias name the paper's key instead."""
    wrapped = [ExportItem(i) if isinstance(i, PaperRecord) else i for i in items]
    entries: list[Entry] = []
    main_key: dict[str, str] = {}
    exported = {i.record.key for i in wrapped}
    for item in wrapped:
        entry = build_entry(item, style=style, with_tags=with_tags, with_notes=with_notes)
        entries.append(entry)
        for alias in item.aliases:
            if alias in exported or alias == entry.key:
                continue
            main_key[alias] = entry.key
            if style == "bibtex":
                entries.append(Entry(entry.entry_type, alias, list(entry.fields)))
    _follow_aliases(entries, main_key)
    return _crossref_last(entries)


def format_entries(entries: Iterable[Entry]) -> str:
    """Entries as ``.bib`` text, one blank line between them."""
    return "\n".join(e.text() for e in entries)


def export_bibtex(items: Iterable[ExportItem | PaperRecord], *, style: Style = "bibtex",
                  with_tags: bool = False, with_notes: bool = False) -> str:
    """The ``.bib`` text for ``items`` (records, or :class:`ExportItem` with tags and notes)."""
    return format_entries(export_entries(items, style=style, with_tags=with_tags,
                                         with_notes=with_notes))
