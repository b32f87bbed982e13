"""Settings: the config file (TOML) and the environment.

The file is ``config.toml`` in the platform's user config folder
(``~/.config/papershelf/`` on Linux), or the path in ``PAPERSHELF_CONFIG``. It may hold any
tables; this module reads ``[sources]`` and hands the whole parsed file on as
:attr:`Settings.config` so other parts (the app's ``[ui]``, ``[keys]``, ``[export]``) can use
the same loader. The environment wins over the file: ``PAPERSHELF_HF_URL``,
``PAPERSHELF_ARXIV_URL``, ``PAPERSHELF_DOI_URL``.

A file that cannot be used raises :class:`BadInput` naming the file and the line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from reader.errors import BadInput

DEFAULT_HF_URL = "https://huggingface.co"
DEFAULT_ARXIV_URL = "https://export.arxiv.org"
DEFAULT_DOI_URL = "https://doi.org"
DEFAULT_TIMEOUT = 20.0

ENV_CONFIG = "PAPERSHELF_CONFIG"
URL_KEYS = {"hf_url": "PAPERSHELF_HF_URL", "arxiv_url": "PAPERSHELF_ARXIV_URL",
            "doi_url": "PAPERSHELF_DOI_URL"}
# cs.CL, astro-ph, astro-ph.CO, math.GT, q-bio.NC, hep-th, stat.ML, eess.IV, econ.EM
CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$")
_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


@dataclass(frozen=True)
class Settings:
    hf_url: str = DEFAULT_HF_URL
    arxiv_url: str = DEFAULT_ARXIV_URL
    doi_url: str = DEFAULT_DOI_URL
    arxiv_categories: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    config_file: Path | None = None  # the file that was read, if any
    config: dict[str, Any] = field(default_factory=dict)  # the whole parsed file


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$PAPERSHELF_CONFIG``, else ``config.toml`` in the platform's user config folder."""
    env = os.environ if env is None else env
    named = env.get(ENV_CONFIG)
    if named:
        return Path(named).expanduser()
    return platformdirs.user_config_path("papershelf") / "config.toml"


def load_config(path: Path) -> dict[str, Any]:
    """The parsed TOML file; :class:`BadInput` with ``file:line`` when it cannot be used."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BadInput(f"config file {path} is a directory") from None
    except OSError as err:
        raise BadInput(f"cannot read config file {path}: {err.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise BadInput(f"{path}:{line}: config file is not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise BadInput(f"{path}: bad config file: values nested too deeply") from None
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        m = _AT_LINE.search(message)
        if m:
            line = int(m.group(1))
            message = message[: m.start()]
        else:
            line = text.count("\n") + 1
            message = _AT_END.sub("", message)
        raise BadInput(f"{path}:{line}: bad config file: {message}") from None


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line where ``key`` is set inside ``[table]`` (best effort, for messages)."""
    current = ""
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header and not stripped.startswith("[["):
            current = header.group(1).strip().strip("\"'")
            continue
        if current == table and key_re.match(line):
            return number
    for number, line in enumerate(text.splitlines(), start=1):  # dotted keys: sources.hf_url
        if re.match(rf"^\s*{re.escape(table)}\.{re.escape(key)}\s*=", line):
            return number
    return None


def _check_url(value: str, where: str) -> str:
    url = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise BadInput(f"{where} must be an http:// or https:// URL, not {value!r}")
    return url


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Settings from the config file (if there is one) and the environment (which wins).

    A missing file at the default place is fine (defaults apply); a file named by
    ``PAPERSHELF_CONFIG`` (or ``path``) that does not exist is an error.
    """
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ENV_CONFIG))
    path = path if path is not None else config_path(env)
    config: dict[str, Any] = {}
    text = ""
    read: Path | None = None
    if path.exists():
        config = load_config(path)
        text = path.read_text(encoding="utf-8-sig")
        read = path
    elif explicit:
        raise BadInput(f"config file {path} does not exist (named by {ENV_CONFIG})"
                       if env.get(ENV_CONFIG) else f"config file {path} does not exist")

    def where(key: str) -> str:
        line = _line_of(text, "sources", key)
        return f"{path}:{line}: [sources] {key}" if line else f"{path}: [sources] {key}"

    sources = config.get("sources", {})
    if not isinstance(sources, dict):
        line = _line_of(text, "", "sources")
        raise BadInput(f"{path}:{line or 1}: 'sources' must be a table ([sources])")
    values: dict[str, Any] = {}
    for key, var in URL_KEYS.items():
        if key in sources:
            if not isinstance(sources[key], str):
                raise BadInput(f"{where(key)} must be a string URL")
            values[key] = _check_url(sources[key], where(key))
        if env.get(var):
            values[key] = _check_url(env[var], var)
    if "arxiv_categories" in sources:
        cats = sources["arxiv_categories"]
        if isinstance(cats, str):
            cats = [cats]
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise BadInput(f"{where('arxiv_categories')} must be a list of category names, "
                           f"like [\"cs.CL\", \"cs.LG\"]")
        for cat in cats:
            if not CATEGORY_RE.match(cat.strip()):
                raise BadInput(f"{where('arxiv_categories')}: {cat!r} is not an arXiv category "
                               f"(like cs.CL or astro-ph.CO)")
        values["arxiv_categories"] = tuple(c.strip() for c in cats)
    if "timeout" in sources:
        timeout = sources["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise BadInput(f"{where('timeout')} must be a number of seconds above 0")
        values["timeout"] = float(timeout)
    settings = Settings(config_file=read, config=config, **values)
    from reader.limits import http_limits  # (it reads Settings: imported here, not at the top)

    http_limits(settings)  # timeout, deadline, max_response_mb: finite and in range, or stop here
    return settings
