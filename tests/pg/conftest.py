"""PostgreSQL tier: runs when PostgreSQL answers at ``TEST_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); ``.ci/run`` requires it.

Each test gets a private schema (dropped afterwards) so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def _answers(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=2).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


PG_AVAILABLE = _answers(PG_URL)


def pytest_collection_modifyitems(config, items):
    if PG_AVAILABLE or os.environ.get("REQUIRE_ALL_TIERS"):
        return
    skip = pytest.mark.skip(reason=f"PostgreSQL does not answer at {PG_URL}: PostgreSQL tier skipped")
    for item in items:
        if "tests/pg/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def pg_env(tmp_path, monkeypatch):
    """Point the app at a fresh schema of the PostgreSQL database in ``TEST_DATABASE_URL``, built by
    ``alembic upgrade head`` (DESIGN.md §11), not ``create_all``."""
    from alembic import command
    from sqlmodel import create_engine

    from tests.unit.test_migrations import alembic_config

    from genpire_app.backend.config import Settings, get_settings
    from genpire_app.backend.db import engine as engine_mod
    from genpire_app.backend.db import models  # noqa: F401

    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = Settings(database_url=PG_URL).effective_database_url
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    engine = create_engine(
        url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=20, max_overflow=60, pool_timeout=60
    )
    engine_mod.set_engine(engine)
    rendered = engine.url.render_as_string(hide_password=False)
    command.upgrade(alembic_config(f"{rendered}{'&' if '?' in rendered else '?'}options=-csearch_path%3D{schema}"), "head")
    yield engine
    engine.dispose()
    engine_mod.set_engine(None)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    get_settings.cache_clear()


@pytest.fixture
def make_user(pg_env):
    """Factory: create an account with ``credits`` hundredths of signup credits; returns the user id."""
    from genpire_app.backend.services import accounts

    def _make(email: str = "maker@example.com", credits: int | None = 2000) -> int:
        return accounts.create_account(
            email=email, password="correct horse battery", signup_credits=0 if credits is None else credits
        )

    return _make
