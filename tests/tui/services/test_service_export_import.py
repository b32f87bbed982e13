"""Export (selection, preview, new file, merge; an existing file only with --force) and the
.bib and saved-page imports, headless; the file rules also through the real commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_fakes import record

from reader.errors import BadInput
from storage import ops
from storage.db import Library
from tests.conftest import CliRunnerFn
from tui.services.export import ExportRequest, Selection, export, select_papers
from tui.services.imports import import_bib, import_page


@pytest.fixture
def two(lib: Library) -> list[int]:
    with lib.action("add") as session:
        ids = []
        for n, tag in ((1, "thesis"), (2, None)):
            paper = ops.merge_record(session, record=record(n), status="queued").paper
            if tag:
                ops.change_tags(session, paper=paper, add=[tag])
            ids.append(paper.id or 0)
    return ids


def test_selection_and_preview(lib: Library, two: list[int]) -> None:
    with lib.read() as session:
        assert [pid for pid, _k in select_papers(session, Selection(tags=["thesis"]))] == two[:1]
        with pytest.raises(BadInput, match=r"^no paper has tag 'nope'$"):
            select_papers(session, Selection(tags=["nope"]))
    report = export(lib, ExportRequest([], "preview", selection=Selection(include_all=True)))
    assert report.text is not None and report.text.count("@misc{") == 2
    assert report.added == ["last12024paper", "last22024paper"]


def test_a_new_file_never_replaces_one_unasked(lib: Library, two: list[int],
                                               tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    report = export(lib, ExportRequest(two, "file", path=path))
    assert report.notes == [f"wrote 2 entries to {path}"] and report.backup is None
    first = path.read_text()
    with pytest.raises(BadInput, match=r"exists: use --into to merge into it, or --force"):
        export(lib, ExportRequest(two[:1], "file", path=path))
    assert path.read_text() == first
    forced = export(lib, ExportRequest(two[:1], "file", path=path, force=True))
    assert forced.backup == path.with_name("refs.bib.bak")
    assert forced.backup.read_text() == first and path.read_text().count("@misc{") == 1


def test_merge_appends_only_what_the_file_lacks(lib: Library, two: list[int],
                                                tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    export(lib, ExportRequest(two[:1], "file", path=path))
    before = path.read_bytes()
    report = export(lib, ExportRequest(two, "merge", path=path))
    assert report.added == ["last22024paper"] and len(report.skipped) == 1
    assert path.read_bytes().startswith(before)
    assert report.summary().startswith(f"Added 1 entry to {path} (last22024paper)")


def test_the_commands_refuse_to_overwrite(cli: CliRunnerFn, lib: Library, two: list[int],
                                          tmp_path: Path) -> None:
    out = tmp_path / "out.bib"
    out.write_text("mine\n")
    r = cli("export", "--all", "-o", str(out))
    assert (r.code, r.out) == (2, "")
    assert r.err == (f"papershelf: {out} exists: use --into to merge into it, or --force to "
                     f"replace it (the old file is kept as out.bib.bak)\n")
    backup = tmp_path / "backup.db"
    assert cli("db", "backup", str(backup)).code == 0
    first = backup.read_bytes()
    again = cli("db", "backup", str(backup))
    assert again.code == 2
    assert again.err == (f"papershelf: {backup} exists: --force to replace it (the old file is "
                         f"kept as backup.db.bak)\n")
    assert backup.read_bytes() == first
    forced = cli("db", "backup", str(backup), "--force")
    assert forced.code == 0 and forced.err == f"kept the old file as {backup}.bak\n"
    assert (tmp_path / "backup.db.bak").read_bytes() == first
    copy = cli("list", "--json", "--db", str(backup), db=False).json()
    assert len(copy) == 2


BIB = """@article{mine2020, title={My Own Paper}, author={Smith, Ann}, year={2020}}
@article{broken, title={No end
"""


def test_bib_import_and_its_dry_run(lib: Library, tmp_path: Path) -> None:
    path = tmp_path / "in.bib"
    path.write_text(BIB)
    dry = import_bib(lib, path, dry_run=True)
    assert dry.lines[0] == "would add mine2020: My Own Paper"
    assert dry.lines[-1].endswith("(dry run: nothing changed)") and dry.exit_code == 1
    with lib.read() as session:
        assert ops.list_papers(session) == []
    done = import_bib(lib, path, status="reading")
    assert done.lines[-1] == f"{path}: added 1, merged 0, skipped 1; new papers are 'reading'"
    assert len(done.problems) == 1 and done.problems[0].startswith(f"{path}:2: ")


def test_page_import(lib: Library, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("nothing to see\n")
    with pytest.raises(BadInput, match=r"no papers found"):
        import_page(lib, page)
    with pytest.raises(BadInput, match=r"is a directory"):
        import_page(lib, tmp_path)
