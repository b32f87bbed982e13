"""The library's tables, as SQLModel classes. The DDL that creates them lives in
:mod:`storage.migrations` (one tested step per schema version); these classes mirror it and a
test checks that they agree."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.vocab import STATUSES  # noqa: F401  (the words live in storage.vocab)


class Paper(SQLModel, table=True):
    __tablename__ = "paper"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    title: str
    title_norm: str = Field(index=True)
    abstract: str | None = None
    arxiv_id: str | None = Field(default=None, unique=True)
    arxiv_version: int | None = None
    doi: str | None = Field(default=None, unique=True)
    published: date | None = None
    updated: date | None = None
    year: int | None = None
    venue: str | None = None
    entry_type: str | None = None
    primary_category: str | None = None
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    journal_ref: str | None = None
    url_abs: str | None = None
    url_pdf: str | None = None
    url_code: str | None = None
    url_project: str | None = None
    upvotes: int | None = None
    comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = "manual"
    extra_fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Field provenance (see storage.provenance): the fields the user set, and what a source said
    # when it disagreed with one of them.
    user_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_values: dict[str, Any] = Field(default_factory=dict,
                                          sa_column=Column(JSON, nullable=False))
    status: str = "inbox"
    starred: bool = False
    rating: int | None = None
    added: NaiveDatetime
    modified: NaiveDatetime
    read_at: NaiveDatetime | None = None


class PaperAuthor(SQLModel, table=True):
    __tablename__ = "paper_author"

    paper_id: int = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    name: str


class PaperAlias(SQLModel, table=True):
    """Another key of a paper: the key of an entry merged into it (see storage.aliases)."""

    __tablename__ = "paper_alias"

    alias: str = Field(primary_key=True)
    paper_id: int = Field(foreign_key="paper.id", index=True, ondelete="CASCADE")


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class PaperTag(SQLModel, table=True):
    __tablename__ = "paper_tag"

    paper_id: int = Field(foreign_key="paper.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE")


class Note(SQLModel, table=True):
    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int = Field(foreign_key="paper.id", index=True, ondelete="CASCADE")
    body: str
    quote: str | None = None
    created: NaiveDatetime
    updated: NaiveDatetime
    author: str | None = None  # who wrote it (schema 6); None: before authors were recorded


class FeedEntry(SQLModel, table=True):
    __tablename__ = "feed_entry"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    day: date
    paper_id: int = Field(foreign_key="paper.id", ondelete="CASCADE")
    rank: int
    upvotes: int | None = None


class PullLog(SQLModel, table=True):
    __tablename__ = "pull_log"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    params: str
    started: NaiveDatetime
    finished: NaiveDatetime | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class UndoAction(SQLModel, table=True):
    __tablename__ = "undo_action"

    id: int | None = Field(default=None, primary_key=True)
    description: str
    created: NaiveDatetime
    open: bool = False
    author: str | None = None  # who made the change (schema 6)


class UndoEntry(SQLModel, table=True):
    __tablename__ = "undo_entry"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="undo_action.id", index=True, ondelete="CASCADE")
    statement: str
