"""Measuring a model version for printing on the queue worker (issue 9 item 5; seed 003 "Print Configuration
Page"; DESIGN.md §3: mesh work is CPU work and never runs in a web process).

``MeasureModel`` (job kind ``measure_model``) is a free side operation of the held-operation runner (price 0:
nothing is held; it neither blocks nor waits for other jobs), queued once per model version
(:func:`submit_measure`, a fixed intent per version):

* ``prepare`` (submit transaction): the user's SUCCEEDED version with a GLB;
* ``work`` (queue worker): the GLB analysed (``mesh_analysis.analyse`` in a thread: extents in mm, volume in
  mm³, area in mm², watertight after repair or the reason not);
* ``store``: the measurement as JSON in ``product_3d_models.mesh_info`` (model files never change, so it is
  measured once per version).

The print page reads the stored measurement (:func:`measurement`); while there is none it queues this job
and updates by push when it ends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

from sqlmodel import Session

from genpire_app.backend.db.engine import read
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.services import models3d
from genpire_app.backend.services.mesh_analysis import MeshInfo, analyse
from genpire_app.backend.storage import BlobNotFound, get_storage

NO_FILE = "This 3D model has no file to measure yet."
FILE_GONE = "The 3D model file is not available any more."
UNREADABLE = "The 3D model file cannot be read, so it cannot be printed."


def to_json(info: MeshInfo) -> dict[str, Any]:
    """``info`` as the JSON stored in ``mesh_info`` (and in ``print_job_configs.mesh``)."""
    return {**dataclasses.asdict(info), "extents_mm": list(info.extents_mm)}


def from_json(data: dict[str, Any] | None) -> MeshInfo | None:
    """The :class:`MeshInfo` of stored JSON, or None (nothing stored, or not a measurement)."""
    if not data:
        return None
    try:
        return MeshInfo(extents_mm=tuple(float(v) for v in data["extents_mm"]),  # type: ignore[arg-type]
                        volume_mm3=float(data["volume_mm3"]), area_mm2=float(data.get("area_mm2", 0.0)),
                        triangles=int(data.get("triangles", 0)), watertight=bool(data["watertight"]),
                        repaired=bool(data.get("repaired", False)), reason=data.get("reason"))
    except (KeyError, TypeError, ValueError):
        return None


class MeasurePlan(Plan):
    """Measure model version ``model_id`` of the user (``glb_key`` filled by ``prepare``)."""

    model_id: uuid.UUID
    glb_key: str = ""


class MeasureModel(Operation[MeasurePlan, dict[str, Any]]):
    """Free, once per model version: its print measurement (see the module docstring)."""

    kind = JobKind.MEASURE_MODEL
    plan_type = MeasurePlan
    exclusive = False

    def prepare(self, session: Session, *, user_id: int, plan: MeasurePlan) -> MeasurePlan:
        """Raises ``NotFound`` (missing or another user's) or ``OperationError`` ``invalid_state`` (no GLB)."""
        model = models3d.get_owned(user_id, plan.model_id, session=session)
        if model.status != "SUCCEEDED" or "glb" not in model.model_files:
            raise OperationError("invalid_state", NO_FILE)
        return plan.model_copy(update={"glb_key": model.model_files["glb"]})

    def price(self, plan: MeasurePlan) -> int:
        """0: measuring is free."""
        return 0

    def initial_progress(self, plan: MeasurePlan) -> dict[str, str]:
        """``{"measure": "queued"}``."""
        return {"measure": "queued"}

    async def work(self, ctx: WorkContext, plan: MeasurePlan) -> dict[str, Any]:
        """The measurement as JSON (the analysis in a thread: ~0.3 s for 100,000 triangles).

        Raises:
            OperationError: ``invalid_state`` when the file left storage or cannot be read (the job fails).
        """
        await ctx.progress("measure", "running")
        try:
            data = await get_storage().get(plan.glb_key)
        except BlobNotFound as err:
            raise OperationError("invalid_state", FILE_GONE) from err
        try:
            info = await asyncio.to_thread(analyse, data)
        except ValueError as err:
            raise OperationError("invalid_state", UNREADABLE) from err
        return to_json(info)

    def store(self, session: Session, ctx: WorkContext, plan: MeasurePlan, result: dict[str, Any]) -> Stored:
        """``product_3d_models.mesh_info`` (raises ``NotFound`` when the version was deleted meanwhile)."""
        model = models3d.get_owned(ctx.user_id, plan.model_id, session=session)
        model.mesh_info = result
        session.add(model)
        return Stored(charged=0, message="The 3D model is measured for printing.",
                      result={"model_id": str(plan.model_id)})


def measure_intent(model_id: uuid.UUID) -> str:
    """The fixed intent of a version's measurement (so it is queued once)."""
    return f"measure-{model_id.hex}"


def submit_measure(*, user_id: int, model_id: uuid.UUID) -> runner.Submitted:
    """Queue the measurement of the user's model version once (the same version again returns the same job,
    whatever its status; blocking: call it in a thread).

    Raises:
        OperationError: ``not_found`` / ``invalid_state`` from ``prepare``.
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.MEASURE_MODEL.value), user_id=user_id,
                         plan=MeasurePlan(model_id=model_id), intent=measure_intent(model_id))


async def measurement(user_id: int, model_id: uuid.UUID) -> MeshInfo | None:
    """The stored measurement of the user's version, or None after queueing it (:func:`submit_measure`).

    Raises:
        OperationError: ``invalid_state`` (:data:`UNREADABLE` / :data:`FILE_GONE`) when its measurement job
            failed; ``not_found`` for another user's version.
    """
    model = await read(lambda s: models3d.get_owned(user_id, model_id, session=s))
    info = from_json(model.mesh_info)
    if info is not None:
        return info
    submitted = await asyncio.to_thread(submit_measure, user_id=user_id, model_id=model_id)
    if submitted.status.value == "failed":
        raise OperationError("invalid_state", UNREADABLE)
    return None


__all__ = ["FILE_GONE", "MeasureModel", "MeasurePlan", "NO_FILE", "UNREADABLE", "from_json", "measure_intent",
           "measurement", "submit_measure", "to_json"]
