"""Quick 3D "Generate 3D Model" of an asset: one image -> a 3D model version of the asset (seed 003 §2
"Asset Page", §4 "Generation", §5 "Credit Logic"; DESIGN.md §4 ``product_3d_models.source_type`` asset,
§12 "quick 3D: first model attempt free, regenerate 1").

``GenerateAssetModel`` (job kind ``asset_model``) is :class:`~.model_generation.Generate3D` with another
source and input; the runner lifecycle, the deferred settlement and the provider call are shared:

* ``prepare`` (web side, submit transaction): locks the user's asset (``not_found`` for another user's) and
  picks the ONE image sent to the provider (:func:`input_image_key`). Allowed statuses:
  ``CONCEPTS_GENERATED``, ``COMPLETED`` and ``FAILED``; and ``GENERATING_MODEL`` only for a skip-concept asset
  that never had a model (``model_attempts == 0``: the dashboard's "Skip Concept" creates it in that status).
  ``busy`` while a model of the asset is PENDING / IN_PROGRESS or another such job is queued / running.
* ``price``: 0 for the asset's first model attempt (``model_attempts == 0``: no hold at all, the runner holds
  nothing for a price of 0), else ``Prices.quick_model`` (100 hundredths = 1 credit).
* ``work``: sends the image as a data URI, ``ModelRequest(image_urls=(uri,))`` -> ``image-to-3d`` (Meshy) or
  the offline front-only reconstruction (``reconstruct3d.reconstruct``).
* ``store``: version N of the asset (``models3d.create_version``, source asset, the job's hold or None),
  ``model_attempts + 1``, status ``GENERATING_MODEL``, ``error`` cleared. The hold stays pending.
* the end: ``model_webhook.settle`` (webhook, status check, expiry sweep; exactly once) captures or releases
  the hold and moves the asset to ``COMPLETED`` (thumbnail from the model when it has none) or ``FAILED``
  with a user-safe error, in the transaction of the model's terminal transition (:func:`finish_asset`).

Text-mode skip-concept assets have no image: they are modelled from their first concept when they have
concepts, else refused (``invalid_state``, :data:`NO_IMAGE`); the image model makes no 3D from text here.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Stored, WorkContext
from genpire_app.backend.services import assets, models3d
from genpire_app.backend.services.model_generation import Generate3D, Generate3DPlan, Started, data_uri, source_busy
from genpire_app.backend.services.views import mime_of
from genpire_app.backend.storage import BlobNotFound, get_storage

BUSY = "A 3D model is already being generated for this asset."
NO_CONCEPT = "Select a concept before generating a 3D model."
NO_IMAGE = "This asset has no image to build a 3D model from. Generate concepts first."
NOT_NOW = "A 3D model cannot be generated for this asset now."
IMAGE_GONE = "The image of this asset is not available any more."
#: ``assets.error`` after a failed, canceled or expired model (user-safe; the provider's reason stays on the model).
MODEL_FAILED = "The 3D model could not be generated. You can try again."
MODEL_EXPIRED = "The 3D service did not answer in time. You can try again."

#: Statuses from which a model can be (re)generated (seed 003 §4; GENERATING_MODEL: see :func:`input_image_key`).
READY_STATUSES = (AssetStatus.CONCEPTS_GENERATED.value, AssetStatus.COMPLETED.value, AssetStatus.FAILED.value)


class AssetModelPlan(Generate3DPlan):
    """Generate a 3D model of quick-3D asset ``asset_id``. ``prepare`` fills ``image_key`` (the storage key of
    the one image sent) and ``amount`` (hundredths held: 0 or ``Prices.quick_model``)."""

    source_type: str = "asset"
    asset_id: uuid.UUID
    image_key: str = ""
    amount: int = 0

    def source(self) -> models3d.Source:
        """The asset as the model's source."""
        return models3d.Source.asset(self.asset_id)


