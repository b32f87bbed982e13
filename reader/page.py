"""Saved Daily Papers pages: the HTML a browser saves, and the text copied from the page.

- **HTML**: the page's data sits in the ``data-props`` attribute of the element with
  ``data-target="DailyPapers"``, as HTML-escaped JSON: ``{"dailyPapers": [...items as the
  API sends them...], "dateString": "2024-06-16", "periodType": "day", ...}``.
- **Text**: for each paper a title line, an abstract paragraph, usually a line like
  ``9 authors``, and a date line like ``Jun 16, 2024`` or ``Feb 22`` (no year: the page's
  year). Lines such as upvote counts, ``Submitted by ...`` or ``·`` are ignored. Papers read
  from text have no ids and no author names (``papershelf resolve`` fills them in).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any, Literal

from reader.hf import ShapeError, feed_day_of, iso_date, record_from_paper
from reader.record import PaperRecord

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
DATE_LINE = re.compile(
    r"^(?:published on\s+|submitted on\s+)?(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|"
    r"nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?$",
    re.IGNORECASE)
AUTHORS_LINE = re.compile(r"^[·•\-\s]*(?P<n>\d+)\s+authors?\s*[·•]?$", re.IGNORECASE)
NOISE_LINE = re.compile(
    r"^(?:[\d,.]+k?|[·•|\-]+|upvotes?|submitted by.*|daily papers|by ak and the research "
    r"community|papers|trending|daily|weekly|monthly|previous|next|search|view all|"
    r"\d+\s+comments?|comments?)$",
    re.IGNORECASE)
PARAGRAPH_WORDS = 20  # a line with this many words is an abstract, not a title


@dataclass
class PageEntry:
    record: PaperRecord
    line: int  # where the paper starts in the file
    day: date | None = None  # the day it was on Daily Papers, when the page says
    rank: int | None = None
    upvotes: int | None = None
    author_count: int | None = None  # "9 authors" (text form)


@dataclass
class SavedPage:
    kind: Literal["html", "text"]
    entries: list[PageEntry] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    # Papers read without all their lines (copied text: no date, no "N authors"): (line, what)
    incomplete: list[tuple[int, str]] = field(default_factory=list)
    day: date | None = None  # the page's day, for a daily page


class PageError(ValueError):
    """A page that cannot be read; ``line`` says where (0: the whole text)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


class _PropsFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str | None, str]] = []  # (line, data-target, props)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        props = values.get("data-props")
        if props is not None:
            self.found.append((self.getpos()[0], values.get("data-target"), props))

    handle_startendtag = handle_starttag


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:2000].lower()
    return head.startswith(("<!doctype", "<html", "<?xml")) or "data-props=" in text or (
        head.startswith("<") and "<body" in head)


def parse_page(text: str, *, year: int | None = None, today: date | None = None) -> SavedPage:
    """Read a saved page, HTML or copied text (decided by its content)."""
    if looks_like_html(text):
        return parse_page_html(text)
    return parse_page_text(text, year=year, today=today)


_NO_LIST = ("no Daily Papers list found (no data-props with dailyPapers); save the page "
            "huggingface.co/papers from the browser, or copy its text")


