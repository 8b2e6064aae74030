"""File delivery: ``GET /api/files/{key}`` serves a private blob for a valid signed, expiring URL.

Source: DESIGN.md §9 (private files served only through our own route with an owner check or a signed,
expiring URL; never under Reflex's public ``/_upload``) and §10. URLs are made by
:func:`genpire_app.backend.storage.signing.sign_path` after the caller's owner check. Never imports reflex.

Responses:
    - 403 when ``exp``/``sig`` are missing, malformed, wrong or expired (checked first, so nothing about
      the storage is revealed to an unsigned request);
    - 404 when the key is not a valid storage key (never served) or no blob is stored under it;
    - 200 with the blob's bytes and ``Content-Type``, ``Cache-Control: private, max-age=<seconds left>``,
      ``X-Content-Type-Options: nosniff`` and, when ``dl`` is signed in, ``Content-Disposition:
      attachment`` with a sanitized name (RFC 6266 ``filename`` plus RFC 5987 ``filename*`` for non-ASCII).

Hardening: a type that a browser could execute or render as a document (HTML, SVG, XML, scripts, any
``text/*`` ...) is always sent as an attachment, and every response except PDFs (Chrome's viewer refuses
sandboxed PDFs) carries ``Content-Security-Policy: default-src 'none'; sandbox``.

The blob is read whole from storage (the stores return ``bytes``; uploads are at most a few MB, models
tens of MB) and sent with a ``Content-Length``.
"""

from __future__ import annotations

import time
import unicodedata
from typing import Final
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from ..storage import BlobNotFound, get_storage, is_valid_key, sanitize_filename, verify_signature

router = APIRouter(tags=["files"])

#: Content types a browser may display inline from our origin (everything else is an attachment).
INLINE_CONTENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "image/avif",
        "application/pdf",
        "model/gltf-binary",
        "model/gltf+json",
        "model/stl",
        "model/obj",
        "video/mp4",
        "application/octet-stream",
    }
)

_SANDBOX_CSP: Final[str] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def content_disposition(filename: str) -> str:
    """An ``attachment`` ``Content-Disposition`` value for ``filename``.

    The name is sanitized (:func:`~genpire_app.backend.storage.signing.sanitize_filename`); an ASCII
    fallback goes in ``filename="..."`` and, when the name is not pure ASCII, the UTF-8 name goes in
    ``filename*=UTF-8''<percent-encoded>`` (RFC 6266 / RFC 5987).

    Args:
        filename: the download name, possibly user-supplied.

    Returns:
        e.g. ``attachment; filename="tech-pack.pdf"`` or
        ``attachment; filename="cafe.pdf"; filename*=UTF-8''caf%C3%A9.pdf``.
    """
    name = sanitize_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if 0x20 <= ord(ch) < 0x7F else "_" for ch in ascii_name)
    ascii_name = sanitize_filename(ascii_name)
    if name == ascii_name:
        return f'attachment; filename="{ascii_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _forbidden() -> HTTPException:
    return HTTPException(
        status_code=403,
        detail="This link is invalid or has expired.",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def _not_found() -> HTTPException:
    return HTTPException(
        status_code=404,
        detail="File not found.",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/api/files/{key:path}")
async def get_file(key: str, exp: str | None = None, sig: str | None = None, dl: str | None = None) -> Response:
    """Serve the blob under ``key`` for a valid signed URL.

    Args:
        key: storage key (percent-decoded path after ``/api/files/``).
        exp: expiry, unix seconds (query).
        sig: HMAC-SHA256 hex signature (query).
        dl: signed download name (query), optional.

    Returns:
        200 with the bytes and headers described in the module docstring.

    Raises:
        HTTPException: 403 bad, missing or expired signature; 404 invalid key or missing blob.
    """
    now = int(time.time())
    if exp is None or sig is None or not verify_signature(key, exp, sig, dl, now=now):
        raise _forbidden()
    if not is_valid_key(key):
        raise _not_found()
    try:
        blob = await get_storage().get_blob(key)
    except (BlobNotFound, ValueError):
        raise _not_found() from None

    content_type = blob.content_type
    main_type = content_type.split(";", 1)[0].strip().lower()
    headers = {
        "Cache-Control": f"private, max-age={max(0, int(exp) - now)}",
        "X-Content-Type-Options": "nosniff",
    }
    if main_type != "application/pdf":
        headers["Content-Security-Policy"] = _SANDBOX_CSP
    if dl is not None:
        headers["Content-Disposition"] = content_disposition(dl)
    elif main_type not in INLINE_CONTENT_TYPES:
        headers["Content-Disposition"] = content_disposition(key.rsplit("/", 1)[-1])
    return Response(content=blob.data, media_type=content_type, headers=headers)


__all__ = ["INLINE_CONTENT_TYPES", "content_disposition", "get_file", "router"]
