"""AI Designer chat edits of chosen views (seed 000 §5.3-§5.4; §9.1: 0.5 credit per view, at most 2).

An edit analyses the current front view, generates the chosen views concurrently from the active images
and writes revision n+1 (``services.revisions``). Edits may run side by side: the commit checks that the
revision the edit was generated from is still the active one; if another edit landed first, the edit is
generated again on top of it (a rebase), so both instructions are kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.models import Job, ProductIdea, ProductMultiviewRevision
from genpire_app.backend.jobs.errors import Conflict, OperationError
from genpire_app.backend.jobs.kinds import JobKind, JobStatus
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import VIEWS, ImageRequest
from genpire_app.backend.services import notifications
from genpire_app.backend.services.brand import apply_brand
from genpire_app.backend.services.revisions import NewView, write_revision
from genpire_app.backend.services.views import ViewBatch, edit_prompt, features_of, generate_views, load_image

MAX_INSTRUCTION = 1000
#: Edits and annotations may run beside each other on one product (the commit rebases).
EDIT_KINDS = frozenset({JobKind.EDIT.value, JobKind.ANNOTATE.value})


def clean_instruction(text: str | None) -> str:
    """The trimmed instruction.

    Raises:
        OperationError: empty or longer than ``MAX_INSTRUCTION`` characters.
    """
    text = (text or "").strip()
    if not text:
        raise OperationError("invalid_input", "Write what you want to change.")
    if len(text) > MAX_INSTRUCTION:
        raise OperationError("invalid_input", f"Keep the message under {MAX_INSTRUCTION} characters.")
    return text


def check_staged_key(key: str | None, user_id: int) -> None:
    """Refuse a staged upload key that is not the user's own (handler arguments come from the browser).

    Raises:
        OperationError: the key is outside ``users/<user_id>/staging/``.
    """
    if key is not None and (not key.startswith(f"users/{user_id}/staging/") or ".." in key):
        raise OperationError("invalid_input", "That attachment is not available any more. Attach it again.")


def lock_views(session: Session, *, user_id: int, product_id: uuid.UUID | None) -> dict[str, ProductMultiviewRevision]:
    """Lock the user's product and return its active rows by view.

    Raises:
        OperationError: not found, or no views yet.
    """
    if product_id is None or repo.lock_product(session, user_id=user_id, product_id=product_id) is None:
        raise OperationError("not_found", "This product does not exist or is not yours.")
    rows = {r.view_type: r for r in repo.active_revision(session, product_id=product_id)}
    if not rows:
        raise OperationError("invalid_state", "Approve the front view and generate the views first.")
    return rows


def announce(session: Session, *, user_id: int, product: ProductIdea, number: int, user_text: str, reply: str,
             summary: str, attachments: list[dict[str, str]], **user_meta: object) -> None:
    """Chat the request and the reply and notify "Edit done" (in the revision's transaction)."""
    repo.chat_append(session, product_id=product.id, role="user", content=user_text, attachments=attachments, **user_meta)
    repo.chat_append(session, product_id=product.id, role="assistant", content=reply, kind="edit_done", revision=number)
    notifications.notify(session, user_id=user_id, type="edit_done", title="Edit done",
                         message=f"{product.name}: revision {number} — {summary}",
                         link=f"/ai-designer?projectId={product.id}")


def log_failed(session: Session, *, job: Job, user_text: str, message: str, attachments: list[dict[str, str]]) -> None:
    """Chat a failed edit: the request and why nothing changed."""
    if job.product_id is not None:
        repo.chat_append(session, product_id=job.product_id, role="user", content=user_text, attachments=attachments,
                         kind="edit")
        repo.chat_append(session, product_id=job.product_id, role="assistant",
                         content=f"{message} Nothing was changed.", kind="edit_failed")


async def active_state(ctx: WorkContext, product_id: uuid.UUID | None) -> tuple[ProductIdea, dict[str, ProductMultiviewRevision]]:
    """The product and its active rows as the work starts (the parent of the new revision)."""

    def load(s: Session) -> tuple[ProductIdea | None, dict[str, ProductMultiviewRevision]]:
        rows = {r.view_type: r for r in repo.active_revision(s, product_id=product_id)}
        return repo.owned_product(s, user_id=ctx.user_id, product_id=product_id), rows

    product, rows = await read(load)
    if product is None or not rows:
        raise OperationError("invalid_state", "The product's views are gone; reload the page.")
    return product, rows


class EditPlan(Plan):
    """A chat edit: the instruction, the chosen views (None: every active view), a staged attachment key;
    ``targets`` (the chosen views that exist) comes from ``prepare``."""

    instruction: str
    views: tuple[str, ...] | None = None
    attachment_key: str | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditResult:
    """The edited views, the revision they were generated from and each view's instruction chain."""

    parent: int
    rows: dict[str, ProductMultiviewRevision]
    chains: dict[str, tuple[str, ...]]
    batch: ViewBatch


class Edit(Operation[EditPlan, EditResult]):
    """"Send" in the AI Designer chat."""

    kind = JobKind.EDIT
    plan_type = EditPlan
    concurrent_with = EDIT_KINDS
    max_rebases = 2

    def prepare(self, session: Session, *, user_id: int, plan: EditPlan) -> EditPlan:
        text = clean_instruction(plan.instruction)
        chosen = tuple(dict.fromkeys(plan.views or ()))
        if any(v not in VIEWS for v in chosen) or (plan.views is not None and not chosen):
            raise OperationError("invalid_input", "Choose at least one of the front, back, side, top and bottom views.")
        check_staged_key(plan.attachment_key, user_id)
        rows = lock_views(session, user_id=user_id, product_id=plan.product_id)
        targets = tuple(v for v in (chosen or VIEWS) if v in rows)
        if not targets:
            raise OperationError("invalid_input", "Those views do not exist yet.")
        return plan.model_copy(update={"instruction": text, "views": chosen or None, "targets": targets})

    def price(self, plan: EditPlan) -> int:
        return get_settings().prices.edit_cost(len(plan.targets))

    def initial_progress(self, plan: EditPlan) -> dict[str, str]:
        return {v: "queued" for v in plan.targets}

    async def work(self, ctx: WorkContext, plan: EditPlan) -> EditResult:
        product, rows = await active_state(ctx, plan.product_id)
        targets = [v for v in plan.targets if v in rows]
        current = {v: await load_image(rows[v].image_key) for v in {*targets, "front"} if v in rows}
        logo, design = await load_image(product.logo_key), await load_image(product.design_key)
        attached = await load_image(plan.attachment_key)
        front = current["front"]
        assert front is not None
        features = await features_of(front, product, cached=None, user_id=ctx.user_id, summary="current front view")
        chains = {v: (*(rows[v].metadata_ or {}).get("instructions", []), plan.instruction) for v in targets}

        def build(view: str) -> ImageRequest:
            return apply_brand(ImageRequest(
                prompt=edit_prompt(view, plan.instruction, features.description), view=view,  # type: ignore[arg-type]
                product_prompt=product.prompt, references=(front,) if view != "front" else (), logo=logo,
                design=design if view == "front" else None, feedback="\n".join(chains[view]),
                colors=tuple(product.selected_colors), category=product.category or None, base_image=current[view],
                attachments=(attached,) if attached is not None else (), instruction=plan.instruction,
            ), product.brand_dna)

        batch = await generate_views(ctx, targets, build, operation=lambda v: "ai_edit",
                                     summary=lambda v: f"{v}: {plan.instruction[:200]}", name=lambda v: f"{v}_edit")
        batch.raise_if_empty("The edit could not be applied.")
        return EditResult(max(r.revision_number for r in rows.values()), rows, chains, batch)

    def store(self, session: Session, ctx: WorkContext, plan: EditPlan, result: EditResult) -> Stored:
        assert plan.product_id is not None
        if repo.active_revision_number(session, product_id=plan.product_id) != result.parent:
            raise Conflict()
        done, failed = result.batch.done, result.batch.failed
        charged = get_settings().prices.edit_cost(len(done))
        attachments = [{"kind": "image", "key": plan.attachment_key}] if plan.attachment_key else []
        views = [NewView(r.view, r.key, r.thumb, model=r.image.model, elapsed_ms=r.elapsed_ms,
                         parameters={"instruction": plan.instruction, "attachments": len(attachments)},
                         instructions=result.chains[r.view], parent_id=result.rows[r.view].id) for r in done]
        number = write_revision(session, user_id=ctx.user_id, product_id=plan.product_id, views=views,
                                edit_type="ai_edit", edit_prompt=plan.instruction,
                                meta={"credits_used": charged, "edited_views": sorted(v.view for v in views)})
        notes = list(dict.fromkeys(n for r in done for n in r.image.notes))
        edited = ", ".join(v.capitalize() for v in plan.targets if v in {r.view for r in done})
        reply = " ".join([f"Revision {number}: I applied “{plan.instruction}” to {edited}.", *notes])
        if failed:
            reply += f" {', '.join(v.capitalize() for v in failed)} could not be edited and stayed as they were (not charged)."
        reply += f" Cost: {format_credits(charged)}."
        product = session.get(ProductIdea, plan.product_id)
        assert product is not None
        announce(session, user_id=ctx.user_id, product=product, number=number, user_text=plan.instruction, reply=reply,
                 summary=plan.instruction[:120], attachments=attachments, kind="edit", views=list(plan.targets))
        message = f"Revision {number} is ready." + (f" {', '.join(failed)} could not be edited and were not charged."
                                                     if failed else "")
        return Stored(charged=charged, message=message, status=JobStatus.PARTIAL if failed else JobStatus.SUCCEEDED,
                      result={"revision": number, "failed": failed})

    def on_failure(self, session: Session, *, job: Job, plan: EditPlan | None, message: str) -> None:
        if plan is not None:
            attachments = [{"kind": "image", "key": plan.attachment_key}] if plan.attachment_key else []
            log_failed(session, job=job, user_text=plan.instruction, message=message, attachments=attachments)


__all__ = ["EDIT_KINDS", "MAX_INSTRUCTION", "Edit", "EditPlan", "announce", "check_staged_key", "clean_instruction",
           "lock_views"]
