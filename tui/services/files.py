"""Writing a file the user named: an existing file is never replaced unasked. Asked (``force``),
the old one is kept beside it as ``FILE.bak`` (a hard link, or a copy) and the new one is
renamed into place, so FILE is always either the old file or the complete new one."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from reader.errors import BadInput, PapershelfError
from storage.db import Library
from tui.services.report import Report


def guard_existing(path: Path, *, force: bool, merge_hint: bool = False,
                   bib: bool = False) -> bool:
    """Refuse (:class:`BadInput`, one line) to replace an existing ``path`` unless ``force``.
    Returns whether there is an old file to keep. ``merge_hint``: the message offers
    ``--into`` (a .bib can be merged into instead). ``bib``: the file is to be a .bib, so a
    library file (or its journal) is refused whatever was asked."""
    from exports.merge import is_stream, refuse_library

    if not path.exists():
        return False
    if is_stream(path):
        return False  # a pipe, a device, /dev/stdout: written as a stream, nothing replaced
    if bib:
        refuse_library(path)  # never a library file or its journal, whatever was asked
    if path.is_dir():
        raise BadInput(f"{path} is a directory; name a file")
    if not force:
        merge = "use --into to merge into it, or " if merge_hint else ""
        raise BadInput(f"{path} exists: {merge}--force to replace it (the old file is kept as "
                       f"{path.name}.bak)")
    return True


def keep_old(path: Path) -> Path:
    """``path`` kept as ``path.bak`` (replacing an older ``.bak``), before ``path`` is
    replaced: a hard link where the file system allows, else a copy; renamed into place."""
    backup = path.with_name(path.name + ".bak")
    tmp = path.with_name(f".{backup.name}.papershelf-{os.getpid()}.tmp")
    try:
        tmp.unlink(missing_ok=True)
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copy2(path, tmp)
        os.replace(tmp, backup)
    except OSError as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BadInput(f"cannot keep {path} as {backup}: {error.strerror}") from None
    return backup


def backup_library(lib: Library, dest: Path, *, force: bool = False) -> Report:
    """``db backup DEST``: a consistent copy of the library (SQLite's online backup). An
    existing DEST only with ``force``: the copy is made first, then the old DEST is kept as
    ``DEST.bak`` and the copy renamed over it (a failed copy changes nothing)."""
    dest = dest.expanduser()
    report = Report(lines=[f"backed up {lib.where} to {dest}"])
    lib.refuse_own(dest)  # before "exists": the library itself is never a backup target
    if not guard_existing(dest, force=force):
        lib.backup(dest)
        return report
    new = dest.with_name(f".{dest.name}.papershelf-new-{os.getpid()}")
    try:
        lib.backup(new)
    except PapershelfError as error:
        with contextlib.suppress(OSError):
            new.unlink()
        problem = BadInput(str(error).replace(str(new), str(dest)))  # name the file asked for
        problem.exit_code = error.exit_code
        raise problem from None
    try:
        kept = keep_old(dest)
        os.replace(new, dest)
    except (OSError, PapershelfError):
        with contextlib.suppress(OSError):
            new.unlink()
        raise
    report.notes.append(f"kept the old file as {kept}")
    return report
