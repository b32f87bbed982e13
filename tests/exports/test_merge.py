"""Writing into a paper's refs.bib: old bytes kept, only missing entries appended, and an export
killed midway never leaves a truncated file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exports import merge
from exports.bibtex_in import parse_bibtex
from exports.merge import merge_into, write_atomic, write_new
from reader.errors import BadInput
from reader.record import PaperRecord
from tests.conftest import REPO

REFS = """% refs.bib for my thesis -- hand edited, do not reformat!
@string{iclr = "International Conference on Learning Representations"}
@comment{jabref-meta: databaseType:bibtex;}

@inproceedings{hu2022lora,
  title     = {{LoRA}: Low-Rank Adaptation},
  author    = {Hu, Edward J. and others},
  booktitle = iclr,
  year      = 2022,
  eprint    = {2106.09685},
}

@article{kingma2014adam,
  title = {Adam: A Method for Stochastic Optimization},
  author = {Kingma, Diederik P. and Ba, Jimmy},
  journal = {arXiv preprint arXiv:1412.6980},
  doi = {10.48550/ARXIV.1412.6980},
  year = {2014}
}
   trailing words, no newline at the end"""


def papers() -> list[PaperRecord]:
    return [
        PaperRecord(title="Attention Is All You Need", authors=["Ashish Vaswani"],
                    arxiv_id="1706.03762", published=None, year=2017,
                    key="vaswani2017attention"),
        PaperRecord(title="LoRA: Low-Rank Adaptation of Large Language Models",
                    authors=["Edward J. Hu"], arxiv_id="2106.09685", year=2021,
                    key="hu2021lora"),
        PaperRecord(title="Adam", authors=["Diederik P. Kingma"], doi="10.48550/arXiv.1412.6980",
                    year=2014, key="kingma2014adamx"),
        PaperRecord(title="Another Adam", authors=["Somebody Else"], year=2015,
                    key="KINGMA2014ADAM"),
        PaperRecord(title="Deep Residual Learning", authors=["Kaiming He"], year=2016,
                    venue="CVPR", key="he2016deep"),
    ]


def test_into_keeps_the_old_bytes_and_appends_only_missing_entries(tmp_path: Path) -> None:
    refs = tmp_path / "refs.bib"
    refs.write_text(REFS, encoding="utf-8")
    old = refs.read_bytes()
    report = merge_into(refs, papers())
    new = refs.read_bytes()
    assert new.startswith(old)
    assert report.added == ["vaswani2017attention", "he2016deep"]
    assert [(s.key, s.reason) for s in report.skipped] == [
        ("hu2021lora", "the file has arXiv 2106.09685 already, as 'hu2022lora' (line 5)"),
        ("kingma2014adamx", "the file has arXiv 1412.6980 already, as 'kingma2014adam' "
                            "(line 13)"),
        ("KINGMA2014ADAM", "the file has this key already (as 'kingma2014adam'), line 13"),
    ]
    added = new[len(old):].decode("utf-8")
    assert added.startswith("\n\n@misc{vaswani2017attention,\n")
    assert "@inproceedings{he2016deep," in added and added.endswith("}\n")
    # The whole file still reads as BibTeX, old entries included.
    keys = [e.record.key for e in parse_bibtex(new.decode("utf-8")).entries]
    assert keys == ["hu2022lora", "kingma2014adam", "vaswani2017attention", "he2016deep"]
    # Merging again adds nothing and leaves the file alone.
    again = merge_into(refs, papers())
    assert again.added == [] and refs.read_bytes() == new


def test_into_a_missing_file_creates_it(tmp_path: Path) -> None:
    refs = tmp_path / "new.bib"
    report = merge_into(refs, papers()[:2])
    assert report.created and report.added == ["vaswani2017attention", "hu2021lora"]
    assert refs.read_text().startswith("@misc{vaswani2017attention,\n")


def test_into_keeps_crlf_and_latin1_files_as_they_are(tmp_path: Path) -> None:
    refs = tmp_path / "windows.bib"
    old = "% Caf\xe9 notes\r\n@book{old, title = {Old}}\r\n".encode("latin-1")
    refs.write_bytes(old)
    merge_into(refs, [PaperRecord(title="Boström's Paper", authors=["Gustav Boström"],
                                  year=2006, key="bostrom2006")])
    new = refs.read_bytes()
    assert new.startswith(old)
    assert b"\r\n@misc{bostrom2006,\r\n" in new and b"\n" not in new.replace(b"\r\n", b"")
    assert b"Bostr{\\\"o}m, Gustav" in new  # classic style: LaTeX, fits Latin-1
    with pytest.raises(BadInput, match="is not UTF-8"):
        merge_into(refs, [PaperRecord(title="東京", authors=["A B"], key="tokyo")],
                   style="biblatex")
    assert refs.read_bytes() == new


def test_write_new_replaces_the_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "out.bib"
    out.write_text("old content\n")
    os.chmod(out, 0o640)
    assert write_new(out, papers()[:1]) == 1
    assert out.read_text().startswith("@misc{vaswani2017attention,")
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bib"]


def test_a_symlinked_refs_bib_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "shared.bib"
    real.write_text(REFS)
    link = tmp_path / "refs.bib"
    link.symlink_to(real)
    merge_into(link, papers()[:1])
    assert link.is_symlink() and "vaswani2017attention" in real.read_text()


def test_a_write_failing_midway_leaves_the_old_file_intact(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    refs = tmp_path / "refs.bib"
    refs.write_text(REFS, encoding="utf-8")
    old = refs.read_bytes()
    real_write = os.write
    calls = []

    def write_then_fail(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real_write(fd, bytes(data)[: len(data) // 2])  # a partial write first

    monkeypatch.setattr(merge, "_CHUNK", 64)
    monkeypatch.setattr(os, "write", write_then_fail)
    with pytest.raises(BadInput, match="cannot write .*refs.bib: No space left on device"):
        merge_into(refs, papers())
    monkeypatch.undo()
    assert refs.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]  # no temp file left


def test_an_interrupt_before_the_rename_leaves_the_old_file_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refs = tmp_path / "refs.bib"
    refs.write_text(REFS, encoding="utf-8")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(refs, b"@misc{x, title={X}}\n")
    assert refs.read_text(encoding="utf-8") == REFS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]


def test_a_process_killed_midway_leaves_the_old_file_intact(tmp_path: Path) -> None:
    """A real SIGKILL in the middle of writing (after part of the new file is on disk)."""
    refs = tmp_path / "refs.bib"
    refs.write_text(REFS, encoding="utf-8")
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from exports import merge
        from reader.record import PaperRecord
        real_write = os.write
        count = 0
        def write(fd, data):
            global count
            count += 1
            if count == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_write(fd, data)
        merge._CHUNK = 32
        os.write = write
        merge.merge_into(Path({str(refs)!r}), [
            PaperRecord(title="T{{}}".format(i), authors=["A B"], key="k{{}}".format(i))
            for i in range(20)])
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert refs.read_text(encoding="utf-8") == REFS
    leftovers = [p for p in tmp_path.iterdir() if p.name != "refs.bib"]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".refs.bib.papershelf-")
    assert 0 < leftovers[0].stat().st_size < 200  # the partial new file, beside the old one
