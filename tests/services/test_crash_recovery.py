"""Workers that die and saves that fail: retried once or failed and released, exactly once (issue 6 §2, §8).

A real child process claims the approval job and is killed with SIGKILL while the four views are being
generated; the recovery sweep then retries the job on a fresh worker (here: this process) or, once the
attempts are used up, fails it and releases the hold. Save failures (database errors, killed
connections, wrong provider results, storage errors) release the hold at once, delete every blob the
job wrote, and leave the product usable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditHold, FrontViewApproval, Job, JobBlob, ProductIdea, utcnow
from genpire_app.backend.jobs import identity, sweep
from genpire_app.backend.providers.base import GeneratedImage
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import credits, operations, products
from genpire_app.backend.services.approval import ApprovalPlan
from tests.fakes import FakeImage, fake_providers
from tests.ledger_cases import assert_invariant

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, sys, uuid
from genpire_app.backend.jobs import push, runner
from genpire_app.backend.providers.registry import set_providers
from tests.fakes import FakeImage, fake_providers
from tests.harness import CapturedChannel

class BackFirst(FakeImage):  # the back view is stored at once, the others hang until the kill
    async def generate(self, request):
        if request.view != "back":
            await asyncio.sleep(120)
        return await super().generate(request)

push.set_channel(CapturedChannel())
set_providers(fake_providers(BackFirst()))
asyncio.run(runner.run(uuid.UUID(sys.argv[1])))
"""


def stored_files(data_dir: Path) -> list[str]:
    root = data_dir / "storage"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _wait_for_running_views(job_id: uuid.UUID, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_session() as s:
            job = s.get(Job, job_id)
        if job is not None and job.progress.get("back") == "done" and "running" in job.progress.values():
            return
        time.sleep(0.05)  # waiting for another process to reach a state, bounded by the deadline
    raise AssertionError("the child worker never started generating the views")


async def _approval_job(jobs, user: int) -> tuple[uuid.UUID, uuid.UUID, str]:
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
    first = await jobs.front_view(user, pid)
    submitted = await jobs.submit("approval", user, ApprovalPlan(approval_id=uuid.UUID(first.result["approval_id"])))
    jobs.pending.clear()  # the child process is the worker that takes it
    return pid, submitted.job_id, first.result["approval_id"]


def _kill_worker_mid_job(app_env: Path, job_id: uuid.UUID) -> None:
    env = {**os.environ, "DATA_DIR": str(app_env), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(job_id)], cwd=ROOT, env=env)
    try:
        _wait_for_running_views(job_id)
        assert sweep.recovery_sweep()["retried_jobs"] == 0, "a live worker's job must not be touched"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()


async def test_killed_worker_job_is_retried_once_and_charged_once(app_env, jobs, make_user):
    set_providers(fake_providers())
    user = make_user()
    pid, job_id, _ = await _approval_job(jobs, user)
    assert credits.balance(user_id=user) == 1700  # 1 for the front view, 2 held for the views
    _kill_worker_mid_job(app_env, job_id)
    with read_session() as s:
        assert s.exec(select(JobBlob).where(JobBlob.job_id == job_id)).first() is not None  # blobs of attempt 1

    report = sweep.recovery_sweep()
    assert report["retried_jobs"] == 1 and report["failed_jobs"] == 0
    assert jobs.pending == [job_id], "the retry is enqueued again"
    assert not [f for f in stored_files(app_env) if f"{job_id.hex}-1/" in f], "attempt 1's blobs are deleted"
    assert sweep.recovery_sweep()["retried_jobs"] == 0  # nothing twice

    await jobs.drain()  # a fresh worker runs attempt 2
    done = jobs.done(job_id)
    assert done.status == "succeeded"
    with read_session() as s:
        job = s.get(Job, job_id)
        assert job.attempts == 2 and s.get(CreditHold, job.hold_id).status == "captured"
        assert s.get(ProductIdea, pid).status == "images_generated"
    assert credits.balance(user_id=user) == 1700
    assert_invariant(user)


