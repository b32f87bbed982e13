"""What a user may type to name a paper: arXiv ids and URLs, DOIs and doi.org URLs, Hugging
Face paper URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from reader.errors import BadInput
from reader.record import normalise_doi, split_arxiv_id

Kind = Literal["arxiv", "doi", "hf"]

_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org")
_HF_HOSTS = ("huggingface.co", "www.huggingface.co", "hf.co")
_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")


@dataclass(frozen=True)
class Identifier:
    text: str  # as the user typed it
    kind: Kind
    value: str  # arXiv id (versionless), DOI (lower case), or the arXiv id of an HF paper
    version: int | None = None  # arXiv version when one was given

    @property
    def arxiv_query(self) -> str:
        """The id to ask arXiv for (with the version when one was given)."""
        return f"{self.value}v{self.version}" if self.version else self.value


def _arxiv(text: str, candidate: str, kind: Kind = "arxiv") -> Identifier | None:
    candidate = re.sub(r"\.pdf$", "", candidate.strip().strip("/"), flags=re.IGNORECASE)
    split = split_arxiv_id(candidate)
    if split is None:
        return None
    return Identifier(text, kind, split[0], split[1])


def parse_identifier(text: str) -> Identifier:
    """Recognise one identifier; :class:`BadInput` when it is none of the known kinds."""
    raw = text.strip()
    if not raw:
        raise BadInput("an empty identifier")
    found = _arxiv(raw, raw)
    if found:
        return found
    lowered = raw.lower()
    if lowered.startswith("doi:"):
        raw_doi = raw[4:].strip()
        return _doi(text, raw_doi)
    if _DOI_RE.match(raw):
        return _doi(text, raw)
    url = raw if "://" in raw else f"https://{raw}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host in _ARXIV_HOSTS:
        m = re.match(r"^/(?:abs|pdf|html|format)/(.+)$", path)
        if m:
            found = _arxiv(text, m.group(1))
            if found:
                return found
    elif host in _HF_HOSTS:
        m = re.match(r"^/papers/([^/?#]+)/?$", path)
        if m:
            found = _arxiv(text, m.group(1), "hf")
            if found:
                return found
    elif host in _DOI_HOSTS and path.strip("/"):
        return _doi(text, path.lstrip("/"))
    raise BadInput(f"{text!r} is not an arXiv id, arXiv URL, DOI or Hugging Face paper URL")


def _doi(text: str, raw: str) -> Identifier:
    doi = normalise_doi(raw)
    if not doi or not _DOI_RE.match(doi):
        raise BadInput(f"{text!r} is not a DOI (like 10.1145/3292500.3330701)")
    arxiv = split_arxiv_id(doi)  # 10.48550/arXiv.2106.09685 is an arXiv paper
    if arxiv:
        return Identifier(text, "arxiv", arxiv[0], arxiv[1])
    return Identifier(text, "doi", doi)
