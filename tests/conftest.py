"""Shared fixtures: every test gets its own data folder, SQLite database and storage.

The PostgreSQL tier (tests/pg) uses ``TEST_DATABASE_URL`` instead (see tests/pg/conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Offline providers by default, whatever the developer's shell exports.
for _var in ("GEMINI_API_KEY", "OPENAI_API_KEY", "DATABASE_URL", "REFLEX_REDIS_URL", "STORAGE_BACKEND"):
    os.environ.pop(_var, None)

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
if not FIXTURES.exists():  # a clone next to shared/ is the norm; fall back to an env override
    FIXTURES = Path(os.environ.get("GENPIRE_FIXTURES", "/work/shared/fixtures"))


@pytest.fixture
def fixtures_dir() -> Path:
    """Folder of the real input files (shared/fixtures)."""
    return FIXTURES


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """A fresh data folder (SQLite database, storage, secret) with all tables created; yields the folder."""
    from sqlmodel import SQLModel

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db import engine as engine_mod
    from genpire_app.backend.db import models  # noqa: F401  (register tables)

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine_mod.set_engine(None)
    _reset_singletons()
    engine = engine_mod.get_engine()
    SQLModel.metadata.create_all(engine)
    yield tmp_path / "data"
    engine.dispose()
    engine_mod.set_engine(None)
    get_settings.cache_clear()
    _reset_singletons()


def _reset_singletons() -> None:
    try:
        from genpire_app.backend.storage import set_storage

        set_storage(None)
    except Exception:  # storage package may not be importable in isolated unit tests
        pass
    try:
        from genpire_app.backend.providers.registry import set_providers

        set_providers(None)
    except Exception:
        pass


@pytest.fixture
def make_user(app_env):
    """Factory: create an account (and its signup grant unless ``credits`` is None); returns the user id."""
    from genpire_app.backend.services import accounts

    def _make(email: str = "maker@example.com", credits: int | None = 2000) -> int:
        return accounts.create_account(
            email=email, password="correct horse battery", signup_credits=0 if credits is None else credits
        )

    return _make


@pytest.fixture(scope="session")
def browser():
    """One Chromium for every browser tier of the session (sync Playwright can run only once at a time)."""
    from tests.browser import launch

    with launch() as b:
        yield b


@pytest.fixture
def jobs():
    """Held operations through the real runner, with the queue delivered in-process (tests/harness.py)."""
    from tests.harness import Jobs

    harness = Jobs()
    harness.install()
    yield harness
    harness.uninstall()


def pytest_collection_modifyitems(config, items):
    """Run the browser tiers last, the production topology after the embedded one: sync Playwright keeps an
    event loop running in the main thread for the rest of the session, which would break every later
    ``asyncio.run`` and async test; and each tier's server rebuilds the frontend for its own port."""
    items.sort(key=lambda item: 2 if "tests/prod/" in str(item.fspath) else 1 if "tests/e2e/" in str(item.fspath) else 0)


def pytest_terminal_summary(terminalreporter):
    """Say which tiers ran and which were skipped for lack of a service (``make test`` runs what it can)."""
    skipped = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "tier skipped" in reason or "Chromium is not installed" in reason:
            skipped[reason.removeprefix("Skipped: ")] = skipped.get(reason.removeprefix("Skipped: "), 0) + 1
    for reason, n in skipped.items():
        terminalreporter.write_line(f"tier not run ({n} tests): {reason}", yellow=True)
