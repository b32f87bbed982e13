"""Bibliographic formats: BibTeX out (:mod:`exports.bibtex_out`, :mod:`exports.merge`) and in
(:mod:`exports.bibtex_in`); later CSL-JSON, Markdown.

Plain data in, plain data out (``PaperRecord``s and text): no SQL sessions, no HTTP, no textual.
BibTeX syntax (bibtexparser) is used only in this package.
"""
