"""Hypothesis strategies for hostile input, shared by the reliability suite: ``nasty`` text
(NUL, lone surrogates, quotes, SQL, LaTeX, long fields), ``mutated`` bytes (a real fixture
cut, flipped, nested, padded up to 10 MB), structured garbage (``json_values``,
``daily_papers_answers``, ``atom_feeds``, ``bib_files``), the suite's hypothesis settings and a
guard against hangs (``no_hang``)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SPECIALS = [
    "'", '"', ";", "';", "'); DROP TABLE paper; --", "Robert'); DELETE FROM tag;--", "\x00",
    "a\x00b", "\udcff", "bad \udcfe title", "%s", "?", ":name", "$1", "\\", "{", "}", "{{{{}}",
    "\\\"o", "$O(n)$", "\u202e", "\ufeff", "İ", "ß", "ǅ", "  ", "\n", "\t", "\r\n", "--", "/*",
    "*/", "NULL", "null", "0x00", "\\x00", "😀", "\U0010ffff", "\u0301", "a" * 5000,
]
alphabet = st.one_of(st.characters(), st.characters(categories=["Cs"]),
                     st.sampled_from(list("\x00'\";\\{}$%&#_~^\n\t\r\u2028\u00a0İß,+-")))
nasty = st.one_of(
    st.text(alphabet, max_size=40),
    st.sampled_from(SPECIALS),
    st.lists(st.sampled_from(SPECIALS), min_size=1, max_size=4).map("".join),
    st.text(alphabet, min_size=1, max_size=8).map(lambda s: s * 2000),  # long fields
)

# What mutations splice into a file: NUL, invalid UTF-8, a lone surrogate's bytes, braces nested
# deep, quotes and backslashes, JSON and XML breakers.
SPLICES = [b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"{" * 10_000, b"}" * 10_000, b'"', b"\\",
           b"@", b",", b"</entry>", b"<entry>", b"]]>", b'{"a":', b"null", b"&amp;", b"\r\n"]


@st.composite
def mutated(draw: st.DrawFn, original: bytes, *, max_size: int = 10_000_000) -> bytes:
    """``original`` changed the ways real files get damaged: cut short, bytes flipped, a range
    dropped or repeated, hostile bytes spliced in, or padded to a huge size."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "flip", "drop", "repeat", "splice", "huge"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "cut":
            del data[max(at, 1):]
        elif kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "drop":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 500))] * draw(st.integers(2, 50))
        elif kind == "splice":
            data[at:at] = draw(st.sampled_from(SPLICES))
        elif kind == "huge" and data:
            data = data * max(1, min(max_size, 10_000_000) // len(data))
    return bytes(data[:max_size])


# ---------------------------------------------------------------- settings and guards

IN_CI = os.environ.get("CI", "").lower() == "true"


def examples(default: int) -> int:
    """Examples per property: ``default``, or PAPERSHELF_FUZZ_EXAMPLES for a longer hunt."""
    return int(os.environ.get("PAPERSHELF_FUZZ_EXAMPLES", default))


def fuzz_settings(default_examples: int) -> settings:
    """Modest counts (the suite stays near two minutes); no per-example deadline (a loaded
    machine makes those flaky: :func:`no_hang` catches hangs instead); in CI (CI=true) the
    examples are derandomized, so a run there is reproducible."""
    return settings(max_examples=examples(default_examples), deadline=None, derandomize=IN_CI,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.large_base_example])


class Hang(BaseException):
    """Raised into code that ran past its time (a BaseException: no ``except Exception`` in
    the product swallows it)."""


@contextmanager
def no_hang(seconds: float, what: str) -> Iterator[None]:
    """Fail with :class:`Hang` if the block runs longer than ``seconds`` (SIGALRM; main thread
    only). Generous limits: this catches hangs, it does not time anything. The alarm repeats
    every second after that: raised inside a garbage-collector callback or a ``__del__``,
    Python only prints the exception and goes on."""
    def fire(_signum: int, _frame: Any) -> None:
        raise Hang(f"{what}: still running after {seconds:g} s (a hang?)")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------- structured garbage

# JSON of any shape; strings may hold NULs, lone surrogates (JSON can escape them), quotes.
json_scalars = st.one_of(st.none(), st.booleans(),
                         st.integers() | st.sampled_from([2**63, -(2**63) - 1, 10**30]),
                         st.floats(allow_nan=False, allow_infinity=False), nasty)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12)

arxiv_ids = st.from_regex(r"\A(\d{4}\.\d{4,5}|[a-z\-]{2,8}/\d{7})(v\d{1,2})?\Z")
iso_times = st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"),
                      st.dates().map(str), nasty)