def input_image_key(asset: Asset) -> str:
    """The storage key of the image a model of ``asset`` is made from (seed 003 §4 "Concept View & Selection",
    "Skip Concept Checkbox"): the selected concept; for a skip-concept asset without a selection, the uploaded
    image (image mode), else its first concept.

    Raises:
        OperationError: ``invalid_state`` with :data:`NO_CONCEPT` (concepts but none selected) or
            :data:`NO_IMAGE` (a text skip-concept asset without concepts).
    """
    keys = asset.concept_keys or []
    if asset.selected_concept is not None and asset.selected_concept < len(keys):
        return keys[asset.selected_concept]
    if asset.skip_concept:
        if asset.mode == "image" and asset.input_image_key:
            return asset.input_image_key
        if keys:
            return keys[0]
        raise OperationError("invalid_state", NO_IMAGE)
    raise OperationError("invalid_state", NO_CONCEPT)


def model_price(asset: Asset | assets.AssetRow) -> int:
    """Hundredths of a credit the next model of ``asset`` costs: 0 for its first attempt, else
    ``Prices.quick_model`` (100; seed 003 §5, DESIGN.md §12)."""
    return 0 if asset.model_attempts == 0 else get_settings().prices.quick_model


class GenerateAssetModel(Generate3D):
    """"Generate 3D Model" / "Regenerate" of a quick-3D asset (see the module docstring)."""

    kind = JobKind.ASSET_MODEL
    plan_type = AssetModelPlan

    def prepare(self, session: Session, *, user_id: int, plan: AssetModelPlan) -> AssetModelPlan:  # type: ignore[override]
        """Lock and check the asset, pick its image, set the price.

        Raises:
            OperationError: ``not_found`` (missing or another user's), ``busy`` (a model of it is being made),
                ``invalid_state`` (status, no concept selected, no image). Nothing is held then.
        """
        asset = assets.owned(session, user_id=user_id, asset_id=plan.asset_id, lock=True)
        source = plan.source()
        if source_busy(session, user_id, source, JobKind.ASSET_MODEL):
            raise OperationError("busy", BUSY)
        first_skip = (
            asset.status == AssetStatus.GENERATING_MODEL.value and asset.skip_concept and asset.model_attempts == 0
        )
        if asset.status not in READY_STATUSES and not first_skip:
            raise OperationError("busy" if asset.status == AssetStatus.GENERATING_MODEL.value else "invalid_state",
                                 BUSY if asset.status == AssetStatus.GENERATING_MODEL.value else NOT_NOW)
        return plan.model_copy(update={"image_key": input_image_key(asset), "amount": model_price(asset)})

    def price(self, plan: AssetModelPlan) -> int:  # type: ignore[override]
        """0 (first attempt) or ``Prices.quick_model`` hundredths, as set by ``prepare``."""
        return plan.amount

    async def input_uris(self, plan: AssetModelPlan) -> list[str]:  # type: ignore[override]
        """The one image as a data URI. Raises ``OperationError`` ``invalid_input`` when it left storage."""
        try:
            data = await get_storage().get(plan.image_key)
        except BlobNotFound as err:
            raise OperationError("invalid_input", IMAGE_GONE) from err
        return [data_uri(data, mime_of(plan.image_key))]

    def store(self, session: Session, ctx: WorkContext, plan: AssetModelPlan, result: Started) -> Stored:  # type: ignore[override]
        """Version N of the asset (PENDING, the job's hold), ``model_attempts + 1``, status
        ``GENERATING_MODEL``. Raises ``NotFound`` when the asset was deleted meanwhile (the job fails and the
        hold is released)."""
        stored = super().store(session, ctx, plan, result)
        asset = models3d.lock_source(session, plan.source(), ctx.user_id)
        asset.model_attempts += 1
        asset.status = AssetStatus.GENERATING_MODEL.value
        asset.error = None
        asset.updated_at = utcnow()
        session.add(asset)
        return stored


    def on_failure(self, session: Session, *, job, plan: AssetModelPlan | None, message: str) -> None:  # type: ignore[override]
        """A job that failed before any model version existed (e.g. the image left storage): a skip-concept
        asset still waiting for its first model becomes ``FAILED`` with the reason, so it does not wait forever;
        other assets never left their status (``store`` moves them)."""
        if plan is None:
            return
        asset = session.get(Asset, plan.asset_id, populate_existing=True)
        if asset is not None and asset.status == AssetStatus.GENERATING_MODEL.value and asset.model_attempts == 0:
            asset.status, asset.error, asset.updated_at = AssetStatus.FAILED.value, message, utcnow()
            session.add(asset)


