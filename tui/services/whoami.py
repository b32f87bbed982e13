"""Who the changes are recorded as: ``--user NAME``, else ``[user] name`` in config.toml, else
the login name. Notes record their author and undo steps who made them (schema 6); ``show`` and
the app's detail pane name the author of a note written by someone else."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from reader.config_file import read_config
from reader.errors import BadInput
from storage.db import login_name

MAX_NAME = 80


@dataclass(frozen=True)
class Identity:
    name: str
    source: str  # "--user", "config.toml:LINE" or "login name"


def _problem(name: str) -> str | None:
    if not name.strip():
        return "is empty"
    if len(name) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters"
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "holds a control character"
    return None


def current_user(option: str | None = None, *, config: Path | None = None) -> Identity:
    """The name changes are recorded as. A bad ``--user`` or ``[user] name`` is one line
    (:class:`BadInput`) naming where it was written; a missing config file is no setting."""
    if option is not None:
        problem = _problem(option)
        if problem:
            raise BadInput(f"--user {option!r} {problem}: give the name your changes are "
                           f"recorded as")
        return Identity(option.strip(), "--user")
    try:
        file = read_config(config)
    except BadInput as error:
        if "does not exist" in str(error):
            return Identity(login_name(), "login name")
        raise
    table, problem = file.table("user")
    if problem:
        raise BadInput(problem)
    for key in table:
        if key != "name":
            raise BadInput(f"{file.where('user.' + key)}: unknown setting {key!r} in [user] "
                           f"(known: name)")
    if "name" in table:
        value = table["name"]
        where = file.where("user.name")
        if not isinstance(value, str):
            raise BadInput(f"{where}: [user] name must be a name in quotes")
        problem = _problem(value)
        if problem:
            raise BadInput(f"{where}: [user] name {value!r} {problem}")
        return Identity(value.strip(), where)
    return Identity(login_name(), "login name")


def by_someone_else(author: str | None, user: str) -> str | None:
    """The author to show on a note: its author when that is someone else than ``user``
    (a note written before authors were recorded, or by you, shows none)."""
    return author if author and author != user else None
