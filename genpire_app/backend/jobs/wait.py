"""Waiting for a queued job to end, for callers that answer synchronously (the Tech Pack V2 JSON API, issue
10 item 8: seed 001's endpoints return the result in the response). The job still runs on the queue worker;
the caller only reads its row, polling with a growing interval (50 ms up to 500 ms), so a missed push
costs nothing and no worker-to-web channel is needed."""

from __future__ import annotations

import asyncio
import time
import uuid

from genpire_app.backend.db.engine import read
from genpire_app.backend.db.models import Job
from genpire_app.backend.jobs.kinds import TERMINAL_STATUSES

FIRST_POLL_S = 0.05
MAX_POLL_S = 0.5


class StillRunning(TimeoutError):
    """The job did not end within the caller's timeout (it keeps running; ``job_id`` says which)."""

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(f"job {job_id} is still running")
        self.job_id = job_id


async def wait_for_job(job_id: uuid.UUID, *, timeout_s: float) -> Job:
    """The job's row once its status is terminal (succeeded, partial or failed).

    Raises:
        StillRunning: ``timeout_s`` seconds passed first. LookupError: no such job.
    """
    deadline = time.monotonic() + timeout_s
    pause = FIRST_POLL_S
    while True:
        job = await read(lambda s: s.get(Job, job_id))
        if job is None:
            raise LookupError(f"no job {job_id}")
        if job.status in TERMINAL_STATUSES:
            return job
        if time.monotonic() + pause > deadline:
            raise StillRunning(job_id)
        await asyncio.sleep(pause)  # polling a durable row: the job runs in another process
        pause = min(MAX_POLL_S, pause * 2)


__all__ = ["FIRST_POLL_S", "MAX_POLL_S", "StillRunning", "wait_for_job"]
