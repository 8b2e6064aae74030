"""A stored 3D model file as an HTTP response (DESIGN.md §9 "Files": served only through our own routes after an
owner check). Shared by the owner's route (``api/models3d.py``) and the buyer's order download route
(``api/orders.py``); the caller has already decided the file may be read.

Models are a few MB to tens of MB; the stores return ``bytes``, sent whole with a ``Content-Length``.
``Content-Disposition: attachment`` with the given name (``inline`` on request for the viewer's formats); a
sandboxing CSP and ``nosniff`` so a file can never run as a page. Never imports reflex.
"""

from __future__ import annotations

from fastapi.responses import Response

from genpire_app.backend.api.access import http_error
from genpire_app.backend.api.files import content_disposition
from genpire_app.backend.exports.mesh_formats import CONTENT_TYPES
from genpire_app.backend.storage import BlobNotFound, get_storage

#: Formats a viewer may load inline.
INLINE_FORMATS = frozenset({"glb", "usdz"})
_SANDBOX_CSP = "default-src 'none'; sandbox"


async def file_response(key: str, fmt: str, filename: str | None, *, inline: bool = False) -> Response:
    """The blob at storage ``key`` as format ``fmt`` (content type from ``exports.mesh_formats``, else the
    stored one). ``filename``: the attachment's name (None: no ``Content-Disposition``, e.g. a thumbnail);
    ``inline``: ``inline`` instead of ``attachment`` for :data:`INLINE_FORMATS`.

    Raises:
        HTTPException: 404 when the blob is missing from storage.
    """
    try:
        blob = await get_storage().get_blob(key)
    except (BlobNotFound, ValueError):
        raise http_error(404, "3D model file not found") from None
    headers = {"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": _SANDBOX_CSP}
    if filename is not None:
        disposition = content_disposition(filename)
        if inline and fmt in INLINE_FORMATS:
            disposition = disposition.replace("attachment", "inline", 1)
        headers["Content-Disposition"] = disposition
    return Response(content=blob.data, media_type=CONTENT_TYPES.get(fmt, blob.content_type), headers=headers)


__all__ = ["INLINE_FORMATS", "file_response"]
