"""The library's vocabulary, in one place: the status words and their labels, "today", and how
a date the user types is read. Every part (the command line, the app, the query language, the
services) takes these from here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from reader.errors import BadInput

# One word per status, in the order a paper moves through them. ``dismissed`` hides a paper.
STATUSES = ("inbox", "queued", "reading", "read", "dismissed")

# What each status is called where it is shown as a heading (the app's views, tables). The app
# and the command line show the same word; only the first letter is capitalised.
STATUS_LABELS = {status: status.capitalize() for status in STATUSES}


def check_status(value: str) -> str:
    """``value`` as a status word (case ignored); :class:`BadInput` naming the choices."""
    word = value.strip().lower()
    if word not in STATUSES:
        raise BadInput(f"unknown status {value!r} (use one of: {', '.join(STATUSES)})")
    return word


def utc_today() -> date:
    """Today, in UTC: the day Daily Papers and arXiv file papers under, wherever the user is."""
    return datetime.now(UTC).date()


def parse_date(value: str, what: str) -> date:
    """A date the user typed (``2024-06-16``); :class:`BadInput` saying what it was for."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{what} must be a date like 2024-06-16, not {value!r}") from None


def parse_past_day(value: str, what: str, *, today: date | None = None) -> date:
    """:func:`parse_date` for a day that has been (pulls, feeds): not after today (UTC)."""
    day = parse_date(value, what)
    today = today or utc_today()
    if day > today:
        raise BadInput(f"{what} {day} is in the future (today is {today} UTC)")
    return day
