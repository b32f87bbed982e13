"""One reader of config.toml under both parts: numbers checked for meaning (nan, inf, 1e300
are one line through the real command, not a traceback); the app's side keeps the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config_file import read_config
from reader.settings import load_settings
from tests.conftest import CliRunnerFn
from tui.config import load_config


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "0", "-5", "true", '"20"'])
def test_a_timeout_that_means_nothing_is_one_line(cli: CliRunnerFn, tmp_path: Path,
                                                  value: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[sources]\n# slow mirror\ntimeout = {value}\n")
    r = cli("pull", "--date", "2024-06-16", env={"PAPERSHELF_CONFIG": str(path)})
    assert r.code == 2 and r.out == ""
    assert r.err.startswith(f"papershelf: {path}:3: [sources] timeout must be a number of "
                            "seconds above 0 and at most 3600, not ")
    assert r.err.count("\n") == 1 and "Traceback" not in r.err


def test_a_good_timeout_and_one_file_for_every_part(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sources]\ntimeout = 2.5\n\n[ui]\ntheme = "nord"\n[export]\nstyle = "x"\n')
    file = read_config(path)
    assert (file.line("sources.timeout"), file.line("ui.theme"), file.line("export")) == (2, 5, 6)
    assert load_settings(env={}, path=path).timeout == 2.5
    config, problems = load_config(path)
    assert config.theme == "nord"
    assert problems == [f"{path}:7: [export] style must be one of bibtex, biblatex, not 'x'"]


def test_the_app_names_a_missing_named_file_and_starts(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "gone.toml"
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(missing))
    config, problems = load_config()
    assert config.theme is None
    assert problems == [f"{missing}: does not exist; using the defaults"]
