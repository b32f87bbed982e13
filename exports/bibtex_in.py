"""BibTeX in: a ``.bib`` file (or one entry's text) into :class:`PaperRecord`s.

Parsing is bibtexparser 2.x (``parse_string``) with one middleware of ours,
:class:`ExpandValues`, that does what BibTeX does with field values: ``@string`` macros (also
defined from other macros), the predefined month macros, ``#`` concatenation, bare numbers. The
field names are folded to lower case (BibTeX ignores their case).

What a record keeps of its entry (so that :mod:`exports.bibtex_out` can write it back unchanged):

* ``record.key`` is the entry's key, ``record.entry_type`` its type (lower case).
* The columns (title, authors, venue, year, doi, arXiv id, url, abstract) get display values:
  LaTeX decoded to Unicode (``Bostr{\\"o}m`` -> ``Boström``), names in natural order.
* ``record.extra_fields`` holds the text of EVERY field of the entry as it stood in the file
  (macros expanded, delimiters removed, nothing else changed):

  - a field that feeds a column is stored under ``"original <field>"`` (``"original title"``,
    ``"original author"``, ``"original journal"``, ...; the names in :data:`COLUMN_FIELDS`). A key
    with a space can never be a BibTeX field name, so these never clash with real fields;
  - every other field under its own (lower-case) name: ``"pages"``, ``"publisher"``, ``"month"``...
  - ``"original entry type"``: the type as written (``Article``); it also marks the record as
    read from BibTeX, so its extra fields are BibTeX text, written back as they are.

  A month given as a bare macro (``month = jan``) is stored as the macro name (``jan``) and
  written back bare; any other month text is stored as written.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import bibtexparser
from bibtexparser.library import Library as BibLibrary
from bibtexparser.middlewares.middleware import LibraryMiddleware
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    Field,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
    Preamble,
    String,
)

from exports.latex import to_unicode, unescape
from exports.names import split_authors
from reader.errors import BadInput
from reader.record import PaperRecord, split_arxiv_id

# bibtexparser logs each syntax error it recovers from; we report them ourselves, with lines.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

ORIGINAL = "original "
ENTRY_TYPE_KEY = "original entry type"  # the type as written (@Article); marks an imported entry

# Fields whose value feeds a column of the library (stored as "original <name>").
COLUMN_FIELDS = frozenset({
    "title", "author", "journal", "journaltitle", "booktitle", "year", "date", "doi", "eprint",
    "archiveprefix", "eprinttype", "primaryclass", "eprintclass", "url", "abstract",
})

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")

_WARNINGS_KEY = "papershelf_warnings"


# ------------------------------------------------------------------ results


@dataclass
class Problem:
    """Something wrong in the file, at a line (1-based)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportedEntry:
    record: PaperRecord
    line: int  # where the entry starts (1-based)


@dataclass
class BibParse:
    """What a ``.bib`` text holds: the entries that became records, and what was skipped."""

    entries: list[ImportedEntry] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # entries not imported, each with why
    warnings: list[Problem] = field(default_factory=list)  # imported, but worth knowing
    strings: int = 0  # @string definitions seen
    is_bibtex: bool = True  # False when nothing in the text looks like BibTeX


# ------------------------------------------------------------------ field values


class FieldValueError(Exception):
    """A field value BibTeX could not read."""


_TOKEN = re.compile(r"\s*(?:(?P<hash>#)|(?P<num>\d+)(?![^\s#])|(?P<name>[^\s\d#{}\"=,()%'][^\s#{}\"=,()%']*)"
                    r"|(?P<open>[{\"]))")


_DELIMS = re.compile(r'[{}"]')


def _match_close(text: str, start: int) -> int:
    """Index just past the delimited piece starting at ``text[start]`` (``{`` or ``"``)."""
    opener = text[start]
    depth = 0
    for m in _DELIMS.finditer(text, start + 1 if opener == '"' else start):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and opener == "{":
                return m.end()
            if depth < 0:
                break
        elif opener == '"' and depth == 0:
            return m.end()
    raise FieldValueError(f"unbalanced {opener!r} in {text.strip()!r}")


@dataclass
class _Expanded:
    text: str
    bare_month: str | None = None  # the macro name when the whole value was one month macro
    undefined: list[str] = field(default_factory=list)


