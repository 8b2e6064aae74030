"""Tech Pack V2 close-ups: 6-10 detail shots of a product, each analysed, as a held operation (seed 001
"Close-Ups Generation": reserve 3 credits -> plan -> generate -> upload -> analyse each -> store in
``product_closeup_images``; issue 10 item 4; DESIGN.md §5, §7.1).

``GenerateCloseUps`` (job kind ``v2_close_ups``, ``Prices.v2_close_ups`` hundredths):

* ``prepare``: the user's product (another user's: ``not_found``, nothing held), its active revision with
  views and a base-view analysis (none: ``invalid_state`` "Analyze the base views first.").
* ``work``: plans the shots from the analyses (``v2_shots.plan_shots``), asks the V2 image provider for each
  close-up with its source view as reference (at most :data:`CONCURRENCY` at a time; every call logged in
  ``ai_operation_logs``), then makes a 256 px WebP thumbnail and the pixel analysis of each, and stores
  PNG + thumbnail through the job's write-ahead blob store. Any failure fails the whole job: the runner
  deletes the new files and releases the hold.
* ``store``: one ``product_closeup_images`` row per shot (``position`` 0.., one new ``batch_id`` per run:
  the job id), the ``close_ups`` step marked done on the V2 document; the whole hold is captured.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image
from sqlmodel import Session, select

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read, read_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.techpack_v2_models import ProductCloseupImage
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import GeneratedImage, ImageInput
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.providers.v2_images import (
    CLOSEUP_SIZE,
    CloseupRequest,
    closeup_box,
    closeup_prompt,
    region_box,
)
from genpire_app.backend.services import ai_log
from genpire_app.backend.services.v2_inputs import NOT_FOUND, inputs, load_views, mark_step, product_box
from genpire_app.backend.services.v2_shots import Shot, closeup_stats, plan_shots

#: Close-ups generated at the same time (the image service's rate limits).
CONCURRENCY = 4


class CloseUpsPlan(Plan):
    """Close-ups of ``product_id``; ``prepare`` fills ``revision_number`` (the active one) and ``category``."""

    revision_number: int | None = None
    category: str = ""


@dataclass(frozen=True)
class MadeShot:
    """One generated close-up: its shot, the detail's and the shown (crop) pixel boxes in the source view,
    keys, model and analysis."""

    shot: Shot
    region: tuple[int, int, int, int]
    crop: tuple[int, int, int, int]
    image_key: str
    thumbnail_key: str
    model: str
    analysis: dict[str, Any]


def closeups_prefix(user_id: int, product_id: uuid.UUID) -> str:
    """Storage folder of a product's close-ups."""
    return f"users/{user_id}/products/{product_id}/v2/closeups"


def _size(image: ImageInput) -> tuple[int, int]:
    with Image.open(io.BytesIO(image.data)) as img:
        return img.size


class GenerateCloseUps(Operation[CloseUpsPlan, list[MadeShot]]):
    """"Generate close-ups" of the Tech Pack V2 (see the module docstring)."""

    kind = JobKind.V2_CLOSE_UPS
    plan_type = CloseUpsPlan
    concurrent_with = frozenset({JobKind.V2_SKETCHES.value})  # both only read the views and analyses

    def prepare(self, session: Session, *, user_id: int, plan: CloseUpsPlan) -> CloseUpsPlan:
        """Raises: OperationError ``not_found`` / ``invalid_state`` (see :func:`v2_inputs.inputs`)."""
        found = inputs(session, user_id=user_id, product_id=plan.product_id, lock=True)
        return plan.model_copy(update={"revision_number": found.revision_number, "category": found.category})

    def price(self, plan: CloseUpsPlan) -> int:
        return get_settings().prices.v2_close_ups

    def initial_progress(self, plan: CloseUpsPlan) -> dict[str, str]:
        return {"plan": "queued"}

    async def work(self, ctx: WorkContext, plan: CloseUpsPlan) -> list[MadeShot]:
        """Plan, generate, thumbnail, analyse and store the close-ups.

        Raises:
            ProviderError: the image provider failed for a shot (user-safe message).
            OperationError: the product or its analysis is gone.
        """
        await ctx.progress("plan", "running")
        found = await read(lambda s: inputs(s, user_id=ctx.user_id, product_id=plan.product_id, lock=False,
                                            revision_number=plan.revision_number))
        views = await load_views(found.view_keys)
        boxes = dict(zip(views, await asyncio.gather(*(asyncio.to_thread(product_box, im.data) for im in views.values()))))
        sizes = dict(zip(views, await asyncio.gather(*(asyncio.to_thread(_size, im) for im in views.values()))))
        shots = plan_shots(found.analyses, boxes)
        await ctx.progress("plan", "done")
        provider = get_providers().v2_images
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(n: int, shot: Shot) -> GeneratedImage:
            part = f"shot_{n + 1}"
            request = CloseupRequest(
                prompt=closeup_prompt(title=shot.title, focus=shot.focus, detail=shot.detail, view=shot.source_view,
                                      region=shot.region, category=plan.category),
                view=shot.source_view, image=views[shot.source_view], region=shot.region, title=shot.title,
                focus=shot.focus, size=CLOSEUP_SIZE)
            async with gate:
                await ctx.progress(part, "running")
                out = await ai_log.call(provider, lambda: provider.closeup(request), operation="v2_close_up",
                                        user_id=ctx.user_id, product_id=ctx.product_id,
                                        input_summary=f"close-up {n + 1}: {shot.title} ({shot.source_view})",
                                        operation_type="image_generation",
                                        context={"feature": "tech_pack_v2", "view": shot.source_view})
            await ctx.progress(part, "done")
            return out

        tasks = [asyncio.ensure_future(one(n, shot)) for n, shot in enumerate(shots)]
        try:
            images = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        size = get_settings().thumbnail_size
        thumbs = await asyncio.gather(*(asyncio.to_thread(imaging.make_thumbnail, im.data, size) for im in images))
        stats = await asyncio.gather(*(asyncio.to_thread(closeup_stats, im.data, shot=shot)
                                       for im, shot in zip(images, shots)))
        blobs: list[tuple[str, bytes, str, str]] = []
        for n, (im, thumb) in enumerate(zip(images, thumbs)):
            blobs += [(f"closeup_{n + 1}", im.data, "image/png", "png"), (f"closeup_{n + 1}_thumb", thumb, "image/webp", "webp")]
        assert plan.product_id is not None
        keys = await ctx.put_blobs(closeups_prefix(ctx.user_id, plan.product_id), blobs)
        return [MadeShot(shot, region_box(shot.region, *sizes[shot.source_view]),
                         closeup_box(shot.region, *sizes[shot.source_view]), keys[2 * n], keys[2 * n + 1], im.model,
                         {**st, "model": im.model, "notes": list(im.notes)})
                for n, (shot, im, st) in enumerate(zip(shots, images, stats))]

    def store(self, session: Session, ctx: WorkContext, plan: CloseUpsPlan, result: list[MadeShot]) -> Stored:
        """Insert the batch's rows and capture the hold.

        Raises:
            OperationError: ``not_found`` when the product was deleted meanwhile.
        """
        assert plan.product_id is not None and plan.revision_number is not None
        if repo.owned_product(session, user_id=ctx.user_id, product_id=plan.product_id) is None:
            raise OperationError("not_found", NOT_FOUND)
        batch = ctx.job_id.hex
        now = utcnow()
        for position, made in enumerate(result):
            shot = made.shot
            session.add(ProductCloseupImage(
                user_id=ctx.user_id, product_idea_id=plan.product_id, revision_number=plan.revision_number,
                batch_id=batch, position=position, image_key=made.image_key, thumbnail_key=made.thumbnail_key,
                shot_metadata={"title": shot.title, "focus": shot.focus, "detail": shot.detail,
                               "source_view": shot.source_view, "region": list(made.region), "crop": list(made.crop),
                               "region_fraction": [round(v, 4) for v in shot.region], "model": made.model},
                analysis_data=made.analysis, created_at=now,
            ))
        mark_step(session, product_id=plan.product_id, revision_number=plan.revision_number, step="close_ups",
                  at=now.isoformat())
        return Stored(charged=self.price(plan), message=f"{len(result)} close-ups are ready.",
                      result={"batch_id": batch, "count": len(result)})


