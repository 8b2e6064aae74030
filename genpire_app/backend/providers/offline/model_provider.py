"""The offline 3D provider: shape-from-silhouette reconstruction on the job queue, reported like Meshy.

Source: issue 8 item 1 ("runs on the job queue (CPU-bound, never in the web process), reports progress, and
finishes by calling our own Meshy webhook route the way Meshy does, so one code path handles both");
DESIGN.md §6 (3D model, offline column), §8 (the webhook is only a hint: the task is re-fetched with
:meth:`OfflineModelProvider.get`), §9 (no open proxy: :meth:`OfflineModelProvider.download` reads only our
own ``storage://offline-3d/...`` files).

Tasks live in blob storage, no table: ``offline-3d/<task id>/`` holds

* ``task.json``: ``{"id", "kind", "status", "progress", "model_urls", "thumbnail_url", "task_error",
  "created_at", "started_at", "finished_at", "inputs", "dimensions_mm"}`` (times in ms since the epoch,
  progress in percent; ``dimensions_mm`` the request's ``(width, depth, height)`` or null: the model is
  scaled to it, else to proportions only);
* ``input-<i>.<png|jpg>``: the request's images. **Order**: :class:`~..model3d.ModelRequest` carries no
  view names, so image ``i`` is view :data:`VIEW_ORDER[i] <VIEW_ORDER>` — front, back, side, top (the
  order ``services.model_generation`` sends). The reconstruction needs front, side and top; a request with
  ONE image (front only: a quick-3D asset's concept or input image, ``services.asset_models``) is carved
  from the front silhouette alone (``reconstruct3d.reconstruct``, front-only mode); two or three images
  (a front without side or top) end FAILED;
* ``model.glb`` (glTF 2.0, metres) and ``thumbnail.webp`` (the front view, 256 px) once SUCCEEDED.

Flow: :meth:`OfflineModelProvider.start` writes the inputs and a PENDING ``task.json`` and queues the
``reconstruct_model`` actor (``jobs.queue.send_reconstruct``) with the task id only; :func:`run_task` (in the
worker) moves it to IN_PROGRESS, reconstructs at ``Settings.offline_3d_resolution`` in a thread, stores the
files, marks SUCCEEDED or FAILED and POSTs the Meshy task object (:func:`task_payload`) to
``<internal base URL>/api/webhooks/meshy/<secret>``. A failed POST is retried :data:`WEBHOOK_RETRIES` times
with backoff, then logged (the "Check Generation Status" button and the expiry sweep cover a lost one).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.meshy import parse_task
from genpire_app.backend.providers.model3d import ModelRequest, ModelTask, ModelTaskStatus, check_kind, check_task_id
from genpire_app.backend.storage import get_storage
from genpire_app.backend.storage.base import BlobNotFound

log = logging.getLogger(__name__)

PROVIDER = "offline"
PREFIX = "offline-3d"
SCHEME = "storage://"
#: View of each request image, by position (see the module docstring).
VIEW_ORDER: tuple[str, ...] = ("front", "back", "side", "top")
#: Extra POST attempts after a failed webhook delivery, and the first backoff delay in seconds (doubling).
WEBHOOK_RETRIES = 3
WEBHOOK_BACKOFF_S = 1.0
#: Timeout of one webhook POST, seconds.
WEBHOOK_TIMEOUT_S = 10.0
THUMBNAIL_PX = 256

MSG_NOT_FOUND = "The 3D generation task was not found."
MSG_BAD_INPUT = "The offline 3D generator takes only inline PNG or JPEG images."
MSG_URL_NOT_ALLOWED = "The 3D model file address is not allowed."
MSG_TOO_LARGE = "The 3D model file is too large."
MSG_FAILED = "The 3D model could not be built from these views."

Sleep = Callable[[float], Awaitable[Any]]


def _now_ms() -> int:
    return int(time.time() * 1000)


def task_key(task_id: str, name: str = "task.json") -> str:
    """Storage key of one file of an offline task: ``offline-3d/<task id>/<name>``.

    Raises:
        ValueError: a malformed task id (``model3d.check_task_id``).

    Source: issue 8 item 1 (offline tasks kept in storage, no table).
    """
    return f"{PREFIX}/{check_task_id(task_id)}/{name}"


def storage_url(key: str) -> str:
    """The ``storage://<key>`` URL of one of our own blobs (what ``model_urls`` holds; DESIGN.md §9: no
    open proxy, :meth:`OfflineModelProvider.download` reads only these)."""
    return f"{SCHEME}{key}"


def internal_base_url() -> str:
    """Origin the worker reaches the web app's API at: env ``API_URL``, else ``Settings.public_url``
    (no trailing slash). Source: issue 8 item 1 (the offline provider calls our own webhook route)."""
    return (os.environ.get("API_URL", "").strip() or get_settings().public_url).rstrip("/")


def webhook_url() -> str:
    """Our Meshy webhook route with its secret segment (``/api/webhooks/meshy/<secret>``; never logged).
    Source: DESIGN.md §12 (Meshy secret URL plus re-fetch), issue 8 item 4."""
    return f"{internal_base_url()}/api/webhooks/meshy/{get_settings().meshy_webhook_secret_value()}"


def task_payload(task: dict[str, Any]) -> dict[str, Any]:
    """The Meshy task object (a ``GET`` answer and a webhook body) for a stored ``task.json``.

    Same fields and conventions as Meshy's (see tests/contract/recordings/meshy/task_*.json): times in ms with
    0 for "not yet", ``task_error`` as ``{"message": ""}``, ``texture_urls`` a list.

    Source: issue 8 item 1 ("finishes by calling our own Meshy webhook route the way Meshy does").
    """
    return {
        "id": task["id"],
        "status": task["status"],
        "progress": int(task.get("progress", 0)),
        "model_urls": dict(task.get("model_urls") or {}),
        "thumbnail_url": task.get("thumbnail_url") or "",
        "texture_urls": [],
        "task_error": {"message": task.get("task_error") or ""},
        "created_at": int(task.get("created_at") or 0),
        "started_at": int(task.get("started_at") or 0),
        "finished_at": int(task.get("finished_at") or 0),
    }


def _decode_data_uri(uri: str) -> tuple[bytes, str]:
    head, _, body = uri.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise ProviderError(MSG_BAD_INPUT, provider=PROVIDER, detail="not a base64 image data URI")
    ext = "jpg" if head.startswith(("data:image/jpeg", "data:image/jpg")) else "png"
    try:
        return base64.b64decode("".join(body.split()), validate=True), ext
    except (binascii.Error, ValueError) as err:
        raise ProviderError(MSG_BAD_INPUT, provider=PROVIDER, detail="undecodable base64") from err


async def _read_task(task_id: str) -> dict[str, Any]:
    try:
        raw = await get_storage().get(task_key(task_id))
    except BlobNotFound as err:
        raise ProviderError(MSG_NOT_FOUND, provider=PROVIDER, status_code=404, detail=f"no task {task_id}") from err
    return json.loads(raw)


async def _write_task(task: dict[str, Any]) -> None:
    await get_storage().put(task_key(task["id"]), json.dumps(task, sort_keys=True).encode(), "application/json")


class OfflineModelProvider:
    """The embedded-default :class:`~..model3d.ModelProvider` (no API key): see the module docstring.

    ``name`` is ``"offline"`` (``db.model3d_models.PROVIDERS``; the offline banner lists it as "3D models").
    Source: DESIGN.md §6 (3D model, offline column), issue 8 item 1.
    """

    name = PROVIDER

    async def start(self, request: ModelRequest, *, webhook_url: str | None = None) -> str:
        """Store the request's images and a PENDING task, queue the reconstruction; return the task id.

        ``webhook_url`` is ignored: like Meshy, the offline provider always reports to our own route
        (:func:`webhook_url`).

        Raises:
            ProviderError: an image that is not an inline PNG/JPEG data URI (nothing is queued).
        """
        from genpire_app.backend.jobs import queue

        task_id = uuid.uuid4().hex
        decoded = [_decode_data_uri(url) for url in request.image_urls]
        storage = get_storage()
        inputs = []
        for i, (data, ext) in enumerate(decoded):
            key = task_key(task_id, f"input-{i}.{ext}")
            await storage.put(key, data, "image/jpeg" if ext == "jpg" else "image/png")
            inputs.append({"view": VIEW_ORDER[i], "key": key})
        await _write_task({
            "id": task_id, "kind": request.kind, "status": ModelTaskStatus.PENDING.value, "progress": 0,
            "model_urls": {}, "thumbnail_url": None, "task_error": None, "created_at": _now_ms(),
            "started_at": 0, "finished_at": 0, "inputs": inputs,
            "dimensions_mm": list(request.dimensions_mm) if request.dimensions_mm else None,
        })
        queue.send_reconstruct(task_id)
        return task_id

    async def get(self, task_id: str, *, kind: str) -> ModelTask:
        """The task as stored in ``task.json`` (parsed like a Meshy answer, ``meshy.parse_task``).

        Raises:
            ValueError: unknown ``kind`` or malformed ``task_id``.
            ProviderError: unknown task (``status_code`` 404, like Meshy's).
        """
        check_kind(kind)
        task = await _read_task(check_task_id(task_id))
        return parse_task(task_payload(task), kind=task.get("kind") or kind)

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes of an offline task's file: only ``storage://offline-3d/...`` URLs (bytes, size-checked).

        Raises:
            ProviderError: any other URL (nothing is read), a missing file, or more than ``max_bytes``.
        """
        key = url[len(SCHEME):] if isinstance(url, str) and url.startswith(SCHEME) else ""
        if not key.startswith(f"{PREFIX}/") or ".." in key:
            raise ProviderError(MSG_URL_NOT_ALLOWED, provider=PROVIDER, detail="not an offline-3d storage URL")
        try:
            data = await get_storage().get(key)
        except (BlobNotFound, ValueError) as err:
            raise ProviderError(MSG_NOT_FOUND, provider=PROVIDER, status_code=404, detail="missing file") from err
        if len(data) > max_bytes:
            raise ProviderError(MSG_TOO_LARGE, provider=PROVIDER, detail=f"{len(data)} bytes > {max_bytes}")
        return data


# ------------------------------------------------------------------------------------------------ worker side


async def _reconstruct(task: dict[str, Any], set_progress: Callable[[int], None]) -> tuple[bytes, bytes]:
    """(GLB, WebP thumbnail) of the task's inputs; CPU work in a thread."""
    from genpire_app.backend import imaging
    from genpire_app.backend.providers.offline.reconstruct3d import reconstruct

    storage = get_storage()
    views = {item["view"]: await storage.get(item["key"]) for item in task.get("inputs", [])}
    resolution = get_settings().offline_3d_resolution
    dims = task.get("dimensions_mm")
    result = await asyncio.to_thread(reconstruct, views, dimensions_mm=tuple(dims) if dims else None,
                                     resolution=resolution,
                                     progress=set_progress)
    thumb = await asyncio.to_thread(imaging.make_thumbnail, views["front"], THUMBNAIL_PX)
    return result.glb, thumb


async def run_task(task_id: str, *, transport: httpx.AsyncBaseTransport | None = None,
                   sleep: Sleep = asyncio.sleep) -> str | None:
    """Run one offline task to its end and report it to our webhook (the ``reconstruct_model`` actor).

    Idempotent: a task that is not PENDING (already run, or a duplicate message) is skipped. Progress
    (percent) is written to ``task.json`` as the reconstruction advances. Returns the final status, or None
    when skipped or unknown. Never raises for a failed reconstruction (the task ends FAILED with
    ``task_error``); ``transport``/``sleep`` are for tests (httpx transport of the webhook POST, backoff).

    Source: issue 8 item 1 (runs on the job queue, reports progress, finishes through the webhook route).
    """
    try:
        task = await _read_task(task_id)
    except (ProviderError, ValueError):
        log.warning("offline 3D task %s not found", task_id)
        return None
    if task.get("status") != ModelTaskStatus.PENDING.value:
        return None
    task.update(status=ModelTaskStatus.IN_PROGRESS.value, progress=1, started_at=_now_ms())
    await _write_task(task)
    await _post_webhook(task, transport=transport, sleep=sleep, retries=0)  # a progress hint: best effort
    loop = asyncio.get_running_loop()
    writes: list[asyncio.Future[None]] = []

    async def write_after(previous: asyncio.Future[None] | None, snapshot: dict[str, Any]) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)  # progress writes stay in order
        await _write_task(snapshot)

    def set_progress(pct: int) -> None:  # called in the reconstruction thread
        def schedule() -> None:
            task["progress"] = max(int(task["progress"]), min(99, int(pct)))
            writes.append(asyncio.ensure_future(write_after(writes[-1] if writes else None, dict(task))))

        loop.call_soon_threadsafe(schedule)

    try:
        glb, thumb = await _reconstruct(task, set_progress)
        await asyncio.gather(*writes, return_exceptions=True)
        storage = get_storage()
        glb_key, thumb_key = task_key(task_id, "model.glb"), task_key(task_id, "thumbnail.webp")
        await storage.put(glb_key, glb, "model/gltf-binary")
        await storage.put(thumb_key, thumb, "image/webp")
        task.update(status=ModelTaskStatus.SUCCEEDED.value, progress=100,
                    model_urls={"glb": storage_url(glb_key)}, thumbnail_url=storage_url(thumb_key))
    except Exception as err:  # a view without a silhouette, an unreadable image, a storage error
        await asyncio.gather(*writes, return_exceptions=True)
        log.warning("offline 3D task %s failed: %s", task_id, err)
        task.update(status=ModelTaskStatus.FAILED.value, task_error=str(err) or MSG_FAILED)
    task["finished_at"] = _now_ms()
    await _write_task(task)
    await _post_webhook(task, transport=transport, sleep=sleep)
    return task["status"]