def expand_value(raw: str, strings: dict[str, str],
                 month_aliases: dict[str, str] | None = None) -> _Expanded:
    """BibTeX's reading of a field value: ``{..}``, ``".."``, numbers and macros joined by ``#``.

    An undefined macro reads as empty text, as in BibTeX, when it is joined to other pieces
    (``"Harvey " # and # "Ginsberg"``); a value that is one undefined macro alone
    (``journal = jacm``, defined in another file) keeps the name as its text. ``month_aliases``
    maps macros defined as a month macro (``@string{ccs11month = oct}``) to that month."""
    text = raw.strip()
    if len(text) > 1 and text[0] == "{" and text[-1] == "}" and text.count("{") == 1 \
            and text.count("}") == 1:
        return _Expanded(text[1:-1])  # the usual case: one braced value
    out: list[str] = []
    undefined: list[str] = []
    pieces = 0
    pos = 0
    expect_piece = True
    only_name: str | None = None
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].strip()
            if not rest:
                break
            raise FieldValueError(f"cannot read {rest[:40]!r}")
        if m.group("hash"):
            if expect_piece:
                raise FieldValueError("'#' without a value before it")
            expect_piece = True
            pos = m.end()
            continue
        if not expect_piece:
            piece = text[m.start():].strip()
            raise FieldValueError(f"expected '#' or the end of the value before {piece[:40]!r} "
                              "(a missing comma?)")
        expect_piece = False
        pieces += 1
        if m.group("num") is not None:
            out.append(m.group("num"))
            pos = m.end()
            only_name = None
        elif m.group("name") is not None:
            name = m.group("name")
            only_name = name
            value = strings.get(name.lower())
            if value is None:
                if name.lower() in MONTHS:
                    value = _MONTH_NAMES[MONTHS.index(name.lower())]
                else:
                    undefined.append(name)
                    value = None
            out.append(value if value is not None else "\x00" + name)
            pos = m.end()
        else:
            start = m.start("open")
            end = _match_close(text, start)
            out.append(text[start + 1:end - 1])
            pos = end
            only_name = None
    if expect_piece and pieces:
        raise FieldValueError("value ends with '#'")
    bare_month = None
    if pieces == 1 and only_name is not None and only_name.lower() in MONTHS \
            and only_name.lower() not in strings:
        bare_month = only_name.lower()
    elif pieces == 1 and only_name is not None and month_aliases \
            and only_name.lower() in month_aliases:
        bare_month = month_aliases[only_name.lower()]
    if pieces == 1:  # one undefined macro alone: its name is the best text there is
        text = "".join(re.sub(r"([&%$#_])", r"\\\1", p[1:]) if p.startswith("\x00") else p
                       for p in out)
    else:
        text = "".join("" if p.startswith("\x00") else p for p in out)
    return _Expanded(text, bare_month, undefined)


class ExpandValues(LibraryMiddleware):
    """@string macros, month macros and ``#`` expanded; field names folded to lower case.

    Runs on the raw split library (field values still with their delimiters). An entry whose
    values BibTeX could not read, or that repeats a field, becomes a
    :class:`MiddlewareErrorBlock` (so it is reported with its line and skipped)."""

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)

    @classmethod
    def metadata_key(cls) -> str:
        return "papershelf_expand"

    def transform(self, library: BibLibrary) -> BibLibrary:
        raw_strings = {s.key.lower(): s for s in library.strings}
        resolved: dict[str, str] = {}
        failed_strings: dict[int, Exception] = {}

        def resolve(name: str, seen: tuple[str, ...] = ()) -> str | None:
            if name in resolved:
                return resolved[name]
            block = raw_strings.get(name)
            if block is None or name in seen:
                return None
            # Macros used inside the definition, resolved first (in any order, no cycles).
            deps: dict[str, str] = {}
            for dep in re.findall(r"(?<![{\"\w])[A-Za-z][^\s#{}\"=,()%']*", _outside_delims(block.value)):
                value = resolve(dep.lower(), (*seen, name))
                if value is not None:
                    deps[dep.lower()] = value
            try:
                text = expand_value(block.value, deps).text
            except FieldValueError as err:
                failed_strings[id(block)] = err
                return None
            resolved[name] = text
            return text

        for name in raw_strings:
            resolve(name)

        # Macros that stand for a month macro (@string{ccs11month = oct}), also through others.
        month_aliases: dict[str, str] = {}
        for name in raw_strings:
            target, hops = name, 0
            while target in raw_strings and hops < 20:
                value = raw_strings[target].value.strip().lower()
                target, hops = value, hops + 1
            if target in MONTHS and target != name:
                month_aliases[name] = target
        self.month_aliases = month_aliases

        blocks: list[Block] = []
        for block in library.blocks:
            if isinstance(block, DuplicateFieldKeyBlock) and isinstance(block.ignore_error_block,
                                                                        Entry):
                blocks.append(self._entry(block.ignore_error_block, resolved))
            elif isinstance(block, Entry):
                blocks.append(self._entry(block, resolved))
            elif isinstance(block, String) and id(block) in failed_strings:
                blocks.append(MiddlewareErrorBlock(block, failed_strings[id(block)]))
            else:
                blocks.append(block)
        return BibLibrary(blocks=blocks, fail_on_duplicate_key=False)

    def _entry(self, entry: Entry, strings: dict[str, str]) -> Block:
        fields: list[Field] = []
        seen: dict[str, int] = {}
        warnings: list[tuple[int | None, str]] = []
        for f in entry.fields:
            name = f.key.strip().lower()
            if name in seen:
                # BibTeX keeps the first value (and says "Repeated entry"); so does the import.
                first = seen[name] + 1
                warnings.append((f.start_line, f"field {name!r} given again (first at line "
                                               f"{first}); the first value is kept"))
                continue
            seen[name] = f.start_line if f.start_line is not None else (entry.start_line or 0)
            try:
                value = expand_value(f.value, strings, getattr(self, "month_aliases", None))
            except FieldValueError as err:
                return MiddlewareErrorBlock(entry, FieldValueError(f"field {name!r}: {err}"))
            if value.undefined:
                names = ", ".join(repr(m) for m in dict.fromkeys(value.undefined))
                many = len(dict.fromkeys(value.undefined)) > 1
                if value.text and not f.value.strip().startswith(("{", '"')) and \
                        len(value.undefined) == 1 and value.text.replace("\\", "") == \
                        value.undefined[0]:
                    what = "kept as its name"
                else:
                    what = "read as empty text, as BibTeX does"
                warnings.append((f.start_line, f"field {name!r} uses @string {names}, "
                                               f"{'which are' if many else 'which is'} not "
                                               f"defined here: {what}"))
            text = value.bare_month if (name == "month" and value.bare_month) else value.text
            fields.append(Field(key=name, value=text, start_line=f.start_line))
        entry.fields = fields
        if warnings:
            entry.parser_metadata[_WARNINGS_KEY] = warnings
        return entry


