"""Tech Pack V2 Category and Base views steps as held operations on the runner (issue 10 items 2-3; seed 001
"Category Detection" and "Base Views Analysis"; DESIGN.md §5, §7.1).

``DetectCategory`` (job kind ``v2_category``, free: ``Prices.v2_category`` = 0): the active front view and the
product's name and prompt go to ``Providers.v2_vision.detect_category``; the category, subcategory and
confidence are stored on the product's V2 document (``category_source = "detected"``; a user's own choice is
``v2_document.set_category``).

``AnalyzeBaseViews`` (job kind ``v2_base_views``, ``Prices.v2_base_views`` = 3 credits): every active view is
analysed, concurrently, into the category-aware JSON of ``providers.v2_vision``:

* each view's image bytes are hashed (SHA-256); ``revision_vision_analysis`` is looked up by hash first. A
  cached image costs no provider call and no tokens (one lookup for all views, milliseconds) but is still
  logged in ``ai_operation_logs`` (``context.cache = "hit"``, provider ``cache``). Views of one run with the
  same bytes are analysed once. See :data:`CACHE_RULE` for what a cached run costs.
* the other views go to ``Providers.v2_vision.analyze_view`` at the same time (``asyncio.gather``), each call
  logged (pending -> completed). Any failure fails the job: the runner releases the hold.
* ``store`` (commit transaction): new cache rows (insert-or-ignore on ``image_hash``, so two jobs racing on
  the same image keep one row), then the document: ``views``, the merged ``fields`` (edits re-applied) and
  ``steps["base_views"]``; the whole price is captured.

The confidence of each view: :func:`confidence`.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.models import Job, ProductIdea
from genpire_app.backend.db.techpack_v2_models import RevisionVisionAnalysis
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import VIEWS, ImageInput
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.providers.v2_vision import CategoryResult, ViewAnalysis
from genpire_app.backend.services import ai_log, notifications, v2_document
from genpire_app.backend.services.views import load_image

#: What a cached analysis costs, for the UI (seed 001 charges per operation, not per provider call).
CACHE_RULE = "Cached views are free to re-read but the step still costs 3 credits (seed 001)."
#: Weights of the sections in a view's coverage (sum 1): what every product shows weighs more than what only
#: some have (hardware, labels).
SECTION_WEIGHTS: dict[str, float] = {"materials": 0.25, "colors": 0.2, "dimensions_mm": 0.2, "construction": 0.15,
                                     "finishes": 0.1, "hardware": 0.05, "labels": 0.05}
#: Provider certainty assumed when an analysis names no material (so no per-item confidence to average).
DEFAULT_CERTAINTY = 0.5
FEATURE = "tech_pack_v2"


def confidence(analysis: dict[str, Any]) -> float:
    """The confidence 0..1 of one view's analysis: coverage x certainty, clamped to 0..1, 3 decimals.

    * coverage: the sum of :data:`SECTION_WEIGHTS` of the sections found (a non-empty list; dimensions with
      all three sizes above 0);
    * certainty: the provider's own certainty, the mean ``confidence`` of its materials
      (:data:`DEFAULT_CERTAINTY` when it names none).
    """
    found = 0.0
    for section, weight in SECTION_WEIGHTS.items():
        value = analysis.get(section)
        if section == "dimensions_mm":
            ok = isinstance(value, dict) and all(float(value.get(k) or 0) > 0 for k in ("width", "height", "depth"))
        else:
            ok = bool(value)
        found += weight if ok else 0.0
    materials = [float(m.get("confidence", 0)) for m in analysis.get("materials") or [] if isinstance(m, dict)]
    certainty = statistics.fmean(materials) if materials else DEFAULT_CERTAINTY
    return round(min(1.0, max(0.0, found * certainty)), 3)


def image_hash(data: bytes) -> str:
    """Hex SHA-256 of an image's bytes (the cache key)."""
    return hashlib.sha256(data).hexdigest()


class V2Plan(Plan):
    """A V2 step of a product's active revision. ``prepare`` fills ``revision_number``, ``views`` (``{view:
    image key}``), ``revision_ids`` (``{view: row id}``), ``category`` (the known category text) and
    ``hint_text`` (the product's name and prompt)."""

    revision_number: int | None = None
    views: dict[str, str] = {}
    revision_ids: dict[str, str] = {}
    category: str = ""
    hint_text: str = ""


