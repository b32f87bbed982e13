"""Writing ``.bib`` files safely, and merging new entries into an existing one (``--into``).

* :func:`write_atomic` writes to a temporary file beside the target, flushes it to disk and
  renames it over the target, so an interrupted export never leaves a truncated file (and
  the next export to that file removes the temporary file a killed one left behind).
* :func:`merge_into` keeps the existing file byte for byte (comments, ``@string``s, layout,
  encoding, line endings) and appends only the entries it does not hold yet: an entry is
  already there when the file has its key (BibTeX keys ignore case), or an entry with the same
  arXiv id or DOI under another key.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exports.bibtex_in import decode_bib_bytes, parse_bibtex
from exports.bibtex_out import Entry, ExportItem, Style, export_entries, format_entries
from reader.errors import BadInput
from reader.record import PaperRecord

_CHUNK = 1 << 16
_ENTRY_HEAD = re.compile(r"@\s*([A-Za-z][\w-]*)\s*[{(]\s*([^,\s{}()\"#%'=]+)\s*,")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once (temporary file, fsync, rename). The old
    file, if any, is untouched until the new one is complete; its permissions are kept. A
    symlink is followed (its target is replaced, the link stays)."""
    target = path.resolve() if path.is_symlink() else path
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"cannot write {path}: folder {folder} does not exist")
    if target.is_dir():
        raise BadInput(f"cannot write {path}: it is a directory")
    mode = None
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(target.stat().st_mode)
    tmp = folder / f".{target.name}.papershelf-{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    except FileExistsError:
        tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    except OSError as err:
        raise BadInput(f"cannot write {path}: {err.strerror}") from None
    try:
        try:
            view = memoryview(data)
            written = 0
            while written < len(view):
                written += os.write(fd, view[written:written + _CHUNK])
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BadInput(f"cannot write {path}: {err.strerror or err}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where we can
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    _remove_stale_temporaries(folder, target.name)


_TEMP_PID = re.compile(r"\.papershelf-(\d+)\.tmp\Z")


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Remove the temporary files of ``name`` that writers killed mid-write left behind
    (their process is gone; a live one may still be writing its own)."""
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f".{_glob_escape(name)}.papershelf-*.tmp"):
            m = _TEMP_PID.search(leftover.name)
            if not m or leftover.name != f".{name}.papershelf-{m.group(1)}.tmp":
                continue
            if not _process_alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours: this write is done
    if os.name != "posix":
        return True  # os.kill(pid, 0) is no probe on Windows: leave the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's, or cannot tell: leave it
    return True


@dataclass
class Held:
    """What an existing ``.bib`` file already holds, for recognising entries."""

    keys: dict[str, int] = field(default_factory=dict)  # lower-case key -> line
    key_names: dict[str, str] = field(default_factory=dict)  # lower-case key -> as written
    arxiv: dict[str, str] = field(default_factory=dict)  # arXiv id -> key
    doi: dict[str, str] = field(default_factory=dict)  # DOI -> key

    @classmethod
    def of(cls, text: str) -> Held:
        held = cls()
        # Every entry head counts, also of entries the parser rejects (a broken entry still
        # takes its key).
        for m in _ENTRY_HEAD.finditer(text):
            if m.group(1).lower() in ("string", "comment", "preamble"):
                continue
            key = m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            held.keys.setdefault(key.lower(), line)
            held.key_names.setdefault(key.lower(), key)
        for entry in parse_bibtex(text).entries:
            rec = entry.record
            if rec.key:
                held.keys.setdefault(rec.key.lower(), entry.line)
                held.key_names.setdefault(rec.key.lower(), rec.key)
                if rec.arxiv_id:
                    held.arxiv.setdefault(rec.arxiv_id, rec.key)
                if rec.doi:
                    held.doi.setdefault(rec.doi, rec.key)
        return held

    def why_held(self, record: PaperRecord) -> str | None:
        """Why ``record`` needs no new entry, or ``None`` when it does."""
        assert record.key
        line = self.keys.get(record.key.lower())
        if line is not None:
            written = self.key_names[record.key.lower()]
            same = "" if written == record.key else f" (as {written!r})"
            return f"the file has this key already{same}, line {line}"
        if record.arxiv_id and record.arxiv_id in self.arxiv:
            other = self.arxiv[record.arxiv_id]
            return (f"the file has arXiv {record.arxiv_id} already, as {other!r} "
                    f"(line {self.keys[other.lower()]})")
        if record.doi and record.doi in self.doi:
            other = self.doi[record.doi]
            return (f"the file has DOI {record.doi} already, as {other!r} "
                    f"(line {self.keys[other.lower()]})")
        return None

    def hold(self, record: PaperRecord, line: int) -> None:
        assert record.key
        self.keys[record.key.lower()] = line
        self.key_names[record.key.lower()] = record.key
        if record.arxiv_id:
            self.arxiv.setdefault(record.arxiv_id, record.key)
        if record.doi:
            self.doi.setdefault(record.doi, record.key)


@dataclass
class Skipped:
    key: str
    reason: str


@dataclass
class MergeReport:
    path: Path
    added: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    created: bool = False


def _read_existing(path: Path) -> tuple[bytes, str, str]:
    """(bytes, text, encoding) of the file to merge into (empty when it does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b"", "", "utf-8"
    except IsADirectoryError:
        raise BadInput(f"cannot merge into {path}: it is a directory") from None
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None
    text = decode_bib_bytes(data, where=str(path))
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    return data, text, encoding


def _separator(old: bytes, newline: bytes) -> bytes:
    if not old.strip():
        return b""
    if old.endswith(newline * 2):
        return b""
    if old.endswith(newline):
        return newline
    return newline * 2


def merge_into(path: Path, items: Sequence[ExportItem | PaperRecord], *, style: Style = "bibtex",
               with_tags: bool = False, with_notes: bool = False) -> MergeReport:
    """Append the entries of ``items`` that ``path`` does not hold yet; keep its bytes."""
    old, text, encoding = _read_existing(path)
    report = MergeReport(path, created=not path.exists())
    held = Held.of(text)
    records = {(i.record if isinstance(i, ExportItem) else i).key: i for i in items}
    line = text.count("\n") + 2
    new: list[Entry] = []
    for entry in export_entries(items, style=style, with_tags=with_tags, with_notes=with_notes):
        item = records.get(entry.key)
        if item is None:  # classic BibTeX's copy of a paper under another key of it (an alias)
            if entry.key.lower() in held.keys:
                line_of = held.keys[entry.key.lower()]
                report.skipped.append(Skipped(entry.key, "the file has this key already, "
                                                         f"line {line_of}"))
                continue
            held.keys[entry.key.lower()] = line
            held.key_names[entry.key.lower()] = entry.key
            line += entry.text().count("\n") + 1
            new.append(entry)
            report.added.append(entry.key)
            continue
        record = item.record if isinstance(item, ExportItem) else item
        reason = held.why_held(record)
        if reason:
            report.skipped.append(Skipped(entry.key, reason))
            continue
        held.hold(record, line)
        line += entry.text().count("\n") + 1
        new.append(entry)
        report.added.append(entry.key)
    if not new:
        return report
    newline = b"\r\n" if b"\r\n" in old else b"\n"
    addition = format_entries(new)
    try:
        encoded = addition.encode(encoding)
    except UnicodeEncodeError:
        raise BadInput(f"{path} is not UTF-8 (it reads as Latin-1) and the new entries have "
                       "characters Latin-1 cannot hold; try --style bibtex") from None
    if newline != b"\n":
        encoded = encoded.replace(b"\n", newline)
    write_atomic(path, old + _separator(old, newline) + encoded)
    return report


def write_new(path: Path, items: Iterable[ExportItem | PaperRecord], *, style: Style = "bibtex",
              with_tags: bool = False, with_notes: bool = False) -> int:
    """Write ``items`` as a new ``.bib`` file at ``path`` (replacing it). Returns the number of
    entries written."""
    entries = export_entries(items, style=style, with_tags=with_tags, with_notes=with_notes)
    write_atomic(path, format_entries(entries).encode("utf-8"))
    return len(entries)
