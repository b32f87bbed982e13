"""CSL-JSON (what doi.org sends for ``Accept: application/vnd.citationstyles.csl+json``) into
:class:`PaperRecord`.

Reads: ``type``, ``title`` (+ ``subtitle``), ``author`` (``given``/``family`` with particles,
or ``literal``), ``issued`` (else ``published-print``, ``published-online``, ``published``,
``created``), ``container-title``, ``DOI``, ``URL``, ``abstract`` (JATS markup removed),
``volume``, ``issue``, ``page``, ``publisher``, ``publisher-place`` (or Crossref's
``publisher-location``), ``ISBN``, ``ISSN``.
Fields BibTeX has but the library has no column for go to ``extra_fields`` under their BibTeX
names (``volume``, ``number``, ``pages``, ``publisher``, ``address``, ``isbn``, ``issn``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from reader.errors import BadInput
from reader.record import PaperRecord, collapse_ws

# CSL item type -> BibTeX entry type
ENTRY_TYPES = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "review": "article",
    "paper-conference": "inproceedings",
    "book": "book",
    "chapter": "incollection",
    "entry-encyclopedia": "incollection",
    "entry-dictionary": "incollection",
    "report": "techreport",
    "thesis": "phdthesis",
    "manuscript": "unpublished",
    "article": "misc",  # a generic article: preprints (arXiv via DataCite), posted content
    "posted-content": "misc",
    "dataset": "misc",
    "software": "misc",
    "webpage": "misc",
}
_MARKUP = re.compile(r"</?(?:i|b|em|strong|sub|sup|scp|u|span|mml:[a-z]+)(?:\s[^>]*)?>",
                     re.IGNORECASE)
_JATS = re.compile(r"</?jats:[^>]*>")
_DATE_FIELDS = ("issued", "published-print", "published-online", "published", "created")


def _first_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = collapse_ws(html.unescape(_MARKUP.sub("", value)))
    return text or None


def _name(author: Any) -> str | None:
    if not isinstance(author, Mapping):
        return None
    literal = _first_text(author.get("literal")) or _first_text(author.get("name"))
    if literal:
        return literal
    parts = [author.get("given"), author.get("dropping-particle"),
             author.get("non-dropping-particle"), author.get("family")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    suffix = author.get("suffix")
    if name and isinstance(suffix, str) and suffix.strip():
        name = f"{name} {suffix.strip()}"
    return collapse_ws(name)


def _date_parts(value: Any) -> tuple[int | None, date | None]:
    """(year, full date when year, month and day are all there)."""
    if not isinstance(value, Mapping):
        return None, None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        first = [int(p) if isinstance(p, int | str) and str(p).isdigit() else None
                 for p in parts[0][:3]]
        year = first[0]
        if year is None:
            return None, None
        if len(first) == 3 and first[1] and first[2]:
            try:
                return year, date(year, first[1], first[2])
            except ValueError:
                return year, None
        return year, None
    raw = value.get("raw")
    if isinstance(raw, str):
        m = re.match(r"^\s*(\d{4})", raw)
        if m:
            return int(m.group(1)), None
    return None, None


def _abstract(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = _JATS.sub(" ", value)
    text = re.sub(r"<[^>]+>", " ", text)
    text = collapse_ws(html.unescape(text)) or ""
    text = re.sub(r"^abstract[:.]?\s+", "", text, flags=re.IGNORECASE)
    return text or None


def record_from_csl(item: Mapping[str, Any]) -> PaperRecord:
    """One CSL-JSON item as a record (``source="doi"``)."""
    if not isinstance(item, Mapping):
        raise BadInput("CSL-JSON: expected an object for one item")
    title = _first_text(item.get("title"))
    if not title:
        raise BadInput(f"CSL-JSON item {item.get('DOI') or item.get('id') or ''} has no title"
                       .replace("  ", " "))
    subtitle = _first_text(item.get("subtitle"))
    if subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}"
    authors = [n for n in (_name(a) for a in item.get("author") or []) if n]
    year = published = None
    for name in _DATE_FIELDS:
        year, published = _date_parts(item.get(name))
        if year is not None:
            break
    extra: dict[str, str] = {}
    for csl_name, bib_name in (("volume", "volume"), ("issue", "number"), ("page", "pages"),
                               ("publisher", "publisher"), ("publisher-place", "address"),
                               ("publisher-location", "address"), ("ISBN", "isbn"),
                               ("ISSN", "issn")):
        value = _first_text(item.get(csl_name))
        if bib_name in extra:
            continue
        if value:
            if bib_name == "pages":
                value = re.sub(r"\s*[-\u2013\u2014]+\s*", "--", value)
            extra[bib_name] = value
    ctype = item.get("type") if isinstance(item.get("type"), str) else None
    entry_type = ENTRY_TYPES.get(ctype or "", "misc")
    if entry_type == "phdthesis" and "master" in (_first_text(item.get("genre")) or "").lower():
        entry_type = "mastersthesis"
    url = _first_text(item.get("URL"))
    doi = _first_text(item.get("DOI"))
    return PaperRecord(
        title=title,
        authors=authors,
        abstract=_abstract(item.get("abstract")),
        doi=doi,
        published=published,
        year=year,
        venue=_first_text(item.get("container-title")),
        entry_type=entry_type,
        url_abs=url,
        source="doi",
        extra_fields=extra,
    )


def records_from_csl(data: Any) -> list[PaperRecord]:
    """A CSL-JSON document (one item or an array of items) as records."""
    items = data if isinstance(data, list) else [data]
    return [record_from_csl(item) for item in items]
