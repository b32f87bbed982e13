"""The one reader of ``config.toml``: where the file is, its tables, and the line each setting
is on. Each part of papershelf validates its own tables from a :class:`ConfigFile`
(``[sources]`` in :mod:`reader.settings`; ``[ui]``, ``[keys]``, ``[export]`` in
:mod:`tui.config`) and names problems with :meth:`ConfigFile.where`.

The error policy (docs/config.md), the same for every table: every problem is one line naming
the file and the line (``config.toml:6: [export] style must be one of ...``). A command stops
at the first problem in a table it uses (exit 2, nothing done); the app starts anyway, on the
defaults for what it could not use, and shows every problem in one message. A file that cannot
be read or parsed is a :class:`ConfigFileError`.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from reader.errors import BadInput

ENV_CONFIG = "PAPERSHELF_CONFIG"

_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]")
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_.-]+))\s*=""")


class ConfigFileError(BadInput):
    """The file cannot be used at all (unreadable, not UTF-8, not TOML). ``str()`` is the one
    line; ``path``, ``line`` and ``reason`` let the app word it its own way."""

    def __init__(self, path: Path, reason: str, line: int | None = None,
                 message: str | None = None) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(message or f"{where}: {reason}")
        self.path, self.reason, self.line = path, reason, line


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$PAPERSHELF_CONFIG``, else ``config.toml`` in the platform's user config folder."""
    env = os.environ if env is None else env
    named = env.get(ENV_CONFIG)
    if named:
        return Path(named).expanduser()
    return platformdirs.user_config_path("papershelf") / "config.toml"


def setting_lines(text: str) -> dict[str, int]:
    """``table.key`` -> line number (and ``table`` -> its header's line), for the forms
    people write by hand; a dotted key at the top (``sources.hf_url = ...``) counts too."""
    out: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("[[") and (m := _TABLE.match(line)):
            table = m.group(1).strip().strip("\"'")
            out.setdefault(table, number)
            continue
        if m := _KEY.match(line):
            key = next(g for g in m.groups() if g is not None)
            out.setdefault(f"{table}.{key}" if table else key, number)
    return out


@dataclass
class ConfigFile:
    """The parsed file (empty when there is none), with where each setting was written."""

    path: Path
    exists: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, setting: str) -> int | None:
        return self.lines.get(setting)

    def where(self, setting: str) -> str:
        """``file:line`` of ``setting`` ("sources.timeout", "keys.paper.keep"), or the file."""
        line = self.line(setting)
        return f"{self.path}:{line}" if line else str(self.path)

    def table(self, name: str) -> tuple[dict[str, Any], str | None]:
        """The table ``[name]`` (empty when absent) and the problem when it is not a table."""
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            return {}, f"{self.path}:{self.line(name) or 1}: '{name}' must be a table ([{name}])"
        return value, None


def read_config(path: Path | None = None, *, env: Mapping[str, str] | None = None
                ) -> ConfigFile:
    """The config file at ``path`` (default: :func:`config_path`). A missing file at the
    default place is no file (defaults apply); one named by ``PAPERSHELF_CONFIG`` or ``path``
    that does not exist, or one that cannot be read or parsed, is a :class:`ConfigFileError`."""
    env = os.environ if env is None else env
    named_by_env = path is None and bool(env.get(ENV_CONFIG))
    explicit = path is not None or named_by_env
    path = path if path is not None else config_path(env)
    if not path.exists():
        if explicit:
            by = f" (named by {ENV_CONFIG})" if named_by_env else ""
            raise ConfigFileError(path, "does not exist",
                                  message=f"config file {path} does not exist{by}")
        return ConfigFile(path)
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigFileError(path, "bad config file: values nested too deeply") from None
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        m = _AT_LINE.search(message)
        if m:
            line = int(m.group(1))
            message = message[: m.start()]
        else:
            line = text.count("\n") + 1
            message = _AT_END.sub("", message)
        raise ConfigFileError(path, f"bad config file: {message}", line) from None
    return ConfigFile(path, True, data, setting_lines(text))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory",
                              message=f"config file {path} is a directory") from None
    except OSError as err:
        raise ConfigFileError(path, f"cannot read it: {err.strerror}",
                              message=f"cannot read config file {path}: {err.strerror}"
                              ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigFileError(path, "config file is not UTF-8 text", line) from None


def check_number(value: Any, where: str, *, above: float, most: float, unit: str) -> float:
    """A number setting: an int or float (not a bool), finite, above ``above`` and at most
    ``most``; else :class:`BadInput` saying so in one line (``nan``, ``inf`` and ``1e300``
    are valid TOML, never valid settings)."""
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not above < value <= most):
        shown = value if isinstance(value, int | float) and not isinstance(value, bool) \
            else repr(value)
        raise BadInput(f"{where} must be a number of {unit} above {above:g} and at most "
                       f"{most:g}, not {shown}")
    return float(value)
