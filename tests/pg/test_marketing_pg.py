"""Mockups, store and Shopify webhooks on PostgreSQL (issue 11; DESIGN.md §11 "the same ledger and webhook tests
on PostgreSQL with real concurrency"; the schema comes from ``alembic upgrade head``).

Re-collected here against PostgreSQL: a 2 x 3 mockup batch, the annual-budget refusal, the retried-then-released
render, a valid Shopify ``orders/create``, the public storefront page and the supervised publish.

PostgreSQL only: two batches of one user submitted together whose renders cross the annual budget, two batches
racing for credits that cover one of them, and one Shopify delivery arriving twice at once. Each race is made
deterministic with :class:`Overlap`: both transactions are open before either takes its lock, and the first one
through waits, before committing, until PostgreSQL reports the other one blocked by it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.external_models import ExternalEvent
from genpire_app.backend.db.marketing_models import Mockup, UserSettings
from genpire_app.backend.db.models import CreditHold, Job
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import credits, external_events, guardrails
from genpire_app.backend.services.mockups import submit_batch
from tests.ledger_cases import assert_invariant
from tests.mockup_cases import counts, mockups_of
from tests.services import test_shopify_webhooks as hooks
from tests.services.test_mockups import (  # noqa: F401  (fixtures, and tests collected here against PostgreSQL)
    env,
    fake,
    scenes,
    test_batch_crossing_the_annual_budget_is_refused_with_nothing_held,
    test_failing_render_is_retried_with_backoff_then_failed_and_released,
    test_two_designs_by_three_scenes_render_six_mockups_for_six_credits,
    two_designs,
)
from tests.services.test_shopify_webhooks import (  # noqa: F401
    api,
    test_orders_create_with_a_valid_hmac_adds_exact_revenue_once_per_product,
)
from tests.services.test_store_publish import (  # noqa: F401
    pushes,
    test_supervised_publish_goes_pending_with_an_approval_item,
)
from tests.services.test_storefront import client, test_page_lists_only_active_products_of_that_store  # noqa: F401

WAIT_S = 30.0


@pytest.fixture
def app_env(pg_env, tmp_path):
    """The service tests' ``app_env`` on PostgreSQL: the schema of ``pg_env`` and fresh storage and providers
    (process-wide singletons that would otherwise keep an earlier test's data folder)."""
    from genpire_app.backend.providers.registry import set_providers
    from genpire_app.backend.storage import set_storage

    set_storage(None)
    set_providers(None)
    yield tmp_path / "data"
    set_storage(None)
    set_providers(None)


class Overlap:
    """Two threads' transactions made to overlap at one step.

    ``enter(session)`` in each transaction (its backend pid noted; both wait for each other there), then the
    guarded step (which takes a row lock or inserts a unique key), then ``passed()``. The first thread through
    the step waits in ``passed()`` until PostgreSQL reports the other transaction blocked by it
    (``pg_blocking_pids``), or the other passed the step too (then the step does not serialise them and the
    test's assertions fail), or it ended. Nothing waits on a clock except the ``WAIT_S`` safety timeout.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self.barrier = threading.Barrier(2, timeout=WAIT_S)
        self.pids: dict[int, int] = {}
        self.first: int | None = None
        self.lock = threading.Lock()
        self.other_went_on = threading.Event()
        self.blocked_seen = False

    def enter(self, session: Session) -> None:
        self.pids[threading.get_ident()] = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        self.barrier.wait()

    def ended(self) -> None:
        """Called by each racing thread when it is done (whatever the outcome)."""
        with self.lock:
            if self.first != threading.get_ident():
                self.other_went_on.set()

    def passed(self) -> None:
        me = threading.get_ident()
        with self.lock:
            first = self.first is None
            if first:
                self.first = me
        if not first:
            self.other_went_on.set()
            return
        mine = self.pids[me]
        (other,) = [pid for thread, pid in self.pids.items() if thread != me]
        deadline = time.monotonic() + WAIT_S
        with self.engine.connect() as conn:
            while not self.other_went_on.wait(0.005):
                if mine in conn.execute(text("SELECT pg_blocking_pids(:pid)"), {"pid": other}).scalar_one():
                    self.blocked_seen = True
                    return
                assert time.monotonic() < deadline, "the other transaction neither blocked nor went on"


def race(overlap: Overlap, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the two ``calls`` in two threads at once; each result is the return value or the OperationError."""

    def run(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except OperationError as err:
            return err
        finally:
            overlap.ended()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, calls))


def guard_budget_check(monkeypatch, overlap: Overlap) -> None:
    """The batch's guardrail check (which row-locks the user's settings) is the overlapping step."""
    real = guardrails.check_batch

    def check(session: Session, user_id: int, renders: int) -> str | None:
        overlap.enter(session)
        warning = real(session, user_id, renders)
        overlap.passed()
        return warning

    monkeypatch.setattr(guardrails, "check_batch", check)


