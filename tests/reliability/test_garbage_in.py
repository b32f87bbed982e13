"""Garbage in: random and hostile input (NUL bytes, lone surrogates, quotes, `;`, SQL-looking
text, very long fields, deeply nested braces, 10 MB strings) gives parsed data or one clear error,
never a traceback, a hang or a partial write (hypothesis property tests)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.record import collapse_ws, normalise_doi, split_arxiv_id
from storage.db import open_library
from storage.keys import base_key, check_key
from storage.text import fold
from tui.safe_text import safe_lines

from .fuzz import IN_CI, nasty
from .harness import Result, record, run_inproc

pytestmark = pytest.mark.slow  # the reliability suite is left out of the fast lane

# Examples per property that drives the command line (each runs several commands on its own
# library); PAPERSHELF_FUZZ_EXAMPLES=1000 for a long hunt. The pure functions take 400 each.
EXAMPLES = int(os.environ.get("PAPERSHELF_FUZZ_EXAMPLES", "50"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=20), derandomize=IN_CI,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FAST = settings(max_examples=400, deadline=timedelta(seconds=20), derandomize=IN_CI)


ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


WORK: list[Path] = []  # this module's folder under pytest's tmp (set by _workspace)


@pytest.fixture(scope="module", autouse=True)
def _workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    WORK.append(tmp_path_factory.mktemp("garbage"))
    open_library(WORK[0] / "template.db").close()
    yield
    WORK.clear()


def fresh_library() -> Path:
    """An empty library of its own (a copy of one made once: creating the schema costs more
    than the commands)."""
    db = Path(tempfile.mkdtemp(dir=WORK[0])) / "library.db"
    shutil.copyfile(WORK[0] / "template.db", db)
    return db


def clean_error(result: Result) -> str:
    """A failure is exit 2 with one `papershelf: ...` line (or click's usage message), no
    traceback."""
    assert result.code == 2, result
    assert "Traceback" not in result.err and result.out == ""
    if result.err.startswith("Usage:"):
        assert "Error:" in result.err
        return result.err.strip().splitlines()[-1]
    return result.one_error_line()


def has_surrogate(*texts: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for t in texts for c in t)


def _first_surrogate(*texts: str) -> str:
    return next(c for t in texts for c in t if "\ud800" <= c <= "\udfff")


def nothing_written(db: Path) -> None:
    assert run_inproc(db, "list", "--all", "--json").json() == []
    assert run_inproc(db, "undo", "--list").out == ""


TRIED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_inputs_tried() -> Iterator[None]:
    yield
    for name, count in TRIED.items():
        record("garbage-in", name, inputs=count)


# ---------------------------------------------------------------- the command line


def test_add_with_random_titles_and_authors() -> None:
    """`papershelf add` with any title and authors: the paper is stored exactly (whitespace
    collapsed) and survives rm + undo byte for byte, or the command refuses with one line and
    nothing is written."""

    @PROPERTY
    @given(title=nasty, authors=st.lists(nasty, max_size=4), tag=nasty, note=nasty)
    def prop(title: str, authors: list[str], tag: str, note: str) -> None:
        TRIED["add (title, authors), then tag, note, rm, undo"] += 1
        db = fresh_library()
        args = ["add", f"--title={title}", *(f"--author={a}" for a in authors)]
        added = run_inproc(db, *args, "--json")
        if added.code != 0:
            message = clean_error(added)
            if not collapse_ws(title.replace("\x00", "")):
                assert message in ("Error: give identifiers (papershelf add 1706.03762) or the paper's --title",
                                   "papershelf: a paper needs a title")
            else:
                assert has_surrogate(title, *authors), message
                assert message.startswith("papershelf: cannot store ")
                assert message.endswith("it is not valid UTF-8 text (the character "
                                        f"{_first_surrogate(title, *authors)!r}); nothing was "
                                        "changed")
            nothing_written(db)
            return
        assert not has_surrogate(title, *authors)
        paper = added.json()
        # (A NUL never enters the library: records drop it, then collapse whitespace.)
        assert paper["title"] == collapse_ws(title.replace("\x00", ""))
        assert paper["authors"] == [a for a in (collapse_ws(x.replace("\x00", ""))
                                                for x in authors) if a]
        assert check_key(paper["key"]) is None
        key = paper["key"]
        tagged = run_inproc(db, "tag", key, f"+{tag}")
        if tagged.code != 0:
            clean_error(tagged)
        noted = run_inproc(db, "note", key, f"--message={note}")
        if noted.code != 0:
            clean_error(noted)
        shown = run_inproc(db, "show", key, "--json").json()
        if noted.code == 0:
            assert [n["body"] for n in shown["notes"]] == [note]
        # rm then undo gives back every byte (the undo log quotes, and keeps NULs).
        assert run_inproc(db, "rm", "--yes", key).code == 0
        assert run_inproc(db, "undo").code == 0
        assert run_inproc(db, "show", key, "--json").json() == shown
        assert run_inproc(db, "db", "check").code == 0

    prop()


def test_tag_names() -> None:
    """Any tag name: added once (whitespace collapsed; the same name again, in any case, is the
    same tag), removed again, or refused with one line and nothing written."""

    @PROPERTY
    @given(name=nasty)
    def prop(name: str) -> None:
        TRIED["tag names"] += 1
        db = fresh_library()
        assert run_inproc(db, "add", "--title=Paper", "--author=Ann Lee").code == 0
        before = run_inproc(db, "show", "leepaper", "--json").json()
        first = run_inproc(db, "tag", "leepaper", f"+{name}")
        if first.code != 0:
            message = clean_error(first)
            assert message.startswith(("papershelf: bad tag name", "papershelf: cannot store")) \
                or (message.startswith("papershelf: '+") and "' names no tag" in message)
            assert run_inproc(db, "show", "leepaper", "--json").json() == before
            return
        want = " ".join(name.split())
        assert first.out == f"leepaper: {safe_lines(want)}\n"  # controls shown, never raw
        # The same name again, in other ASCII case: the same tag (the name first given stays).
        again = run_inproc(db, "tag", "leepaper", f"+{want.translate(ASCII_UPPER)}",
                           f"+{want.translate(ASCII_LOWER)}")
        assert (again.code, again.out) == (0, f"leepaper: {safe_lines(want)}\n")
        gone = run_inproc(db, "tag", "leepaper", f"-{want}")
        assert (gone.code, gone.out) == (0, "leepaper: (no tags)\n")
        assert run_inproc(db, "tags", "--json").json() == []

    prop()


def test_note_bodies_and_quotes() -> None:

    @PROPERTY
    @given(body=nasty, quote=st.none() | nasty)
    def prop(body: str, quote: str | None) -> None:
        TRIED["note bodies and quotes"] += 1
        db = fresh_library()
        assert run_inproc(db, "add", "--title=Paper", "--author=Ann Lee").code == 0
        args = ["note", "leepaper", f"--message={body}"] + ([f"--quote={quote}"] if quote else [])
        result = run_inproc(db, *args)
        notes = run_inproc(db, "show", "leepaper", "--json").json()["notes"]
        if result.code != 0:
            clean_error(result)
            assert notes == []
            return
        assert [(n["body"], n["quote"]) for n in notes] == [(body, quote or None)]

    prop()


def test_paper_references_and_keys() -> None:
    """Any text where a paper is named, or as a new key: a paper, or one line."""
    db = fresh_library()
    assert run_inproc(db, "add", "--title=Paper", "--author=Ann Lee").code == 0

    @settings(FAST, max_examples=2 * EXAMPLES)
    @given(ref=nasty)
    def prop(ref: str) -> None:
        TRIED["paper references (show) and new keys (key)"] += 1
        shown = run_inproc(db, "show", ref)
        if shown.code != 0:
            clean_error(shown)
        renamed = run_inproc(db, "key", "leepaper", ref)
        if renamed.code == 0:
            assert check_key(ref) is None
            assert run_inproc(db, "key", ref, "leepaper").code == 0
        else:
            clean_error(renamed)

    prop()


def test_nul_bytes_survive_rm_and_undo() -> None:
    """The undo log is SQL text and SQLite's quote() stops at a NUL: text holding one must
    still come back whole. (A paper's own fields never hold one: records drop NULs.)"""
    db = fresh_library()
    title, note = "Before\x00after the NUL", "note\x00with\x00NULs and 'quotes'"
    key = run_inproc(db, "add", f"--title={title}", "--author=Ann Lee", "--json").json()["key"]
    assert run_inproc(db, "note", key, f"--message={note}").code == 0
    assert run_inproc(db, "tag", key, "+a\x00b").code == 0
    shown = run_inproc(db, "show", key, "--json").json()
    assert (shown["title"], shown["notes"][0]["body"], shown["tags"]) == (
        "Beforeafter the NUL", note, ["a\x00b"])
    assert run_inproc(db, "rm", "--yes", key).code == 0
    assert run_inproc(db, "undo").code == 0
    assert run_inproc(db, "show", key, "--json").json() == shown


def test_numbers_out_of_range() -> None:
    db = fresh_library()
    for args, expected in [
        (["add", "--title=T", "--year=99999999999999999999999"], "papershelf: a number is too "
         "large to store (the largest is 9223372036854775807); nothing was changed"),
        (["add", "--title=T", "--arxiv=1706.03762v99999999999999999999"],
         "papershelf: '1706.03762v99999999999999999999' is not an arXiv id (like 1706.03762 or "
         "hep-th/9901001)"),
    ]:
        result = run_inproc(db, *args)
        assert clean_error(result) == expected
    nothing_written(db)


# ---------------------------------------------------------------- functions every source uses


@FAST
@given(text=nasty | st.from_regex(r"(arXiv:)?\d{4}\.\d{4,5}(v\d{1,3})?", fullmatch=True)
       | st.from_regex(r"[a-z\-]{2,10}(\.[A-Z]{2})?/\d{7}(v\d)?", fullmatch=True))
def test_split_arxiv_id(text: str) -> None:
    TRIED["split_arxiv_id"] += 1
    result = split_arxiv_id(text)
    if result is None:
        return
    ident, version = result
    assert ident.isascii() and " " not in ident
    assert split_arxiv_id(ident) == (ident, None)
    if version is not None:
        assert 0 <= version < 1000
        assert split_arxiv_id(f"{ident}v{version}") == (ident, version)


@FAST
@given(text=st.none() | nasty | st.from_regex(r"(https?://(dx\.)?doi\.org/|doi:)*10\.\d{4,9}/\S+",
                                               fullmatch=True))
def test_normalise_doi(text: str | None) -> None:
    TRIED["normalise_doi"] += 1
    doi = normalise_doi(text)
    if doi is None:
        return
    assert doi == doi.strip() and doi != ""
    assert normalise_doi(doi) == doi  # stable: a stored DOI matches itself when read again


@FAST
@given(text=nasty)
def test_fold(text: str) -> None:
    TRIED["fold"] += 1
    folded = fold(text)
    assert folded == " ".join(folded.split())
    assert folded == folded.casefold() or not folded.isascii()


@FAST
@given(authors=st.lists(nasty, max_size=3), year=st.none() | st.integers(), title=nasty)
def test_base_key_is_always_a_usable_key(authors: list[str], year: int | None, title: str) -> None:
    TRIED["base_key"] += 1
    key = base_key(authors, year, title)
    assert check_key(key) is None, key
    assert key.isascii()


HUGE = {
    "braces nested 50,000 deep": "{" * 50_000 + "x" + "}" * 50_000,
    "100,000 backslashes": "\\" * 100_000,
    "10 MB of words": "word " * 2_000_000,
    "10 MB of LaTeX accents and math": "{\\'e}t{\\\"u}de $O(n^2)$ " * 400_000,
    "1 MB of dollars": "$" * 1_000_001,
}


@pytest.mark.parametrize("what", list(HUGE))
def test_ten_megabyte_and_deeply_nested_inputs_finish(what: str) -> None:
    """Folding (titles, authors, keys) finishes on huge and pathological input: no hang, no
    recursion error."""
    text = HUGE[what]
    folded = fold(text)
    assert folded == " ".join(folded.split())
    assert check_key(base_key([text], 2024, text)) is None
    TRIED["huge inputs to fold and base_key"] += 1


# ---------------------------------------------------------------- the search query language
# (The file parsers' properties are in test_garbage_files.py.)


QUERY_PARTS = st.sampled_from([
    "tag:", "tag:llm", "-tag:x", 'tag:"to read"', "tag:\"", "year:", "year:20x", "year:2020..",
    "year:..", "year:2024..2020", "year:99999999999999999999", "day:2024-02-30", "day:..",
    "day:2024-06-01..2024-06-16", "status:", "status:read,nope", "status:queued", "is:",
    "is:starred", "is:nothing", "source:", "source:hf", "source:!!", "arxiv:", "arxiv:abc",
    "arxiv:1706.03762v2", "author:", "author:\u00e9", "author:o'brien", "foo:bar", "http://x.org",
    "-", "--", '"', '""', '-"', '"exact phrase"', "-pre-training", "..", "a..b", "*", "(", ")",
    "NEAR", "AND", "OR", "NOT", "^", "{", "}", "\\", "\x00", "\udcff", "é", "中文", "😀",
])


def test_query_parser_takes_any_text() -> None:
    """Any text (hostile strings, qualifier-shaped parts, NUL, lone surrogates, 2,000+
    characters) gives a query or one BadInput naming the part it cannot use; the same text
    through `papershelf search` and `export --query` on a library gives results or that one
    line, exit 2, never a traceback."""
    from reader.errors import BadInput
    from storage.query import _split, parse

    db = fresh_library()
    for args in (["add", "--title=Attention Is All You Need", "--author=Ashish Vaswani",
                  "--year=2017", "--arxiv=1706.03762", "--tag=to read"],
                 ["add", "--title=Robert'); DROP TABLE paper; --", "--author=Miles O'Brien",
                  "--tag=x'; DROP TABLE tag; --"]):
        assert run_inproc(db, *args).code == 0

    qualified = st.tuples(st.sampled_from(["tag:", "-tag:", "author:", "source:", "year:",
                                           "day:", "status:", "arxiv:", "is:"]),
                          nasty).map("".join)

    @settings(FAST, max_examples=4 * EXAMPLES)
    @given(parts=st.lists(st.one_of(QUERY_PARTS, qualified, nasty, st.text(max_size=12)),
                          max_size=6),
           glue=st.sampled_from([" ", "", "  "]))
    def prop(parts: list[str], glue: str) -> None:
        TRIED["search queries (parse, then search and export --query)"] += 1
        text = glue.join(parts)
        try:
            parse(text)
        except BadInput as err:
            message = str(err)
            assert message and "\n" not in message
            named = message.startswith("query too long") or any(
                repr(part) in message for part in _split(text.replace("\x00", " ")))
            assert named, (text, message)
            refused: str | None = f"papershelf: {message}"
        else:
            refused = None
        for args in (["search", "--json", "--", text],
                     ["export", "--query", text, "--style", "biblatex"]):
            result = run_inproc(db, *args)
            if refused is not None:
                assert (result.code, result.one_error_line()) == (2, refused), (args, result)
            elif result.code == 2 and args[0] == "export":  # nothing found: export says so
                assert result.one_error_line() == (
                    f"papershelf: no paper matches the query {text!r}"), result
            else:
                assert (result.code, result.err) == (0, ""), (args, result)
                if args[0] == "search":
                    assert isinstance(result.json(), list)

    prop()
    check = run_inproc(db, "db", "check")
    assert check.code == 0 and check.out.endswith(", 2 papers)\n"), check
