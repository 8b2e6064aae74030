"""Staged uploads: a file chosen in a form is validated at once and kept in storage until it is used.

The browser uploads as soon as a file is chosen (inline errors before anything is spent); creating the
product or sending the message then reads the staged, already re-encoded image. Source: seed 000 §3
Phase 1 "Form Validation"; DESIGN.md §10.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import dataclass

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.storage import get_storage


@dataclass(frozen=True)
class StagedImage:
    """A validated image kept in storage.

    Attributes:
        key: storage key under ``users/<id>/staging/``.
        mime_type: ``image/png`` or ``image/jpeg`` (after re-encoding).
        filename: the client's file name (base name only).
        width / height: pixels.
        preview: a small WebP data URL for the form.
    """

    key: str
    mime_type: str
    filename: str
    width: int
    height: int
    preview: str

    @property
    def label(self) -> str:
        """e.g. ``brand-logo.png · 500×500px``."""
        return f"{self.filename} · {self.width}×{self.height}px"


async def stage_image(
    *, user_id: int, data: bytes, filename: str, declared_mime: str | None, max_bytes: int, label: str,
    preview_px: int = 160,
) -> StagedImage:
    """Validate (off the event loop), store and describe an uploaded image.

    Raises:
        imaging.ImageValidationError: wrong type, magic bytes, size or pixel count (nothing is stored).
    """
    checked = await asyncio.to_thread(
        imaging.validate_upload,
        data,
        filename=filename,
        declared_mime=declared_mime,
        max_bytes=max_bytes,
        max_pixels=get_settings().max_image_pixels,
        field_label=label,
    )
    thumb = await asyncio.to_thread(imaging.make_thumbnail, checked.data, preview_px)
    ext = "png" if checked.mime_type == "image/png" else "jpg"
    key = f"users/{user_id}/staging/{uuid.uuid4().hex}.{ext}"
    await get_storage().put(key, checked.data, checked.mime_type)
    return StagedImage(
        key=key,
        mime_type=checked.mime_type,
        filename=checked.original_filename,
        width=checked.width,
        height=checked.height,
        preview="data:image/webp;base64," + base64.b64encode(thumb).decode(),
    )


async def discard(key: str) -> None:
    """Delete a staged file (no error when it is already gone)."""
    if key:
        await get_storage().delete(key)
