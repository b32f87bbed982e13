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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.config_file import ConfigFile, ConfigFileError, config_path, read_config

__all__ = ["EXPORT_STYLES", "OWN_TABLES", "Config", "config_path", "load_config"]

EXPORT_STYLES = ("bibtex", "biblatex")
OWN_TABLES = ("ui", "keys", "export")


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
        else:
            bad(f"ui.{name}", f"unknown setting {name!r} in [ui] (known: theme)")

    for binding_id, value in _flatten(table("keys")).items():
        if isinstance(value, str) and value.strip():
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
