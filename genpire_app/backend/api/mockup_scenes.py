"""Scene previews for the Mockups tab's "Scene" picker (issue 11 item 1; DESIGN.md §9 "private by default").

``GET /api/mockup-scenes/{scene_id}/preview`` -> the scene's preview (at most 480 px; JPEG for a system scene,
drawn in the user's Brand DNA palette when they have one; WebP for a user scene), for the signed-in user only:
401 without a session, 404 for a scene that is missing, deleted or another user's (exactly like a missing one).
The page adds ``?v=<palette digest>`` so a changed palette is a new URL and the answer may be cached privately.
Never imports reflex.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from genpire_app.backend.api.access import http_error
from genpire_app.backend.api.access import signed_in_user
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import brand, mockup_scenes

router = APIRouter(tags=["mockup-scenes"])


def preview_url(scene_id: uuid.UUID | str, palette: tuple[str, ...] = ()) -> str:
    """The preview route of a scene; ``palette`` (the user's brand colors) versions the URL."""
    digest = hashlib.sha256(",".join(palette).encode()).hexdigest()[:10] if palette else "0"
    return f"/api/mockup-scenes/{scene_id}/preview?v={digest}"


def _palette(user_id: int) -> tuple[str, ...]:
    return brand.palette(brand.get_brand(user_id))


@router.get("/api/mockup-scenes/{scene_id}/preview")
async def scene_preview(scene_id: str, request: Request) -> Response:
    """The preview image of a scene the signed-in user may render into."""
    user_id = await signed_in_user(request)
    try:
        sid = uuid.UUID(scene_id)
    except ValueError:
        raise http_error(404, mockup_scenes.NOT_FOUND) from None
    palette = await asyncio.to_thread(_palette, user_id)
    try:
        data = await mockup_scenes.scene_preview(user_id, sid, palette)
    except (OperationError, LookupError):
        raise http_error(404, mockup_scenes.NOT_FOUND) from None
    return Response(data, media_type=mockup_scenes.preview_content_type(data),
                    headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


__all__ = ["preview_url", "router"]
