"""Regenerate a view that is missing from the active revision (seed 000 §10.3; DESIGN.md §12 "retry a
failed view after approval": 0.5 credit, ``Prices.regenerate_view``). The new row joins the active batch."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.models import FrontViewApproval, ProductIdea, ProductMultiviewRevision
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import REMAINING_VIEWS
from genpire_app.backend.services.views import (
    features_of,
    generate_one,
    load_image,
    other_view_request,
    store_view,
)


class RetryViewPlan(Plan):
    """Regenerate ``view`` (back, side, top or bottom) of ``product_id``."""

    view: str


@dataclass(frozen=True)
class RetryResult:
    """The regenerated view: keys, prompt, model, instruction chain and time (milliseconds)."""

    key: str
    thumb: str
    prompt: str
    model: str
    chain: tuple[str, ...]
    elapsed_ms: int


class RetryView(Operation[RetryViewPlan, RetryResult]):
    """"Regenerate view" after a partial failure of the approval."""

    kind = JobKind.RETRY_VIEW
    plan_type = RetryViewPlan

    def prepare(self, session: Session, *, user_id: int, plan: RetryViewPlan) -> RetryViewPlan:
        if plan.view not in REMAINING_VIEWS:
            raise OperationError("invalid_input", "Choose the back, side, top or bottom view.")
        if plan.product_id is None or repo.lock_product(session, user_id=user_id, product_id=plan.product_id) is None:
            raise OperationError("not_found", "This product does not exist or is not yours.")
        by_view = {r.view_type: r for r in repo.active_revision(session, product_id=plan.product_id)}
        if "front" not in by_view:
            raise OperationError("invalid_state", "Approve the front view first.")
        if plan.view in by_view:
            raise OperationError("invalid_state", f"The {plan.view} view already exists.")
        return plan

    def price(self, plan: RetryViewPlan) -> int:
        return get_settings().prices.regenerate_view

    def initial_progress(self, plan: RetryViewPlan) -> dict[str, str]:
        return {plan.view: "queued"}

    async def work(self, ctx: WorkContext, plan: RetryViewPlan) -> RetryResult:
        await ctx.progress(plan.view, "running")

        def load(s: Session) -> tuple[ProductIdea | None, ProductMultiviewRevision | None, FrontViewApproval | None, list[str]]:
            product = s.get(ProductIdea, plan.product_id)
            front = next((r for r in repo.active_revision(s, product_id=plan.product_id) if r.view_type == "front"), None)
            approval = s.get(FrontViewApproval, front.front_view_approval_id) if front and front.front_view_approval_id else None
            return product, front, approval, repo.feedback_chain(s, product_id=plan.product_id, upto=approval)

        product, front_row, approval, chain = await read(load)
        if product is None or front_row is None:
            raise OperationError("invalid_state", "The front view is gone; reload the page.")
        front, logo = await load_image(front_row.image_key), await load_image(product.logo_key)
        assert front is not None
        features = await features_of(front, product, cached=approval.extracted_features if approval else None,
                                     user_id=ctx.user_id, summary="active front view")
        request = other_view_request(plan.view, product, front=front, logo=logo, features=features, chain=chain)
        started = time.perf_counter()
        image = await generate_one(ctx, request, operation=f"{plan.view}_view", summary=f"regenerate {plan.view} view")
        key, thumb = await store_view(ctx, f"{plan.view}_retry", image)
        await ctx.progress(plan.view, "done")
        return RetryResult(key, thumb, request.prompt, image.model, tuple(chain), int((time.perf_counter() - started) * 1000))

    def store(self, session: Session, ctx: WorkContext, plan: RetryViewPlan, result: RetryResult) -> Stored:
        assert plan.product_id is not None
        active = {r.view_type: r for r in repo.active_revision(session, product_id=plan.product_id)}
        front = active.get("front")
        if front is None or plan.view in active:
            raise OperationError("invalid_state", "The views changed meanwhile; nothing was changed.")
        price = self.price(plan)
        session.add(ProductMultiviewRevision(
            product_idea_id=plan.product_id, user_id=ctx.user_id, revision_number=front.revision_number,
            batch_id=front.batch_id, view_type=plan.view, image_key=result.key, thumbnail_key=result.thumb,
            edit_type=front.edit_type, edit_prompt=front.edit_prompt, ai_model=result.model,
            ai_parameters={"regenerated": True, "prompt": result.prompt}, generation_time_ms=result.elapsed_ms,
            is_active=True, front_view_approval_id=front.front_view_approval_id,
            metadata_={"credits_used": price, "instructions": list(result.chain)},
        ))
        message = f"The {plan.view} view is ready."
        repo.chat_append(session, product_id=plan.product_id, role="assistant", content=message, kind="view_regenerated")
        return Stored(charged=price, message=message)


__all__ = ["RetryView", "RetryViewPlan"]
