"""Garbage in, files and answers: the BibTeX import, the saved-page reader, and the Daily Papers
and arXiv readers fed random and mutated input (mutations of the repo's own samples and of the
real recorded fixtures in ../shared/fixtures): parsed data or one clear error, never a
traceback, a hang or a partial write. Hypothesis properties on the parsers themselves and on
the commands (`papershelf import`, `import --page`, `pull` against a 127.0.0.1 server), plus fixed
10 MB, NUL, invalid UTF-8 and deeply nested inputs.

What each command may answer (the property):

- exit 0: every entry/paper read and stored (the summary line on stdout, the library holds
  exactly what it says was added);
- exit 1: the same, and each entry/item that could not be used reported on stderr with its line
  (`papershelf: FILE:LINE: ...`) or day, and counted;
- exit 2 or 3: one line `papershelf: ...` naming the file (or the URL), and nothing written;
- never a traceback (any other exception fails the test), never a hang (``no_hang``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.bibtex_in import parse_bibtex, read_bibtex_file
from reader.arxiv import parse_feed
from reader.errors import BadInput, PapershelfError
from reader.hf import ShapeError, parse_daily_papers
from reader.page import PageError, parse_page
from storage.db import open_library
from tests.support.local_server import LocalServer, Reply, local_server
from tui.safe_text import safe_text

from . import fuzz
from .fuzz import fuzz_settings, nasty, no_hang
from .harness import REPO, Result, record, run_inproc

pytestmark = pytest.mark.slow  # the reliability suite is left out of the fast lane

READER_DATA = REPO / "tests" / "reader" / "data"
EXPORTS_DATA = REPO / "tests" / "exports" / "data"
DAY = date(2024, 6, 16)
MUTATED_MAX = 300_000  # the properties' mutated files; the 10 MB ones are fixed cases below
HANG = 120.0  # seconds: only a hang gets near this

TRIED: Counter[str] = Counter()
WORK: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    WORK.append(tmp_path_factory.mktemp("garbage-files"))
    open_library(WORK[0] / "template.db").close()
    (WORK[0] / "config.toml").write_text("[sources]\n", encoding="utf-8")
    yield
    WORK.clear()
    for name, count in TRIED.items():
        record("garbage-in", name, inputs=count)


def fresh_library() -> Path:
    db = Path(tempfile.mkdtemp(dir=WORK[0])) / "library.db"
    shutil.copyfile(WORK[0] / "template.db", db)
    return db


def papers(db: Path) -> list[dict[str, Any]]:
    listed = run_inproc(db, "list", "--all", "--json")
    assert listed.code == 0, listed
    return listed.json()  # type: ignore[no-any-return]


def assert_clean_failure(result: Result, names: str) -> str:
    """Exit 2 or 3, one `papershelf: ...` line that names ``names`` (the file or the host)."""
    assert result.code in (2, 3), result
    line = result.one_error_line()
    assert names in line, line
    return line


def assert_db_ok(db: Path) -> None:
    check = run_inproc(db, "db", "check")
    assert check.code == 0 and ": ok " in check.out, check


def assert_sane_records(records: list[Any]) -> None:
    for rec in records:
        assert isinstance(rec.title, str) and rec.title.strip() == rec.title and rec.title
        assert all(isinstance(a, str) and a.strip() for a in rec.authors), rec.authors


# ---------------------------------------------------------------- inputs


def repo_files(pattern: str, folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob(pattern))}


def corpus_of(request: pytest.FixtureRequest, corpus: str,
              repo: Callable[[], dict[str, bytes]],
              shared: Callable[[Path], dict[str, bytes]]) -> dict[str, bytes]:
    """The repo's own samples, or (through the shared_fixtures fixture, which skips when they
    are absent and fails in CI) the real recorded ones."""
    files = repo() if corpus == "repo" else shared(request.getfixturevalue("shared_fixtures"))
    assert files, f"no {corpus} files"
    return files


def saved_page(items: Any, day: str = "2024-06-16") -> bytes:
    """A Daily Papers page as the browser saves it: the list in a data-props attribute."""
    props = html.escape(json.dumps({"dailyPapers": items, "dateString": day,
                                    "periodType": "day"}), quote=True)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f'<div data-target="DailyPapers" data-props="{props}"></div></body></html>'
            ).encode("utf-8", errors="surrogatepass")


def shared_pages(root: Path) -> dict[str, bytes]:
    return {f"{p.stem}.html": saved_page(json.loads(p.read_bytes()), p.stem[-10:])
            for p in sorted((root / "hf").glob("*.json"))}


# ---------------------------------------------------------------- BibTeX import

SUMMARY = re.compile(r"^(?P<file>.+): added (?P<added>\d+), merged (?P<merged>\d+), "
                     r"(?:unchanged (?P<unchanged>\d+), )?skipped (?P<skipped>\d+)(; new papers are 'queued')?$")


def check_import(db: Path, path: Path, result: Result, before: int) -> None:
    """The import property (see the module docstring), for a library that held ``before``
    papers."""
    assert "Traceback" not in result.err
    if result.code == 2:
        assert_clean_failure(result, str(path))
        assert len(papers(db)) == before
        return
    assert result.code in (0, 1), result
    lines = result.out.splitlines()
    summary = SUMMARY.match(lines[-1])
    assert summary and summary["file"] == str(path), lines[-1]
    added, skipped = int(summary["added"]), int(summary["skipped"])
    assert (result.code == 1) == (skipped > 0)
    problems = result.err.splitlines()
    for line in problems:
        assert line.startswith(f"papershelf: {path}:"), line
        assert re.match(rf"papershelf: {re.escape(str(path))}:\d+: ", line), line
    assert sum(": warning: " not in line for line in problems) == skipped
    stored = papers(db)
    assert len(stored) == before + added
    # "added KEY: title" or "added KEY (why not the file's key): title"; keys have no spaces.
    new_keys = {line.split(" ")[1].removesuffix(":") for line in lines[:-1]
                if line.startswith("added ")}
    assert new_keys <= {safe_text(p["key"]) for p in stored}  # (shown visibly on a terminal)
    assert all(p["title"] and p["title"] == p["title"].strip() for p in stored)
    assert_db_ok(db)


def import_bytes(data: bytes, name: str = "in.bib") -> tuple[Path, Path, Result]:
    db = fresh_library()
    path = db.parent / name
    path.write_bytes(data)
    with no_hang(HANG, f"papershelf import of {len(data)} bytes"):
        result = run_inproc(db, "import", str(path))
    return db, path, result


@fuzz_settings(100)
@given(text=fuzz.bib_files() | nasty)
def test_bibtex_parser_takes_any_text(text: str) -> None:
    """`parse_bibtex` on generated BibTeX (braces nested deep, quotes, `#`, macros, hostile
    text) and on plain garbage: entries with a title and readable authors, and problems each
    with a line in the file and a one-line message."""
    TRIED["BibTeX parser: generated and random text"] += 1
    with no_hang(HANG, "parse_bibtex"):
        parsed = parse_bibtex(text)
    last = text.count("\n") + 2
    assert_sane_records([e.record for e in parsed.entries])
    for entry in parsed.entries:
        assert 1 <= entry.line <= last
    for problem in parsed.skipped + parsed.warnings:
        assert 1 <= problem.line <= last, problem
        assert problem.message and "\n" not in problem.message, problem


def _repo_bibs() -> dict[str, bytes]:
    return repo_files("*.bib", EXPORTS_DATA)


def _shared_bibs(root: Path) -> dict[str, bytes]:
    return {**repo_files("*.bib", root / "bib"), **repo_files("*.bib", root / "arxiv")}


@pytest.mark.parametrize("corpus", ["repo", "shared"])
def test_bibtex_import_takes_any_file(request: pytest.FixtureRequest, corpus: str) -> None:
    """`papershelf import` of mutated .bib files (cut short, bytes flipped, ranges dropped or
    repeated, NUL / invalid UTF-8 / 10,000 braces spliced in): all entries imported, or the
    unreadable ones reported with their lines and the rest imported in one step, or one line
    and nothing imported."""
    files = corpus_of(request, corpus, _repo_bibs, _shared_bibs)

    @fuzz_settings(30)
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(files)), label="file")
        blob = data.draw(fuzz.mutated(files[name], max_size=MUTATED_MAX), label="bytes")
        TRIED[f"papershelf import: mutated {corpus} .bib files"] += 1
        db, path, result = import_bytes(blob)
        check_import(db, path, result, 0)

    prop()


@fuzz_settings(40)
@given(text=fuzz.bib_files(), encoding=st.sampled_from(["utf-8", "latin-1", "utf-16", "raw"]))
def test_bibtex_import_takes_any_generated_file(text: str, encoding: str) -> None:
    """`papershelf import` of generated .bib files written as UTF-8, Latin-1, UTF-16 (NUL bytes
    everywhere) or with lone surrogates as raw bytes (invalid UTF-8)."""
    TRIED["papershelf import: generated .bib files"] += 1
    raw = text.encode("utf-8", errors="surrogatepass") if encoding == "raw" else \
        text.encode(encoding, errors="replace")
    db, path, result = import_bytes(raw)
    check_import(db, path, result, 0)


def test_bibtex_import_into_a_library_is_all_or_nothing(tmp_path: Path) -> None:
    """A file of good entries with broken ones between them, imported into a library that has
    papers: the broken ones are reported with their lines, the good ones land together in one
    undo step, and undo takes exactly them away again."""
    db = fresh_library()
    assert run_inproc(db, "add", "--title", "Already here", "--author", "Ann Lee").code == 0
    text = ("@article{good1, title={Good One}, author={Lee, Ann and Li, Bo}, year=2020}\n"
            "@article{broken1, title={Unclosed, author={X}, year=2021\n"
            "\n@article{good2, title={Good Two\x00with a NUL}, author={O'Brien, Miles}}\n"
            "@article{good1, title={Duplicate key}}\n"
            "@misc{good3, title = \"Good \" # jan # \" Three\", note = {" + "{" * 3000
            + "deep" + "}" * 3000 + "}}\n")
    path = tmp_path / "mixed.bib"
    path.write_text(text, encoding="utf-8")
    # A NUL byte makes the file binary data: refused whole, nothing imported.
    result = run_inproc(db, "import", str(path))
    assert result.code == 2 and result.one_error_line() == (
        f"papershelf: {path}: not a BibTeX file (binary data)")
    path.write_text(text.replace("\x00", " "), encoding="utf-8")
    result = run_inproc(db, "import", str(path))
    check_import(db, path, result, 1)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"papershelf: {path}:2: @article entry 'broken1' cannot be read (it runs into the next "
        "entry at line 4: an unclosed brace or quote?): entry skipped",
        f"papershelf: {path}:5: duplicate key 'good1' (first used at line 1): entry skipped"]
    assert {p["key"]: (p["title"], p["authors"]) for p in papers(db)} == {
        "leealready": ("Already here", ["Ann Lee"]),
        "good1": ("Good One", ["Ann Lee", "Bo Li"]),
        "good2": ("Good Two with a NUL", ["Miles O'Brien"]),
        "good3": ("Good January Three", [])}
    assert run_inproc(db, "undo").code == 0
    assert [p["title"] for p in papers(db)] == ["Already here"]


def _deep_bib(depth: int) -> bytes:
    return (b"@article{deep, title={" + b"{" * depth + b"Deep" + b"}" * depth
            + b"}, author={Lee, Ann}}\n")


HUGE_BIB: dict[str, Callable[[], bytes]] = {
    "10 MB abstract": lambda: (b"@article{big, title={Big}, author={Lee, Ann}, abstract={"
                               + b"word " * 2_000_000 + b"}}\n"),
    "10 MB title": lambda: b"@article{big, title={" + b"x" * 10_000_000 + b"}}\n",
    "10 MB of an unclosed brace": lambda: b"@article{open, title={" + b"a " * 5_000_000,
    "10 MB of garbage, no entry": lambda: bytes(range(1, 256)) * 40_000,
    "10 MB of 40,000 repeated entries (duplicate keys)": lambda: (
        (EXPORTS_DATA / "sample.bib").read_bytes() * (10_000_000 // len(
            (EXPORTS_DATA / "sample.bib").read_bytes()))),
    "braces nested 100,000 deep": lambda: _deep_bib(100_000),
    "100,000 authors": lambda: (b"@article{many, title={Many}, author={"
                                + b" and ".join(b"Li, A%d" % i for i in range(100_000)) + b"}}"),
    "NUL bytes": lambda: b"@article{nul, title={A\x00B}, author={Lee, Ann}}\n",
    "invalid UTF-8 (a Latin-1 file)": lambda: "@article{lat, title={Caf\u00e9}, author={M\u00fcller, J}}"
    .encode("latin-1"),
    "invalid UTF-8 (lone surrogate bytes)": lambda: b"@article{sur, title={A\xed\xa0\x80B}}\n",
    "a 100,000-character key": lambda: b"@article{" + b"k" * 100_000 + b", title={Long key}}\n",
}


@pytest.mark.parametrize("what", list(HUGE_BIB))
def test_bibtex_import_of_huge_and_odd_files(what: str) -> None:
    TRIED["papershelf import: 10 MB, nested, NUL, invalid UTF-8 files"] += 1
    db, path, result = import_bytes(HUGE_BIB[what]())
    check_import(db, path, result, 0)


# ---------------------------------------------------------------- saved pages


def _repo_pages() -> dict[str, bytes]:
    return {**repo_files("saved_page.html", READER_DATA), **repo_files("copied_page.txt",
                                                                        READER_DATA)}


def _pages_any(text: str) -> None:
    with no_hang(HANG, "parse_page"):
        try:
            page = parse_page(text, today=DAY)
        except PageError as err:  # line 0: the whole file is refused (not a Daily Papers page)
            assert err.line >= 0 and str(err) and "\n" not in str(err)
            return
    assert_sane_records([e.record for e in page.entries])
    last = text.count("\n") + text.count("\r") + 2
    for entry in page.entries:
        assert 1 <= entry.line <= last
    for line, why in page.skipped:
        assert 1 <= line <= last and why and "\n" not in why


@fuzz_settings(100)
@given(data=st.data())
def test_saved_page_parser_takes_any_text(data: st.DataObject) -> None:
    """`parse_page` on mutated saved pages (HTML and copied text), pages made from random Daily
    Papers JSON, and random text: a page of papers, or PageError with a line."""
    samples = _repo_pages()
    kind = data.draw(st.sampled_from(["mutated", "generated", "text"]), label="kind")
    if kind == "mutated":
        name = data.draw(st.sampled_from(sorted(samples)), label="file")
        text = data.draw(fuzz.mutated(samples[name], max_size=MUTATED_MAX)).decode(
            "utf-8", errors="replace")
    elif kind == "generated":
        text = saved_page(data.draw(fuzz.daily_papers_answers)).decode(
            "utf-8", errors="surrogateescape")
    else:
        text = data.draw(nasty)
    TRIED["saved-page parser: mutated, generated and random pages"] += 1
    _pages_any(text)


PAGE_SUMMARY = re.compile(r"^new (\d+), updated (\d+), unchanged (\d+), failed (\d+)$")


def check_import_page(db: Path, path: Path, result: Result) -> None:
    assert "Traceback" not in result.err
    if result.code == 2:
        assert_clean_failure(result, str(path))
        assert papers(db) == []
        return
    assert result.code in (0, 1), result
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{path.name}: ") and lines[0].endswith(
        ("(saved page)", "(copied text)")), lines
    counts = PAGE_SUMMARY.match(lines[1])
    assert counts, lines
    new, failed = int(counts[1]), int(counts[4])
    assert (result.code == 1) == (failed > 0)
    problems = result.err.splitlines()
    assert len(problems) == failed
    assert all(re.match(rf"papershelf: {re.escape(str(path))}:\d+: skipped ", p)
               for p in problems), problems
    assert len(papers(db)) == new
    assert_db_ok(db)


@pytest.mark.parametrize("corpus", ["repo", "shared"])
def test_import_page_takes_any_file(request: pytest.FixtureRequest, corpus: str) -> None:
    """`papershelf import --page` of mutated saved pages (the repo's HTML and copied text; pages
    made from the real Daily Papers answers): papers imported (unusable items reported with
    their line), or one line naming the file and nothing imported."""
    files = corpus_of(request, corpus, _repo_pages, shared_pages)

    @fuzz_settings(25)
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(files)), label="file")
        blob = data.draw(fuzz.mutated(files[name], max_size=MUTATED_MAX), label="bytes")
        TRIED[f"papershelf import --page: mutated {corpus} pages"] += 1
        db = fresh_library()
        path = db.parent / ("page.html" if name.endswith(".html") else "page.txt")
        path.write_bytes(blob)
        with no_hang(HANG, "papershelf import --page"):
            result = run_inproc(db, "import", "--page", str(path), "--year", "2024")
        check_import_page(db, path, result)

    prop()


# ---------------------------------------------------------------- Daily Papers and arXiv


@fuzz_settings(100)
@given(answer=fuzz.daily_papers_answers, day=st.none() | st.dates())
def test_daily_papers_parser_takes_any_json(answer: Any, day: date | None) -> None:
    """`parse_daily_papers` on any JSON (lists of items with fields of any type, or not a
    list): feed items with usable records, unusable items listed as skipped, or ShapeError."""
    TRIED["Daily Papers parser: random JSON"] += 1
    try:
        parsed = parse_daily_papers(answer, day=day)
    except ShapeError as err:
        assert not isinstance(answer, list) and str(err)
        return
    assert len(parsed.items) + len(parsed.skipped) == len(answer)
    assert_sane_records([item.record for item in parsed.items])
    for item in parsed.items:
        assert item.rank >= 1 and (day is None or item.day == day)


def _repo_atoms() -> dict[str, bytes]:
    return repo_files("arxiv_*.atom.xml", READER_DATA)


def _shared_atoms(root: Path) -> dict[str, bytes]:
    return repo_files("*.atom.xml", root / "arxiv")


@fuzz_settings(100)
@given(data=st.data())
def test_arxiv_parser_takes_any_feed(data: st.DataObject) -> None:
    """`parse_feed` on generated feeds (hostile text, odd ids and dates) and mutated sample
    feeds: records, or one error naming where the feed came from."""
    samples = _repo_atoms()
    if data.draw(st.booleans(), label="generated"):
        body = data.draw(fuzz.atom_feeds())
    else:
        name = data.draw(st.sampled_from(sorted(samples)), label="file")
        body = data.draw(fuzz.mutated(samples[name], max_size=MUTATED_MAX), label="bytes")
    TRIED["arXiv parser: generated and mutated feeds"] += 1
    with no_hang(HANG, "parse_feed"):
        try:
            records = parse_feed(body, where="the test feed")
        except PapershelfError as err:
            assert "the test feed" in str(err) and "\n" not in str(err), err
            return
    assert_sane_records(records)
    assert all(r.arxiv_id and r.arxiv_id.isascii() for r in records)


PULL_SUMMARY = re.compile(r"^new (\d+), updated (\d+), unchanged (\d+), failed (\d+)$")


@pytest.fixture
def no_arxiv_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """arXiv's three seconds between requests (tests/reader tests the rule) would make every
    retried 500 cost six."""
    import reader.arxiv

    monkeypatch.setattr(reader.arxiv, "INTERVAL", 0.0)


def check_pull(db: Path, result: Result, host: str) -> None:
    """A pull's property: every paper it says is new is there; what failed is said in lines
    `papershelf: <day or category>: ...`; a pull that got nothing usable wrote no paper."""
    assert "Traceback" not in result.err
    assert result.code in (0, 1, 2, 3), result
    summary = PULL_SUMMARY.match(result.out.strip())
    assert summary, result
    new, failed = int(summary[1]), int(summary[4])
    for line in result.err.splitlines():  # progress lines, and one line per failure, each
        # naming its day (a Daily Papers day, or the day of an arXiv listing) or category
        assert re.match(r"(papershelf: )?(\d{4}-\d\d-\d\d|cs\.CL): ", line), line
    errors = [line for line in result.err.splitlines() if line.startswith("papershelf: ")]
    assert len(errors) == failed, result
    assert (result.code == 0) == (failed == 0), result
    if any(" HTTP " in line for line in errors):
        assert all(host in line for line in errors if " HTTP " in line), errors
    stored = papers(db)
    assert len(stored) == new
    if result.code in (2, 3):  # nothing usable: nothing written
        assert new == 0
    assert all(p["title"] for p in stored)
    assert_db_ok(db)


def _repo_answers() -> dict[str, bytes]:
    return {**repo_files("daily_papers_*.json", READER_DATA), **_repo_atoms()}


def _shared_answers(root: Path) -> dict[str, bytes]:
    return {**repo_files("*.json", root / "hf"), **_shared_atoms(root)}


@pytest.mark.parametrize("corpus", ["repo", "shared"])
def test_pull_takes_any_answer(request: pytest.FixtureRequest, corpus: str,
                               no_arxiv_wait: None) -> None:
    """`papershelf pull --date D` and `pull --source arxiv --category cs.CL` against a
    127.0.0.1 server answering mutated recorded answers, random JSON and generated feeds, with
    HTTP 200, 404 or 500: papers stored for what could be read, each failure one line naming
    the day or category (and the host), nothing written for a day that failed."""
    files = corpus_of(request, corpus, _repo_answers, _shared_answers)
    with local_server() as server:
        env = {"PAPERSHELF_CONFIG": str(WORK[0] / "config.toml"),
               "PAPERSHELF_HF_URL": server.url, "PAPERSHELF_ARXIV_URL": server.url}

        @fuzz_settings(25)
        @given(data=st.data())
        def prop(data: st.DataObject) -> None:
            name = data.draw(st.sampled_from(sorted(files)), label="file")
            arxiv = name.endswith(".xml")
            how = data.draw(st.sampled_from(["mutated", "mutated", "generated"]), label="how")
            if how == "mutated":
                body = data.draw(fuzz.mutated(files[name], max_size=MUTATED_MAX), label="body")
            elif arxiv:
                body = data.draw(fuzz.atom_feeds(), label="body")
            else:
                body = json.dumps(data.draw(fuzz.daily_papers_answers)).encode()
            status = data.draw(st.sampled_from([200, 200, 200, 404, 500]), label="status")
            TRIED[f"papershelf pull: {corpus} answers mutated, random, any status"] += 1
            serve(server, "/api/query" if arxiv else "/api/daily_papers",
                  Reply(status, body, {"Content-Type": "application/atom+xml" if arxiv
                                       else "application/json", "Retry-After": "0"}))
            db = fresh_library()
            args = (["pull", "--source", "arxiv", "--category", "cs.CL", "--max", "50"]
                    if arxiv else ["pull", "--date", DAY.isoformat()])
            with no_hang(HANG, "papershelf pull"):
                result = run_inproc(db, *args, env=env)
            check_pull(db, result, "127.0.0.1")

        prop()


def serve(server: LocalServer, path: str, reply: Reply) -> None:
    server.routes.clear()
    server.add(path, reply)


def _deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


HUGE_PAGES: dict[str, Callable[[], str]] = {
    "10 MB of copied text (cards repeated)": lambda: (
        (READER_DATA / "copied_page.txt").read_text(encoding="utf-8") * 15_000),
    "10 MB of HTML with no data-props": lambda: "<html><body>" + "<p>x</p>" * 1_250_000,
    "10 MB of one line": lambda: "word " * 2_000_000,
    "data-props nested 100,000 deep": lambda: (
        '<html><div data-target="DailyPapers" data-props="' + _deep_json(100_000) + '"></div>'),
    "data-props list nested 100,000 deep": lambda: (
        '<html><div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;: '
        + _deep_json(100_000) + '}"></div>'),
    "NUL bytes in HTML": lambda: saved_page([{"paper": {"id": "2406.00001",
                                                        "title": "A\x00B"}}]).decode(),
    "lone surrogates": lambda: "\udcff Title\n" + "word " * 30 + "\n3 authors\nJun 1, 2024",
}


@pytest.mark.parametrize("what", list(HUGE_PAGES))
def test_saved_page_parser_on_huge_and_odd_input(what: str) -> None:
    TRIED["saved-page parser: 10 MB, nested, NUL, surrogates"] += 1
    _pages_any(HUGE_PAGES[what]())


def _many_daily_papers(n: int, *, words: int, same_title: bool) -> list[dict[str, Any]]:
    item = json.loads((READER_DATA / "daily_papers_new.json").read_bytes())[0]
    item["paper"]["summary"] = "word " * words
    out = []
    for i in range(n):
        one = json.loads(json.dumps(item).replace(item["paper"]["id"], f"2406.{i:05d}"))
        if not same_title:
            one["paper"]["title"] = one["title"] = f"{item['paper']['title']} (part {i})"
        out.append(one)
    return out


HUGE_ANSWERS: dict[str, Callable[[], tuple[str, bytes]]] = {
    "JSON nested 100,000 deep": lambda: ("hf", _deep_json(100_000).encode()),
    "10 MB Daily Papers answer (1,000 papers, long abstracts)": lambda: (
        "hf", json.dumps(_many_daily_papers(1_000, words=2_000, same_title=False)).encode()),
    # 500 papers with one title, one first author and 500 arXiv ids: each is a new paper and
    # needs the next free key; this took 30 s (quadratic) before the matching and key search
    # became one query each.
    "500 papers with the same title and authors": lambda: (
        "hf", json.dumps(_many_daily_papers(500, words=10, same_title=True)).encode()),
    "a 10 MB title": lambda: ("hf", json.dumps([{"paper": {"id": "2406.00001",
                                                           "title": "x" * 10_000_000}}]).encode()),
    "XML nested 100,000 deep": lambda: (
        "arxiv", b'<feed xmlns="http://www.w3.org/2005/Atom">' + b"<a>" * 100_000
        + b"</a>" * 100_000 + b"</feed>"),
    "XML entity expansion (billion laughs)": lambda: (
        "arxiv", b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
                   for i in range(9))
        + b']><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/'
          b"2406.00001</id><title>&j;</title></entry></feed>"),
    "10 MB of XML text": lambda: (
        "arxiv", b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/'
                 b"2406.00001</id><title>T</title><summary>" + b"word " * 2_000_000
                 + b"</summary></entry></feed>"),
    "NUL bytes and invalid UTF-8 in JSON": lambda: (
        "hf", b'[{"paper": {"id": "2406.00001", "title": "A\x00\xff\xfeB"}}]'),
}


@pytest.mark.parametrize("what", list(HUGE_ANSWERS))
def test_pull_of_huge_and_odd_answers(what: str, no_arxiv_wait: None) -> None:
    """A pull answered with 10 MB, deeply nested, NUL-ridden or entity-bomb bodies: papers or
    one line, never a traceback or a hang."""
    TRIED["papershelf pull: 10 MB, nested, NUL, entity bomb"] += 1
    source, body = HUGE_ANSWERS[what]()
    with local_server() as server:
        env = {"PAPERSHELF_CONFIG": str(WORK[0] / "config.toml"),
               "PAPERSHELF_HF_URL": server.url, "PAPERSHELF_ARXIV_URL": server.url}
        serve(server, "/api/query" if source == "arxiv" else "/api/daily_papers",
              Reply(200, body, {"Content-Type": "application/json"}))
        db = fresh_library()
        args = (["pull", "--source", "arxiv", "--category", "cs.CL"] if source == "arxiv"
                else ["pull", "--date", DAY.isoformat()])
        with no_hang(HANG, "papershelf pull"):
            result = run_inproc(db, *args, env=env)
    check_pull(db, result, "127.0.0.1")


def test_read_bibtex_file_refuses_what_is_not_a_file(tmp_path: Path) -> None:
    """The file cases around the parser: a folder, a missing file, an empty file."""
    for path, message in [(tmp_path, f"{tmp_path} is a directory, not a .bib file"),
                          (tmp_path / "missing.bib",
                           f"cannot read {tmp_path / 'missing.bib'}: No such file or directory")]:
        with pytest.raises(BadInput) as raised:
            read_bibtex_file(path)
        assert str(raised.value) == message
    empty = tmp_path / "empty.bib"
    empty.write_bytes(b"")
    with pytest.raises(BadInput, match="not a BibTeX file"):
        read_bibtex_file(empty)


def test_pulling_papers_that_share_a_title_costs_linear_work(no_arxiv_wait: None) -> None:
    """Papers sharing a title, a first author and so a key (500 of them took 30 s, 2,000 took
    11 minutes: each new paper looked at every earlier one, one query each). Counted in SQL
    statements, not seconds: twice the papers, at most a little over twice the statements."""
    from .harness import trace_steps

    steps = {}
    with local_server() as server:
        env = {"PAPERSHELF_CONFIG": str(WORK[0] / "config.toml"), "PAPERSHELF_HF_URL": server.url}
        for n in (40, 80):
            serve(server, "/api/daily_papers", Reply.json(
                _many_daily_papers(n, words=10, same_title=True)))
            db = fresh_library()
            result, recorded = trace_steps(db, "pull", "--date", DAY.isoformat(), env=env)
            assert result.out == f"new {n}, updated 0, unchanged 0, failed 0\n", result
            steps[n] = len(recorded)
    assert steps[80] <= 2.2 * steps[40], steps


def test_a_config_file_nested_too_deep_is_one_line() -> None:
    """The sources' settings (`papershelf pull`) and the app's settings from a config.toml
    nested 100,000 deep: one line naming the file, not a RecursionError."""
    from tui.config import load_config

    config = Path(tempfile.mkdtemp(dir=WORK[0])) / "config.toml"
    config.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    result = run_inproc(fresh_library(), "pull", "--date", DAY.isoformat(),
                        env={"PAPERSHELF_CONFIG": str(config)})
    assert result.code == 2
    assert result.one_error_line() == (f"papershelf: {config}: bad config file: values nested "
                                       "too deeply")
    _settings, problems = load_config(config)
    assert problems == [f"{config}: values nested too deeply; using the defaults"]
