"""DOI content negotiation: ask ``{base}/{doi}`` for CSL-JSON or BibTeX.

This module returns what doi.org sends (a CSL-JSON object, or BibTeX text); turning it into a
:class:`PaperRecord` is the business of ``exports`` (``exports.csl``), which owns every
bibliographic format.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reader.errors import BadInput, NotFound, SourceError
from reader.http import HttpClient, HttpError, decode_json, looks_like_html
from reader.limits import http_limits
from reader.record import normalise_doi
from reader.settings import Settings

CSL_JSON = "application/vnd.citationstyles.csl+json"
BIBTEX = "application/x-bibtex; charset=utf-8"


class DoiClient:
    """Content negotiation at ``http.base_url`` (doi.org follows redirects to the agency)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def from_settings(cls, settings: Settings, **http_options: Any) -> DoiClient:
        for name, value in http_limits(settings).items():
            http_options.setdefault(name, value)
        http_options.setdefault("follow_redirects", True)
        return cls(HttpClient(settings.doi_url, **http_options))

    def close(self) -> None:
        self.http.close()

    def _get(self, doi: str, accept: str) -> Any:
        clean = normalise_doi(doi)
        if not clean or not clean.startswith("10."):
            raise BadInput(f"{doi!r} is not a DOI (like 10.1145/3292500.3330701)")
        path = "/" + quote(clean, safe="/:;()[],.-_~")
        try:
            return self.http.get(path, headers={"Accept": accept}), clean
        except HttpError as err:
            if err.status == 404:
                raise NotFound(f"{self.http.host} does not know the DOI {clean}") from None
            if err.status in (406, 415):
                raise SourceError(f"{self.http.host} has no {accept.split(';')[0]} for the DOI "
                                  f"{clean} (HTTP {err.status})") from None
            raise

    def csl(self, doi: str) -> dict[str, Any]:
        """The CSL-JSON object for ``doi``."""
        response, clean = self._get(doi, CSL_JSON)
        if looks_like_html(response):
            raise SourceError(f"{self.http.host} has no CSL-JSON for the DOI {clean} "
                              f"(it answered with a web page)")
        data = decode_json(response, host=self.http.host)
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise SourceError(f"unexpected CSL-JSON from {self.http.host} for the DOI {clean}")
        return data

    def bibtex(self, doi: str) -> str:
        """The BibTeX text doi.org sends for ``doi`` (parse it with ``exports``)."""
        response, clean = self._get(doi, BIBTEX)
        text = response.text.strip()
        if looks_like_html(response) or not text.startswith("@"):
            raise SourceError(f"{self.http.host} has no BibTeX for the DOI {clean}")
        return text
