"""The app's settings from ``config.toml``: the ``[ui]``, ``[keys]`` and ``[export]`` tables.

The file lives in the platform's config folder (``~/.config/papershelf/config.toml`` on Linux) or
wherever ``PAPERSHELF_CONFIG`` points. Other tables (``[sources]``, read by the reader's settings)
are left alone here, so the two loaders share one file. A file with a mistake never stops the app:
:func:`load_config` returns the defaults for what it could not use and one message per problem,
each naming the file and line.

```toml
[ui]
theme = "gruvbox"

[keys]
"paper.keep" = "y"          # binding id = key(s), comma separated

[export]
file = "~/papers/thesis/refs.bib"
style = "biblatex"          # or "bibtex"
```
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

EXPORT_STYLES = ("bibtex", "biblatex")
OWN_TABLES = ("ui", "keys", "export")


def config_path() -> Path:
    env = os.environ.get("PAPERSHELF_CONFIG")
    if env:
        return Path(env).expanduser()
    return platformdirs.user_config_path("papershelf") / "config.toml"


@dataclass
class Config:
    theme: str | None = None
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


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_.-]+))\s*=""")


def _lines(text: str) -> dict[str, int]:
    """``table.key`` -> line number, for the simple forms people write by hand."""
    out: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _TABLE.match(line):
            table = m.group(1)
            out.setdefault(table, number)
            continue
        if m := _KEY.match(line):
            key = next(g for g in m.groups() if g is not None)
            out.setdefault(f"{table}.{key}" if table else key, number)
    return out


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The settings, and the problems found (each one line naming file and line). A file that
    does not parse gives the defaults; a bad setting is skipped, the rest applies."""
    path = path or config_path()
    config = Config(path=path)
    if not path.exists():
        return config, []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return config, [f"cannot read {path}: {err}; using the defaults"]
    try:
        data = tomllib.loads(text)
    except RecursionError:
        return config, [f"{path}: values nested too deeply; using the defaults"]
    except tomllib.TOMLDecodeError as err:
        # tomllib says "... (at line 3, column 7)"
        return config, [f"{path}: {err}; using the defaults"]
    config.lines = _lines(text)
    problems: list[str] = []

    def bad(setting: str, message: str) -> None:
        problems.append(f"{config.where(setting)}: {message}")

    ui = _table(data, "ui", bad)
    for name, value in ui.items():
        if name == "theme":
            if isinstance(value, str) and value.strip():
                config.theme = value.strip()
            else:
                bad("ui.theme", "[ui] theme must be a theme name in quotes")
        else:
            bad(f"ui.{name}", f"unknown setting {name!r} in [ui] (known: theme)")

    for binding_id, value in _flatten(_table(data, "keys", bad)).items():
        if isinstance(value, str) and value.strip():
            config.keys[binding_id] = ",".join(k.strip() for k in value.split(",") if k.strip())
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            config.keys[binding_id] = ",".join(v.strip() for v in value)
        else:
            bad(f"keys.{binding_id}", f"[keys] {binding_id} must be a key like \"y\" or \"ctrl+k\"")

    for name, value in _table(data, "export", bad).items():
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


def _table(data: dict[str, Any], name: str, bad: Any) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        bad(name, f"{name} must be a table: [{name}]")
        return {}
    return value


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``paper.keep = "y"`` written without quotes is a dotted key (a nested table) in TOML."""
    out: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out
