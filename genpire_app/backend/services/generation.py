"""The progressive generation pipeline: front view, iterations, approval, the other four views.

Source: seed 000 §3 Phases 2-4, §5.2 and §10.3; DESIGN.md §5 (holds) and §7 (the pipeline).

Every operation follows one shape:
1. one write transaction: check ownership and that nothing is already running for the product, reserve
   the credits (hold) and insert a ``running`` job;
2. provider work outside any transaction (async; CPU work in threads);
3. one write transaction: finish the job, write the results, capture the hold — or, on failure, release
   the hold and leave the product as it was before.
A crash between 1 and 3 is repaired by ``jobs.records.sweep_dead_jobs`` (hook registered below).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import is_sqlite, read_session, write_session
from genpire_app.backend.db.models import (
    AIChatMessage,
    ChatSession,
    FrontViewApproval,
    ImageUpload,
    Job,
    ProductIdea,
    ProductMultiviewRevision,
    utcnow,
)
from genpire_app.backend.jobs import records
from genpire_app.backend.providers.base import (
    REMAINING_VIEWS,
    VIEWS,
    GeneratedImage,
    ImageInput,
    ImageRequest,
    ProductFeatures,
    ProviderError,
)
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log, credits, notifications
from genpire_app.backend.storage import get_storage

log = logging.getLogger(__name__)

#: ``await progress(part, status)``: part is "front", "features", "back", ...; status "running" | "done" | "failed".
Progress = Callable[[str, str], Awaitable[None]]


class GenerationError(Exception):
    """A generation request was refused before any work (user-facing ``message``).

    ``code``: not_found | busy | invalid_state | insufficient_credits.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Outcome:
    """What an operation did: ``ok`` (all or part done), a user-facing ``message``, and details.

    Attributes:
        charged: hundredths of a credit captured.
        failed_parts: views (or steps) that failed.
        notes: provider notes (what was applied / could not be).
    """

    ok: bool
    message: str
    charged: int = 0
    failed_parts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    approval_id: str | None = None
    job_id: str | None = None


# --------------------------------------------------------------------------------------------- prompts

VIEW_DESCRIPTIONS = {
    "front": "the FRONT VIEW (straight-on, facing the camera)",
    "back": "the BACK VIEW (rotated 180°, showing the rear)",
    "side": "the SIDE VIEW (rotated 90°, showing the profile and depth)",
    "top": "the TOP VIEW (looking straight down from above)",
    "bottom": "the BOTTOM VIEW (looking straight up at the base)",
}


def front_view_prompt(product_prompt: str, *, has_logo: bool, has_design: bool, feedback: str | None) -> str:
    """The front-view prompt of seed 000 §3 Phase 2 step 3 (plus the feedback of Phase 2.4 step 3)."""
    parts = ["Generate a photorealistic product image:", "", product_prompt.strip()]
    if has_design:
        parts += ["", "DESIGN: Follow the attached design image exactly (shape, colors, graphics)."]
    if has_logo:
        parts += ["", "LOGO PLACEMENT: Place the attached logo prominently and legibly on the front of the product."]
    if feedback:
        parts += ["", f"User feedback: {feedback.strip()}", "Keep everything else identical to the reference image."]
    parts += [
        "",
        "CRITICAL REQUIREMENTS:",
        "- Generate ONLY the FRONT VIEW",
        "- Single image, one perspective",
        "- Pure white background",
        "- Professional studio lighting",
        "- High detail and clarity",
        "- Photorealistic style",
    ]
    return "\n".join(parts)


def other_view_prompt(view: str, features: ProductFeatures, *, has_logo: bool) -> str:
    """The prompt of one of the four remaining views (seed 000 §3 Phase 3 step 4)."""
    colors = ", ".join(f"{c.name} ({c.hex}, {c.usage})" for c in features.colors) or "as in the reference"
    lines = [
        f"Generate {VIEW_DESCRIPTIONS[view]} of this exact product.",
        "",
        "CRITICAL: Same product as the reference image (the approved front view).",
        "CONSISTENCY RULES:",
        f"- Colors: {colors}",
        f"- Materials: {', '.join(features.materials) or 'as in the reference'}",
        f"- Key elements: {', '.join(features.key_elements) or 'as in the reference'}",
        f"- Dimensions: identical to the front ({features.estimated_dimensions.width_mm} x "
        f"{features.estimated_dimensions.height_mm} x {features.estimated_dimensions.depth_mm} mm)",
        "- Pure white background, professional studio lighting, orthographic framing",
    ]
    if has_logo and view == "back":
        lines.append("LOGO PLACEMENT (BACK VIEW): a smaller version of the logo, centered.")
    elif has_logo:
        lines.append("LOGO: show the logo only where it would be visible from this angle.")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- helpers


