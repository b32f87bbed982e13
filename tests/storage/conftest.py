"""Fixtures of the storage tests (defined with the sample data they load)."""

from tests.storage.search_data import (
    any_lib,
    any_search_lib,
    pg_search_template,
    search_lib,
    search_template,
)

__all__ = ["any_lib", "any_search_lib", "pg_search_template", "search_lib", "search_template"]
