"""Fidelity: real .bib files imported into a fresh library and exported again, against the
original file.

    python -m tests.benchmarks.bench_fidelity [--fixtures DIR] [--no-tools]

For each .bib of the shared fixtures (``$PAPERSHELF_FIXTURES/bib``, see its SOURCES.md) and the
repository's own samples: entries read, papers in the library after ``papershelf import``, the
file's keys that the export (``--all``, each style) still cites (an entry key, a biblatex
``ids`` alias), bibtex errors and biber warnings the export has that the original file does not
have, and field-level differences (each entry's fields, macros expanded, compared by key; a
name list written in BibTeX's syntax for ``--style bibtex`` and a crossref naming a paper's key
instead of its alias are the documented changes, counted apart). A second import must report
every entry unchanged. Targets (issue 12): 100% keys kept, 0 new errors, 0 new warnings, 0 field
changes except the documented ones. Not collected by pytest; the latest figures are in
docs/benchmarks.md ("Fidelity").
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from exports.bibtex_in import original_fields, parse_bibtex
from exports.names import NAME_FIELDS, bibtex_name_list
from tests.exports.test_toolchain import run_biber, run_bibtex
from tui.cli import main

REPO = Path(__file__).resolve().parents[2]

STYLES = ("bibtex", "biblatex")


def papershelf(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--db", str(db), *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@dataclass
class Row:
    name: str
    entries: int = 0
    papers: int = 0
    unchanged_again: bool = False
    keys_kept: dict[str, tuple[int, int]] = field(default_factory=dict)  # style -> kept, all
    new_bibtex_errors: dict[str, list[str]] = field(default_factory=dict)
    new_biber_warnings: dict[str, list[str]] = field(default_factory=dict)
    field_changes: dict[str, list[str]] = field(default_factory=dict)
    documented: dict[str, int] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)  # "KEY into OTHER (reason)"


def _fields(text: str) -> dict[str, tuple[str, dict[str, str], list[str]]]:
    out = {}
    for e in parse_bibtex(text).entries:
        fields = original_fields(e.record.extra_fields)
        ids = [i.strip() for i in fields.get("ids", "").split(",") if i.strip()]
        out[e.record.key or ""] = (e.record.entry_type or "", fields, ids)
    return out


def compare(original: str, exported: str, style: str, row: Row,
            main_of: dict[str, str]) -> None:
    """``main_of``: the file's keys that the import merged into another entry's paper (alias
    -> the paper's key); their entries are that paper's (in --style bibtex, a copy)."""
    before = _fields(original)
    after = _fields(exported)
    cited = set(after) | {i for _, _, ids in after.values() for i in ids}
    row.keys_kept[style] = (sum(k in cited for k in before), len(before))
    changes: list[str] = []
    documented = 0
    for key, (etype, fields, _) in before.items():
        if key in main_of:  # merged: its fields are the paper's (reported by the import)
            continue
        if key not in after:
            changes.append(f"{key}: missing")
            continue
        etype2, fields2, _ = after[key]
        if etype2 != etype:
            changes.append(f"{key}: type {etype} -> {etype2}")
        for name, value in fields.items():
            new = fields2.get(name)
            if new == value:
                continue
            if style == "bibtex" and name in NAME_FIELDS and new == bibtex_name_list(value):
                documented += 1
                continue
            if name in ("crossref", "xref") and new is not None and main_of.get(value) == new:
                documented += 1
                continue
            changes.append(f"{key}.{name}: {value[:40]!r} -> {(new or '')[:40]!r}")
        for name in fields2:
            if name not in fields and name != "ids":
                changes.append(f"{key}.{name}: added {fields2[name][:40]!r}")
    row.field_changes[style] = changes
    row.documented[style] = documented


def run(path: Path, work: Path, tools: bool) -> Row:
    row = Row(path.name)
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    row.entries = len(parse_bibtex(text).entries)
    db = work / f"{path.stem}.db"
    _, first, _ = papershelf(db, "import", str(path))
    main_of: dict[str, str] = {}
    for line in first.splitlines():
        m = re.match(r"merged (\S+) into (\S+) \((.*)\): ", line)
        if m:
            main_of[m.group(1)] = m.group(2)
            row.merged.append(f"{m.group(1)} into {m.group(2)} ({m.group(3)})")
    _, listed, _ = papershelf(db, "list", "--all", "--json")
    row.papers = len(__import__("json").loads(listed)) if listed.strip() else 0
    _, again, _ = papershelf(db, "import", str(path))
    last = again.strip().splitlines()[-1] if again.strip() else ""
    row.unchanged_again = bool(re.search(r"added 0, merged 0, (unchanged \d+, )?skipped", last))
    for style in STYLES:
        code, exported, err = papershelf(db, "export", "--all", "--style", style)
        if code != 0:
            exported = ""
        compare(text, exported, style, row, main_of)
        if tools:
            b0 = run_bibtex(text, work / f"{path.stem}-orig-bibtex")
            b1 = run_bibtex(exported, work / f"{path.stem}-{style}-bibtex")
            row.new_bibtex_errors[style] = sorted(b1.errors - b0.errors)
            w0 = run_biber(text, work / f"{path.stem}-orig-biber")
            w1 = run_biber(exported, work / f"{path.stem}-{style}-biber")
            row.new_biber_warnings[style] = sorted((w1.warnings | w1.errors)
                                                   - (w0.warnings | w0.errors))
    return row


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=Path(os.environ.get(
        "PAPERSHELF_FIXTURES", "/work/shared/fixtures")))
    parser.add_argument("--no-tools", action="store_true", help="Skip bibtex and biber.")
    parser.add_argument("--details", action="store_true", help="Print every difference.")
    args = parser.parse_args()
    tools = not args.no_tools and bool(shutil.which("bibtex") and shutil.which("biber"))
    files = sorted((args.fixtures / "bib").glob("*.bib")) + [
        REPO / "tests" / "exports" / "data" / "clean.bib",
        REPO / "tests" / "exports" / "data" / "sample.bib"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            rows.append(run(path, Path(tmp), tools))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Fidelity, {when}, {platform.node()} ({os.cpu_count()} cores, Python "
          f"{platform.python_version()}); bibtex/biber {'run' if tools else 'not run'}\n")
    print("| file | entries | papers | merged | keys kept (bibtex / biblatex) | new bibtex "
          "errors | new biber warnings | field changes | documented changes | re-import "
          "unchanged |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    total = Row("total")
    for r in rows:
        kept = " / ".join(f"{r.keys_kept[s][0]}/{r.keys_kept[s][1]}" for s in STYLES)
        errs = " / ".join(str(len(r.new_bibtex_errors.get(s, []))) for s in STYLES) \
            if tools else "-"
        warns = " / ".join(str(len(r.new_biber_warnings.get(s, []))) for s in STYLES) \
            if tools else "-"
        changes = " / ".join(str(len(r.field_changes[s])) for s in STYLES)
        documented = " / ".join(str(r.documented[s]) for s in STYLES)
        print(f"| {r.name} | {r.entries} | {r.papers} | {len(r.merged)} | {kept} | {errs} | {warns} | {changes} "
              f"| {documented} | {'yes' if r.unchanged_again else 'NO'} |")
        total.entries += r.entries
        total.papers += r.papers
    print(f"| **all** | {total.entries} | {total.papers} | {sum(len(r.merged) for r in rows)} | "
          + " / ".join(
        f"{sum(r.keys_kept[s][0] for r in rows)}/{sum(r.keys_kept[s][1] for r in rows)}"
        for s in STYLES) + " | " + (" / ".join(str(sum(len(r.new_bibtex_errors[s]) for r in rows))
                                   for s in STYLES) if tools else "-") + " | " + (
        " / ".join(str(sum(len(r.new_biber_warnings[s]) for r in rows)) for s in STYLES)
        if tools else "-") + " | " + " / ".join(
        str(sum(len(r.field_changes[s]) for r in rows)) for s in STYLES) + " | " + " / ".join(
        str(sum(r.documented[s] for r in rows)) for s in STYLES) + " | "
        + ("yes" if all(r.unchanged_again for r in rows) else "NO") + " |")
    if args.details:
        for r in rows:
            for line in r.merged:
                print(f"{r.name}: merged {line}")
            for s in STYLES:
                for line in (r.field_changes[s] + r.new_bibtex_errors.get(s, [])
                             + r.new_biber_warnings.get(s, [])):
                    print(f"{r.name} [{s}]: {line}")


if __name__ == "__main__":
    main_()
