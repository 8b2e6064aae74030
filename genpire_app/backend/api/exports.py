"""Signed, expiring download links for exports: tech pack PDF/Excel (seed 000 §7.1-7.2) and view SVGs
(§7.3); DESIGN.md §9.

A link carries the object id, the format, the owner's user id and an expiry, signed with HMAC-SHA256; the
route re-checks ownership through the service (which scopes by user id) before rendering.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from genpire_app.backend.config import get_settings
from genpire_app.backend.services import techpacks, vectors

router = APIRouter()
FORMATS = ("pdf", "xlsx")


def _signature(tech_pack_id: str, fmt: str, user_id: int, exp: int, scope: str = "techpack") -> str:
    message = f"{scope}:{tech_pack_id}:{fmt}:{user_id}:{exp}".encode()
    return hmac.new(get_settings().signing_key(), message, hashlib.sha256).hexdigest()


def _attachment(data: bytes, mime: str, filename: str, fallback: str) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode() or fallback
    headers = {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if mime == "image/svg+xml":  # an SVG opened directly must not run scripts
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return Response(content=data, media_type=mime, headers=headers)


def view_svg_url(*, row_id: str, user_id: int, ttl_seconds: int = 600, now: int | None = None) -> str:
    """A relative URL that downloads one view (a revision row) as SVG for ``ttl_seconds`` seconds."""
    exp = int(now if now is not None else time.time()) + ttl_seconds
    sig = _signature(row_id, "svg", user_id, exp, scope="view")
    return f"/api/exports/views/{quote(row_id)}.svg?uid={user_id}&exp={exp}&sig={sig}"


@router.get("/api/exports/views/{row_id}.svg")
async def download_view_svg(row_id: str, uid: int = Query(...), exp: int = Query(...), sig: str = Query(...)) -> Response:
    """Trace (or read the cached trace of) a view and send it. 403 bad/expired link, 404 not found."""
    if exp < time.time() or not hmac.compare_digest(sig, _signature(row_id, "svg", uid, exp, scope="view")):
        raise HTTPException(403, "This download link is invalid or has expired. Open the product again.")
    try:
        data, filename = await vectors.view_svg(user_id=uid, row_id=uuid.UUID(row_id))
    except (ValueError, LookupError) as err:
        raise HTTPException(404, "View not found") from err
    return _attachment(data, "image/svg+xml", filename, "view.svg")


def export_url(*, tech_pack_id: str, fmt: str, user_id: int, ttl_seconds: int = 600, now: int | None = None) -> str:
    """A relative URL that downloads the tech pack as ``fmt`` (pdf | xlsx) for ``ttl_seconds`` seconds.

    Raises:
        ValueError: unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    exp = int(now if now is not None else time.time()) + ttl_seconds
    sig = _signature(tech_pack_id, fmt, user_id, exp)
    return f"/api/exports/techpacks/{quote(tech_pack_id)}.{fmt}?uid={user_id}&exp={exp}&sig={sig}"


@router.get("/api/exports/techpacks/{tech_pack_id}.{fmt}")
async def download_tech_pack(
    tech_pack_id: str, fmt: str, uid: int = Query(...), exp: int = Query(...), sig: str = Query(...)
) -> Response:
    """Render and send the export. 403 for a bad or expired signature, 404 when the tech pack is not found."""
    if fmt not in FORMATS:
        raise HTTPException(404, "Unknown format")
    if exp < time.time() or not hmac.compare_digest(sig, _signature(tech_pack_id, fmt, uid, exp)):
        raise HTTPException(403, "This download link is invalid or has expired. Open the tech pack again.")
    try:
        tp_id = uuid.UUID(tech_pack_id)
        data, mime, filename = await techpacks.export_tech_pack(user_id=uid, tech_pack_id=tp_id, fmt=fmt)
    except (ValueError, LookupError) as err:
        raise HTTPException(404, "Tech pack not found") from err
    return _attachment(data, mime, filename, f"techpack.{fmt}")