def _prepare(session: Session, *, user_id: int, plan: V2Plan, front_only: bool) -> V2Plan:
    if plan.product_id is None:
        raise OperationError("not_found", v2_document.NOT_FOUND)
    doc = v2_document.get_or_create(session, user_id=user_id, product_id=plan.product_id)  # owner check + lock
    product = session.get(ProductIdea, plan.product_id)
    assert product is not None
    rows = [r for r in repo.active_revision(session, product_id=plan.product_id) if r.view_type in VIEWS]
    rows = [r for r in rows if r.view_type == "front"] if front_only else rows
    if not rows:
        raise OperationError("invalid_state", v2_document.NO_VIEWS)
    category = " / ".join(x for x in (doc.category, doc.subcategory) if x) or product.category
    return plan.model_copy(update={
        "revision_number": doc.revision_number, "views": {r.view_type: r.image_key for r in rows},
        "revision_ids": {r.view_type: str(r.id) for r in rows}, "category": category,
        "hint_text": ". ".join(x for x in (product.name, product.prompt, product.category) if x)[:2000],
    })


async def _image(key: str) -> ImageInput:
    image = await load_image(key)
    if image is None:
        raise OperationError("not_found", "A view image of this product is missing.")
    return image


def _context(plan: V2Plan, step: str, **more: Any) -> dict[str, Any]:
    return {"feature": FEATURE, "step": step, "revision": plan.revision_number, **more}


def _on_failure(session: Session, job: Job, title: str, message: str) -> None:
    product = session.get(ProductIdea, job.product_id) if job.product_id else None
    if product is not None:
        notifications.notify(session, user_id=job.user_id, type="generation_failed", title=title,
                             message=f"{product.name}: {message}", link=f"/ai-designer?projectId={product.id}")


# --------------------------------------------------------------------------------------------- category


class DetectCategory(Operation[V2Plan, CategoryResult]):
    """Category detection of the active front view (free; see the module docstring)."""

    kind = JobKind.V2_CATEGORY
    plan_type = V2Plan

    def prepare(self, session: Session, *, user_id: int, plan: V2Plan) -> V2Plan:
        """Raises OperationError ``not_found`` (another user's or a missing product) or ``invalid_state``."""
        return _prepare(session, user_id=user_id, plan=plan, front_only=True)

    def price(self, plan: V2Plan) -> int:
        return get_settings().prices.v2_category

    def initial_progress(self, plan: V2Plan) -> dict[str, str]:
        return {"category": "queued"}

    async def work(self, ctx: WorkContext, plan: V2Plan) -> CategoryResult:
        await ctx.progress("category", "running")
        image = await _image(plan.views["front"])
        provider = get_providers().v2_vision
        completion = await ai_log.call(
            provider, lambda: provider.detect_category(image, hint_text=plan.hint_text), operation="v2_category",
            user_id=ctx.user_id, product_id=plan.product_id, operation_type=ai_log.VISION,
            input_summary=f"category of the front view, revision {plan.revision_number}",
            input_data={"hint_text": plan.hint_text[:300], "image_hash": image_hash(image.data)},
            context=_context(plan, "category"),
        )
        await ctx.progress("category", "done")
        return completion.value

    def store(self, session: Session, ctx: WorkContext, plan: V2Plan, result: CategoryResult) -> Stored:
        assert plan.product_id is not None
        doc = v2_document.get_or_create(session, user_id=ctx.user_id, product_id=plan.product_id,
                                        revision_number=plan.revision_number)
        v2_document.record_category(doc, category=result.category, subcategory=result.subcategory,
                                    confidence=result.confidence, source="detected")
        session.add(doc)
        message = f"Category detected: {result.category} / {result.subcategory} ({round(100 * result.confidence)}% sure)."
        return Stored(charged=self.price(plan), message=message,
                      result={"document_id": str(doc.id), "category": result.category,
                              "subcategory": result.subcategory, "confidence": result.confidence})

    def on_failure(self, session: Session, *, job: Job, plan: V2Plan | None, message: str) -> None:
        _on_failure(session, job, "Category detection failed", message)


# --------------------------------------------------------------------------------------------- base views


@dataclass(frozen=True)
class ViewOutcome:
    """One analysed view: its image (key, hash, revision row), the analysis JSON, its confidence, the model,
    tokens and time (milliseconds) of the analysis, and whether it came from the cache."""

    view: str
    image_key: str
    image_hash: str
    revision_id: str
    analysis: dict[str, Any]
    confidence: float
    model: str
    tokens: int
    ms: int
    cached: bool


def _cached(hashes: set[str]):
    def go(s: Session) -> dict[str, RevisionVisionAnalysis]:
        rows = s.exec(select(RevisionVisionAnalysis).where(RevisionVisionAnalysis.image_hash.in_(hashes))).all()
        return {r.image_hash: r for r in rows}
    return go