async def _noop_progress(_part: str, _status: str) -> None:
    return None


def _lock_product(session: Session, user_id: int, product_id: uuid.UUID) -> ProductIdea:
    query = select(ProductIdea).where(ProductIdea.id == product_id, ProductIdea.user_id == user_id)
    if not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    product = session.exec(query).first()
    if product is None:
        raise GenerationError("not_found", "This product does not exist or is not yours.")
    return product


def _running_job(session: Session, product_id: uuid.UUID, *, ignore: frozenset[str] = frozenset()) -> Job | None:
    """A running job of the product, ignoring the kinds in ``ignore`` (edits may run side by side)."""
    query = select(Job).where(Job.product_id == product_id, Job.status == "running")
    if ignore:
        query = query.where(Job.kind.not_in(tuple(ignore)))
    return session.exec(query).first()


def _begin(
    *,
    user_id: int,
    product_id: uuid.UUID,
    kind: str,
    amount: int,
    operation: str,
    progress: dict[str, Any],
    check: Callable[[Session, ProductIdea], None] | None = None,
    concurrent_with: frozenset[str] = frozenset(),
) -> tuple[uuid.UUID, str]:
    """Step 1 of every operation: lock, check, hold, start the job. Returns (job id, hold id).

    ``check`` runs inside the transaction and may also write (e.g. mark the approval): its writes commit
    with the hold or not at all. Jobs whose kind is in ``concurrent_with`` do not block this one.

    Raises:
        GenerationError: not found, something already running, failed ``check``, or insufficient credits.
    """
    with write_session() as s:
        product = _lock_product(s, user_id, product_id)
        running = _running_job(s, product_id, ignore=concurrent_with)
        if running is not None:
            raise GenerationError("busy", "Something is already being generated for this product. Please wait.")
        if check is not None:
            check(s, product)
        job_id = uuid.uuid4()
        hold_key = f"job:{job_id}"
        try:
            credits.reserve(
                user_id=user_id,
                amount=amount,
                operation=operation,
                key=hold_key,
                reference=f"job:{job_id}",
                session=s,
            )
        except credits.InsufficientCredits as err:
            raise GenerationError("insufficient_credits", str(err)) from err
        job = records.start_job(s, user_id=user_id, kind=kind, product_id=product_id, hold_id=hold_key, progress=progress)
        job.id = job_id
        s.flush()
        return job_id, hold_key


async def _load_blob(key: str | None) -> ImageInput | None:
    if not key:
        return None
    data = await get_storage().get(key)
    mime = "image/jpeg" if key.endswith((".jpg", ".jpeg")) else "image/webp" if key.endswith(".webp") else "image/png"
    return ImageInput(data, mime)


async def _store_view(base: str, name: str, image: GeneratedImage) -> tuple[str, str]:
    """Store a generated PNG and its WebP thumbnail; returns (image key, thumbnail key)."""
    storage = get_storage()
    key = f"{base}/{name}.png"
    thumb_key = f"{base}/{name}_thumb.webp"
    thumb = await asyncio.to_thread(imaging.make_thumbnail, image.data, get_settings().thumbnail_size)
    await storage.put(key, image.data, "image/png")
    await storage.put(thumb_key, thumb, "image/webp")
    return key, thumb_key