def split(results: list[Any]) -> tuple[Any, OperationError]:
    accepted = [r for r in results if not isinstance(r, OperationError)]
    refused = [r for r in results if isinstance(r, OperationError)]
    assert len(accepted) == len(refused) == 1, results
    return accepted[0], refused[0]


def only_the_accepted_batch_was_held(user: int, accepted) -> None:
    assert counts(user) == {"holds": 6, "jobs": 6, "mockups": 6}
    assert {m.batch_id for m in mockups_of(user)} == {accepted.batch_id}
    with read_session() as s:
        jobs = s.exec(select(Job).where(Job.user_id == user)).all()
        holds = {h.id for h in s.exec(select(CreditHold).where(CreditHold.user_id == user))}
    assert {j.id for j in jobs} == set(accepted.job_ids)
    assert {j.hold_id for j in jobs} == holds


async def test_two_batches_crossing_the_annual_budget_together_let_exactly_one_through(
        fake, make_user, jobs, pg_env, monkeypatch):
    user = make_user()
    guardrails.update_guardrails(user, annual_budget=8, monthly_limit=8)  # 6 + 6 > 8
    designs, scene_ids = await two_designs(user), scenes(user)
    before = credits.balance(user_id=user)
    overlap = Overlap(pg_env)
    guard_budget_check(monkeypatch, overlap)

    results = await asyncio.to_thread(race, overlap, [
        lambda: submit_batch(user, designs, scene_ids, "race-intent-0001"),
        lambda: submit_batch(user, designs, scene_ids, "race-intent-0002")])

    accepted, refused = split(results)
    assert overlap.blocked_seen  # the second check waited for the first batch's transaction
    assert refused.code == "budget" and "6 in progress" in refused.message and "2 renders are left" in refused.message
    assert len(accepted.job_ids) == 6 and sorted(jobs.pending) == sorted(accepted.job_ids)
    only_the_accepted_batch_was_held(user, accepted)
    assert credits.balance(user_id=user) == before - 600
    assert_invariant(user)

    await jobs.drain()
    assert {m.status for m in mockups_of(user)} == {"completed"}
    usage = guardrails.usage(user)
    assert (usage.annual_used, usage.in_flight, usage.annual_remaining) == (6, 0, 2)
    assert credits.balance(user_id=user) == before - 600
    assert_invariant(user)


async def test_two_batches_racing_for_credits_enough_for_one_let_exactly_one_through(
        fake, make_user, jobs, pg_env, monkeypatch):
    user = make_user(credits=600)  # 6 credits: one batch of 6 renders
    designs, scene_ids = await two_designs(user), scenes(user)
    with read_session() as s:  # both batches create the settings row at once, too
        assert s.get(UserSettings, user) is None
    overlap = Overlap(pg_env)
    guard_budget_check(monkeypatch, overlap)

    results = await asyncio.to_thread(race, overlap, [
        lambda: submit_batch(user, designs, scene_ids, "race-intent-0001"),
        lambda: submit_batch(user, designs, scene_ids, "race-intent-0002")])

    accepted, refused = split(results)
    assert overlap.blocked_seen
    assert refused.code == "insufficient_credits" and "needs 6 credits" in refused.message
    assert sorted(jobs.pending) == sorted(accepted.job_ids)
    only_the_accepted_batch_was_held(user, accepted)
    assert credits.balance(user_id=user) == 0
    assert_invariant(user)
    with read_session() as s:
        assert len(s.exec(select(UserSettings).where(UserSettings.user_id == user)).all()) == 1


def test_the_same_shopify_order_delivered_twice_at_once_is_counted_once(api, make_user, pg_env, monkeypatch):
    user = make_user()
    hooks.connect(user)
    pid = hooks.new_product(user, hooks.GID)
    payload = hooks.order((hooks.numeric(hooks.GID), "24.99", 2))
    overlap = Overlap(pg_env)
    real_record, real_mark = external_events.record, external_events.mark_handled

    def record(s: Session, delivery: external_events.Delivery, *, handled: bool):
        overlap.enter(s)  # then INSERT ... ON CONFLICT DO NOTHING on (source, external_id)
        return real_record(s, delivery, handled=handled)

    def mark_handled(s: Session, event_id: uuid.UUID) -> None:
        overlap.passed()  # the order is counted, not committed yet
        real_mark(s, event_id)

    monkeypatch.setattr(external_events, "record", record)
    monkeypatch.setattr(external_events, "mark_handled", mark_handled)
    webhook_id = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"

    answers = race(overlap, [lambda: hooks.deliver(api, "orders/create", payload, webhook_id=webhook_id)] * 2)

    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json()["result"] for a in answers) == ["duplicate", "order_recorded"]
    assert overlap.blocked_seen  # the second insert waited for the first delivery's transaction
    row = hooks.product(pid)
    assert (row.total_orders, row.total_revenue_cents) == (1, 4998)
    assert [e.kind for e in hooks.events(pid)] == ["order"]
    with read_session() as s:
        (stored,) = s.exec(select(ExternalEvent).where(ExternalEvent.source == "shopify")).all()
    assert stored.handled_at is not None