async def analyse_views(ctx: WorkContext, plan: V2Plan, *, step: str = "base_views") -> list[ViewOutcome]:
    """Analyse the images of ``plan.views`` (``{view: image key}``, display order): hash, look the hashes up in
    ``revision_vision_analysis``, analyse the misses concurrently (each call logged with ``context.step =
    step``), log the hits (see the module docstring). Nothing is written but the logs: store the new rows with
    :func:`save_analyses` in the commit transaction. Also used by ``services.v2_regenerate`` (one view).

    Raises:
        ProviderError: an analysis failed (after every call ended).
        OperationError: ``not_found`` when a view image is gone.
    """
    order = [v for v in VIEWS if v in plan.views]
    images = dict(zip(order, await asyncio.gather(*(_image(plan.views[v]) for v in order))))
    started = time.perf_counter()
    hashes = {v: image_hash(images[v].data) for v in order}
    cache = await read(_cached(set(hashes.values())))
    lookup_ms = int((time.perf_counter() - started) * 1000)
    provider = get_providers().v2_vision
    first: dict[str, str] = {}
    for view in order:
        first.setdefault(hashes[view], view)
    fresh_views = [v for v in order if hashes[v] not in cache and first[hashes[v]] == v]

    def outcome(view: str, analysis: dict[str, Any], model: str, tokens: int, ms: int, cached: bool) -> ViewOutcome:
        data = {**analysis, "view": view}
        return ViewOutcome(view, plan.views[view], hashes[view], plan.revision_ids.get(view, ""), data,
                           confidence(data), model, tokens, ms, cached)

    async def analyse(view: str) -> ViewOutcome:
        await ctx.progress(view, "running")
        t0 = time.perf_counter()
        try:
            done = await ai_log.call(
                provider, lambda: provider.analyze_view(images[view], view=view, category=plan.category),
                operation="v2_base_view", user_id=ctx.user_id, product_id=plan.product_id,
                operation_type=ai_log.VISION, input_summary=f"{view} view, revision {plan.revision_number}",
                input_data={"view": view, "category": plan.category, "image_hash": hashes[view],
                            "bytes": len(images[view].data)},
                context=_context(plan, step, view=view, cache="miss"),
            )
        except BaseException:
            await ctx.progress(view, "failed")
            raise
        await ctx.progress(view, "done")
        value: ViewAnalysis = done.value
        return outcome(view, value.to_json(), done.model, done.usage.input_tokens + done.usage.output_tokens,
                       int((time.perf_counter() - t0) * 1000), False)

    results = await asyncio.gather(*(analyse(v) for v in fresh_views), return_exceptions=True)
    for r in results:  # every call ended: raise the first failure (cancellation first)
        if isinstance(r, BaseException) and not isinstance(r, Exception):
            raise r
    failed = next((r for r in results if isinstance(r, BaseException)), None)
    if failed is not None:
        raise failed
    fresh = {o.image_hash: o for o in results if isinstance(o, ViewOutcome)}
    out: list[ViewOutcome] = []
    for view in order:
        h = hashes[view]
        if h in fresh and fresh[h].view == view:
            out.append(fresh[h])
            continue
        row = cache.get(h)
        source = fresh[h].analysis if row is None else row.analysis_data
        model = fresh[h].model if row is None else row.model_used
        hit = outcome(view, source, model, 0, lookup_ms, True)
        ai_log.cache_hit(
            operation="v2_base_view", provider="cache", model=model, user_id=ctx.user_id,
            product_id=plan.product_id, input_summary=f"{view} view, revision {plan.revision_number} (cached)",
            processing_ms=lookup_ms, input_data={"view": view, "image_hash": h},
            output_data={"analysis_id": str(row.id) if row else None, "confidence": hit.confidence},
            context=_context(plan, step, view=view, source="cache" if row else "same run"),
        )
        await ctx.progress(view, "done")
        out.append(hit)
    return out


def save_analyses(session: Session, *, user_id: int, product_id: uuid.UUID | None,
                  outcomes: list[ViewOutcome]) -> dict[str, uuid.UUID]:
    """Insert the new cache rows of ``outcomes`` (insert-or-ignore by ``image_hash``, so two jobs racing on the
    same image keep one row) in the caller's transaction; returns ``{image hash: cache row id}`` of every
    outcome."""
    new = {o.image_hash: o for o in outcomes if not o.cached}
    if new:
        rows = [RevisionVisionAnalysis(
            image_hash=o.image_hash, user_id=user_id, product_idea_id=product_id,
            revision_id=uuid.UUID(o.revision_id) if o.revision_id else None, view_type=o.view,
            image_key=o.image_key, analysis_data=o.analysis, model_used=o.model[:100], tokens_used=o.tokens,
            processing_time_ms=o.ms, confidence_score=o.confidence,
        ).model_dump() for o in new.values()]
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(RevisionVisionAnalysis.__table__).values(rows)
                        .on_conflict_do_nothing(index_elements=["image_hash"]))
    return {h: row.id for h, row in _cached({o.image_hash for o in outcomes})(session).items()}


