"""File delivery: ``GET /api/files/{key}`` serves a private blob for a valid signed, expiring URL.

Source: DESIGN.md §9 (private files served only through our own route with an owner check or a signed,
expiring URL; never under Reflex's public ``/_upload``) and §10. URLs are made by
:func:`genpire_app.backend.storage.signing.sign_path` after the caller's owner check. Never imports reflex.

Responses:
    - 403 when ``exp``/``sig`` are missing, malformed, wrong or expired (checked first, so nothing about
      the storage is revealed to an unsigned request);
    - 404 when the key is not a valid storage key (never served) or no blob is stored under it;
    - 200 with the blob's bytes and ``Content-Type``, ``X-Content-Type-Options: nosniff``, the cache
      headers below and, when ``dl`` is signed in, ``Content-Disposition: attachment`` with a sanitized
      name (RFC 6266 ``filename`` plus RFC 5987 ``filename*`` for non-ASCII);
    - 304 (no body) for a content-addressed key whose hash is in ``If-None-Match`` (after the signature
      and key checks; the store is not read).
    Errors always carry ``Cache-Control: no-store``.

Caching (DESIGN.md §9, cache-friendly images): a content-addressed key (``<name>.<16 hex>.<ext>``, made by
:func:`genpire_app.backend.storage.content_key`, see ``storage/keys.py``) never changes, so it is sent with
``Cache-Control: private, max-age=31536000, immutable`` and ``ETag: "<16 hex>"``. Any other key may be
overwritten and gets ``Cache-Control: private, max-age=<seconds until exp>``. Signed URLs are stable within
a 15-minute window (``storage/signing.py``), so reloads and other tabs reuse the browser cache.

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

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import Response

from ..storage import (
    BlobNotFound,
    get_storage,
    immutable_key_hash,
    is_valid_key,
    sanitize_filename,
    verify_signature,
)

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

#: ``Cache-Control`` of a content-addressed (never changing) key: one year, no revalidation.
IMMUTABLE_CACHE_CONTROL: Final[str] = "private, max-age=31536000, immutable"


def etag_matches(if_none_match: str | None, etag_hash: str) -> bool:
    """Whether an ``If-None-Match`` header names the entity tag ``"<etag_hash>"``.

    Weak comparison (RFC 9110 §13.1.2): ``W/"x"`` matches ``"x"``; a comma-separated list matches when any
    member does. ``*`` is not treated as a match here (the caller does not know the blob exists).
    """
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == f'"{etag_hash}"':
            return True
    return False


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
async def get_file(
    key: str,
    exp: str | None = None,
    sig: str | None = None,
    dl: str | None = None,
    if_none_match: str | None = Header(default=None),
) -> Response:
    """Serve the blob under ``key`` for a valid signed URL.

    Args:
        key: storage key (percent-decoded path after ``/api/files/``).
        exp: expiry, unix seconds (query).
        sig: HMAC-SHA256 hex signature (query).
        dl: signed download name (query), optional.
        if_none_match: ``If-None-Match`` request header; answered with 304 for a content-addressed key.

    Returns:
        200 with the bytes and headers described in the module docstring, or 304 without a body.

    Raises:
        HTTPException: 403 bad, missing or expired signature; 404 invalid key or missing blob.
    """
    now = int(time.time())
    if exp is None or sig is None or not verify_signature(key, exp, sig, dl, now=now):
        raise _forbidden()
    if not is_valid_key(key):
        raise _not_found()
    content_hash = immutable_key_hash(key)
    if content_hash is not None:
        cache_headers = {"Cache-Control": IMMUTABLE_CACHE_CONTROL, "ETag": f'"{content_hash}"'}
        if etag_matches(if_none_match, content_hash):
            return Response(status_code=304, headers={**cache_headers, "X-Content-Type-Options": "nosniff"})
    else:
        cache_headers = {"Cache-Control": f"private, max-age={max(0, int(exp) - now)}"}
    try:
        blob = await get_storage().get_blob(key)
    except (BlobNotFound, ValueError):
        raise _not_found() from None

    content_type = blob.content_type
    main_type = content_type.split(";", 1)[0].strip().lower()
    headers = {**cache_headers, "X-Content-Type-Options": "nosniff"}
    if main_type != "application/pdf":
        headers["Content-Security-Policy"] = _SANDBOX_CSP
    if dl is not None:
        headers["Content-Disposition"] = content_disposition(dl)
    elif main_type not in INLINE_CONTENT_TYPES:
        headers["Content-Disposition"] = content_disposition(key.rsplit("/", 1)[-1])
    return Response(content=blob.data, media_type=content_type, headers=headers)


__all__ = [
    "IMMUTABLE_CACHE_CONTROL",
    "INLINE_CONTENT_TYPES",
    "content_disposition",
    "etag_matches",
    "get_file",
    "router",
]
