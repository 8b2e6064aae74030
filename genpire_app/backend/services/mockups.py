"""Mockup renders: one design rendered into one scene per held job, with the retry queue (issue 11 item 2;
seed 004 Steps 9.2-9.3 and the mockup generator task; DESIGN.md §5, §7.1, §12 "mockups": 1 credit per render
from the same ledger plus the per-user guardrails).

``RenderMockup`` (job kind ``mockup_render``, ``Prices.mockup_render`` hundredths, side work: renders run beside
each other and beside the product's own jobs):

* ``prepare`` (submit transaction): the design (one of the user's product views, or a quick-3D asset's image)
  and the scene must be the user's (or a system scene); writes the ``mockups`` row (``queued``) with the
  design's storage key and a snapshot of the scene.
* ``work``: ``get_providers().mockups.render`` with up to ``Settings.mockup_render_attempts`` attempts; after a
  retryable failure the row is ``retrying`` with the attempt count and the reason (the "retry queue" the page
  shows, pushed as ``Topic.MOCKUPS``) and the next attempt waits ``mockup_retry_backoff_seconds * 2**(n-1)``
  seconds. A failure that is not retryable ends at once. The file is copied into our storage at once (Dynamic
  Mockups' URLs expire after 24 h) with a 256 px WebP thumbnail. CPU-bound work done in this process (the
  offline compositor, the thumbnail) passes :func:`cpu_gate`, so the renders of a batch leave the web loop a core.
* ``store``: the row ``completed`` plus a pending ``approval_items`` row (supervised) or ``approved``
  (autopilot; ``guardrails.approval_mode(..., "mockups")``), a ``mockup_credit_usage`` ``generation`` row for the
  UTC month, and the hold captured.
* ``on_failure``: the row ``failed`` with the reason (and "Your 1 credit was returned."); the runner releases
  the hold.

Batches, designs and the renders list are in ``services.mockup_batches`` (re-exported here).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from genpire_app.backend import imaging
from genpire_app.backend.cpu_pool import run_cpu
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import ApprovalItem, Mockup, MockupCreditUsage, UserSettings
from genpire_app.backend.db.models import Job, ProductIdea
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Stored, WorkContext
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.mockups import MockupRequest, MockupScene, Placement, RenderedMockup
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log, guardrails, mockup_scenes
from genpire_app.backend.services.mockup_batches import (
    BatchSubmitted,
    Design,
    DesignRef,
    MockupRow,
    RenderPlan,
    list_designs,
    list_mockups,
    resolve_design,
    submit_batch,
)
from genpire_app.backend.storage import get_storage, sign_path

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def _palette(session: Session, user_id: int, product: ProductIdea | None) -> tuple[str, ...]:
    """The brand palette for the scene art: the product's Brand DNA snapshot, else the user's Brand DNA."""
    brand = (product.brand_dna if product is not None else None) or {}
    if not brand.get("palette"):
        settings = session.get(UserSettings, user_id)
        brand = (settings.brand if settings is not None else None) or {}
    colors = brand.get("palette") or []
    return tuple(c.upper() for c in colors if isinstance(c, str) and _HEX.fullmatch(c))[:6]


# --------------------------------------------------------------------------------------------- operation


@dataclass(frozen=True)
class Rendered:
    """What ``work`` made: the stored file and thumbnail keys, the service's render id and metadata, and
    how many attempts it took."""

    file_key: str
    thumbnail_key: str
    render_id: str | None
    metadata: dict[str, Any]
    attempts: int


#: Mockup statuses of a render still held.
IN_FLIGHT = guardrails.IN_FLIGHT


def _mark(user_id: int, mockup_id: uuid.UUID, job_id: uuid.UUID, **values: Any) -> bool:
    """Update an in-flight mockup row (status, attempts, reason); False when it ended meanwhile."""
    with write_session() as s:
        res = s.execute(update(Mockup).where(Mockup.id == mockup_id, Mockup.user_id == user_id,
                                             Mockup.status.in_(IN_FLIGHT))
                        .values(job_id=job_id, updated_at=utcnow(), **values))
        return res.rowcount == 1


_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def cpu_gate() -> asyncio.Semaphore:
    """This event loop's gate for CPU-bound render work done in this process (the offline compositor and the
    thumbnail): at most ``cpu_count - 1`` (at least 1) at a time, so a queue worker inside the web process
    (the embedded default) leaves a core to the web event loop. Renders by a remote service are not gated."""
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = _GATES[loop] = asyncio.Semaphore(max(1, (os.cpu_count() or 2) - 1))
    return gate


async def backoff(seconds: float) -> None:
    """Wait ``seconds`` before the next attempt (the row shows ``retrying`` meanwhile)."""
    await asyncio.sleep(seconds)


class RenderMockup(Operation[RenderPlan, Rendered]):
    """One design rendered into one scene (see the module docstring)."""

    kind = JobKind.MOCKUP_RENDER
    plan_type = RenderPlan
    exclusive = False
    #: The runner adds these to the job's end events, so the Mockups page reloads.
    push_topics = (Topic.MOCKUPS,)

    def prepare(self, session: Session, *, user_id: int, plan: RenderPlan) -> RenderPlan:
        """Check the design and scene and write the ``queued`` row.

        Raises:
            OperationError: ``not_found`` for a design or scene that is missing or not the user's.
        """
        # A batch prepares many plans in one transaction: each design and scene is read once (session.info
        # lives as long as the transaction).
        memo = session.info.setdefault("mockup_prepare", {})
        ref = DesignRef(plan.source_type, plan.source_id, plan.view)
        if ref not in memo:
            design = resolve_design(session, user_id, ref)
            product = session.get(ProductIdea, design.id) if design.source_type == "product" else None
            memo[ref] = (design, _palette(session, user_id, product))
        design, palette = memo[ref]
        if plan.scene_id not in memo:
            scene = mockup_scenes.visible_scene(session, user_id, plan.scene_id)
            memo[plan.scene_id] = (scene.id, scene.scene_key, {
                **(scene.config or {}), "name": scene.name, "background_key": scene.background_key,
                "dm_template_id": scene.dm_template_id})
        scene_id, scene_key, snapshot = memo[plan.scene_id]
        session.add(Mockup(
            id=plan.mockup_id, user_id=user_id, batch_id=plan.batch_id, source_type=design.source_type,
            product_id=design.id if design.source_type == "product" else None,
            asset_id=design.id if design.source_type == "asset" else None, view=design.view,
            design_key=design.image_key, scene_id=scene_id, scene_key=scene_key, scene_config=dict(snapshot),
            status="queued",
        ))
        return plan.model_copy(update={"design_key": design.image_key, "name": design.name, "palette": palette})

    def price(self, plan: RenderPlan) -> int:
        return get_settings().prices.mockup_render

    async def _request(self, ctx: WorkContext, plan: RenderPlan) -> tuple[MockupRequest, str]:
        def load(s: Session) -> Mockup:
            row = s.get(Mockup, plan.mockup_id)
            if row is None or row.user_id != ctx.user_id:
                raise OperationError("not_found", "This mockup was deleted.")
            return row

        row = await read(load)
        cfg = row.scene_config or {}
        p = cfg.get("placement") or {}
        corners = cfg.get("corners")
        storage = get_storage()
        background = await storage.get(cfg["background_key"]) if cfg.get("background_key") else None
        scene = MockupScene(
            key=row.scene_key, width=int(cfg.get("width", 0)), height=int(cfg.get("height", 0)),
            placement=Placement(int(p.get("x", 0)), int(p.get("y", 0)), int(p.get("width", 0)), int(p.get("height", 0)),
                                tuple((int(x), int(y)) for x, y in corners) if corners else None),
            background=background, art=cfg.get("art"), dm_template_id=cfg.get("dm_template_id"),
            smart_object=cfg.get("smart_object"))
        settings = get_settings()
        url = settings.public_url + sign_path(plan.design_key, ttl_seconds=3600)
        design = await storage.get(plan.design_key)
        request = MockupRequest(design=design, scene=scene, design_url=url, palette=plan.palette, label=plan.name)
        return request, str(cfg.get("name") or row.scene_key)

    async def work(self, ctx: WorkContext, plan: RenderPlan) -> Rendered:
        """Render with retries (see the module docstring) and store the file and its thumbnail.

        Raises:
            ProviderError: the last attempt's failure (or a failure that is not retryable).
            OperationError: the mockup row is gone.
        """
        request, scene_name = await self._request(ctx, plan)
        settings = get_settings()
        provider = get_providers().mockups
        attempts = settings.mockup_render_attempts
        result: RenderedMockup | None = None
        gate = cpu_gate() if getattr(provider, "name", "") == "offline" else contextlib.nullcontext()
        for n in range(1, attempts + 1):
            await asyncio.to_thread(_mark, ctx.user_id, plan.mockup_id, ctx.job_id, status="generating", attempts=n)
            push.publish(ctx.user_id, Topic.MOCKUPS, job_id=ctx.job_id, status="running")
            try:
                async with gate:
                    result = await ai_log.call(
                        provider, lambda: provider.render(request), operation="mockup_render", user_id=ctx.user_id,
                        product_id=plan.source_id if plan.source_type == "product" else None,
                        input_summary=f"mockup of {plan.name[:60]} ({plan.view}) in {scene_name}",
                        operation_type=ai_log.IMAGE_GENERATION, context={"feature": "mockups", "attempt": n},
                        output=lambda r: {"kind": "image", "bytes": len(r.image), "render_id": r.render_id})
                break
            except ProviderError as err:
                if not err.retryable or n == attempts:
                    raise
                await asyncio.to_thread(_mark, ctx.user_id, plan.mockup_id, ctx.job_id, status="retrying",
                                        attempts=n, error_message=err.message)
                push.publish(ctx.user_id, Topic.MOCKUPS, job_id=ctx.job_id, status="running")
                await backoff(settings.mockup_retry_backoff_seconds * 2 ** (n - 1))
        assert result is not None
        async with cpu_gate():
            thumb = await run_cpu(imaging.make_thumbnail, result.image, settings.thumbnail_size)
        keys = await ctx.put_blobs(f"users/{ctx.user_id}/mockups/{plan.batch_id.hex}", [
            (f"mockup_{plan.mockup_id.hex[:8]}", result.image, result.content_type, result.ext),
            (f"mockup_{plan.mockup_id.hex[:8]}_thumb", thumb, "image/webp", "webp"),
        ])
        return Rendered(keys[0], keys[1], result.render_id, dict(result.metadata), n)

    def store(self, session: Session, ctx: WorkContext, plan: RenderPlan, result: Rendered) -> Stored:
        """Complete (supervised: queue for approval) or approve (autopilot) the row; record the usage.

        Raises:
            OperationError: ``not_found`` when the row was deleted meanwhile (the hold is released).
        """
        row = session.get(Mockup, plan.mockup_id)
        if row is None or row.user_id != ctx.user_id:
            raise OperationError("not_found", "This mockup was deleted.")
        price = self.price(plan)
        supervised = guardrails.approval_mode(session, ctx.user_id, "mockups") == "supervised"
        row.file_key, row.thumbnail_key = result.file_key, result.thumbnail_key
        row.dm_render_id, row.dm_metadata = result.render_id, result.metadata
        row.credits_used, row.attempts, row.error_message = price, result.attempts, None
        row.status, row.job_id, row.updated_at = ("completed" if supervised else "approved"), ctx.job_id, utcnow()
        session.add(row)
        if supervised:
            session.add(ApprovalItem(user_id=ctx.user_id, module="mockups", item_type="mockup", item_id=row.id))
        year, month = guardrails.current_period()
        session.add(MockupCreditUsage(user_id=ctx.user_id, mockup_id=row.id, amount=price, operation="generation",
                                      year=year, month=month))
        message = "The mockup is ready for your approval." if supervised else "The mockup is ready."
        return Stored(charged=price, message=message,
                      result={"mockup_id": str(row.id), "batch_id": str(row.batch_id), "status": row.status})

    def on_failure(self, session: Session, *, job: Job, plan: RenderPlan | None, message: str) -> None:
        """The row becomes ``failed`` with the reason (the hold is released by the runner)."""
        raw = plan.mockup_id if plan is not None else (job.params or {}).get("mockup_id")
        if raw is None:
            return
        session.execute(update(Mockup).where(Mockup.id == uuid.UUID(str(raw)), Mockup.status.in_(IN_FLIGHT))
                        .values(status="failed", error_message=message, job_id=job.id, updated_at=utcnow()))


__all__ = [
    "BatchSubmitted",
    "Design",
    "DesignRef",
    "MockupRow",
    "RenderMockup",
    "RenderPlan",
    "Rendered",
    "list_designs",
    "list_mockups",
    "resolve_design",
    "submit_batch",
]
