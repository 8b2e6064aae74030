"""A server killed mid-generation: the job ends failed and the credits come back (DESIGN.md §5, §7).

The generation runs in a real child process that is killed with SIGKILL while the four views are being
generated; the recovery sweep (what start-up runs) must then fail the job, release the hold and put the
product back to "awaiting approval".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import CreditHold, FrontViewApproval, Job, ProductIdea
from genpire_app.backend.jobs import records
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import credits, generation, products
from tests.fakes import fake_providers
from tests.ledger_cases import assert_invariant

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, sys, uuid
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import generation
from tests.fakes import FakeImage, fake_providers
set_providers(fake_providers(FakeImage(latency=120)))
asyncio.run(generation.approve_and_generate(user_id=int(sys.argv[1]), approval_id=uuid.UUID(sys.argv[2])))
"""


def _wait_for_running_views(timeout: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_session() as s:
            job = s.exec(select(Job).where(Job.kind == "remaining_views")).first()
        if job is not None and "running" in job.progress.values() and job.progress.get("features") == "done":
            return job
        time.sleep(0.05)  # polling a condition, bounded by the deadline
    raise AssertionError("the child never started generating the views")


async def test_killed_generation_is_failed_and_refunded_by_the_sweep(app_env, make_user):
    set_providers(fake_providers())
    user = make_user()
    pid = await products.create_product(
        user_id=user, data=products.ProductInput(mode="text", idea="A minimalist canvas tote bag")
    )
    first = await generation.generate_front_view(user_id=user, product_id=pid)
    assert credits.balance(user_id=user) == 1900

    env = {**os.environ, "DATA_DIR": str(app_env), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(user), first.approval_id], cwd=ROOT, env=env)
    try:
        job = _wait_for_running_views()
        assert credits.balance(user_id=user) == 1700  # the 2 credits are held while it runs
        assert records.sweep_dead_jobs() == 0, "a live worker's job must not be touched"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()

    assert records.sweep_dead_jobs() == 1
    with read_session() as s:
        dead = s.get(Job, job.id)
        assert dead.status == "failed" and dead.error == records.RESTART_MESSAGE
        assert s.get(CreditHold, dead.hold_id).status == "released"
        assert s.get(FrontViewApproval, uuid.UUID(first.approval_id)).status == "pending"
        assert s.get(ProductIdea, pid).status == "front_view_ready"
    assert credits.balance(user_id=user) == 1900
    assert_invariant(user)
    assert records.sweep_dead_jobs() == 0  # idempotent

    # The user can approve again afterwards.
    again = await generation.approve_and_generate(user_id=user, approval_id=uuid.UUID(first.approval_id))
    assert again.ok and credits.balance(user_id=user) == 1700


async def test_stale_heartbeat_from_another_host_is_failed(app_env, make_user):
    from datetime import timedelta

    from genpire_app.backend.db.engine import write_session
    from genpire_app.backend.db.models import utcnow

    user = make_user()
    set_providers(fake_providers())
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A steel water bottle"))
    with write_session() as s:
        hold = credits.reserve(user_id=user, amount=100, operation="front_view", key="job:remote", session=s)
        job = records.start_job(s, user_id=user, kind="front_view", product_id=pid, hold_id=hold.id)
        job.worker_id = "other-host:123:456"
        job.heartbeat_at = utcnow() - timedelta(minutes=5)
    assert credits.balance(user_id=user) == 1900
    assert records.sweep_dead_jobs() == 1
    assert credits.balance(user_id=user) == 2000
    with read_session() as s:
        assert s.get(ProductIdea, pid).status == "failed"


async def test_sweep_keeps_the_hold_of_a_slow_but_alive_job(app_env, make_user):
    from genpire_app.backend.db.engine import write_session

    user = make_user()
    set_providers(fake_providers())
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A steel water bottle"))
    with write_session() as s:
        hold = credits.reserve(user_id=user, amount=100, operation="front_view", key="job:slow", session=s, ttl_seconds=0)
        records.start_job(s, user_id=user, kind="front_view", product_id=pid, hold_id=hold.id)
    orphan = credits.reserve(user_id=user, amount=100, operation="x", key="orphan", ttl_seconds=0)
    report = records.recovery_sweep()
    assert report["released_holds"] == 1
    assert credits.get_hold("job:slow").status == "pending" and credits.get_hold(orphan.id).status == "released"
    assert credits.balance(user_id=user) == 1900
