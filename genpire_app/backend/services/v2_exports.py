"""Tech Pack V2 exports: the PDF and the Excel workbook of a product's V2 document, with its per-view analyses,
close-ups and technical sketches, rendered on the queue worker (issue 10 item 7: "The PDF and Excel exports
gain the sketches (vector, from the SVG layers), the close-ups and the per-view analyses"; DESIGN.md §7.1).

``ExportV2`` (job kind ``v2_export``, free, side work: it neither blocks nor waits for the product's other jobs):

* ``prepare``: the user's product (another user's: ``not_found``) with views and a base-view analysis in its
  active revision (none: ``invalid_state`` "Analyze the base views first.").
* ``work``: reads the revision's V2 document, its view images and the newest close-up and sketch batches made
  for that revision or an earlier one (a later revision's are left out), renders ``exports/v2_pdf`` and ``exports/v2_xlsx`` in
  threads and stores both through the job's write-ahead blob store.
* ``store``: ``steps["exports"] = {"status": "done", "at", "revision_number", "pdf": key, "xlsx": key}`` on the
  revision's document, under the product's row lock (lock order: product first, as ``v2_document``); charges 0.

:func:`latest_exports` gives the keys of the active revision's files; downloads are signed links to them.
Each run stores new files (the keys of the previous run are replaced, their files are left in storage).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlmodel import Session

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read, read_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.exports.v2_content import ExportCloseUp, ExportSketch, V2Export
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.services.techpacks import FORMATS
from genpire_app.backend.services.v2_closeups import latest_close_ups
from genpire_app.backend.services.v2_inputs import NOT_FOUND, document, inputs
from genpire_app.backend.services.v2_sketches import latest_sketches
from genpire_app.backend.storage import BlobNotFound, get_storage

STEP = "exports"


class ExportPlan(Plan):
    """Exports of ``product_id``; ``prepare`` fills ``revision_number`` (the active one)."""

    revision_number: int | None = None


def exports_prefix(user_id: int, product_id: uuid.UUID) -> str:
    """Storage folder of a product's V2 exports."""
    return f"users/{user_id}/products/{product_id}/v2/exports"


def export_filename(product_name: str, revision_number: int, fmt: str) -> str:
    """Download name: "Canvas Tote" r2 pdf -> ``Canvas_Tote_TechPackV2_r2.pdf``."""
    stem = "_".join("".join(c if c.isalnum() else " " for c in product_name).split()) or "Product"
    return f"{stem}_TechPackV2_r{revision_number}.{fmt}"


async def _blob(key: str | None) -> bytes:
    if not key:
        return b""
    try:
        return await get_storage().get(key)
    except BlobNotFound:  # a missing file becomes a "not available" box, never a failed export
        return b""


async def gather_export(user_id: int, product_id: uuid.UUID, revision_number: int | None = None) -> V2Export:
    """What the exports of the user's product show (its active revision, or ``revision_number``), with the
    image bytes loaded.

    Raises:
        OperationError: ``not_found`` / ``invalid_state`` (see :func:`v2_inputs.inputs`).
    """
    def load(s: Session) -> tuple[Any, ...]:
        found = inputs(s, user_id=user_id, product_id=product_id, lock=False, revision_number=revision_number)
        product = repo.owned_product(s, user_id=user_id, product_id=product_id)
        doc = document(s, product_id=product_id, revision_number=found.revision_number)
        assert product is not None and doc is not None  # inputs() checked both
        return (found, product.name, doc.category, doc.subcategory, float(doc.category_confidence),
                dict(doc.fields), dict(doc.views))

    found, name, category, subcategory, confidence, fields, views = await read(load)
    number = found.revision_number
    close_ups, sketches = await asyncio.gather(asyncio.to_thread(latest_close_ups, user_id, product_id),
                                               asyncio.to_thread(latest_sketches, user_id, product_id))
    # the newest batches, made for this revision or an earlier one (a view regenerated since does not make the
    # close-ups and sketches of the other views useless; the step is marked out of date on the page)
    shots = close_ups.shots if close_ups is not None and close_ups.revision_number <= number else ()
    drawings = sketches.sketches if sketches is not None and sketches.revision_number <= number else ()
    view_images = dict(zip(found.view_keys, await asyncio.gather(*(_blob(k) for k in found.view_keys.values()))))
    shot_images = await asyncio.gather(*(_blob(shot.image_key) for shot in shots))
    sketch_images = await asyncio.gather(*(_blob(sketch.image_key) for sketch in drawings))
    return V2Export(
        product_name=name, product_id=str(product_id), revision_number=number, generated_at=utcnow(),
        category=category, subcategory=subcategory, category_confidence=confidence, fields=fields,
        views={v: e for v, e in views.items() if isinstance(e, dict) and isinstance(e.get("fields"), dict)},
        view_images={v: data for v, data in view_images.items() if data},
        close_ups=[ExportCloseUp(shot.title, shot.focus, shot.source_view, data, dict(shot.analysis))
                   for shot, data in zip(shots, shot_images)],
        sketches=[ExportSketch(sk.view_type, data, sk.width_px, sk.height_px, list(sk.callouts), list(sk.measurements))
                  for sk, data in zip(drawings, sketch_images)],
    )


