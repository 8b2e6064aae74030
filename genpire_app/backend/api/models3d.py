"""REST endpoints of 3D models (issue 8 item 5; seed 002 "API Reference"; DESIGN.md §9, §10).

Every route needs the session cookie (401 without a valid one); state-changing routes (POST, DELETE) also
need a request from our own pages (``api.auth.same_origin``, else 403). Another user's model, product or
collection answers 404, exactly like a missing one.

Routes:
    - ``POST /api/3d-models`` ``{"product_id"| "collection_id", "intent"}`` -> 202 ``{"job_id", "status"}``
      (``services.model_generation.start``; 402 insufficient credits, 409 busy, 404, 422 with the message);
    - ``POST /api/3d-models/{model_id}/check`` -> the model after a re-fetch from the provider ("Check
      Generation Status"; 503 when the provider cannot be asked);
    - ``GET /api/products/{id}/3d-model`` / ``/3d-models`` (and ``/api/collections/...``) -> the active model
      (``{"model": ... | null}``) / every version (``{"versions": [...]}``, newest first);
    - ``POST /api/3d-models/{model_id}/activate``, ``DELETE /api/3d-models/{model_id}``;
    - ``GET /api/3d-models/{model_id}/files/{fmt}`` -> the file of that format from our storage (replaces
      seed 002's open ``/api/proxy-3d-model?url=`` proxy), ``Content-Disposition: attachment;
      filename="<source name>-v<version>.<ext>"``, ``inline`` for ``glb``/``usdz`` with ``?inline=1`` (the
      viewer); ``fmt`` ``thumbnail`` is the preview image. 404 while that format is not produced.

Models are a few MB to tens of MB; the stores return ``bytes``, sent whole with a ``Content-Length``.
Never imports reflex.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from genpire_app.backend.api.access import http_error as _error
from genpire_app.backend.api.access import signed_in_user as _user
from genpire_app.backend.api.model_files import file_response
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import credits, model_files, model_webhook, models3d
from genpire_app.backend.services.model_webhook import ModelView
from genpire_app.backend.storage import get_storage

log = logging.getLogger(__name__)
router = APIRouter(tags=["3d-models"])

#: HTTP status of each ``OperationError`` code (anything else: 422 with its message).
_STATUS = {"not_found": 404, "insufficient_credits": 402, "busy": 409}


def _from_operation(err: OperationError) -> HTTPException:
    return _error(_STATUS.get(err.code, 422), err.message, err.code)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise _error(404, "3D model not found") from None


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a synchronous service call in a thread, mapping its refusals to HTTP errors."""
    try:
        result = await asyncio.to_thread(fn, *args, **kwargs)
        return await result if inspect.isawaitable(result) else result
    except OperationError as err:
        raise _from_operation(err) from None
    except credits.InsufficientCredits as err:
        raise _error(402, str(err), "insufficient_credits") from None


# ------------------------------------------------------------------------------------------- generation


