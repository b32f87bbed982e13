"""The services: what the app may hand to a browser, and how export reports read."""

from __future__ import annotations

from tui.services.export import ExportReport
from tui.services.links import open_url, safe_url


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


def test_export_reports_say_what_was_written_where(tmp_path):
    refs = tmp_path / "refs.bib"
    assert ExportReport(text="@misc{a,\n}\n", added=["a"]).summary() == "1 entry"
    assert ExportReport(path=refs, added=["a", "b"]).summary() == f"Wrote 2 entries to {refs}"
    keys = [f"k{n}" for n in range(7)]
    assert ExportReport(path=refs, merged=True, added=keys).summary() == (
        f"Added 7 entries to {refs} (k0, k1, k2, k3, k4 and 2 more)")
    assert ExportReport(path=refs, merged=True, skipped=["a (the file has this key already, "
                                                         "line 3)"]).summary() == (
        f"Nothing added to {refs}\n1 already there: a (the file has this key already, line 3)")
