"""The reader's settings: the ``[sources]`` table of config.toml (read by
:mod:`reader.config_file`, the one reader of the file) and the environment, which wins:
``PAPERSHELF_HF_URL``, ``PAPERSHELF_ARXIV_URL``, ``PAPERSHELF_DOI_URL``.

Under the config file's error policy a command stops at the first problem: :class:`BadInput`
naming the file and the line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.config_file import ENV_CONFIG, ConfigFile, check_number, config_path, read_config
from reader.errors import BadInput

__all__ = ["CATEGORY_RE", "DEFAULT_ARXIV_URL", "DEFAULT_DOI_URL", "DEFAULT_HF_URL",
           "DEFAULT_TIMEOUT", "ENV_CONFIG", "MAX_TIMEOUT", "Settings", "config_path",
           "library_url", "load_config", "load_settings", "sources_settings"]

DEFAULT_HF_URL = "https://huggingface.co"
DEFAULT_ARXIV_URL = "https://export.arxiv.org"
DEFAULT_DOI_URL = "https://doi.org"
DEFAULT_TIMEOUT = 20.0
MAX_TIMEOUT = 3600.0  # an hour: anything longer is a typo, not a slow mirror

URL_KEYS = {"hf_url": "PAPERSHELF_HF_URL", "arxiv_url": "PAPERSHELF_ARXIV_URL",
            "doi_url": "PAPERSHELF_DOI_URL"}
# cs.CL, astro-ph, astro-ph.CO, math.GT, q-bio.NC, hep-th, stat.ML, eess.IV, econ.EM
CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$")


@dataclass(frozen=True)
class Settings:
    hf_url: str = DEFAULT_HF_URL
    arxiv_url: str = DEFAULT_ARXIV_URL
    doi_url: str = DEFAULT_DOI_URL
    arxiv_categories: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    config_file: Path | None = None  # the file that was read, if any
    config: dict[str, Any] = field(default_factory=dict)  # the whole parsed file


def load_config(path: Path) -> dict[str, Any]:
    """The parsed TOML file; :class:`BadInput` with ``file:line`` when it cannot be used."""
    return read_config(path).data


def _check_url(value: str, where: str) -> str:
    url = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise BadInput(f"{where} must be an http:// or https:// URL, not {value!r}")
    return url


def sources_settings(file: ConfigFile, env: Mapping[str, str]) -> Settings:
    """The ``[sources]`` table of ``file`` checked, with the environment over it."""
    def where(key: str) -> str:
        return f"{file.where('sources.' + key)}: [sources] {key}"

    sources, problem = file.table("sources")
    if problem:
        raise BadInput(problem)
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
        values["timeout"] = check_number(sources["timeout"], where("timeout"), above=0,
                                         most=MAX_TIMEOUT, unit="seconds")
    settings = Settings(config_file=file.path if file.exists else None, config=file.data, **values)
    from reader.limits import http_limits  # (it reads Settings: imported here, not at the top)

    http_limits(settings)  # timeout, deadline, max_response_mb: finite and in range, or stop here
    return settings


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Settings from the config file (if there is one) and the environment (which wins).

    A missing file at the default place is fine (defaults apply); a file named by
    ``PAPERSHELF_CONFIG`` (or ``path``) that does not exist is an error.
    """
    env = os.environ if env is None else env
    return sources_settings(read_config(path, env=env), env)


LIBRARY_URL_PREFIXES = ("postgresql://", "postgres://")


def library_url(env: Mapping[str, str] | None = None, path: Path | None = None) -> str | None:
    """``[library] url`` of config.toml: a PostgreSQL database to use as the library
    (``postgresql://host/db``; credentials from libpq: ``~/.pgpass``, ``PGSERVICE``), or None.
    ``--db`` and ``PAPERSHELF_DB`` win over it."""
    env = os.environ if env is None else env
    if not (path or config_path(env)).exists():
        # No file, no [library] url: a missing file named by PAPERSHELF_CONFIG is reported by
        # the commands that read their settings from it, not by every command that opens the
        # library.
        return None
    file = read_config(path, env=env)
    table, problem = file.table("library")
    if problem:
        raise BadInput(problem)
    if "url" not in table:
        return None
    value = table["url"]
    where = f"{file.where('library.url')}: [library] url"
    if not isinstance(value, str) or not value.strip().startswith(LIBRARY_URL_PREFIXES):
        raise BadInput(f"{where} must be a PostgreSQL URL like postgresql://host/database, "
                       f"not {value!r}")
    return value.strip()
