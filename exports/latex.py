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
    pieces = _MATH_SPAN.split(text)
    if len(pieces) > 1:
        # An abstract with a little math: the math is kept as written (as pylatexenc keeps it),
        # and the prose around it takes the fast path when it can. pylatexenc is slow on long
        # text: a 10,000-entry .bib of such abstracts spent most of its import there.
        return "".join(piece if i % 2 else to_unicode(piece) for i, piece in enumerate(pieces))
    return _slow(text)


_MATH_SPAN = re.compile(r"((?<!\\)\$[^$]+(?<!\\)\$)")


def _slow(text: str) -> str:
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


# Terminal and bidi controls: never meaningful in a .bib field, and a title holding ESC
# sequences must not reach a terminal through ``export`` to stdout. Tab and newline stay.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                       "\u2066-\u2069]")


def drop_controls(text: str) -> str:
    """``text`` without C0/C1 control characters (but tab and newline), DEL and bidi controls."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


@lru_cache(maxsize=65536)
def encode_text(text: str, *, ascii_only: bool = True, protect: bool = False) -> str:
    """A field value for Unicode ``text``: specials escaped, math kept, accents as LaTeX when
    ``ascii_only`` (classic BibTeX), capitals protected when ``protect`` (titles); control
    characters dropped and source control sequences made inert (see :func:`inert`)."""
    text = drop_controls(text)
    if text.isascii() and not _ANY_SPECIAL.search(text) and (
            not protect or not _PROTECT_HINT.search(text)):
        return text
    parts: list[str] = []
    last = 0
    # Text from a source is data: its control sequences are made inert (see inert) before
    # encoding, so that only the encoder's own LaTeX (accents, escapes) acts.
    for m in _MATH.finditer(text):
        parts.append(_encode_words(inert(text[last:m.start()], math=False),
                                   ascii_only=ascii_only, protect=protect))
        parts.append(inert(m.group(0), math=True))
        last = m.end()
    parts.append(_encode_words(inert(text[last:], math=False), ascii_only=ascii_only,
                               protect=protect))
    return _fix_braces("".join(parts))


def encode_verbatim(text: str) -> str:
    """URLs, DOIs and ids: written as they are, only unbalanced braces made safe and any
    backslash (or ``^^``) percent-encoded, so no control sequence can act."""
    return _fix_braces(inert(drop_controls(text), verbatim=True))


# ------------------------------------------------------------------ making field text inert

# What a field may keep: the accents, letters and symbols of text, the text styles, and the
# math people write in titles. Any other control sequence (\input, \include, \write, \write18,
# \immediate, \openout, \openin, \read, \catcode, \csname, \def, \let, \edef, \gdef, \newcommand,
# \renewcommand, \expandafter, \scantokens, \begin, \end, \verb, \special, \url's cousins that
# run things, ...) is written as its name preceded by a printed backslash: visible, inert.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TEXT_WORDS = _words("""
u v H c k r d b t G ss ae AE oe OE aa AA o O l L i j ng NG dh DH th TH dj DJ
textbraceleft textbraceright textasciitilde textasciicircum textbackslash textbar textless
textgreater textquotedbl textquotesingle textendash textemdash textbullet textdegree
textregistered texttrademark textcopyright textsection textparagraph textdagger
textdaggerdbl textperiodcentered textellipsis textexclamdown textquestiondown textunderscore
textquotedblleft textquotedblright textquoteleft textquoteright textcelsius textmu textohm
textonehalf textonequarter textthreequarters texttimes textdiv textpm textminus
dag ddag S P pounds euro copyright dots ldots slash guillemotleft guillemotright
guilsinglleft guilsinglright quotedblbase quotesinglbase i j
emph textit textbf textsc texttt textrm textsf textsl textup textmd textnormal
textsuperscript textsubscript mbox em it bf sc tt rm sf sl up md normalfont url nolinkurl
TeX LaTeX LaTeXe BibTeX relax space nobreakspace enspace thinspace quad qquad hfill
""")
_MATH_WORDS = _words("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda
mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega digamma
sum prod coprod int iint iiint oint bigcup bigcap bigoplus bigotimes bigvee bigwedge
lim liminf limsup sup inf max min log ln lg exp sin cos tan cot sec csc arcsin arccos arctan
sinh cosh tanh coth arg det dim ker deg gcd Pr hom mod bmod pmod
leq geq le ge neq ne approx sim simeq cong equiv propto ll gg lll ggg prec succ preceq succeq
subset subseteq supset supseteq subsetneq supsetneq in notin ni cup cap setminus sqcup sqcap
forall exists nexists neg lnot land lor wedge vee oplus ominus otimes oslash odot circ cdot
cdots ldots vdots ddots times div pm mp ast star bullet infty partial nabla emptyset varnothing
prime backprime to gets rightarrow leftarrow Rightarrow Leftarrow leftrightarrow
Leftrightarrow longrightarrow longleftarrow Longrightarrow Longleftarrow mapsto longmapsto
uparrow downarrow Uparrow Downarrow updownarrow hookrightarrow hookleftarrow rightharpoonup
leftharpoonup rightleftharpoons implies impliedby iff mid nmid parallel nparallel perp top bot
vdash dashv models ell hbar Re Im aleph beth wp angle triangle square blacksquare diamond
lozenge checkmark dagger ddagger sharp flat natural clubsuit heartsuit spadesuit diamondsuit
frac dfrac tfrac cfrac sqrt binom dbinom tbinom choose over atop
left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr
langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert backslash lbrace
rbrace lbrack rbrack colon
mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr mathbbm boldsymbol bm
operatorname text textrm mathnormal cal bf rm it
hat widehat tilde widetilde bar overline underline vec overrightarrow overleftarrow dot ddot
dddot breve check acute grave mathring overbrace underbrace stackrel overset underset
xrightarrow xleftarrow not limits nolimits displaystyle textstyle scriptstyle
scriptscriptstyle mathop mathbin mathrel ensuremath phantom hphantom vphantom
quad qquad enspace thinspace medspace thickspace negthinspace
""")
ALLOWED_WORDS = _TEXT_WORDS | _MATH_WORDS
# Control symbols: accents, escapes, spaces, line break, math delimiters.
ALLOWED_SYMBOLS = frozenset("\\&%$#_{}'`^\"~=.,;:! -/|()[]")