@router.post("/api/3d-models", status_code=202)
async def start_generation(request: Request) -> JSONResponse:
    """Start a 3D generation of a product or collection (10 credits held; DESIGN.md §12).

    Body: ``{"product_id": uuid}`` or ``{"collection_id": uuid}``, plus ``"intent"`` (the idempotency key of
    the click: the same intent again returns the same job). Returns 202 ``{"job_id", "status"}``.

    Raises:
        HTTPException: 401, 403, 404, 402, 409, 422 (see the module docstring).
    """
    user_id = await _user(request, writes=True)
    try:
        body = await request.json()
    except ValueError:
        raise _error(422, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise _error(422, "The body must be a JSON object.")
    product_id, collection_id = body.get("product_id"), body.get("collection_id")
    if bool(product_id) == bool(collection_id):
        raise _error(422, "Give either product_id or collection_id.")
    intent = body.get("intent")
    if not isinstance(intent, str) or not intent:
        raise _error(422, "intent is required.")
    source = (models3d.Source.product(_uuid(product_id)) if product_id
              else models3d.Source.collection(_uuid(collection_id)))
    from genpire_app.backend.services import model_generation

    submitted = await _call(model_generation.start, user_id=user_id, source=source, intent=intent)
    status = getattr(submitted.status, "value", submitted.status)
    return JSONResponse({"job_id": str(submitted.job_id), "status": str(status)}, status_code=202)


@router.post("/api/3d-models/{model_id}/check")
async def check_generation(model_id: str, request: Request) -> dict[str, Any]:
    """"Check Generation Status": re-fetch the task from the provider and apply it; returns the model.

    Raises:
        HTTPException: 401, 403, 404; 503 when the provider cannot be asked.
    """
    user_id = await _user(request, writes=True)
    try:
        view = await model_webhook.check_status(user_id, _uuid(model_id))
    except OperationError as err:
        raise _from_operation(err) from None
    except ProviderError as err:
        raise _error(503, err.message) from None
    return view.as_dict()


# ---------------------------------------------------------------------------------------------- reading


def _versions(user_id: int, source: models3d.Source) -> dict[str, Any]:
    return {"versions": [ModelView.of(m).as_dict() for m in models3d.list_versions(user_id, source)]}


def _active(user_id: int, source: models3d.Source) -> dict[str, Any]:
    model = models3d.active_model(user_id, source)
    return {"model": ModelView.of(model).as_dict() if model is not None else None}


@router.get("/api/products/{product_id}/3d-model")
async def product_active_model(product_id: str, request: Request) -> dict[str, Any]:
    """The product's active 3D model (``{"model": null}`` when none). Raises HTTPException 401, 404."""
    user_id = await _user(request)
    return await _call(_active, user_id, models3d.Source.product(_uuid(product_id)))


@router.get("/api/products/{product_id}/3d-models")
async def product_versions(product_id: str, request: Request) -> dict[str, Any]:
    """Every version of the product's 3D model, newest first. Raises HTTPException 401, 404."""
    user_id = await _user(request)
    return await _call(_versions, user_id, models3d.Source.product(_uuid(product_id)))


@router.get("/api/collections/{collection_id}/3d-model")
async def collection_active_model(collection_id: str, request: Request) -> dict[str, Any]:
    """The collection's active 3D model (``{"model": null}`` when none). Raises HTTPException 401, 404."""
    user_id = await _user(request)
    return await _call(_active, user_id, models3d.Source.collection(_uuid(collection_id)))


@router.get("/api/collections/{collection_id}/3d-models")
async def collection_versions(collection_id: str, request: Request) -> dict[str, Any]:
    """Every version of the collection's 3D model, newest first. Raises HTTPException 401, 404."""
    user_id = await _user(request)
    return await _call(_versions, user_id, models3d.Source.collection(_uuid(collection_id)))


# ------------------------------------------------------------------------------------------------ changes


@router.post("/api/3d-models/{model_id}/activate")
async def activate(model_id: str, request: Request) -> dict[str, Any]:
    """Make this SUCCEEDED version the active one. Raises HTTPException 401, 403, 404, 422 (not finished)."""
    user_id = await _user(request, writes=True)
    model = await _call(models3d.set_active, user_id, _uuid(model_id))
    return ModelView.of(model).as_dict()


@router.delete("/api/3d-models/{model_id}")
async def delete(model_id: str, request: Request) -> dict[str, bool]:
    """Delete one version and its stored files (never the only version, never one still generating).

    Raises:
        HTTPException: 401, 403, 404, 422.
    """
    user_id = await _user(request, writes=True)
    keys = await _call(models3d.delete_version, user_id, _uuid(model_id))
    storage = get_storage()
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:  # noqa: BLE001 - the row is gone; an orphan blob is only wasted space
            log.warning("could not delete blob %s of a deleted 3D model", key, exc_info=True)
    return {"ok": True}


# --------------------------------------------------------------------------------------------------- files


def _file_of(user_id: int, model_id: uuid.UUID, fmt: str) -> tuple[str, str | None]:
    """(storage key, download name; None for the thumbnail) of the user's model file ``fmt``. Raises NotFound."""
    model = models3d.get_owned(user_id, model_id)
    key = model_files.file_key(model, fmt)
    if not key:
        raise models3d.NotFound("3D model file")
    if fmt == model_files.THUMBNAIL:
        return key, None
    with read_session() as s:
        return key, model_files.download_name(s, model, fmt)


@router.get("/api/3d-models/{model_id}/files/{fmt}")
async def model_file(model_id: str, fmt: str, request: Request, inline: int = 0) -> Response:
    """The user's model file of format ``fmt`` (``glb``, ``obj``, ``stl``, ``ply``, ``3mf``, ``usdz``,
    ``dxf``, or ``thumbnail``), from our storage; see the module docstring for the headers.

    Raises:
        HTTPException: 401; 404 for another user's or a missing model, or a format not produced (yet).
    """
    user_id = await _user(request)
    fmt = fmt.lower()
    key, filename = await _call(_file_of, user_id, _uuid(model_id), fmt)
    return await file_response(key, fmt, filename, inline=bool(inline))


__all__ = ["router"]
