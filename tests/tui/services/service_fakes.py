"""Fakes for the service tests: answers held in memory, every request recorded, no
network and no config file (the services are handed these instead of the real clients)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reader.errors import NotFound, SourceError, SourceUnreachable
from reader.hf import Parsed
from reader.record import FeedItem, PaperRecord
from reader.settings import Settings
from tui.services.pull import Sources


def record(n: int, **fields: Any) -> PaperRecord:
    fields.setdefault("title", f"Paper number {n}")
    fields.setdefault("authors", [f"Author{n} Last{n}"])
    fields.setdefault("year", 2024)
    return PaperRecord(arxiv_id=f"2406.{n:05d}", source="hf", **fields)


def items(day: date, *numbers: int) -> list[FeedItem]:
    return [FeedItem(record(n), "hf", day, rank, upvotes=10 * n)
            for rank, n in enumerate(numbers, start=1)]


class FakeHttp:
    host = "hf.test"


@dataclass
class FakeHF:
    days: dict[date, list[FeedItem] | Exception] = field(default_factory=dict)
    weeks: dict[str, list[FeedItem]] = field(default_factory=dict)
    papers: dict[str, PaperRecord] = field(default_factory=dict)
    titles: dict[str, list[PaperRecord] | Exception] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    http: FakeHttp = field(default_factory=FakeHttp)

    def day(self, day: date) -> Parsed:
        self.asked.append(day.isoformat())
        got = self.days.get(day, [])
        if isinstance(got, Exception):
            raise got
        return Parsed(items=list(got))

    def week(self, week: str) -> Parsed:
        self.asked.append(week)
        return Parsed(items=list(self.weeks.get(week, [])))

    def month(self, month: str) -> Parsed:
        self.asked.append(month)
        return Parsed()

    def paper(self, arxiv_id: str) -> PaperRecord:
        self.asked.append(f"paper {arxiv_id}")
        if arxiv_id not in self.papers:
            raise NotFound(f"hf.test has no paper {arxiv_id}")
        return self.papers[arxiv_id]

    def search(self, title: str) -> list[PaperRecord]:
        self.asked.append(f"search {title}")
        got = self.titles.get(title, [])
        if isinstance(got, Exception):
            raise got
        return got

    def close(self) -> None:
        pass


@dataclass
class FakeArxiv:
    listings: dict[str, list[PaperRecord]] = field(default_factory=dict)
    known: dict[str, PaperRecord] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def listing(self, category: str, *, max_results: int) -> Any:
        self.asked.append(f"{category} max {max_results}")
        raise SourceError(f"export.arxiv.test answered HTTP 503 for {category}")

    def lookup(self, queries: list[str]) -> dict[str, PaperRecord]:
        self.asked.append("lookup " + ",".join(queries))
        return {q: self.known[q] for q in queries if q in self.known}

    def paper(self, query: str) -> PaperRecord:
        if query not in self.known:
            raise NotFound(f"arXiv has no paper {query}")
        return self.known[query]

    def close(self) -> None:
        pass


class FakeDoi:
    def csl(self, doi: str) -> dict[str, Any]:
        raise SourceUnreachable("cannot reach doi.test: connection refused")

    def bibtex(self, doi: str) -> str:
        raise SourceUnreachable("cannot reach doi.test: connection refused")

    def close(self) -> None:
        pass


class FakeSources(Sources):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings or Settings())
        self.fake_hf, self.fake_arxiv, self.fake_doi = FakeHF(), FakeArxiv(), FakeDoi()

    @property
    def hf(self) -> Any:
        return self.fake_hf

    @property
    def arxiv(self) -> Any:
        return self.fake_arxiv

    @property
    def doi(self) -> Any:
        return self.fake_doi


@dataclass
class Recorder:
    """A :class:`tui.services.pull.Progress` that records every call."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self.calls.append((name, args[0] if len(args) == 1 else args))