def _outside_delims(value: str) -> str:
    """The parts of a raw value outside ``{...}`` and ``"..."`` (where macro names can be)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c in "{\"":
            try:
                i = _match_close(value, i)
            except FieldValueError:
                break
            out.append(" ")
            continue
        out.append(c)
        i += 1
    return "".join(out)


# ------------------------------------------------------------------ entries -> records

_DOI_IN = re.compile(r"10\.\d{4,9}/\S+")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?/?(?:[?#].*)?$", re.I)
_ARXIV_TEXT = re.compile(r"\barXiv\s*:\s*([\w.\-/]+?\d)(?=[\s,;)}]|$)", re.I)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_FULL_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def _clean(text: str) -> str:
    return " ".join(to_unicode(text).split())


def original_fields(extra: dict[str, str]) -> dict[str, str]:
    """The entry's fields (name -> text as in the file), in order, from a record's
    ``extra_fields``."""
    out: dict[str, str] = {}
    for name, value in extra.items():
        if name == ENTRY_TYPE_KEY:
            continue
        out[name[len(ORIGINAL):] if name.startswith(ORIGINAL) else name] = value
    return out


def is_imported(extra: dict[str, str]) -> bool:
    """Whether ``extra_fields`` hold an entry read from BibTeX (whose text is BibTeX)."""
    return ENTRY_TYPE_KEY in extra or any(name.startswith(ORIGINAL) for name in extra)


def _arxiv_from(fields: dict[str, str]) -> tuple[str, int | None] | None:
    eprint = fields.get("eprint")
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("", "arxiv"):
        found = split_arxiv_id(unescape(eprint).strip())
        if found:
            return found
    for name in ("arxiv", "arxivid", "arxiv_id"):
        if name in fields:
            found = split_arxiv_id(unescape(fields[name]).strip())
            if found:
                return found
    url = fields.get("url")
    if url:
        m = _ARXIV_URL.search(unescape(url).strip())
        if m:
            found = split_arxiv_id(m.group(1))
            if found:
                return found
    journal = fields.get("journal") or fields.get("journaltitle") or ""
    if journal.strip().lower() == "corr" and fields.get("volume", "").lower().startswith("abs/"):
        found = split_arxiv_id(fields["volume"][4:].strip())
        if found:
            return found
    for name in ("journal", "journaltitle", "howpublished", "note"):
        m = _ARXIV_TEXT.search(fields.get(name, ""))
        if m:
            found = split_arxiv_id(m.group(1))
            if found:
                return found
    return None


def _doi_from(fields: dict[str, str]) -> str | None:
    raw = fields.get("doi")
    if not raw:
        return None
    text = unescape(raw).strip()
    m = _DOI_IN.search(text)
    return m.group(0).rstrip(".,;") if m else None


def untitled(key: str | None) -> str:
    """The title shown for an entry that has none (never written back as a title)."""
    return f"[untitled] {key or ''}".strip()


def record_from_fields(entry_type: str, key: str | None, fields: dict[str, str]) -> PaperRecord:
    """The record an entry describes. ``fields`` maps lower-case field names to their text as
    in the file (macros expanded). See the module docstring for what goes where."""
    title = _clean(fields.get("title", "")) or untitled(key)
    authors = split_authors(fields.get("author", "")) or split_authors(fields.get("editor", ""))
    year: int | None = None
    published: date | None = None
    if "year" in fields:
        m = _YEAR.search(fields["year"])
        year = int(m.group(1)) if m else None
    if "date" in fields:
        d = _FULL_DATE.match(fields["date"])
        if d:
            try:
                published = date(int(d.group(1)), int(d.group(2)), int(d.group(3)))
            except ValueError:
                published = None
        if year is None:
            m = _YEAR.search(fields["date"])
            year = int(m.group(1)) if m else None
    venue_raw = fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")
    arxiv = _arxiv_from(fields)
    primary = fields.get("primaryclass") or fields.get("eprintclass")
    url = fields.get("url")
    abstract = fields.get("abstract")
    extra = {ENTRY_TYPE_KEY: entry_type.strip()}
    extra.update((ORIGINAL + name if name in COLUMN_FIELDS else name, value)
                 for name, value in fields.items())
    return PaperRecord(
        title=title,
        authors=authors,
        abstract=_clean(abstract) or None if abstract else None,
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        doi=_doi_from(fields),
        published=published,
        year=year,
        venue=_clean(venue_raw) or None if venue_raw else None,
        entry_type=entry_type.strip().lower() or None,
        primary_category=unescape(primary).strip() or None if primary else None,
        url_abs=unescape(url).strip() or None if url else None,
        source="bibtex",
        key=key,
        extra_fields=extra,
    )


# ------------------------------------------------------------------ parsing text and files

_BLOCK_HEAD = re.compile(r"^\s*@\s*([A-Za-z][\w-]*)\s*[{(]\s*([^,\s{}()]*)")


def _describe(raw: str | None) -> str:
    m = _BLOCK_HEAD.match(raw or "")
    if not m:
        return "block"
    kind, key = m.group(1), m.group(2)
    return f"@{kind.lower()} entry {key!r}" if key else f"@{kind.lower()} entry"


def _line(block: Block) -> int:
    return (block.start_line or 0) + 1


_COMMENTED = ("{} is commented out with '%' (BibTeX has no '%' comments outside field "
              "values): entry skipped")


def _commented_out(lines: list[str], block: Block) -> bool:
    """Whether the block's ``@`` follows a ``%`` on its line (``%@BOOK{L27, ...``)."""
    index = block.start_line or 0
    if index >= len(lines):
        return False
    line = lines[index]
    at = line.find("@")
    return at > 0 and "%" in line[:at]


