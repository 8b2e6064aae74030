"""PostgreSQL tier: migrations, and concurrent approvals of one product charged once."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import credits, generation, products
from tests.fakes import FakeImage, fake_providers
from tests.ledger_cases import assert_invariant
from tests.unit.test_migrations import upgrade_and_check


def test_postgres_upgrade_matches_models(pg_env):
    schema = f"m_{uuid.uuid4().hex[:10]}"
    with pg_env.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = pg_env.url.render_as_string(hide_password=False)
        sep = "&" if "?" in url else "?"
        upgrade_and_check(f"{url}{sep}options=-csearch_path%3D{schema}")
    finally:
        with pg_env.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


async def test_concurrent_approvals_charge_once_on_postgres(make_user):
    set_providers(fake_providers(FakeImage(latency=0.05)))
    try:
        user = make_user()
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
        first = await generation.generate_front_view(user_id=user, product_id=pid)
        aid = uuid.UUID(first.approval_id)
        results = await asyncio.gather(
            *(generation.approve_and_generate(user_id=user, approval_id=aid) for _ in range(5)), return_exceptions=True
        )
        assert sum(isinstance(r, generation.Outcome) and r.ok for r in results) == 1
        assert sum(isinstance(r, generation.GenerationError) for r in results) == 4
        assert credits.balance(user_id=user) == 1700
        assert_invariant(user)
    finally:
        set_providers(None)


async def test_simultaneous_edits_get_distinct_revisions_on_postgres(make_user):
    from tests import edit_cases

    set_providers(fake_providers(FakeImage(latency=0.05)))
    try:
        await edit_cases.simultaneous_edits_get_distinct_revisions(make_user())
    finally:
        set_providers(None)