async def _post_webhook(task: dict[str, Any], *, transport: httpx.AsyncBaseTransport | None, sleep: Sleep,
                        retries: int = WEBHOOK_RETRIES) -> bool:
    """POST the Meshy task object to our webhook: 1 + ``retries`` attempts, waiting
    :data:`WEBHOOK_BACKOFF_S` seconds, then twice as long each time; returns whether a 2xx came back (a final
    failure is logged, not raised: the status check and the expiry sweep cover it)."""
    body = task_payload(task)
    url = webhook_url()
    delay = WEBHOOK_BACKOFF_S
    reason = ""
    for attempt in range(retries + 1):
        try:
            async with httpx.AsyncClient(transport=transport, timeout=WEBHOOK_TIMEOUT_S) as http:
                response = await http.post(url, json=body)
            if response.is_success:
                return True
            reason = f"HTTP {response.status_code}"
        except httpx.HTTPError as err:
            reason = type(err).__name__
        if attempt < retries:
            await sleep(delay)
            delay *= 2
    log.warning("offline 3D task %s (%s): webhook not delivered (%s) after %d attempts", task["id"],
                task["status"], reason, retries + 1)
    return False


__all__ = ["OfflineModelProvider", "PREFIX", "VIEW_ORDER", "WEBHOOK_RETRIES", "internal_base_url", "run_task",
           "storage_url", "task_key", "task_payload", "webhook_url"]
