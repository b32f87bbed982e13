"""The words the app and the command line show, in one place: one word per status (the command
line's names, the ones users type: ``inbox``, ``queued``, ``reading``, ``read``, ``dismissed``),
their capitalised labels for headings, and counts with the right plural ("1 paper",
"2 papers"). No textual, click or rich here: the services, the command line and the app all
use it."""

from __future__ import annotations

from storage.vocab import STATUS_LABELS, STATUSES

# The word for each status, wherever a status is shown (list, detail pane, sidebar, toasts,
# the command line's tables): the name the command line takes, never a synonym.
STATUS_WORDS: dict[str, str] = {status: status for status in STATUSES}
# The same word as a heading ("Inbox", "Queued"): the sidebar's and the views' titles.
STATUS_TITLES: dict[str, str] = dict(STATUS_LABELS)

_PLURALS = {"entry": "entries", "copy": "copies", "day": "days", "match": "matches",
            "category": "categories", "is": "are", "was": "were", "has": "have"}


def status_word(status: str) -> str:
    """The one word for ``status`` (an unknown value is shown as it is)."""
    return STATUS_WORDS.get(status, status)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``word`` for ``n`` of it: ``plural(1, "paper") == "paper"``, ``plural(2, "entry") ==
    "entries"``; ``many`` names an irregular plural."""
    if n == 1:
        return word
    return many or _PLURALS.get(word) or word + "s"


def count(n: int, word: str, many: str | None = None) -> str:
    """``n`` and its noun: ``count(1, "paper") == "1 paper"``, ``count(3, "paper") == "3
    papers"``, ``count(0, "entry") == "0 entries"``."""
    return f"{n} {plural(n, word, many)}"
