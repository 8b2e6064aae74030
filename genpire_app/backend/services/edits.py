"""AI Designer edits: chat edits of chosen views, annotation micro-edits, rollback, revision history.

Source: seed 000 §5.3 (chat editing), §5.4 (AI image edit flow), §5.5 (annotation micro-edits), §5.6
(revision history and rollback), §4.3 (one active row per product and view), §9.1 (0.5 credit per view,
at most 2 for all five); DESIGN.md §5 (holds) and §7.

A revision is a complete set of views: an edit writes revision n+1 with new rows for the edited views and
copies of the other active rows (same image keys, so those images stay byte-identical), deactivating the
previous rows — all in one transaction that also captures the hold. Revision numbers are allocated at
commit time under the product lock, so two edits sent at the same moment get distinct numbers and the
second builds on the first. Each row keeps in ``metadata.instructions`` the chain of instructions that
produced its image (the offline renderer replays it).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from genpire_app.backend import imaging
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import (
    AIChatMessage,
    ChatSession,
    ProductIdea,
    ProductMultiviewRevision,
    as_utc,
    utcnow,
)
from genpire_app.backend.jobs import records
from genpire_app.backend.providers.base import VIEWS, ImageInput, ImageRequest, ProviderError
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log, credits, notifications
from genpire_app.backend.services.generation import (
    GenerationError,
    Outcome,
    Progress,
    _begin,
    _delete_blobs,
    _fail,
    _load_blob,
    _lock_product,
    _noop_progress,
    _product_base,
    _store_view,
    features_of,
    generate_views,
)
from genpire_app.backend.services.products import UploadedFile
from genpire_app.backend.services.techpacks import active_revision
from genpire_app.backend.storage import get_storage

EDIT_KINDS = frozenset({"edit", "annotate"})
MAX_INSTRUCTION = 1000


def edit_price(view_count: int) -> int:
    """Cost of editing ``view_count`` views, hundredths of a credit (0.5 each, at most 2; seed 000 §9.1)."""
    return get_settings().prices.edit_cost(view_count)


def edit_prompt(view: str, instruction: str, description: str) -> str:
    """The edit prompt of seed 000 §5.4 step 3."""
    return "\n".join(
        [
            f"Current product: {description}",
            "",
            f"User wants to: {instruction}",
            "",
            f"Generate the updated {view.upper()} VIEW, maintaining:",
            "- Overall product structure and proportions",
            f"- Applying the requested change: {instruction}",
            "- Pure white background",
            "- Same lighting and quality as the current image",
        ]
    )


def _chat_log(session: Session, product_id: uuid.UUID, role: str, content: str, **meta: Any) -> None:
    chat = session.exec(select(ChatSession).where(ChatSession.product_id == product_id)).first()
    if chat is None:
        return
    attachments = meta.pop("attachments", [])
    session.add(AIChatMessage(session_id=chat.id, role=role, content=content, attachments=attachments, metadata_=meta))


def _announce_revision(
    s: Session,
    *,
    user_id: int,
    product: ProductIdea,
    number: int,
    user_text: str,
    reply: str,
    summary: str,
    **user_meta: Any,
) -> None:
    """Chat the request and the reply, and notify "Edit done" (in the revision's transaction)."""
    _chat_log(s, product.id, "user", user_text, **user_meta)
    _chat_log(s, product.id, "assistant", reply, kind="edit_done", revision=number)
    notifications.notify(
        s,
        user_id=user_id,
        type="edit_done",
        title="Edit done",
        message=f"{product.name}: revision {number} — {summary}",
        link=f"/ai-designer?projectId={product.id}",
    )


def _log_failed_chat(product_id: uuid.UUID, instruction: str, reply: str, attachments: list[dict[str, str]]) -> None:
    with write_session() as s:
        _chat_log(s, product_id, "user", instruction, kind="edit", attachments=attachments)
        _chat_log(s, product_id, "assistant", reply, kind="edit_failed")


def _commit_revision(
    s: Session,
    *,
    user_id: int,
    product_id: uuid.UUID,
    new_rows: dict[str, dict[str, Any]],
    edit_type: str,
    edit_prompt_text: str,
    extra_meta: dict[str, Any],
    carried_from: dict[str, ProductMultiviewRevision] | None = None,
) -> int:
    """Write revision n+1 (in the caller's transaction, product already locked). Returns n+1.

    ``new_rows`` maps view -> {"image_key", "thumbnail_key", "model", "instructions", "generation_time_ms",
    "parent_id"}; every other active view is carried forward (or taken from ``carried_from``).
    """
    number = int(
        s.exec(
            select(func.coalesce(func.max(ProductMultiviewRevision.revision_number), -1)).where(
                ProductMultiviewRevision.product_idea_id == product_id
            )
        ).one()
    ) + 1
    active = {r.view_type: r for r in active_revision(s, product_id)}
    sources = carried_from if carried_from is not None else active
    now = utcnow()
    batch_id = f"{'rollback' if edit_type == 'rollback' else 'edit'}_{number}_{int(time.time() * 1000)}"
    s.execute(
        update(ProductMultiviewRevision)
        .where(ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.is_active.is_(True))
        .values(is_active=False, updated_at=now)
    )
    s.flush()
    for view in VIEWS:
        previous = active.get(view) or sources.get(view)
        if view in new_rows:
            row = new_rows[view]
            s.add(
                ProductMultiviewRevision(
                    product_idea_id=product_id,
                    user_id=user_id,
                    revision_number=number,
                    batch_id=batch_id,
                    view_type=view,
                    image_key=row["image_key"],
                    thumbnail_key=row["thumbnail_key"],
                    edit_prompt=edit_prompt_text,
                    edit_type=edit_type,
                    ai_model=row.get("model", ""),
                    ai_parameters=row.get("parameters", {}),
                    generation_time_ms=row.get("generation_time_ms"),
                    is_active=True,
                    parent_revision_id=row.get("parent_id"),
                    front_view_approval_id=previous.front_view_approval_id if previous else None,
                    metadata_={
                        **extra_meta,
                        "instructions": row.get("instructions", []),
                        "micro_edits": row.get("micro_edits", []),
                        "edited": True,
                    },
                )
            )
        elif view in sources:
            src = sources[view]
            s.add(
                ProductMultiviewRevision(
                    product_idea_id=product_id,
                    user_id=user_id,
                    revision_number=number,
                    batch_id=batch_id,
                    view_type=view,
                    image_key=src.image_key,
                    thumbnail_key=src.thumbnail_key,
                    edit_prompt=edit_prompt_text,
                    edit_type=edit_type,
                    ai_model=src.ai_model,
                    ai_parameters=src.ai_parameters,
                    is_active=True,
                    parent_revision_id=src.id,
                    front_view_approval_id=src.front_view_approval_id,
                    metadata_={
                        **extra_meta,
                        "instructions": list((src.metadata_ or {}).get("instructions", [])),
                        "micro_edits": list((src.metadata_ or {}).get("micro_edits", [])),
                        "edited": edit_type == "rollback",
                        "carried_from_revision": src.revision_number,
                    },
                )
            )
    front = new_rows.get("front")
    thumb = front["thumbnail_key"] if front else (sources["front"].thumbnail_key if "front" in sources else None)
    s.execute(
        update(ProductIdea)
        .where(ProductIdea.id == product_id)
        .values(updated_at=now, **({"thumbnail_key": thumb} if thumb else {}))
    )
    return number


async def _store_attachment(user_id: int, product_id: uuid.UUID, upload: UploadedFile) -> tuple[ImageInput, str]:
    """Validate a chat attachment (PNG/JPG, at most the design limit) and store it; returns (image, key).

    Raises:
        GenerationError: the file is not an acceptable image.
    """
    settings = get_settings()
    try:
        checked = await asyncio.to_thread(
            imaging.validate_upload,
            upload.data,
            filename=upload.filename,
            declared_mime=upload.mime_type,
            max_bytes=settings.max_design_bytes,
            max_pixels=settings.max_image_pixels,
            field_label="attachment",
        )
    except imaging.ImageValidationError as err:
        raise GenerationError("invalid_input", err.message) from err
    ext = "png" if checked.mime_type == "image/png" else "jpg"
    key = f"users/{user_id}/products/{product_id}/chat/{uuid.uuid4().hex}.{ext}"
    await get_storage().put(key, checked.data, checked.mime_type)
    return ImageInput(checked.data, checked.mime_type), key


def _validate_instruction(instruction: str) -> str:
    text = (instruction or "").strip()
    if not text:
        raise GenerationError("invalid_input", "Write what you want to change.")
    if len(text) > MAX_INSTRUCTION:
        raise GenerationError("invalid_input", f"Keep the message under {MAX_INSTRUCTION} characters.")
    return text


async def edit_views(
    *,
    user_id: int,
    product_id: uuid.UUID,
    instruction: str,
    views: list[str] | None = None,
    attachment: UploadedFile | None = None,
    progress: Progress = _noop_progress,
) -> Outcome:
    """Chat edit (seed 000 §5.3-§5.4): apply ``instruction`` to ``views`` (default: every active view).

    Analyses the current front view, generates the chosen views concurrently from the active images as
    references, and writes revision n+1. Costs 0.5 credit per view, at most 2; views that fail are not
    charged and stay as they were; if all fail nothing is charged and the active revision is unchanged.

    Returns:
        Outcome with ``approval_id`` carrying the new revision number (as text) on success.

    Raises:
        GenerationError: empty/too long instruction, unknown views, bad attachment, no views yet, not
        found, a non-edit operation running, or insufficient credits (nothing is charged).
    """
    text = _validate_instruction(instruction)
    chosen = list(dict.fromkeys(views or []))
    if any(v not in VIEWS for v in chosen):
        raise GenerationError("invalid_input", "Choose views among front, back, side, top and bottom.")
    if views is not None and not chosen:
        raise GenerationError("invalid_input", "Choose at least one view to edit.")
    state: dict[str, Any] = {}

    with read_session() as s:
        product = s.get(ProductIdea, product_id)
        if product is None or product.user_id != user_id:
            raise GenerationError("not_found", "This product does not exist or is not yours.")
        active_views = [r.view_type for r in active_revision(s, product_id)]
    if not active_views:
        raise GenerationError("invalid_state", "Approve the front view and generate the views first.")
    targets = [v for v in (chosen or active_views) if v in active_views]
    if not targets:
        raise GenerationError("invalid_input", "Those views do not exist yet.")
    price = edit_price(len(targets))

    attached: ImageInput | None = None
    attachment_meta: list[dict[str, str]] = []
    if attachment is not None:
        attached, key = await _store_attachment(user_id, product_id, attachment)
        attachment_meta = [{"kind": "image", "key": key}]

    def check(s: Session, prod: ProductIdea) -> None:
        rows = {r.view_type: r for r in active_revision(s, prod.id)}
        if not rows:
            raise GenerationError("invalid_state", "Approve the front view and generate the views first.")
        state.update(product=prod, rows=rows)

    try:
        job_id, hold_id = await asyncio.to_thread(
            _begin,
            user_id=user_id,
            product_id=product_id,
            kind="edit",
            amount=price,
            operation="ai_edit",
            progress={v: "queued" for v in targets},
            check=check,
            concurrent_with=EDIT_KINDS,
        )
    except GenerationError:
        if attachment_meta:
            await _delete_blobs([m["key"] for m in attachment_meta])
        raise
    product: ProductIdea = state["product"]
    rows: dict[str, ProductMultiviewRevision] = state["rows"]
    stored: list[str] = []

    try:
        current = {v: await _load_blob(rows[v].image_key) for v in rows}
        logo = await _load_blob(product.logo_key)
        design = await _load_blob(product.design_key)
        front = current.get("front")
        assert front is not None
        features = await features_of(front, product, cached=None, user_id=user_id, summary="current front view")
    except ProviderError as err:
        await asyncio.to_thread(_fail, job_id, hold_id, err.message)
        reply = f"{err.message} Nothing was changed and your credits were returned."
        await asyncio.to_thread(_log_failed_chat, product_id, text, reply, attachment_meta)
        return Outcome(False, reply, failed_parts=targets, job_id=str(job_id))
    except BaseException:
        await asyncio.to_thread(_fail, job_id, hold_id, "The edit was interrupted.")
        raise

    chains = {v: [*(rows[v].metadata_ or {}).get("instructions", []), text] for v in targets}

    def build(view: str) -> ImageRequest:
        references = (front,) if view != "front" else ()
        return ImageRequest(
            prompt=edit_prompt(view, text, features.description),
            view=view,  # type: ignore[arg-type]
            product_prompt=product.prompt,
            references=references,
            logo=logo,
            design=design if view == "front" else None,
            feedback="\n".join(chains[view]),
            colors=tuple(product.selected_colors),
            category=product.category or None,
            base_image=current[view],
            attachments=(attached,) if attached is not None else (),
            instruction=text,
        )

    async def interrupted() -> None:
        await asyncio.to_thread(_fail, job_id, hold_id, "The edit was interrupted.")

    results = await generate_views(
        targets,
        build,
        job_id=job_id,
        user_id=user_id,
        product_id=product_id,
        operation=lambda _view: "ai_edit",
        summary=lambda view: f"{view}: {text[:200]}",
        name=lambda view: f"{view}_edit_{job_id.hex[:8]}",
        progress=progress,
        stored=stored,
        on_interrupt=interrupted,
    )
    done = [r for r in results if not isinstance(r, BaseException)]
    failed = [v for v, r in zip(targets, results) if isinstance(r, BaseException)]
    if not done:
        reason = next((r.message for r in results if isinstance(r, ProviderError)), "The edit could not be applied.")
        await asyncio.to_thread(_fail, job_id, hold_id, reason)
        reply = f"{reason} Nothing was changed and your credits were returned."
        await asyncio.to_thread(_log_failed_chat, product_id, text, reply, attachment_meta)
        return Outcome(False, reply, failed_parts=failed, job_id=str(job_id))

    charged = edit_price(len(done))
    notes = list(dict.fromkeys(n for r in done for n in r.image.notes))

    def commit() -> int | None:
        with write_session() as s:
            if not records.finish_job(s, job_id, status="succeeded" if not failed else "partial"):
                return None
            _lock_product(s, user_id, product_id)
            new_rows = {
                r.view: {
                    "image_key": r.key,
                    "thumbnail_key": r.thumb,
                    "model": r.image.model,
                    "instructions": chains[r.view],
                    "generation_time_ms": r.elapsed_ms,
                    "parent_id": rows[r.view].id,
                    "parameters": {"instruction": text, "attachments": len(attachment_meta)},
                }
                for r in done
            }
            number = _commit_revision(
                s,
                user_id=user_id,
                product_id=product_id,
                new_rows=new_rows,
                edit_type="ai_edit",
                edit_prompt_text=text,
                extra_meta={"credits_used": charged, "edited_views": sorted(new_rows)},
            )
            credits.capture(hold_id=hold_id, amount=charged, session=s)
            edited = ", ".join(v.capitalize() for v in targets if v in new_rows)
            reply = f"Revision {number}: I applied “{text}” to {edited}."
            if notes:
                reply += " " + " ".join(notes)
            if failed:
                reply += f" {', '.join(v.capitalize() for v in failed)} could not be edited and stayed as they were (not charged)."
            reply += f" Cost: {format_credits(charged)}."
            _announce_revision(
                s, user_id=user_id, product=product, number=number, user_text=text, reply=reply,
                summary=text[:120], kind="edit", views=targets, attachments=attachment_meta,
            )
            return number

    number = await asyncio.to_thread(commit)
    if number is None:
        await _delete_blobs(stored)
        return Outcome(False, records.RESTART_MESSAGE, job_id=str(job_id))
    message = f"Revision {number} is ready."
    if failed:
        message += f" {', '.join(failed)} could not be edited and were not charged."
    return Outcome(True, message, charged=charged, failed_parts=failed, notes=notes, approval_id=str(number), job_id=str(job_id))


def decode_png_data_url(data_url: str, *, max_bytes: int) -> bytes:
    """Bytes of a ``data:image/png;base64,...`` URL.

    Raises:
        GenerationError: not a PNG data URL, undecodable, or larger than ``max_bytes``.
    """
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise GenerationError("invalid_input", "The annotated image is missing. Draw on the view first.")
    if len(data_url) > max_bytes * 4 // 3 + len(prefix) + 4:
        raise GenerationError("invalid_input", "The annotated image is too large.")
    try:
        return base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as err:
        raise GenerationError("invalid_input", "The annotated image could not be read.") from err


async def annotate_view(
    *,
    user_id: int,
    product_id: uuid.UUID,
    view: str,
    instruction: str,
    annotated_png: bytes,
    region: tuple[float, float, float, float],
    progress: Progress = _noop_progress,
) -> Outcome:
    """Annotation micro-edit (seed 000 §5.5): change the marked ``region`` of one view as instructed.

    ``annotated_png`` is the view with the user's marks drawn on it; ``region`` is the marked area as
    fractions ``(x0, y0, x1, y1)``. Costs 0.5 credit; the result is revision n+1 where only this view changed.

    Raises:
        GenerationError: bad view, instruction, image or region; not found; busy; insufficient credits.
    """
    text = _validate_instruction(instruction)
    if view not in VIEWS:
        raise GenerationError("invalid_input", "Choose a view to annotate.")
    x0, y0, x1, y1 = (float(v) for v in region)
    if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
        raise GenerationError("invalid_input", "Mark the area to change on the view first.")
    settings = get_settings()
    try:
        checked = await asyncio.to_thread(
            imaging.validate_upload,
            annotated_png,
            filename="annotation.png",
            declared_mime="image/png",
            max_bytes=settings.max_design_bytes * 2,
            max_pixels=settings.max_image_pixels,
            field_label="annotated image",
        )
    except imaging.ImageValidationError as err:
        raise GenerationError("invalid_input", err.message) from err
    price = edit_price(1)
    state: dict[str, Any] = {}

    def check(s: Session, prod: ProductIdea) -> None:
        rows = {r.view_type: r for r in active_revision(s, prod.id)}
        if view not in rows:
            raise GenerationError("invalid_state", f"The {view} view does not exist yet.")
        state.update(product=prod, row=rows[view])

    job_id, hold_id = await asyncio.to_thread(
        _begin,
        user_id=user_id,
        product_id=product_id,
        kind="annotate",
        amount=price,
        operation="annotation_edit",
        progress={view: "running"},
        check=check,
        concurrent_with=EDIT_KINDS,
    )
    product: ProductIdea = state["product"]
    row: ProductMultiviewRevision = state["row"]
    await progress(view, "running")
    providers = get_providers()
    base = _product_base(user_id, product_id)
    stored: list[str] = []
    # A micro-edit changes pixels of the marked area; it is not replayed by later whole-view edits, so it
    # stays out of the instruction chain (kept in ``micro_edits`` instead).
    chain = list((row.metadata_ or {}).get("instructions", []))
    micro_edits = [*(row.metadata_ or {}).get("micro_edits", []), {"instruction": text, "region": [x0, y0, x1, y1]}]
    try:
        current = await _load_blob(row.image_key)
        annotation_key = f"{base}/{view}_annotation_{job_id.hex[:8]}.png"
        await get_storage().put(annotation_key, checked.data, "image/png")
        stored.append(annotation_key)
        request = ImageRequest(
            prompt=edit_prompt(view, text, product.name),
            view=view,  # type: ignore[arg-type]
            product_prompt=product.prompt,
            feedback="\n".join(chain) or None,
            base_image=current,
            annotation=ImageInput(checked.data, "image/png"),
            region=(x0, y0, x1, y1),
            instruction=text,
            category=product.category or None,
        )
        started = time.perf_counter()
        image = await ai_log.call(
            providers.image,
            lambda: providers.image.generate(request),
            operation="annotation_edit",
            user_id=user_id,
            product_id=product_id,
            input_summary=f"{view} region {x0:.2f},{y0:.2f},{x1:.2f},{y1:.2f}: {text[:200]}",
        )
        elapsed = int((time.perf_counter() - started) * 1000)
        key, thumb = await _store_view(base, f"{view}_annot_{job_id.hex[:8]}", image)
        stored += [key, thumb]
    except ProviderError as err:
        await asyncio.to_thread(_fail, job_id, hold_id, err.message)
        await _delete_blobs(stored)
        await progress(view, "failed")
        reply = f"{err.message} Nothing was changed and your credit was returned."
        await asyncio.to_thread(_log_failed_chat, product_id, f"[{view} view, marked area] {text}", reply, [])
        return Outcome(False, reply, failed_parts=[view], job_id=str(job_id))
    except BaseException:
        await asyncio.to_thread(_fail, job_id, hold_id, "The edit was interrupted.")
        await _delete_blobs(stored)
        raise

    def commit() -> int | None:
        with write_session() as s:
            if not records.finish_job(s, job_id, status="succeeded"):
                return None
            _lock_product(s, user_id, product_id)
            number = _commit_revision(
                s,
                user_id=user_id,
                product_id=product_id,
                new_rows={
                    view: {
                        "image_key": key,
                        "thumbnail_key": thumb,
                        "model": image.model,
                        "instructions": chain,
                        "generation_time_ms": elapsed,
                        "parent_id": row.id,
                        "parameters": {"instruction": text, "region": [x0, y0, x1, y1], "annotation_key": annotation_key},
                        "micro_edits": micro_edits,
                    }
                },
                edit_type="ai_edit",
                edit_prompt_text=text,
                extra_meta={"credits_used": price, "edited_views": [view], "annotation": True},
            )
            credits.capture(hold_id=hold_id, session=s)
            reply = f"Revision {number}: I changed the marked area of the {view} view — “{text}”."
            if image.notes:
                reply += " " + " ".join(image.notes)
            _announce_revision(
                s, user_id=user_id, product=product, number=number, user_text=f"[{view} view, marked area] {text}",
                reply=reply, summary=f"marked area of the {view} view", kind="annotation",
                attachments=[{"kind": "annotation", "key": annotation_key}],
            )
            return number

    number = await asyncio.to_thread(commit)
    if number is None:
        await _delete_blobs(stored)
        return Outcome(False, records.RESTART_MESSAGE, job_id=str(job_id))
    await progress(view, "done")
    return Outcome(True, f"Revision {number} is ready.", charged=price, notes=list(image.notes),
                   approval_id=str(number), job_id=str(job_id))


def rollback(*, user_id: int, product_id: uuid.UUID, revision_number: int) -> int:
    """Make an earlier revision current again (seed 000 §5.6): writes revision n+1 with ``edit_type``
    rollback whose rows reuse that revision's images. Nothing is deleted; free of charge.

    Returns:
        The new revision number.

    Raises:
        GenerationError: not found, unknown revision, or it is already the current one.
    """
    with write_session() as s:
        _lock_product(s, user_id, product_id)
        target = s.exec(
            select(ProductMultiviewRevision).where(
                ProductMultiviewRevision.product_idea_id == product_id,
                ProductMultiviewRevision.revision_number == revision_number,
            )
        ).all()
        if not target:
            raise GenerationError("not_found", f"Revision {revision_number} does not exist.")
        active = active_revision(s, product_id)
        if active and all(r.revision_number == revision_number for r in active):
            raise GenerationError("invalid_state", f"Revision {revision_number} is already the current one.")
        by_view = {r.view_type: r for r in target}
        number = _commit_revision(
            s,
            user_id=user_id,
            product_id=product_id,
            new_rows={},
            edit_type="rollback",
            edit_prompt_text=f"Rolled back to revision {revision_number}",
            extra_meta={"rollback_to": revision_number, "credits_used": 0},
            carried_from=by_view,
        )
        _chat_log(s, product_id, "assistant", f"Revision {number}: restored revision {revision_number}.", kind="rollback")
        return number


@dataclass(frozen=True)
class RevisionInfo:
    """One revision for the history panel: number, label, type, time, active flag and its views' keys."""

    number: int
    label: str
    edit_type: str
    created_at: datetime
    is_active: bool
    views: dict[str, str]
    thumbnails: dict[str, str]
    edited_views: tuple[str, ...]
    front_row_id: str


def list_revisions(*, user_id: int, product_id: uuid.UUID) -> list[RevisionInfo]:
    """Every revision of the user's product, newest first (empty when not theirs)."""
    with read_session() as s:
        rows = s.exec(
            select(ProductMultiviewRevision)
            .where(ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.user_id == user_id)
            .order_by(ProductMultiviewRevision.revision_number.desc(), ProductMultiviewRevision.created_at)
        ).all()
    grouped: dict[int, list[ProductMultiviewRevision]] = {}
    for r in rows:
        grouped.setdefault(r.revision_number, []).append(r)
    order = {v: i for i, v in enumerate(VIEWS)}
    out: list[RevisionInfo] = []
    for number, group in grouped.items():
        group.sort(key=lambda r: order.get(r.view_type, 9))
        first = group[0]
        if number == 0:
            label = "Original"
        else:
            label = first.edit_prompt or "Edit"
        edited = tuple(
            r.view_type for r in group if (r.metadata_ or {}).get("edited", number == 0 or r.edit_type == "initial")
        )
        front = next((r for r in group if r.view_type == "front"), first)
        out.append(
            RevisionInfo(
                number=number,
                label=label,
                edit_type=first.edit_type,
                created_at=as_utc(min(r.created_at for r in group)) or utcnow(),
                is_active=any(r.is_active for r in group),
                views={r.view_type: r.image_key for r in group},
                thumbnails={r.view_type: r.thumbnail_key or r.image_key for r in group},
                edited_views=edited,
                front_row_id=str(front.id),
            )
        )
    return out


def chat_messages(*, user_id: int, product_id: uuid.UUID, limit: int = 100) -> list[AIChatMessage]:
    """The product's chat, oldest first (the initial message is the first entry; seed 000 §4.6)."""
    with read_session() as s:
        chat = s.exec(
            select(ChatSession).where(ChatSession.product_id == product_id, ChatSession.user_id == user_id)
        ).first()
        if chat is None:
            return []
        rows = s.exec(
            select(AIChatMessage)
            .where(AIChatMessage.session_id == chat.id)
            .order_by(AIChatMessage.created_at.desc())
            .limit(limit)
        ).all()
    return list(reversed(rows))