# --------------------------------------------------------------------------------------------- entry points


def start_close_ups(user_id: int, product_id: uuid.UUID, intent: str) -> runner.Submitted:
    """"Generate close-ups" (blocking: call it in a thread): holds ``Prices.v2_close_ups`` and queues
    :class:`GenerateCloseUps`. The same ``intent`` again returns the same job; a new intent makes a new batch.

    Raises:
        OperationError: ``not_found``, ``invalid_state`` (no analysis), ``busy``, ``insufficient_credits``;
            nothing is held then.
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.V2_CLOSE_UPS.value), user_id=user_id,
                         plan=CloseUpsPlan(product_id=product_id), intent=intent)


@dataclass(frozen=True)
class CloseUp:
    """One close-up for the UI: keys, position, what it shows, where (``region``: the detail, ``crop``: the area
    shown, pixels ``(x0, y0, x1, y1)`` of the source view) and its analysis JSON."""

    id: uuid.UUID
    position: int
    image_key: str
    thumbnail_key: str | None
    title: str
    focus: str
    source_view: str
    region: tuple[int, ...]
    crop: tuple[int, ...]
    analysis: dict[str, Any]


@dataclass(frozen=True)
class CloseUpBatch:
    """The newest close-up batch of a product: its id, revision, time (UTC) and shots in order."""

    batch_id: str
    revision_number: int
    created_at: datetime
    shots: tuple[CloseUp, ...]


def latest_close_ups(user_id: int, product_id: uuid.UUID) -> CloseUpBatch | None:
    """The product's newest close-up batch, or None (none yet, or not the user's product). Blocking."""
    with read_session() as s:
        newest = s.exec(select(ProductCloseupImage).where(
            ProductCloseupImage.product_idea_id == product_id, ProductCloseupImage.user_id == user_id,
        ).order_by(ProductCloseupImage.created_at.desc(), ProductCloseupImage.position)).first()
        if newest is None:
            return None
        rows = s.exec(select(ProductCloseupImage).where(
            ProductCloseupImage.product_idea_id == product_id, ProductCloseupImage.user_id == user_id,
            ProductCloseupImage.batch_id == newest.batch_id).order_by(ProductCloseupImage.position)).all()
    shots = tuple(CloseUp(
        id=r.id, position=r.position, image_key=r.image_key, thumbnail_key=r.thumbnail_key,
        title=str(r.shot_metadata.get("title", "")), focus=str(r.shot_metadata.get("focus", "")),
        source_view=str(r.shot_metadata.get("source_view", "")),
        region=tuple(int(v) for v in r.shot_metadata.get("region", ())),
        crop=tuple(int(v) for v in r.shot_metadata.get("crop", ())), analysis=dict(r.analysis_data),
    ) for r in rows)
    return CloseUpBatch(newest.batch_id, newest.revision_number, newest.created_at, shots)


__all__ = ["CONCURRENCY", "CloseUp", "CloseUpBatch", "CloseUpsPlan", "GenerateCloseUps", "MadeShot", "closeups_prefix",
           "latest_close_ups", "start_close_ups"]
