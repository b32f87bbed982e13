"""Libraries built once per run and copied for each test (a file copy is milliseconds; building
a library is migrations and committed writes, each with its fsync)."""

from __future__ import annotations

from pathlib import Path


def copy_library(template: Path, db_path: Path) -> None:
    """Put a copy of the closed library ``template`` at ``db_path``, unless a file is there
    already (a fixture or the test put its own there first; that one is used, as before)."""
    if not db_path.exists():
        db_path.write_bytes(template.read_bytes())