_CONTROL = re.compile(r"\\([A-Za-z@]+|[^A-Za-z@]?)", re.DOTALL)
_CARET_RUN = re.compile(r"\^{2,}")  # TeX reads ^^5c as a backslash: runs of ^ are broken


def _math_spans(text: str) -> list[bool]:
    """For each control sequence start in ``text``, nothing; returns a per-character flag:
    whether that character is inside math ($...$, \\(...\\), \\[...\\])."""
    inside = [False] * len(text)
    math = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "([":
                math = True
            elif nxt in ")]":
                inside[i] = inside[i + 1] = math
                math = False
                i += 2
                continue
            inside[i] = inside[i + 1] = math
            i += 2
            continue
        if c == "$":
            math = not math
        inside[i] = math
        i += 1
    return inside


def _break_carets(text: str, math: bool | None = None) -> str:
    """Every run of two or more ``^`` (TeX's ``^^5c`` is a backslash) made harmless: in math
    the first stays a superscript and the others become ``{\\wedge}``; in text each becomes a
    printed circumflex ``\\^{}``."""
    if "^^" not in text:
        return text
    inside = _math_spans(text) if math is None else [math] * len(text)
    out: list[str] = []
    last = 0
    for m in _CARET_RUN.finditer(text):
        out.append(text[last:m.start()])
        run = len(m.group(0))
        out.append("^" + "{\\wedge}" * (run - 1) if inside[m.start()] else "\\^{}" * run)
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def inert(text: str, *, verbatim: bool = False, math: bool | None = None) -> str:
    """A BibTeX field value that LaTeX can only typeset, never act on.

    Control sequences not in :data:`ALLOWED_WORDS` / :data:`ALLOWED_SYMBOLS` become a printed
    backslash and their name (``{\\textbackslash}input`` in text, ``\\backslash\\mathrm{input}``
    in math); ``^^`` (TeX's way to write any character, a backslash included) is broken up.
    ``verbatim`` fields (url, doi, eprint, ...) have no business holding a backslash at all:
    each becomes ``%5C``. ``math`` says the whole text is math (or is not); by default
    ``$...$``, ``\\(...\\)`` and ``\\[...\\]`` are found in it. Idempotent, and a no-op on text
    without ``\\`` or ``^^``."""
    if "\\" not in text and "^^" not in text:
        return text
    if verbatim:
        return text.replace("\\", "%5C").replace("^", "%5E") if "^^" in text else \
            text.replace("\\", "%5C")
    inside = _math_spans(text) if math is None else [math] * len(text)
    out: list[str] = []
    last = 0
    for m in _CONTROL.finditer(text):
        name = m.group(1)
        if name in ALLOWED_WORDS:
            continue
        if len(name) == 1 and not (name.isalpha() or name == "@") and name in ALLOWED_SYMBOLS \
                and not (name == "^" and text.startswith("^", m.end())):
            continue  # (\^ followed by ^ is not the circumflex accent but ^^ notation)
        out.append(text[last:m.start()])
        shown = "" if name == "^" else name
        if inside[m.start()]:
            out.append("\\backslash" + (f"\\mathrm{{{shown}}}" if shown.strip() else "{}"))
        else:
            out.append("{\\textbackslash}" + shown)
        last = m.end()
    out.append(text[last:])
    return _break_carets("".join(out), math)
