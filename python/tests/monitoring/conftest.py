"""Fixtures for tests that drive finmon through its Python API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import finmon


@pytest.fixture
def collector() -> Iterator[finmon.MetricsCollector]:
    """A fresh collector, closed after the test."""
    instance = finmon.MetricsCollector()
    try:
        yield instance
    finally:
        instance.close()
