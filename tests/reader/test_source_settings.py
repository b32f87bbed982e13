"""Settings: config.toml ([sources] and any other tables) and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.errors import BadInput
from reader.settings import (
    DEFAULT_ARXIV_URL,
    DEFAULT_DOI_URL,
    DEFAULT_HF_URL,
    Settings,
    config_path,
    load_config,
    load_settings,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # an empty config folder
    if not config_path({}).is_relative_to(tmp_path):
        pytest.skip("platformdirs does not follow XDG_CONFIG_HOME on this platform")
    settings = load_settings(env={})
    assert (settings.hf_url, settings.arxiv_url, settings.doi_url) == (
        DEFAULT_HF_URL, DEFAULT_ARXIV_URL, DEFAULT_DOI_URL)
    assert (settings.arxiv_categories, settings.timeout) == ((), 20.0)
    assert (settings.config_file, settings.config) == (None, {})
    assert settings == Settings()


def test_config_path(tmp_path: Path) -> None:
    assert config_path({"PAPERSHELF_CONFIG": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"
    default = config_path({})
    assert default.name == "config.toml" and default.parent.name == "papershelf"


def test_sources_table_and_other_tables_kept(tmp_path: Path) -> None:
    path = write(tmp_path, """
[ui]
theme = "textual-dark"

[sources]
hf_url = "http://127.0.0.1:8000/hf/"
arxiv_url = "https://arxiv.mirror.example"
doi_url = "https://doi.example"
arxiv_categories = ["cs.CL", "cs.LG", "astro-ph.CO"]
timeout = 5

[keys]
quit = "ctrl+q"

[export]
file = "refs.bib"
""")
    settings = load_settings(env={}, path=path)
    assert settings.hf_url == "http://127.0.0.1:8000/hf"
    assert settings.arxiv_url == "https://arxiv.mirror.example"
    assert settings.doi_url == "https://doi.example"
    assert settings.arxiv_categories == ("cs.CL", "cs.LG", "astro-ph.CO")
    assert settings.timeout == 5.0
    assert settings.config_file == path
    assert settings.config["ui"] == {"theme": "textual-dark"}
    assert settings.config["keys"] == {"quit": "ctrl+q"}
    assert settings.config["export"] == {"file": "refs.bib"}


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources]\nhf_url = "https://from-file.example"\n')
    env = {"PAPERSHELF_CONFIG": str(path), "PAPERSHELF_HF_URL": "http://127.0.0.1:9/",
           "PAPERSHELF_ARXIV_URL": "http://127.0.0.1:10", "PAPERSHELF_DOI_URL": "http://d.test"}
    settings = load_settings(env=env)
    assert (settings.hf_url, settings.arxiv_url, settings.doi_url) == (
        "http://127.0.0.1:9", "http://127.0.0.1:10", "http://d.test")
    assert settings.config_file == path


def test_a_named_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(BadInput, match=rf"^config file {missing} does not exist \(named by "
                                       r"PAPERSHELF_CONFIG\)$"):
        load_settings(env={"PAPERSHELF_CONFIG": str(missing)})


def test_bad_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources]\nhf_url = "https://x"\narxiv_url = https://y\n')
    with pytest.raises(BadInput) as info:
        load_settings(env={}, path=path)
    assert str(info.value) == f"{path}:3: bad config file: Invalid value"
    path = write(tmp_path, '[sources]\narxiv_categories = ["cs.CL",\n')
    with pytest.raises(BadInput, match=rf"^{path}:3: bad config file: "):
        load_config(path)


@pytest.mark.parametrize(("text", "message"), [
    ('[sources]\n\nhf_url = 3\n', ":3: [sources] hf_url must be a string URL"),
    ('[sources]\narxiv_url = "ftp://x"\n',
     ":2: [sources] arxiv_url must be an http:// or https:// URL, not 'ftp://x'"),
    ('[ui]\ntheme = "x"\n[sources]\narxiv_categories = "cs CL"\n',
     ":4: [sources] arxiv_categories: 'cs CL' is not an arXiv category (like cs.CL or "
     "astro-ph.CO)"),
    ('[sources]\narxiv_categories = [1, 2]\n',
     ":2: [sources] arxiv_categories must be a list of category names"),
    ('[sources]\ntimeout = 0\n', ":2: [sources] timeout must be a number of seconds above 0"),
    ('sources = "x"\n', ":1: 'sources' must be a table ([sources])"),
])
def test_bad_values_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInput) as info:
        load_settings(env={}, path=path)
    assert str(info.value).startswith(f"{path}{message}")


def test_bad_environment_value(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(BadInput, match=r"^PAPERSHELF_HF_URL must be an http:// or https:// URL, "
                                       r"not 'huggingface.co'$"):
        load_settings(env={"PAPERSHELF_HF_URL": "huggingface.co"}, path=path)


def test_not_utf8_and_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[sources]\nhf_url = "caf\xe9"\n')
    with pytest.raises(BadInput, match=rf"^{path}:2: config file is not UTF-8 text$"):
        load_settings(env={}, path=path)
    with pytest.raises(BadInput, match=rf"^config file {tmp_path} is a directory$"):
        load_config(tmp_path)
