"""PostgreSQL tier: migrations, concurrent approvals and edits, a connection killed while saving."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import credits, products
from genpire_app.backend.services.approval import ApprovalPlan
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


async def test_concurrent_approvals_charge_once_on_postgres(jobs, make_user):
    set_providers(fake_providers(FakeImage(latency=0.05)))
    try:
        user = make_user()
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
        first = await jobs.front_view(user, pid)
        plan = ApprovalPlan(approval_id=uuid.UUID(first.result["approval_id"]))
        results = await asyncio.gather(*(jobs.submit("approval", user, plan) for _ in range(5)), return_exceptions=True)
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert sum(isinstance(r, OperationError) for r in results) == 4
        await jobs.drain()
        assert credits.balance(user_id=user) == 1700
        assert_invariant(user)
    finally:
        set_providers(None)


async def test_simultaneous_edits_get_distinct_revisions_on_postgres(jobs, make_user):
    from tests import edit_cases

    set_providers(fake_providers(FakeImage(latency=0.05)))
    try:
        await edit_cases.simultaneous_edits_get_distinct_revisions(jobs, make_user())
    finally:
        set_providers(None)


async def test_concurrent_edits_of_one_view_keep_both_on_postgres(jobs, make_user):
    from tests import edit_cases

    set_providers(fake_providers(FakeImage(latency=0.05)))
    try:
        await edit_cases.concurrent_edits_of_one_view_keep_both(jobs, make_user())
    finally:
        set_providers(None)


async def test_a_killed_database_connection_while_saving_releases_at_once(pg_env, jobs, make_user, monkeypatch):
    """issue 6 §8: the save transaction's connection is terminated; the hold is released at once and the
    product can be approved again."""
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditHold, Job
    from genpire_app.backend.services import operations

    set_providers(fake_providers())
    try:
        user = make_user()
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote"))
        first = await jobs.front_view(user, pid)
        approval = operations.get("approval")
        real_store = approval.store

        def store_on_a_dying_connection(session, *args, **kwargs):
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            return real_store(session, *args, **kwargs)

        monkeypatch.setattr(approval, "store", store_on_a_dying_connection)
        done = await jobs.approve(user, first.result["approval_id"])
        assert done.status == "failed" and "Your 2 credits were returned." in done.message
        with read_session() as s:
            assert s.get(CreditHold, s.get(Job, done.job_id).hold_id).status == "released"
        assert credits.balance(user_id=user) == 1900
        monkeypatch.undo()
        assert (await jobs.approve(user, first.result["approval_id"])).ok
        assert credits.balance(user_id=user) == 1700
        assert_invariant(user)
    finally:
        set_providers(None)
