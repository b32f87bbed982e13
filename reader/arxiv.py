"""The arXiv API (Atom): category listings and id lookups.

``GET {base}/api/query?search_query=cat:cs.CL&sortBy=submittedDate&sortOrder=descending
&start=0&max_results=100`` or ``?id_list=1706.03762,astro-ph/0601001``. arXiv asks for at most
one request every three seconds; :class:`ArxivClient` keeps to that (``interval``).

A bad query answers HTTP 400 with a feed holding one entry titled ``Error``; an unknown id
answers an empty feed. Both the current format and the legacy one (per-element namespaces,
hard-wrapped titles) are read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from reader.errors import BadInput, NotFound, SourceError
from reader.http import HttpClient, HttpError
from reader.limits import http_limits
from reader.record import FeedItem, PaperRecord, bound_record, collapse_ws, split_arxiv_id, warn
from reader.settings import CATEGORY_RE, Settings

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
INTERVAL = 3.0  # seconds between requests, as arXiv asks
PAGE_SIZE = 100
LOOKUP_CHUNK = 50  # ids per id_list request


class ArxivQueryError(BadInput):
    """arXiv rejected the query (its "Error" feed)."""


def _text(element: ET.Element, tag: str) -> str | None:
    found = element.find(tag)
    if found is None or found.text is None:
        return None
    return collapse_ws(found.text)


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _error_of(root: ET.Element) -> str | None:
    """The message of arXiv's error feed, if ``root`` is one."""
    for entry in root.findall(f"{ATOM}entry"):
        ident = _text(entry, f"{ATOM}id") or ""
        if _text(entry, f"{ATOM}title") == "Error" and "/api/errors" in ident:
            return _text(entry, f"{ATOM}summary") or ident
    return None


def _root(body: bytes, *, where: str) -> ET.Element:
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise SourceError(f"{where} answered with an HTML page, not an Atom feed")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as err:
        raise SourceError(f"{where} sent malformed XML: {err}") from None
    if root.tag != f"{ATOM}feed":
        raise SourceError(f"{where} answered with <{root.tag}>, not an Atom feed")
    return root


def record_from_entry(entry: ET.Element) -> PaperRecord | None:
    """One Atom ``<entry>`` as a record (``None`` for an entry without id or title)."""
    raw_id = _text(entry, f"{ATOM}id") or ""
    m = re.search(r"arxiv\.org/abs/(.+)$", raw_id)
    split = split_arxiv_id(m.group(1)) if m else None
    title = _text(entry, f"{ATOM}title")
    if split is None or not title:
        return None
    ident, version = split
    categories = [c.get("term", "").strip() for c in entry.findall(f"{ATOM}category")]
    categories = [c for c in categories if c]
    primary = entry.find(f"{ARXIV}primary_category")
    primary_term = primary.get("term") if primary is not None else None
    journal_ref = _text(entry, f"{ARXIV}journal_ref")  # the first, when arXiv repeats it
    authors = [_text(a, f"{ATOM}name") or "" for a in entry.findall(f"{ATOM}author")]
    record = PaperRecord(
        title=title,
        authors=authors,
        abstract=_text(entry, f"{ATOM}summary"),
        arxiv_id=ident,
        arxiv_version=version,
        doi=_text(entry, f"{ARXIV}doi"),
        published=_date(_text(entry, f"{ATOM}published")),
        updated=_date(_text(entry, f"{ATOM}updated")),
        primary_category=primary_term or (categories[0] if categories else None),
        categories=categories,
        journal_ref=journal_ref,
        url_abs=f"https://arxiv.org/abs/{ident}",
        url_pdf=f"https://arxiv.org/pdf/{ident}",
        source="arxiv",
    )
    bound_record(record)
    return record


def parse_feed(body: bytes, *, where: str = "arXiv") -> list[PaperRecord]:
    """The records of an Atom feed; the error feed raises :class:`ArxivQueryError`."""
    root = _root(body, where=where)
    message = _error_of(root)
    if message:
        raise ArxivQueryError(f"arXiv rejected the query: {message} ({where})")
    records = []
    for entry in root.findall(f"{ATOM}entry"):
        record = record_from_entry(entry)
        if record is not None:
            for why in record.warnings:
                warn(f"arXiv {record.arxiv_id} ({record.title[:60]}): {why} ({where})")
            records.append(record)
    return records


def check_category(category: str) -> str:
    cat = category.strip()
    if not CATEGORY_RE.match(cat):
        raise BadInput(f"{category!r} is not an arXiv category (like cs.CL or astro-ph.CO)")
    return cat


class ArxivClient:
    """The arXiv API at ``http.base_url``; at most one request every ``interval`` seconds."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def from_settings(cls, settings: Settings, *, interval: float | None = None,
                      **http_options: Any) -> ArxivClient:
        for name, value in http_limits(settings).items():
            http_options.setdefault(name, value)
        return cls(HttpClient(settings.arxiv_url,
                              min_interval=INTERVAL if interval is None else interval,
                              **http_options))

    def close(self) -> None:
        self.http.close()

    def query(self, params: dict[str, str]) -> list[PaperRecord]:
        """One request to ``/api/query``."""
        where = self.http.url("/api/query", params)
        try:
            response = self.http.get("/api/query", params=params)
        except HttpError as err:
            if err.status == 400:
                try:
                    message = _error_of(_root(err.body, where=where))
                except SourceError:
                    message = None
                if message:
                    raise ArxivQueryError(
                        f"arXiv rejected the query: {message} ({where})") from None
            raise
        return parse_feed(response.content, where=where)

    def lookup(self, ids: Sequence[str]) -> dict[str, PaperRecord]:
        """Records for ``ids`` (with or without versions), keyed by versionless id. Ids arXiv
        does not know are absent from the answer."""
        found: dict[str, PaperRecord] = {}
        wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start:start + LOOKUP_CHUNK]
            params = {"id_list": ",".join(chunk), "start": "0",
                      "max_results": str(len(chunk))}
            for record in self.query(params):
                if record.arxiv_id:
                    found[record.arxiv_id] = record
        return found

    def paper(self, arxiv_id: str) -> PaperRecord:
        """One paper; :class:`NotFound` when arXiv has none with that id."""
        split = split_arxiv_id(arxiv_id)
        if split is None:
            raise BadInput(f"{arxiv_id!r} is not an arXiv id (like 1706.03762 or hep-th/9901001)")
        record = self.lookup([arxiv_id]).get(split[0])
        if record is None:
            raise NotFound(f"arXiv has no paper {arxiv_id}")
        return record

    def listing(self, category: str, *, max_results: int = 100) -> list[PaperRecord]:
        """The newest submissions of ``category``, newest first."""
        cat = check_category(category)
        records: list[PaperRecord] = []
        while len(records) < max_results:
            size = min(PAGE_SIZE, max_results - len(records))
            params = {"search_query": f"cat:{cat}", "sortBy": "submittedDate",
                      "sortOrder": "descending", "start": str(len(records)),
                      "max_results": str(size)}
            page = self.query(params)
            records.extend(page)
            if len(page) < size:
                break
        return records[:max_results]


def listing_items(records: Sequence[PaperRecord]) -> list[FeedItem]:
    """A category listing as feed items: each paper on the day it was submitted, ranked in
    the listing's order within that day."""
    items: list[FeedItem] = []
    ranks: dict[date, int] = {}
    for record in records:
        if record.published is None:
            continue
        ranks[record.published] = ranks.get(record.published, 0) + 1
        items.append(FeedItem(record=record, source="arxiv", day=record.published,
                              rank=ranks[record.published], upvotes=None))
    return items
