"""Hypothesis strategies for hostile input, shared by the reliability suite: ``nasty`` text
(NUL, lone surrogates, quotes, SQL, LaTeX, long fields) and ``mutated`` bytes (a real fixture
cut, flipped, nested, padded up to 10 MB) for the parsers of issues 3, 4 and 5."""

from __future__ import annotations

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
