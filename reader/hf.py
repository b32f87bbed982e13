"""Hugging Face Daily Papers: the JSON API and its two schemas.

``GET {base}/api/daily_papers?date=YYYY-MM-DD`` (or ``week=YYYY-Www``, ``month=YYYY-MM``, with
``p`` (page, from 0) and ``limit`` (1-100)) answers a list of items::

    {"paper": {"id", "title", "summary", "authors": [{"name"}...], "publishedAt", "upvotes",
               "submittedOnDailyAt"?, "ai_summary"?, "ai_keywords"?, "githubRepo"?,
               "projectPage"?, ...},
     "publishedAt", "title", "summary"?, "numComments", ...}

``paper.publishedAt`` is the arXiv date. The day an item was on Daily Papers is
``paper.submittedOnDailyAt`` (new schema) or the item's ``publishedAt`` (old schema, which has no
``submittedOnDailyAt``; in the new schema the item's ``publishedAt`` is not the feed day).
Anything but id, title, summary and authors may be missing. Old titles keep arXiv's line
wrapping; :class:`PaperRecord` collapses it.

``GET {base}/api/papers/{id}`` answers one ``paper`` object; ``GET {base}/api/papers/search?q=``
a list of items (or of paper objects).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reader.errors import BadInput, NotFound, SourceError
from reader.http import HttpClient, HttpError
from reader.limits import http_limits
from reader.record import (
    FeedItem,
    PaperRecord,
    bound_record,
    bounded_int,
    collapse_ws,
    split_arxiv_id,
    warn,
)
from reader.settings import Settings

PAGE_LIMIT = 100  # the API's largest page
MAX_PAGES = 50  # a guard against a server that ignores ``p``
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class ShapeError(ValueError):
    """Data that is not in the Daily Papers shape (the caller adds where it came from)."""


@dataclass
class Parsed:
    """Feed items read from a Daily Papers list, and what had to be skipped (with why)."""

    items: list[FeedItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # fields cut or dropped (items kept)

    def days(self) -> list[date]:
        return sorted({item.day for item in self.items})

    def by_day(self) -> dict[date, list[FeedItem]]:
        groups: dict[date, list[FeedItem]] = defaultdict(list)
        for item in self.items:
            groups[item.day].append(item)
        return dict(sorted(groups.items()))


def iso_date(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _author_names(authors: Any) -> list[str]:
    if not isinstance(authors, list):
        raise ShapeError("authors is not a list")
    names: list[str] = []
    for author in authors:
        name = None
        if isinstance(author, dict):
            name = _str(author.get("name"))
            user = author.get("user")
            if name is None and isinstance(user, dict):
                name = _str(user.get("fullname"))
        elif isinstance(author, str):
            name = _str(author)
        if name:
            names.append(name)
    return names


def record_from_paper(paper: Any, item: Any = None) -> PaperRecord:
    """A :class:`PaperRecord` from a Daily Papers ``paper`` object (and its feed item, whose
    fields fill what the paper object lacks)."""
    if not isinstance(paper, dict):
        raise ShapeError("a paper is not a JSON object")
    outer = item if isinstance(item, dict) else {}
    ident = _str(paper.get("id"))
    title = _str(paper.get("title")) or _str(outer.get("title"))
    if not title:
        raise ShapeError(f"paper {ident or '?'} has no title")
    split = split_arxiv_id(ident) if ident else None
    arxiv_id = split[0] if split else None
    keywords = paper.get("ai_keywords")
    warnings: list[str] = []
    upvotes = bounded_int(paper.get("upvotes"), "upvotes", warnings)
    comments = bounded_int(outer.get("numComments"), "comments", warnings)
    record = PaperRecord(
        title=title,
        authors=_author_names(paper.get("authors", [])),
        abstract=collapse_ws(_str(paper.get("summary")) or _str(outer.get("summary"))),
        arxiv_id=arxiv_id,
        published=iso_date(paper.get("publishedAt")),
        url_abs=(f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id
                 else f"https://huggingface.co/papers/{ident}" if ident else None),
        url_pdf=f"https://arxiv.org/pdf/{arxiv_id}" if arxiv_id else None,
        url_code=_str(paper.get("githubRepo")),
        url_project=_str(paper.get("projectPage")),
        upvotes=upvotes,
        comments=comments,
        ai_summary=collapse_ws(_str(paper.get("ai_summary"))),
        ai_keywords=[k.strip() for k in keywords if isinstance(k, str) and k.strip()]
        if isinstance(keywords, list) else [],
        source="hf",
    )
    record.warnings.extend(warnings)
    bound_record(record)
    return record


def feed_day_of(item: dict[str, Any]) -> date | None:
    """The day an item was on Daily Papers (see the module docstring)."""
    paper = item.get("paper")
    if not isinstance(paper, dict):
        paper = {}
    return iso_date(paper.get("submittedOnDailyAt")) or (
        None if "submittedOnDailyAt" in paper else iso_date(item.get("publishedAt")))


def parse_daily_papers(data: Any, *, day: date | None = None) -> Parsed:
    """Feed items from a ``/api/daily_papers`` answer (or a saved page's ``dailyPapers``).

    With ``day``, every item is on that day (a ``date=`` request); otherwise each item's own
    feed day is used (week and month requests). Ranks count from 1 by upvotes within a day
    (ties keep the source's order).
    """
    if not isinstance(data, list):
        raise ShapeError(f"expected a list of papers, got {type(data).__name__}")
    parsed = Parsed()
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
            parsed.skipped.append(f"item {position}: not a Daily Papers entry")
            continue
        try:
            record = record_from_paper(item["paper"], item)
        except ShapeError as err:
            parsed.skipped.append(f"item {position}: {err}")
            continue
        for why in record.warnings:
            parsed.warnings.append(f"item {position} ({record.title[:60]}): {why}")
            warn(f"Daily Papers item {position} ({record.title[:60]}): {why}")
        item_day = day or feed_day_of(item)
        if item_day is None:
            parsed.skipped.append(f"item {position} ({record.title[:60]}): no feed date")
            continue
        parsed.items.append(FeedItem(record=record, source="hf", day=item_day, rank=0,
                                     upvotes=record.upvotes))
    rank_items(parsed.items)
    return parsed


def rank_items(items: list[FeedItem]) -> None:
    """Number the items of each day 1, 2, ... by upvotes (most first), in place."""
    groups: dict[date, list[FeedItem]] = defaultdict(list)
    for item in items:
        groups[item.day].append(item)
    for group in groups.values():
        ordered = sorted(group, key=lambda it: -(it.upvotes or 0))
        for rank, item in enumerate(ordered, start=1):
            item.rank = rank


def _seen_key(item: FeedItem) -> tuple[date, str]:
    return item.day, item.record.arxiv_id or item.record.title


def check_week(week: str) -> str:
    m = WEEK_RE.match(week.strip())
    if m:
        try:
            date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            return week.strip()
        except ValueError:
            pass
    raise BadInput(f"a week is written like 2024-W25, not {week!r}")


def check_month(month: str) -> str:
    m = MONTH_RE.match(month.strip())
    if m and 1 <= int(m.group(2)) <= 12:
        return month.strip()
    raise BadInput(f"a month is written like 2024-06, not {month!r}")


class DailyPapers:
    """The Hugging Face Daily Papers API at ``http.base_url``."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def from_settings(cls, settings: Settings, **http_options: Any) -> DailyPapers:
        for name, value in http_limits(settings).items():
            http_options.setdefault(name, value)
        return cls(HttpClient(settings.hf_url, **http_options))

    def close(self) -> None:
        self.http.close()

    def _list(self, params: dict[str, str], *, day: date | None) -> Parsed:
        result = Parsed()
        seen: set[tuple[date, str]] = set()
        for page in range(MAX_PAGES):
            query = {**params, "p": str(page), "limit": str(PAGE_LIMIT)}
            data = self.http.get_json("/api/daily_papers", params=query)
            try:
                parsed = parse_daily_papers(data, day=day)
            except ShapeError as err:
                raise SourceError(f"unexpected answer from {self.http.host} for "
                                  f"{self.http.url('/api/daily_papers', query)}: {err}") from None
            # A paper may be on several days of a week; a page repeated is not new.
            fresh = [it for it in parsed.items if _seen_key(it) not in seen]
            seen.update(_seen_key(it) for it in fresh)
            result.items.extend(fresh)
            result.skipped.extend(parsed.skipped)
            result.warnings.extend(parsed.warnings)
            if len(data) < PAGE_LIMIT or not fresh:
                break
        rank_items(result.items)
        return result

    def day(self, day: date) -> Parsed:
        """The feed of one day (every item is put on ``day``)."""
        return self._list({"date": day.isoformat()}, day=day)

    def week(self, week: str) -> Parsed:
        """An ISO week (``2024-W25``), each item on its own feed day."""
        return self._list({"week": check_week(week)}, day=None)

    def month(self, month: str) -> Parsed:
        """A month (``2024-06``), each item on its own feed day."""
        return self._list({"month": check_month(month)}, day=None)

    def paper(self, arxiv_id: str) -> PaperRecord:
        """One paper by arXiv id; :class:`NotFound` when Hugging Face does not have it."""
        try:
            data = self.http.get_json(f"/api/papers/{arxiv_id}")
        except HttpError as err:
            if err.status == 404:
                raise NotFound(f"{self.http.host} has no paper {arxiv_id}") from None
            raise
        paper = data.get("paper") if isinstance(data, dict) and "paper" in data else data
        try:
            return record_from_paper(paper, data if paper is not data else None)
        except ShapeError as err:
            raise SourceError(f"unexpected answer from {self.http.host} for "
                              f"{self.http.url(f'/api/papers/{arxiv_id}')}: {err}") from None

    def search(self, query: str) -> list[PaperRecord]:
        """Papers matching ``query`` (the Daily Papers search), best first."""
        params = {"q": query}
        data = self.http.get_json("/api/papers/search", params=params)
        if not isinstance(data, list):
            raise SourceError(f"unexpected answer from {self.http.host} for "
                              f"{self.http.url('/api/papers/search', params)}: not a list")
        records = []
        for item in data:
            paper = item.get("paper") if isinstance(item, dict) and "paper" in item else item
            try:
                records.append(record_from_paper(paper, item if paper is not item else None))
            except ShapeError:
                continue
        return records


def same_title(a: str, b: str) -> bool:
    """Titles equal but for case and whitespace."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def exact_match(title: str, candidates: Iterable[PaperRecord]) -> PaperRecord | None:
    for record in candidates:
        if same_title(title, record.title):
            return record
    return None
