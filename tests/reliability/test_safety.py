"""Safety: SQL is always parameterised (hostile titles, tags, notes and keys are stored as data,
never run), the data folder is created readable by its owner only, and (waiting for issues 4 and
6) file names from paper data are sanitised and only http(s) links reach the browser."""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from storage.migrations import latest_version

from .harness import REPO, Result, clean_env, dump, run_inproc

pytestmark = pytest.mark.slow  # the reliability suite is left out of the fast lane

HOSTILE_TITLE = "Robert'); DROP TABLE paper; --"
HOSTILE_AUTHOR = "Miles O'Brien; DELETE FROM paper_author"
HOSTILE_TAG = "x'; DROP TABLE tag; --"
HOSTILE_NOTE = "'; UPDATE paper SET title = 'pwned' WHERE 1; --\n\"quoted\" -- /* comment */"
HOSTILE_QUOTE = "\"; DELETE FROM note; --"


def test_hostile_text_is_stored_as_text(db_path: Path) -> None:
    """Quotes, `;`, comments and SQL in every field a user types: stored and shown exactly, the
    tables all still there, and rm + undo (whose log is SQL text) give back the same bytes."""
    added = run_inproc(db_path, "add", f"--title={HOSTILE_TITLE}", f"--author={HOSTILE_AUTHOR}",
                       "--author=Ann Lee", f"--tag={HOSTILE_TAG}", f"--venue={HOSTILE_NOTE}",
                       "--json")
    assert added.code == 0, added
    key = added.json()["key"]
    assert key == "paperauthorrobert"  # the last word of the first author, as any name
    assert run_inproc(db_path, "note", key, f"--message={HOSTILE_NOTE}",
                      f"--quote={HOSTILE_QUOTE}").code == 0
    assert run_inproc(db_path, "tags", "rename", HOSTILE_TAG, "y'); DROP TABLE note; --").code == 0
    shown = run_inproc(db_path, "show", key, "--json").json()
    assert shown["title"] == HOSTILE_TITLE
    assert shown["authors"] == [HOSTILE_AUTHOR, "Ann Lee"]
    assert shown["venue"] == HOSTILE_NOTE
    assert shown["tags"] == ["y'); DROP TABLE note; --"]
    assert [(n["body"], n["quote"]) for n in shown["notes"]] == [(HOSTILE_NOTE, HOSTILE_QUOTE)]
    listed = run_inproc(db_path, "list", "--tag", "y'); DROP TABLE note; --", "--json").json()
    assert [p["key"] for p in listed] == [key]
    # Search queries with quotes, `;` and SQL: words and qualifiers, bound as values (the
    # DELETE query finds the paper because its author, venue and note hold those words).
    for query, found in [(HOSTILE_TITLE, [key]), ("tag:\"y'); DROP TABLE note; --\"", [key]),
                         ("author:o'brien; DELETE", [key]),
                         ("'; VACUUM; --", []), ("'; DELETE FROM paper WHERE 1; --", [key]),
                         ("source:x';--", None), ("\" OR 1=1 --", [])]:
        result = run_inproc(db_path, "search", "--json", "--", query)
        if found is None:  # not a source name: refused, naming it
            assert result.one_error_line().startswith("papershelf: bad source \"x';--\" in ")
            continue
        assert result.code == 0, (query, result)
        assert [p["key"] for p in result.json()] == found, query
    # Named by hostile text: found by nothing, refused with one line.
    for args in (["show", "1; DROP TABLE paper"], ["tag", "' OR 1=1 --", "+x"],
                 ["rm", "--yes", "x' OR '1'='1"]):
        refused = run_inproc(db_path, *args)
        assert refused.code == 2 and refused.one_error_line().startswith(
            "papershelf: no paper with key or id ")
    # Keys are BibTeX keys: hostile text is refused, not stored.
    rekey = run_inproc(db_path, "key", key, "a';DROP TABLE paper;--")
    assert rekey.one_error_line() == ("papershelf: key \"a';DROP TABLE paper;--\" may only use "
                                      "ASCII letters, digits and _ : - . + /")
    before = dump(db_path)
    assert run_inproc(db_path, "rm", "--yes", key).code == 0
    assert run_inproc(db_path, "undo").code == 0
    assert run_inproc(db_path, "show", key, "--json").json() == shown
    after = dump(db_path)
    assert {t: v for t, v in after.items() if not t.startswith("undo")} == \
        {t: v for t, v in before.items() if not t.startswith("undo")}
    check = run_inproc(db_path, "db", "check")
    assert check.code == 0 and check.out.endswith(f"(schema {latest_version()}, 1 paper)\n")


