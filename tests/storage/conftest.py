"""Fixtures of the storage tests (defined with the sample data they load)."""

from tests.storage.search_data import search_lib, search_template

__all__ = ["search_lib", "search_template"]
