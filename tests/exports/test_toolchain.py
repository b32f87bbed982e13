"""The real toolchain: ``bibtex`` (plain.bst, citing every entry) and ``biber --tool`` (with the
data model checked) read what papershelf writes.

* The golden exports (both styles) must give no error and no warning at all.
* A re-export of every .bib (the shared fixtures and our own sample) must give no error and no
  warning that the file itself does not already give (the fixtures are test files full of
  oddities; biber's own has biblatex-only name syntax that classic BibTeX rejects).

The tools are skipped with a reason when absent, but must run in CI (``CI=true``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from exports.bibtex_in import parse_bibtex
from exports.bibtex_out import export_bibtex
from tests.conftest import IN_CI

HERE = Path(__file__).parent
STYLES = ("bibtex", "biblatex")

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]  # biber is seconds per run


@pytest.fixture(scope="module")
def tools() -> None:
    missing = [t for t in ("bibtex", "biber") if shutil.which(t) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true but {' and '.join(missing)} not installed (see .ci/run)")
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: texlive-binaries, "
                    "texlive-base, biber)")


@dataclass
class Report:
    errors: set[str] = field(default_factory=set)
    warnings: set[str] = field(default_factory=set)


def _without_places(line: str) -> str:
    line = re.sub(r"/\S*?biber_tmp\S*?, line \d+, ", "", line)
    return re.sub(r"line \d+", "line N", line).strip()


def run_bibtex(text: str, tmp: Path) -> Report:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "refs.bib").write_text(text, encoding="utf-8")
    (tmp / "test.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    done = subprocess.run(["bibtex", "test"], cwd=tmp, capture_output=True, text=True,
                          errors="replace", timeout=120)
    blg = (tmp / "test.blg").read_text(errors="replace").splitlines()
    report = Report()
    for i, line in enumerate(blg):
        if line.startswith("Warning--"):
            report.warnings.add(line)
        elif "---line" in line:  # an error: the message is on this line or the ones before
            message = line.split("---line")[0].strip()
            back = i - 1
            while (not message or message == "while executing") and back >= 0:
                message = blg[back].strip()
                back -= 1
            report.errors.add(_without_places(message))
    if done.returncode >= 2 and not report.errors:
        report.errors.add(f"bibtex exited {done.returncode}: {done.stdout[-500:]}")
    return report


def run_biber(text: str, tmp: Path) -> Report:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "refs.bib").write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["biber", "--tool", "--validate-datamodel", "--output-file=checked.bib", "refs.bib"],
        cwd=tmp, capture_output=True, text=True, errors="replace", timeout=300)
    report = Report()
    for line in (done.stdout + done.stderr).splitlines():
        if line.startswith("WARN"):
            report.warnings.add(_without_places(line))
        elif line.startswith(("ERROR", "FATAL")):
            report.errors.add(_without_places(line))
    if done.returncode != 0 and not report.errors:
        report.errors.add(f"biber exited {done.returncode}: {done.stdout[-500:]}")
    return report


RUNNERS = {"bibtex": run_bibtex, "biber": run_biber}


@pytest.mark.parametrize("tool", sorted(RUNNERS))
@pytest.mark.parametrize("style", STYLES)
def test_the_golden_export_is_read_without_errors_or_warnings(
        tools: None, tool: str, style: str, tmp_path: Path) -> None:
    text = (HERE / "golden" / f"papers.{style}.bib").read_text(encoding="utf-8")
    report = RUNNERS[tool](text, tmp_path)
    assert report.errors == set()
    assert report.warnings == set()


def _bib_files(shared: Path) -> list[Path]:
    return sorted((shared / "bib").glob("*.bib")) + [HERE / "data" / "clean.bib"]


_ORIGINALS: dict[tuple[str, Path], Report] = {}


def _original_report(tool: str, path: Path, tmp: Path) -> Report:
    """What the tool says about the file itself (once per test session)."""
    if (tool, path) not in _ORIGINALS:
        text = path.read_bytes().decode("utf-8")
        _ORIGINALS[tool, path] = RUNNERS[tool](text, tmp / f"{path.stem}-in")
    return _ORIGINALS[tool, path]


@pytest.mark.parametrize("tool", sorted(RUNNERS))
@pytest.mark.parametrize("style", STYLES)
def test_a_reexport_of_every_bib_file_adds_no_errors_or_warnings(
        tools: None, shared_fixtures: Path, tool: str, style: str, tmp_path: Path) -> None:
    run = RUNNERS[tool]
    checked = 0
    for path in _bib_files(shared_fixtures):
        original = path.read_bytes().decode("utf-8")
        records = [e.record for e in parse_bibtex(original).entries]
        exported = export_bibtex(records, style=style)  # type: ignore[arg-type]
        before = _original_report(tool, path, tmp_path)
        after = run(exported, tmp_path / f"{path.stem}-out-{style}")
        assert after.errors <= before.errors, (path.name, after.errors - before.errors)
        assert after.warnings <= before.warnings, (path.name, after.warnings - before.warnings)
        checked += 1
    assert checked == 9
