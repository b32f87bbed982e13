"""Fixtures of the service tests: fake sources (see service_fakes) and a recording Progress."""

from __future__ import annotations

import pytest
from service_fakes import FakeSources, Recorder


@pytest.fixture
def sources() -> FakeSources:
    return FakeSources()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
