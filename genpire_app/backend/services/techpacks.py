"""Tech packs: generation from a revision, with its PDF and Excel files, and reading (seed 000 §3 Phases
6-7, §4.4, §7.1-7.2).

A tech pack costs ``Prices.tech_pack`` (1 credit, seed 000 §9.1), held before the text provider runs and
captured in the transaction that saves it; a failure releases the hold (DESIGN.md §12 "tech pack
failure": refund). The job also renders the PDF (reportlab) and the workbook (openpyxl) on the queue
worker, so downloads are plain signed file links and no CPU work runs in a web process.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read, read_session, write_session
from genpire_app.backend.db.models import (
    FrontViewApproval,
    Job,
    ProductIdea,
    ProductMultiviewRevision,
    ProductTechPack,
    as_utc,
    utcnow,
)
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import TechPack, TechPackContext
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log, notifications
from genpire_app.backend.services.views import features_of, load_image

FORMATS = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_filename(product_name: str, revision_number: int, fmt: str) -> str:
    """Download name of an export: "Minimalist Canvas Tote Bag" r0 pdf -> ``Minimalist_Canvas_Tote_Bag_TechPack_r0.pdf``."""
    stem = "".join(c if c.isalnum() else "_" for c in product_name).strip("_")
    while "__" in stem:
        stem = stem.replace("__", "_")
    return f"{stem or 'Product'}_TechPack_r{revision_number}.{fmt}"


class TechPackPlan(Plan):
    """A tech pack of ``revision_number`` (None: the active revision; ``prepare`` fills it)."""

    revision_number: int | None = None


@dataclass(frozen=True)
class TechPackResult:
    """The tech pack, the model that wrote it, its generation time (UTC) and the export keys by format."""

    tech_pack: TechPack
    model: str
    generated_at: datetime
    files: dict[str, str]


class TechPackOperation(Operation[TechPackPlan, TechPackResult]):
    """"Generate Tech Pack" for the active or a chosen revision (seed 000 §3 Phase 6, §6.4)."""

    kind = JobKind.TECH_PACK
    plan_type = TechPackPlan

    def prepare(self, session: Session, *, user_id: int, plan: TechPackPlan) -> TechPackPlan:
        if plan.product_id is None or repo.lock_product(session, user_id=user_id, product_id=plan.product_id) is None:
            raise OperationError("not_found", "This product does not exist or is not yours.")
        number = plan.revision_number
        if number is None:
            number = repo.active_revision_number(session, product_id=plan.product_id)
        rows = repo.revision_rows(session, product_id=plan.product_id, revision_number=number) if number is not None else []
        if plan.revision_number is not None and not rows:
            raise OperationError("not_found", f"Revision {plan.revision_number} does not exist.")
        if not any(r.view_type == "front" for r in rows):
            raise OperationError("invalid_state", "Approve the front view and generate the views first.")
        return plan.model_copy(update={"revision_number": number})

    def price(self, plan: TechPackPlan) -> int:
        return get_settings().prices.tech_pack

    def initial_progress(self, plan: TechPackPlan) -> dict[str, str]:
        return {"tech_pack": "queued"}

    async def work(self, ctx: WorkContext, plan: TechPackPlan) -> TechPackResult:
        from genpire_app.backend.exports.techpack_pdf import render_techpack_pdf
        from genpire_app.backend.exports.techpack_xlsx import render_techpack_xlsx

        await ctx.progress("tech_pack", "running")
        number = plan.revision_number
        assert number is not None and plan.product_id is not None

        def load(s: Session) -> tuple[ProductIdea | None, list[ProductMultiviewRevision], FrontViewApproval | None]:
            rows = repo.revision_rows(s, product_id=plan.product_id, revision_number=number)
            front = next((r for r in rows if r.view_type == "front"), None)
            approval = s.get(FrontViewApproval, front.front_view_approval_id) if front and front.front_view_approval_id else None
            return s.get(ProductIdea, plan.product_id), rows, approval

        product, rows, approval = await read(load)
        if product is None or not rows:
            raise OperationError("not_found", "This revision no longer exists.")
        images = {r.view_type: image for r in rows if (image := await load_image(r.image_key)) is not None}
        views = {name: image.data for name, image in images.items()}
        features = await features_of(images["front"], product, cached=approval.extracted_features if approval and number == 0 else None,
                                     user_id=ctx.user_id, summary=f"revision {number} front view")
        context = TechPackContext(product_prompt=product.prompt, revision_number=number, edit_prompt=rows[0].edit_prompt,
                                  features=features, views=images, category=product.category or None)
        text = get_providers().text
        completion = await ai_log.call(text, lambda: text.generate_tech_pack(context), operation="tech_pack",
                                       user_id=ctx.user_id, product_id=plan.product_id,
                                       input_summary=f"tech pack for revision {number}")
        tech_pack = TechPack.model_validate(completion.value.model_dump())
        generated_at = utcnow()
        pdf = await asyncio.to_thread(render_techpack_pdf, tech_pack, views, revision_number=number,
                                      generated_at=generated_at, product_id=str(plan.product_id))
        xlsx = await asyncio.to_thread(render_techpack_xlsx, tech_pack, revision_number=number, generated_at=generated_at)
        prefix = f"users/{ctx.user_id}/products/{plan.product_id}/techpacks"
        name = f"techpack_r{number}"
        pdf_key, xlsx_key = await ctx.put_blobs(prefix, [(name, pdf, FORMATS["pdf"], "pdf"),
                                                         (name, xlsx, FORMATS["xlsx"], "xlsx")])
        files = {"pdf": pdf_key, "xlsx": xlsx_key}
        await ctx.progress("tech_pack", "done")
        return TechPackResult(tech_pack, completion.model, generated_at, files)

    def store(self, session: Session, ctx: WorkContext, plan: TechPackPlan, result: TechPackResult) -> Stored:
        assert plan.product_id is not None and plan.revision_number is not None
        rows = repo.revision_rows(session, product_id=plan.product_id, revision_number=plan.revision_number)
        front = next(r for r in rows if r.view_type == "front")
        session.execute(
            update(ProductTechPack)
            .where(ProductTechPack.product_idea_id == plan.product_id, ProductTechPack.is_active.is_(True))
            .values(is_active=False, updated_at=result.generated_at)
        )
        row = ProductTechPack(
            product_idea_id=plan.product_id, revision_id=front.id, user_id=ctx.user_id,
            revision_number=plan.revision_number, tech_pack_data=result.tech_pack.model_dump(), is_active=True,
            created_at=result.generated_at, updated_at=result.generated_at,
            metadata_={"generated_at": result.generated_at.isoformat(), "credits_used": self.price(plan),
                       "model": result.model, "batch_id": front.batch_id, "files": result.files},
        )
        session.add(row)
        session.flush()
        product = session.get(ProductIdea, plan.product_id)
        assert product is not None
        repo.chat_append(session, product_id=plan.product_id, role="assistant",
                         content=f"The tech pack for revision {plan.revision_number} is ready.", kind="tech_pack")
        notifications.notify(session, user_id=ctx.user_id, type="tech_pack_ready", title="Tech pack ready",
                             message=f"{product.name}: tech pack for revision {plan.revision_number}.",
                             link=f"/techpacks/{row.id}")
        return Stored(charged=self.price(plan), message="Your tech pack is ready.", result={"tech_pack_id": str(row.id)})

    def on_failure(self, session: Session, *, job: Job, plan: TechPackPlan | None, message: str) -> None:
        product = session.get(ProductIdea, job.product_id) if job.product_id else None
        if product is not None:
            notifications.notify(session, user_id=job.user_id, type="generation_failed", title="Tech pack failed",
                                 message=f"{product.name}: {message}", link=f"/ai-designer?projectId={product.id}")


@dataclass(frozen=True)
class TechPackView:
    """A tech pack with what its page shows: the parsed tech pack, its revision, the view keys and the
    keys of its PDF and Excel files (``{"pdf": key, "xlsx": key}``; empty for tech packs made before
    files were rendered with the job); ``view_row_ids``: the id of each view's row (its traced SVG)."""

    id: str
    product_id: str
    product_name: str
    revision_number: int
    is_active: bool
    created_at: datetime
    tech_pack: TechPack
    view_keys: dict[str, str]
    view_thumbnail_keys: dict[str, str]
    files: dict[str, str]
    view_row_ids: dict[str, str] = field(default_factory=dict)


