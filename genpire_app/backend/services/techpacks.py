"""Tech packs: generation from the active revision, reading, and exports (seed 000 §3 Phases 6-7, §4.4).

A tech pack costs 1 credit (seed 000 §9.1), held before the text provider runs and captured in the same
transaction that saves it; a failure releases the hold (DESIGN.md §12, "tech pack failure": refund).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import (
    FrontViewApproval,
    ProductIdea,
    ProductMultiviewRevision,
    ProductTechPack,
    as_utc,
    utcnow,
)
from genpire_app.backend.jobs import records
from genpire_app.backend.providers.base import VIEWS, ImageInput, ProviderError, TechPack, TechPackContext
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log, credits, notifications
from genpire_app.backend.services.generation import (
    GenerationError,
    Outcome,
    _begin,
    _chat,
    _fail,
    _load_blob,
    features_of,
)
from genpire_app.backend.storage import get_storage


def active_revision(session: Session, product_id: uuid.UUID) -> list[ProductMultiviewRevision]:
    """The active rows of a product, in view order (front, back, side, top, bottom)."""
    rows = session.exec(
        select(ProductMultiviewRevision).where(
            ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.is_active.is_(True)
        )
    ).all()
    order = {v: i for i, v in enumerate(VIEWS)}
    return sorted(rows, key=lambda r: order.get(r.view_type, 99))


def revision_rows(session: Session, product_id: uuid.UUID, revision_number: int) -> list[ProductMultiviewRevision]:
    """The rows of one revision of a product, in view order."""
    rows = session.exec(
        select(ProductMultiviewRevision).where(
            ProductMultiviewRevision.product_idea_id == product_id,
            ProductMultiviewRevision.revision_number == revision_number,
        )
    ).all()
    order = {v: i for i, v in enumerate(VIEWS)}
    return sorted(rows, key=lambda r: order.get(r.view_type, 99))


async def generate_tech_pack(
    *, user_id: int, product_id: uuid.UUID, revision_number: int | None = None
) -> Outcome:
    """Generate a tech pack for a revision — the active one by default (seed 000 Phase 6 steps 1-5, §6.4).

    Returns an Outcome whose ``approval_id`` field carries the new tech pack id on success.

    Raises:
        GenerationError: not found, no views yet, busy, or insufficient credits (nothing is charged).
    """
    price = get_settings().prices.tech_pack
    state: dict[str, Any] = {}

    def check(s: Session, product: ProductIdea) -> None:
        if revision_number is None:
            rows = active_revision(s, product.id)
        else:
            rows = revision_rows(s, product.id, revision_number)
            if not rows:
                raise GenerationError("not_found", f"Revision {revision_number} does not exist.")
        if not any(r.view_type == "front" for r in rows):
            raise GenerationError("invalid_state", "Approve the front view and generate the views first.")
        front = next(r for r in rows if r.view_type == "front")
        approval = s.get(FrontViewApproval, front.front_view_approval_id) if front.front_view_approval_id else None
        state.update(product=product, rows=rows, front=front, approval=approval)

    job_id, hold_id = await asyncio.to_thread(
        _begin,
        user_id=user_id,
        product_id=product_id,
        kind="tech_pack",
        amount=price,
        operation="tech_pack",
        progress={"tech_pack": "running"},
        check=check,
    )
    product: ProductIdea = state["product"]
    rows: list[ProductMultiviewRevision] = state["rows"]
    front: ProductMultiviewRevision = state["front"]
    approval: FrontViewApproval | None = state["approval"]
    number = max(r.revision_number for r in rows)
    providers = get_providers()

    def on_fail(s: Session) -> None:
        notifications.notify(
            s,
            user_id=user_id,
            type="generation_failed",
            title="Tech pack failed",
            message=f"{product.name}: the tech pack could not be generated. Your credit was returned.",
            link=f"/ai-designer?projectId={product_id}",
        )

    try:
        views: dict[str, ImageInput] = {}
        for row in rows:
            blob = await _load_blob(row.image_key)
            if blob is not None:
                views[row.view_type] = blob
        features = await features_of(
            views["front"],
            product,
            cached=approval.extracted_features if approval is not None and number == 0 else None,
            user_id=user_id,
            summary=f"revision {number} front view",
        )
        context = TechPackContext(
            product_prompt=product.prompt,
            revision_number=number,
            edit_prompt=front.edit_prompt,
            features=features,
            views=views,
            category=product.category or None,
        )
        completion = await ai_log.call(
            providers.text,
            lambda: providers.text.generate_tech_pack(context),
            operation="tech_pack",
            user_id=user_id,
            product_id=product_id,
            input_summary=f"tech pack for revision {number}",
        )
        tech_pack = TechPack.model_validate(completion.value.model_dump())
    except ProviderError as err:
        await asyncio.to_thread(_fail, job_id, hold_id, err.message, on_fail=on_fail)
        return Outcome(False, f"{err.message} Your credit was returned.", failed_parts=["tech_pack"], job_id=str(job_id))
    except BaseException:
        await asyncio.to_thread(_fail, job_id, hold_id, "Generation was interrupted.", on_fail=on_fail)
        raise

    def commit() -> str | None:
        with write_session() as s:
            if not records.finish_job(s, job_id, status="succeeded"):
                return None
            now = utcnow()
            s.execute(
                update(ProductTechPack)
                .where(ProductTechPack.product_idea_id == product_id, ProductTechPack.is_active.is_(True))
                .values(is_active=False, updated_at=now)
            )
            data = tech_pack.model_dump()
            row = ProductTechPack(
                product_idea_id=product_id,
                revision_id=front.id,
                user_id=user_id,
                revision_number=number,
                tech_pack_data=data,
                is_active=True,
                metadata_={
                    "generated_at": now.isoformat(),
                    "revision_context": "revision",
                    "credits_used": price,
                    "model": completion.model,
                    "batch_id": front.batch_id,
                },
            )
            s.add(row)
            legacy = dict(product.tech_pack or {})
            legacy.update(data)
            s.execute(update(ProductIdea).where(ProductIdea.id == product_id).values(tech_pack=legacy, updated_at=now))
            credits.capture(hold_id=hold_id, session=s)
            _chat(s, product_id, "assistant", f"The tech pack for revision {number} is ready.", kind="tech_pack")
            notifications.notify(
                s,
                user_id=user_id,
                type="tech_pack_ready",
                title="Tech pack ready",
                message=f"{product.name}: tech pack for revision {number}.",
                link=f"/techpacks/{row.id}",
            )
            s.flush()
            return str(row.id)

    tech_pack_id = await asyncio.to_thread(commit)
    if tech_pack_id is None:
        return Outcome(False, records.RESTART_MESSAGE, job_id=str(job_id))
    return Outcome(True, "Your tech pack is ready.", charged=price, approval_id=tech_pack_id, job_id=str(job_id))


@dataclass(frozen=True)
class TechPackView:
    """A tech pack with what its page shows: the parsed tech pack, its revision, and the view keys."""

    id: str
    product_id: str
    product_name: str
    revision_number: int
    is_active: bool
    created_at: datetime
    tech_pack: TechPack
    view_keys: dict[str, str]
    view_thumbnail_keys: dict[str, str]


def get_tech_pack(*, user_id: int, tech_pack_id: uuid.UUID) -> TechPackView | None:
    """The user's tech pack with the image keys of its revision; None if missing or not theirs."""
    with read_session() as s:
        row = s.get(ProductTechPack, tech_pack_id)
        if row is None or row.user_id != user_id:
            return None
        product = s.get(ProductIdea, row.product_idea_id)
        assert product is not None
        keys: dict[str, str] = {}
        thumbs: dict[str, str] = {}
        batch = None
        if row.revision_id is not None:
            anchor = s.get(ProductMultiviewRevision, row.revision_id)
            batch = anchor.batch_id if anchor else None
        if batch is None:
            batch = (row.metadata_ or {}).get("batch_id")
        if batch is not None:
            for r in s.exec(
                select(ProductMultiviewRevision).where(
                    ProductMultiviewRevision.product_idea_id == row.product_idea_id,
                    ProductMultiviewRevision.batch_id == batch,
                )
            ).all():
                keys[r.view_type] = r.image_key
                thumbs[r.view_type] = r.thumbnail_key or r.image_key
        return TechPackView(
            id=str(row.id),
            product_id=str(row.product_idea_id),
            product_name=product.name,
            revision_number=row.revision_number,
            is_active=row.is_active,
            created_at=as_utc(row.created_at) or utcnow(),
            tech_pack=TechPack.model_validate(row.tech_pack_data),
            view_keys=keys,
            view_thumbnail_keys=thumbs,
        )