class AnalyzeBaseViews(Operation[V2Plan, list[ViewOutcome]]):
    """Every active view analysed in parallel, cached by image hash (see the module docstring)."""

    kind = JobKind.V2_BASE_VIEWS
    plan_type = V2Plan

    def prepare(self, session: Session, *, user_id: int, plan: V2Plan) -> V2Plan:
        """Raises OperationError ``not_found`` (another user's or a missing product) or ``invalid_state``."""
        return _prepare(session, user_id=user_id, plan=plan, front_only=False)

    def price(self, plan: V2Plan) -> int:
        """``Prices.v2_base_views`` hundredths, cached or not (:data:`CACHE_RULE`)."""
        return get_settings().prices.v2_base_views

    def initial_progress(self, plan: V2Plan) -> dict[str, str]:
        return {view: "queued" for view in plan.views}

    async def work(self, ctx: WorkContext, plan: V2Plan) -> list[ViewOutcome]:
        """Hash, look up, analyse the misses concurrently (see the module docstring).

        Raises:
            ProviderError: an analysis failed (after every call ended).
            OperationError: ``not_found`` when a view image is gone.
        """
        return await analyse_views(ctx, plan)

    def store(self, session: Session, ctx: WorkContext, plan: V2Plan, result: list[ViewOutcome]) -> Stored:
        """Insert the new cache rows (insert-or-ignore by hash), then write the document."""
        assert plan.product_id is not None
        ids = save_analyses(session, user_id=ctx.user_id, product_id=plan.product_id, outcomes=result)
        doc = v2_document.get_or_create(session, user_id=ctx.user_id, product_id=plan.product_id,
                                        revision_number=plan.revision_number)
        views = {o.view: {"analysis_id": str(ids[o.image_hash]), "image_hash": o.image_hash,
                          "confidence": o.confidence, "fields": o.analysis} for o in result}
        now = utcnow()
        mean = round(statistics.fmean(o.confidence for o in result), 3)
        cached = sum(1 for o in result if o.cached)
        doc.views = views
        doc.fields = v2_document.apply_edits(v2_document.merge_fields({v: e["fields"] for v, e in views.items()}),
                                             list(doc.edits))
        doc.steps = {**doc.steps, "base_views": {"status": "done", "at": now.isoformat(), "cached": cached,
                                                 "confidence": mean}}
        doc.updated_at = now
        session.add(doc)
        count = len(result)
        message = f"{'All five views are' if count == 5 else f'{count} views are'} analysed."
        if cached:
            message += f" {cached} came from the cache."
        return Stored(charged=self.price(plan), message=message,
                      result={"document_id": str(doc.id), "views": count, "cached": cached, "confidence": mean})

    def on_failure(self, session: Session, *, job: Job, plan: V2Plan | None, message: str) -> None:
        _on_failure(session, job, "Base views analysis failed", message)


# --------------------------------------------------------------------------------------------- entry points


def start_category(user_id: int, product_id: uuid.UUID, intent: str) -> runner.Submitted:
    """"Detect category" (free; blocking: call it in a thread). ``intent``: the button's intent token.

    Raises:
        OperationError: ``not_found``, ``invalid_state`` (no views yet), ``busy``.
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.V2_CATEGORY.value), user_id=user_id,
                         plan=V2Plan(product_id=product_id), intent=intent)


def start_base_views(user_id: int, product_id: uuid.UUID, intent: str) -> runner.Submitted:
    """"Analyze base views" (``Prices.v2_base_views``; blocking: call it in a thread).

    Raises:
        OperationError: ``not_found``, ``invalid_state`` (no views yet), ``busy``, ``insufficient_credits``;
            nothing is held then.
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.V2_BASE_VIEWS.value), user_id=user_id,
                         plan=V2Plan(product_id=product_id), intent=intent)


__all__ = ["AnalyzeBaseViews", "CACHE_RULE", "DEFAULT_CERTAINTY", "DetectCategory", "SECTION_WEIGHTS", "V2Plan",
           "ViewOutcome", "analyse_views", "confidence", "image_hash", "save_analyses", "start_base_views",
           "start_category"]