class ExportV2(Operation[ExportPlan, dict[str, str]]):
    """"Export PDF / Excel" of the Tech Pack V2 (see the module docstring)."""

    kind = JobKind.V2_EXPORT
    plan_type = ExportPlan
    exclusive = False  # side work: reads the document, never blocks the steps

    def prepare(self, session: Session, *, user_id: int, plan: ExportPlan) -> ExportPlan:
        """Raises: OperationError ``not_found`` / ``invalid_state`` (see :func:`v2_inputs.inputs`)."""
        found = inputs(session, user_id=user_id, product_id=plan.product_id, lock=False)
        return plan.model_copy(update={"revision_number": found.revision_number})

    def price(self, plan: ExportPlan) -> int:
        return 0

    def initial_progress(self, plan: ExportPlan) -> dict[str, str]:
        return {"pdf": "queued", "xlsx": "queued"}

    async def work(self, ctx: WorkContext, plan: ExportPlan) -> dict[str, str]:
        """Render and store both files; returns ``{"pdf": key, "xlsx": key}``.

        Raises:
            OperationError: the product, its views or its analysis are gone.
        """
        from genpire_app.backend.exports.v2_pdf import render_v2_pdf
        from genpire_app.backend.exports.v2_xlsx import render_v2_xlsx

        assert plan.product_id is not None
        export = await gather_export(ctx.user_id, plan.product_id, plan.revision_number)
        await ctx.progress("pdf", "running")
        pdf = await asyncio.to_thread(render_v2_pdf, export)
        await ctx.progress("pdf", "done")
        await ctx.progress("xlsx", "running")
        xlsx = await asyncio.to_thread(render_v2_xlsx, export)
        await ctx.progress("xlsx", "done")
        name = f"techpack_v2_r{export.revision_number}"
        blobs = [(name, pdf, FORMATS["pdf"], "pdf"), (name, xlsx, FORMATS["xlsx"], "xlsx")]
        pdf_key, xlsx_key = await ctx.put_blobs(exports_prefix(ctx.user_id, plan.product_id), blobs)
        return {"pdf": pdf_key, "xlsx": xlsx_key}

    def store(self, session: Session, ctx: WorkContext, plan: ExportPlan, result: dict[str, str]) -> Stored:
        """Record the keys on the revision's document.

        Raises:
            OperationError: ``not_found`` when the product or its document was deleted meanwhile.
        """
        assert plan.product_id is not None and plan.revision_number is not None
        if repo.lock_product(session, user_id=ctx.user_id, product_id=plan.product_id) is None:
            raise OperationError("not_found", NOT_FOUND)
        doc = document(session, product_id=plan.product_id, revision_number=plan.revision_number)
        if doc is None:
            raise OperationError("not_found", NOT_FOUND)
        doc.steps = {**(doc.steps or {}), STEP: {"status": "done", "at": utcnow().isoformat(),
                                                 "revision_number": plan.revision_number, **result}}
        session.add(doc)
        return Stored(charged=0, message="The PDF and Excel files are ready.",
                      result={**result, "revision_number": plan.revision_number})


# --------------------------------------------------------------------------------------------- entry points


def start_exports(user_id: int, product_id: uuid.UUID, intent: str) -> runner.Submitted:
    """"Export" (blocking: call it in a thread): queues :class:`ExportV2` (free). The same ``intent`` again
    returns the same job.

    Raises:
        OperationError: ``not_found``, ``invalid_state`` ("Analyze the base views first.").
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.V2_EXPORT.value), user_id=user_id,
                         plan=ExportPlan(product_id=product_id), intent=intent)


def latest_exports(user_id: int, product_id: uuid.UUID) -> dict[str, str] | None:
    """``{"pdf": key, "xlsx": key}`` of the newest export of the active revision of the user's product, or None
    (never exported, exported for another revision only, or not the user's product). Blocking."""
    with read_session() as s:
        if repo.owned_product(s, user_id=user_id, product_id=product_id) is None:
            return None
        number = repo.active_revision_number(s, product_id=product_id)
        doc = document(s, product_id=product_id, revision_number=number) if number is not None else None
        step = (doc.steps or {}).get(STEP) if doc is not None else None
    if not isinstance(step, dict) or step.get("status") != "done" or not step.get("pdf") or not step.get("xlsx"):
        return None
    if step.get("revision_number") != number:  # carried over to a newer revision's document: not its files
        return None
    return {"pdf": str(step["pdf"]), "xlsx": str(step["xlsx"])}


__all__ = ["ExportPlan", "ExportV2", "STEP", "export_filename", "exports_prefix", "gather_export", "latest_exports",
           "start_exports"]