async def _delete_blobs(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:  # pragma: no cover - best effort
            log.warning("could not delete orphan blob %s", key)


def _fail(job_id: uuid.UUID, hold_id: str, message: str, *, on_fail: Callable[[Session], None] | None = None) -> None:
    """Step 3 on failure: the job fails, the hold is released, the product goes back (``on_fail``)."""
    with write_session() as s:
        if not records.finish_job(s, job_id, status="failed", error=message):
            return  # already failed by the sweep (which released the hold)
        credits.release(hold_id=hold_id, session=s)
        if on_fail is not None:
            on_fail(s)


def _chat(session: Session, product_id: uuid.UUID, role: str, content: str, **meta: Any) -> None:
    chat = session.exec(select(ChatSession).where(ChatSession.product_id == product_id)).first()
    if chat is not None:
        session.add(AIChatMessage(session_id=chat.id, role=role, content=content, metadata_=meta))


def _product_base(user_id: int, product_id: uuid.UUID) -> str:
    return f"users/{user_id}/products/{product_id}/views"


def _feedback_chain(session: Session, product_id: uuid.UUID, upto: FrontViewApproval | None) -> list[str]:
    """Feedback of every iteration that led to ``upto`` (oldest first)."""
    if upto is None:
        return []
    rows = session.exec(
        select(FrontViewApproval)
        .where(FrontViewApproval.product_idea_id == product_id, FrontViewApproval.iteration_number <= upto.iteration_number)
        .order_by(FrontViewApproval.iteration_number)
    ).all()
    return [r.user_feedback for r in rows if r.user_feedback]


async def features_of(
    front: ImageInput,
    product: ProductIdea,
    *,
    cached: dict[str, Any] | None,
    user_id: int,
    summary: str,
) -> ProductFeatures:
    """Features of a front view: ``cached`` (an approval's ``extracted_features``) or a vision call.

    Raises:
        ProviderError: the vision provider failed.
    """
    if cached:
        return ProductFeatures.model_validate(cached)
    vision = get_providers().vision
    completion = await ai_log.call(
        vision,
        lambda: vision.extract_features(front, product_prompt=product.prompt),
        operation="extract_features",
        user_id=user_id,
        product_id=product.id,
        input_summary=summary,
    )
    return completion.value


def other_view_request(
    view: str,
    product: ProductIdea,
    *,
    front: ImageInput,
    logo: ImageInput | None,
    features: ProductFeatures,
    chain: list[str],
) -> ImageRequest:
    """The image request of one non-front view, consistent with the front (seed 000 §3 Phase 3 step 4)."""
    return ImageRequest(
        prompt=other_view_prompt(view, features, has_logo=logo is not None),
        view=view,  # type: ignore[arg-type]
        product_prompt=product.prompt,
        references=(front,),
        logo=logo,
        feedback="\n".join(chain) or None,
        features=features,
        colors=tuple(product.selected_colors),
        category=product.category or None,
    )


@dataclass(frozen=True)
class ViewResult:
    """One generated view: its request, the image, storage keys and generation time (milliseconds)."""

    view: str
    request: ImageRequest
    image: GeneratedImage
    key: str
    thumb: str
    elapsed_ms: int


async def generate_views(
    views: list[str] | tuple[str, ...],
    build: Callable[[str], ImageRequest],
    *,
    job_id: uuid.UUID,
    user_id: int,
    product_id: uuid.UUID,
    operation: Callable[[str], str],
    summary: Callable[[str], str],
    name: Callable[[str], str],
    progress: Progress,
    stored: list[str],
    on_interrupt: Callable[[], Awaitable[None]],
) -> list[ViewResult | BaseException]:
    """Generate ``views`` concurrently (seed 000 §3 Phase 3 step 3, §5.4 step 4) with per-view progress in
    the job row and through ``progress``, and the job's heartbeat while they run.

    Each view: ``build(view)`` -> image provider (logged) -> stored PNG + thumbnail (keys appended to
    ``stored``). Returns one ``ViewResult`` or exception per view, in order. If the whole batch is
    interrupted (cancelled), ``on_interrupt`` runs, the stored blobs are deleted and the error re-raised.
    """
    provider = get_providers().image
    base = _product_base(user_id, product_id)

    async def one(view: str) -> ViewResult:
        await asyncio.to_thread(records.set_progress, job_id, view, "running")
        await progress(view, "running")
        request = build(view)
        started = time.perf_counter()
        try:
            image = await ai_log.call(
                provider,
                lambda: provider.generate(request),
                operation=operation(view),
                user_id=user_id,
                product_id=product_id,
                input_summary=summary(view),
            )
            key, thumb = await _store_view(base, name(view), image)
        except BaseException:
            await asyncio.to_thread(records.set_progress, job_id, view, "failed")
            await progress(view, "failed")
            raise
        stored.extend([key, thumb])
        await asyncio.to_thread(records.set_progress, job_id, view, "done")
        await progress(view, "done")
        return ViewResult(view, request, image, key, thumb, int((time.perf_counter() - started) * 1000))

    work = asyncio.ensure_future(asyncio.gather(*(one(v) for v in views), return_exceptions=True))
    beat = asyncio.ensure_future(records.heartbeat_while(job_id, work))
    try:
        return list(await work)
    except BaseException:
        work.cancel()
        await on_interrupt()
        await _delete_blobs(stored)
        raise
    finally:
        await beat


# --------------------------------------------------------------------------------------------- front view


async def generate_front_view(
    *,
    user_id: int,
    product_id: uuid.UUID,
    feedback: str | None = None,
    base_approval_id: uuid.UUID | None = None,
    progress: Progress = _noop_progress,
) -> Outcome:
    """Generate the front view (first time) or a new iteration with ``feedback`` (seed 000 §2.2, §2.4).

    Costs 1 credit, held before the call and captured only when the new approval row is written.

    Args:
        feedback: the user's change request; required for an iteration.
        base_approval_id: the iteration to start from (default: the latest one).

    Raises:
        GenerationError: not found, busy, an empty or too long feedback, already approved, or insufficient credits
        (nothing is charged).
    """
    settings = get_settings()
    feedback = (feedback or "").strip() or None
    if feedback is not None and len(feedback) > 1000:
        raise GenerationError("invalid_state", "Keep the feedback under 1000 characters.")
    state: dict[str, Any] = {}

    def check(s: Session, product: ProductIdea) -> None:
        approvals = s.exec(
            select(FrontViewApproval)
            .where(FrontViewApproval.product_idea_id == product.id)
            .order_by(FrontViewApproval.iteration_number)
        ).all()
        if any(a.status in ("approved", "completed") for a in approvals):
            raise GenerationError("invalid_state", "The front view is already approved.")
        base = None
        if approvals:
            if feedback is None:
                raise GenerationError("invalid_state", "Describe the changes you want in the feedback box.")
            base = next((a for a in approvals if a.id == base_approval_id), approvals[-1])
        state.update(
            product=product,
            iteration=(approvals[-1].iteration_number + 1) if approvals else 1,
            base=base,
            chain=_feedback_chain(s, product.id, base) + ([feedback] if feedback else []),
        )

    price = settings.prices.front_view_iteration if feedback else settings.prices.front_view
    job_id, hold_id = await asyncio.to_thread(
        _begin,
        user_id=user_id,
        product_id=product_id,
        kind="front_view",
        amount=price,
        operation="front_view_iteration" if feedback else "front_view",
        progress={"front": "running"},
        check=check,
    )
    product: ProductIdea = state["product"]
    base: FrontViewApproval | None = state["base"]
    iteration: int = state["iteration"]
    await progress("front", "running")

    def on_fail(s: Session) -> None:
        has_any = s.exec(select(FrontViewApproval.id).where(FrontViewApproval.product_idea_id == product_id)).first()
        if has_any is None:
            s.execute(update(ProductIdea).where(ProductIdea.id == product_id).values(status="failed", updated_at=utcnow()))
        notifications.notify(
            s,
            user_id=user_id,
            type="generation_failed",
            title="Front view failed",
            message=f"{product.name}: the front view could not be generated. Your credit was returned.",
            link=f"/ai-designer?projectId={product_id}",
        )

    stored: list[str] = []
    try:
        logo = await _load_blob(product.logo_key)
        design = await _load_blob(product.design_key)
        reference = await _load_blob(base.front_view_key) if base is not None else None
        prompt = front_view_prompt(product.prompt, has_logo=logo is not None, has_design=design is not None, feedback=feedback)
        request = ImageRequest(
            prompt=prompt,
            view="front",
            product_prompt=product.prompt,
            references=(reference,) if reference else (),
            logo=logo,
            design=design,
            feedback="\n".join(state["chain"]) or None,
            colors=tuple(product.selected_colors),
            category=product.category or None,
        )
        provider = get_providers().image
        started = time.perf_counter()
        image = await ai_log.call(
            provider,
            lambda: provider.generate(request),
            operation="front_view" if feedback is None else "front_view_iteration",
            user_id=user_id,
            product_id=product_id,
            input_summary=(feedback or product.prompt)[:300],
        )
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        key, thumb_key = await _store_view(_product_base(user_id, product_id), f"front_v{iteration}_{job_id.hex[:8]}", image)
        stored += [key, thumb_key]
    except ProviderError as err:
        await asyncio.to_thread(_fail, job_id, hold_id, err.message, on_fail=on_fail)
        await _delete_blobs(stored)
        await progress("front", "failed")
        return Outcome(False, f"{err.message} Your credit was returned.", failed_parts=["front"], job_id=str(job_id))
    except BaseException:
        await asyncio.to_thread(_fail, job_id, hold_id, "Generation was interrupted.", on_fail=on_fail)
        await _delete_blobs(stored)
        raise

    def commit() -> str | None:
        with write_session() as s:
            if not records.finish_job(s, job_id, status="succeeded", result={"iteration": iteration}):
                return None
            if base is not None and feedback:
                s.execute(
                    update(FrontViewApproval)
                    .where(FrontViewApproval.product_idea_id == product_id, FrontViewApproval.status == "pending")
                    .values(status="rejected", updated_at=utcnow())
                )
                s.execute(
                    update(FrontViewApproval).where(FrontViewApproval.id == base.id).values(user_feedback=feedback)
                )
            chat = s.exec(select(ChatSession).where(ChatSession.product_id == product_id)).first()
            approval = FrontViewApproval(
                product_idea_id=product_id,
                user_id=user_id,
                session_id=chat.id if chat else None,
                front_view_key=key,
                front_view_thumbnail_key=thumb_key,
                front_view_prompt=prompt,
                status="pending",
                iteration_number=iteration,
                is_initial_generation=base is None,
                credits_reserved=price,
                credits_consumed=price,
                notes=list(image.notes),
            )
            s.add(approval)
            s.execute(
                update(ProductIdea)
                .where(ProductIdea.id == product_id)
                .values(status="front_view_ready", thumbnail_key=thumb_key, updated_at=utcnow())
            )
            s.add(
                ImageUpload(
                    product_idea_id=product_id,
                    user_id=user_id,
                    image_key=key,
                    thumbnail_key=thumb_key,
                    upload_type="original" if base is None else "edited",
                    view_type="front",
                    metadata_={"iteration": iteration, "generation_time_ms": elapsed_ms, "model": image.model},
                )
            )
            if feedback:
                _chat(s, product_id, "user", feedback, kind="front_view_feedback")
            reply = f"Front view V{iteration} is ready."
            if image.notes:
                reply += " " + " ".join(image.notes)
            _chat(s, product_id, "assistant", reply, kind="front_view", iteration=iteration)
            credits.capture(hold_id=hold_id, session=s)
            s.flush()
            return str(approval.id)

    approval_id = await asyncio.to_thread(commit)
    if approval_id is None:
        await _delete_blobs(stored)
        return Outcome(False, records.RESTART_MESSAGE, job_id=str(job_id))
    await progress("front", "done")
    return Outcome(
        True,
        f"Front view V{iteration} is ready.",
        charged=price,
        notes=list(image.notes),
        approval_id=approval_id,
        job_id=str(job_id),
    )


# --------------------------------------------------------------------------------------------- approval


async def approve_and_generate(
    *, user_id: int, approval_id: uuid.UUID, progress: Progress = _noop_progress
) -> Outcome:
    """Approve a front-view iteration and generate back, side, top and bottom concurrently (seed 000 §3
    Phases 3-4). Creates revision 0 (one batch, active rows) in the same transaction as the capture.

    Costs 2 credits (0.5 per view): views that fail are not charged (their share is released); if every
    view fails, nothing is charged and the approval goes back to pending.

    Raises:
        GenerationError: not found, busy, already approved, or insufficient credits (nothing is charged).
    """
    settings = get_settings()
    price = settings.prices.remaining_views
    per_view = price // len(REMAINING_VIEWS)
    state: dict[str, Any] = {}

    with read_session() as s:
        found = s.get(FrontViewApproval, approval_id)
        if found is None or found.user_id != user_id:
            raise GenerationError("not_found", "This front view does not exist or is not yours.")
        product_id = found.product_idea_id

    def check(s: Session, product: ProductIdea) -> None:
        approval = s.get(FrontViewApproval, approval_id)
        assert approval is not None
        done = s.exec(
            select(FrontViewApproval.id).where(
                FrontViewApproval.product_idea_id == product_id,
                FrontViewApproval.status.in_(("approved", "completed")),
            )
        ).first()
        if done is not None:
            raise GenerationError("invalid_state", "This product's front view is already approved.")
        state.update(product=product, approval=approval)
        # Mark the approval in the same transaction as the hold: both happen or neither does.
        now = utcnow()
        s.execute(
            update(FrontViewApproval)
            .where(FrontViewApproval.product_idea_id == product_id, FrontViewApproval.status == "pending")
            .where(FrontViewApproval.id != approval_id)
            .values(status="rejected", updated_at=now)
        )
        s.execute(
            update(FrontViewApproval)
            .where(FrontViewApproval.id == approval_id)
            .values(status="approved", approved_at=now, credits_reserved=approval.credits_reserved + price, updated_at=now)
        )
        s.execute(
            update(ProductIdea)
            .where(ProductIdea.id == product_id)
            .values(status="generating_views", thumbnail_key=approval.front_view_thumbnail_key, updated_at=now)
        )

    job_id, hold_id = await asyncio.to_thread(
        _begin,
        user_id=user_id,
        product_id=product_id,
        kind="remaining_views",
        amount=price,
        operation="remaining_views",
        progress={"features": "running", **{v: "queued" for v in REMAINING_VIEWS}},
        check=check,
    )
    product: ProductIdea = state["product"]
    approval: FrontViewApproval = state["approval"]

    def on_fail(s: Session) -> None:
        _reset_after_failed_approval(s, product_id)
        notifications.notify(
            s,
            user_id=user_id,
            type="generation_failed",
            title="Views failed",
            message=f"{product.name}: the other views could not be generated. Your credits were returned.",
            link=f"/ai-designer?projectId={product_id}",
        )

    await progress("features", "running")
    providers = get_providers()
    stored: list[str] = []
    try:
        front = await _load_blob(approval.front_view_key)
        logo = await _load_blob(product.logo_key)
        assert front is not None
        features = await features_of(front, product, cached=None, user_id=user_id, summary="approved front view")
    except ProviderError as err:
        await asyncio.to_thread(_fail, job_id, hold_id, err.message, on_fail=on_fail)
        await progress("features", "failed")
        return Outcome(False, f"{err.message} Your credits were returned.", failed_parts=["features"], job_id=str(job_id))
    except BaseException:
        await asyncio.to_thread(_fail, job_id, hold_id, "Generation was interrupted.", on_fail=on_fail)
        raise

    def save_features() -> None:
        with write_session() as s:
            s.execute(
                update(FrontViewApproval)
                .where(FrontViewApproval.id == approval_id)
                .values(extracted_features=features.model_dump())
            )

    await asyncio.to_thread(save_features)
    await asyncio.to_thread(records.set_progress, job_id, "features", "done")
    await progress("features", "done")

    chain = await asyncio.to_thread(_chain_for, product_id, approval)

    async def interrupted() -> None:
        await asyncio.to_thread(_fail, job_id, hold_id, "Generation was interrupted.", on_fail=on_fail)

    results = await generate_views(
        REMAINING_VIEWS,
        lambda view: other_view_request(view, product, front=front, logo=logo, features=features, chain=chain),
        job_id=job_id,
        user_id=user_id,
        product_id=product_id,
        operation=lambda view: f"{view}_view",
        summary=lambda view: f"{view} view from the approved front view",
        name=lambda view: f"{view}_r0_{job_id.hex[:8]}",
        progress=progress,
        stored=stored,
        on_interrupt=interrupted,
    )
    done = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    for err in errors:
        if not isinstance(err, ProviderError):
            log.error("view generation crashed", exc_info=err)
    failed_views = [v for v, r in zip(REMAINING_VIEWS, results) if isinstance(r, BaseException)]
    if not done:
        reason = next((e.message for e in errors if isinstance(e, ProviderError)), "The views could not be generated.")
        await asyncio.to_thread(_fail, job_id, hold_id, reason, on_fail=on_fail)
        return Outcome(False, f"{reason} Your credits were returned.", failed_parts=failed_views, job_id=str(job_id))

    charged = per_view * len(done)
    batch_id = f"initial_{product_id}_{int(time.time() * 1000)}"

    def commit() -> bool:
        with write_session() as s:
            status = "succeeded" if not failed_views else "partial"
            if not records.finish_job(s, job_id, status=status, result={"failed": failed_views}):
                return False
            now = utcnow()
            s.execute(
                update(ProductMultiviewRevision)
                .where(ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.is_active.is_(True))
                .values(is_active=False, updated_at=now)
            )
            s.flush()
            rows = [("front", approval.front_view_key, approval.front_view_thumbnail_key, approval.front_view_prompt, None)]
            rows += [(r.view, r.key, r.thumb, r.request.prompt, r.elapsed_ms) for r in done]
            models = {r.view: r.image.model for r in done}
            other_views: dict[str, Any] = {}
            for view, key, thumb, prompt, ms in rows:
                s.add(
                    ProductMultiviewRevision(
                        product_idea_id=product_id,
                        user_id=user_id,
                        revision_number=0,
                        batch_id=batch_id,
                        view_type=view,
                        image_key=key,
                        thumbnail_key=thumb,
                        edit_prompt=None,
                        edit_type="initial",
                        ai_model=models.get(view, providers.image.model),
                        ai_parameters={
                            "approval_id": str(approval_id),
                            "progressive_workflow": True,
                            "prompt": prompt,
                        },
                        generation_time_ms=ms,
                        is_active=True,
                        front_view_approval_id=approval_id,
                        metadata_={
                            "credits_used": approval.credits_consumed + charged,
                            "iteration_count": approval.iteration_number,
                            "instructions": chain,
                        },
                    )
                )
                if view != "front":
                    other_views[view] = {"key": key, "thumbnail_key": thumb, "prompt": prompt}
                    s.add(
                        ImageUpload(
                            product_idea_id=product_id,
                            user_id=user_id,
                            image_key=key,
                            thumbnail_key=thumb,
                            upload_type="original",
                            view_type=view,
                            metadata_={"revision_number": 0, "batch_id": batch_id},
                        )
                    )
            s.execute(
                update(FrontViewApproval)
                .where(FrontViewApproval.id == approval_id)
                .values(
                    status="completed",
                    completed_at=now,
                    other_views=other_views,
                    credits_consumed=approval.credits_consumed + charged,
                    updated_at=now,
                )
            )
            s.execute(
                update(ProductIdea)
                .where(ProductIdea.id == product_id)
                .values(status="images_generated", updated_at=now)
            )
            credits.capture(hold_id=hold_id, amount=charged, session=s)
            if failed_views:
                msg = (
                    f"{len(done) + 1} of 5 views are ready. {', '.join(v.capitalize() for v in failed_views)} "
                    "could not be generated; you were not charged for them. Use “Regenerate view” to try again."
                )
            else:
                msg = "All five views are ready."
            _chat(s, product_id, "assistant", msg, kind="views_ready", failed=failed_views)
            notifications.notify(
                s,
                user_id=user_id,
                type="views_ready",
                title="Views ready" if not failed_views else "Some views failed",
                message=f"{product.name}: {msg}",
                link=f"/ai-designer?projectId={product_id}",
            )
            return True

    if not await asyncio.to_thread(commit):
        await _delete_blobs(stored)
        return Outcome(False, records.RESTART_MESSAGE, job_id=str(job_id))
    if failed_views:
        return Outcome(
            True,
            f"{len(done) + 1} of 5 views are ready; {', '.join(failed_views)} failed and were not charged.",
            charged=charged,
            failed_parts=failed_views,
            job_id=str(job_id),
        )
    return Outcome(True, "All five views are ready.", charged=charged, job_id=str(job_id))


def _chain_for(product_id: uuid.UUID, approval: FrontViewApproval) -> list[str]:
    with read_session() as s:
        return _feedback_chain(s, product_id, approval)


def _reset_after_failed_approval(session: Session, product_id: uuid.UUID) -> None:
    """Put a product whose remaining views failed back to "awaiting approval"."""
    now = utcnow()
    session.execute(
        update(FrontViewApproval)
        .where(FrontViewApproval.product_idea_id == product_id, FrontViewApproval.status == "approved")
        .values(status="pending", approved_at=None, updated_at=now)
    )
    session.execute(
        update(ProductIdea).where(ProductIdea.id == product_id).values(status="front_view_ready", updated_at=now)
    )


# --------------------------------------------------------------------------------------------- regenerate one view


async def regenerate_view(
    *, user_id: int, product_id: uuid.UUID, view: str, progress: Progress = _noop_progress
) -> Outcome:
    """Generate a view that is missing from the active revision (after a partial failure, seed 000 §10.3).

    Costs 0.5 credit; the new row joins the active revision's batch.

    Raises:
        GenerationError: unknown view, the view already exists, not found, busy, insufficient credits.
    """
    if view not in REMAINING_VIEWS:
        raise GenerationError("invalid_state", "Choose the back, side, top or bottom view.")
    price = get_settings().prices.regenerate_view
    state: dict[str, Any] = {}

    def check(s: Session, product: ProductIdea) -> None:
        active = s.exec(
            select(ProductMultiviewRevision).where(
                ProductMultiviewRevision.product_idea_id == product.id, ProductMultiviewRevision.is_active.is_(True)
            )
        ).all()
        by_view = {r.view_type: r for r in active}
        if "front" not in by_view:
            raise GenerationError("invalid_state", "Approve the front view first.")
        if view in by_view:
            raise GenerationError("invalid_state", f"The {view} view already exists.")
        approval = s.get(FrontViewApproval, by_view["front"].front_view_approval_id) if by_view["front"].front_view_approval_id else None
        state.update(product=product, front=by_view["front"], approval=approval)

    job_id, hold_id = await asyncio.to_thread(
        _begin,
        user_id=user_id,
        product_id=product_id,
        kind="regenerate_view",
        amount=price,
        operation="regenerate_view",
        progress={view: "running"},
        check=check,
    )
    product: ProductIdea = state["product"]
    front_row: ProductMultiviewRevision = state["front"]
    approval: FrontViewApproval | None = state["approval"]
    await progress(view, "running")
    providers = get_providers()
    stored: list[str] = []
    try:
        front = await _load_blob(front_row.image_key)
        logo = await _load_blob(product.logo_key)
        assert front is not None
        features = await features_of(
            front,
            product,
            cached=approval.extracted_features if approval is not None else None,
            user_id=user_id,
            summary="active front view",
        )
        chain = await asyncio.to_thread(_chain_for, product_id, approval) if approval is not None else []
        request = other_view_request(view, product, front=front, logo=logo, features=features, chain=chain)
        prompt = request.prompt
        image = await ai_log.call(
            providers.image,
            lambda: providers.image.generate(request),
            operation=f"{view}_view",
            user_id=user_id,
            product_id=product_id,
            input_summary=f"regenerate {view} view",
        )
        key, thumb = await _store_view(_product_base(user_id, product_id), f"{view}_regen_{job_id.hex[:8]}", image)
        stored += [key, thumb]
    except ProviderError as err:
        await asyncio.to_thread(_fail, job_id, hold_id, err.message)
        await progress(view, "failed")
        return Outcome(False, f"{err.message} Your credit was returned.", failed_parts=[view], job_id=str(job_id))
    except BaseException:
        await asyncio.to_thread(_fail, job_id, hold_id, "Generation was interrupted.")
        await _delete_blobs(stored)
        raise

    def commit() -> bool:
        with write_session() as s:
            if not records.finish_job(s, job_id, status="succeeded"):
                return False
            s.add(
                ProductMultiviewRevision(
                    product_idea_id=product_id,
                    user_id=user_id,
                    revision_number=front_row.revision_number,
                    batch_id=front_row.batch_id,
                    view_type=view,
                    image_key=key,
                    thumbnail_key=thumb,
                    edit_type=front_row.edit_type,
                    edit_prompt=front_row.edit_prompt,
                    ai_model=image.model,
                    ai_parameters={"regenerated": True, "prompt": prompt},
                    is_active=True,
                    front_view_approval_id=front_row.front_view_approval_id,
                    metadata_={"credits_used": price, "instructions": chain},
                )
            )
            credits.capture(hold_id=hold_id, session=s)
            _chat(s, product_id, "assistant", f"The {view} view is ready.", kind="view_regenerated")
            return True

    if not await asyncio.to_thread(commit):
        await _delete_blobs(stored)
        return Outcome(False, records.RESTART_MESSAGE, job_id=str(job_id))
    await progress(view, "done")
    return Outcome(True, f"The {view} view is ready.", charged=price, job_id=str(job_id))


# --------------------------------------------------------------------------------------------- crash hooks


def _on_front_view_job_failed(session: Session, job: Job) -> None:
    if job.product_id is None:
        return
    has_any = session.exec(select(FrontViewApproval.id).where(FrontViewApproval.product_idea_id == job.product_id)).first()
    if has_any is None:
        session.execute(
            update(ProductIdea).where(ProductIdea.id == job.product_id).values(status="failed", updated_at=utcnow())
        )


def _on_remaining_views_job_failed(session: Session, job: Job) -> None:
    if job.product_id is not None:
        _reset_after_failed_approval(session, job.product_id)


records.on_job_failed["front_view"] = _on_front_view_job_failed
records.on_job_failed["remaining_views"] = _on_remaining_views_job_failed

__all__ = [
    "GenerationError",
    "Outcome",
    "VIEWS",
    "approve_and_generate",
    "front_view_prompt",
    "generate_front_view",
    "other_view_prompt",
    "regenerate_view",
]