def parse_page_html(text: str) -> SavedPage:
    if "data-props" not in text.lower():  # spare a long page the HTML parser: no list in it
        raise PageError(_NO_LIST)
    finder = _PropsFinder()
    finder.feed(text)
    finder.close()
    chosen: tuple[int, dict[str, Any]] | None = None
    for line, target, raw in finder.found:
        if target != "DailyPapers" and "dailyPapers" not in raw:
            continue
        try:
            props = json.loads(raw)
        except ValueError as err:
            raise PageError(f"the Daily Papers data (data-props) is not valid JSON: {err}",
                            line) from None
        except RecursionError:
            raise PageError("the Daily Papers data (data-props) is nested too deeply to be "
                            "a Daily Papers list", line) from None
        if isinstance(props, dict) and isinstance(props.get("dailyPapers"), list):
            chosen = (line, props)
            break
    if chosen is None:
        raise PageError(_NO_LIST)
    line, props = chosen
    page_day = None
    if props.get("periodType", "day") == "day":
        page_day = iso_date(props.get("dateString")) or iso_date(props.get("date"))
    page = SavedPage(kind="html", day=page_day)
    for position, item in enumerate(props["dailyPapers"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
            page.skipped.append((line, f"item {position}: not a Daily Papers entry"))
            continue
        try:
            record = record_from_paper(item["paper"], item)
        except ShapeError as err:
            page.skipped.append((line, f"item {position}: {err}"))
            continue
        page.entries.append(PageEntry(record=record, line=line,
                                      day=page_day or feed_day_of(item),
                                      upvotes=record.upvotes))
    _rank(page.entries)
    return page


def _rank(entries: list[PageEntry]) -> None:
    by_day: dict[date, list[PageEntry]] = {}
    for entry in entries:
        if entry.day is not None:
            by_day.setdefault(entry.day, []).append(entry)
    for group in by_day.values():
        for rank, entry in enumerate(sorted(group, key=lambda e: -(e.upvotes or 0)), start=1):
            entry.rank = rank


def _page_date(m: re.Match[str], year: int | None, today: date) -> date | None:
    month = MONTHS[m.group("month")[:3].lower()]
    day = int(m.group("day"))
    if m.group("year"):
        candidates = [int(m.group("year"))]
    elif year is not None:
        candidates = [year]
    else:  # the page's year: this year, unless that puts the date in the future
        candidates = [today.year, today.year - 1]
    for y in candidates:
        try:
            value = date(y, month, day)
        except ValueError:
            return None
        if m.group("year") or year is not None or value <= today:
            return value
    return None


# A BibTeX entry's head (``@article{key,``) or one of its commands (``@string{``).
_BIBTEX_ENTRY = re.compile(r"^\s*@\s*(?:[A-Za-z]+\s*[{(]\s*[^\s,{}()]*\s*,|(?:string|comment|"
                           r"preamble)\s*[{(])", re.MULTILINE | re.IGNORECASE)


@dataclass
class _Card:
    lines: list[tuple[int, str]] = field(default_factory=list)
    authors: int | None = None
    authors_at: int | None = None  # index in ``lines`` where the "N authors" line came
    when: date | None = None
    dated: bool = False  # ended by a date line (a real date or not)
    end: int = 0  # the line number that ended it

    def has_abstract(self) -> bool:
        return any(i >= 1 and _long(text) for i, (_n, text) in enumerate(self.lines))


def _long(text: str) -> bool:
    return len(text.split()) >= PARAGRAPH_WORDS


def _segment(lines: list[str], page: SavedPage, year: int | None,
             today: date) -> list[_Card]:
    """The text's lines cut into cards. A card ends at its date line; a card whose date (or
    author) line is missing ends where the next one visibly starts: a second title and
    abstract, or a second "N authors" line, so it never absorbs the next card."""
    cards: list[_Card] = []
    card = _Card()
    for number, raw in enumerate(lines, start=1):
        line = " ".join(raw.replace("\u00a0", " ").split())
        if not line or NOISE_LINE.match(line):
            continue
        m_authors = AUTHORS_LINE.match(line)
        if m_authors:
            if card.authors is not None:
                # The card before had no date line: it ends at its own author line.
                split = (card.authors_at or 0)
                done = _Card(card.lines[:split], card.authors, split, None, False, number)
                cards.append(done)
                card = _Card(card.lines[split:])
            card.authors = int(m_authors.group("n"))
            card.authors_at = len(card.lines)
            continue
        m_date = DATE_LINE.match(line)
        if m_date:
            when = _page_date(m_date, year, today)
            if when is None:
                page.skipped.append((number, f"{line!r} is not a real date"))
            card.when, card.dated, card.end = when, True, number
            cards.append(card)
            card = _Card()
            continue
        if _long(line) and card.has_abstract() and card.lines and not _long(card.lines[-1][1]):
            # A second title and abstract: the card before had neither author nor date line.
            title = card.lines.pop()
            cards.append(_Card(card.lines, card.authors, card.authors_at, None, False,
                               title[0]))
            card = _Card([title])
        card.lines.append((number, line))
    if card.lines or card.authors is not None:
        card.end = len(lines)
        cards.append(card)
    return cards


def looks_like_bibtex(text: str) -> bool:
    return bool(_BIBTEX_ENTRY.search(text))


def parse_page_text(text: str, *, year: int | None = None,
                    today: date | None = None) -> SavedPage:
    """Papers from text copied off a Daily Papers page (see the module docstring).

    ``year`` is the year for dates written without one (default: this year, or last year
    when the date would otherwise be in the future). A card read without its date or its
    "N authors" line is imported and listed in ``page.incomplete``. Text with neither date
    nor "N authors" lines, or a BibTeX file, is not a Daily Papers page: ``PageError``.
    """
    today = today or date.today()
    page = SavedPage(kind="text")
    if looks_like_bibtex(text):
        m = _BIBTEX_ENTRY.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 1
        raise PageError("this is a BibTeX file, not a Daily Papers page (import it with "
                        "papershelf import FILE)", line)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cards = _segment(lines, page, year, today)
    if not any(c.dated or c.authors is not None for c in cards):
        raise PageError("no papers found: not a Daily Papers page (no \"N authors\" or date "
                        "lines; save the page huggingface.co/papers from the browser, or copy "
                        "its text)", 0)
    for index, card in enumerate(cards):
        entry = _card(card.lines, card.authors, card.when)
        if entry is not None:
            page.entries.append(entry)
            missing = [what for what, gone in (("date", not card.dated),
                                               ("author line", card.authors is None)) if gone]
            if missing:
                page.incomplete.append(
                    (entry.line, f"no {' and no '.join(missing)} for \"{entry.record.title}\""))
        elif card.lines and 0 < index < len(cards) - 1:
            first = card.lines[0][0]
            page.skipped.append((first, f"lines {first}-{card.end}: no title and "
                                        f"abstract found before the date line"))
    return page


def _card(lines: list[tuple[int, str]], author_count: int | None,
          when: date | None) -> PageEntry | None:
    """One paper from the lines between two date lines (``None`` when they hold none)."""
    abstract_at = next((i for i, (_n, text) in enumerate(lines)
                        if i >= 1 and len(text.split()) >= PARAGRAPH_WORDS), None)
    if abstract_at is None:
        if author_count is None or not lines:
            return None  # page furniture (a header, a footer), not a paper
        number, title = lines[0]
        abstract = None
    else:
        number, title = lines[abstract_at - 1]
        parts = [lines[abstract_at][1]]
        for _n, more in lines[abstract_at + 1:]:
            if len(more) < 40:
                break
            parts.append(more)
        abstract = " ".join(parts)
    record = PaperRecord(title=title, abstract=abstract, published=when, source="page")
    return PageEntry(record=record, line=number, author_count=author_count)