# Names that may be formatted into SQL text: they come from code (table and column names,
# pragmas' numbers), never from data. A new f-string in an execute() call fails this test until
# its value is bound as a parameter or, being a name from code, added here.
SAFE_SQL_NAMES = {
    "storage/migrations.py": {"table", "kind", "kind.upper()", "when", "open_action", "sql",
                              "APPLICATION_ID", "version",
                              # schema 2 (search): column lists, FTS table and trigger names,
                              # trigger bodies, all built from the module's constants
                              "text", "cols", "name", "', '.join(columns)", "V2_TOKENIZE",
                              "extra", "' '.join(ins)", "' '.join(dele)", "bump", "body"},
    "storage/db.py": {"int(BUSY_TIMEOUT_S * 1000)"},
    # The columns the merge index reads (a constant of storage.ops); match_record's WHERE
    # clauses (fixed texts like "arxiv_id = ?", values bound) and its "?, ?, ?" lists.
    "storage/merging.py": {"_INFO_COLUMNS"},
    "storage/ops.py": {"_INFO_COLUMNS", "where", "marks", "','.join('?' * len(full))"},
    # "?, ?, ?" placeholder lists, a constant subquery, and per_week's two column names.
    "storage/views.py": {"marks", "_DISMISSED", "column"},
    # Column and FTS table names from constants; trigger names read back from the schema.
    # docs(): the column names the scorer asks for (constants of the module).
    "storage/search.py": {"_DOC_COLUMNS", "cols", "name", "table", "', '.join(fields)",
                          "', '.join(columns)"},
    # PostgreSQL: the one table name ids_given is called with ("paper", a literal of ops.py),
    # the change channel's constant, and copy's table names from the models' metadata and
    # trigger names read back from sqlite_master.
    "storage/backend.py": {"table"},
    "storage/pg.py": {"WRITE_LOCK"},  # the advisory lock's number, a constant
    "storage/changes_pg.py": {"CHANNEL"},
    "storage/copy.py": {"name"},
}
# SQL text joined with + from pieces reviewed as above (the whole first argument, unparsed).
SAFE_SQL_BUILDS = {
    "storage/search.py": {
        "'SELECT count(*) FROM search_source s JOIN search_doc d ON d.id = s.id WHERE ' + "
        "' OR '.join((f'd.{c} IS NOT s.{c}' for c in ('title', 'authors', 'tags', 'abstract', "
        "'notes', 'ids')))",
        "sql + ' LIMIT ?'",  # sql from _narrow_sql: fixed text, values bound
    },
    "storage/search_pg.py": {  # the thorough check's column comparison, from the constant
        "'SELECT count(*) FROM search_source s JOIN search_doc d ON d.id = s.id WHERE ' + "
        "' OR '.join((f'd.{c} IS DISTINCT FROM s.{c}' for c in _DOC_COLUMNS.split(', ')))",
    },
}
SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql", "text"}