async def test_killed_worker_job_without_attempts_left_is_failed_and_released(app_env, jobs, make_user, monkeypatch):
    monkeypatch.setenv("JOB_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    set_providers(fake_providers())
    user = make_user()
    pid, job_id, approval_id = await _approval_job(jobs, user)
    _kill_worker_mid_job(app_env, job_id)

    report = sweep.recovery_sweep()
    assert report["failed_jobs"] == 1 and report["retried_jobs"] == 0 and jobs.pending == []
    with read_session() as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and job.error.startswith(sweep.RESTART_MESSAGE)
        assert s.get(CreditHold, job.hold_id).status == "released"
        assert s.get(FrontViewApproval, uuid.UUID(approval_id)).status == "pending"
        assert s.get(ProductIdea, pid).status == "front_view_ready"
    assert credits.balance(user_id=user) == 1900
    assert not [f for f in stored_files(app_env) if job_id.hex in f]
    assert sweep.recovery_sweep()["failed_jobs"] == 0  # idempotent
    assert_invariant(user)
    again = await jobs.approve(user, approval_id)  # the product is usable again
    assert again.ok and credits.balance(user_id=user) == 1700


async def test_stale_heartbeat_counts_as_dead_even_when_the_process_lives(app_env, jobs, make_user):
    set_providers(fake_providers())
    user = make_user()
    _, job_id, _ = await _approval_job(jobs, user)
    with write_session() as s:  # claimed by this (live) process, then silent for five minutes
        job = s.get(Job, job_id)
        job.status, job.attempts, job.heartbeat_at = "running", 1, utcnow() - timedelta(minutes=5)
        job.worker_id = identity.worker_id()  # this very process, alive
        s.add(job)
    assert sweep.recovery_sweep()["retried_jobs"] == 1
    await jobs.drain()
    assert jobs.done(job_id).status == "succeeded" and credits.balance(user_id=user) == 1700


async def test_sweep_keeps_the_hold_of_a_slow_but_alive_job(app_env, jobs, make_user):
    set_providers(fake_providers(FakeImage()))
    user = make_user()
    _, job_id, _ = await _approval_job(jobs, user)
    with write_session() as s:
        job = s.get(Job, job_id)
        hold = s.get(CreditHold, job.hold_id)
        hold.expires_at = utcnow() - timedelta(seconds=1)
        s.add(hold)
    orphan = credits.reserve(user_id=user, amount=100, operation="x", key="orphan", ttl_seconds=0)
    report = sweep.recovery_sweep()
    assert report["released_holds"] == 1
    with read_session() as s:
        assert s.get(CreditHold, s.get(Job, job_id).hold_id).status == "pending"
    assert credits.get_hold(orphan.id).status == "released"


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (OperationalError("INSERT", {}, Exception("database is locked")), "Something went wrong on our side"),
        (OSError(28, "No space left on device"), "Something went wrong on our side"),
        (KeyError("capture"), "Something went wrong on our side"),
    ],
)
async def test_a_failure_while_saving_releases_at_once(app_env, jobs, make_user, monkeypatch, failure, expected):
    """issue 6 §8: a save failure left the job running and the hold pending for the life of the process."""
    set_providers(fake_providers())
    user = make_user()
    pid, job_id, approval_id = await _approval_job(jobs, user)
    approval = operations.get("approval")

    def broken_store(*args, **kwargs):
        raise failure

    monkeypatch.setattr(approval, "store", broken_store)
    jobs.pending.append(job_id)
    await jobs.drain()
    done = jobs.done(job_id)
    assert done.status == "failed" and done.message.startswith(expected) and "Your 2 credits were returned." in done.message
    assert "locked" not in done.message and "No space" not in done.message  # details stay in the log
    assert credits.balance(user_id=user) == 1900
    assert not [f for f in stored_files(app_env) if job_id.hex in f], "no orphan blobs"
    with read_session() as s:
        assert s.exec(select(JobBlob)).first() is None
        assert s.get(ProductIdea, pid).status == "front_view_ready"
    monkeypatch.undo()
    assert (await jobs.approve(user, approval_id)).ok  # not "busy": the product is usable at once
    assert_invariant(user)


async def test_a_provider_returning_the_wrong_type_is_a_clean_failure(app_env, jobs, make_user):
    class WrongType(FakeImage):
        async def generate(self, request):
            return "not an image"

    set_providers(fake_providers())
    user = make_user()
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A steel bottle"))
    set_providers(fake_providers(WrongType()))
    done = await jobs.front_view(user, pid)
    assert done.status == "failed" and "went wrong" in done.message
    assert credits.balance(user_id=user) == 2000
    assert not [f for f in stored_files(app_env) if "/views/" in f]


async def test_a_failed_thumbnail_write_leaves_no_orphan_png(app_env, jobs, make_user, monkeypatch):
    from genpire_app.backend.storage import get_storage

    set_providers(fake_providers())
    user = make_user()
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A steel bottle"))
    storage = get_storage()
    real_put = storage.put

    async def put(key: str, data: bytes, content_type: str) -> None:
        if "_thumb" in key:
            raise OSError(5, "Input/output error")
        await real_put(key, data, content_type)

    monkeypatch.setattr(storage, "put", put)
    done = await jobs.front_view(user, pid)
    assert done.status == "failed" and credits.balance(user_id=user) == 2000
    assert not [f for f in stored_files(app_env) if "/views/" in f], "the PNG written before the failure is gone"


async def test_unknown_images_in_results_fail_without_a_charge(app_env, jobs, make_user):
    class Broken(FakeImage):
        async def generate(self, request):
            return GeneratedImage(data=b"not a png", width=1, height=1, model="x")

    set_providers(fake_providers(Broken()))
    user = make_user()
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A steel bottle"))
    done = await jobs.front_view(user, pid)
    assert done.status == "failed" and credits.balance(user_id=user) == 2000


def test_sweep_repairs_products_without_importing_services_first(app_env):
    """The sweep finds every operation's failure hook by explicit registration, whatever was imported."""
    code = (
        "from genpire_app.backend.jobs import sweep, runner\n"
        "assert 'approval' in runner.operations()\n"
        "print(sorted(runner.operations()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "DATA_DIR": str(app_env)},
                         capture_output=True, text=True, check=True)
    assert "approval" in out.stdout and "tech_pack" in out.stdout