def parse_bibtex(text: str) -> BibParse:
    """Every entry of a ``.bib`` text as a record, and every entry that could not be read
    (with its line) in ``skipped``."""
    library = bibtexparser.parse_string(text, parse_stack=[ExpandValues()])
    result = BibParse(strings=len(library.strings))
    lines = text.splitlines()
    bibtex_like = False
    for block in library.blocks:
        if isinstance(block, (Entry, String, Preamble, ExplicitComment)):
            bibtex_like = True
        if isinstance(block, DuplicateBlockKeyBlock):
            bibtex_like = True
            if isinstance(block.ignore_error_block, String):
                continue  # a redefined @string: BibTeX warns and uses the first one
            first = _line(block.previous_block)
            if not block.key.strip():
                result.skipped.append(Problem(_line(block), f"{_describe(block.raw)} has no key: "
                                                            "entry skipped"))
                continue
            result.skipped.append(Problem(
                _line(block), f"duplicate key {block.key!r} (first used at line {first}): "
                              "entry skipped"))
        elif isinstance(block, MiddlewareErrorBlock) and isinstance(block.ignore_error_block,
                                                                    String):
            bibtex_like = True
            result.warnings.append(Problem(
                _line(block), f"@string {block.ignore_error_block.key!r} cannot be read "
                              f"({block.error}); entries using it show its name instead"))
        elif isinstance(block, MiddlewareErrorBlock):
            bibtex_like = True
            if _commented_out(lines, block):
                message = _COMMENTED.format(_describe(block.raw))
            else:
                message = f"{_describe(block.raw)}: {block.error}: entry skipped"
            result.skipped.append(Problem(_line(block), message))
        elif isinstance(block, ParsingFailedBlock):
            if _BLOCK_HEAD.match(block.raw or ""):
                bibtex_like = True
            reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax error"
            reason = " ".join(str(reason).split())
            if _commented_out(lines, block):
                message = _COMMENTED.format(_describe(block.raw))
            elif reason.startswith("Unexpected block start"):
                runs_into = next((i + 1 for i in range(_line(block), len(lines))
                                  if lines[i].lstrip().startswith("@")), len(lines))
                message = (f"{_describe(block.raw)} cannot be read (it runs into the next entry "
                           f"at line {runs_into}: an unclosed brace or quote?): entry skipped")
            else:
                message = f"{_describe(block.raw)} cannot be read ({reason}): entry skipped"
            result.skipped.append(Problem(_line(block), message))
        elif isinstance(block, Entry):
            line = _line(block)
            if not block.key.strip():
                result.skipped.append(Problem(line, f"@{block.entry_type.lower()} entry has no "
                                                    "key: entry skipped"))
                continue
            fields = {f.key: f.value for f in block.fields}
            record = record_from_fields(block.entry_type, block.key.strip(), fields)
            if "title" not in fields:
                result.warnings.append(Problem(
                    line, f"entry {block.key!r} has no title; it is listed as {record.title!r}"))
            for at, message in block.parser_metadata.get(_WARNINGS_KEY, []):
                result.warnings.append(Problem(line if at is None else at + 1,
                                               f"entry {block.key!r}: {message}"))
            result.entries.append(ImportedEntry(record, line))
    result.is_bibtex = bibtex_like
    return result


