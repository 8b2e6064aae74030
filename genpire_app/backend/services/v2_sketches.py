"""Tech Pack V2 technical sketches: front, back and side line drawings with callouts and measurements, as a
held operation (seed 001 "Technical Sketches": reserve 3 credits -> for each view: prompt -> line drawing ->
upload -> callout data -> store in ``product_tech_sketches``; issue 10 item 5; DESIGN.md §5, §7.1).

``GenerateSketches`` (job kind ``v2_sketches``, ``Prices.v2_sketches`` hundredths):

* ``prepare``: the user's product (another user's: ``not_found``, nothing held) with a front, back and side view
  in its active revision and a base-view analysis (none: ``invalid_state`` "Analyze the base views first.").
* ``work``: the V2 image provider draws each view as black lines on white, concurrently (logged in
  ``ai_operation_logs``). Then, for each drawing, WE add the annotations as vectors (``exports/sketch_svg``):
  numbered callouts pointing at the centres of the parts the view's analysis located (construction,
  hardware, labels; materials at the part their component names, else on the product), moved from the
  product's box in the view to its box in the drawing, and dimension lines for width (depth for the side)
  and height from ``dimensions_mm`` (the view's analysis, else the front's). White is added around a drawing
  when the annotations need room. Stores the PNG and the SVG (drawing + ``callouts`` + ``dimensions``
  layers) through the job's write-ahead blob store.
* ``store``: three ``product_tech_sketches`` rows (one ``batch_id`` per run: the job id) with the callouts
  and measurements JSON in drawing pixels, the ``sketches`` step marked done; the whole hold is captured.
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

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read, read_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.techpack_v2_models import ProductTechSketch
from genpire_app.backend.exports.sketch_svg import (
    annotation_padding,
    callout_svg,
    dimension_lines,
    layout_callouts,
    sketch_svg,
)
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import GeneratedImage
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.providers.v2_images import Region, SketchRequest, sketch_prompt
from genpire_app.backend.services import ai_log
from genpire_app.backend.services.v2_inputs import (
    NOT_FOUND,
    centre,
    ink_box,
    inputs,
    load_views,
    map_region,
    mark_step,
    matching_region,
    product_box,
    region_of,
)

SKETCH_VIEWS = ("front", "back", "side")
MISSING_VIEWS = "A front view is needed for technical sketches."
MAX_CALLOUTS = 8
#: Points of the product's box (fractions of it) for materials whose part is not located.
_MATERIAL_POINTS = ((0.5, 0.62), (0.32, 0.8), (0.68, 0.35), (0.5, 0.9))


class SketchesPlan(Plan):
    """Sketches of ``product_id``; ``prepare`` fills ``revision_number`` (the active one) and ``category``."""

    revision_number: int | None = None
    category: str = ""
    #: The views drawn: front, back and side, those the product has (a product started from photos may lack
    #: some); front is required.
    views: tuple[str, ...] = SKETCH_VIEWS


@dataclass(frozen=True)
class MadeSketch:
    """One annotated sketch: view, PNG and SVG keys, size (px), callouts and measurements, model."""

    view: str
    image_key: str
    svg_key: str
    width: int
    height: int
    callouts: list[dict[str, Any]]
    measurements: list[dict[str, Any]]
    model: str


def sketches_prefix(user_id: int, product_id: uuid.UUID) -> str:
    """Storage folder of a product's technical sketches."""
    return f"users/{user_id}/products/{product_id}/v2/sketches"


def callout_items(analysis: dict[str, Any], *, located: bool) -> list[tuple[str, str, Region | None]]:
    """``(label, kind, region or None)`` of what a sketch points at, in order: construction, hardware, labels
    (with a region, only when ``located``: the regions are this view's), then materials (at the part their
    component names, else None); at most :data:`MAX_CALLOUTS`, labels not repeated."""
    items: list[tuple[str, str, Region | None]] = []
    if located:
        for key, kind, name in (("construction", "construction", "feature"), ("hardware", "hardware", "item"),
                                ("labels", "label", "type")):
            for item in analysis.get(key) or []:
                if isinstance(item, dict) and item.get(name) and (region := region_of(item)) is not None:
                    label = str(item[name])
                    items.append((label if kind != "label" or "label" in label.lower() else f"{label} label", kind, region))
    for item in analysis.get("materials") or []:
        if isinstance(item, dict) and item.get("name"):
            component = str(item.get("component") or "")
            label = f"{component}: {item['name']}" if component else str(item["name"])
            items.append((label, "material", matching_region(component, analysis) if located else None))
    seen: set[str] = set()
    unique = [i for i in items if not (i[0].lower() in seen or seen.add(i[0].lower()))]
    return unique[:MAX_CALLOUTS]


def _dims(analyses: dict[str, dict[str, Any]], view: str) -> dict[str, float]:
    for source in (analyses.get(view) or {}, analyses.get("front") or {}, *analyses.values()):
        dims = source.get("dimensions_mm")
        if isinstance(dims, dict) and any(isinstance(v, (int, float)) and v > 0 for v in dims.values()):
            return {k: float(v) for k, v in dims.items() if isinstance(v, (int, float))}
    return {}


