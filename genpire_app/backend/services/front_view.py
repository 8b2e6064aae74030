"""Front view and its iterations (seed 000 §2.1-§2.4, §3 Phase 2; DESIGN.md §7).

The first front view costs ``Prices.front_view`` (1 credit); "Request Changes" makes a new iteration
from the chosen one and the feedback for ``Prices.front_view_iteration`` (1 credit). Both run as held
operations: the hold is captured only when the new ``front_view_approvals`` row is written.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.models import FrontViewApproval, Job, ProductIdea, utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import ImageRequest
from genpire_app.backend.services import notifications
from genpire_app.backend.services.brand import apply_brand
from genpire_app.backend.services.views import front_view_prompt, generate_one, load_image, store_view

MAX_FEEDBACK = 1000


class FrontViewPlan(Plan):
    """A front view to generate. ``feedback`` and ``base_approval_id`` are the user's (iterations only);
    ``iteration``, ``base_key`` and ``chain`` (every feedback that led here, oldest first) come from
    ``prepare``."""

    feedback: str | None = None
    base_approval_id: uuid.UUID | None = None
    iteration: int = 0
    base_key: str | None = None
    chain: tuple[str, ...] = ()


@dataclass(frozen=True)
class FrontResult:
    """The generated front view: storage keys, the prompt, model, provider notes and time (milliseconds)."""

    key: str
    thumb: str
    prompt: str
    model: str
    notes: tuple[str, ...]
    elapsed_ms: int


def _not_found() -> OperationError:
    return OperationError("not_found", "This product does not exist or is not yours.")


class FrontView(Operation[FrontViewPlan, FrontResult]):
    """The first front view of a product (seed 000 §2.1 auto-generation, §3 Phase 2)."""

    kind = JobKind.FRONT_VIEW
    plan_type = FrontViewPlan

    def prepare(self, session: Session, *, user_id: int, plan: FrontViewPlan) -> FrontViewPlan:
        if plan.product_id is None or repo.lock_product(session, user_id=user_id, product_id=plan.product_id) is None:
            raise _not_found()
        done = repo.approvals(session, product_id=plan.product_id)
        if any(a.status in ("approved", "completed") for a in done):
            raise OperationError("invalid_state", "The front view is already approved.")
        return self._resolve(session, plan, done)

    def _resolve(self, session: Session, plan: FrontViewPlan, done: list[FrontViewApproval]) -> FrontViewPlan:
        if done:
            raise OperationError("invalid_state", "This product already has a front view.")
        return plan.model_copy(update={"iteration": 1})

    def price(self, plan: FrontViewPlan) -> int:
        return get_settings().prices.front_view

    def initial_progress(self, plan: FrontViewPlan) -> dict[str, str]:
        return {"front": "queued"}

    async def work(self, ctx: WorkContext, plan: FrontViewPlan) -> FrontResult:
        await ctx.progress("front", "running")
        product = await read(lambda s: repo.owned_product(s, user_id=ctx.user_id, product_id=plan.product_id))
        if product is None:
            raise _not_found()
        logo, design = await load_image(product.logo_key), await load_image(product.design_key)
        reference = await load_image(plan.base_key)
        prompt = front_view_prompt(product.prompt, has_logo=logo is not None, has_design=design is not None,
                                   feedback=plan.feedback)
        request = apply_brand(ImageRequest(
            prompt=prompt, view="front", product_prompt=product.prompt, references=(reference,) if reference else (),
            logo=logo, design=design, feedback="\n".join(plan.chain) or None, colors=tuple(product.selected_colors),
            category=product.category or None,
        ), product.brand_dna)
        started = time.perf_counter()
        image = await generate_one(ctx, request, operation=str(self.kind), summary=(plan.feedback or product.prompt)[:300])
        key, thumb = await store_view(ctx, f"front_v{plan.iteration}", image)
        await ctx.progress("front", "done")
        return FrontResult(key, thumb, request.prompt, image.model, tuple(image.notes),
                           int((time.perf_counter() - started) * 1000))

    def store(self, session: Session, ctx: WorkContext, plan: FrontViewPlan, result: FrontResult) -> Stored:
        assert plan.product_id is not None
        now = utcnow()
        if plan.feedback and plan.base_approval_id is not None:
            session.execute(
                update(FrontViewApproval)
                .where(FrontViewApproval.product_idea_id == plan.product_id, FrontViewApproval.status == "pending")
                .values(status="rejected", updated_at=now)
            )
            session.execute(
                update(FrontViewApproval).where(FrontViewApproval.id == plan.base_approval_id).values(user_feedback=plan.feedback)
            )
        price = self.price(plan)
        approval = FrontViewApproval(
            product_idea_id=plan.product_id, user_id=ctx.user_id,
            session_id=repo.chat_session_id(session, product_id=plan.product_id), front_view_key=result.key,
            front_view_thumbnail_key=result.thumb, front_view_prompt=result.prompt, status="pending",
            iteration_number=plan.iteration, is_initial_generation=plan.base_approval_id is None,
            credits_reserved=price, credits_consumed=price, notes=list(result.notes),
        )
        session.add(approval)
        session.execute(
            update(ProductIdea).where(ProductIdea.id == plan.product_id)
            .values(status="front_view_ready", thumbnail_key=result.thumb, updated_at=now)
        )
        if plan.feedback:
            repo.chat_append(session, product_id=plan.product_id, role="user", content=plan.feedback,
                             kind="front_view_feedback")
        reply = " ".join([f"Front view V{plan.iteration} is ready.", *result.notes])
        repo.chat_append(session, product_id=plan.product_id, role="assistant", content=reply, kind="front_view",
                         iteration=plan.iteration)
        session.flush()
        return Stored(charged=price, message=f"Front view V{plan.iteration} is ready.",
                      result={"approval_id": str(approval.id), "iteration": plan.iteration})

    def on_failure(self, session: Session, *, job: Job, plan: FrontViewPlan | None, message: str) -> None:
        if job.product_id is None:
            return
        product = session.get(ProductIdea, job.product_id)
        if product is None:
            return
        if not repo.approvals(session, product_id=job.product_id):
            product.status = "failed"
            product.updated_at = utcnow()
            session.add(product)
        notifications.notify(
            session, user_id=job.user_id, type="generation_failed", title="Front view failed",
            message=f"{product.name}: {message}", link=f"/ai-designer?projectId={job.product_id}",
        )


class Iteration(FrontView):
    """"Request Changes": a new front view from a chosen iteration and the user's feedback (seed 000 §2.4)."""

    kind = JobKind.ITERATION

    def _resolve(self, session: Session, plan: FrontViewPlan, done: list[FrontViewApproval]) -> FrontViewPlan:
        feedback = (plan.feedback or "").strip()
        if not feedback:
            raise OperationError("invalid_input", "Describe the changes you want in the feedback box.")
        if len(feedback) > MAX_FEEDBACK:
            raise OperationError("invalid_input", f"Keep the feedback under {MAX_FEEDBACK} characters.")
        if not done:
            raise OperationError("invalid_state", "Generate the front view first.")
        base = next((a for a in done if a.id == plan.base_approval_id), done[-1])
        chain = repo.feedback_chain(session, product_id=base.product_idea_id, upto=base)
        return plan.model_copy(update={
            "feedback": feedback, "base_approval_id": base.id, "iteration": done[-1].iteration_number + 1,
            "base_key": base.front_view_key, "chain": (*chain, feedback),
        })

    def price(self, plan: FrontViewPlan) -> int:
        return get_settings().prices.front_view_iteration


__all__ = ["FrontView", "FrontViewPlan", "Iteration", "MAX_FEEDBACK"]