def test_sql_text_is_never_built_from_values() -> None:
    problems = []
    for path in sorted((REPO).glob("*/**/*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(("tests/", ".venv/", "build/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", "")
            if name not in SQL_CALLS:
                continue
            sql = node.args[0]
            if isinstance(sql, ast.JoinedStr):
                for part in sql.values:
                    if isinstance(part, ast.FormattedValue):
                        expr = ast.unparse(part.value)
                        if expr not in SAFE_SQL_NAMES.get(rel, set()):
                            problems.append(f"{rel}:{node.lineno} formats {expr!r} into SQL")
            elif (isinstance(sql, ast.BinOp) or (isinstance(sql, ast.Call) and getattr(
                    sql.func, "attr", "") == "format")) and \
                    ast.unparse(sql) not in SAFE_SQL_BUILDS.get(rel, set()):
                problems.append(f"{rel}:{node.lineno} builds SQL with + / % / .format()")
    assert problems == [], "bind values as parameters:\n" + "\n".join(problems)


def papershelf_default(home: Path, *args: str, umask: int = 0o022) -> Result:
    """`papershelf ARGS` on the default library (no --db, no PAPERSHELF_DB), under a fresh
    XDG_DATA_HOME."""
    proc = subprocess.run([sys.executable, "-m", "tui", *args], cwd=REPO,
                          env=clean_env(XDG_DATA_HOME=str(home / "xdg"), HOME=str(home)),
                          capture_output=True, text=True, preexec_fn=lambda: os.umask(umask),
                          timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="platformdirs uses XDG_DATA_HOME on Linux only")
@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_data_folder_is_private(tmp_path: Path, umask: int) -> None:
    """The default data folder is made rwx for its owner only, whatever the umask; so is a
    folder made for a --db path."""
    added = papershelf_default(tmp_path, "add", "--title", "Private", umask=umask)
    assert added.code == 0, added
    folder = tmp_path / "xdg" / "papershelf"
    where = papershelf_default(tmp_path, "db", "path")
    assert where.out == f"{folder / 'library.db'}\n"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    nested = tmp_path / "elsewhere" / "papers" / "library.db"
    assert papershelf_default(tmp_path, "--db", str(nested), "list", umask=umask).code == 0
    assert stat.S_IMODE(nested.parent.stat().st_mode) == 0o700


HOSTILE_LINKS = ["file:///etc/passwd", "javascript:alert(document.cookie)", "-a Calculator",
                 "$(touch pwned)", "`touch pwned`", "http://example.org/a b; touch pwned",
                 "http://example.org/\x1b]8;;evil\x07",  # (a NUL never enters the library)
                 "http:///etc/passwd", "ftp://example.org/paper.pdf", "data:text/html,<b>x</b>",
                 "   ", "\\\\server\\share"]
SAFE_LINKS = ["https://example.org/paper?q=$(touch${IFS}pwned)&x=`id`", "HTTP://EXAMPLE.ORG/UPPER"]


async def test_links_opened_are_only_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Papers whose abstract and PDF links are hostile (file:, javascript:, an option, shell
    text, control characters): `o` and `O` in the app hand only http(s) links to the browser,
    through webbrowser (recorded here), and nothing ever runs a program or a shell. An http(s)
    link with shell characters in it goes to the browser as it is: no shell reads it."""
    import subprocess
    import webbrowser

    from reader.record import PaperRecord
    from storage import ops
    from storage.db import open_library
    from tests.support.app import notifications, screen_text, settle
    from tui.app import PapershelfApp
    from tui.config import Config

    opened: list[str] = []
    spawned: list[object] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0, autoraise=True:
                        opened.append(url) or True)
    for name in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, lambda *a, **k: spawned.append(a) or None)
    monkeypatch.setattr(os, "system", lambda cmd: spawned.append(cmd) or 0)
    monkeypatch.chdir(tmp_path)
    links = HOSTILE_LINKS + SAFE_LINKS
    lib = open_library(tmp_path / "library.db")
    try:
        with lib.action("papers with links") as session:
            for n, link in enumerate(links):
                ops.merge_record(session, record=PaperRecord(
                    title=f"Link {n}", authors=["Ann Lee"], url_abs=link, url_pdf=link,
                    source="bibtex"), status="inbox")
        app = PapershelfApp(lib, config=Config(), watch=False)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            papers = app.main.papers
            by_title = {papers.row(pid).title: i for i, pid in enumerate(papers.ids)}
            assert len(by_title) == len(links)
            for n, link in enumerate(links):
                papers.move_to(by_title[f"Link {n}"])
                await settle(pilot)
                before = len(opened)
                for key in ("o", "O"):
                    await pilot.press(key)
                    await settle(pilot)
                if link in SAFE_LINKS:
                    assert opened[before:] == [link, link], notifications(app)[-3:]
                else:
                    assert opened[before:] == [], link
                    assert notifications(app)[-1] == (f"Could not open {link} (only http and "
                                                      "https links open)")
                    shown = screen_text(app)
                    assert "javascript" not in shown and "file://" not in shown
    finally:
        lib.close()
    assert opened == [link for link in SAFE_LINKS for _ in range(2)]
    assert spawned == [] and not (tmp_path / "pwned").exists()


def test_no_file_name_comes_from_paper_data() -> None:
    """Not applicable, on purpose: nothing names a file after paper data (a key, a title):
    exports write where the user says (`-o FILE`, `--into FILE`) and the app asks for the
    path. This fails when code that builds a path from a paper's fields appears (a Path or
    open() fed from `.key`, `.title`, `record.`, `paper.`): such code needs sanitising (no
    `..`, `/`, NUL, reserved names like CON, length) and a real test here."""
    suspicious = re.compile(r"(Path\(|open\(|\.with_name\(|\.joinpath\(|/ f?[\"']?\{?)"
                            r"[^\n]*\b(paper|record|row|entry|item)\.(key|title|arxiv_id|doi)\b")
    found = []
    for path in sorted(REPO.glob("*/**/*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(("tests/", ".venv/", "build/")):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if suspicious.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == [], "a file name from paper data: sanitise it and test it:\n" + \
        "\n".join(found)