def list_tech_packs(*, user_id: int, product_id: uuid.UUID) -> list[dict[str, Any]]:
    """The product's tech packs, newest first: ``[{"id", "revision_number", "is_active", "created_at"}]``."""
    with read_session() as s:
        rows = s.exec(
            select(ProductTechPack)
            .where(ProductTechPack.product_idea_id == product_id, ProductTechPack.user_id == user_id)
            .order_by(ProductTechPack.created_at.desc())
        ).all()
        return [
            {
                "id": str(r.id),
                "revision_number": r.revision_number,
                "is_active": r.is_active,
                "created_at": as_utc(r.created_at),
            }
            for r in rows
        ]


def export_filename(product_name: str, revision_number: int, fmt: str) -> str:
    """Download name of an export: "Minimalist Canvas Tote Bag" r0 pdf -> ``Minimalist_Canvas_Tote_Bag_TechPack_r0.pdf``."""
    stem = "".join(c if c.isalnum() else "_" for c in product_name).strip("_")
    while "__" in stem:
        stem = stem.replace("__", "_")
    return f"{stem or 'Product'}_TechPack_r{revision_number}.{fmt}"


async def export_tech_pack(*, user_id: int, tech_pack_id: uuid.UUID, fmt: str) -> tuple[bytes, str, str]:
    """Render a tech pack as ``pdf`` or ``xlsx`` (seed 000 §7.1, §7.2) off the event loop.

    Returns:
        (bytes, MIME type, file name such as ``Minimalist_Canvas_Tote_Bag_TechPack_r0.pdf``).

    Raises:
        LookupError: no such tech pack for this user.
        ValueError: unknown format.
    """
    from genpire_app.backend.exports.techpack_pdf import render_techpack_pdf
    from genpire_app.backend.exports.techpack_xlsx import render_techpack_xlsx

    view = await asyncio.to_thread(get_tech_pack, user_id=user_id, tech_pack_id=tech_pack_id)
    if view is None:
        raise LookupError("tech pack not found")
    filename = export_filename(view.tech_pack.product_name or view.product_name, view.revision_number, fmt)
    if fmt == "pdf":
        storage = get_storage()
        images = {name: await storage.get(key) for name, key in view.view_keys.items()}
        data = await asyncio.to_thread(
            render_techpack_pdf,
            view.tech_pack,
            images,
            revision_number=view.revision_number,
            generated_at=view.created_at,
            product_id=view.product_id,
        )
        return data, "application/pdf", filename
    if fmt == "xlsx":
        data = await asyncio.to_thread(
            render_techpack_xlsx, view.tech_pack, revision_number=view.revision_number, generated_at=view.created_at
        )
        return data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename
    raise ValueError(f"unknown export format {fmt!r}")


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
        legacy = s.get(ProductIdea, row.product_idea_id)
        if legacy is not None:
            merged = dict(legacy.tech_pack or {})
            merged.update(row.tech_pack_data)
            legacy.tech_pack = merged
            legacy.updated_at = now
            s.add(legacy)
        return True
