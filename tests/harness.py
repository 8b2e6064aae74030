"""Running held operations in tests: submit through the real runner, deliver the queue in-process.

The queue's sink collects job ids instead of sending them to a broker, and ``drain`` runs them with
``jobs.runner.run`` on the test's event loop; push events are captured. Everything else (database,
ledger, storage, runner, sweep) is the real thing.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import Job
from genpire_app.backend.jobs import push, queue, runner
from genpire_app.backend.jobs.push import PushEvent
from genpire_app.backend.services import operations
from genpire_app.backend.services.annotate import AnnotatePlan
from genpire_app.backend.services.approval import ApprovalPlan
from genpire_app.backend.services.edits import EditPlan
from genpire_app.backend.services.front_view import FrontViewPlan
from genpire_app.backend.services.retry_view import RetryViewPlan
from genpire_app.backend.services.techpacks import TechPackPlan


@dataclass(frozen=True)
class Done:
    """A job after it ran: status, message (or error), result data and the amount captured (hundredths)."""

    job_id: uuid.UUID
    status: str
    message: str
    result: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether the job succeeded (fully or partly)."""
        return self.status in ("succeeded", "partial")

    @property
    def charged(self) -> int:
        """Hundredths of a credit captured."""
        return int(self.result.get("charged", 0))


@dataclass
class CapturedChannel:
    """A push channel that records what was published."""

    events: list[PushEvent] = field(default_factory=list)

    def publish(self, event: PushEvent) -> None:
        self.events.append(event)

    async def subscribe(self):  # pragma: no cover - not used by service tests
        if False:
            yield


class Jobs:
    """Submit held operations and run their jobs (see the module docstring)."""

    def __init__(self) -> None:
        self.pending: list[uuid.UUID] = []
        self.channel = CapturedChannel()

    def install(self) -> None:
        queue.set_sink(self.pending.append)
        push.set_channel(self.channel)

    def uninstall(self) -> None:
        queue.set_sink(None)
        push.set_channel(None)

    async def submit(self, kind: str, user: int, plan: Any, intent: str | None = None) -> runner.Submitted:
        return await asyncio.to_thread(runner.submit, operations.get(kind), user_id=user, plan=plan,
                                       intent=intent or runner.new_intent())

    async def drain(self) -> None:
        """Run every queued job (and those they enqueue) on this event loop."""
        while self.pending:
            await runner.run(self.pending.pop(0))

    async def run(self, kind: str, user: int, plan: Any, intent: str | None = None) -> Done:
        """Submit and run one operation; returns how its job ended."""
        submitted = await self.submit(kind, user, plan, intent)
        await self.drain()
        return self.done(submitted.job_id)

    @staticmethod
    def done(job_id: uuid.UUID) -> Done:
        with read_session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            message = job.error if job.status == "failed" else str(job.result.get("message", ""))
            return Done(job.id, job.status, message or "", dict(job.result))

    # ---- one call per operation -------------------------------------------------------------------

    async def front_view(self, user: int, pid: uuid.UUID, **kw: Any) -> Done:
        return await self.run("front_view", user, FrontViewPlan(product_id=pid), **kw)

    async def iterate(self, user: int, pid: uuid.UUID, feedback: str, base: uuid.UUID | None = None, **kw: Any) -> Done:
        return await self.run("iteration", user, FrontViewPlan(product_id=pid, feedback=feedback, base_approval_id=base), **kw)

    async def approve(self, user: int, approval_id: uuid.UUID | str, **kw: Any) -> Done:
        return await self.run("approval", user, ApprovalPlan(approval_id=uuid.UUID(str(approval_id))), **kw)

    async def retry_view(self, user: int, pid: uuid.UUID, view: str) -> Done:
        return await self.run("retry_view", user, RetryViewPlan(product_id=pid, view=view))

    async def edit(self, user: int, pid: uuid.UUID, instruction: str, views: list[str] | None = None,
                   attachment_key: str | None = None, **kw: Any) -> Done:
        plan = EditPlan(product_id=pid, instruction=instruction, views=tuple(views) if views is not None else None,
                        attachment_key=attachment_key)
        return await self.run("edit", user, plan, **kw)

    async def annotate(self, user: int, pid: uuid.UUID, view: str, instruction: str,
                       region: tuple[float, float, float, float], annotation_key: str) -> Done:
        return await self.run("annotate", user, AnnotatePlan(product_id=pid, view=view, instruction=instruction,
                                                             region=region, annotation_key=annotation_key))

    async def tech_pack(self, user: int, pid: uuid.UUID, revision: int | None = None, **kw: Any) -> Done:
        return await self.run("tech_pack", user, TechPackPlan(product_id=pid, revision_number=revision), **kw)

    async def approved(self, user: int, pid: uuid.UUID) -> Done:
        """Front view then approval: the product's five views exist afterwards."""
        first = await self.front_view(user, pid)
        assert first.ok, first.message
        done = await self.approve(user, first.result["approval_id"])
        assert done.ok, done.message
        return done
