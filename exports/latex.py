"""LaTeX text in BibTeX fields, both ways.

* :func:`to_unicode` turns field text (``Bostr{\\"o}m``, ``\\&``, ``~``, ``{BERT}``) into plain
  Unicode for display. Common accents and escapes are decoded here directly (fast); anything
  else goes through pylatexenc's ``latex2text``. Math (``$...$``) is kept verbatim.
* :func:`encode_text` turns Unicode text from the library into a BibTeX field value: ``& % $ #
  _`` escaped outside math, math left intact, non-ASCII letters as LaTeX (``Bostr{\\"o}m``) for
  classic BibTeX, capitals and acronyms in titles protected with braces (``{BERT}``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexencode import RULE_DICT, UnicodeToLatexConversionRule, UnicodeToLatexEncoder

# ------------------------------------------------------------------ decoding (BibTeX -> Unicode)

_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı", "j": "ȷ",
}
_ESCAPES = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ",
            ",": " ", ";": " ", "-": ""}

# One token of simple LaTeX: an accent command with its argument, a letter command, an escape.
_SYMBOL_ACCENT = r"""\\(?P<sacc>['`^"~=.])\s*(?:\{(?P<sarg>\\?[A-Za-z]?)\}|(?P<sarg2>\\?[A-Za-z]))"""
_LETTER_ACCENT = r"""\\(?P<lacc>[uvHckrdb])(?:\s*\{(?P<larg>\\?[A-Za-z]?)\}|\s+(?P<larg2>\\?[A-Za-z]))"""
_LETTER_CMD = r"\\(?P<let>ss|ae|AE|oe|OE|aa|AA|[oOlLij])(?![A-Za-z])(?:\{\}|[ \t]+)?"
_ESCAPE = r"\\(?P<esc>[&%$#_{} ,;\-])"
_SIMPLE = re.compile("|".join((_SYMBOL_ACCENT, _LETTER_ACCENT, _LETTER_CMD, _ESCAPE)))
_DASHES = re.compile(r"---|--|``|''")
_DASH_MAP = {"---": "\u2014", "--": "\u2013", "``": "\u201c", "''": "\u201d"}

_converter = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=False)


def _base_letter(arg: str) -> str:
    return {"\\i": "i", "\\j": "j"}.get(arg, arg)


def _simple_sub(m: re.Match[str]) -> str:
    if m.group("sacc"):
        arg = _base_letter(m.group("sarg") if m.group("sarg") is not None else m.group("sarg2"))
        return unicodedata.normalize("NFC", arg + _ACCENTS[m.group("sacc")]) if arg else ""
    if m.group("lacc"):
        arg = _base_letter(m.group("larg") if m.group("larg") is not None else m.group("larg2"))
        return unicodedata.normalize("NFC", arg + _ACCENTS[m.group("lacc")]) if arg else ""
    if m.group("let"):
        return _LETTERS[m.group("let")]
    return _ESCAPES[m.group("esc")]


def _fast_decode(text: str) -> str | None:
    """Decode the simple LaTeX most .bib files use, or ``None`` when something else is there."""
    out = _SIMPLE.sub(_simple_sub, text)
    if "\\" in out or "$" in out:
        return None
    out = out.replace("{", "").replace("}", "").replace("~", "\u00a0")
    return _DASHES.sub(lambda m: _DASH_MAP[m.group(0)], out)


@lru_cache(maxsize=65536)
def to_unicode(text: str) -> str:
    """``Bostr{\\"o}m`` -> ``Boström``; ``{BERT}: pre-training`` -> ``BERT: pre-training``.

    Whitespace is kept as is (the caller collapses it where it wants)."""
    if not any(c in text for c in "\\{}~$-`'"):
        return text
    fast = _fast_decode(text)
    if fast is not None:
        return fast
    try:
        return str(_converter.latex_to_text(text))
    except Exception:  # pylatexenc is lenient; never let odd input break an import
        return text.replace("{", "").replace("}", "")


def unescape(text: str) -> str:
    """Only the escapes ``\\_ \\% \\# \\& \\$`` removed (for URLs and identifiers)."""
    return re.sub(r"\\([_%#&$~])", r"\1", text)


def braces_balanced(text: str) -> bool:
    """Whether BibTeX (which ignores backslashes when counting) sees balanced braces."""
    if "{" not in text and "}" not in text:
        return True
    depth = 0
    for c in text:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


# ------------------------------------------------------------------ encoding (Unicode -> BibTeX)

_encoder = UnicodeToLatexEncoder(
    conversion_rules=[
        UnicodeToLatexConversionRule(rule_type=RULE_DICT, rule={
            ord("\u2013"): "--", ord("\u2014"): "---", ord("\u201c"): "``",
            ord("\u201d"): "''", ord("\u2018"): "`", ord("\u2019"): "'",
            ord("\u00a0"): "~",
        }),
        "defaults",
    ],
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
    unknown_char_warning=False,
)

# $...$ with something in it that does not start or end with a space: "$O(n)$", not "$5 or $".
_MATH = re.compile(r"(?<!\\)\$(?!\s)(?:[^$\\]|\\.)+?(?<![\s\\])\$")
_SPECIAL = re.compile(r"(?<!\\)([&%$#_])")
_TILDE_CARET = re.compile(r"(?<!\\)([~^])")
_WORD = re.compile(r"\S+")
_NEEDS_ESCAPE = re.compile(r"[&%$#_~^]")
# A capital after the first letter of a word part, or a capital with a digit: worth a look.
_PROTECT_HINT = re.compile(r"\w[^\W\d_]*[A-Z]|[A-Z]\w*\d|\d\w*[A-Z]|[^\x00-\x7f]")
_WORD_CORE = re.compile(r"^([(\[\"'`]*)(.*?)([)\].,:;!?\"']*)$", re.DOTALL)


def _needs_protection(word: str) -> bool:
    """``BERT``, ``LoRA``, ``GPT-4``, ``mT5``, ``T5``, ``iPhone``: capitals a style must not lower.

    An ordinary capitalised word (``Attention``, ``Low-Rank``) is left to the style."""
    for part in word.split("-"):
        if not part or not any(c.isalpha() for c in part):
            continue
        if any(c.isupper() for c in part[1:]):
            return True
        if part[0].isupper() and any(c.isdigit() for c in part):
            return True
    return False


def _fix_braces(text: str) -> str:
    """Unbalanced braces become text commands, so the field stays readable by BibTeX."""
    if braces_balanced(text):
        return text
    out: list[str] = []
    opened: list[int] = []
    for c in text:
        if c == "{":
            opened.append(len(out))
            out.append(c)
        elif c == "}":
            if opened:
                opened.pop()
                out.append(c)
            else:
                out.append("{\\textbraceright}")
        else:
            out.append(c)
    for index in opened:
        out[index] = "{\\textbraceleft}"
    return "".join(out)


_latex_chars: dict[int, str] = {}


def _to_latex(text: str) -> str:
    """Non-ASCII characters as LaTeX (pylatexenc's table), one character at a time, cached."""
    text = unicodedata.normalize("NFC", text)
    for c in set(text):
        if ord(c) > 127 and ord(c) not in _latex_chars:
            _latex_chars[ord(c)] = _char_to_latex(c)
    return text.translate(_latex_chars)


_COMBINING = {mark: cmd for cmd, mark in _ACCENTS.items()}


def _char_to_latex(c: str) -> str:
    latex = str(_encoder.unicode_to_latex(c))
    if latex != c:
        return latex
    # pylatexenc has no rule (e.g. Vietnamese "ễ"): base letter with its accents nested.
    decomposed = unicodedata.normalize("NFD", c)
    base, marks = decomposed[0], decomposed[1:]
    if not base.isascii() or not marks or any(m not in _COMBINING for m in marks):
        return c
    out = base
    for mark in marks:
        cmd = _COMBINING[mark]
        out = f"\\{cmd}{{{out}}}"
    return "{" + out + "}"


def _encode_plain(text: str, *, ascii_only: bool) -> str:
    """Text outside math: specials escaped, non-ASCII as LaTeX when ``ascii_only``."""
    if _NEEDS_ESCAPE.search(text):
        text = _SPECIAL.sub(r"\\\1", text)
        text = _TILDE_CARET.sub(lambda m: "{\\textasciitilde}" if m.group(1) == "~"
                                else "{\\textasciicircum}", text)
    if ascii_only and not text.isascii():
        text = _to_latex(text)
    return text


def _encode_words(text: str, *, ascii_only: bool, protect: bool) -> str:
    if not protect or not _PROTECT_HINT.search(text):
        return _encode_plain(text, ascii_only=ascii_only)
    out: list[str] = []
    last = 0
    for m in _WORD.finditer(text):
        out.append(text[last:m.start()])
        last = m.end()
        word = m.group(0)
        core_match = _WORD_CORE.match(word)
        assert core_match is not None
        lead, core, trail = core_match.groups()
        if core and "{" not in core and "\\" not in core and _needs_protection(core):
            out.append(_encode_plain(lead, ascii_only=ascii_only) + "{"
                       + _encode_plain(core, ascii_only=ascii_only) + "}"
                       + _encode_plain(trail, ascii_only=ascii_only))
        else:
            out.append(_encode_plain(word, ascii_only=ascii_only))
    out.append(text[last:])
    return "".join(out)


_ANY_SPECIAL = re.compile(r"[&%$#_~^{}\\]")


@lru_cache(maxsize=65536)
def encode_text(text: str, *, ascii_only: bool = True, protect: bool = False) -> str:
    """A field value for Unicode ``text``: specials escaped, math kept, accents as LaTeX when
    ``ascii_only`` (classic BibTeX), capitals protected when ``protect`` (titles)."""
    if text.isascii() and not _ANY_SPECIAL.search(text) and (
            not protect or not _PROTECT_HINT.search(text)):
        return text
    parts: list[str] = []
    last = 0
    for m in _MATH.finditer(text):
        parts.append(_encode_words(text[last:m.start()], ascii_only=ascii_only, protect=protect))
        parts.append(m.group(0))
        last = m.end()
    parts.append(_encode_words(text[last:], ascii_only=ascii_only, protect=protect))
    return _fix_braces("".join(parts))


def encode_verbatim(text: str) -> str:
    """URLs, DOIs and ids: written as they are, only unbalanced braces made safe."""
    return _fix_braces(text)
