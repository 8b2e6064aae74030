"""Playwright journeys against the production build in Debian's Chromium, on the embedded default.

One server per test session (``tests/topology.py``: ``reflex run --env prod``, SQLite, local storage, the
queue worker in-process) with the offline providers at a fixed latency so in-progress states are
observable. Every test gets its own browser context; ``page.shots()`` saves step screenshots and a
failing test saves a final screenshot, all under ``test-results/e2e/<test name>/``.
"""

from __future__ import annotations

import os

import pytest

from tests.browser import CHROMIUM, RESULTS, tier_page
from tests.topology import start_embedded

#: Offline provider latency for the e2e server, milliseconds.
LATENCY_MS = int(os.environ.get("E2E_OFFLINE_LATENCY_MS", "1200"))


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (make test installs it from Debian)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The embedded default, started once; yields ``(base_url, data_dir)``."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    topo = start_embedded(data_dir, RESULTS / "e2e", {"OFFLINE_LATENCY_MS": str(LATENCY_MS)})
    try:
        yield topo.base_url, data_dir
    finally:
        topo.stop()


@pytest.fixture
def page(browser, server, request):
    """A fresh browser context and page on the server; screenshot on failure."""
    with tier_page(browser, server[0], "e2e", request) as pg:
        yield pg


@pytest.fixture
def fixtures(fixtures_dir):
    """Paths of the real input files."""
    return {"logo": fixtures_dir / "brand-logo.png", "photo": fixtures_dir / "coffee-cup-photo.png"}
