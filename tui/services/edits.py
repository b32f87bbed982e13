"""Every edit a user makes to the library, once, for the command line and the app alike: status,
star, rating, tags, notes, the citation key, removing papers, dismissing the rest of a day,
renaming and merging tags, and undo.

Each edit is one ``Library.action`` (one transaction, one undo step) whose description is the
edit's one wording, the same whichever front made it (``papershelf undo --list`` and the app's
"Undid: ..." show it). Papers are named by citation key or numeric id; every reference is
resolved before anything is written, so an unknown one changes nothing. Each edit returns an
:class:`EditReport`: what changed, the lines the command line prints, the one line the app
shows, and the exit code. Headless: no click, textual or rich here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reader.errors import BadInput
from storage import ops, views
from storage.db import Library
from storage.models import STATUSES
from tui.words import count as count_of
from tui.words import status_word

Ref = str | int  # a citation key or a numeric id

MANY = 3  # more papers than this are named by their number in an undo step ("5 papers")


@dataclass(frozen=True)
class PaperRef:
    """A paper a reference named: its id, key and title."""

    id: int
    key: str
    title: str


@dataclass
class EditReport:
    """What an edit did."""

    description: str | None  # the undo step's wording (None: nothing was written)
    message: str  # the one line the app shows
    lines: list[str] = field(default_factory=list)  # what the command line prints
    papers: list[PaperRef] = field(default_factory=list)  # the papers it was about
    changed: int = 0  # how many papers (or notes, tags) it changed
    errors: list[str] = field(default_factory=list)  # one line each, for stderr
    exit_code: int = 0
    note_id: int | None = None  # the note it added, edited or deleted


def what(papers: Sequence[PaperRef]) -> str:
    """How an undo step names papers: their keys, or their number when there are many."""
    if len(papers) <= MANY:
        return " ".join(p.key for p in papers)
    return count_of(len(papers), "paper")


def _describe(papers: Sequence[PaperRef]) -> str:
    """How the app names papers in a message: one key, else their number."""
    return papers[0].key if len(papers) == 1 else count_of(len(papers), "paper")


def resolve(lib: Library, refs: Iterable[Ref]) -> list[PaperRef]:
    """The papers ``refs`` name, in order, each once. An unknown reference raises
    ``UnknownPaper`` (one line, exit 2) before anything is written."""
    out: list[PaperRef] = []
    seen: set[int] = set()
    with lib.read() as session:
        for ref in refs:
            paper = ops.find_paper(session, ref=ref)
            assert paper.id is not None
            if paper.id not in seen:
                seen.add(paper.id)
                out.append(PaperRef(paper.id, paper.key, paper.title))
    return out


def _ids(papers: Sequence[PaperRef]) -> list[int]:
    return [p.id for p in papers]


# ---------------------------------------------------------------- one or several papers


def set_status(lib: Library, refs: Iterable[Ref], status: str) -> EditReport:
    status = status.lower()
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r} (use one of: {', '.join(STATUSES)})")
    papers = resolve(lib, refs)
    description = f"status {what(papers)} {status}"
    with lib.action(description) as session:
        changed = ops.set_status_many(session, ids=_ids(papers), status=status)
    return EditReport(description, f"{_describe(papers)}: {status_word(status)}",
                      [f"{p.key}: {status}" for p in papers], papers, changed)


def set_starred(lib: Library, refs: Iterable[Ref], starred: bool) -> EditReport:
    papers = resolve(lib, refs)
    description = f"{'star' if starred else 'unstar'} {what(papers)}"
    word = "starred" if starred else "not starred"
    with lib.action(description) as session:
        changed = ops.set_starred_many(session, ids=_ids(papers), starred=starred)
    return EditReport(description, f"{_describe(papers)}: {word}",
                      [f"{p.key}: {word}" for p in papers], papers, changed)


def rate(lib: Library, ref: Ref, rating: int) -> EditReport:
    (paper,) = resolve(lib, [ref])
    description = f"rate {paper.key} {rating}"
    with lib.action(description) as session:
        ops.set_rating(session, paper=ops.find_paper(session, ref=paper.id),
                       rating=rating or None)
    return EditReport(description, f"Rated {rating}" if rating else "Rating cleared",
                      [f"{paper.key}: rating {rating or 'cleared'}"], [paper], 1)


def change_tags(lib: Library, refs: Iterable[Ref], *, add: Sequence[str] = (),
                remove: Sequence[str] = ()) -> EditReport:
    if not add and not remove:
        raise BadInput("no tag change given: write +name to add a tag, -name to remove one")
    for name in add:
        ops.clean_tag(name)  # a bad name fails before anything is written
    papers = resolve(lib, refs)
    words = " ".join([f"+{n}" for n in add] + [f"-{n}" for n in remove])
    description = f"tag {what(papers)} {words}"
    with lib.action(description) as session:
        changed = ops.tag_many(session, ids=_ids(papers), add=add, remove=remove)
        rows = views.rows_for(session, ids=_ids(papers))
    lines = [f"{p.key}: {', '.join(rows[p.id].tags) or '(no tags)'}" for p in papers]
    return EditReport(description, f"{_describe(papers)}: {words}", lines, papers, changed)


def parse_tag_words(words: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """``papershelf tag K1 K2 +multi -old``: the papers first, then the changes, each with its
    ``+`` or ``-``. Returns (references, names to add, names to remove)."""
    refs: list[str] = []
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        if word[:1] in ("+", "-"):
            name = word[1:]
            if not name.strip():
                raise BadInput(f"{word!r} names no tag: write +name or -name")
            (add if word[0] == "+" else remove).append(name)
        elif add or remove:
            raise BadInput(f"{word!r}: name the papers first, then the tag changes, each with "
                           f"+ or - (papershelf tag KEY... +add -remove)")
        else:
            refs.append(word)
    if not refs:
        raise BadInput("name a paper: papershelf tag KEY... +add -remove")
    if not add and not remove:
        raise BadInput("no tag change given: write +name to add a tag, -name to remove one "
                       f"(a word without + or - names a paper: {', '.join(map(repr, refs))})")
    return refs, add, remove


def tag(lib: Library, words: Sequence[str]) -> EditReport:
    """The ``tag`` command's words: papers, then +add / -remove changes."""
    refs, add, remove = parse_tag_words(words)
    return change_tags(lib, refs, add=add, remove=remove)


