"""Writing a file the user named: an existing file is never replaced unasked. Asked (``force``),
the old one is kept beside it as ``FILE.bak`` before the new one is renamed into place."""

from __future__ import annotations

from pathlib import Path

from exports.merge import write_atomic
from reader.errors import BadInput
from storage.db import Library
from tui.services.report import Report


def guard_existing(path: Path, *, force: bool, merge_hint: bool = False) -> Path | None:
    """Refuse (:class:`BadInput`, one line) to replace an existing ``path`` unless ``force``;
    with ``force``, copy it to ``path.bak`` first and return that path. ``merge_hint``: the
    message offers ``--into`` (a .bib can be merged into instead)."""
    if not path.exists():
        return None
    if path.is_dir():
        raise BadInput(f"{path} is a directory; name a file")
    if not force:
        merge = "use --into to merge into it, or " if merge_hint else ""
        raise BadInput(f"{path} exists: {merge}--force to replace it (the old file is kept as "
                       f"{path.name}.bak)")
    backup = path.with_name(path.name + ".bak")
    try:
        write_atomic(backup, path.read_bytes())
    except OSError as error:
        raise BadInput(f"cannot keep {path} as {backup}: {error.strerror}") from None
    return backup


def backup_library(lib: Library, dest: Path, *, force: bool = False) -> Report:
    """``db backup DEST``: a consistent copy of the library (SQLite's online backup, written
    beside DEST and renamed). An existing DEST only with ``force`` (kept as ``DEST.bak``)."""
    dest = dest.expanduser()
    kept = guard_existing(dest, force=force)
    lib.backup(dest)
    report = Report(lines=[f"backed up {lib.path} to {dest}"])
    if kept is not None:
        report.notes.append(f"kept the old file as {kept}")
    return report
