"""config.toml: [ui] theme, [keys] remaps by binding id, [export] file and style; a bad file
never stops the app."""

from __future__ import annotations

from pathlib import Path

from storage import ops
from tests.support.app import notifications, press, settle
from tui.config import Config, config_path, load_config

GOOD = """\
# papershelf settings
[ui]
theme = "nord"

[keys]
"paper.keep" = "a"
paper.dismiss = ["x", "delete"]

[export]
file = "~/thesis/refs.bib"
style = "biblatex"

[sources]            # read by the reader's settings, ignored here
hf_url = "http://127.0.0.1:9999"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_where_the_file_is(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERSHELF_CONFIG", str(tmp_path / "x.toml"))
    assert config_path() == tmp_path / "x.toml"
    monkeypatch.delenv("PAPERSHELF_CONFIG")
    assert config_path().name == "config.toml" and "papershelf" in str(config_path())


def test_a_good_file(tmp_path):
    config, problems = load_config(write(tmp_path, GOOD))
    assert problems == []
    assert config.theme == "nord"
    assert config.keys == {"paper.keep": "a", "paper.dismiss": "x,delete"}
    assert config.export_file == Path("~/thesis/refs.bib").expanduser()
    assert config.export_style == "biblatex"


def test_no_file_means_defaults(tmp_path):
    config, problems = load_config(tmp_path / "absent.toml")
    assert problems == [] and config == Config(path=tmp_path / "absent.toml")


def test_a_file_that_does_not_parse_names_the_line_and_uses_defaults(tmp_path):
    path = write(tmp_path, '[ui]\ntheme = "nord"\n[keys\n"paper.keep" = "y"\n')
    config, problems = load_config(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: ")
    assert "line 3" in problems[0] and "using the defaults" in problems[0]
    assert config.theme is None and config.keys == {}


def test_bad_settings_name_their_lines_and_the_rest_applies(tmp_path):
    path = write(tmp_path, '[ui]\ntheme = 3\ncolour = "red"\n\n[export]\nstyle = "chicago"\n'
                           'file = "refs.bib"\n[keys]\n"paper.keep" = 5\n')
    config, problems = load_config(path)
    assert problems == [
        f"{path}:2: [ui] theme must be a theme name in quotes",
        f"{path}:3: unknown setting 'colour' in [ui] (known: theme, sidebar, "
        f"detail, detail_size)",
        f"{path}:9: [keys] paper.keep must be a key like \"y\" or \"ctrl+k\"",
        f"{path}:6: [export] style must be one of bibtex, biblatex, not 'chicago'",
    ]
    assert config.export_file == Path("refs.bib") and config.export_style == "bibtex"


async def test_the_app_applies_theme_and_remapped_keys(lib, sample, make_app, tmp_path):
    config, _ = load_config(write(tmp_path, GOOD))
    app = make_app(config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        first, second = app.main.papers.ids[:2]
        await press(pilot, "a")  # "paper.keep" = "a"
        await press(pilot, "y")  # no longer bound
        await press(pilot, "delete")  # one of the dismiss keys
        with lib.read() as session:
            assert ops.find_paper(session, ref=first).status == "queued"
            assert ops.find_paper(session, ref=second).status == "dismissed"
        keys = {key for key, active in app.screen.active_bindings.items()
                if active.binding.id == "paper.keep"}
        assert keys == {"a"}
        assert "a Kee" in app.screen._compositor.render_strips()[-1].text  # in the footer


async def test_the_app_starts_on_defaults_with_one_message(lib, sample, make_app, tmp_path):
    path = write(tmp_path, '[ui]\ntheme = "no-such-theme"\n[keys]\n"paper.frobnicate" = "z"\n')
    config, problems = load_config(path)
    app = make_app(config=config, problems=problems)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        messages = notifications(app)
        assert len(messages) == 1
        assert f"{path}:2: unknown theme 'no-such-theme'" in messages[0]
        assert f"{path}:4: unknown binding id 'paper.frobnicate' in [keys]" in messages[0]
        assert app.theme == "textual-dark"
        first = app.main.papers.paper_id
        await press(pilot, "y")  # the default keys work
        with lib.read() as session:
            assert ops.find_paper(session, ref=first).status == "queued"
