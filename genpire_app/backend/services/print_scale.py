"""The model of an ordered print at its target size (issue 9 item 8; seed 003 "Stripe Webhook Handler":
"Triggers Final Rescaling"; DESIGN.md §12 "print rescale": keep versions, the scaled model is a new version
linked to the print order).

``PrintScale`` (job kind ``print_scale``) is a free operation of the held-operation runner (price 0: nothing
is held), queued by the Stripe webhook once a paid order with a configured print has committed
(:func:`submit_scale`, one job per order item):

* ``prepare`` (submit transaction): the user's ``ORDERED`` config and the finished model version it was
  measured on; the plan takes that version's GLB and thumbnail keys, its measured extents and the target;
* ``work`` (queue worker): the GLB scaled per axis (:func:`scale_glb`, in a thread) so that its bounding box,
  measured as ``mesh_analysis`` does, is the target (width, depth, height) in millimetres; stored with a copy
  of the thumbnail (each version owns its files, so deleting one never deletes another's);
* ``store`` (commit transaction): a NEW version of the asset (``models3d.create_version``: SUCCEEDED, not
  active, ``task_kind`` ``print-scale``, the source version's provider), ``print_job_configs.scaled_model_id``
  and ``order_items.model_id``. The asset's active model is never changed (seed 003 overwrote it and deleted
  the original; we do not).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass

import numpy as np
import trimesh
from sqlmodel import Session

from genpire_app.backend.db.commerce_models import OrderItem
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.model3d_models import ModelStatus, Product3DModel
from genpire_app.backend.db.print_models import PrintConfigStatus, PrintJobConfig
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.services import models3d
from genpire_app.backend.storage import BlobNotFound, get_storage

#: ``product_3d_models.task_kind`` of a version scaled for a print.
TASK_KIND = "print-scale"
READY = "The 3D model scaled for your print is ready."
NOT_ORDERED = "This print has not been ordered."
MODEL_GONE = "The 3D model of this print is not available any more."
GLB_TYPE = "model/gltf-binary"


class PrintScalePlan(Plan):
    """Scale the model of ordered print config ``config_id`` for order line ``order_item_id``. ``prepare``
    fills the rest: the asset, the measured model version with its GLB / thumbnail keys and provider, its
    measured ``extents_mm`` and the ``target_mm`` (both (width, depth, height) in millimetres)."""

    config_id: uuid.UUID
    order_item_id: uuid.UUID
    asset_id: uuid.UUID | None = None
    source_model_id: uuid.UUID | None = None
    glb_key: str = ""
    thumbnail_key: str | None = None
    provider: str = ""
    extents_mm: tuple[float, float, float] | None = None
    target_mm: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Scaled:
    """What ``work`` stored: the scaled GLB's key and the thumbnail copy's key (None: the source had none)."""

    glb_key: str
    thumbnail_key: str | None


def scale_glb(glb: bytes, extents_mm: tuple[float, float, float], target_mm: tuple[float, float, float]) -> bytes:
    """``glb`` scaled per axis so that a model measuring ``extents_mm`` measures ``target_mm``.

    Both sizes are (width, depth, height) in millimetres in ``mesh_analysis``'s Z-up frame, where glTF
    (metres, +Y up, front +Z) maps to X = width = x, Y = depth = -z, Z = height = y: the glTF axes are scaled
    by (width, height, depth) factors. Every mesh is baked with its node transform and the scale (normals and
    a mirrored winding follow; materials, textures and vertex colours are kept) into a scene of untransformed
    nodes, written as GLB (metres, +Y up, like the input).

    Raises:
        ValueError: a size not positive, an unreadable GLB or one without triangles.
    """
    if len(extents_mm) != 3 or len(target_mm) != 3 or not all(v > 0 for v in (*extents_mm, *target_mm)):
        raise ValueError(f"cannot scale {extents_mm} mm to {target_mm} mm")
    (w, d, h), (tw, td, th) = extents_mm, target_mm
    scale = np.diag([tw / w, th / h, td / d, 1.0])
    try:
        scene = trimesh.load(io.BytesIO(glb), file_type="glb", process=False)
    except Exception as exc:  # noqa: BLE001 - a broken file is one error
        raise ValueError(f"not a readable GLB: {exc!r}") from exc
    if not isinstance(scene, trimesh.Scene):
        scene = trimesh.Scene(scene)
    out = trimesh.Scene()
    for node in scene.graph.nodes_geometry:
        matrix, name = scene.graph[node]
        geom = scene.geometry[name]
        if not isinstance(geom, trimesh.Trimesh) or not len(geom.faces):
            continue
        part = geom.copy()
        part.apply_transform(scale @ np.asarray(matrix, dtype=np.float64))
        out.add_geometry(part, node_name=str(node), geom_name=str(node))
    if not out.geometry:
        raise ValueError("the GLB holds no triangle mesh")
    return out.export(file_type="glb")


def _prefix(user_id: int, plan: PrintScalePlan) -> str:
    return f"users/{user_id}/assets/{plan.asset_id}/prints/{plan.config_id}"


def _extension(key: str) -> str:
    ext = key.rsplit(".", 1)[-1] if "." in key else ""
    return ext if ext.isalnum() and len(ext) <= 16 else "bin"


class PrintScale(Operation[PrintScalePlan, Scaled]):
    """Free: the model version of an ordered print at its target size (see the module docstring)."""

    kind = JobKind.PRINT_SCALE
    plan_type = PrintScalePlan
    exclusive = False

    def prepare(self, session: Session, *, user_id: int, plan: PrintScalePlan) -> PrintScalePlan:
        """Raises ``OperationError``: ``not_found`` (config missing or another user's), ``invalid_state`` (not
        ordered; its measured model version was deleted or has no GLB)."""
        config = session.get(PrintJobConfig, plan.config_id)
        if config is None or config.user_id != user_id:
            raise OperationError("not_found", "This print configuration does not exist or is not yours.")
        if config.status != PrintConfigStatus.ORDERED.value:
            raise OperationError("invalid_state", NOT_ORDERED)
        model = session.get(Product3DModel, config.model_id) if config.model_id is not None else None
        extents = config.mesh.get("extents_mm")
        if (model is None or model.user_id != user_id or model.status != ModelStatus.SUCCEEDED.value
                or "glb" not in model.model_files or not extents):
            raise OperationError("invalid_state", MODEL_GONE)
        return plan.model_copy(update={
            "asset_id": config.asset_id, "source_model_id": model.id, "glb_key": model.model_files["glb"],
            "thumbnail_key": model.thumbnail_key, "provider": model.provider,
            "extents_mm": tuple(float(v) for v in extents),
            "target_mm": (config.target_width_mm, config.target_depth_mm, config.target_height_mm),
        })

    def price(self, plan: PrintScalePlan) -> int:
        """0: free (the print was paid for)."""
        return 0

    def initial_progress(self, plan: PrintScalePlan) -> dict[str, str]:
        return {"scale": "queued"}

    async def work(self, ctx: WorkContext, plan: PrintScalePlan) -> Scaled:
        """Read, scale (in a thread) and store the GLB; copy the thumbnail.

        Raises:
            OperationError: ``invalid_state`` when the GLB left storage. ValueError: an unreadable GLB.
        """
        assert plan.extents_mm is not None and plan.target_mm is not None
        await ctx.progress("scale", "running")
        storage = get_storage()
        try:
            glb = await storage.get(plan.glb_key)
        except BlobNotFound as err:
            raise OperationError("invalid_state", MODEL_GONE) from err
        scaled = await asyncio.to_thread(scale_glb, glb, plan.extents_mm, plan.target_mm)
        prefix = _prefix(ctx.user_id, plan)
        glb_key = await ctx.put_blob(prefix, "model", scaled, GLB_TYPE, "glb")
        thumbnail = None
        if plan.thumbnail_key:
            try:
                blob = await storage.get_blob(plan.thumbnail_key)
            except BlobNotFound:
                blob = None
            if blob is not None:
                thumbnail = await ctx.put_blob(prefix, "thumbnail", blob.data, blob.content_type,
                                               _extension(plan.thumbnail_key))
        await ctx.progress("scale", "done")
        return Scaled(glb_key, thumbnail)

    def store(self, session: Session, ctx: WorkContext, plan: PrintScalePlan, result: Scaled) -> Stored:
        """The new, non-active SUCCEEDED version; the config's ``scaled_model_id`` and the order item's
        ``model_id`` point at it. Raises ``NotFound`` / ``OperationError`` when the asset or the config was
        deleted meanwhile (the runner fails the job and deletes the files)."""
        assert plan.asset_id is not None
        model = models3d.create_version(session, user_id=ctx.user_id, source=models3d.Source.asset(plan.asset_id),
                                        revision_id=None, input_image_ids=[], provider=plan.provider, hold_id=None,
                                        task_kind=TASK_KIND)
        config = session.get(PrintJobConfig, plan.config_id, populate_existing=True)
        if config is None or config.user_id != ctx.user_id:
            raise OperationError("not_found", "This print configuration does not exist any more.")
        now = utcnow()
        model.status, model.progress, model.is_active = ModelStatus.SUCCEEDED.value, 100, False
        model.model_files, model.thumbnail_key = {"glb": result.glb_key}, result.thumbnail_key
        model.started_at = model.finished_at = model.updated_at = now
        session.add(model)
        config.scaled_model_id, config.updated_at = model.id, now
        session.add(config)
        item = session.get(OrderItem, plan.order_item_id)
        if item is not None and item.user_id == ctx.user_id:
            item.model_id = model.id
            session.add(item)
        return Stored(charged=0, message=READY, result={"model_id": str(model.id), "version": model.version,
                                                        "config_id": str(plan.config_id)})


def scale_intent(order_item_id: uuid.UUID) -> str:
    """The fixed intent of an order line's scale job (44 URL-safe characters), so it is submitted once."""
    return f"print-scale-{order_item_id.hex}"


def submit_scale(*, user_id: int, config_id: uuid.UUID, order_item_id: uuid.UUID,
                 intent: str | None = None) -> runner.Submitted:
    """Queue the scale job of an ordered print's order line once (the same line again returns its job, even a
    failed one; pass a fresh ``intent`` (``runner.new_intent()``) to run it again after a failure). Blocking:
    call it in a thread or after the webhook's commit.

    Raises:
        OperationError: ``not_found`` (config missing or another user's), ``invalid_state`` (not ordered, its
            model version is gone).
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.PRINT_SCALE.value), user_id=user_id,
                         plan=PrintScalePlan(config_id=config_id, order_item_id=order_item_id),
                         intent=intent or scale_intent(order_item_id))


__all__ = ["GLB_TYPE", "PrintScale", "PrintScalePlan", "READY", "Scaled", "TASK_KIND", "scale_glb", "scale_intent",
           "submit_scale"]
