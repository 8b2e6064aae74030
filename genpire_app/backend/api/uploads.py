"""Upload routes: annotated views travel by HTTP, not over the websocket (DESIGN.md §9, §10).

``POST /api/uploads/annotations`` takes the PNG of a view with the user's marks (the annotation canvas
posts it when the user submits). The request carries a short-lived upload token the page got from its
state (``X-Upload-Token``: HMAC of user id, purpose and expiry); the body is read as a stream and refused
with 413 as soon as it passes the limit, before it is buffered whole; the image is then validated like
every upload (magic bytes, pixel count from the header, re-encoded) and staged under
``users/<id>/staging/annotations/``. The answer is ``{"key": "<storage key>"}``. Uploads count against
the user's per-minute upload rate (``http/rate.py``, shared with Reflex's ``/_upload``): 429 past it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.http.rate import UPLOAD_RATE
from genpire_app.backend.storage import get_storage

router = APIRouter(tags=["uploads"])
ANNOTATION_PURPOSE = "annotation"


def _sign(user_id: int, purpose: str, exp: int) -> str:
    message = f"upload:{purpose}:{user_id}:{exp}".encode()
    return hmac.new(get_settings().signing_key(), message, hashlib.sha256).hexdigest()


def upload_token(*, user_id: int, purpose: str = ANNOTATION_PURPOSE, ttl_seconds: int = 3600,
                 now: int | None = None) -> str:
    """A token that lets the browser upload one kind of file for ``user_id`` until it expires
    (``<user>.<exp>.<hex signature>``)."""
    exp = int(now if now is not None else time.time()) + ttl_seconds
    return f"{user_id}.{exp}.{_sign(user_id, purpose, exp)}"


def check_token(token: str, *, purpose: str = ANNOTATION_PURPOSE, now: int | None = None) -> int | None:
    """The user id of a valid, unexpired upload token, else None (constant-time comparison)."""
    try:
        user_text, exp_text, sig = token.split(".", 2)
        user_id, exp = int(user_text), int(exp_text)
    except (ValueError, AttributeError):
        return None
    if exp < int(now if now is not None else time.time()):
        return None
    return user_id if hmac.compare_digest(sig, _sign(user_id, purpose, exp)) else None


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes (never buffered past it).

    Raises:
        HTTPException: 413 over the limit (a declared ``Content-Length`` over it is refused before reading).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "The file is too large.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, "The file is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/api/uploads/annotations")
async def upload_annotation(request: Request) -> JSONResponse:
    """Stage an annotated view (PNG). 401 without a valid upload token, 429 over the user's upload rate
    (``UPLOAD_RATE_PER_MINUTE``, shared with ``/_upload``; issue 7 item 3), 413 too large, 422 not an image."""
    user_id = check_token(request.headers.get("x-upload-token", ""))
    if user_id is None:
        raise HTTPException(401, "This upload link expired. Reload the page and try again.")
    retry_after = UPLOAD_RATE.hit(user_id)
    if retry_after:
        raise HTTPException(429, "Too many uploads; try again in a minute.", headers={"Retry-After": str(retry_after)})
    settings = get_settings()
    limit = settings.max_design_bytes * 2
    data = await read_limited(request, limit)
    try:
        checked = await asyncio.to_thread(
            imaging.validate_upload, data, filename="annotation.png", declared_mime="image/png", max_bytes=limit,
            max_pixels=settings.max_image_pixels, field_label="annotated image",
        )
    except imaging.ImageValidationError as err:
        raise HTTPException(422, err.message) from err
    key = f"users/{user_id}/staging/annotations/{uuid.uuid4().hex}.png"
    await get_storage().put(key, checked.data, "image/png")
    return JSONResponse({"key": key}, headers={"Cache-Control": "no-store"})


__all__ = ["ANNOTATION_PURPOSE", "check_token", "read_limited", "router", "upload_annotation", "upload_token"]
