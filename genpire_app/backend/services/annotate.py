"""Annotation micro-edits: change the marked area of one view (seed 000 §5.5; 0.5 credit, ``edit_cost(1)``).

The browser uploads the view with the user's marks over HTTP (``/api/uploads/annotations``, staged under
``users/<id>/staging/``) and sends the staged key, the instruction and the marked area as fractions
``(x0, y0, x1, y1)``. The result is revision n+1 where only this view changed. A micro-edit changes pixels
of the marked area; later whole-view edits do not replay it, so it stays out of the instruction chain
(kept in ``metadata.micro_edits``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.models import Job, ProductIdea, ProductMultiviewRevision
from genpire_app.backend.jobs.errors import Conflict, OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import VIEWS, GeneratedImage, ImageRequest
from genpire_app.backend.db import repo
from genpire_app.backend.services.edits import (
    EDIT_KINDS,
    active_state,
    announce,
    check_staged_key,
    clean_instruction,
    lock_views,
    log_failed,
)
from genpire_app.backend.services.brand import apply_brand
from genpire_app.backend.services.revisions import NewView, write_revision
from genpire_app.backend.services.views import edit_prompt, generate_one, load_image, store_view


class AnnotatePlan(Plan):
    """A micro-edit of ``view``: the instruction, the marked area as fractions (left/top origin) and the
    staged key of the annotated image (a new upload per click, so not part of the intent's digest)."""

    digest_exclude: ClassVar[frozenset[str]] = frozenset({"annotation_key"})
    view: str
    instruction: str
    region: tuple[float, float, float, float]
    annotation_key: str


@dataclass(frozen=True)
class AnnotateResult:
    """The edited view, the row and revision it was made from, and the time it took (milliseconds)."""

    parent: int
    row: ProductMultiviewRevision
    image: GeneratedImage
    key: str
    thumb: str
    elapsed_ms: int


class Annotate(Operation[AnnotatePlan, AnnotateResult]):
    """"Submit annotation" in the view dialog."""

    kind = JobKind.ANNOTATE
    plan_type = AnnotatePlan
    concurrent_with = EDIT_KINDS
    max_rebases = 2

    def prepare(self, session: Session, *, user_id: int, plan: AnnotatePlan) -> AnnotatePlan:
        text = clean_instruction(plan.instruction)
        if plan.view not in VIEWS:
            raise OperationError("invalid_input", "Choose a view to annotate.")
        x0, y0, x1, y1 = plan.region
        if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
            raise OperationError("invalid_input", "Mark the area to change on the view first.")
        check_staged_key(plan.annotation_key, user_id)
        if plan.view not in lock_views(session, user_id=user_id, product_id=plan.product_id):
            raise OperationError("invalid_state", f"The {plan.view} view does not exist yet.")
        return plan.model_copy(update={"instruction": text})

    def price(self, plan: AnnotatePlan) -> int:
        return get_settings().prices.edit_cost(1)

    def initial_progress(self, plan: AnnotatePlan) -> dict[str, str]:
        return {plan.view: "queued"}

    async def work(self, ctx: WorkContext, plan: AnnotatePlan) -> AnnotateResult:
        await ctx.progress(plan.view, "running")
        product, rows = await active_state(ctx, plan.product_id)
        row = rows.get(plan.view)
        if row is None:
            raise OperationError("invalid_state", f"The {plan.view} view is gone; reload the page.")
        x0, y0, x1, y1 = plan.region
        request = apply_brand(ImageRequest(
            prompt=edit_prompt(plan.view, plan.instruction, product.name), view=plan.view,  # type: ignore[arg-type]
            product_prompt=product.prompt, feedback="\n".join((row.metadata_ or {}).get("instructions", [])) or None,
            base_image=await load_image(row.image_key), annotation=await load_image(plan.annotation_key),
            region=plan.region, instruction=plan.instruction, category=product.category or None,
        ), product.brand_dna)
        started = time.perf_counter()
        image = await generate_one(ctx, request, operation="annotation_edit",
                                   summary=f"{plan.view} region {x0:.2f},{y0:.2f},{x1:.2f},{y1:.2f}: {plan.instruction[:200]}")
        key, thumb = await store_view(ctx, f"{plan.view}_annot", image)
        await ctx.progress(plan.view, "done")
        parent = max(r.revision_number for r in rows.values())
        return AnnotateResult(parent, row, image, key, thumb, int((time.perf_counter() - started) * 1000))

    def store(self, session: Session, ctx: WorkContext, plan: AnnotatePlan, result: AnnotateResult) -> Stored:
        assert plan.product_id is not None
        if repo.active_revision_number(session, product_id=plan.product_id) != result.parent:
            raise Conflict()
        price = self.price(plan)
        old = result.row.metadata_ or {}
        micro = (*old.get("micro_edits", []), {"instruction": plan.instruction, "region": list(plan.region)})
        view = NewView(plan.view, result.key, result.thumb, model=result.image.model, elapsed_ms=result.elapsed_ms,
                       parameters={"instruction": plan.instruction, "region": list(plan.region),
                                   "annotation_key": plan.annotation_key},
                       instructions=tuple(old.get("instructions", [])), micro_edits=micro, parent_id=result.row.id)
        number = write_revision(session, user_id=ctx.user_id, product_id=plan.product_id, views=[view],
                                edit_type="ai_edit", edit_prompt=plan.instruction,
                                meta={"credits_used": price, "edited_views": [plan.view], "annotation": True})
        reply = " ".join([f"Revision {number}: I changed the marked area of the {plan.view} view — “{plan.instruction}”.",
                          *result.image.notes])
        product = session.get(ProductIdea, plan.product_id)
        assert product is not None
        announce(session, user_id=ctx.user_id, product=product, number=number,
                 user_text=f"[{plan.view} view, marked area] {plan.instruction}", reply=reply,
                 summary=f"marked area of the {plan.view} view", kind="annotation",
                 attachments=[{"kind": "annotation", "key": plan.annotation_key}])
        return Stored(charged=price, message=f"Revision {number} is ready.", result={"revision": number})

    def on_failure(self, session: Session, *, job: Job, plan: AnnotatePlan | None, message: str) -> None:
        if plan is not None:
            log_failed(session, job=job, user_text=f"[{plan.view} view, marked area] {plan.instruction}",
                       message=message, attachments=[])


__all__ = ["Annotate", "AnnotatePlan"]
