"""The recovery sweep: jobs whose worker died, messages that got lost, holds nobody will settle (DESIGN.md §5, §7.1).

Runs in every queue worker at boot and every ``Settings.sweep_seconds`` (``jobs.queue.SweepMiddleware``).

- A ``running`` job is dead when its worker process is gone (same host: pid and start time) or its
  heartbeat is older than ``Settings.job_stale_seconds`` (whatever the process says: a worker that cannot
  reach the database cannot commit either). A dead job is retried once (``running -> queued``, its
  attempt's blobs deleted, enqueued again) while ``attempts < Settings.job_max_attempts``; otherwise it
  fails and its hold is released. Each write is conditioned on the status and attempt the sweep saw, so a
  job is retried or failed exactly once, never both, even with several sweeps running at once.
- A ``queued`` job nobody claimed for ``Settings.queue_requeue_seconds`` is enqueued again (a lost
  message; duplicates are harmless); after ``Settings.queue_deadline_seconds`` it fails and is released.
- Pending holds past ``expires_at`` whose job is not queued or running are released; lapsed grants expire.
- Pending mail of the outbox whose next attempt is due is queued again (``services.mail.requeue_due``;
  issue 7 item 2): mail a lost message left behind, and retries after a failed SMTP attempt.
- Housekeeping (issue 7): sign-in throttle rows idle for a day and sessions ended a week ago are deleted.
- 3D tasks with no result after ``Settings.model_task_expire_seconds`` expire and their holds are released
  (``services.model_expiry.expire_due``; issue 8 item 3).
- Plans cancelled at period end whose period is over end (``services.subscriptions.end_due``; issue 9 item 7).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import select

from genpire_app.backend.aio import run_sync
from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import Job, as_utc, utcnow
from genpire_app.backend.jobs import identity, push, queue, runner
from genpire_app.backend.jobs.kinds import ACTIVE_STATUSES, JobStatus
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.services import credits, mail, model_expiry, sessions, subscriptions, throttle

log = logging.getLogger(__name__)

#: Shown when a job ends because its worker died twice (or its queue message never got a worker).
RESTART_MESSAGE = "The server stopped while this was running and could not finish it."
NO_WORKER_MESSAGE = "No worker picked this up in time."


def _dead(job: Job, stale_before: datetime) -> bool:
    alive = identity.worker_alive(job.worker_id)
    return alive is False or (as_utc(job.heartbeat_at) or stale_before) < stale_before


def _plan(job: Job):
    op = runner.operations().get(job.kind)
    if op is None:
        return None
    try:
        return op.plan_type.model_validate(job.params)
    except ValueError:
        return None


def retry_or_fail(job_id: uuid.UUID, *, seen_status: str, seen_attempt: int, message: str = RESTART_MESSAGE) -> str:
    """Retry (``running -> queued``) or fail the job the sweep saw in ``seen_status`` at ``seen_attempt``.

    Returns "retried", "failed" or "" (someone else moved the job first; nothing changed).
    """
    settings = get_settings()
    with read_session() as s:
        first = s.get(Job, job_id)
    if first is None:
        return ""
    with write_session() as s:
        if first.product_id is not None:
            repo.lock_product(s, user_id=first.user_id, product_id=first.product_id)
        query = select(Job).where(Job.id == job_id, Job.status == seen_status, Job.attempts == seen_attempt)
        job = s.exec(query.with_for_update()).first()
        if job is None:
            return ""
        keys = runner.blob_keys(job.id, job.attempts) if seen_status == JobStatus.RUNNING else []
        if seen_status == JobStatus.RUNNING and job.attempts < settings.job_max_attempts:
            job.status = JobStatus.QUEUED.value
            job.worker_id = ""
            job.heartbeat_at = utcnow()
            job.progress = {part: "queued" for part in job.progress}
            s.add(job)
            runner.forget_blobs(s, job.id, job.attempts)
            outcome = "retried"
        else:
            keys = runner.blob_keys(job.id)
            if not runner.fail_job(s, job, message, plan=_plan(job), attempt=seen_attempt):
                return ""
            outcome = "failed"
        user_id, product_id = job.user_id, job.product_id
    _delete_now(keys)
    if outcome == "retried":
        queue.enqueue(job_id)
        push.publish(user_id, Topic.JOB, product_id=product_id, job_id=job_id, status=JobStatus.QUEUED)
    else:
        push.publish(user_id, Topic.JOB, Topic.PRODUCT, Topic.BALANCE, Topic.NOTIFICATIONS, product_id=product_id,
                     job_id=job_id, status=JobStatus.FAILED, message=message)
    return outcome


def _delete_now(keys: list[str]) -> None:
    """Delete blobs from synchronous code (the sweep runs in a thread, or in tests under a running loop)."""
    if keys:
        run_sync(lambda: runner.delete_blobs(keys))


def _touch(job_id: uuid.UUID) -> None:
    with write_session() as s:
        job = s.get(Job, job_id)
        if job is not None and job.status == JobStatus.QUEUED:
            job.heartbeat_at = utcnow()
            s.add(job)


def recovery_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of the sweep (see the module docstring). Returns counts of what it did."""
    settings = get_settings()
    now = now or utcnow()
    stale_before = now - timedelta(seconds=settings.job_stale_seconds)
    requeue_before = now - timedelta(seconds=settings.queue_requeue_seconds)
    deadline = now - timedelta(seconds=settings.queue_deadline_seconds)
    report = {"retried_jobs": 0, "failed_jobs": 0, "requeued_messages": 0}
    with read_session() as s:
        active = list(s.exec(select(Job).where(Job.status.in_(ACTIVE_STATUSES))))
    for job in active:
        waited = as_utc(job.heartbeat_at) or now
        if job.status == JobStatus.RUNNING and _dead(job, stale_before):
            outcome = retry_or_fail(job.id, seen_status=job.status, seen_attempt=job.attempts)
        elif job.status == JobStatus.QUEUED and (as_utc(job.created_at) or now) < deadline and waited < requeue_before:
            outcome = retry_or_fail(job.id, seen_status=job.status, seen_attempt=job.attempts,
                                    message=NO_WORKER_MESSAGE)
        elif job.status == JobStatus.QUEUED and waited < requeue_before:
            _touch(job.id)
            queue.enqueue(job.id)
            report["requeued_messages"] += 1
            continue
        else:
            continue
        if outcome:
            report[f"{outcome}_jobs"] += 1
    with read_session() as s:
        keep = frozenset(
            h for h in s.exec(select(Job.hold_id).where(Job.status.in_(ACTIVE_STATUSES), Job.hold_id.is_not(None))) if h
        )
    ledger = credits.sweep(now=now, keep=keep)
    housekeeping = {
        "requeued_mail": _guarded("mail", mail.requeue_due, now),
        "pruned_throttle_rows": _guarded("throttle", throttle.prune, now),
        "pruned_sessions": _guarded("sessions", sessions.prune, now),
        "expired_models": _guarded("models", model_expiry.expire_due, now),
        "ended_plans": _guarded("plans", subscriptions.end_due, now),
    }
    return {**report, **ledger, **housekeeping}


def _guarded(part: str, step: Callable[..., int], now: datetime) -> int:
    """Run one housekeeping ``step(now=now)``; a failure is logged and counts 0, never stopping the job and
    ledger parts of the sweep (e.g. a table briefly unreachable: the next pass tries again)."""
    try:
        return step(now=now)
    except Exception:
        log.exception("%s part of the recovery sweep failed", part)
        return 0


__all__ = ["NO_WORKER_MESSAGE", "RESTART_MESSAGE", "recovery_sweep", "retry_or_fail"]
