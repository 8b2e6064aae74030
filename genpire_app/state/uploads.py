"""Receiving a file the browser uploads to a state's streaming upload handler (``rx.UploadChunkIterator``).

The chunks are collected up to the field's byte limit; past it the rest is drained and discarded, so an
oversize file never sits in memory whole. The image is then validated and staged
(``services.staging``: magic bytes, pixel count from the header, re-encoded, off the event loop).
"""

from __future__ import annotations

import reflex as rx

from genpire_app.backend import imaging
from genpire_app.backend.services import staging
from genpire_app.backend.services.staging import StagedImage


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


async def receive_image(
    chunks: rx.UploadChunkIterator, *, user_id: int, max_bytes: int, label: str, preview_px: int = 160
) -> tuple[StagedImage | None, str]:
    """Collect the first uploaded file (at most ``max_bytes``) and stage it.

    Returns:
        ``(staged image, "")`` or ``(None, user-facing error)``.
    """
    parts: list[bytes] = []
    size = 0
    name = content_type = ""
    async for chunk in chunks:
        if name and chunk.filename != name:
            continue  # one file per field
        name, content_type = chunk.filename, chunk.content_type
        size += len(chunk.data)
        if size <= max_bytes:
            parts.append(chunk.data)
    if not name:
        return None, ""
    if size > max_bytes:
        return None, f"The {label} is {_mb(size)} MB; the limit is {_mb(max_bytes)} MB."
    try:
        staged = await staging.stage_image(user_id=user_id, data=b"".join(parts), filename=name,
                                           declared_mime=content_type or None, max_bytes=max_bytes, label=label,
                                           preview_px=preview_px)
    except imaging.ImageValidationError as err:
        return None, err.message
    return staged, ""
