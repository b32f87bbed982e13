"""Writing ``.bib`` files safely, and merging new entries into an existing one (``--into``).

* :func:`write_atomic` writes to a temporary file beside the target, flushes it to disk and
  renames it over the target, so an interrupted export never leaves a truncated file (and
  the next export to that file removes the temporary file a killed one left behind).
* :func:`merge_into` keeps the existing file byte for byte (comments, ``@string``s, layout,
  encoding, line endings) and appends only the entries it does not hold yet: an entry is
  already there when the file has its key (BibTeX keys ignore case), or an entry with the same
  arXiv id or DOI under another key.
* Every rewrite holds an advisory lock (``fcntl.flock`` on the folder holding the target, so it
  outlives the rename) and checks, just before renaming, that the file is still the one it read;
  a file that changed meanwhile is read again and merged again, never overwritten. A writer that
  appended to the old file during the rename itself is caught after it, and merged too.
* A FIFO, a device or ``/dev/stdout`` is written as a stream (no temporary file, no rename).
* A library file (an SQLite database) or its ``-wal``/``-shm``/``-journal`` is never written.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exports.bibtex_in import decode_bib_bytes, parse_bibtex
from exports.bibtex_out import Entry, ExportItem, Style, export_entries, format_entries
from reader.errors import BadInput
from reader.record import PaperRecord

try:
    import fcntl
except ImportError:  # pragma: no cover - (Windows: no advisory locks; the checks remain)
    fcntl = None  # type: ignore[assignment]

_CHUNK = 1 << 16
_ATTEMPTS = 20  # reads of a file that keeps changing under a merge before giving up
_STREAM_NAMES = re.compile(r"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/self/fd/\d+)$")
_SQLITE = b"SQLite format 3\x00"
_WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_JOURNALS = ("-wal", "-shm", "-journal")


def is_stream(path: Path) -> bool:
    """A FIFO, a device, a socket, or ``/dev/stdout`` and its kin: written in place, as a
    stream, never replaced by a regular file."""
    if _STREAM_NAMES.match(str(path)):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _head(path: Path, size: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def refuse_library(path: Path) -> None:
    """:class:`BadInput` when ``path`` is an SQLite database (a papershelf library, say) or the
    journal of one: an export never overwrites a library."""
    head = _head(path)
    if head.startswith(_SQLITE) or head[:4] in _WAL_MAGIC:
        raise BadInput(f"refusing to write {path}: it is an SQLite database (a papershelf "
                       f"library?), not a .bib file; nothing was written")
    for side in _JOURNALS:
        if path.name.endswith(side) and len(path.name) > len(side):
            main = path.with_name(path.name[: -len(side)])
            if _head(main).startswith(_SQLITE):
                raise BadInput(f"refusing to write {path}: it is the {side[1:]} file of the "
                               f"SQLite database {main} (a papershelf library?); nothing was "
                               f"written")


def write_stream(path: Path, data: bytes) -> None:
    """Write ``data`` to a FIFO, device or ``/dev/stdout`` as it is (no temporary file, no
    rename); a ``/dev/stdout`` redirected to a file is appended to."""
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
        fd = os.open(path, os.O_WRONLY | (os.O_APPEND if regular else 0))
    except OSError as err:
        raise BadInput(f"cannot write {path}: {err.strerror}") from None
    try:
        view = memoryview(data)
        written = 0
        while written < len(view):
            written += os.write(fd, view[written:written + _CHUNK])
    except OSError as err:
        raise BadInput(f"cannot write {path}: {err.strerror}") from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock for rewriting files in ``folder`` (held on the folder, which a
    rename does not replace, so two papershelf writers of one file queue)."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # (a folder we cannot open for reading: the checks before renaming remain)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (releases the lock)


def _target_of(path: Path) -> tuple[Path, Path]:
    """(the file to replace, its folder): a symlink is followed, the link stays."""
    target = path.resolve() if path.is_symlink() else path
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"cannot write {path}: folder {folder} does not exist")
    if target.is_dir():
        raise BadInput(f"cannot write {path}: it is a directory")
    return target, folder
_ENTRY_HEAD = re.compile(r"@\s*([A-Za-z][\w-]*)\s*[{(]\s*([^,\s{}()\"#%'=]+)\s*,")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once (temporary file, fsync, rename). The old
    file, if any, is untouched until the new one is complete; its permissions are kept. A
    symlink is followed (its target is replaced, the link stays). A FIFO or device is written
    as a stream; a library file is refused."""
    if is_stream(path):
        write_stream(path, data)
        return
    target, folder = _target_of(path)
    refuse_library(target)
    with _folder_lock(folder):
        _replace(path, target, folder, data)


