"""Key aliases: a key once given out is never lost.

When two entries turn out to be one paper (an import merging an entry into a paper, or
``papershelf merge A B``), the paper keeps its key and the other entry's key becomes an alias of
it (table ``paper_alias``). A paper is found by an alias wherever it is named by key
(:func:`paper_by_alias`, called by :func:`storage.ops.find_paper`), a new paper never takes a key
that is someone's alias, and the export writes every alias (see :mod:`exports.bibtex_out`).

Also here: which keys of a ``.bib`` file the library keeps as they are (:func:`file_key_problem`):
every key ``bibtex`` and ``biber`` accept and ``\\cite`` can name, not only the ASCII keys
papershelf makes itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from storage.models import Paper, PaperAlias

# BibTeX reads a key up to a comma or white space; a brace, a quote, '#', '%', '\', '~' or '='
# would break the entry or the \cite command; control characters are never a key.
_BAD_KEY_CHAR = re.compile(r"[\s,{}\"#%\\~=\x00-\x1f\x7f]")


def file_key_problem(key: str) -> str | None:
    """Why a key read from a ``.bib`` file cannot be kept, or ``None`` when it can (anything
    bibtex and biber accept: ``O'Hara_1999``, ``proc@2020``, ``CorneilOS??``, ``kumāra``)."""
    if not key:
        return "a key cannot be empty"
    bad = _BAD_KEY_CHAR.search(key)
    if bad:
        return f"key {key!r} has {bad.group()!r}, which BibTeX or \\cite cannot take"
    return None


def paper_by_alias(session: Session, key: str) -> Paper | None:
    """The paper ``key`` is an alias of, if any."""
    pid = session.exec(select(PaperAlias.paper_id).where(PaperAlias.alias == key)).first()
    return session.get(Paper, pid) if pid is not None else None


def aliases_of(session: Session, *, paper_id: int) -> list[str]:
    return list(session.exec(select(PaperAlias.alias).where(PaperAlias.paper_id == paper_id)
                             .order_by(col(PaperAlias.alias))).all())


def aliases_by_paper(session: Session, *, paper_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    ids = list(paper_ids)
    for start in range(0, len(ids), 500):
        for pid, alias in session.exec(
                select(PaperAlias.paper_id, PaperAlias.alias)
                .where(col(PaperAlias.paper_id).in_(ids[start:start + 500]))
                .order_by(col(PaperAlias.alias))).all():
            out.setdefault(pid, []).append(alias)
    return out


def all_aliases(session: Session) -> dict[str, int]:
    """alias -> paper id, for every alias."""
    return {a: pid for a, pid in session.connection().exec_driver_sql(
        "SELECT alias, paper_id FROM paper_alias")}


def key_or_alias_taken(session: Session, key: str) -> bool:
    """Whether a paper has ``key`` as its key or another key, ignoring case (BibTeX does)."""
    from storage.ops import key_taken

    return key_taken(session, key)


def add_aliases(session: Session, *, paper_id: int, aliases: Iterable[str]) -> list[str]:
    """Give the paper these aliases (those free: no paper's key, no other alias). Returns the
    ones added."""
    added: list[str] = []
    for alias in aliases:
        if not alias or key_or_alias_taken(session, alias):
            continue
        session.add(PaperAlias(alias=alias, paper_id=paper_id))
        session.flush()
        added.append(alias)
    return added


def move_aliases(session: Session, *, from_id: int, to_id: int) -> None:
    """Every alias of paper ``from_id`` becomes an alias of ``to_id``."""
    for alias in session.exec(select(PaperAlias).where(PaperAlias.paper_id == from_id)).all():
        alias.paper_id = to_id
        session.add(alias)
    session.flush()
