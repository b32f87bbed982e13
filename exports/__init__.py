"""Bibliographic formats: BibTeX out and in, CSL-JSON in. Plain data only: no SQL, no HTTP."""
