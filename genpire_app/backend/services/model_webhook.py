"""Finishing 3D tasks: the Meshy webhook, the "Check Generation Status" button and the expiry of tasks that
never come back (issue 8 items 3-5; DESIGN.md §5, §8, §12).

One path for all three: the provider's task is (re-)fetched with ``ModelProvider.get`` from the provider
that made it (:func:`model_provider` of the row's ``provider``) and :func:`apply`d. A webhook payload is only
a hint: it names the task, nothing else of it is trusted (DESIGN.md §8). The expiry sweep
(``services.model_expiry``) asks the provider too before expiring a stale model, so a model whose webhook
was lost is finished, not expired.

:func:`apply`, in order:

1. when the task SUCCEEDED and the model is still open, the GLB (and the thumbnail, if any) are downloaded
   with ``provider.download(url, max_bytes=settings.max_model_bytes)`` and stored in our storage under
   ``users/<user>/models/<model id>/`` with content-addressed keys (``storage.content_key``), *before* the
   transaction: no network wait holds a database lock. Concurrent deliveries may each store the same bytes;
   the keys name the bytes, so they write the same key and the loser's copy is the winner's file, harmless.
2. ONE write transaction: ``models3d.advance`` (never backwards; exactly one caller gets ``became_terminal``),
   then, only for that caller, ``credits.capture`` (SUCCEEDED, ``prices.model_3d``; an asset's model
   ``prices.quick_model``, or nothing for its free first attempt) or ``credits.release`` (FAILED / CANCELED),
   an asset's COMPLETED / FAILED status (``asset_models.finish_asset``), the "3D model ready" / "3D model
   failed" notification, and ``handled_at`` of the delivery's ``external_events`` row. So a hold is settled exactly once whatever the number and order of
   deliveries, status checks and sweeps.
3. after the commit: push to the user's tabs (``Topic.PRODUCT``, plus ``BALANCE`` and ``NOTIFICATIONS`` when
   terminal) and, on success, ``model_generation.submit_exports`` (the conversions run on the queue).

Units: prices and holds in hundredths of a credit; progress in percent; sizes in bytes; times UTC.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.external_models import ExternalEvent
from genpire_app.backend.db.model3d_models import TERMINAL_STATUSES, Collection, ModelStatus, Product3DModel
from genpire_app.backend.db.models import CreditHold, ProductIdea
from genpire_app.backend.db.quick3d_models import Asset
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.meshy import parse_task
from genpire_app.backend.providers.model3d import MULTI_IMAGE, ModelProvider, ModelTask
from genpire_app.backend.services import credits, models3d, notifications
from genpire_app.backend.services.external_events import Delivery, record, record_event
from genpire_app.backend.storage import content_key, get_storage

log = logging.getLogger(__name__)

SOURCE = "meshy"
GALLERY_LINK = "/3d-models"
#: Shown when the provider that made a model cannot be used (:func:`model_provider`).
MSG_PROVIDER_UNAVAILABLE = "The 3D service that made this model is not available right now."
#: Image types accepted as a thumbnail, by magic bytes: (prefix, extension, content type).
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png", "image/png"), (b"\xff\xd8\xff", "jpg", "image/jpeg"))


class WrongSecret(Exception):
    """The secret path segment of the webhook URL is wrong (HTTP 404: the route does not exist for the caller;
    DESIGN.md §8, issue 8 item 4)."""


class UnknownTask(Exception):
    """No model has this provider task id (yet): HTTP 404, so Meshy retries (seed 002; issue 8 item 4)."""


class InvalidPayload(ValueError):
    """The webhook body is not a task object with an ``id`` and a known ``status`` (HTTP 400)."""


@dataclass(frozen=True)
class ModelView:
    """A 3D model version as the API and the pages show it (detached from any session).

    Attributes:
        id, version, status (``ModelStatus`` value), progress (percent), is_active.
        source_type: ``product`` | ``collection`` | ``asset``; source_id: that row's id.
        formats: formats stored so far (``glb`` first, then exports), as keys of ``model_files``.
        has_thumbnail: whether a thumbnail is stored.
        error: a user-safe sentence for FAILED / CANCELED / EXPIRED, else None (the provider's own
            ``task_error`` is kept for logs, never shown: it is not guaranteed user-safe).
        created_at, finished_at: UTC.
    """

    id: uuid.UUID
    source_type: str
    source_id: uuid.UUID
    version: int
    status: str
    progress: int
    is_active: bool
    formats: tuple[str, ...]
    has_thumbnail: bool
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, model: Product3DModel) -> ModelView:
        """The view of a model row."""
        source = models3d.Source.of(model)
        formats = sorted(model.model_files, key=lambda f: (f != "glb", f))
        return cls(
            id=model.id, source_type=source.kind, source_id=source.id, version=model.version, status=model.status,
            progress=model.progress, is_active=model.is_active, formats=tuple(formats),
            has_thumbnail=bool(model.thumbnail_key), error=_safe_error(model), created_at=model.created_at,
            finished_at=model.finished_at,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ids as strings, times ISO 8601)."""
        return {
            "id": str(self.id), "source_type": self.source_type, "source_id": str(self.source_id),
            "version": self.version, "status": self.status, "progress": self.progress, "is_active": self.is_active,
            "formats": list(self.formats), "has_thumbnail": self.has_thumbnail, "error": self.error,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def _safe_error(model: Product3DModel) -> str | None:
    if model.status == ModelStatus.EXPIRED.value:
        return "The 3D service did not answer in time."
    if model.status == ModelStatus.FAILED.value:
        return "The 3D service could not make this model."
    if model.status == ModelStatus.CANCELED.value:
        return "The 3D task was canceled."
    return None


def model_provider(name: str) -> ModelProvider:
    """The provider that made (and so finishes) tasks of provider ``name`` (``meshy`` | ``offline``, the
    ``provider`` column of ``product_3d_models``; issue 8 item 3).

    The configured 3D provider (``providers.registry.get_providers().model``) when its ``name`` is ``name``;
    otherwise that other provider is built from the settings: the offline provider always, the Meshy client
    only when ``MESHY_API_KEY`` is set (``MESHY_ASSET_HOSTS``, ``PROVIDER_TIMEOUT_SECONDS``,
    ``PROVIDER_MAX_RETRIES`` as in the registry). So a model started before the configuration changed is
    still fetched from the provider that made it. Tests replace this function.

    Raises:
        ProviderError: ``name`` is not a known provider, or its provider cannot be built (Meshy without an
            API key); the message is user-safe, the reason is in ``detail``.
    """
    from genpire_app.backend.providers.registry import get_providers

    configured = get_providers().model  # type: ignore[attr-defined]
    if getattr(configured, "name", None) == name:
        return configured
    return _build_provider(name)


def _build_provider(name: str) -> ModelProvider:
    """A fresh provider ``name`` built from the settings (see :func:`model_provider`)."""
    if name == "offline":
        from genpire_app.backend.providers.offline.model_provider import OfflineModelProvider

        return OfflineModelProvider()
    if name == "meshy":
        settings = get_settings()
        key = (settings.meshy_api_key or "").strip()
        if not key:
            raise ProviderError(MSG_PROVIDER_UNAVAILABLE, provider=name,
                                detail="the model was made by Meshy but MESHY_API_KEY is not set")
        from genpire_app.backend.providers.meshy import MeshyClient

        return MeshyClient(key, allowed_hosts=settings.meshy_asset_host_list,
                           timeout_s=settings.provider_timeout_seconds, max_retries=settings.provider_max_retries)
    raise ProviderError(MSG_PROVIDER_UNAVAILABLE, provider=str(name)[:40], detail=f"unknown 3D provider {name!r}")


# ------------------------------------------------------------------------------------------------ webhook


def check_secret(secret: str) -> None:
    """Compare the URL's secret with ``settings.meshy_webhook_secret_value()`` in constant time.

    Raises:
        WrongSecret: when they differ (also for an empty secret).
    """
    expected = get_settings().meshy_webhook_secret_value().encode()
    if not secret or not hmac.compare_digest(secret.encode("utf-8", "replace"), expected):
        raise WrongSecret()


def _hint(payload: Any) -> ModelTask:
    try:
        return parse_task(payload, kind=MULTI_IMAGE)  # the kind is a placeholder: the row's kind is used to re-fetch
    except (ValueError, TypeError) as err:
        raise InvalidPayload(f"not a 3D task object: {err}") from None


async def handle_delivery(secret: str, payload: dict[str, Any]) -> str:
    """Handle one Meshy webhook delivery (issue 8 item 4; DESIGN.md §8). Returns ``"ok"``.

    Checks the secret, finds the model of the task, re-fetches the task from the provider that made it
    (``model_provider(model.provider)``; the payload is never trusted) and :func:`apply`\\ s it, recording the
    delivery (source ``meshy``, external id ``"<task id>:<status>:<progress>"``, once) in the same
    transaction; a delivery whose re-fetch or apply failed is recorded on its own, unhandled. Nothing is
    re-fetched for a model that is already finished (it never changes again; the delivery is recorded as
    handled): Meshy's late retries cost one write, no GET. A duplicate of an open model's delivery is
    re-fetched (the provider may have been behind its own webhook the first time).

    Raises:
        WrongSecret: wrong secret (404). InvalidPayload: no task id or an unknown status (400).
        UnknownTask: no model has this task id (404; Meshy retries). ProviderError: the re-fetch or a
        download failed (the route answers 503 so the delivery is retried).
    """
    check_secret(secret)
    hint = _hint(payload)
    model = await asyncio.to_thread(models3d.find_by_task, hint.id)
    if model is None:
        raise UnknownTask(hint.id)
    delivery = Delivery(SOURCE, f"{hint.id}:{hint.status.value}:{hint.progress}", dict(payload))
    if model.status in TERMINAL_STATUSES:
        await asyncio.to_thread(record_event, delivery.source, delivery.external_id, delivery.payload, handled=True)
        return "ok"
    try:
        task = await model_provider(model.provider).get(hint.id, kind=model.task_kind)
        await apply(model, task, delivery=delivery)
    except Exception:
        await asyncio.to_thread(record_event, delivery.source, delivery.external_id, delivery.payload)
        raise
    return "ok"


# -------------------------------------------------------------------------------------------------- apply


def _thumbnail_type(data: bytes) -> tuple[str, str] | None:
    for magic, ext, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return ext, content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


async def _store_files(model: Product3DModel, task: ModelTask, provider: ModelProvider) -> tuple[dict[str, str], str | None, str | None]:
    """Download and store the GLB and thumbnail; returns (model_files, thumbnail key, failure reason)."""
    max_bytes = get_settings().max_model_bytes
    url = task.model_urls.get("glb")
    if not url:
        return {}, None, "the 3D provider returned no GLB file"
    glb = await provider.download(url, max_bytes=max_bytes)
    if glb[:4] != b"glTF":
        return {}, None, "the 3D provider returned a file that is not a GLB"
    prefix = f"users/{model.user_id}/models/{model.id}"
    storage = get_storage()
    glb_key = content_key(prefix, "model", glb, "glb")
    await storage.put(glb_key, glb, "model/gltf-binary")
    thumbnail_key = None
    if task.thumbnail_url:
        try:
            image = await provider.download(task.thumbnail_url, max_bytes=max_bytes)
        except Exception:  # noqa: BLE001 - a missing preview never fails a finished model
            log.warning("thumbnail of 3D task %s could not be downloaded", task.id, exc_info=True)
            image = b""
        kind = _thumbnail_type(image)
        if kind is not None:
            thumbnail_key = content_key(prefix, "thumbnail", image, kind[0])
            await storage.put(thumbnail_key, image, kind[1])
    return {"glb": glb_key}, thumbnail_key, None


def _source_name(session: Session, model: Product3DModel) -> str:
    if model.asset_id is not None:
        asset = session.get(Asset, model.asset_id)
        prompt = (asset.prompt or "").strip() if asset is not None else ""
        return f"“{prompt[:40]}{'…' if len(prompt) > 40 else ''}”" if prompt else "your asset"
    if model.product_id is not None:
        row = session.get(ProductIdea, model.product_id)
    else:
        row = session.get(Collection, model.collection_id)
    return row.name if row is not None else "your product"


def _link(model: Product3DModel) -> str:
    """Where a notification about ``model`` leads: the asset page (quick 3D) or the 3D gallery."""
    return f"/assets/{model.asset_id}" if model.asset_id is not None else GALLERY_LINK


def settle(session: Session, transition: models3d.Transition) -> None:
    """For the caller whose :func:`models3d.advance` made the model terminal (``became_terminal``): capture
    (SUCCEEDED: ``prices.model_3d`` for products and collections, ``prices.quick_model`` for assets; at most
    the hold) or release the hold, move an asset's status to COMPLETED / FAILED
    (``asset_models.finish_asset``), and notify the owner, all in the caller's transaction, so exactly once.
    A model without a hold (an asset's free first attempt, price 0) settles nothing. Does nothing for any
    other transition. DESIGN.md §5, §12; seed 003 §4, §5."""
    if not transition.became_terminal:
        return
    from genpire_app.backend.services.asset_models import finish_asset

    model = transition.model
    name = _source_name(session, model)
    finish_asset(session, model)
    hold = session.get(CreditHold, model.hold_id) if model.hold_id else None
    if transition.succeeded:
        if hold is not None:
            prices = get_settings().prices
            price = prices.quick_model if model.asset_id is not None else prices.model_3d
            credits.capture(hold_id=hold.id, amount=min(price, hold.amount), session=session)
        notifications.notify(session, user_id=model.user_id, type="model_ready", title="3D model ready",
                             message=f"Version {model.version} of the 3D model of {name} is ready.", link=_link(model))
        return
    refund = ""
    if hold is not None and credits.release(hold_id=hold.id, session=session):
        refund = f" Your {format_credits(hold.amount)} {'was' if hold.amount == 100 else 'were'} returned."
    notifications.notify(session, user_id=model.user_id, type="model_failed", title="3D model failed",
                         message=f"Version {model.version} of the 3D model of {name}: {_safe_error(model)}{refund}",
                         link=_link(model))


def publish(transition: models3d.Transition) -> None:
    model = transition.model
    topics = [Topic.PRODUCT] + ([Topic.BALANCE, Topic.NOTIFICATIONS] if transition.became_terminal else [])
    push.publish(model.user_id, *topics, product_id=model.product_id or model.collection_id or model.asset_id,
                 status=model.status)


def _submit_exports(model: Product3DModel) -> None:
    try:
        from genpire_app.backend.services import model_generation

        model_generation.submit_exports(user_id=model.user_id, model_id=model.id)
    except Exception:  # noqa: BLE001 - the model is stored; exports can be asked for again
        log.exception("exports of 3D model %s could not be queued", model.id)
    if model.asset_id is not None:  # a quick-3D model can be printed: measure it now, not when the page opens
        try:
            from genpire_app.backend.services import model_measure

            model_measure.submit_measure(user_id=model.user_id, model_id=model.id)
        except Exception:  # noqa: BLE001 - the print page queues it again when it opens
            log.exception("measurement of 3D model %s could not be queued", model.id)


async def apply(
    model: Product3DModel, task: ModelTask, *, delivery: Delivery | None = None,
    download_timeout_s: float | None = None,
) -> models3d.Transition:
    """Apply the provider's (re-fetched, trusted) ``task`` to ``model``; see the module docstring.

    ``delivery``: the webhook delivery that asked, recorded and marked handled in the same transaction
    (one write per delivery).
    ``download_timeout_s``: bound in seconds of copying a SUCCEEDED task's files (``None``: only the
    provider's own timeouts); the write transaction itself is never cut short.
    A late or duplicate task state changes nothing (``changed`` False); a SUCCEEDED task whose GLB is
    missing or not a GLB fails the model (hold released).

    Raises:
        ProviderError: a download failed or took longer than ``download_timeout_s`` (nothing was written;
            a retry or the status check tries again), or the row's provider cannot be built.
    """
    status, error = task.status.value, task.task_error
    files: dict[str, str] | None = None
    thumbnail: str | None = None
    if status == ModelStatus.SUCCEEDED.value and model.status not in TERMINAL_STATUSES:
        storing = _store_files(model, task, model_provider(model.provider))
        try:
            files, thumbnail, failure = await asyncio.wait_for(storing, download_timeout_s)
        except TimeoutError:
            raise ProviderError(
                "The 3D model file could not be downloaded in time. Please try again.", provider=model.provider,
                retryable=True, detail=f"copying the files of task {task.id} took over {download_timeout_s} s",
            ) from None
        if failure:
            log.warning("3D task %s of model %s: %s", task.id, model.id, failure)
            status, error, files = ModelStatus.FAILED.value, failure, None

    def commit() -> models3d.Transition:
        with write_session() as s:
            moved = models3d.advance(
                model.id, status=status, progress=task.progress, model_files=files, thumbnail_key=thumbnail,
                task_error=error if status != ModelStatus.SUCCEEDED.value else None, session=s,
            )
            settle(s, moved)
            if delivery is not None:
                record(s, delivery, handled=True)
            return moved

    moved = await asyncio.to_thread(commit)
    if moved.changed:
        publish(moved)
    if moved.succeeded:
        await asyncio.to_thread(_submit_exports, moved.model)
    return moved


# ----------------------------------------------------------------------------------- status check, expiry


async def check_status(user_id: int, model_id: uuid.UUID) -> ModelView:
    """The "Check Generation Status" button (issue 8 item 5): re-fetch the user's task from the provider that
    made it (``model_provider(model.provider)``) and apply it, for when a webhook was missed. A finished
    model, or one whose task the provider has not accepted yet, is returned as stored.

    Raises:
        models3d.NotFound: missing or another user's model (404). ProviderError: the re-fetch failed, or
            the row's provider cannot be built (e.g. Meshy without an API key).
    """
    model = await asyncio.to_thread(models3d.get_owned, user_id, model_id)
    if model.status in TERMINAL_STATUSES or not model.provider_task_id:
        return ModelView.of(model)
    task = await model_provider(model.provider).get(model.provider_task_id, kind=model.task_kind)
    return ModelView.of((await apply(model, task)).model)


def list_events(source: str = SOURCE) -> list[ExternalEvent]:
    """Every recorded delivery of ``source``, oldest first (tests and support)."""
    with read_session() as s:
        return list(s.exec(select(ExternalEvent).where(ExternalEvent.source == source)
                           .order_by(ExternalEvent.received_at)).all())


__all__ = [
    "InvalidPayload", "ModelView", "UnknownTask", "WrongSecret", "apply", "check_secret", "check_status",
    "handle_delivery", "list_events", "model_provider", "settle",
]
