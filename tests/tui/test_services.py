"""The services seam: what the app may hand to a browser, and the search stand-in."""

from __future__ import annotations

from tui.services import NotAvailable, Services, open_url, safe_url


def test_only_http_links_reach_the_browser(monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0: opened.append(url) or True)
    assert safe_url("https://arxiv.org/abs/1706.03762") == "https://arxiv.org/abs/1706.03762"
    assert safe_url(" HTTP://example.org ") == "HTTP://example.org"
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "ftp://x.org/a", "https://",
                "https:///path", "https://a b.org", "", None, "; rm -rf ~"):
        assert safe_url(bad) is None, bad
        assert open_url(bad) is False
    assert open_url("https://arxiv.org/pdf/2106.09685") is True
    assert opened == ["https://arxiv.org/pdf/2106.09685"]


def test_seams_say_what_is_not_there_yet(lib):
    # SEAM(pull) SEAM(export) SEAM(search): update as each engine is wired in.
    services = Services(lib)
    assert services.can_pull() is False and services.can_export() is False
    for call in (lambda: services.pull(), lambda: services.bibtex_of([1])):
        try:
            call()
        except NotAvailable as error:
            assert "not available in this build yet" in str(error)
        else:  # pragma: no cover
            raise AssertionError("expected NotAvailable")
    assert services.search("anything") == []