def rename_key(lib: Library, ref: Ref, new_key: str) -> EditReport:
    (paper,) = resolve(lib, [ref])
    description = f"key {paper.key} -> {new_key}"
    with lib.action(description) as session:
        ops.rename_key(session, paper=ops.find_paper(session, ref=paper.id), new_key=new_key)
    line = f"{paper.key} -> {new_key}"
    return EditReport(description, line, [line], [paper], int(paper.key != new_key))


def remove(lib: Library, refs: Iterable[Ref]) -> EditReport:
    papers = resolve(lib, refs)
    description = f"rm {what(papers)}"
    with lib.action(description) as session:
        changed = ops.remove_many(session, ids=_ids(papers))
    return EditReport(description, f"Removed {_describe(papers)} (u brings it back)",
                      [f"removed {p.key} (papershelf undo brings it back)" for p in papers],
                      papers, changed)


# ---------------------------------------------------------------- notes


@dataclass(frozen=True)
class NoteText:
    id: int
    paper_id: int
    body: str
    quote: str | None


def note_text(lib: Library, note_id: int) -> NoteText:
    """A note as it is now (to open in an editor); an unknown id raises ``UnknownNote``."""
    with lib.read() as session:
        note = ops.get_note(session, note_id=note_id)
        return NoteText(note_id, note.paper_id, note.body, note.quote)


def add_note(lib: Library, ref: Ref, body: str, quote: str | None = None) -> EditReport:
    (paper,) = resolve(lib, [ref])
    description = f"note on {paper.key}"
    with lib.action(description) as session:
        note = ops.add_note(session, paper=ops.find_paper(session, ref=paper.id), body=body,
                            quote=quote)
        note_id = note.id
    return EditReport(description, "Note saved", [f"added note {note_id} to {paper.key}"],
                      [paper], 1, note_id=note_id)


KEEP = object()  # edit_note(quote=KEEP): the quote stays as it is


def edit_note(lib: Library, note_id: int, body: str, quote: str | None | object = KEEP
              ) -> EditReport:
    description = f"edit note {note_id}"
    with lib.action(description) as session:
        note = ops.get_note(session, note_id=note_id)
        new_quote = note.quote if quote is KEEP else quote
        assert new_quote is None or isinstance(new_quote, str)
        ops.edit_note(session, note=note, body=body, quote=new_quote)
    return EditReport(description, "Note saved", [f"saved note {note_id}"], changed=1,
                      note_id=note_id)


def delete_note(lib: Library, note_id: int) -> EditReport:
    description = f"delete note {note_id}"
    with lib.action(description) as session:
        ops.delete_note(session, note=ops.get_note(session, note_id=note_id))
    return EditReport(description, "Note deleted (u brings it back)",
                      [f"deleted note {note_id}"], changed=1, note_id=note_id)


# ---------------------------------------------------------------- triage of a day


def day_to_dismiss(lib: Library, *, day: str | None = None,
                   paper_id: int | None = None) -> tuple[str | None, int]:
    """The day "dismiss the rest of the day" would take (``day``, else the latest feed day of
    ``paper_id``) and how many of its papers are still in the inbox."""
    with lib.read() as session:
        if day is None and paper_id is not None:
            day = views.latest_day(session, paper_id=paper_id)
        if not day:
            return None, 0
        return day, len(ops.inbox_of_day(session, day=day))


def dismiss_day(lib: Library, day: str) -> EditReport:
    description = f"dismiss the rest of {day}"
    with lib.action(description) as session:
        n = ops.dismiss_day(session, day=day)
    message = f"Dismissed {count_of(n, 'paper')} from {day}"
    return EditReport(description, message, [message.lower()[0] + message[1:]], changed=n)


# ---------------------------------------------------------------- tags


def rename_tag(lib: Library, old: str, new: str) -> EditReport:
    description = f"rename tag {old} -> {new}"
    with lib.action(description) as session:
        count = ops.rename_tag(session, old=old, new=new)
    line = f"{old} -> {new} ({count_of(count, 'paper')})"
    return EditReport(description, line, [line], changed=count)


def merge_tags(lib: Library, source: str, target: str) -> EditReport:
    description = f"merge tag {source} into {target}"
    with lib.action(description) as session:
        count = ops.rename_tag(session, old=source, new=target)
    line = f"merged {source} into {target} ({count_of(count, 'paper')})"
    return EditReport(description, line, [line], changed=count)


# ---------------------------------------------------------------- undo


def undo(lib: Library) -> EditReport:
    """Revert the newest undo step, whichever front made it."""
    with lib.write() as session:
        undone = ops.undo_last(session)
    if undone is None:
        return EditReport(None, "Nothing to undo", errors=["nothing to undo"], exit_code=2)
    return EditReport(None, f"Undid: {undone}", [f"undid: {undone}"], changed=1)


def undo_history(lib: Library) -> list[tuple[int, str, str]]:
    """What undo would revert, newest first: (id, description, created)."""
    with lib.read() as session:
        return ops.undo_history(session)
