"""Approve the front view and generate back, side, top and bottom concurrently (seed 000 §3 Phases 3-4).

Costs ``Prices.remaining_views`` (2 credits, 0.5 per view). The hold is taken before any vision call
(DESIGN.md §12 "approval order"); revision 0 (five rows, one batch, active) is written in the same
transaction as the capture. Views that fail are not charged; if every view fails, nothing is charged and
the approval goes back to pending.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.models import FrontViewApproval, Job, ProductIdea, utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind, JobStatus
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import REMAINING_VIEWS, ProductFeatures
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import notifications
from genpire_app.backend.services.revisions import NewView, write_revision
from genpire_app.backend.services.views import ViewBatch, features_of, generate_views, load_image, other_view_request


class ApprovalPlan(Plan):
    """Approve ``approval_id``; ``prepare`` fills ``product_id``."""

    approval_id: uuid.UUID


@dataclass(frozen=True)
class ApprovalResult:
    """The features read from the approved front view and the views generated from it."""

    features: ProductFeatures
    batch: ViewBatch
    chain: tuple[str, ...]


def _views_ready_message(failed: list[str]) -> str:
    if not failed:
        return "All five views are ready."
    names = ", ".join(v.capitalize() for v in failed)
    return (f"{5 - len(failed)} of 5 views are ready. {names} could not be generated; you were not charged "
            "for them. Use “Regenerate view” to try again.")


class Approval(Operation[ApprovalPlan, ApprovalResult]):
    """"Approve & Generate All Views" (seed 000 §2.2, §3 Phase 3)."""

    kind = JobKind.APPROVAL
    plan_type = ApprovalPlan

    def prepare(self, session: Session, *, user_id: int, plan: ApprovalPlan) -> ApprovalPlan:
        approval = session.get(FrontViewApproval, plan.approval_id)
        if approval is None or approval.user_id != user_id:
            raise OperationError("not_found", "This front view does not exist or is not yours.")
        product_id = approval.product_idea_id
        repo.lock_product(session, user_id=user_id, product_id=product_id)
        if any(a.status in ("approved", "completed") for a in repo.approvals(session, product_id=product_id)):
            raise OperationError("invalid_state", "This product's front view is already approved.")
        now = utcnow()
        session.execute(
            update(FrontViewApproval)
            .where(FrontViewApproval.product_idea_id == product_id, FrontViewApproval.status == "pending",
                   FrontViewApproval.id != approval.id)
            .values(status="rejected", updated_at=now)
        )
        approval.status, approval.approved_at, approval.updated_at = "approved", now, now
        approval.credits_reserved += self.price(plan)
        session.add(approval)
        session.execute(
            update(ProductIdea).where(ProductIdea.id == product_id)
            .values(status="generating_views", thumbnail_key=approval.front_view_thumbnail_key, updated_at=now)
        )
        return plan.model_copy(update={"product_id": product_id})

    def price(self, plan: ApprovalPlan) -> int:
        return get_settings().prices.remaining_views

    def initial_progress(self, plan: ApprovalPlan) -> dict[str, str]:
        return {"features": "queued", **{v: "queued" for v in REMAINING_VIEWS}}

    async def work(self, ctx: WorkContext, plan: ApprovalPlan) -> ApprovalResult:
        await ctx.progress("features", "running")

        def load(s: Session) -> tuple[FrontViewApproval | None, ProductIdea | None, list[str]]:
            approval = s.get(FrontViewApproval, plan.approval_id)
            product = s.get(ProductIdea, plan.product_id)
            return approval, product, repo.feedback_chain(s, product_id=plan.product_id, upto=approval)

        approval, product, chain = await read(load)
        if approval is None or product is None:
            raise OperationError("not_found", "This product no longer exists.")
        front, logo = await asyncio.gather(load_image(approval.front_view_key), load_image(product.logo_key))
        assert front is not None
        features = await features_of(front, product, cached=None, user_id=ctx.user_id, summary="approved front view")
        await ctx.progress("features", "done")
        batch = await generate_views(
            ctx, REMAINING_VIEWS,
            lambda view: other_view_request(view, product, front=front, logo=logo, features=features, chain=chain),
            operation=lambda view: f"{view}_view", summary=lambda view: f"{view} view from the approved front view",
            name=lambda view: f"{view}_r0",
        )
        batch.raise_if_empty("The views could not be generated.")
        return ApprovalResult(features, batch, tuple(chain))

    def store(self, session: Session, ctx: WorkContext, plan: ApprovalPlan, result: ApprovalResult) -> Stored:
        assert plan.product_id is not None
        approval = session.get(FrontViewApproval, plan.approval_id)
        product = session.get(ProductIdea, plan.product_id)
        assert approval is not None and product is not None
        done, failed = result.batch.done, result.batch.failed
        charged = self.price(plan) // len(REMAINING_VIEWS) * len(done)
        meta: dict[str, Any] = {"credits_used": approval.credits_consumed + charged,
                                "iteration_count": approval.iteration_number, "instructions": list(result.chain)}
        front = NewView("front", approval.front_view_key, approval.front_view_thumbnail_key, model=get_providers().image.model,
                        parameters={"approval_id": str(approval.id), "prompt": approval.front_view_prompt})
        views = [front] + [
            NewView(r.view, r.key, r.thumb, model=r.image.model, elapsed_ms=r.elapsed_ms,
                    parameters={"approval_id": str(approval.id), "prompt": r.request.prompt})
            for r in done
        ]
        write_revision(session, user_id=ctx.user_id, product_id=plan.product_id, views=views, edit_type="initial",
                       edit_prompt=None, meta=meta, approval_id=approval.id, number=0)
        now = utcnow()
        approval.status, approval.completed_at, approval.updated_at = "completed", now, now
        approval.credits_consumed += charged
        approval.extracted_features = result.features.model_dump()
        approval.other_views = {r.view: {"key": r.key, "thumbnail_key": r.thumb} for r in done}
        product.status, product.updated_at = "images_generated", now
        session.add_all([approval, product])
        message = _views_ready_message(failed)
        repo.chat_append(session, product_id=plan.product_id, role="assistant", content=message, kind="views_ready",
                         failed=failed)
        notifications.notify(
            session, user_id=ctx.user_id, type="views_ready", title="Some views failed" if failed else "Views ready",
            message=f"{product.name}: {message}", link=f"/ai-designer?projectId={plan.product_id}",
        )
        return Stored(charged=charged, message=message, status=JobStatus.PARTIAL if failed else JobStatus.SUCCEEDED,
                      result={"failed": failed})

    def on_failure(self, session: Session, *, job: Job, plan: ApprovalPlan | None, message: str) -> None:
        if job.product_id is None:
            return
        now = utcnow()
        session.execute(
            update(FrontViewApproval)
            .where(FrontViewApproval.product_idea_id == job.product_id, FrontViewApproval.status == "approved")
            .values(status="pending", approved_at=None, updated_at=now)
        )
        product = session.get(ProductIdea, job.product_id)
        if product is None:
            return
        product.status, product.updated_at = "front_view_ready", now
        session.add(product)
        notifications.notify(
            session, user_id=job.user_id, type="generation_failed", title="Views failed",
            message=f"{product.name}: {message}", link=f"/ai-designer?projectId={job.product_id}",
        )


__all__ = ["Approval", "ApprovalPlan", "ApprovalResult"]
