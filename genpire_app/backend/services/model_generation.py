"""3D model generation and its file exports as held operations on the runner (issue 8 items 1, 3 and 9).

``Generate3D`` ("Generate 3D (10 credits)"): holds ``Prices.model_3d`` (1000 hundredths = 10 credits;
DESIGN.md §12 "price 10, held at start"), sends the product's active front, back, side and top views to the
3D provider (Meshy or the offline reconstruction; DESIGN.md §6) and records version N of the source in
``product_3d_models`` with the provider's task id. The job then ends, but the hold stays **pending**
(``Stored.settle_later``): the Meshy webhook, the status check or the expiry sweep settles it exactly once
when the task ends (capture on SUCCEEDED, release otherwise; DESIGN.md §7.1, §8). The hold's lifetime is
``model_task_expire_seconds + 600`` s so the credits sweep never releases it before the 3D expiry does.
A provider error in ``work`` fails the job: the runner releases the hold and no version row exists.

``ModelExports``: free side work run once per model (deterministic intent): converts the model's GLB into
every other format of ``exports.mesh_formats.FORMATS`` on the queue worker and records the keys in the row's
``model_files`` (issue 8 item 9: "conversions run on the queue once and are cached in storage").

Collections: a collection's model is made from the views of its first product (``position`` order).

Size: the request carries the product's real size (:func:`product_dimensions_mm`: its newest tech pack's
Width/Depth/Height, else the dimensions estimated from the approved front view, which seed the tech pack),
so the offline reconstruction comes out in millimetres that match the tech pack.
"""

from __future__ import annotations

import asyncio
import base64
import io
import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read
from genpire_app.backend.db.model3d_models import CollectionProduct, Product3DModel
from genpire_app.backend.db.models import Job, ProductMultiviewRevision, ProductTechPack
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import ACTIVE_STATUSES, JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.model3d import ModelRequest
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import models3d
from genpire_app.backend.services.views import mime_of
from genpire_app.backend.storage import get_storage

#: Views sent to the provider, in this order (the offline provider reads them by position).
INPUT_VIEWS: tuple[str, ...] = ("front", "back", "side", "top")
#: Views the product must have before a 3D model can be made (the five of an approved product).
REQUIRED_VIEWS: tuple[str, ...] = ("front", "back", "side", "top", "bottom")
#: Seconds the hold outlives the 3D expiry (``model_task_expire_seconds``).
HOLD_MARGIN_SECONDS = 600

BUSY_PRODUCT = "A 3D model is already being generated for this product."
BUSY_COLLECTION = "A 3D model is already being generated for this collection."
STARTED = "3D model started: you will be notified when it is ready."


class Generate3DPlan(Plan):
    """Generate a 3D model of a product (``product_id``) or a collection (``collection_id``).

    ``source_type``: "product" or "collection". ``prepare`` fills ``product_id`` (a collection's first
    product), ``revision_id`` (the active front-view row) and ``input_image_ids`` (the view rows sent, in
    :data:`INPUT_VIEWS` order).
    """

    collection_id: uuid.UUID | None = None
    source_type: str = "product"
    revision_id: uuid.UUID | None = None
    input_image_ids: tuple[str, ...] = ()
    dimensions_mm: tuple[float, float, float] | None = None

    def source(self) -> models3d.Source:
        """The model's source (raises ``OperationError`` for an unknown ``source_type``)."""
        if self.source_type == "collection":
            if self.collection_id is None:
                raise OperationError("invalid_input", "Choose a collection.")
            return models3d.Source.collection(self.collection_id)
        if self.product_id is None:
            raise OperationError("invalid_input", "Choose a product.")
        return models3d.Source(self.source_type, self.product_id)


@dataclass(frozen=True)
class Started:
    """A task the provider accepted: its id, the provider's name and the task kind."""

    task_id: str
    provider: str
    task_kind: str


def source_busy(session: Session, user_id: int, source: models3d.Source, kind: JobKind = JobKind.MODEL_3D) -> bool:
    """Whether a model of ``source`` is PENDING/IN_PROGRESS, or another generation job (``kind``) of it is
    queued/running (its plan names the source in ``source.column``: ``product_id``, ``collection_id``,
    ``asset_id``)."""
    open_model = session.exec(
        select(Product3DModel.id).where(source.column_filter(), Product3DModel.status.in_(models3d.OPEN_STATUSES))
    ).first()
    if open_model is not None:
        return True
    jobs = session.exec(
        select(Job).where(Job.user_id == user_id, Job.kind == str(kind), Job.status.in_(ACTIVE_STATUSES))
    ).all()
    key = source.column
    return any(
        job.params.get("source_type") == source.kind and job.params.get(key) == str(source.id)
        for job in jobs
    )


