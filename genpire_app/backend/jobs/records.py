"""Durable job records and crash recovery (DESIGN.md §3 jobs/, §5 recovery sweep, §7).

A job row is written before long work starts and finished in the same transaction as the work's
results and the capture (or release) of its credit hold. If the process dies in between, the job stays
``running``; the recovery sweep — at start-up and periodically — fails it, releases its hold and puts the
product back in a state the user can retry from. A job is dead when its worker process no longer exists
on this host, or when its heartbeat is older than ``Settings.job_stale_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import Job, as_utc, utcnow
from genpire_app.backend.services import credits

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
RESTART_MESSAGE = "The server restarted while this was running. Your credits were returned; please try again."


def _process_start_ticks(pid: int) -> str:
    """Start time of ``pid`` in clock ticks since boot (Linux), "" when unknown or not running."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read()
    except OSError:
        return ""
    # Field 22 counts from after the parenthesised command name (which may contain spaces).
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


HOSTNAME = socket.gethostname()
#: Identity of this process: host, pid and the pid's start time (guards against pid reuse).
WORKER_ID = f"{HOSTNAME}:{os.getpid()}:{_process_start_ticks(os.getpid()) or uuid.uuid4().hex[:8]}"


def worker_alive(worker_id: str) -> bool | None:
    """Whether the worker process of ``worker_id`` still runs: True/False on this host, None elsewhere."""
    try:
        host, pid_text, ticks = worker_id.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != HOSTNAME:
        return None
    if worker_id == WORKER_ID:
        return True
    current = _process_start_ticks(pid)
    return bool(current) and current == ticks


def start_job(
    session: Session,
    *,
    user_id: int,
    kind: str,
    product_id: uuid.UUID | None,
    hold_id: str | None = None,
    progress: dict[str, Any] | None = None,
) -> Job:
    """Insert a ``running`` job owned by this process (in the caller's transaction)."""
    job = Job(
        user_id=user_id,
        kind=kind,
        product_id=product_id,
        hold_id=hold_id,
        progress=progress or {},
        worker_id=WORKER_ID,
    )
    session.add(job)
    session.flush()
    return job


def set_progress(job_id: uuid.UUID, key: str, value: str) -> None:
    """Record the progress of one part of a job (e.g. ``"back": "done"``) and refresh its heartbeat."""
    with write_session() as s:
        job = s.get(Job, job_id)
        if job is None or job.status != "running":
            return
        progress = dict(job.progress)
        progress[key] = value
        job.progress = progress
        job.heartbeat_at = utcnow()
        s.add(job)


def finish_job(
    session: Session,
    job_id: uuid.UUID,
    *,
    status: str,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> bool:
    """Move a running job to ``status`` (succeeded | partial | failed) in the caller's transaction.

    Returns False when the job was no longer running (e.g. the sweep failed it first): the caller must
    then not commit its results.
    """
    values: dict[str, Any] = {"status": status, "error": error, "finished_at": utcnow()}
    if result is not None:
        values["result"] = result
    res = session.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(**values))
    return res.rowcount == 1


def get_job(job_id: uuid.UUID) -> Job | None:
    """The job row, or None."""
    with read_session() as s:
        return s.get(Job, job_id)


async def heartbeat_while(job_id: uuid.UUID, work: asyncio.Future[Any] | asyncio.Task[Any]) -> None:
    """Refresh the job's heartbeat every few seconds until ``work`` is done."""

    def beat() -> None:
        with write_session() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(heartbeat_at=utcnow()))

    while not work.done():
        await asyncio.wait({work}, timeout=HEARTBEAT_SECONDS)
        if not work.done():
            with suppress(Exception):
                await asyncio.to_thread(beat)


#: Callbacks run (in the sweep's transaction) for each job the sweep fails, by job kind. The generation
#: service registers one that puts the product back into a state the user can retry from.
on_job_failed: dict[str, Callable[[Session, Job], None]] = {}


def sweep_dead_jobs(*, now: datetime | None = None) -> int:
    """Fail every running job whose worker is gone (or silent too long); release its hold. Returns count."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=get_settings().job_stale_seconds)
    with read_session() as s:
        running = s.exec(select(Job).where(Job.status == "running")).all()
    dead: list[uuid.UUID] = []
    for job in running:
        alive = worker_alive(job.worker_id)
        if alive is False or (alive is None and as_utc(job.heartbeat_at) < stale_before):
            dead.append(job.id)
    failed = 0
    for job_id in dead:
        with write_session() as s:
            if not finish_job(s, job_id, status="failed", error=RESTART_MESSAGE):
                continue
            job = s.get(Job, job_id)
            assert job is not None
            if job.hold_id:
                with suppress(KeyError):
                    credits.release(hold_id=job.hold_id, session=s)
            hook = on_job_failed.get(job.kind)
            if hook is not None:
                hook(s, job)
            failed += 1
    if failed:
        log.warning("recovery sweep failed %d dead job(s) and released their holds", failed)
    return failed


def recovery_sweep() -> dict[str, int]:
    """The whole sweep: dead jobs first (their holds are released), then expired holds — except those of
    jobs still running, however slow — and lapsed grants."""
    jobs = sweep_dead_jobs()
    with read_session() as s:
        alive = frozenset(
            h for h in s.exec(select(Job.hold_id).where(Job.status == "running", Job.hold_id.is_not(None))) if h
        )
    ledger = credits.sweep(keep=alive)
    return {"failed_jobs": jobs, **ledger}