Still = Callable[[], "bool | tuple[int, bytes]"]


def _replace(path: Path, target: Path, folder: Path, data: bytes,
             still: Still | None = None) -> bool:
    """Write ``data`` beside ``target`` and rename it over ``target``, if ``still()`` (asked
    just before the rename) says the target is as the caller read it; False when it is not
    (nothing is changed then). ``still()`` may instead answer ``(offset, suffix)``: the new
    file's bytes from ``offset`` on become ``suffix`` (a few bytes, no second wait for the
    disk before the rename) and it is asked again."""
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
        rewritten = False
        try:
            view = memoryview(data)
            written = 0
            while written < len(view):
                written += os.write(fd, view[written:written + _CHUNK])
            os.fsync(fd)
            if mode is not None:
                os.chmod(tmp, mode)
            while still is not None:
                answer = still()
                if answer is True:
                    break
                if answer is False:
                    os.close(fd)
                    fd = -1
                    os.unlink(tmp)
                    return False
                offset, suffix = answer
                os.ftruncate(fd, offset)
                done = 0
                while done < len(suffix):
                    done += os.pwrite(fd, suffix[done:], offset + done)
                rewritten = True
            os.replace(tmp, target)
            if rewritten:
                os.fsync(fd)  # (the bulk was on disk before the rename; now the rest is)
        finally:
            if fd >= 0:
                os.close(fd)
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
    return True


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


def _decode_existing(path: Path, data: bytes) -> tuple[str, str]:
    """(text, encoding) of the file to merge into."""
    text = decode_bib_bytes(data, where=str(path))
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    return text, encoding


def _separator(old: bytes, newline: bytes) -> bytes:
    if not old.strip():
        return b""
    if old.endswith(newline * 2):
        return b""
    if old.endswith(newline):
        return newline
    return newline * 2


Signature = tuple[int, int, int, int]  # device, inode, size, mtime (ns)


def _sig(st: os.stat_result) -> Signature:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _path_sig(path: Path) -> Signature | None:
    try:
        return _sig(os.stat(path))
    except FileNotFoundError:
        return None
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None


