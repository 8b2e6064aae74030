"""Fixtures shared by the unit tests of the offline providers."""

from __future__ import annotations

import pytest

from genpire_app.backend.config import get_settings


@pytest.fixture
def offline_env(monkeypatch):
    """No offline latency and nothing failing; the settings are read again inside the test and after it.
    A test module's autouse fixture may set more variables and then call ``get_settings.cache_clear()``."""
    monkeypatch.delenv("OFFLINE_FAIL", raising=False)
    monkeypatch.delenv("OFFLINE_LATENCY_MS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