def get_tech_pack(*, user_id: int, tech_pack_id: uuid.UUID) -> TechPackView | None:
    """The user's tech pack with the image keys of its revision; None if missing or not theirs."""
    with read_session() as s:
        row = s.get(ProductTechPack, tech_pack_id)
        if row is None or row.user_id != user_id:
            return None
        product = s.get(ProductIdea, row.product_idea_id)
        assert product is not None
        anchor = s.get(ProductMultiviewRevision, row.revision_id) if row.revision_id is not None else None
        batch = anchor.batch_id if anchor else (row.metadata_ or {}).get("batch_id")
        rows = s.exec(select(ProductMultiviewRevision).where(
            ProductMultiviewRevision.product_idea_id == row.product_idea_id, ProductMultiviewRevision.batch_id == batch
        )).all() if batch else []
        return TechPackView(
            id=str(row.id), product_id=str(row.product_idea_id), product_name=product.name,
            revision_number=row.revision_number, is_active=row.is_active, created_at=as_utc(row.created_at) or utcnow(),
            tech_pack=TechPack.model_validate(row.tech_pack_data), view_keys={r.view_type: r.image_key for r in rows},
            view_thumbnail_keys={r.view_type: r.thumbnail_key or r.image_key for r in rows},
            files=dict((row.metadata_ or {}).get("files", {})), view_row_ids={r.view_type: str(r.id) for r in rows},
        )


@dataclass(frozen=True)
class TechPackItem:
    """A row of the product's tech pack list: id, revision number, active flag, creation time (UTC)."""

    id: str
    revision_number: int
    is_active: bool
    created_at: datetime | None


def list_tech_packs(session: Session, *, user_id: int, product_id: uuid.UUID) -> list[TechPackItem]:
    """The product's tech packs, newest first."""
    rows = session.exec(
        select(ProductTechPack)
        .where(ProductTechPack.product_idea_id == product_id, ProductTechPack.user_id == user_id)
        .order_by(ProductTechPack.created_at.desc())
    ).all()
    return [TechPackItem(str(r.id), r.revision_number, r.is_active, as_utc(r.created_at)) for r in rows]


def set_active_tech_pack(*, user_id: int, tech_pack_id: uuid.UUID) -> bool:
    """Make one of the user's tech packs the product's active one (seed 000 §6.4). False when not found."""
    with write_session() as s:
        row = s.get(ProductTechPack, tech_pack_id)
        if row is None or row.user_id != user_id:
            return False
        now = utcnow()
        s.execute(
            update(ProductTechPack)
            .where(ProductTechPack.product_idea_id == row.product_idea_id, ProductTechPack.is_active.is_(True))
            .values(is_active=False, updated_at=now)
        )
        s.execute(update(ProductTechPack).where(ProductTechPack.id == tech_pack_id).values(is_active=True, updated_at=now))
        return True


__all__ = ["FORMATS", "TechPackItem", "TechPackOperation", "TechPackPlan", "TechPackView", "export_filename",
           "get_tech_pack", "list_tech_packs", "set_active_tech_pack"]