def _first_product(session: Session, collection_id: uuid.UUID) -> uuid.UUID:
    first = session.exec(
        select(CollectionProduct.product_id)
        .where(CollectionProduct.collection_id == collection_id)
        .order_by(CollectionProduct.position, CollectionProduct.product_id)
    ).first()
    if first is None:
        raise OperationError("invalid_state", "Add a product to this collection before generating a 3D model.")
    return first


def _input_rows(session: Session, product_id: uuid.UUID) -> list[ProductMultiviewRevision]:
    """The active front, back, side and top rows of an approved product with all five views.

    Raises:
        OperationError: ``invalid_state`` when the front view is not approved or a view is missing.
    """
    if not any(a.status in ("approved", "completed") for a in repo.approvals(session, product_id=product_id)):
        raise OperationError("invalid_state", "Approve the front view before generating a 3D model.")
    rows = {r.view_type: r for r in repo.active_revision(session, product_id=product_id)}
    missing = [v for v in REQUIRED_VIEWS if v not in rows]
    if missing:
        names = ", ".join(v.capitalize() for v in missing)
        raise OperationError("invalid_state", f"All five views must be ready before generating a 3D model; "
                                              f"missing: {names}. Generate them on the product page first.")
    return [rows[v] for v in INPUT_VIEWS]


def _tech_pack_size(data: dict) -> tuple[float, float, float] | None:
    """(width, depth, height) mm from a tech pack's first size with Width, Depth and Height measurements."""
    for size in data.get("dimensions") or ():
        values = {str(m.get("name", "")).lower(): m.get("value_mm") for m in size.get("measurements") or ()}
        dims = tuple(values.get(k) for k in ("width", "depth", "height"))
        if all(isinstance(v, (int, float)) and v > 0 for v in dims):
            return tuple(float(v) for v in dims)  # type: ignore[return-value]
    return None


def product_dimensions_mm(session: Session, product_id: uuid.UUID) -> tuple[float, float, float] | None:
    """The product's real size ``(width, depth, height)`` in millimetres, or None when unknown.

    The newest tech pack (active first) that lists Width, Depth and Height; else the front view's extracted
    ``estimated_dimensions`` of the approved iteration (seed 000 §3 Phase 3 step 1), which seed the tech
    pack's measurements.
    """
    packs = session.exec(
        select(ProductTechPack.tech_pack_data).where(ProductTechPack.product_idea_id == product_id)
        .order_by(ProductTechPack.is_active.desc(), ProductTechPack.created_at.desc())
    ).all()
    for data in packs:
        size = _tech_pack_size(data or {})
        if size is not None:
            return size
    approved = [a for a in repo.approvals(session, product_id=product_id) if a.status in ("approved", "completed")]
    est = ((approved[-1].extracted_features if approved else None) or {}).get("estimated_dimensions") or {}
    dims = tuple(est.get(k) for k in ("width_mm", "depth_mm", "height_mm"))
    return tuple(float(v) for v in dims) if all(isinstance(v, (int, float)) and v > 0 for v in dims) else None  # type: ignore[return-value]


