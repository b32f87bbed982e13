"""Export makes hostile text inert: titles, authors and abstracts pulled from a (hostile) Daily
Papers server are exported, run through ``bibtex`` and then ``latex -no-shell-escape`` on a tiny
document, and LaTeX reads and writes no file but its own; math and accents still work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI, CliRunnerFn
from tests.support.local_server import Reply, local_server

pytestmark = pytest.mark.toolchain
DAY = "2024-06-16"
DOC = r"""\documentclass{article}
\begin{document}
Cited: \nocite{*}
\bibliographystyle{plain}
\bibliography{refs}
\end{document}
"""


@pytest.fixture(scope="module")
def tex() -> None:
    missing = [t for t in ("bibtex", "latex") if shutil.which(t) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true but {' and '.join(missing)} not installed")
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: texlive-latex-base)")


def hostile_titles(canary: Path, out: Path) -> list[str]:
    c = canary.as_posix()
    return [
        rf"Reading \input{{{c}}} at run time",
        rf"Including \include{{{c}}} too",
        r"Shell $\immediate\write18{touch pwned-shell}$ escape",
        rf"Open \immediate\openout5={out.as_posix()} \immediate\write5{{x}}\immediate\closeout5 out",
        rf"Catcodes \catcode`\^^5c=12 and ^^5cinput{{{c}}} again",
        rf"Names \csname input\endcsname{{{c}}} and \def\x{{\input{{{c}}}}}\x{{}} defs",
        rf"Let \let\foo=\input \foo{{{c}}} \expandafter\input\expandafter{{{c}}}",
        rf"Math $\input{{{c}}}$ and $^^5cinput{{{c}}}$",
        r"Scaling Laws for $O(n^2)$ Attention in Bostr\"om's $\alpha$-Nets",
    ]


def latex_run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def compile_doc(folder: Path) -> tuple[str, set[str], set[str], str]:
    """latex, bibtex, latex: (bbl, files read, files written, log)."""
    (folder / "doc.tex").write_text(DOC, encoding="utf-8")
    latex = ["latex", "-no-shell-escape", "-interaction=nonstopmode", "-recorder", "doc.tex"]
    latex_run(folder, *latex)
    bib = latex_run(folder, "bibtex", "doc")
    assert "I couldn't open" not in bib.stdout, bib.stdout
    latex_run(folder, *latex)
    reads, writes = set(), set()
    for line in (folder / "doc.fls").read_text(encoding="utf-8").splitlines():
        kind, _, name = line.partition(" ")
        if kind == "INPUT":
            reads.add(name)
        elif kind == "OUTPUT":
            writes.add(name)
    return ((folder / "doc.bbl").read_text(encoding="utf-8"), reads, writes,
            (folder / "doc.log").read_text(encoding="utf-8", errors="replace"))


def own(folder: Path, names: set[str]) -> set[str]:
    """The names that are not TeX's own files (its distribution) nor the document's."""
    return {n for n in names if not n.startswith("/usr/share/") and "texmf" not in n
            and not Path(n).name.startswith("doc.") and Path(n).name != "refs.bib"}


def test_export_of_hostile_source_text_is_inert_in_latex(
        tex: None, cli: CliRunnerFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "paper"
    folder.mkdir()
    canary = tmp_path / "canary.tex"
    canary.write_text("CANARY-WAS-READ\n", encoding="utf-8")
    out = folder / "pwned-openout.txt"
    titles = hostile_titles(canary, out)
    items = [{"paper": {"id": f"2406.{10001 + i}", "title": t,
                        "summary": rf"Abstract \input{{{canary.as_posix()}}} $x^2$",
                        "authors": [{"name": rf"Eve \input{{{canary.as_posix()}}} Hacker"},
                                    {"name": "Nick Boström"}],
                        "publishedAt": f"{DAY}T00:00:00.000Z", "upvotes": 10 - i},
              "publishedAt": f"{DAY}T00:00:00.000Z", "numComments": 0}
             for i, t in enumerate(titles)]
    with local_server() as srv:
        srv.add("/api/daily_papers", Reply.json(items))
        monkeypatch.setenv("PAPERSHELF_HF_URL", srv.url)
        assert cli("pull", "--date", DAY).code == 0
    r = cli("export", "--all", "-o", str(folder / "refs.bib"))
    assert r.code == 0, r.err
    bbl, reads, writes, log = compile_doc(folder)
    assert bbl.count("\\bibitem") == len(titles)
    # Nothing but TeX's own files and the document's were read or written; nothing ran.
    assert own(folder, reads) == set(), reads
    assert own(folder, writes) == set(), writes
    assert not out.exists() and not (folder / "pwned-shell").exists()
    assert "CANARY-WAS-READ" not in log and "runsystem" not in log
    for dangerous in ("\\input", "\\include", "\\write", "\\openout", "\\catcode", "\\csname",
                      "\\def", "\\let", "\\expandafter", "\\immediate", "^^5c"):
        assert dangerous not in bbl, dangerous
    # The document compiles without a single error...
    assert [ln for ln in log.splitlines() if ln.startswith("!")] == []
    # ...and what users rely on still works: math and accents reach the .bib and .bbl as LaTeX.
    written = (folder / "refs.bib").read_text(encoding="utf-8")
    assert "{Scaling Laws for $O(n^2)$ Attention in Bostr\\\"om's $\\alpha$-Nets}" in written
    assert "$\\alpha$" in bbl and "Bostr{\\\"o}m" in bbl
    assert "{\\textbackslash}input" in bbl  # the attack is visible, as text


def test_the_same_document_does_read_raw_hostile_text(tex: None, tmp_path: Path) -> None:
    """The check above can fail: the raw text, written to a .bib as it came, is read by LaTeX."""
    folder = tmp_path / "paper"
    folder.mkdir()
    canary = tmp_path / "canary.tex"
    canary.write_text("CANARY-WAS-READ\n", encoding="utf-8")
    (folder / "refs.bib").write_text(
        "@misc{raw, title = {" + hostile_titles(canary, folder / "x.txt")[0]
        + "}, author = {Eve}, year = {2024}}\n", encoding="utf-8")
    _bbl, reads, _writes, _log = compile_doc(folder)
    assert str(canary) in own(folder, reads)


def test_export_to_stdout_carries_no_terminal_control(cli: CliRunnerFn) -> None:
    title = "Clip\x1b]52;c;ZWNobyBwd25lZA==\x07board \x1b[2J\u202eevil\x9b31m \x08\x08 end"
    assert cli("add", f"--title={title}", "--author=Eve\x1b]0;pwned\x07 Hacker").code == 0
    for style in ("bibtex", "biblatex"):
        r = cli("export", "--all", "--style", style)
        assert r.code == 0, r.err
        bad = [c for c in r.out if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f
               or c in "\u202e\u2066\u2069"]
        assert bad == [], (style, r.out)
        assert "]52;c;ZWNobyBwd25lZA==board" in r.out  # the text stays, only controls go
