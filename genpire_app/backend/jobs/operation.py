"""What an operation supplies to the held-operation runner: its plan, price, steps and results (DESIGN.md §7.1).

An operation is one small class per job kind. It never reserves, captures, releases, enqueues, heartbeats
or cleans up: the runner (``jobs.runner``) owns that lifecycle. Its four steps:

``prepare(session, user_id=, plan=) -> plan``  (web side, inside the submit transaction)
    Check ownership, state and input; lock the product; may write state that must commit together with
    the hold (e.g. mark an approval). Raises :class:`~genpire_app.backend.jobs.errors.OperationError`;
    nothing is charged then.
``price(plan) -> hundredths``  the amount to hold.
``work(ctx, plan) -> result``  (queue worker) provider calls and CPU work; stores blobs through ``ctx``.
``store(session, ctx, plan, result) -> Stored``  (queue worker, inside the commit transaction)
    Write the rows; return what to capture. May raise :class:`~genpire_app.backend.jobs.errors.Conflict`
    when the product moved on (the runner re-runs ``work``).
``on_failure(session, job=, plan=, message=)``  put the product back in a state the user can retry from.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from genpire_app.backend.db.models import Job
from genpire_app.backend.jobs.kinds import JobKind, JobStatus


class Plan(BaseModel):
    """Base of every operation's plan: the user's inputs, completed by ``prepare`` (JSON in ``jobs.params``).

    ``product_id`` names the product the job works on (used for the busy check and the product lock).
    ``digest_exclude`` names inputs left out of the idempotency digest: values that change with every
    click although the intent is the same (e.g. the key of a freshly uploaded annotated image).
    """

    model_config = ConfigDict(frozen=True)
    digest_exclude: ClassVar[frozenset[str]] = frozenset()

    product_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Stored:
    """What ``store`` wrote, for the runner and the user.

    Attributes:
        charged: hundredths of a credit to capture (the rest of the hold is released).
        message: one user-facing sentence, e.g. "All five views are ready."
        status: ``JobStatus.SUCCEEDED`` or ``JobStatus.PARTIAL`` (some parts failed and were not charged).
        result: small JSON data for the job row and the tabs (e.g. ``{"tech_pack_id": "..."}``).
        settle_later: the hold is neither captured nor released when the job ends; it stays pending and
            whoever finishes the work later settles it exactly once (the 3D webhook, status check or
            expiry; DESIGN.md §12, issue 8 item 3). ``charged`` is then 0.
    """

    charged: int
    message: str
    status: JobStatus = JobStatus.SUCCEEDED
    result: dict[str, Any] = field(default_factory=dict)
    settle_later: bool = False


class WorkContext:
    """What ``work`` and ``store`` get from the runner for one attempt of one job.

    Attributes:
        job_id, user_id, product_id: whose work this is.
        attempt: 1 for the first run, 2 for the retry after a dead worker.
    """

    def __init__(
        self,
        *,
        job_id: uuid.UUID,
        user_id: int,
        product_id: uuid.UUID | None,
        attempt: int,
        put_blobs: Callable[[str, list[tuple[str, bytes, str, str]]], Awaitable[list[str]]],
        progress: Callable[[str, str], Awaitable[None]],
        flush: Callable[[], Awaitable[None]],
    ) -> None:
        self.job_id = job_id
        self.user_id = user_id
        self.product_id = product_id
        self.attempt = attempt
        self._put_blobs = put_blobs
        self._progress = progress
        self._flush = flush

    async def put_blobs(self, prefix: str, blobs: list[tuple[str, bytes, str, str]]) -> list[str]:
        """Store blobs ``(name, data, content type, ext)`` under content-addressed keys in this attempt's
        folder below ``prefix`` (``<prefix>/<job>-<attempt>/<name>.<sha256[:16]>.<ext>``), concurrently, and
        return the keys in order. The keys are recorded before the writes, so any failure, cancellation or
        crash deletes them again."""
        return await self._put_blobs(prefix, blobs)

    async def put_blob(self, prefix: str, name: str, data: bytes, content_type: str, ext: str) -> str:
        """:meth:`put_blobs` for one blob; returns its key."""
        return (await self._put_blobs(prefix, [(name, data, content_type, ext)]))[0]

    async def progress(self, part: str, status: str) -> None:
        """Record the progress of one part (``"back": "done"``) and tell the user's open tabs. Returns at
        once: the writes happen in order in the background."""
        await self._progress(part, status)

    async def flush(self) -> None:
        """Wait until every progress write of this attempt is done (the runner does before committing)."""
        await self._flush()


PlanT = TypeVar("PlanT", bound=Plan)
ResultT = TypeVar("ResultT")


class Operation(ABC, Generic[PlanT, ResultT]):
    """One kind of credit-spending work (DESIGN.md §7.1). Subclasses set the class attributes and steps.

    Attributes:
        kind: the job kind.
        plan_type: the pydantic model of the plan (parsed again on the worker).
        concurrent_with: kinds that may run beside this one on the same product (everything else is "busy").
        exclusive: False for side work (an export) that neither blocks nor waits for other jobs.
        max_rebases: how often ``work`` runs again after a :class:`Conflict` before the job fails.
        push_topics: extra push topics (``jobs.push.Topic`` values, e.g. ``(Topic.MOCKUPS,)``) the runner adds
            to the job's end events (succeeded, partial or failed), so the operation's own page reloads;
            empty: only the common job/product/balance/notifications topics (issue 11, mockups).

    A price of 0 (free work such as exports) holds nothing; everything else runs the same way.
    """

    kind: ClassVar[JobKind]
    plan_type: ClassVar[type[Plan]]
    concurrent_with: ClassVar[frozenset[str]] = frozenset()
    exclusive: ClassVar[bool] = True
    max_rebases: ClassVar[int] = 0
    push_topics: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def prepare(self, session: Session, *, user_id: int, plan: PlanT) -> PlanT:
        """Validate and complete the plan inside the submit transaction (see the module docstring)."""

    @abstractmethod
    def price(self, plan: PlanT) -> int:
        """Hundredths of a credit to hold."""

    def hold_ttl_seconds(self, plan: PlanT) -> int | None:
        """Seconds until the credits sweep may release a still-pending hold of this job; None: the
        default ``Settings.hold_ttl_seconds``. Operations that settle later (``Stored.settle_later``)
        return more than their own expiry, so the sweep never releases a hold someone will settle."""
        return None

    def initial_progress(self, plan: PlanT) -> dict[str, str]:
        """The job's progress map when queued, e.g. ``{"front": "queued"}``."""
        return {}

    @abstractmethod
    async def work(self, ctx: WorkContext, plan: PlanT) -> ResultT:
        """Provider calls and CPU work (see the module docstring)."""

    @abstractmethod
    def store(self, session: Session, ctx: WorkContext, plan: PlanT, result: ResultT) -> Stored:
        """Write the results inside the commit transaction (see the module docstring)."""

    def on_failure(self, session: Session, *, job: Job, plan: PlanT | None, message: str) -> None:
        """Undo state written by ``prepare`` after a failure (in the failure transaction). Default: nothing."""
        return None
