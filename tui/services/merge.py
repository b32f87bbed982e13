"""Duplicates: the papers that may be one work, and merging two on request (the use cases of
``papershelf duplicates`` and ``papershelf merge``; the rules are in :mod:`storage.identity`)."""

from __future__ import annotations

from storage import ops
from storage.db import Library
from storage.merging import Duplicate, MergePlan, find_duplicates, merge_papers


def list_duplicates(lib: Library) -> list[Duplicate]:
    with lib.read() as session:
        return find_duplicates(session)


def merge(lib: Library, keep_ref: str, other_ref: str, *, dry_run: bool = False) -> MergePlan:
    """Merge paper ``other_ref`` into ``keep_ref`` as one undo step (a dry run says what it
    would take and changes nothing)."""
    if dry_run:
        with lib.read() as session:
            keep = ops.find_paper(session, ref=keep_ref)
            other = ops.find_paper(session, ref=other_ref)
            plan = merge_papers(session, keep=keep, other=other)
            session.rollback()
            return plan
    with lib.action(f"merge {other_ref} into {keep_ref}") as session:
        keep = ops.find_paper(session, ref=keep_ref)
        other = ops.find_paper(session, ref=other_ref)
        return merge_papers(session, keep=keep, other=other)
