"""Which Tech Pack V2 steps of a product are running or failed last (issue 10 item 7: "each step independently
runnable and re-runnable ... live progress by push"): the newest job of each V2 kind, for the stepper."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import Job
from genpire_app.backend.jobs.kinds import ACTIVE_STATUSES, JobKind

#: The stepper's step of each V2 job kind.
STEP_OF_KIND = {
    JobKind.V2_CATEGORY.value: "category", JobKind.V2_BASE_VIEWS.value: "base_views",
    JobKind.V2_CLOSE_UPS.value: "close_ups", JobKind.V2_SKETCHES.value: "sketches",
    JobKind.V2_EDIT.value: "review", JobKind.V2_REGENERATE.value: "review", JobKind.V2_EXPORT.value: "export",
}


@dataclass(frozen=True)
class StepJob:
    """The newest job of a step: its kind, whether it is still running, and its error when it failed."""

    kind: str
    running: bool
    error: str


def step_jobs(user_id: int, product_id: uuid.UUID) -> dict[str, StepJob]:
    """``{step: StepJob}`` of the newest V2 job per step of the user's product (steps without jobs absent)."""
    with read_session() as s:
        rows = s.exec(select(Job).where(Job.user_id == user_id, Job.product_id == product_id,
                                        Job.kind.in_(list(STEP_OF_KIND))).order_by(Job.created_at.desc())
                      .limit(50)).all()
    out: dict[str, StepJob] = {}
    for job in rows:
        step = STEP_OF_KIND[job.kind]
        if step not in out:
            out[step] = StepJob(job.kind, job.status in ACTIVE_STATUSES,
                                (job.error or "This step failed.") if job.status == "failed" else "")
    return out


__all__ = ["STEP_OF_KIND", "StepJob", "step_jobs"]