def _or_junk(proper: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the proper kind of value, sometimes anything at all."""
    return st.one_of(proper, proper, proper, json_values)


daily_papers_items = st.fixed_dictionaries(
    {"paper": _or_junk(st.fixed_dictionaries(
        {"id": _or_junk(arxiv_ids), "title": _or_junk(nasty)},
        optional={
            "authors": _or_junk(st.lists(_or_junk(st.fixed_dictionaries(
                {"name": _or_junk(nasty)}, optional={"hidden": st.booleans()})), max_size=4)),
            "summary": _or_junk(nasty),
            "publishedAt": _or_junk(iso_times),
            "submittedOnDailyAt": _or_junk(iso_times),
            "upvotes": _or_junk(st.integers()),
            "ai_summary": _or_junk(nasty),
            "ai_keywords": _or_junk(st.lists(nasty, max_size=3)),
            "githubRepo": _or_junk(nasty),
            "projectPage": _or_junk(nasty),
        }))},
    optional={"publishedAt": _or_junk(iso_times), "title": _or_junk(nasty),
              "summary": _or_junk(nasty), "numComments": _or_junk(st.integers())})
# What /api/daily_papers may answer: a list of items (or of anything), or any JSON at all.
daily_papers_answers = st.one_of(st.lists(daily_papers_items, max_size=6),
                                 st.lists(_or_junk(daily_papers_items), max_size=4), json_values)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def atom_feeds(draw: st.DrawFn) -> bytes:
    """An arXiv API answer: a feed of entries with hostile text (XML-escaped, but NULs and
    lone surrogates make it malformed, as a broken server would), odd ids and dates."""
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        ident = draw(_or_junk(arxiv_ids))
        parts = [f"<id>http://arxiv.org/abs/{_xml_text(str(ident))}</id>",
                 f"<title>{_xml_text(str(draw(nasty)))}</title>",
                 f"<summary>{_xml_text(str(draw(nasty)))}</summary>",
                 f"<published>{_xml_text(str(draw(iso_times)))}</published>",
                 f"<updated>{_xml_text(str(draw(iso_times)))}</updated>"]
        parts += [f"<author><name>{_xml_text(draw(nasty))}</name></author>"
                  for _ in range(draw(st.integers(0, 3)))]
        parts += [f'<category term="{_xml_text(draw(nasty)).replace(chr(34), "&quot;")}"/>'
                  for _ in range(draw(st.integers(0, 2)))]
        if draw(st.booleans()):
            parts.append(f"<arxiv:doi>{_xml_text(draw(nasty))}</arxiv:doi>")
        entries.append("<entry>" + "".join(draw(st.permutations(parts))) + "</entry>")
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom"><title>query</title>'
            + "".join(entries) + "</feed>")
    return text.encode("utf-8", errors="surrogatepass")


# BibTeX: entries, @string/@comment/@preamble, values with braces nested deep, quotes, `#`
# concatenation, macros, LaTeX, hostile text; and junk between them.
_bib_chars = st.text(st.one_of(st.characters(blacklist_categories=["Cs"]),
                               st.sampled_from(list("{}\"\\@,=#%$&_^~\n\x00"))), max_size=20)
_bib_braced = st.recursive(_bib_chars, lambda inner: st.lists(inner, max_size=3).map(
    lambda xs: "{" + "".join(xs) + "}"), max_leaves=8)
_bib_values = st.one_of(
    _bib_braced.map(lambda v: "{" + v + "}"),
    _bib_chars.map(lambda v: '"' + v.replace('"', "") + '"'),
    st.integers(-5, 10**12).map(str),
    st.sampled_from(["jan", "feb", "dec", "nips", "undefinedmacro", "{}", '""', "{{{{x}}}}"]),
    st.lists(st.sampled_from(['"a"', "{b}", "jan", "2020", "nips"]), min_size=2, max_size=4)
    .map(" # ".join),
    st.sampled_from(["{" * 5000 + "deep" + "}" * 5000, "{" + "x" * 20_000 + "}",
                     "{Bostr{\\\"o}m and M{\\\"u}ller, Ann and {Barnes and Noble}}",
                     "{$\\alpha$-{\\'e}t{\\`a}}", "{\\" + "\\" * 300 + "}"]),
)
_bib_fields = st.lists(st.tuples(
    st.one_of(st.sampled_from(["title", "author", "editor", "year", "journal", "booktitle",
                               "doi", "eprint", "archivePrefix", "primaryClass", "url", "month",
                               "pages", "abstract", "crossref", "keywords", "Title", "AUTHOR"]),
              st.from_regex(r"\A[a-zA-Z][\w\-]{0,12}\Z")),
    _bib_values), max_size=7)


@st.composite
def bib_files(draw: st.DrawFn) -> str:
    blocks = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["entry", "entry", "entry", "string", "comment", "preamble",
                                     "junk"]))
        if kind == "entry":
            etype = draw(st.sampled_from(["article", "inproceedings", "misc", "book", "Article",
                                          "online", "weird-type", ""]))
            key = draw(st.one_of(st.from_regex(r"\A[\w:\-./+]{1,20}\Z"), nasty, st.just("")))
            body = ",\n".join(f"  {name} = {value}" for name, value in draw(_bib_fields))
            close = draw(st.sampled_from(["\n}", "\n}", "\n)", "", ",\n}"]))
            opener = "(" if close.endswith(")") else "{"
            blocks.append(f"@{etype}{opener}{key},\n{body}{close}")
        elif kind == "string":
            blocks.append(f"@string{{{draw(st.from_regex(r'[a-z]{1,6}', fullmatch=True))} = "
                          f"{draw(_bib_values)}}}")
        elif kind == "comment":
            blocks.append(f"@comment{{{draw(_bib_chars)}}}")
        elif kind == "preamble":
            blocks.append(f"@preamble{{{draw(_bib_values)}}}")
        else:
            blocks.append(draw(st.one_of(nasty, _bib_chars)))
    return "\n\n".join(blocks)
