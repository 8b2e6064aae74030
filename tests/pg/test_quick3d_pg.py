"""Quick 3D on PostgreSQL (seed 003 §2, §4; DESIGN.md §11 "the schema comes from alembic upgrade head"): the
styles seeded by the migration, the feed's partial index, keyset paging on ``timestamptz`` + ``uuid``, the
concepts accounting, and concurrent regenerations of one asset (the asset's row lock lets exactly one through).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import assets, concepts, credits
from tests.ledger_cases import assert_invariant
from tests.services import test_quick3d as cases
from tests.services.test_quick3d import (  # noqa: F401  (collected here against PostgreSQL)
    test_public_feed_pages_stay_stable_while_assets_are_published,
    test_regenerate_costs_one_more_and_replaces_the_concepts,
    test_text_mode_makes_two_concepts_for_one_credit,
    test_workspace_lists_the_users_assets_newest_first_with_next_steps,
)


@pytest.fixture
def quick(pg_env, tmp_path, monkeypatch):
    """Small offline renders; the styles come from the migration itself."""
    monkeypatch.setenv("IMAGE_SIZE", "256")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_migration_seeds_styles_and_the_partial_feed_index(quick):
    assert [s.slug for s in assets.list_styles()] == [slug for _, slug, *_ in cases.STYLES]
    with read_session() as s:
        indexdef = s.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_assets_public_feed'"
                                  " AND schemaname = current_schema()")).scalar_one()
    assert "WHERE (is_public = true)" in indexdef


async def test_concurrent_regenerations_let_exactly_one_through(quick, jobs, make_user):
    user = make_user()
    first = await cases.start(jobs, user)
    before = credits.balance(user_id=user)

    def attempt(i: int) -> str:
        try:
            concepts.regenerate_concepts(user, first.asset_id, f"race-intent-{i:04d}")
            return "ok"
        except OperationError as err:
            return err.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = await asyncio.to_thread(lambda: list(pool.map(attempt, range(8))))
    assert results.count("ok") == 1 and set(results) == {"ok", "busy"}
    assert credits.balance(user_id=user) == before - 100
    await jobs.drain()
    assert cases.row(first.asset_id).concept_attempts == 2
    assert_invariant(user)