def finish_asset(session: Session, model: Product3DModel) -> None:
    """Move the asset of a model that just became terminal to ``COMPLETED`` (SUCCEEDED; the model's thumbnail
    becomes the asset's when it has none) or ``FAILED`` (FAILED / CANCELED / EXPIRED, with
    :data:`MODEL_FAILED` or :data:`MODEL_EXPIRED` in ``error``), in the caller's transaction. Called once per
    model by ``model_webhook.settle``; a model of another source, or a deleted asset, changes nothing."""
    if model.asset_id is None:
        return
    asset = session.get(Asset, model.asset_id, populate_existing=True)
    if asset is None:
        return
    if model.status == "SUCCEEDED":
        asset.status, asset.error = AssetStatus.COMPLETED.value, None
        if not asset.thumbnail_key and model.thumbnail_key:
            asset.thumbnail_key = model.thumbnail_key
    else:
        asset.status = AssetStatus.FAILED.value
        asset.error = MODEL_EXPIRED if model.status == "EXPIRED" else MODEL_FAILED
    asset.updated_at = utcnow()
    session.add(asset)


def start_model(user_id: int, asset_id: uuid.UUID, intent: str) -> runner.Submitted:
    """The asset page's "Generate 3D Model" / "Regenerate" (blocking: call it in a thread). Holds nothing for
    the first attempt, ``Prices.quick_model`` (1 credit) afterwards, and queues :class:`GenerateAssetModel`.

    ``intent``: the button's intent token (``runner.new_intent``); the same intent returns the same job.

    Raises:
        OperationError: ``not_found``, ``busy``, ``invalid_state``, ``insufficient_credits``: nothing is held.
    """
    from genpire_app.backend.services import operations

    plan = AssetModelPlan(asset_id=asset_id)
    return runner.submit(operations.get(JobKind.ASSET_MODEL.value), user_id=user_id, plan=plan, intent=intent)


def start_direct(user_id: int, *, prompt: str, style_id: uuid.UUID | None, input_image_key: str | None,
                 intent: str) -> uuid.UUID:
    """The dashboard's "Generate" with "Skip concept" (seed 003 §2 "Skip Concept Checkbox", §4 step 5): an
    image-mode asset straight to its 3D model, no concepts (blocking: call it in a thread). Creates the asset
    in ``GENERATING_MODEL`` and queues its first model attempt, which is free. Returns the asset id.

    A refused model submit (e.g. the staged image is gone) leaves the asset ``FAILED`` with the reason, so
    the user sees why and can retry from its page.

    Raises:
        OperationError: ``invalid_input`` (prompt, image, style; or text mode: a model is made from a picture,
            so skipping the concepts needs an image). Nothing is created then.
    """
    if not input_image_key:
        raise OperationError("invalid_input", "Skipping the concepts needs an image: upload one in "
                                              "\"Image to Model\", or untick \"Skip concept\".")
    row = assets.create(user_id, mode="image", prompt=prompt, style_id=style_id, input_image_key=input_image_key,
                        skip_concept=True)
    try:
        start_model(user_id, row.id, intent)
    except OperationError as err:
        from genpire_app.backend.db.engine import write_session

        with write_session() as s:
            asset = assets.owned(s, user_id=user_id, asset_id=row.id, lock=True)
            asset.status, asset.error, asset.updated_at = AssetStatus.FAILED.value, err.message, utcnow()
            s.add(asset)
    return row.id


__all__ = [
    "AssetModelPlan", "BUSY", "GenerateAssetModel", "MODEL_EXPIRED", "MODEL_FAILED", "NO_CONCEPT", "NO_IMAGE",
    "finish_asset", "input_image_key", "model_price", "start_direct", "start_model",
]
