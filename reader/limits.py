"""How much papershelf accepts from a source: the ``[sources]`` limits of the config file.

``max_response_mb`` (default 50): the largest answer read, in MB after decompression.
``deadline`` (default 120): seconds a whole request may take (connect, headers, body), however
slowly the server trickles its answer. ``timeout`` (from :mod:`reader.settings`) is checked here
too: a finite number of seconds, at most an hour. A bad value is one line naming the file, the
line and the key.
"""

from __future__ import annotations

import math
from typing import Any

from reader.config_file import read_config
from reader.errors import BadInput
from reader.http import DEFAULT_DEADLINE, DEFAULT_MAX_BYTES
from reader.settings import Settings

MB = 1_000_000
RANGES = {  # key: (lowest, highest)
    "max_response_mb": (0.001, 4096.0),
    "deadline": (0.1, 86400.0),
    "timeout": (0.001, 3600.0),
}


def _where(settings: Settings, key: str) -> str:
    path = settings.config_file
    if path is None:
        return f"[sources] {key}"
    try:
        file = read_config(path, env={})
    except BadInput:
        return f"{path}: [sources] {key}"
    return f"{file.where('sources.' + key)}: [sources] {key}"


def _number(settings: Settings, key: str, value: Any) -> float:
    low, high = RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or not low <= value <= high:
        raise BadInput(f"{_where(settings, key)} must be a number from {low:g} to {high:g}, "
                       f"not {value!r}")
    return float(value)


def http_limits(settings: Settings) -> dict[str, Any]:
    """``HttpClient`` options (timeout, max_bytes, deadline) from the settings, checked."""
    sources = settings.config.get("sources", {})
    sources = sources if isinstance(sources, dict) else {}
    options: dict[str, Any] = {"timeout": _number(settings, "timeout", settings.timeout)}
    options["max_bytes"] = DEFAULT_MAX_BYTES
    if "max_response_mb" in sources:
        options["max_bytes"] = int(_number(settings, "max_response_mb",
                                           sources["max_response_mb"]) * MB)
    options["deadline"] = DEFAULT_DEADLINE
    if "deadline" in sources:
        options["deadline"] = _number(settings, "deadline", sources["deadline"])
    return options
