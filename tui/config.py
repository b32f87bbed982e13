"""The app's settings from ``config.toml``: the ``[ui]``, ``[keys]`` and ``[export]`` tables.

The file lives in the platform's config folder (``~/.config/papershelf/config.toml`` on Linux) or
wherever ``PAPERSHELF_CONFIG`` points. Other tables (``[sources]``, read by the reader's settings)
are left alone here, so the two loaders share one file. A file with a mistake never stops the app:
:func:`load_config` returns the defaults for what it could not use and one message per problem,
each naming the file and line.

```toml
[ui]
theme = "gruvbox"           # the app saves the theme picked in the palette here
sidebar = true              # b hides/shows the sidebar (saved here)
detail = true               # z hides/shows the detail pane (saved here)
detail_size = 35            # + / - resize it: percent of the height (or width, when beside)

[keys]
preset = "vim"              # optional: "default" or "vim"
"paper.keep" = "a"          # binding id = key(s), comma separated

[export]
file = "~/papers/thesis/refs.bib"
style = "biblatex"          # or "bibtex"
```
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from reader.config_file import ConfigFile, ConfigFileError, config_path, read_config
from reader.errors import BadInput

__all__ = ["DETAIL_SIZES", "EXPORT_STYLES", "KEY_PRESETS", "OWN_TABLES", "Config", "config_path",
           "load_config", "save_ui"]

EXPORT_STYLES = ("bibtex", "biblatex")
OWN_TABLES = ("ui", "keys", "export")
KEY_PRESETS = ("default", "vim")
DETAIL_SIZES = (15, 75)  # the detail pane's size, percent: smallest and largest
UI_SETTINGS = ("theme", "sidebar", "detail", "detail_size")


@dataclass
class Config:
    theme: str | None = None
    sidebar: bool = True  # shown (it still collapses by itself in a narrow terminal)
    detail: bool = True
    detail_size: int = 35  # percent of the main area's height (or width, when beside the list)
    preset: str = "default"
    keys: dict[str, str] = field(default_factory=dict)
    export_file: Path | None = None
    export_style: str = "bibtex"
    path: Path | None = None
    # Where each setting was written ("keys.paper.keep" -> line), to name lines in messages.
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, setting: str) -> str:
        line = self.lines.get(setting)
        shown = str(self.path) if self.path else "config.toml"
        return f"{shown}:{line}" if line else shown


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The settings, and the problems found (each one line naming file and line). A file that
    cannot be read or parsed gives the defaults; a bad setting is skipped, the rest applies
    (the app's side of the policy in :mod:`reader.config_file`)."""
    config = Config(path=path or config_path())
    if path is not None and not path.exists():
        return config, []  # a file of one's own that is not there yet: the defaults
    try:
        file = read_config(path)
    except ConfigFileError as error:
        at = f" at line {error.line}" if error.line else ""
        reason = error.reason.removeprefix("bad config file: ")
        return config, [f"{config.path}: {reason}{at}; using the defaults"]
    return app_config(file, config)


def app_config(file: ConfigFile, config: Config | None = None) -> tuple[Config, list[str]]:
    """The ``[ui]``, ``[keys]`` and ``[export]`` tables of ``file`` checked."""
    config = config or Config(path=file.path)
    config.lines = dict(file.lines)
    problems: list[str] = []

    def bad(setting: str, message: str) -> None:
        problems.append(f"{config.where(setting)}: {message}")

    def table(name: str) -> dict[str, Any]:
        value, problem = file.table(name)
        if problem:
            problems.append(problem)
        return value

    for name, value in table("ui").items():
        if name == "theme":
            if isinstance(value, str) and value.strip():
                config.theme = value.strip()
            else:
                bad("ui.theme", "[ui] theme must be a theme name in quotes")
        elif name in ("sidebar", "detail"):
            if isinstance(value, bool):
                setattr(config, name, value)
            else:
                bad(f"ui.{name}", f"[ui] {name} must be true or false")
        elif name == "detail_size":
            low, high = DETAIL_SIZES
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                config.detail_size = value
            else:
                bad("ui.detail_size", f"[ui] detail_size must be a whole number of percent "
                                      f"from {low} to {high}, not {value!r}")
        else:
            bad(f"ui.{name}", f"unknown setting {name!r} in [ui] (known: "
                              f"{', '.join(UI_SETTINGS)})")

    for binding_id, value in _flatten(table("keys")).items():
        if binding_id == "preset":
            if value in KEY_PRESETS:
                config.preset = value
            else:
                bad("keys.preset", f"[keys] preset must be one of {', '.join(KEY_PRESETS)}, "
                                   f"not {value!r}")
        elif isinstance(value, str) and value.strip():
            config.keys[binding_id] = ",".join(k.strip() for k in value.split(",") if k.strip())
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            config.keys[binding_id] = ",".join(v.strip() for v in value)
        else:
            bad(f"keys.{binding_id}", f"[keys] {binding_id} must be a key like \"y\" or \"ctrl+k\"")

    for name, value in table("export").items():
        if name == "file":
            if isinstance(value, str) and value.strip():
                config.export_file = Path(value).expanduser()
            else:
                bad("export.file", "[export] file must be a path in quotes")
        elif name == "style":
            if value in EXPORT_STYLES:
                config.export_style = value
            else:
                bad("export.style", f"[export] style must be one of {', '.join(EXPORT_STYLES)}, "
                                    f"not {value!r}")
        else:
            bad(f"export.{name}", f"unknown setting {name!r} in [export] (known: file, style)")
    return config, problems


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``paper.keep = "y"`` written without quotes is a dotted key (a nested table) in TOML."""
    out: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out


def save_ui(path: Path, **settings: Any) -> None:
    """Write ``[ui]`` settings (``theme="nord"``, ``sidebar=False``) into the config file at
    ``path``: the user's own file read, changed and written back whole, keeping their comments,
    layout and every other setting; through a temporary file renamed over it, so a crash
    leaves the old file or the new one, never half of one. A file that is not TOML is left
    alone (:class:`BadInput` says why)."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read it to save the setting ({error})") from None
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as error:
        raise BadInput(f"{path}: not saved, the file is not valid TOML ({error})") from None
    ui = doc.get("ui")
    if ui is None:
        ui = tomlkit.table()
        doc["ui"] = ui
    elif not isinstance(ui, dict):
        raise BadInput(f"{path}: not saved, 'ui' is not a table ([ui])")
    for name, value in settings.items():
        if name not in UI_SETTINGS:
            raise ValueError(f"not a [ui] setting: {name}")
        ui[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(tomlkit.dumps(doc))
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise BadInput(f"{path}: cannot save the setting ({error.strerror})") from None
