"""Bibliographic formats: BibTeX out and in (and later CSL-JSON, Markdown).

Plain data in, plain data out: no SQL sessions, no HTTP, no textual.
"""
