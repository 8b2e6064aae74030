"""Tech Pack V2 "Regenerate view": one view regenerated as a new revision and analysed again (issue 10 item 6;
seed 001 "Optional Operations": ``POST /api/tech-pack-v2/regenerate``, reserve 1 credit, validate
``regeneratePrompt?``, fetch the original analysis, regenerate the image from the analysis + prompt, upload as a
new revision, re-analyse, store; DESIGN.md §5, §7.1).

``RegenerateView`` (job kind ``v2_regenerate``, ``Prices.v2_regenerate`` = 1 credit):

* ``prepare``: the user's product (another user's: ``not_found``, nothing held), the view exists in the active
  revision, the Base views step has analysed it (else ``invalid_state`` "Analyze the base views first."), the
  instruction is at most 1000 characters (it may be empty: "regenerate as it is").
* ``work``: the image provider redraws the view from its current image (``base_image``), the front view as
  reference, the product's words and the V2 document's materials / colors / finishes, and the instruction; the
  view's instruction chain grows by the instruction (the offline renderer replays it) — the same request shape
  and helpers as the AI Designer's single-view edits (``services.edits`` / ``services.views``:
  ``generate_one``, ``store_view``). The new image is then analysed by ``v2_analysis.analyse_views`` (cached by
  image hash: the same pixels cost no provider call, logged as a cache hit).
* ``store`` (one transaction): revision n+1 through ``revisions.write_revision`` (the view's new row; the other
  active views carried over with the same image keys, exactly like a single-view edit), the new cache row
  (``v2_analysis.save_analyses``), and the V2 document of revision n+1 made from revision n's: category,
  the other views' analyses and every edit carried over, the view's analysis replaced, ``fields`` re-merged with
  the edits re-applied; done close-up and sketch steps become ``stale`` (they show the old image). The chat
  gets the request and the reply, the user an "Edit done" notification. The whole price is captured.

Offline the renderer is deterministic: an empty instruction redraws the same pixels (a cache hit).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.models import Job, ProductIdea
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2
from genpire_app.backend.jobs.errors import Conflict, OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import VIEWS, ImageRequest
from genpire_app.backend.services import v2_analysis, v2_document
from genpire_app.backend.services.edits import MAX_INSTRUCTION, active_state, announce, log_failed
from genpire_app.backend.services.brand import apply_brand
from genpire_app.backend.services.revisions import NewView, write_revision
from genpire_app.backend.services.v2_edits import locked_document
from genpire_app.backend.services.v2_inputs import NO_ANALYSIS, analyses_of
from genpire_app.backend.services.views import VIEW_DESCRIPTIONS, edit_prompt, generate_one, load_image, store_view

#: Steps made from the views' images: stale once a view is regenerated.
IMAGE_STEPS = ("close_ups", "sketches")


class RegeneratePlan(Plan):
    """Regenerate ``view`` of ``product_id`` with ``instruction`` (may be empty); ``prepare`` fills
    ``revision_number`` (the active one, the parent) and ``category`` (for the analysis)."""

    view: str
    instruction: str = ""
    revision_number: int | None = None
    category: str = ""


@dataclass(frozen=True)
class Regenerated:
    """The new image of the view (keys, model, notes, instruction chain, generation time in milliseconds), the
    row and revision it was made from, and its analysis."""

    parent: int
    row_id: uuid.UUID
    key: str
    thumb: str
    model: str
    notes: tuple[str, ...]
    chain: tuple[str, ...]
    elapsed_ms: int
    outcome: v2_analysis.ViewOutcome


def describe(product: ProductIdea, fields: dict[str, Any]) -> str:
    """The product in words for the image prompt: its name and the document's materials, colors and finishes
    (at most 1500 characters)."""
    parts = [product.name or product.prompt[:200]]
    for section in ("materials", "colors", "finishes"):
        values = fields.get(section) or {}
        if isinstance(values, dict) and values:
            items = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in list(values.items())[:6])
            parts.append(f"{section.capitalize()}: {items}")
    return ". ".join(p for p in parts if p)[:1500]


def regenerate_prompt(view: str, instruction: str, description: str) -> str:
    """The edit prompt of seed 000 §5.4 when there is an instruction, else "regenerate it as it is"."""
    if instruction:
        return edit_prompt(view, instruction, description)
    return "\n".join([
        f"Current product: {description}", "",
        f"Regenerate {VIEW_DESCRIPTIONS.get(view, view)} of this exact product, maintaining:",
        "- Overall product structure, proportions, colors, materials and details",
        "- Pure white background", "- Same lighting and quality as the current image",
    ])


def carry_document(session: Session, *, user_id: int, prev: ProductTechPackV2, number: int, view: str,
                   entry: dict[str, Any]) -> ProductTechPackV2:
    """The V2 document of revision ``number`` made from ``prev`` (category, views, edits, steps carried over)
    with ``view``'s entry replaced and ``fields`` re-merged (edits re-applied); added to ``session``."""
    doc = v2_document.find(session, product_id=prev.product_idea_id, revision_number=number)
    if doc is None:
        doc = ProductTechPackV2(user_id=user_id, product_idea_id=prev.product_idea_id, revision_number=number)
    now = utcnow()
    doc.category, doc.subcategory = prev.category, prev.subcategory
    doc.category_confidence, doc.category_source = prev.category_confidence, prev.category_source
    doc.views = {**prev.views, view: entry}
    doc.edits = list(prev.edits)
    doc.fields = v2_document.apply_edits(v2_document.merge_fields(analyses_of(doc)), doc.edits)
    steps = dict(prev.steps)
    mean = round(statistics.fmean(float(e.get("confidence", 0)) for e in doc.views.values()), 3)
    base = steps.get("base_views") or {}
    steps["base_views"] = {**base, "status": base.get("status", "done"), "at": now.isoformat(), "confidence": mean,
                           "regenerated": view, "from_revision": prev.revision_number}
    for step in IMAGE_STEPS:
        if (steps.get(step) or {}).get("status") == "done":
            steps[step] = {**steps[step], "status": "stale"}
    doc.steps, doc.created_at, doc.updated_at = steps, now, now
    session.add(doc)
    session.flush()
    return doc