_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def _looks_latin1(data: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as Latin-1 text: its letters beyond ASCII mostly
    stand alone between ASCII ones (``M\xfcller``, ``\xe9t\xe9``). Multi-byte encodings (GBK,
    Big5, Shift-JIS, EUC) write every character as a run of two or more high bytes."""
    runs = [len(m.group()) for m in _HIGH_RUN.finditer(data)]
    if not runs:
        return True
    in_long_runs = sum(n for n in runs if n >= 2)
    return in_long_runs * 2 < sum(runs)


def decode_bib_bytes(data: bytes, *, where: str, encoding: str | None = None) -> str:
    """The text of a ``.bib`` file: in ``encoding`` when given; else UTF-8 (with or without
    BOM), else Latin-1 when the bytes read as Latin-1 text. Anything else (GBK, Shift-JIS...)
    is refused with :class:`BadInput` rather than guessed, as is binary data."""
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise BadInput(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as err:
            line = data[:err.start].count(b"\n") + 1
            raise BadInput(f"{where}:{line}: not {encoding} text (byte "
                           f"{data[err.start]:#04x}); nothing imported") from None
        return text.removeprefix("\ufeff")
    if b"\x00" in data:
        raise BadInput(f"{where}: not a BibTeX file (binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if _looks_latin1(data):
            return data.decode("latin-1")
        line = data[:err.start].count(b"\n") + 1
        raise BadInput(f"{where}:{line}: not UTF-8 or Latin-1 text (it looks like a multi-byte "
                       "encoding such as GBK, Big5 or Shift-JIS); give its encoding with "
                       "--encoding (e.g. --encoding gbk) or convert it to UTF-8; nothing "
                       "imported") from None


def read_bibtex_file(path: Path, *, encoding: str | None = None) -> BibParse:
    """Parse the file at ``path`` (see :func:`decode_bib_bytes` for its encoding). A file that
    is not BibTeX at all is refused with one line (:class:`BadInput`); entries with errors are
    in ``skipped`` with their lines."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory, not a .bib file") from None
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None
    result = parse_bibtex(decode_bib_bytes(data, where=str(path), encoding=encoding))
    if not result.is_bibtex:
        raise BadInput(f"{path}: not a BibTeX file (no @entry{{...}} in it); nothing imported")
    return result


def parse_bibtex_entry_text(text: str) -> PaperRecord:
    """The record of the (first) entry in ``text``, e.g. the BibTeX a DOI resolves to.
    Raises :class:`BadInput` when there is no readable entry."""
    result = parse_bibtex(text)
    if result.entries:
        return result.entries[0].record
    if result.skipped:
        raise BadInput(f"BibTeX entry cannot be used: {result.skipped[0]}")
    raise BadInput("no BibTeX entry found in the text")