def data_uri(data: bytes, mime: str) -> str:
    """A base64 data URI of a PNG or JPEG (other formats are converted to PNG)."""
    if mime not in ("image/png", "image/jpeg"):
        from PIL import Image

        out = io.BytesIO()
        with Image.open(io.BytesIO(data)) as image:
            image.convert("RGBA").save(out, format="PNG")
        data, mime = out.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class Generate3D(Operation[Generate3DPlan, Started]):
    """"Generate 3D" / "Regenerate" of a product or collection (see the module docstring)."""

    kind = JobKind.MODEL_3D
    plan_type = Generate3DPlan
    exclusive = False  # the product stays editable while the provider works

    def prepare(self, session: Session, *, user_id: int, plan: Generate3DPlan) -> Generate3DPlan:
        """Owner check (product or collection locked), approved product with five views, not busy.

        Raises:
            OperationError: ``not_found`` (missing or another user's), ``invalid_state`` (not approved, views
                missing, empty collection), ``busy`` (a model of this source is being generated).
        """
        source = plan.source()
        if source.kind == "collection":
            models3d.lock_source(session, source, user_id)
            product_id = _first_product(session, source.id)
        else:
            product_id = source.id
        if repo.lock_product(session, user_id=user_id, product_id=product_id) is None:
            raise OperationError("not_found", "This product does not exist or is not yours.")
        rows = _input_rows(session, product_id)
        if source_busy(session, user_id, source):
            raise OperationError("busy", BUSY_COLLECTION if source.kind == "collection" else BUSY_PRODUCT)
        return plan.model_copy(update={
            "product_id": product_id, "revision_id": rows[0].id, "input_image_ids": tuple(str(r.id) for r in rows),
            "dimensions_mm": product_dimensions_mm(session, product_id),
        })

    def price(self, plan: Generate3DPlan) -> int:
        """``Prices.model_3d`` hundredths (1000 = 10 credits; DESIGN.md §12)."""
        return get_settings().prices.model_3d

    def hold_ttl_seconds(self, plan: Generate3DPlan) -> int | None:
        """``model_task_expire_seconds + 600`` seconds: the 3D expiry releases the hold first."""
        return get_settings().model_task_expire_seconds + HOLD_MARGIN_SECONDS

    def initial_progress(self, plan: Generate3DPlan) -> dict[str, str]:
        return {"model": "queued"}

    async def input_uris(self, plan: Generate3DPlan) -> list[str]:
        """The images sent to the provider as data URIs: the plan's view rows in :data:`INPUT_VIEWS` order.
        Raises ``OperationError`` ``conflict`` when a view row disappeared. Subclasses send other images
        (``services.asset_models``: one concept image)."""
        ids = [uuid.UUID(i) for i in plan.input_image_ids]
        rows = await read(lambda s: [s.get(ProductMultiviewRevision, i) for i in ids])
        if any(r is None for r in rows):
            raise OperationError("conflict", "The product's views changed; please try again.")
        storage = get_storage()
        return [data_uri(await storage.get(r.image_key), mime_of(r.image_key)) for r in rows]  # type: ignore[union-attr]

    async def work(self, ctx: WorkContext, plan: Generate3DPlan) -> Started:
        """Send :meth:`input_uris` to the provider (``ModelProvider.start``). Raises ``ProviderError`` (the
        runner fails the job and releases the hold) or ``OperationError`` when an input disappeared."""
        await ctx.progress("model", "running")
        uris = await self.input_uris(plan)
        provider = get_providers().model
        request = ModelRequest(image_urls=tuple(uris), dimensions_mm=plan.dimensions_mm)
        task_id = await provider.start(request)
        await ctx.progress("model", "started")
        return Started(task_id=task_id, provider=provider.name, task_kind=request.kind)

    def store(self, session: Session, ctx: WorkContext, plan: Generate3DPlan, result: Started) -> Stored:
        """Version N (PENDING) with the task id and the job's hold; the hold stays pending (settle later)."""
        job = session.get(Job, ctx.job_id)
        model = models3d.create_version(
            session, user_id=ctx.user_id, source=plan.source(), revision_id=plan.revision_id,
            input_image_ids=list(plan.input_image_ids), provider=result.provider,
            hold_id=job.hold_id if job is not None else None, task_kind=result.task_kind,
        )
        models3d.attach_task(model.id, provider_task_id=result.task_id, task_kind=result.task_kind, session=session)
        return Stored(charged=0, settle_later=True, message=STARTED,
                      result={"model_id": str(model.id), "version": model.version})


def start(*, user_id: int, source: models3d.Source, intent: str) -> runner.Submitted:
    """Submit a 3D generation of ``source`` for ``user_id`` (blocking: call it in a thread).

    ``intent``: the button's intent token (``runner.new_intent``); the same intent returns the same job.

    Raises:
        OperationError: refused (not found, not approved, busy, insufficient credits): nothing is held.
    """
    from genpire_app.backend.services import operations

    if source.kind == "collection":
        plan = Generate3DPlan(collection_id=source.id, source_type="collection")
    else:
        plan = Generate3DPlan(product_id=source.id, source_type="product")
    return runner.submit(operations.get(JobKind.MODEL_3D.value), user_id=user_id, plan=plan, intent=intent)


# ----------------------------------------------------------------------------------------------- exports


class ModelExportsPlan(Plan):
    """Convert the GLB of model ``model_id`` into the other formats; ``prepare`` fills ``product_id``."""

    model_id: uuid.UUID