def annotate(view: str, drawing_png: bytes, view_png: bytes, analyses: dict[str, dict[str, Any]]) -> tuple[bytes, str, int, int, list[dict[str, Any]], list[dict[str, Any]]]:
    """Pad a drawing for its annotations and lay them out (see the module docstring). Blocking: call it in a
    thread. Returns ``(png, svg, width, height, callouts, measurements)``."""
    with Image.open(io.BytesIO(drawing_png)) as img:
        drawing = img.convert("L")
    ink = ink_box(drawing)
    source = product_box(view_png)
    w, h = drawing.size
    box = (ink[0] * w, ink[1] * h, ink[2] * w, ink[3] * h)
    left, top, right, bottom = annotation_padding(w, h, box)
    if left or top or right or bottom:
        canvas = Image.new("L", (w + left + right, h + top + bottom), 255)
        canvas.paste(drawing, (left, top))
        drawing, box = canvas, (box[0] + left, box[1] + top, box[2] + left, box[3] + top)
    width, height = drawing.size
    own = analyses.get(view)
    items = callout_items(own or analyses.get("front") or next(iter(analyses.values()), {}), located=own is not None)
    points = iter(_MATERIAL_POINTS * 3)
    anchors: list[tuple[str, str, tuple[float, float]]] = []
    for label, kind, region in items:
        if region is not None:
            fx, fy = centre(map_region(region, source, ink))
            anchors.append((label, kind, (left + fx * w, top + fy * h)))
        else:
            px, py = next(points)
            anchors.append((label, kind, (box[0] + px * (box[2] - box[0]), box[1] + py * (box[3] - box[1]))))
    callouts = layout_callouts(width, height, box, anchors)
    dims = _dims(analyses, view)
    across = ("depth", dims.get("depth", 0.0)) if view == "side" else ("width", dims.get("width", 0.0))
    measurements = dimension_lines(width, height, box, across=across, tall=dims.get("height"))
    buf = io.BytesIO()
    drawing.save(buf, "PNG", optimize=True)
    png = buf.getvalue()
    return png, sketch_svg(png, width, height, callouts, measurements), width, height, callouts, measurements


class GenerateSketches(Operation[SketchesPlan, list[MadeSketch]]):
    """"Generate sketches" of the Tech Pack V2 (see the module docstring)."""

    kind = JobKind.V2_SKETCHES
    plan_type = SketchesPlan
    concurrent_with = frozenset({JobKind.V2_CLOSE_UPS.value})  # both only read the views and analyses

    def prepare(self, session: Session, *, user_id: int, plan: SketchesPlan) -> SketchesPlan:
        """Raises: OperationError ``not_found`` / ``invalid_state`` (see :func:`v2_inputs.inputs`; a missing
        front view is ``invalid_state`` too). The plan draws those of front, back and side the product has."""
        found = inputs(session, user_id=user_id, product_id=plan.product_id, lock=True)
        if "front" not in found.view_keys:
            raise OperationError("invalid_state", MISSING_VIEWS)
        views = tuple(view for view in SKETCH_VIEWS if view in found.view_keys)
        return plan.model_copy(update={"revision_number": found.revision_number, "category": found.category,
                                       "views": views})

    def price(self, plan: SketchesPlan) -> int:
        return get_settings().prices.v2_sketches

    def initial_progress(self, plan: SketchesPlan) -> dict[str, str]:
        return {view: "queued" for view in plan.views}

    async def work(self, ctx: WorkContext, plan: SketchesPlan) -> list[MadeSketch]:
        """Draw, annotate and store the sketches (front, and back and side when the product has them).

        Raises:
            ProviderError: the image provider failed for a view (user-safe message).
            OperationError: the product, its views or its analysis are gone.
        """
        found = await read(lambda s: inputs(s, user_id=ctx.user_id, product_id=plan.product_id, lock=False,
                                            revision_number=plan.revision_number))
        views = await load_views(found.view_keys, plan.views)
        if any(view not in views for view in plan.views):
            raise OperationError("invalid_state", MISSING_VIEWS)
        provider = get_providers().v2_images

        async def one(view: str) -> GeneratedImage:
            analysis = found.analyses.get(view) or {}
            features = tuple(str(i.get("feature")) for i in analysis.get("construction") or [] if isinstance(i, dict) and i.get("feature"))
            request = SketchRequest(prompt=sketch_prompt(view=view, category=plan.category, features=features),
                                    view=view, image=views[view])
            await ctx.progress(view, "running")
            out = await ai_log.call(provider, lambda: provider.sketch(request), operation="v2_sketch",
                                    user_id=ctx.user_id, product_id=ctx.product_id, input_summary=f"{view} sketch",
                                    operation_type="image_generation", context={"feature": "tech_pack_v2", "view": view})
            await ctx.progress(view, "done")
            return out

        tasks = [asyncio.ensure_future(one(view)) for view in plan.views]
        try:
            drawings = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        made = await asyncio.gather(*(asyncio.to_thread(annotate, view, d.data, views[view].data, found.analyses)
                                      for view, d in zip(plan.views, drawings)))
        blobs: list[tuple[str, bytes, str, str]] = []
        for view, (png, svg, *_rest) in zip(plan.views, made):
            blobs += [(f"sketch_{view}", png, "image/png", "png"), (f"sketch_{view}", svg.encode(), "image/svg+xml", "svg")]
        assert plan.product_id is not None
        keys = await ctx.put_blobs(sketches_prefix(ctx.user_id, plan.product_id), blobs)
        return [MadeSketch(view, keys[2 * n], keys[2 * n + 1], w, h, callouts, measurements, d.model)
                for n, (view, d, (_png, _svg, w, h, callouts, measurements)) in enumerate(zip(plan.views, drawings, made))]

    def store(self, session: Session, ctx: WorkContext, plan: SketchesPlan, result: list[MadeSketch]) -> Stored:
        """Insert the three rows and capture the hold.

        Raises:
            OperationError: ``not_found`` when the product was deleted meanwhile.
        """
        assert plan.product_id is not None and plan.revision_number is not None
        if repo.owned_product(session, user_id=ctx.user_id, product_id=plan.product_id) is None:
            raise OperationError("not_found", NOT_FOUND)
        batch, now = ctx.job_id.hex, utcnow()
        for made in result:
            session.add(ProductTechSketch(
                user_id=ctx.user_id, product_idea_id=plan.product_id, revision_number=plan.revision_number,
                batch_id=batch, view_type=made.view, image_key=made.image_key, svg_key=made.svg_key,
                width_px=made.width, height_px=made.height, callouts=made.callouts, measurements=made.measurements,
                created_at=now,
            ))
        mark_step(session, product_id=plan.product_id, revision_number=plan.revision_number, step="sketches",
                  at=now.isoformat())
        return Stored(charged=self.price(plan), message="The front, back and side sketches are ready.",
                      result={"batch_id": batch, "count": len(result)})


