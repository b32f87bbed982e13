"""Build the small sample library of tests/tui/data/papers.json, at a frozen time."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock

from reader.record import PaperRecord
from storage import ops
from storage.db import Library

DATA = Path(__file__).resolve().parents[1] / "tui" / "data" / "papers.json"
NOW = datetime(2024, 1, 20, 9, 30, 0)
RECORD_FIELDS = {"title", "authors", "year", "arxiv_id", "arxiv_version", "doi", "published",
                 "venue", "entry_type", "primary_category", "abstract", "url_abs", "url_pdf",
                 "upvotes", "comments", "ai_summary"}


def sample_papers() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))["papers"]


def build_sample(lib: Library, *, now: datetime = NOW) -> dict[str, int]:
    """Fill ``lib`` with the sample papers; returns title -> paper id. Papers are added a minute
    apart (the first is the oldest), so "newest first" lists are stable."""
    ids: dict[str, int] = {}
    for i, item in enumerate(sample_papers()):
        when = now - timedelta(minutes=len(sample_papers()) - i)
        values = {k: v for k, v in item.items() if k in RECORD_FIELDS}
        if "published" in values:
            values["published"] = date.fromisoformat(values["published"])
        record = PaperRecord(source="hf" if item.get("feed") else "manual", **values)
        with mock.patch("storage.ops.utcnow", return_value=when), \
                lib.action(f"sample {i}") as session:
            paper = ops.merge_record(session, record=record, status=item.get("status", "inbox"),
                                     now=when).paper
            for feed in item.get("feed", []):
                ops.record_feed(session, paper=paper, source=feed["source"],
                                day=date.fromisoformat(feed["day"]), rank=feed["rank"],
                                upvotes=feed["upvotes"])
            if item.get("tags"):
                ops.change_tags(session, paper=paper, add=item["tags"])
            if item.get("starred"):
                ops.set_starred(session, paper=paper, starred=True)
            if item.get("rating"):
                ops.set_rating(session, paper=paper, rating=item["rating"])
            for note in item.get("notes", []):
                ops.add_note(session, paper=paper, body=note["body"], quote=note.get("quote"))
            if paper.status == "read":
                paper.read_at = when
            paper.modified = when
            session.add(paper)
            assert paper.id is not None
            ids[paper.title] = paper.id
    return ids