def export_formats() -> tuple[str, ...]:
    """Formats the exports job produces: every ``mesh_formats.FORMATS`` entry but ``glb`` (stored already)."""
    from genpire_app.backend.exports.mesh_formats import FORMATS

    return tuple(f for f in FORMATS if f != "glb")


def models_prefix(user_id: int, model_id: uuid.UUID) -> str:
    """Storage folder of a model's files: ``users/<user>/models/<model id>``."""
    return f"users/{user_id}/models/{model_id}"


def _convert_all(glb: bytes, formats: tuple[str, ...]) -> list[tuple[str, bytes, str, str]]:
    from genpire_app.backend.exports.mesh_formats import convert

    out = []
    for fmt in formats:
        data, content_type, ext = convert(glb, fmt)
        ext = ext.rsplit(".", 1)[-1]  # "obj.zip" -> "zip" (storage extensions have no dot)
        out.append((fmt, data, content_type, ext))
    return out


class ModelExports(Operation[ModelExportsPlan, dict[str, str]]):
    """Free, once per model: every export format of a SUCCEEDED model, cached in storage."""

    kind = JobKind.MODEL_EXPORTS
    plan_type = ModelExportsPlan
    exclusive = False

    def prepare(self, session: Session, *, user_id: int, plan: ModelExportsPlan) -> ModelExportsPlan:
        """Raises ``NotFound`` (missing or another user's) or ``OperationError`` ``invalid_state`` (no GLB)."""
        model = models3d.get_owned(user_id, plan.model_id, session=session)
        if model.status != "SUCCEEDED" or "glb" not in model.model_files:
            raise OperationError("invalid_state", "This 3D model has no file to convert yet.")
        return plan.model_copy(update={"product_id": model.product_id})

    def price(self, plan: ModelExportsPlan) -> int:
        return 0

    def initial_progress(self, plan: ModelExportsPlan) -> dict[str, str]:
        return {"exports": "queued"}

    async def work(self, ctx: WorkContext, plan: ModelExportsPlan) -> dict[str, str]:
        """``{format: storage key}`` of the converted files (conversions in a thread).

        Raises:
            NotFound: the model was deleted. ValueError: an unreadable GLB (the job fails).
        """
        await ctx.progress("exports", "running")
        model = await read(lambda s: models3d.get_owned(ctx.user_id, plan.model_id, session=s))
        missing = tuple(f for f in export_formats() if f not in model.model_files)
        if not missing:
            return {}
        glb = await get_storage().get(model.model_files["glb"])
        converted = await asyncio.to_thread(_convert_all, glb, missing)
        blobs = [(f"model_v{model.version}_{fmt}", data, ctype, ext) for fmt, data, ctype, ext in converted]
        keys = await ctx.put_blobs(models_prefix(ctx.user_id, plan.model_id), blobs)
        return {fmt: key for (fmt, *_), key in zip(converted, keys)}

    def store(self, session: Session, ctx: WorkContext, plan: ModelExportsPlan, result: dict[str, str]) -> Stored:
        """Add the keys to the row's ``model_files`` (raises ``NotFound`` when the row was deleted
        meanwhile: the runner fails the job and deletes the files)."""
        model = models3d.get_owned(ctx.user_id, plan.model_id, session=session)
        if result:
            model.model_files = {**model.model_files, **result}
            session.add(model)
        return Stored(charged=0, message="The 3D model files are ready.",
                      result={"formats": sorted(model.model_files)})


def exports_intent(model_id: uuid.UUID) -> str:
    """The fixed intent of a model's exports job (40 URL-safe characters), so it is submitted once."""
    return f"exports-{model_id.hex}"


def submit_exports(*, user_id: int, model_id: uuid.UUID) -> None:
    """Queue the exports of the user's model once (same model, same job; blocking: call it in a thread).

    Raises:
        OperationError: ``not_found`` (missing or another user's), ``invalid_state`` (no GLB yet).
    """
    from genpire_app.backend.services import operations

    runner.submit(operations.get(JobKind.MODEL_EXPORTS.value), user_id=user_id,
                  plan=ModelExportsPlan(model_id=model_id), intent=exports_intent(model_id))


__all__ = [
    "BUSY_COLLECTION", "BUSY_PRODUCT", "Generate3D", "Generate3DPlan", "INPUT_VIEWS", "ModelExports",
    "ModelExportsPlan", "Started", "export_formats", "exports_intent", "models_prefix", "start", "submit_exports",
]