# --------------------------------------------------------------------------------------------- entry points


def start_sketches(user_id: int, product_id: uuid.UUID, intent: str) -> runner.Submitted:
    """"Generate sketches" (blocking: call it in a thread): holds ``Prices.v2_sketches`` and queues
    :class:`GenerateSketches`. The same ``intent`` again returns the same job.

    Raises:
        OperationError: ``not_found``, ``invalid_state``, ``busy``, ``insufficient_credits``; nothing is held.
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.V2_SKETCHES.value), user_id=user_id,
                         plan=SketchesPlan(product_id=product_id), intent=intent)


@dataclass(frozen=True)
class Sketch:
    """One technical sketch for the UI: view, PNG and SVG keys, size (px), callouts and measurements (drawing
    pixels; see ``ProductTechSketch``)."""

    id: uuid.UUID
    view_type: str
    image_key: str
    svg_key: str | None
    width_px: int
    height_px: int
    callouts: tuple[dict[str, Any], ...]
    measurements: tuple[dict[str, Any], ...]

    @property
    def overlay_svg(self) -> str:
        """The callouts and dimensions alone, to lay over the PNG (``exports.sketch_svg.callout_svg``)."""
        return callout_svg(self.width_px, self.height_px, list(self.callouts), list(self.measurements))


@dataclass(frozen=True)
class SketchSet:
    """The newest sketch batch of a product: its id, revision, time (UTC) and sketches (front, back, side)."""

    batch_id: str
    revision_number: int
    created_at: datetime
    sketches: tuple[Sketch, ...]


def latest_sketches(user_id: int, product_id: uuid.UUID) -> SketchSet | None:
    """The product's newest sketch batch, or None (none yet, or not the user's product). Blocking."""
    with read_session() as s:
        mine = (ProductTechSketch.product_idea_id == product_id, ProductTechSketch.user_id == user_id)
        newest = s.exec(select(ProductTechSketch).where(*mine).order_by(ProductTechSketch.created_at.desc())).first()
        if newest is None:
            return None
        rows = s.exec(select(ProductTechSketch).where(*mine, ProductTechSketch.batch_id == newest.batch_id)).all()
    order = {v: i for i, v in enumerate(SKETCH_VIEWS)}
    sketches = tuple(Sketch(r.id, r.view_type, r.image_key, r.svg_key, r.width_px, r.height_px, tuple(r.callouts),
                            tuple(r.measurements)) for r in sorted(rows, key=lambda r: order.get(r.view_type, 9)))
    return SketchSet(newest.batch_id, newest.revision_number, newest.created_at, sketches)


__all__ = ["GenerateSketches", "MISSING_VIEWS", "MadeSketch", "SKETCH_VIEWS", "Sketch", "SketchSet", "SketchesPlan",
           "annotate", "callout_items", "latest_sketches", "sketches_prefix", "start_sketches"]