def _user_text(plan: RegeneratePlan) -> str:
    return f"[Tech pack: regenerate the {plan.view} view] {plan.instruction}".strip()


class RegenerateView(Operation[RegeneratePlan, Regenerated]):
    """"Regenerate view" of the Tech Pack V2 page (see the module docstring)."""

    kind = JobKind.V2_REGENERATE
    plan_type = RegeneratePlan
    max_rebases = 1

    def prepare(self, session: Session, *, user_id: int, plan: RegeneratePlan) -> RegeneratePlan:
        """Raises OperationError ``invalid_input``, ``not_found`` or ``invalid_state`` (nothing is held)."""
        if plan.view not in VIEWS:
            raise OperationError("invalid_input", "Choose the front, back, side, top or bottom view.")
        text = (plan.instruction or "").strip()
        if len(text) > MAX_INSTRUCTION:
            raise OperationError("invalid_input", f"Keep the message under {MAX_INSTRUCTION} characters.")
        doc = locked_document(session, user_id=user_id, product_id=plan.product_id)
        if plan.view not in {r.view_type for r in repo.active_revision(session, product_id=doc.product_idea_id)}:
            raise OperationError("invalid_state", f"The {plan.view} view does not exist yet.")
        product = session.get(ProductIdea, doc.product_idea_id)
        category = " / ".join(x for x in (doc.category, doc.subcategory) if x) or (product.category if product else "")
        return plan.model_copy(update={"instruction": text, "revision_number": doc.revision_number,
                                       "category": category or ""})

    def price(self, plan: RegeneratePlan) -> int:
        return get_settings().prices.v2_regenerate

    def initial_progress(self, plan: RegeneratePlan) -> dict[str, str]:
        return {plan.view: "queued"}

    async def work(self, ctx: WorkContext, plan: RegeneratePlan) -> Regenerated:
        """Regenerate the view, store its PNG + thumbnail, analyse it (see the module docstring).

        Raises:
            ProviderError: the image or the vision provider failed.
            OperationError: ``invalid_state`` when the view or the document is gone.
        """
        await ctx.progress(plan.view, "running")
        product, rows = await active_state(ctx, plan.product_id)
        row = rows.get(plan.view)
        if row is None:
            raise OperationError("invalid_state", f"The {plan.view} view is gone; reload the page.")
        parent = max(r.revision_number for r in rows.values())
        doc = await read(lambda s: v2_document.find(s, product_id=product.id, revision_number=parent))
        if doc is None or not analyses_of(doc):
            raise OperationError("invalid_state", NO_ANALYSIS)
        front = await load_image(rows["front"].image_key) if plan.view != "front" and "front" in rows else None
        chain = tuple((row.metadata_ or {}).get("instructions", [])) + ((plan.instruction,) if plan.instruction else ())
        request = apply_brand(ImageRequest(
            prompt=regenerate_prompt(plan.view, plan.instruction, describe(product, doc.fields)),
            view=plan.view,  # type: ignore[arg-type]
            product_prompt=product.prompt, references=(front,) if front is not None else (),
            logo=await load_image(product.logo_key),
            design=await load_image(product.design_key) if plan.view == "front" else None,
            feedback="\n".join(chain) or None, colors=tuple(product.selected_colors),
            category=product.category or None, base_image=await load_image(row.image_key),
            instruction=plan.instruction or None,
        ), product.brand_dna)
        started = time.perf_counter()
        image = await generate_one(ctx, request, operation="v2_regenerate",
                                   summary=f"regenerate {plan.view} view: {plan.instruction[:200]}")
        key, thumb = await store_view(ctx, f"{plan.view}_regen", image)
        elapsed = int((time.perf_counter() - started) * 1000)
        target = v2_analysis.V2Plan(product_id=plan.product_id, revision_number=parent + 1, views={plan.view: key},
                                    category=plan.category)
        (outcome,) = await v2_analysis.analyse_views(ctx, target, step="regenerate")
        return Regenerated(parent, row.id, key, thumb, image.model, tuple(image.notes), chain, elapsed, outcome)

    def store(self, session: Session, ctx: WorkContext, plan: RegeneratePlan, result: Regenerated) -> Stored:
        """Revision n+1, the cache row and the carried document (see the module docstring).

        Raises:
            Conflict: the active revision changed since ``work`` read it (the runner runs ``work`` again once).
        """
        assert plan.product_id is not None
        prev = locked_document(session, user_id=ctx.user_id, product_id=plan.product_id)
        if prev.revision_number != result.parent:
            raise Conflict()
        price = self.price(plan)
        new_view = NewView(plan.view, result.key, result.thumb, model=result.model, elapsed_ms=result.elapsed_ms,
                           parameters={"instruction": plan.instruction, "regenerated": True, "tech_pack_v2": True},
                           instructions=result.chain, parent_id=result.row_id)
        number = write_revision(session, user_id=ctx.user_id, product_id=plan.product_id, views=[new_view],
                                edit_type="ai_edit", edit_prompt=plan.instruction or f"Regenerated the {plan.view} view",
                                meta={"credits_used": price, "edited_views": [plan.view], "v2_regenerate": True})
        session.flush()
        new_row = next(r for r in repo.revision_rows(session, product_id=plan.product_id, revision_number=number)
                       if r.view_type == plan.view)
        outcome = dataclasses.replace(result.outcome, revision_id=str(new_row.id))
        ids = v2_analysis.save_analyses(session, user_id=ctx.user_id, product_id=plan.product_id, outcomes=[outcome])
        entry = {"analysis_id": str(ids[outcome.image_hash]), "image_hash": outcome.image_hash,
                 "confidence": outcome.confidence, "fields": outcome.analysis}
        doc = carry_document(session, user_id=ctx.user_id, prev=prev, number=number, view=plan.view, entry=entry)
        what = f"“{plan.instruction}”" if plan.instruction else "as it was"
        reply = " ".join([f"Revision {number}: I regenerated the {plan.view} view {what} and analysed it again"
                          f"{' (same pixels: from the cache)' if outcome.cached else ''}.", *result.notes])
        product = session.get(ProductIdea, plan.product_id)
        assert product is not None
        announce(session, user_id=ctx.user_id, product=product, number=number, user_text=_user_text(plan),
                 reply=reply, summary=f"{plan.view} view regenerated", attachments=[], kind="edit",
                 views=[plan.view])
        return Stored(charged=price, message=f"Revision {number} is ready: the {plan.view} view was regenerated and "
                      "analysed.", result={"revision": number, "document_id": str(doc.id), "view": plan.view,
                                           "cached": outcome.cached, "confidence": outcome.confidence})

    def on_failure(self, session: Session, *, job: Job, plan: RegeneratePlan | None, message: str) -> None:
        if plan is not None:
            log_failed(session, job=job, user_text=_user_text(plan), message=message, attachments=[])


__all__ = ["IMAGE_STEPS", "RegeneratePlan", "RegenerateView", "Regenerated", "carry_document", "describe",
           "regenerate_prompt"]