def _open_existing(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise BadInput(f"cannot merge into {path}: it is a directory") from None
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None


def _read_fd(fd: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    try:
        while True:
            chunk = os.pread(fd, _CHUNK * 16, offset)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            offset += len(chunk)
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None


def _merged(path: Path, old: bytes, items: Sequence[ExportItem | PaperRecord], *, style: Style,
            with_tags: bool, with_notes: bool, report: MergeReport) -> bytes | None:
    """The entries ``old`` lacks, encoded as the file is (to go after ``old`` and its
    separator), or ``None`` when it lacks none; ``report`` says what was added and skipped."""
    text, encoding = _decode_existing(path, old)
    report.added.clear()
    report.skipped.clear()
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
        return None
    newline = b"\r\n" if b"\r\n" in old else b"\n"
    addition = format_entries(new)
    try:
        encoded = addition.encode(encoding)
    except UnicodeEncodeError:
        raise BadInput(f"{path} is not UTF-8 (it reads as Latin-1) and the new entries have "
                       "characters Latin-1 cannot hold; try --style bibtex") from None
    if newline != b"\n":
        encoded = encoded.replace(b"\n", newline)
    return encoded


def _newline(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def merge_into(path: Path, items: Sequence[ExportItem | PaperRecord], *, style: Style = "bibtex",
               with_tags: bool = False, with_notes: bool = False) -> MergeReport:
    """Append the entries of ``items`` that ``path`` does not hold yet; keep its bytes.

    Holds the folder's lock throughout; a file changed by someone else between the read and the
    rename is read and merged again (never overwritten), and lines appended to the old file
    during the rename are merged in after it."""
    if is_stream(path):
        raise BadInput(f"cannot merge into {path}: it is not a regular file (a pipe or a device "
                       f"cannot be read back); use -o to write to it")
    target, folder = _target_of(path)
    refuse_library(target)
    report = MergeReport(path)
    with _folder_lock(folder):
        base = _open_existing(target)
        report.created = base is None
        expected = _sig(os.fstat(base)) if base is not None else None  # what the path holds
        carry = b""  # lines a writer appended to a file already replaced: they go at the end
        try:
            for _attempt in range(_ATTEMPTS):
                old = _read_fd(base, path) if base is not None else b""
                seen = _sig(os.fstat(base)) if base is not None else None
                ours = _merged(path, old, items, style=style, with_tags=with_tags,
                               with_notes=with_notes, report=report) or b""
                if not ours and not carry and expected == seen:
                    return report  # (nothing to add, and the file at the path is the one read)
                newline = _newline(old)
                state: dict[str, Any] = {"old": old, "want": expected}
                rest = ours + carry

                def tail_of(text: bytes, ours: bytes = ours, rest: bytes = rest,
                            newline: bytes = newline) -> bytes:
                    if ours:
                        return _separator(text, newline) + rest
                    return (b"" if not text or text.endswith(newline) else newline) + rest

                def unchanged(fd: int | None = base, state: dict[str, Any] = state,
                              tail_of: Callable[[bytes], bytes] = tail_of
                              ) -> bool | tuple[int, bytes]:
                    now = _path_sig(target)
                    want = state["want"]
                    if now == want:
                        return True
                    if fd is None or now is None or want is None or now[:2] != want[:2] \
                            or now[2] < want[2]:
                        return False  # replaced, removed or cut: merge again from scratch
                    # The same file, grown: someone appended. Keep what they wrote, then ours.
                    full = _read_fd(fd, path)
                    prev: bytes = state["old"]
                    if not full.startswith(prev):
                        return False
                    state["old"], state["want"] = full, _sig(os.fstat(fd))
                    return len(prev), full[len(prev):] + tail_of(full)

                if not _replace(path, target, folder, old + tail_of(old), still=unchanged):
                    # Someone replaced the file since it was read: read it again.
                    if base is not None:
                        os.close(base)
                    base = _open_existing(target)
                    expected = _sig(os.fstat(base)) if base is not None else None
                    continue
                if base is None or _sig(os.fstat(base)) == state["want"]:
                    return report
                # Lines were appended to the old file in the instant of the rename: they go at
                # the end of the new one (which holds everything else the old one had).
                carry = _read_fd(base, path)[len(state["old"]):]
                os.close(base)
                base = _open_existing(target)
                expected = _sig(os.fstat(base)) if base is not None else None
            raise BadInput(f"{path} kept changing while papershelf merged into it ({_ATTEMPTS} "
                           f"tries); try again")
        finally:
            if base is not None:
                os.close(base)


def write_new(path: Path, items: Iterable[ExportItem | PaperRecord], *, style: Style = "bibtex",
              with_tags: bool = False, with_notes: bool = False) -> int:
    """Write ``items`` as a new ``.bib`` file at ``path`` (replacing it). Returns the number of
    entries written."""
    entries = export_entries(items, style=style, with_tags=with_tags, with_notes=with_notes)
    write_atomic(path, format_entries(entries).encode("utf-8"))
    return len(entries)
